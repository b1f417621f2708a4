#!/usr/bin/env bash
# Mutation testing of the core's decision code (Security/, Upstream/, Tokens/, Envelopes/, Caching/) with Stryker.NET:
# changes the code one small mutation at a time and checks that some test fails. Slow (tens of minutes on two
# cores), so it is not part of ./test.sh. Writes artifacts/mutation/<time>/reports/mutation-report.{html,json}
# and prints the score per file; docs/mutation-testing.md records the scores and the surviving mutants.
# Usage: eng/mutation.sh [extra dotnet-stryker options, e.g. --mutate "**/Security/RequestPath.cs"]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet tool restore >/dev/null
# Stryker compiles the mutants against the restored references: restore first, so a package added since the last
# restore is not reported as a compile error of every mutant in the files that use it.
dotnet restore tests/Intermediary.Tests/Intermediary.Tests.csproj -v quiet
output="$(pwd)/artifacts/mutation"
mkdir -p "$output"
cd tests/Intermediary.Tests
# The excluded tests (infra files, the fault suite, the fuzz run, Azurite) cannot see the core's decisions more
# sharply than the unit and loopback tests do, and would make each mutant cost seconds instead of milliseconds. The
# connector generator's tests are left out too: the generator is its own project, and three of them need the Spectral
# that ./test.sh installs, so in a fresh tree they failed Stryker's initial run and were counted as failing.
dotnet stryker --config-file ../../eng/mutation/stryker-config.json --output "$output" "$@"
