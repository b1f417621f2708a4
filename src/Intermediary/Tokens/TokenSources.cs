using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Identity;
using Microsoft.Identity.Client;

namespace Intermediary.Tokens;

/// <summary>One credential's way of getting tokens; shared by every upstream that uses the same credential.</summary>
internal interface ITokenSource
{
    Task<TokenResult> AcquireAsync(string scope, bool forceRefresh);
}

/// <summary>MSAL confidential client (secret, certificate or assertion); MSAL's in-memory app cache does the caching.</summary>
internal sealed partial class MsalTokenSource(IConfidentialClientApplication application) : ITokenSource
{
    private const string FailurePrefix = "Could not get an access token from Microsoft Entra ID: ";

    // The shared acquisition is not tied to any one caller's cancellation (see SingleFlight); the token HttpClient's
    // timeout bounds it.
    public Task<TokenResult> AcquireAsync(string scope, bool forceRefresh) =>
        RunAsync(() => application.AcquireTokenForClient([scope]).WithForceRefresh(forceRefresh).ExecuteAsync(CancellationToken.None), FailurePrefix);

    /// <summary>
    /// Runs one MSAL acquisition and turns its outcome into a <see cref="TokenResult"/>: the token, or a failure that
    /// starts with <paramref name="failurePrefix"/> and carries the AADSTS code. A flow whose user can act on a
    /// "UI required" answer passes <paramref name="forUser"/> to say how.
    /// </summary>
    internal static async Task<TokenResult> RunAsync(
        Func<Task<AuthenticationResult>> acquire, string failurePrefix, Func<MsalUiRequiredException, TokenFailure>? forUser = null)
    {
        try
        {
            var result = await acquire();
            return new TokenResult(result.AccessToken, null)
            {
                FromCache = result.AuthenticationResultMetadata.TokenSource == TokenSource.Cache,
                ExpiresOn = result.ExpiresOn,
                RefreshOn = result.AuthenticationResultMetadata.RefreshOn,
            };
        }
        catch (MsalUiRequiredException ex) when (forUser is not null)
        {
            return new TokenResult(null, forUser(ex));
        }
        catch (MsalClientException ex) when (ex.ErrorCode == MsalError.OboCacheKeyNotInCacheError)
        {
            return new TokenResult(null, new TokenFailure(
                failurePrefix + "the user's session for this job has ended or can no longer be read here; the user starts the job again.",
                "UserSessionEnded", null, false)
            {
                Kind = TokenFailureKind.Unauthenticated,
            });
        }
        catch (UserSessionUnavailableException)
        {
            return Failed(failurePrefix, "the store that keeps the user's session could not be reached.", "UserSessionUnavailable", null, retryable: true);
        }
        catch (MsalServiceException ex)
        {
            var code = AadstsCode(ex.Message) ?? ex.ErrorCode;
            var retryable = ex.StatusCode is 429 or >= 500 || ex.IsRetryable;
            return Failed(failurePrefix, FirstSentence(ex.Message, code), code, ex.StatusCode == 0 ? null : ex.StatusCode, retryable);
        }
        catch (MsalClientException ex)
        {
            // Client-side problems (bad certificate, unreachable authority) carry no secret in ErrorCode.
            return Failed(failurePrefix, $"the token request could not be made ({ex.ErrorCode}).", ex.ErrorCode, null, retryable: false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return Failed(failurePrefix, "the identity provider could not be reached.", null, null, retryable: true);
        }
    }

    internal static string? AadstsCode(string? text) =>
        text is null ? null : AadstsPattern().Match(text) is { Success: true } match ? match.Value : null;

    /// <summary>Entra's description up to the first sentence: enough to act on, without trace ids or timestamps.</summary>
    internal static string FirstSentence(string message, string? code)
    {
        var start = code is not null ? message.IndexOf(code, StringComparison.Ordinal) : -1;
        var text = start >= 0 ? message[start..] : message;
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        text = end >= 0 ? text[..(end + 1)] : text;
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    private static TokenResult Failed(string prefix, string detail, string? code, int? status, bool retryable) =>
        new(null, new TokenFailure(prefix + detail, code, status, retryable));

    [GeneratedRegex(@"AADSTS\d{4,}", RegexOptions.CultureInvariant)]
    private static partial Regex AadstsPattern();
}

/// <summary>Azure.Identity managed identity: the token is for the upstream's scope directly.</summary>
internal sealed class ManagedIdentityTokenSource(TokenCredential credential) : ITokenSource
{
    public async Task<TokenResult> AcquireAsync(string scope, bool forceRefresh)
    {
        try
        {
            // Managed identity tokens cannot be force-refreshed; Azure.Identity caches and renews them itself.
            var token = await credential.GetTokenAsync(new TokenRequestContext([scope]), CancellationToken.None);
            return new TokenResult(token.Token, null) { ExpiresOn = token.ExpiresOn, RefreshOn = token.RefreshOn };
        }
        catch (CredentialUnavailableException)
        {
            return new TokenResult(null, new TokenFailure(
                "Could not get an access token: no managed identity is available to this app.", "ManagedIdentityUnavailable", null, false));
        }
        catch (AuthenticationFailedException ex)
        {
            var code = MsalTokenSource.AadstsCode(ex.Message);
            return new TokenResult(null, new TokenFailure(
                "Could not get an access token with the managed identity" + (code is null ? "." : $" ({code})."), code, null, true));
        }
    }
}
