using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Intermediary.MicroBench -- --filter '*'        (all; about 5 minutes)
// dotnet run -c Release --project bench/Intermediary.MicroBench -- --filter '*Token*'  (one class)
BenchmarkSwitcher.FromAssembly(typeof(Intermediary.MicroBench.ResponseRead).Assembly).Run(args);
