#!/usr/bin/env bash
# The one test command (README, and CI through .ci/run): restores, builds with warnings as errors, checks
# formatting, runs every test project, and ends with one line "N passed, N failed[, N skipped]".
# Everything the tests need is installed from here, so a fresh machine needs only the .NET SDK.
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
configuration="${CONFIGURATION:-Release}"
results_dir="$(pwd)/artifacts/test-results"
rm -rf "$results_dir" && mkdir -p "$results_dir"

fail() { echo "test.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

command -v dotnet >/dev/null || fail "the .NET SDK (dotnet) is required: https://dot.net"

echo "== test tools"
# Azurite (Azure Storage emulator) for the Azure job store tests, pinned in eng/azurite/package.json.
# Without Node.js the Azure tests cannot run; that is a failure, never a silent skip.
command -v npm >/dev/null || fail "Node.js/npm is required to install Azurite for the job store tests (apt-get install nodejs npm)"
if [ ! -x eng/azurite/node_modules/.bin/azurite ]; then
  npm install --prefix eng/azurite --no-audit --no-fund --loglevel=error || fail "could not install Azurite from npm"
fi
export AZURITE_PATH="$(pwd)/eng/azurite/node_modules/.bin/azurite"
"$AZURITE_PATH" --version >/dev/null || fail "Azurite does not run: $AZURITE_PATH"

# Spectral (OpenAPI linter) for the connector definition, pinned in eng/spectral/package.json.
if [ ! -x eng/spectral/node_modules/.bin/spectral ]; then
  npm install --prefix eng/spectral --no-audit --no-fund --loglevel=error || fail "could not install Spectral from npm"
fi
export SPECTRAL_PATH="$(pwd)/eng/spectral/node_modules/.bin/spectral"
"$SPECTRAL_PATH" --version >/dev/null || fail "Spectral does not run: $SPECTRAL_PATH"

# The Bicep CLI for the infra tests, from NuGet (eng/bicep pins the version).
dotnet restore eng/bicep/Bicep.csproj -v quiet || fail "could not restore the Bicep CLI from NuGet"
packages="$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: //')"
bicep_version="$(sed -nE 's/.*CommandLine\.linux-x64" Version="\[([0-9.]+)\]".*/\1/p' eng/bicep/Bicep.csproj)"
export BICEP_PATH="${packages%/}/azure.bicep.commandline.linux-x64/${bicep_version}/tools/bicep"
chmod +x "$BICEP_PATH" 2>/dev/null || true
"$BICEP_PATH" --version >/dev/null || fail "the Bicep CLI does not run: $BICEP_PATH"

echo "== restore and build (warnings are errors)"
# Intermediary.Tests.slnf is the solution without the Functions project: nothing the tests need depends on it.
dotnet build Intermediary.Tests.slnf -c "$configuration" -warnaserror -nologo -v minimal || fail "build failed"

echo "== formatting"
dotnet format Intermediary.Tests.slnf --verify-no-changes --no-restore -v quiet || fail "code is not formatted: run 'dotnet format Intermediary.sln'"

echo "== Functions project"
# Built and published whenever its packages can be restored; the published app is what the host tests run.
# A registry without the isolated-worker packages is the one case that is skipped (a failure under CI=true);
# any other failure (a compile error, a bad reference) fails the run.
functions=src/Intermediary.Functions/Intermediary.Functions.csproj
functions_available=false
if restore_log="$(dotnet restore "$functions" 2>&1)"; then
  # TreatWarningsAsErrors comes from Directory.Build.props; no -warnaserror here, because the Functions SDK's
  # generated extension project would turn this registry's NU1603 version notices into errors.
  dotnet build "$functions" -c "$configuration" --no-restore -nologo -v minimal || fail "the Functions project does not build"
  dotnet format "$functions" --verify-no-changes --no-restore -v quiet || fail "the Functions project is not formatted"
  export FUNCTIONS_APP_PATH="$(pwd)/artifacts/functions-app"
  rm -rf "$FUNCTIONS_APP_PATH"
  dotnet publish "$functions" -c "$configuration" --no-build -nologo -v quiet -o "$FUNCTIONS_APP_PATH" || fail "the Functions project does not publish"
  functions_available=true
elif grep -Eq "NU110[123].*Microsoft\.Azure\.Functions\.Worker" <<<"$restore_log"; then
  [ "${CI:-}" = "true" ] && fail "the isolated-worker packages cannot be restored; under CI=true the Functions project is required"
  echo "SKIPPED: Functions project (worker packages not available)"
else
  echo "$restore_log" >&2
  fail "the Functions project could not be restored"
fi

echo "== Functions host"
# The host tests run the published app under a real Functions host, found in this order: FUNCTIONS_HOST_PATH,
# the functions-host build next to this repository (../shared/functions-host/run), Core Tools' func on PATH.
if [ -z "${FUNCTIONS_HOST_PATH:-}" ]; then
  if [ -f ../shared/functions-host/run ]; then
    FUNCTIONS_HOST_PATH="$(cd ../shared/functions-host && pwd)/run"
  elif command -v func >/dev/null; then
    FUNCTIONS_HOST_PATH="$(command -v func)"
  fi
fi
host_filter=""
if [ "$functions_available" != true ] || [ -z "${FUNCTIONS_HOST_PATH:-}" ] || [ ! -e "$FUNCTIONS_HOST_PATH" ]; then
  [ "${CI:-}" = "true" ] && fail "no Functions host found (set FUNCTIONS_HOST_PATH, or install Core Tools); under CI=true the host tests are required"
  echo "SKIPPED: Functions host tests (no Functions host found)"
  host_filter="Category!=FunctionsHost"
else
  export FUNCTIONS_HOST_PATH
  echo "Functions host: $FUNCTIONS_HOST_PATH"
fi

echo "== tests"
passed=0 failed=0 skipped=0 status=0
for project in tests/*/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  log="$results_dir/$name.log"
  # A test that hangs is stopped after 10 minutes and reported by name (no dump), instead of holding CI to its limit.
  dotnet test "$project" -c "$configuration" --no-build --nologo ${host_filter:+--filter "$host_filter"} \
    --blame-hang-timeout 10m --blame-hang-dump-type none \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results_dir" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  summary="$(grep -E '(Passed|Failed)! +- +Failed: ' "$log" | tail -n 1)"
  if [ -z "$summary" ]; then
    echo "test.sh: no test summary for $name (did the test host crash?)" >&2
    failed=$((failed + 1)); status=1; continue
  fi
  f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")
  p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
  s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ -n "$host_filter" ]; then
    # Tests left out by the filter are counted as skipped, so the summary never hides them.
    left_out=$(dotnet test "$project" -c "$configuration" --no-build --nologo --list-tests --filter "Category=FunctionsHost" 2>/dev/null | grep -c '^    ')
    skipped=$((skipped + left_out))
  fi
done

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
