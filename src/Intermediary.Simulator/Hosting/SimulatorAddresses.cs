namespace Intermediary.Simulator.Hosting;

/// <summary>Base addresses, known for certain only once Kestrel has bound its ports.</summary>
internal sealed class SimulatorAddresses(SimulatorOptions options)
{
    public Uri HttpBase { get; set; } = new($"http://127.0.0.1:{options.HttpPort}/");

    public Uri HttpsBase { get; set; } = new($"https://localhost:{options.HttpsPort}/");

    public string Issuer(string tenant) => $"{HttpsBase}{tenant}/v2.0";

    public string TokenEndpoint(string tenant) => $"{HttpsBase}{tenant}/oauth2/v2.0/token";
}
