namespace Intermediary.Simulator.Faults;

internal sealed record FlakyResult(string Key, int Calls);

internal sealed record SlowResult(double WaitedSeconds);

internal sealed record OutageResult(DateTimeOffset ItemsDownUntil);

internal sealed record RateLimitResult(int Remaining);
