using Intermediary.Security;

namespace Intermediary.Configuration;

/// <summary>
/// The rules for an upstream's response cache.
/// Each error names the configuration key that fixes it.
/// </summary>
internal static class CacheOptionsValidator
{
    /// <param name="prefix">The configuration key of <paramref name="cache"/>, which every message starts with.</param>
    public static void Validate(string prefix, CacheOptions cache, ICollection<string> errors)
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
            errors.Add($"{prefix}:Ttl must be greater than 0 and at most {CacheOptions.LongestTtl:c}.");
        }

        if (cache.StaleIfError < TimeSpan.Zero || cache.StaleIfError > CacheOptions.LongestStaleIfError)
        {
            errors.Add($"{prefix}:StaleIfError must be between 00:00:00 and {CacheOptions.LongestStaleIfError:c}.");
        }

        // Not checked against MaxResponseBodyBytes: a larger body never arrives, so the smaller of the two applies.
        if (cache.MaxEntryBytes <= 0)
        {
            errors.Add($"{prefix}:MaxEntryBytes must be greater than 0.");
        }
    }
}
