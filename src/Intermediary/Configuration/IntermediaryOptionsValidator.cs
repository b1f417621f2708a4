using Intermediary.Security;
using Microsoft.Extensions.Options;

namespace Intermediary.Configuration;

/// <summary>Start-up validation: every problem is reported with the configuration key that fixes it.</summary>
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

        ValidateJobs($"{root}:Jobs", options.Jobs, errors);

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
            ValidateUserTokens($"{root}:UserTokens", options.UserTokens, errors);
        }

        foreach (var (upstreamName, upstream) in options.Upstreams)
        {
            ValidateUpstream($"{root}:Upstreams:{upstreamName}", upstreamName, upstream, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateUpstream(string prefix, string upstreamName, UpstreamOptions upstream, List<string> errors)
    {
        if (!UpstreamName.IsValid(upstreamName))
        {
            errors.Add($"{prefix}: upstream names may use only letters, digits, '-' and '_' (they are a URL segment).");
        }

        if (upstream.BaseUrl is null)
        {
            errors.Add($"{prefix}:BaseUrl is required (the APIM API URL, e.g. https://contoso.azure-api.net/orders/).");
        }
        else if (!upstream.BaseUrl.IsAbsoluteUri || upstream.BaseUrl.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(upstream.BaseUrl.Query) || !string.IsNullOrEmpty(upstream.BaseUrl.Fragment)
            || !string.IsNullOrEmpty(upstream.BaseUrl.UserInfo))
        {
            errors.Add($"{prefix}:BaseUrl must be an absolute http or https URL without query, fragment or user info.");
        }

        if (upstream.AllowedPaths.Count == 0)
        {
            errors.Add($"{prefix}:AllowedPaths needs at least one path prefix (e.g. {prefix}:AllowedPaths:0=/items, or / to allow every path).");
        }

        for (var i = 0; i < upstream.AllowedPaths.Count; i++)
        {
            if (!RequestPath.IsValidAllowedPrefix(upstream.AllowedPaths[i]))
            {
                errors.Add($"{prefix}:AllowedPaths:{i} must start with '/' and contain no '..', '//', '\\', '%', '?' or '#'.");
            }
        }

        for (var i = 0; i < upstream.ForwardedHeaders.Count; i++)
        {
            if (!HeaderRules.IsValidName(upstream.ForwardedHeaders[i]))
            {
                errors.Add($"{prefix}:ForwardedHeaders:{i} is not a valid HTTP header name.");
            }
            else if (HeaderForwarding.IsNeverForwarded(upstream.ForwardedHeaders[i]))
            {
                errors.Add($"{prefix}:ForwardedHeaders:{i} '{upstream.ForwardedHeaders[i]}' is set by the service itself and cannot be forwarded from callers.");
            }
        }

        ValidateCredential(prefix, upstream, errors);
        ValidateResilience($"{prefix}:Resilience", upstream.Resilience, errors);

        if (upstream.MaxResponseBodyBytes <= 0)
        {
            errors.Add($"{prefix}:MaxResponseBodyBytes must be greater than 0.");
        }

        ValidateCache($"{prefix}:Cache", upstream.Cache, errors);
    }

    private static void ValidateCache(string prefix, CacheOptions cache, List<string> errors)
    {
        for (var i = 0; i < cache.Paths.Count; i++)
        {
            if (!RequestPath.IsValidAllowedPrefix(cache.Paths[i]))
            {
                errors.Add($"{prefix}:Paths:{i} must start with '/' and contain no '..', '//', '\\', '%', '?' or '#'.");
            }
        }

        if (cache.Ttl <= TimeSpan.Zero || cache.Ttl > CacheOptions.LongestTtl)
        {
            errors.Add($"{prefix}:Ttl must be greater than 0 and at most 01:00:00.");
        }

        if (cache.StaleIfError < TimeSpan.Zero || cache.StaleIfError > CacheOptions.LongestStaleIfError)
        {
            errors.Add($"{prefix}:StaleIfError must be between 00:00:00 and 1.00:00:00.");
        }

        // Not checked against MaxResponseBodyBytes: a larger body never arrives, so the smaller of the two applies.
        if (cache.MaxEntryBytes <= 0)
        {
            errors.Add($"{prefix}:MaxEntryBytes must be greater than 0.");
        }
    }

    private static void ValidateJobs(string prefix, JobOptions jobs, List<string> errors)
    {
        if (jobs.Timeout <= TimeSpan.Zero || jobs.TimeToLive <= jobs.Timeout)
        {
            errors.Add($"{prefix}:Timeout must be positive and {prefix}:TimeToLive longer than it.");
        }

        if (jobs.PollInterval < JobDefaults.ShortestPollInterval || jobs.PollInterval > JobDefaults.LongestPollInterval)
        {
            errors.Add($"{prefix}:PollInterval must be between 1 second and 5 minutes.");
        }

        if (jobs.MaxConcurrency is < 1 or > JobDefaults.MaxConcurrencyLimit)
        {
            errors.Add($"{prefix}:MaxConcurrency must be between 1 and {JobDefaults.MaxConcurrencyLimit}.");
        }

        if (jobs.LeaseDuration < JobDefaults.ShortestLease)
        {
            errors.Add($"{prefix}:LeaseDuration must be at least 5 seconds.");
        }

        if (jobs.MaxDeliveries is < 1 or > JobDefaults.MaxDeliveriesLimit)
        {
            errors.Add($"{prefix}:MaxDeliveries must be between 1 and {JobDefaults.MaxDeliveriesLimit}.");
        }

        if (jobs.Memory.MaxJobs < 1 || jobs.Memory.MaxBytes < JobDefaults.SmallestMemoryMaxBytes)
        {
            errors.Add($"{prefix}:Memory:MaxJobs must be at least 1 and {prefix}:Memory:MaxBytes at least 1 MiB ({JobDefaults.SmallestMemoryMaxBytes}).");
        }

        var storage = jobs.Storage;
        if (jobs.Store == JobStoreKind.AzureStorage && string.IsNullOrWhiteSpace(storage.ConnectionString)
            && (storage.TableServiceUri is null || storage.QueueServiceUri is null || storage.BlobServiceUri is null))
        {
            errors.Add($"{prefix}:Storage:ConnectionString (or all of {prefix}:Storage:TableServiceUri, QueueServiceUri and BlobServiceUri, for managed identity) is required when {prefix}:Store is AzureStorage.");
        }

        if (storage.VisibilityTimeout < JobDefaults.ShortestVisibilityTimeout)
        {
            errors.Add($"{prefix}:Storage:VisibilityTimeout must be at least 10 seconds.");
        }
    }

    private static void ValidateCredential(string prefix, UpstreamOptions upstream, List<string> errors)
    {
        void Require(string? value, string key, string why)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{prefix}:{key} is required {why}.");
            }
        }

        var credential = upstream.Credential;
        if (credential == CredentialType.None)
        {
            return;
        }

        Require(upstream.Scope, nameof(upstream.Scope), "to request a token (e.g. api://<app-id>/.default)");
        if (credential == CredentialType.ManagedIdentity)
        {
            return;
        }

        var why = $"when {prefix}:Credential is {credential}";
        Require(upstream.TenantId, nameof(upstream.TenantId), why);
        Require(upstream.ClientId, nameof(upstream.ClientId), why);
        if (!upstream.AuthorityHost.IsAbsoluteUri || upstream.AuthorityHost.Scheme != "https")
        {
            errors.Add($"{prefix}:AuthorityHost must be an absolute https URL (MSAL only talks to https authorities).");
        }

        switch (credential)
        {
            case CredentialType.ClientSecret:
                Require(upstream.ClientSecret, nameof(upstream.ClientSecret), why);
                break;
            case CredentialType.Certificate when string.IsNullOrWhiteSpace(upstream.CertificatePath) && string.IsNullOrWhiteSpace(upstream.CertificateBase64):
                errors.Add($"{prefix}:CertificatePath or {prefix}:CertificateBase64 is required {why}.");
                break;
            case CredentialType.OnBehalfOf when string.IsNullOrWhiteSpace(upstream.ClientSecret)
                && string.IsNullOrWhiteSpace(upstream.CertificatePath) && string.IsNullOrWhiteSpace(upstream.CertificateBase64):
                errors.Add($"{prefix}:ClientSecret, {prefix}:CertificatePath or {prefix}:CertificateBase64 is required {why} (this service's own credential for the exchange).");
                break;
        }
    }

    private static void ValidateUserTokens(string prefix, UserTokenOptions userTokens, List<string> errors)
    {
        const string Why = "when an upstream's Credential is OnBehalfOf";
        if (userTokens.Authority is not { IsAbsoluteUri: true, Scheme: "https" })
        {
            errors.Add($"{prefix}:Authority is required {Why}: the https authority that issues the users' tokens, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0.");
        }

        if (string.IsNullOrWhiteSpace(userTokens.TenantId))
        {
            errors.Add($"{prefix}:TenantId is required {Why}: the tenant the users belong to.");
        }

        if (userTokens.Audiences.Count == 0 || userTokens.Audiences.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{prefix}:Audiences is required {Why}: this service's client id (and its Application ID URI for v1.0 tokens), e.g. {prefix}:Audiences:0.");
        }

        if (string.IsNullOrWhiteSpace(userTokens.RequiredScope))
        {
            errors.Add($"{prefix}:RequiredScope must not be empty: the delegated scope users' tokens carry (default access_as_user).");
        }

        if (userTokens.ClockSkew < TimeSpan.Zero || userTokens.ClockSkew > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{prefix}:ClockSkew must be between 00:00:00 and 00:10:00.");
        }

        if (userTokens.CacheBytes <= 0)
        {
            errors.Add($"{prefix}:CacheBytes must be greater than 0 (default 33554432, 32 MiB).");
        }
    }

    private static void ValidateResilience(string prefix, ResilienceOptions resilience, List<string> errors)
    {
        if (resilience.TotalTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}:TotalTimeout must be positive.");
        }

        if (resilience.AttemptTimeout <= TimeSpan.Zero || resilience.AttemptTimeout > resilience.TotalTimeout)
        {
            errors.Add($"{prefix}:AttemptTimeout must be positive and no longer than {prefix}:TotalTimeout.");
        }

        if (resilience.MaxRetries is < 0 or > ResilienceDefaults.MaxRetriesLimit)
        {
            errors.Add($"{prefix}:MaxRetries must be between 0 and {ResilienceDefaults.MaxRetriesLimit}.");
        }

        if (resilience.BaseDelay <= TimeSpan.Zero || resilience.MaxDelay < resilience.BaseDelay)
        {
            errors.Add($"{prefix}:BaseDelay must be positive and {prefix}:MaxDelay at least as long.");
        }

        if (resilience.CircuitBreakerFailureRatio is <= 0 or > 1)
        {
            errors.Add($"{prefix}:CircuitBreakerFailureRatio must be in (0, 1].");
        }

        if (resilience.CircuitBreakerMinimumThroughput < ResilienceDefaults.MinimumThroughputLimit)
        {
            errors.Add($"{prefix}:CircuitBreakerMinimumThroughput must be at least {ResilienceDefaults.MinimumThroughputLimit}.");
        }

        if (resilience.CircuitBreakerSamplingDuration < ResilienceDefaults.ShortestBreakerDuration
            || resilience.CircuitBreakerBreakDuration < ResilienceDefaults.ShortestBreakerDuration)
        {
            errors.Add($"{prefix}:CircuitBreakerSamplingDuration and CircuitBreakerBreakDuration must be at least 0.5 s.");
        }
    }
}
