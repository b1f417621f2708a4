namespace Intermediary.Tokens;

/// <summary>Bearer tokens for upstreams. Expected failures are values, not exceptions.</summary>
internal interface ITokenProvider
{
    /// <summary>
    /// A token for the upstream's scope, from cache when possible. Pass the token the upstream just rejected to get
    /// a fresh one: if the cache already holds a different token it is returned, otherwise one forced refresh runs.
    /// </summary>
    Task<TokenResult> GetTokenAsync(string upstream, string? rejectedToken, CancellationToken cancellationToken);

    /// <summary>
    /// A token for the upstream's scope on behalf of <paramref name="user"/> (an upstream whose credential is
    /// OnBehalfOf), exchanged once per distinct user token and then answered from MSAL's user token cache.
    /// </summary>
    Task<TokenResult> GetUserTokenAsync(string upstream, ValidatedUser user, CancellationToken cancellationToken);

    /// <summary>
    /// Starts job <paramref name="jobId"/>'s long-running session for <paramref name="user"/> (an OnBehalfOf
    /// upstream): the user's token is exchanged now, and the job acts for the user from the session from then on,
    /// on any instance, after the user's own token has expired.
    /// </summary>
    Task<TokenResult> StartUserSessionAsync(string upstream, ValidatedUser user, string jobId, CancellationToken cancellationToken);

    /// <summary>A token for the job's user from its session (refreshed from it when due).</summary>
    Task<TokenResult> GetSessionTokenAsync(string upstream, string jobId, CancellationToken cancellationToken);

    /// <summary>Ends the job's session once the job has ended. Never throws for an unreachable store.</summary>
    Task EndUserSessionAsync(string upstream, string jobId);
}

/// <summary>A token, or why there is none. <see cref="AccessToken"/> is null with <see cref="CredentialNotNeeded"/>.</summary>
internal sealed record TokenResult(string? AccessToken, TokenFailure? Failure)
{
    /// <summary>True when MSAL answered from its cache without calling the identity provider.</summary>
    public bool FromCache { get; init; }

    /// <summary>When the token stops being valid, as its issuer said.</summary>
    public DateTimeOffset? ExpiresOn { get; init; }

    /// <summary>When the issuer (or MSAL) wants it refreshed ahead of expiry, if it said.</summary>
    public DateTimeOffset? RefreshOn { get; init; }

    public static readonly TokenResult CredentialNotNeeded = new(null, null);

    /// <summary>
    /// The Authorization header value, built once per token rather than once per request; null when there is no
    /// token or it holds characters a header cannot carry as is (then the validating header type is used).
    /// </summary>
    public string? AuthorizationHeader { get; } =
        AccessToken is { Length: > 0 } token && !token.AsSpan().ContainsAnyExceptInRange((char)0x21, (char)0x7E) ? "Bearer " + token : null;

    public bool Succeeded => Failure is null;
}

/// <summary>A token failure safe to show: never contains the secret, the assertion or a token.</summary>
internal sealed record TokenFailure(string Message, string? ErrorCode, int? HttpStatus, bool Retryable)
{
    /// <summary>What the caller can do about it; only an on-behalf-of exchange fails as anything but the default.</summary>
    public TokenFailureKind Kind { get; init; } = TokenFailureKind.TokenAcquisitionFailed;

    /// <summary>With <see cref="TokenFailureKind.InteractionRequired"/>: the claims challenge (JSON) the user's next sign-in must satisfy.</summary>
    public string? Claims { get; init; }
}

/// <summary>Who has to act on a token failure.</summary>
internal enum TokenFailureKind
{
    /// <summary>The service's credential or the identity provider: an operator's problem, or a passing one when retryable.</summary>
    TokenAcquisitionFailed,

    /// <summary>The user's token or session cannot be used (expired, revoked, not for this service): the user signs in again.</summary>
    Unauthenticated,

    /// <summary>The user (or an administrator) has not consented to the upstream's permissions for this service.</summary>
    ConsentRequired,

    /// <summary>A policy wants more from the user's sign-in, e.g. multi-factor authentication; see <see cref="TokenFailure.Claims"/>.</summary>
    InteractionRequired,
}
