using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Intermediary.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Intermediary.Tokens;

/// <summary>
/// Checks the user's token a caller presents for an on-behalf-of upstream, with Microsoft's identity libraries: the
/// signature against the authority's published keys (fetched and refreshed by a configuration manager), issuer,
/// audience and lifetime (on the injected clock), then the tenant, the delegated scope and that it is a user's token.
/// Neither the token nor anything read from it is logged; only the kind of failure is.
/// </summary>
internal sealed partial class UserTokenValidator
{
    private const string Scheme = "Bearer ";

    private readonly UserTokenOptions _options;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _metadata;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public UserTokenValidator(UserTokenOptions options, HttpClient metadataClient, TimeProvider time, ILogger<UserTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Authority);
        _options = options;
        _time = time;
        _logger = logger;
        var address = options.Authority.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration";
        _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            address, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(metadataClient) { RequireHttps = true });
    }

    /// <summary>The user behind the <c>Authorization</c> header's bearer token, or why there is none.</summary>
    public async Task<UserValidation> ValidateAsync(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            || authorization.AsSpan(Scheme.Length).Trim().IsEmpty)
        {
            return UserValidation.Failed(UserTokenProblem.Missing);
        }

        var token = authorization[Scheme.Length..].Trim();
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ConfigurationManager = _metadata,
            ValidAudiences = _options.Audiences,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            // The library's own lifetime check reads the system clock; this one reads ours.
            LifetimeValidator = CheckLifetime,
        });
        if (!result.IsValid)
        {
            var problem = result.Exception is SecurityTokenExpiredException ? UserTokenProblem.Expired : UserTokenProblem.Invalid;
            var reason = result.Exception?.GetType().Name ?? "none";
            LogRejected(_logger, problem, reason);

            return UserValidation.Failed(problem);
        }

        var claims = result.Claims;
        var problemAfter = !string.Equals(Claim(claims, "tid"), _options.TenantId, StringComparison.OrdinalIgnoreCase) ? UserTokenProblem.WrongTenant
            : Claim(claims, "scp") is not { } scopes ? UserTokenProblem.NotAUser
            : !scopes.Split(' ').Contains(_options.RequiredScope, StringComparer.Ordinal) ? UserTokenProblem.MissingScope
            : Claim(claims, "oid") is null ? UserTokenProblem.NotAUser
            : (UserTokenProblem?)null;
        if (problemAfter is { } rejected)
        {
            LogRejected(_logger, rejected, "claims");
            return UserValidation.Failed(rejected);
        }

        return new UserValidation(new ValidatedUser(Claim(claims, "oid")!, Claim(claims, "tid")!, token), null);
    }

    private bool CheckLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is not { } end || end.Add(_options.ClockSkew) <= now)
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = expires ?? DateTime.MinValue };
        }

        if (notBefore is { } start && start.Subtract(_options.ClockSkew) > now)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = start };
        }

        return true;
    }

    private static string? Claim(IDictionary<string, object> claims, string name) =>
        claims.TryGetValue(name, out var value) ? value as string : null;

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "A caller's user token was refused: {Problem} ({Reason})")]
    private static partial void LogRejected(ILogger logger, UserTokenProblem problem, string reason);
}

/// <summary>Why a caller's user token was refused.</summary>
internal enum UserTokenProblem
{
    /// <summary>No <c>Authorization: Bearer</c> token at all.</summary>
    Missing,

    /// <summary>Past its expiry (beyond the allowed clock skew).</summary>
    Expired,

    /// <summary>Not a token this service accepts: signature, issuer, audience, algorithm or format.</summary>
    Invalid,

    /// <summary>Issued to a user of another tenant.</summary>
    WrongTenant,

    /// <summary>A user's token without the required delegated scope.</summary>
    MissingScope,

    /// <summary>An application's own token (no delegated scope or no user object id): there is no user to act for.</summary>
    NotAUser,
}

/// <summary>A user whose token checked out. <see cref="Partition"/> identifies the token itself, as MSAL's on-behalf-of cache does.</summary>
internal sealed record ValidatedUser(string ObjectId, string TenantId, string Token)
{
    /// <summary>Base64url SHA-256 of the token: keys per-token work (the exchange) without holding the token as a key.</summary>
    public string Partition { get; } = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(Token)));

    // The token is a credential: keep it out of any string a log or an exception might carry.
    public override string ToString() => $"ValidatedUser {{ ObjectId = {ObjectId}, TenantId = {TenantId} }}";
}

/// <summary>The outcome of <see cref="UserTokenValidator.ValidateAsync"/>: a user or a problem.</summary>
internal sealed record UserValidation(ValidatedUser? User, UserTokenProblem? Problem)
{
    public static UserValidation Failed(UserTokenProblem problem) => new(null, problem);
}
