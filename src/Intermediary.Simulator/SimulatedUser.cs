namespace Intermediary.Simulator;

/// <summary>
/// A user of the simulated tenant. <paramref name="Name"/> is what tests and the development grant use ("alice"); the
/// token's <c>preferred_username</c> is <c>{Name}@{tenant}.example</c>.
/// </summary>
public sealed record SimulatedUser(string Name, string ObjectId, string DisplayName);

/// <summary>What the token endpoint makes of a user's on-behalf-of request, as Entra would after its policies.</summary>
public enum UserChallenge
{
    /// <summary>The exchange succeeds.</summary>
    None,

    /// <summary>The user has not consented to the demo API for the service (AADSTS65001, suberror consent_required).</summary>
    ConsentRequired,

    /// <summary>Conditional Access asks for multi-factor authentication (AADSTS50076, with a claims challenge).</summary>
    MfaRequired,

    /// <summary>Conditional Access blocks the user (AADSTS53003, with a claims challenge).</summary>
    Blocked,
}
