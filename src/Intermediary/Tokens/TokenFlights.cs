using System.Collections.Concurrent;

namespace Intermediary.Tokens;

/// <summary>
/// One token request at a time per credential and scope, and one forced refresh per rejected token: the callers of a
/// stampede share one request, and callers whose token the upstream rejected share one refresh, even when some of
/// them arrive after it finished.
/// </summary>
internal sealed class TokenFlights
{
    private readonly SingleFlight<(string Source, string Scope, bool Force), TokenResult> _flight = new();

    // The last forced refresh per credential and scope. It is recorded inside the refresh's own flight, before the
    // flight ends, so a caller either joins that flight or, starting the next one, finds its result here.
    private readonly ConcurrentDictionary<(string Source, string Scope), (string Rejected, TokenResult Replacement)> _lastRefresh = new();

    /// <summary>
    /// A token for <paramref name="scope"/> from the credential <paramref name="sourceKey"/>. When the upstream
    /// rejected <paramref name="rejectedToken"/> and the source still hands it out, it is refreshed once.
    /// <paramref name="acquire"/> asks the source (scope, force refresh).
    /// </summary>
    public async Task<TokenResult> GetAsync(
        string sourceKey, string scope, string? rejectedToken, Func<string, bool, Task<TokenResult>> acquire, CancellationToken cancellationToken)
    {
        var result = await _flight.RunAsync((sourceKey, scope, false), key => acquire(key.Scope, false), cancellationToken);
        if (rejectedToken is null || !result.Succeeded || !string.Equals(result.AccessToken, rejectedToken, StringComparison.Ordinal))
        {
            return result;
        }

        // The upstream rejected the token the source still considers valid (revoked, clock skew, key roll).
        return await _flight.RunAsync((sourceKey, scope, true), async key =>
        {
            if (_lastRefresh.TryGetValue((key.Source, key.Scope), out var last) && string.Equals(last.Rejected, rejectedToken, StringComparison.Ordinal))
            {
                return last.Replacement;
            }

            var refreshed = await acquire(key.Scope, true);
            if (refreshed.Succeeded)
            {
                _lastRefresh[(key.Source, key.Scope)] = (rejectedToken, refreshed);
            }

            return refreshed;
        }, cancellationToken);
    }
}
