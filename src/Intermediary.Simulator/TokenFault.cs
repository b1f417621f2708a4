namespace Intermediary.Simulator;

/// <summary>
/// An Entra error the token endpoint answers instead of issuing a token, e.g.
/// <c>new(503, "temporarily_unavailable", "AADSTS50196: The server is busy...", 50196)</c>.
/// </summary>
public sealed record TokenFault(int StatusCode, string Error, string Description, int AadstsCode);
