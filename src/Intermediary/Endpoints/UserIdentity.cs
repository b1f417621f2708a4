using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Tokens;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Endpoints;

/// <summary>
/// For upstreams called on behalf of the signed-in user (<see cref="CredentialType.OnBehalfOf"/>): checks the user's
/// token the caller sends in <c>Authorization: Bearer</c> and attaches the user to the request, or answers
/// <see cref="EnvelopeCode.Unauthenticated"/> before anything is sent anywhere. This comes on top of the caller key
/// (function key), never instead of it. Other upstreams pass through untouched.
/// </summary>
internal sealed class UserIdentity
{
    private readonly IOptions<IntermediaryOptions> _options;
    private readonly Lazy<UserTokenValidator> _validator;

    public UserIdentity(IOptions<IntermediaryOptions> options, IHttpClientFactory httpClientFactory, TimeProvider time, ILogger<UserTokenValidator> logger)
    {
        _options = options;
        // Built on first use: only configurations with an OnBehalfOf upstream have (and validate) UserTokens settings.
        // The metadata is fetched with MSAL's client, which trusts what MSAL trusts (the development certificate too).
        _validator = new(() => new UserTokenValidator(
            options.Value.UserTokens, httpClientFactory.CreateClient(MsalHttpClientFactory.ClientName), time, logger));
    }

    public async ValueTask<Intake> AttachAsync(Intake intake, HttpRequest http)
    {
        if (intake.Request is not { } request || _options.Value.Upstreams[request.Upstream].Credential != CredentialType.OnBehalfOf)
        {
            return intake;
        }

        var (user, failure) = await IdentifyAsync(http);
        return user is not null
            ? intake with { Request = request with { User = user } }
            : new Intake(null, failure! with { CorrelationId = request.CorrelationId });
    }

    /// <summary>The signed-in user the caller's token names, or the <see cref="EnvelopeCode.Unauthenticated"/> answer.</summary>
    public async Task<(ValidatedUser? User, Envelope? Failure)> IdentifyAsync(HttpRequest http)
    {
        var validation = await _validator.Value.ValidateAsync(http.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null);
        return validation.User is { } user
            ? (user, null)
            : (null, Envelope.Failure(EnvelopeCode.Unauthenticated, Message(validation.Problem!.Value)));
    }

    private static string Message(UserTokenProblem problem) => problem switch
    {
        UserTokenProblem.Missing => "This upstream is called on behalf of the signed-in user: send the user's token as 'Authorization: Bearer <token>' (a connector with Microsoft Entra ID sign-in does).",
        UserTokenProblem.Expired => "The user's token has expired; sign in again.",
        UserTokenProblem.WrongTenant => "The user's token is from another tenant than this service accepts.",
        UserTokenProblem.MissingScope => "The user's token does not carry the delegated scope this service requires.",
        UserTokenProblem.NotAUser => "The token is an application's, not a signed-in user's; this upstream is called on behalf of a user.",
        _ => "The user's token is not valid for this service.",
    };
}
