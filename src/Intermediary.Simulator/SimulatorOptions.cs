using System.Security.Cryptography.X509Certificates;

namespace Intermediary.Simulator;

/// <summary>
/// Identity, credentials and behaviour of the simulated Entra tenant and APIM gateway.
/// Values are read on every request, so a test may change them after start (except the ports).
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>The only tenant the token endpoint knows.</summary>
    public string TenantId { get; set; } = "sim-tenant";

    /// <summary>The only client (app registration) the token endpoint knows.</summary>
    public string ClientId { get; set; } = "11111111-2222-3333-4444-555555555555";

    /// <summary>The client secret accepted for <see cref="ClientId"/>; a fake placeholder.</summary>
    public string ClientSecret { get; set; } = "sim-client-secret-placeholder";

    /// <summary>Application ID URI of the demo API; the accepted scope is this plus "/.default".</summary>
    public string Audience { get; set; } = "api://intermediary-demo";

    /// <summary>The only APIM subscription key the gateway accepts; a fake placeholder.</summary>
    public string SubscriptionKey { get; set; } = "sim-subscription-key-placeholder";

    /// <summary>When set, client_assertion JWTs signed by this certificate's key (RS256 or PS256) are accepted.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>
    /// The app trusts <see cref="ClientCertificate"/> by subject name and issuer: an assertion must then carry that
    /// certificate in its x5c header, as Entra requires for such registrations.
    /// </summary>
    public bool RequireCertificateChain { get; set; }

    /// <summary>When set, a client_assertion equal to this string is accepted (workload identity federation).</summary>
    public string? FederatedAssertion { get; set; }

    /// <summary>The secret Azure.Identity sends as X-IDENTITY-HEADER to the managed identity endpoint (/msi/token).</summary>
    public string ManagedIdentityHeader { get; set; } = "sim-identity-header-placeholder";

    /// <summary>Client id the simulated managed identity reports (and puts in its tokens' appid).</summary>
    public string ManagedIdentityClientId { get; set; } = "99999999-8888-7777-6666-555555555555";

    /// <summary>
    /// Client ids of the user-assigned managed identities the simulated app has: asked for one of them (Azure.Identity
    /// sends <c>client_id</c>), the endpoint issues that identity's token; asked for another, it refuses as App Service
    /// does. Without <c>client_id</c> it answers for the system-assigned identity (<see cref="ManagedIdentityClientId"/>).
    /// </summary>
    public IList<string> UserAssignedIdentityClientIds { get; } = ["0a551900-0000-4000-8000-000000000001"];

    /// <summary>
    /// When false the gateway skips validate-jwt (an API protected by its subscription key only), for callers that
    /// cannot trust the simulator's self-signed token endpoint, e.g. a service started as a separate process.
    /// </summary>
    public bool RequireBearerToken { get; set; } = true;

    /// <summary>
    /// The client id of the app that signs users in and calls the service for them (a custom connector's app
    /// registration): the <c>azp</c> of the user tokens the development grant issues.
    /// </summary>
    public string ConnectorClientId { get; set; } = "33333333-4444-5555-6666-777777777777";

    /// <summary>
    /// The tenant's users: the development grant (POST /{tenant}/dev/user-token) issues their tokens for the
    /// service, and the on-behalf-of grant exchanges those for the demo API. Alice and Bob by default.
    /// </summary>
    public IList<SimulatedUser> Users { get; } =
    [
        new("alice", "a11ce000-0000-4000-8000-00000000a11c", "Alice Example"),
        new("bob", "b0b00000-0000-4000-8000-000000000b0b", "Bob Example"),
    ];

    /// <summary>
    /// When set, APIM's rate-limit-by-key policy keyed by the user's object id (<c>oid</c>) over the whole demo API:
    /// this many calls per <see cref="RateLimitPeriod"/> per user for requests carrying a user's (delegated) token.
    /// Null (the default): no per-user limit.
    /// </summary>
    public int? UserRateLimitCalls { get; set; }

    /// <summary>Lifetime of issued access tokens.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Calls allowed per <see cref="RateLimitPeriod"/> per subscription key on /faults/ratelimit.</summary>
    public int RateLimitCalls { get; set; } = 3;

    /// <summary>
    /// When set, APIM's rate-limit policy over the whole demo API (as at product scope): this many calls per
    /// <see cref="RateLimitPeriod"/> per subscription key, every operation counted; the rest get APIM's 429 with
    /// Retry-After. Null (the default): no limit.
    /// </summary>
    public int? ApiRateLimitCalls { get; set; }

    /// <summary>Fixed rate-limit window, starting at the first call of a window.</summary>
    public TimeSpan RateLimitPeriod { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Clock for token lifetimes, JWT validation, rate-limit windows, quota text, /faults/slow, /jobs/slow and the
    /// progress of long-running operations (/lro).
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loopback HTTP port; 0 picks a free one.</summary>
    public int HttpPort { get; set; }

    /// <summary>Loopback HTTPS port; 0 picks a free one.</summary>
    public int HttpsPort { get; set; }
}
