using Intermediary.Simulator.Hosting;

namespace Intermediary.Simulator.Entra;

/// <summary>What a test has scripted for the token endpoint: a fault to answer, holds on responses, and the request count.</summary>
internal sealed class TokenEndpointScript
{
    private readonly ResponseHolds _holds = new();
    private int _requestCount;
    private TokenFault? _fault;

    public int RequestCount => Volatile.Read(ref _requestCount);

    public TokenFault? Fault
    {
        get => Volatile.Read(ref _fault);
        set => Volatile.Write(ref _fault, value);
    }

    public void CountRequest() => Interlocked.Increment(ref _requestCount);

    public IDisposable Hold() => _holds.Hold();

    public Task WaitWhileHeldAsync(CancellationToken cancellationToken) => _holds.WaitWhileHeldAsync(cancellationToken);

    public void Reset()
    {
        _holds.Reset();
        Fault = null;
        Interlocked.Exchange(ref _requestCount, 0);
    }
}
