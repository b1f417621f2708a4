namespace Intermediary.Tokens;

/// <summary>
/// Supplies signed client assertions for upstreams configured with <c>Credential=ClientAssertion</c>
/// (e.g. a workload identity token). Register one implementation in DI.
/// </summary>
public interface IClientAssertionProvider
{
    Task<string> GetAssertionAsync(string upstream, CancellationToken cancellationToken);
}
