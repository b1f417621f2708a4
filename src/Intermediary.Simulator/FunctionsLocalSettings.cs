using System.Text.Json;
using System.Text.Json.Nodes;

namespace Intermediary.Simulator;

/// <summary>
/// Writes a Core Tools <c>local.settings.json</c> that points the Functions app at a running simulator, so
/// <c>func start</c> works without an Azure account: the <c>demo</c> upstream with the simulator's credentials,
/// jobs in the storage emulator (the queue trigger needs storage), and trust for the simulator's generated
/// certificate, which is valid only in the Development environment and only for this simulator run.
/// </summary>
public static class FunctionsLocalSettings
{
    /// <summary>Core Tools' port for the app: not 7071, so it runs beside <c>--demo</c>.</summary>
    public const int LocalHttpPort = 7072;

    /// <summary>The storage emulator (Azurite) on its default ports.</summary>
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    /// <summary>The app settings (<c>Values</c>) for <paramref name="simulator"/>, in environment-variable form.</summary>
    public static Dictionary<string, string> Values(ApimSimulator simulator, string storageConnectionString)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentException.ThrowIfNullOrWhiteSpace(storageConnectionString);
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AzureWebJobsStorage"] = storageConnectionString,
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
            ["Intermediary__DevelopmentTrustedCertificate"] = simulator.ServerCertificate.ExportCertificatePem(),
            ["Intermediary__Jobs__Store"] = "AzureStorage",
            ["Intermediary__Jobs__Storage__ConnectionString"] = storageConnectionString,
            // The queue trigger names this setting; without it the host disables the RunJob function.
            ["Intermediary__Jobs__Storage__QueueName"] = "intermediary-jobs",
        };
        foreach (var (key, value) in SimulatorUpstream.DemoSettings(simulator))
        {
            values[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? "";
        }

        return values;
    }

    /// <summary>
    /// Writes <paramref name="path"/>, keeping every setting already there that this does not set (a maker's own
    /// upstreams survive), and returns the values written.
    /// </summary>
    public static Dictionary<string, string> Write(ApimSimulator simulator, string path, string storageConnectionString = DevelopmentStorage)
    {
        var root = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? [] : [];
        var existing = Section(root, "Values");
        foreach (var (key, value) in Values(simulator, storageConnectionString))
        {
            existing[key] = value;
        }

        root["IsEncrypted"] = false;
        Section(root, "Host")["LocalHttpPort"] = LocalHttpPort;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
        return existing.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal);
    }

    /// <summary>The object at <paramref name="name"/> in <paramref name="root"/>, added when missing or not an object.</summary>
    private static JsonObject Section(JsonObject root, string name)
    {
        if (root[name] is not JsonObject section)
        {
            section = [];
            root[name] = section;
        }

        return section;
    }
}
