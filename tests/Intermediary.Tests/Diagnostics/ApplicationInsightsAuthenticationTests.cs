using Intermediary.Diagnostics;

namespace Intermediary.Tests.Diagnostics;

public sealed class ApplicationInsightsAuthenticationTests
{
    [Theory]
    [InlineData("ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD", "11111111-2222-3333-4444-555555555555")]
    [InlineData(" authorization = aad ; clientid = abc ", "abc")]
    [InlineData("Authorization=AAD;ClientId=abc;", "abc")]
    public void Entra_ingestion_names_its_managed_identity(string value, string expected) =>
        Assert.Equal(expected, ApplicationInsightsAuthentication.ClientId(value));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ClientId=abc")]
    [InlineData("ClientId=abc;Authorization=Key")]
    [InlineData("Authorization=AAD")]
    [InlineData("Authorization=AAD;ClientId=")]
    [InlineData("garbage;;=")]
    public void Anything_else_is_no_entra_ingestion(string? value) =>
        Assert.Null(ApplicationInsightsAuthentication.ClientId(value));
}
