using Intermediary.Tests.Configuration;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// The real Server host as a separate process (the build output of src/Intermediary.Server, configured only through
/// environment variables as in a container), so a test can kill it outright — SIGKILL, no shutdown code runs — and
/// start it again on the same port.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    public const string FunctionKey = "fault-suite-function-key-0123";
    private readonly Dictionary<string, string?> _settings;
    private ChildProcess? _process;

    private ServerProcess(Dictionary<string, string?> settings)
    {
        _settings = settings;
        BaseAddress = new Uri($"http://127.0.0.1:{AzuriteProcess.FreePort()}/");
    }

    public Uri BaseAddress { get; }

    /// <summary>What the process wrote (stdout and stderr), for failure messages.</summary>
    public string Output => _process?.Output ?? "";

    /// <param name="settings">Configuration keys (<c>Intermediary:Upstreams:demo:BaseUrl</c> style); they become environment variables.</param>
    public static async Task<ServerProcess> StartAsync(Dictionary<string, string?> settings)
    {
        var server = new ServerProcess(settings);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Intermediary:FunctionKeys:faults"] = FunctionKey,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in _settings)
        {
            settings[key] = value;
        }

        _process?.Dispose();
        _process = ChildProcess.Start("dotnet", [ServerAssembly(), "--urls", BaseAddress.AbsoluteUri.TrimEnd('/')], settings);
        await WaitUntilAnsweringAsync();
    }

    /// <summary>SIGKILL: the process ends mid-whatever, as on a crash or an evicted instance.</summary>
    public void Kill()
    {
        _process?.Dispose();
        _process = null;
    }

    public HttpRequestMessage Request(HttpMethod method, string pathAndQuery)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseAddress, pathAndQuery));
        request.Headers.Add("x-functions-key", FunctionKey);
        return request;
    }

    public void Dispose() => Kill();

    private async Task WaitUntilAnsweringAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; i < 600; i++)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var probe = Request(HttpMethod.Get, "api/jobs/" + new string('0', 32));
                using var response = await client.SendAsync(probe);
                if (response.Content.Headers.ContentType?.MediaType == "application/json")
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The server did not answer within 60 s:\n{Output}");
    }

    /// <summary>The Server host built alongside these tests, in the same configuration (Release under ./test.sh).</summary>
    internal static string ServerAssembly() => BuiltAssembly("Intermediary.Server");

    /// <summary>A project of src/ built alongside these tests, in the same configuration.</summary>
    internal static string BuiltAssembly(string project)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(SampleSettingsTests.RepositoryRoot(), "src", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} does not exist: build the solution (./test.sh does) before running these tests.");
    }
}
