using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Intermediary.Tests.Configuration;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// The Functions app (a <c>dotnet publish</c> of src/Intermediary.Functions) under a real Azure Functions host
/// process: the host's routing, key checks, worker channel and triggers, configured only through environment
/// variables as app settings are in Azure. Found as <see cref="Locate"/> says.
/// </summary>
public sealed class FunctionsHost : IScenarioHost, IAsyncDisposable
{
    public const string FunctionKey = "functions-test-key-0123456789";
    public const string MasterKey = "functions-test-master-0123456789";
    private static readonly Lazy<Task<string>> PublishedApp = new(PublishAppAsync);
    private readonly HostCommand _command;
    private readonly string _appPath;
    private readonly string _secrets;
    private readonly Dictionary<string, string?> _settings;
    private ChildProcess? _process;
    private CancellationTokenSource? _supervision;
    private Task _supervisor = Task.CompletedTask;

    private FunctionsHost(HostCommand command, string appPath, Dictionary<string, string?> settings, Intermediary.Simulator.ApimSimulator simulator)
    {
        _command = command;
        _appPath = appPath;
        _settings = settings;
        Simulator = simulator;
        _secrets = Directory.CreateTempSubdirectory("intermediary-functions-secrets-").FullName;
        BaseAddress = new Uri($"http://127.0.0.1:{AzuriteProcess.FreePort()}/");
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public string Name => "Functions";

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public Intermediary.Simulator.ApimSimulator Simulator { get; }

    string IScenarioHost.FunctionKey => FunctionKey;

    /// <summary>The host checks function keys itself and answers a missing or wrong key with a bare 401.</summary>
    public bool AnswersMissingKeyWithEnvelope => false;

    /// <summary>Statuses the host answered by itself (empty body) while its worker was down, in order.</summary>
    public System.Collections.Concurrent.ConcurrentBag<int> HostAnswersWithoutWorker { get; } = [];

    /// <summary>Host and worker output, for failure messages.</summary>
    public string Output => _process?.Output ?? "";

    /// <summary>
    /// Where a host is: <c>FUNCTIONS_HOST_PATH</c> (a <c>run</c> script with the functions-host interface, a folder
    /// holding one, or Core Tools' <c>func</c>), else <c>../shared/functions-host/run</c> next to the repository, else
    /// <c>func</c> on PATH. Null when there is none.
    /// </summary>
    public static HostCommand? Locate()
    {
        var configured = Environment.GetEnvironmentVariable("FUNCTIONS_HOST_PATH");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var path = Directory.Exists(configured) ? Path.Combine(configured, "run") : configured;
            return File.Exists(path) ? new HostCommand(path, Path.GetFileName(path) == "func") : null;
        }

        var shared = Path.GetFullPath(Path.Combine(SampleSettingsTests.RepositoryRoot(), "..", "shared", "functions-host", "run"));
        if (File.Exists(shared))
        {
            return new HostCommand(shared, IsCoreTools: false);
        }

        var func = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, "func")).FirstOrDefault(File.Exists);
        return func is null ? null : new HostCommand(func, IsCoreTools: true);
    }

    /// <param name="settings">App settings in <c>Section:Key</c> form (the worker reads them as configuration).</param>
    public static async Task<FunctionsHost> StartAsync(Intermediary.Simulator.ApimSimulator simulator, Dictionary<string, string?> settings)
    {
        var command = Locate() ?? throw new InvalidOperationException(
            "No Functions host found: set FUNCTIONS_HOST_PATH, keep ../shared/functions-host next to the repository, or install Core Tools (func).");
        // MSAL in the worker reaches the simulator's HTTPS token endpoint through the development-only trust of its
        // generated certificate, as func start does (unless the caller's settings already say it).
        settings.TryAdd("Intermediary:DevelopmentTrustedCertificate", simulator.ServerCertificate.ExportCertificatePem());
        var host = new FunctionsHost(command, await PublishedApp.Value, settings, simulator);
        await host.StartAgainAsync();
        return host;
    }

    /// <summary>Starts the host (again) on the same port, keys and settings.</summary>
    public async Task StartAgainAsync()
    {
        // Pre-seeded keys, in the host's file format: the same for the functions-host build and Core Tools.
        File.WriteAllText(Path.Combine(_secrets, "host.json"), JsonSerializer.Serialize(new
        {
            masterKey = new { name = "master", value = MasterKey, encrypted = false },
            functionKeys = new[] { new { name = "default", value = FunctionKey, encrypted = false } },
        }));
        var environment = new Dictionary<string, string?>(_settings)
        {
            ["AzureWebJobsSecretStorageType"] = "files",
            ["FUNCTIONS_SECRETS_PATH"] = _secrets,
            ["AzureWebJobsDisableHomepage"] = "true",
        };
        var port = BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] arguments = _command.IsCoreTools
            ? ["start", "--script-root", _appPath, "--port", port, "--enableAuth"]
            : ["--script-root", _appPath, "--port", port, "--secrets", _secrets];
        _process = ChildProcess.Start(_command.Path, arguments, environment);
        await WaitUntilReadyAsync();
    }

    /// <summary>How often the supervisor started the host again after it exited on its own.</summary>
    public int HostRestarts { get; private set; }

    /// <summary>
    /// Starts the host again whenever it exits on its own, as the platform does: after repeated worker crashes
    /// the host shuts itself down to be recycled ("Exceeded language worker restart retry count").
    /// </summary>
    public void RestartLikeThePlatform()
    {
        _supervision = new CancellationTokenSource();
        var stopping = _supervision.Token;
        _supervisor = Task.Run(async () =>
        {
            while (!stopping.IsCancellationRequested)
            {
                await Task.Delay(200, CancellationToken.None);
                if (_process is { HasExited: true } exited && !stopping.IsCancellationRequested)
                {
                    exited.Dispose();
                    HostRestarts++;
                    await StartAgainAsync();
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>SIGKILL to the worker process only: the host sees its worker die and starts a new one.</summary>
    public int KillWorker()
    {
        var worker = _process!.ChildrenRunning("Intermediary.Functions").SingleOrDefault();
        if (worker == 0)
        {
            throw new InvalidOperationException($"No worker process under the host:\n{Output}");
        }

        ChildProcess.Signal(worker, "KILL");
        return worker;
    }

    public async Task<IntermediaryHost.Response> CallAsync(HttpMethod method, string pathAndQuery, Action<HttpRequestMessage>? configure = null, bool withKey = true)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (withKey)
        {
            request.Headers.Add("x-functions-key", FunctionKey);
        }

        configure?.Invoke(request);
        using var response = await Client.SendAsync(request);
        return new IntermediaryHost.Response(response, await response.Content.ReadAsStringAsync());
    }

    public Task<IntermediaryHost.Response> WaitForJobAsync(string statusUrl) => WaitForJobAsync(statusUrl, TimeSpan.FromMinutes(2));

    public async Task<IntermediaryHost.Response> WaitForJobAsync(string statusUrl, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            IntermediaryHost.Response poll;
            try
            {
                poll = await CallAsync(HttpMethod.Get, statusUrl + "?errorMode=status");
            }
            catch (HttpRequestException) when (_supervision is not null)
            {
                // The host is being started again by the supervisor.
                await Task.Delay(200);
                continue;
            }

            if (poll.Body.Length == 0 && poll.StatusCode >= 500)
            {
                // The host's own answer while its worker restarts (after a crash): no envelope; poll again.
                HostAnswersWithoutWorker.Add(poll.StatusCode);
            }
            else if (poll.StatusCode != 202)
            {
                return poll;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The job at {statusUrl} did not end within {limit}.\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_supervision is not null)
        {
            await _supervision.CancelAsync();
            await _supervisor;
            _supervision.Dispose();
        }

        if (_process is not null)
        {
            await _process.StopAsync(TimeSpan.FromSeconds(15));
            _process.Dispose();
        }

        Directory.Delete(_secrets, recursive: true);
    }

    /// <summary>
    /// Ready when the host reports Running (master key) and a function answers: the catch-all's JSON envelope shows
    /// that the worker is up and indexed, not only the host.
    /// </summary>
    private async Task WaitUntilReadyAsync()
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"The Functions host exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var status = new HttpRequestMessage(HttpMethod.Get, "admin/host/status");
                status.Headers.Add("x-functions-key", MasterKey);
                using var statusResponse = await probe.SendAsync(status);
                if ((await statusResponse.Content.ReadAsStringAsync()).Contains("\"state\":\"Running\"", StringComparison.Ordinal))
                {
                    using var answer = await probe.GetAsync("api/ready-probe");
                    if (answer.Content.Headers.ContentType is MediaTypeHeaderValue { MediaType: "application/json" })
                    {
                        return;
                    }
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The Functions host was not ready within 120 s:\n{Output}");
    }

    /// <summary>
    /// The published app: <c>FUNCTIONS_APP_PATH</c> (./test.sh publishes it once), else a publish of the project in the
    /// configuration these tests were built in, into a temporary folder.
    /// </summary>
    private static async Task<string> PublishAppAsync()
    {
        var configured = Environment.GetEnvironmentVariable("FUNCTIONS_APP_PATH");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "functions.metadata"))
                ? configured
                : throw new InvalidOperationException($"FUNCTIONS_APP_PATH={configured} holds no published Functions app (no functions.metadata).");
        }

        var output = Directory.CreateTempSubdirectory("intermediary-functions-app-").FullName;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var project = Path.Combine(SampleSettingsTests.RepositoryRoot(), "src", "Intermediary.Functions");
        using var publish = ChildProcess.Start("dotnet", ["publish", project, "-c", configuration, "-o", output, "-nologo", "-v", "quiet"], []);
        while (!publish.HasExited)
        {
            await Task.Delay(200);
        }

        return publish.ExitCode == 0 ? output : throw new InvalidOperationException($"dotnet publish of the Functions app failed:\n{publish.Output}");
    }

    /// <summary>A host executable: the functions-host <c>run</c> script, or Core Tools' <c>func</c>.</summary>
    public sealed record HostCommand(string Path, bool IsCoreTools);
}
