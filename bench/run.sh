#!/usr/bin/env bash
# The load harness in one command: builds Release, installs wrk if missing, and compares
#   A direct to the simulator, B YARP adding the same credentials, C the Server host
#   (and D the Functions app under a Functions host when FUNCTIONS_HOST_PATH is set)
# in interleaved rounds. Writes bench/results/latest.md and latest.png. Arguments go to the harness:
#   bench/run.sh [--rounds 6] [--duration 10] [--warm-up 30] [--connections 64] [--paced-connections 16] [--output DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "Installing wrk (Debian package)..."
  sudo_cmd=""
  if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq >/dev/null && $sudo_cmd apt-get install -y -qq wrk >/dev/null \
    || { echo "Could not install wrk: install the Debian package 'wrk' and run again." >&2; exit 1; }
fi

for project in src/Intermediary.Simulator src/Intermediary.Server bench/Intermediary.Bench.Yarp bench/Intermediary.Bench.Stats bench/Intermediary.Bench; do
  dotnet build -c Release -v q --nologo "$project" >/dev/null || { echo "Build failed: $project" >&2; exit 1; }
done

if [ -n "${FUNCTIONS_HOST_PATH:-}" ] && [ -z "${FUNCTIONS_APP_PATH:-}" ]; then
  export FUNCTIONS_APP_PATH="$PWD/artifacts/functions-app"
  dotnet publish -c Release -v q --nologo src/Intermediary.Functions -o "$FUNCTIONS_APP_PATH" >/dev/null
fi

exec dotnet bench/Intermediary.Bench/bin/Release/net10.0/Intermediary.Bench.dll proxies "$@"
