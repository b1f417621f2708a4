using Microsoft.Extensions.Options;

namespace Intermediary.Configuration;

/// <summary>
/// Start-up validation of the whole configuration: the service-wide limits here, each area by its own validator. Every
/// problem is reported with the configuration key that fixes it, all of them at once.
/// </summary>
internal sealed class IntermediaryOptionsValidator : IValidateOptions<IntermediaryOptions>
{
    public ValidateOptionsResult Validate(string? name, IntermediaryOptions options)
    {
        var errors = new List<string>();
        const string root = IntermediaryOptions.SectionName;

        if (options.MaxRequestBodyBytes <= 0)
        {
            errors.Add($"{root}:MaxRequestBodyBytes must be greater than 0.");
        }

        if (options.MaxRequestTargetLength < 256 || options.MaxRequestHeadersBytes < 4 * 1024)
        {
            errors.Add($"{root}:MaxRequestTargetLength must be at least 256 and {root}:MaxRequestHeadersBytes at least 4096.");
        }

        if (options.PublicBaseUrl is { } publicBaseUrl && (!publicBaseUrl.IsAbsoluteUri || publicBaseUrl.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(publicBaseUrl.Query)))
        {
            errors.Add($"{root}:PublicBaseUrl must be an absolute http or https URL without a query, or empty.");
        }

        if (options.Upstreams.Count == 0)
        {
            errors.Add($"{root}:Upstreams has no entries: configure at least one, e.g. {root}:Upstreams:orders:BaseUrl.");
        }

        JobOptionsValidator.Validate($"{root}:Jobs", options.Jobs, errors);

        if (options.ResponseCacheBytes <= 0)
        {
            errors.Add($"{root}:ResponseCacheBytes must be greater than 0.");
        }

        if (options.Upstreams.Values.Select(u => u.MaxResponseBodyBytes).DefaultIfEmpty(0).Max() is var largest && options.MaxBufferedResponseBytes < largest)
        {
            errors.Add($"{root}:MaxBufferedResponseBytes must be at least the largest MaxResponseBodyBytes of any upstream ({largest}).");
        }

        if (options.Upstreams.Values.Any(u => u.Credential == CredentialType.OnBehalfOf))
        {
            UserTokenOptionsValidator.Validate($"{root}:UserTokens", options.UserTokens, errors);
        }

        foreach (var (upstreamName, upstream) in options.Upstreams)
        {
            UpstreamOptionsValidator.Validate($"{root}:Upstreams:{upstreamName}", upstreamName, upstream, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
