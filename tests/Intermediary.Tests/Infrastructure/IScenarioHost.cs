using Intermediary.Simulator;

namespace Intermediary.Tests.Infrastructure;

/// <summary>A running Intermediary (the Server host or the Functions app under a Functions host) in front of a simulator.</summary>
public interface IScenarioHost
{
    /// <summary>"Server" or "Functions", for messages.</summary>
    string Name { get; }

    Uri BaseAddress { get; }

    ApimSimulator Simulator { get; }

    string FunctionKey { get; }

    /// <summary>
    /// True when a missing or wrong caller key gets our Unauthenticated envelope (the Server host checks keys
    /// itself); false when the host refuses it first with its own empty 401 (Functions).
    /// </summary>
    bool AnswersMissingKeyWithEnvelope { get; }

    Task<IntermediaryHost.Response> CallAsync(HttpMethod method, string pathAndQuery, Action<HttpRequestMessage>? configure = null, bool withKey = true);

    /// <summary>Polls a job's status URL (status mode) until the job has ended, in real time.</summary>
    Task<IntermediaryHost.Response> WaitForJobAsync(string statusUrl);
}
