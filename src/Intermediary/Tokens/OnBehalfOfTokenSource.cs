using Microsoft.Identity.Client;
using Microsoft.Identity.Client.Extensibility;

namespace Intermediary.Tokens;

/// <summary>
/// Exchanges a validated user's token for one for an upstream's scope (the OAuth 2.0 on-behalf-of flow) with MSAL,
/// whose user token cache answers repeats of the same user token. Concurrent exchanges of the same token for the same
/// scope share one request — keyed by the token's hash, the partition MSAL itself uses, so one user's answer can never
/// reach another user or even another token of the same user (a newer token may satisfy a policy an older one did not).
/// Failures say who has to act: the user (<see cref="TokenFailureKind.Unauthenticated"/>,
/// <see cref="TokenFailureKind.ConsentRequired"/>, <see cref="TokenFailureKind.InteractionRequired"/> with the
/// claims challenge) or the operator (<see cref="TokenFailureKind.TokenAcquisitionFailed"/> with the AADSTS code).
/// </summary>
internal sealed class OnBehalfOfTokenSource(IConfidentialClientApplication application)
{
    // Entra's codes for an assertion or a session that cannot be used: expired, failed validation, refresh token gone.
    private static readonly HashSet<string> s_userMustSignIn = new(StringComparer.Ordinal) { "AADSTS500133", "AADSTS50013", "AADSTS700082", "AADSTS50173" };

    private readonly SingleFlight<(string Scope, string Partition), TokenResult> _exchanges = new();

    /// <summary>Exchanges currently in flight (one per distinct scope and user token).</summary>
    public int InFlight => _exchanges.InFlightCount;

    public Task<TokenResult> AcquireAsync(string scope, ValidatedUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return _exchanges.RunAsync((scope, user.Partition), key => ExchangeAsync(key.Scope, user.Token), cancellationToken);
    }

    /// <summary>
    /// Starts a job's long-running session for <paramref name="user"/>: exchanges the user's token now and keeps the
    /// result, refresh token included, under the job's session key, so the job can act for the user after the user's
    /// own token has expired (MSAL refreshes from the session).
    /// </summary>
    public Task<TokenResult> StartSessionAsync(string scope, ValidatedUser user, string jobId)
    {
        ArgumentNullException.ThrowIfNull(user);
        var sessionKey = UserTokenCache.SessionKeyFor(jobId);
        return MsalTokenSource.RunAsync(
            () => LongRunning.InitiateLongRunningProcessInWebApi([scope], user.Token, ref sessionKey).ExecuteAsync(CancellationToken.None),
            "Could not start acting on behalf of the user for the job: ",
            ForUser);
    }

    /// <summary>A token for the job's user from the job's session: cached, else refreshed with the session's refresh token.</summary>
    public Task<TokenResult> AcquireForSessionAsync(string scope, string jobId) =>
        MsalTokenSource.RunAsync(
            () => LongRunning.AcquireTokenInLongRunningProcess([scope], UserTokenCache.SessionKeyFor(jobId)).ExecuteAsync(CancellationToken.None),
            "Could not get an access token on behalf of the job's user: ",
            ForUser);

    /// <summary>Ends a job's session: its tokens are removed (and with them the stored session).</summary>
    public Task<bool> EndSessionAsync(string jobId) =>
        LongRunning.StopLongRunningProcessInWebApiAsync(UserTokenCache.SessionKeyFor(jobId), CancellationToken.None);

    // MSAL's confidential client implements the long-running flow, but its interface does not include it.
    private ILongRunningWebApi LongRunning => (ILongRunningWebApi)application;

    // Shared by every waiter, so no one caller's cancellation; the token HttpClient's timeout bounds it.
    private Task<TokenResult> ExchangeAsync(string scope, string userToken) =>
        MsalTokenSource.RunAsync(
            () => application.AcquireTokenOnBehalfOf([scope], new UserAssertion(userToken)).ExecuteAsync(CancellationToken.None),
            "Could not get an access token on behalf of the user: ",
            ForUser);

    /// <summary>What the user has to do, from Entra's answer: the claims challenge first, then consent, then sign-in.</summary>
    internal static TokenFailure ForUser(MsalUiRequiredException ex)
    {
        var code = MsalTokenSource.AadstsCode(ex.Message) ?? ex.ErrorCode;
        var detail = MsalTokenSource.FirstSentence(ex.Message, code);
        var status = ex.StatusCode == 0 ? (int?)null : ex.StatusCode;
        if (!string.IsNullOrEmpty(ex.Claims))
        {
            return new TokenFailure($"The user must sign in again to satisfy a policy: {detail}", code, status, false)
            {
                Kind = TokenFailureKind.InteractionRequired,
                Claims = ex.Claims,
            };
        }

        if (ex.Classification == UiRequiredExceptionClassification.ConsentRequired || code == "AADSTS65001")
        {
            return new TokenFailure($"The user has not consented to this service calling the upstream for them: {detail}", code, status, false)
            {
                Kind = TokenFailureKind.ConsentRequired,
            };
        }

        return s_userMustSignIn.Contains(code)
            ? new TokenFailure($"The user's sign-in can no longer be used: {detail}", code, status, false) { Kind = TokenFailureKind.Unauthenticated }
            : new TokenFailure($"Could not get an access token on behalf of the user: {detail}", code, status, false) { Kind = TokenFailureKind.InteractionRequired };
    }
}
