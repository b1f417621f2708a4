using System.Xml.Linq;

namespace Intermediary.Tests.Infra;

/// <summary>APIM policies are well-formed XML with the policies the design relies on.</summary>
public sealed class ApimPolicyTests
{
    private static readonly string[] s_sections = ["inbound", "backend", "outbound", "on-error"];
    private static readonly string[] s_errorFields = ["statusCode", "message", "requestId"];

    [Fact]
    public void Every_policy_file_is_well_formed_with_the_policy_sections()
    {
        var files = InfraFiles.Find("*.xml").Where(f => f.Contains($"{Path.DirectorySeparatorChar}policies{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var root = XDocument.Load(file).Root!;
            Assert.Equal("policies", root.Name.LocalName);
            Assert.All(s_sections, section => Assert.NotNull(root.Element(section)));
        }
    }

    [Fact]
    public void The_api_policy_validates_the_jwt_retries_5xx_only_and_answers_errors_as_json()
    {
        var policy = XDocument.Parse(InfraFiles.ReadText("apim", "policies", "api.xml")).Root!;

        var jwt = policy.Element("inbound")!.Descendants("validate-jwt").Single();
        Assert.Equal("Authorization", jwt.Attribute("header-name")?.Value);
        Assert.NotNull(jwt.Descendants("openid-config").SingleOrDefault());
        Assert.NotEmpty(jwt.Descendants("audience"));

        var retry = policy.Element("backend")!.Descendants("retry").Single();
        Assert.Contains(">= 500", retry.Attribute("condition")!.Value, StringComparison.Ordinal);

        var onError = policy.Element("on-error")!.Descendants("return-response").Single();
        Assert.Contains(onError.Descendants("set-header"), h => h.Attribute("name")?.Value == "Content-Type" && h.Value.Contains("application/json", StringComparison.Ordinal));
        var body = onError.Descendants("set-body").Single().Value;
        Assert.All(s_errorFields, field => Assert.Contains(field, body, StringComparison.Ordinal));
    }

    [Fact]
    public void The_product_policy_limits_rate_and_quota_per_subscription()
    {
        var policy = XDocument.Parse(InfraFiles.ReadText("apim", "policies", "product.xml")).Root!;

        Assert.Single(policy.Descendants("rate-limit-by-key"));
        Assert.Single(policy.Descendants("quota-by-key"));
    }
}
