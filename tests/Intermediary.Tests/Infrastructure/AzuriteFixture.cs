using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Intermediary.Configuration;
using Intermediary.Tests.Configuration;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// A real Azurite (Azure Storage emulator) process on free loopback ports, in-memory, for the Azure job store
/// tests. ./test.sh installs it (eng/azurite); a missing Azurite fails these tests rather than skipping them.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;

    public string ConnectionString => _azurite?.ConnectionString ?? "";

    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartAsync(persistIn: null);

    /// <summary>Storage settings with names unique to one test, so tests never see each other's jobs.</summary>
    public JobStorageOptions FreshStorage() => _azurite!.FreshStorage();

    public Task DisposeAsync()
    {
        _azurite?.Stop();
        return Task.CompletedTask;
    }
}

/// <summary>
/// One Azurite process: in memory, or persisted to a folder so that it can be stopped (killed) and started again
/// on the same ports with its data intact — a storage outage and recovery, for the fault tests.
/// </summary>
public sealed class AzuriteProcess
{
    // Azurite's well-known development account; it is public and only ever valid against the emulator.
    private const string Account = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly string? _location;
    private readonly (int Blob, int Queue, int Table) _ports;
    private Process? _process;

    private AzuriteProcess(string? location)
    {
        _location = location;
        _ports = (FreePort(), FreePort(), FreePort());
        ConnectionString = ConnectionStringFor(_ports.Blob, _ports.Queue, _ports.Table);
    }

    public string ConnectionString { get; }

    public (int Blob, int Queue, int Table) Ports => _ports;

    /// <summary>The emulator account at these ports (e.g. of proxies in front of it).</summary>
    public static string ConnectionStringFor(int blob, int queue, int table) =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{blob}/{Account};QueueEndpoint=http://127.0.0.1:{queue}/{Account};TableEndpoint=http://127.0.0.1:{table}/{Account};";

    /// <param name="persistIn">A folder to keep data in across restarts; null keeps everything in memory.</param>
    public static async Task<AzuriteProcess> StartAsync(string? persistIn)
    {
        var azurite = new AzuriteProcess(persistIn);
        await azurite.StartAgainAsync();
        return azurite;
    }

    /// <summary>Starts the process (again) on the same ports and data folder.</summary>
    public async Task StartAgainAsync()
    {
        var executable = Environment.GetEnvironmentVariable("AZURITE_PATH")
            ?? Path.Combine(SampleSettingsTests.RepositoryRoot(), "eng", "azurite", "node_modules", ".bin", "azurite");
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Azurite was not found at {executable}. Run ./test.sh (it installs Azurite with npm into eng/azurite) or set AZURITE_PATH.");
        }

        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--silent", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", $"{_ports.Blob}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{_ports.Queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{_ports.Table}",
        }.Concat(_location is null ? ["--inMemoryPersistence"] : ["--location", _location]))
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        foreach (var port in new[] { _ports.Blob, _ports.Queue, _ports.Table })
        {
            await WaitForPortAsync(port);
        }
    }

    /// <summary>Storage settings with names unique to one test, so tests never see each other's jobs.</summary>
    public JobStorageOptions FreshStorage()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        return new JobStorageOptions
        {
            ConnectionString = ConnectionString,
            TableName = "jobs" + suffix,
            QueueName = "jobs-" + suffix,
            ContainerName = "jobs-" + suffix,
            VisibilityTimeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>
    /// Stops the process as a service restart does (SIGTERM), so Azurite writes its data to the folder first: a
    /// storage outage, not a storage failure that loses committed writes (which real Azure Storage does not).
    /// </summary>
    public async Task StopGracefullyAsync()
    {
        if (_process is { HasExited: false } process)
        {
            using var signal = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await signal!.WaitForExitAsync();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(exited.Token);
            }
            catch (OperationCanceledException)
            {
                var connections = Process.Start(new ProcessStartInfo("ss", "-tnp") { RedirectStandardOutput = true })!;
                var listing = await connections.StandardOutput.ReadToEndAsync();
                throw new TimeoutException($"Azurite did not stop within 30 s of SIGTERM; open connections:\n{listing}");
            }
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Kills the process (and its children) at once, as a crash would.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
    }

    private async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 300; i++)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"Azurite did not listen on port {port} within 30 s.");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteTests : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
