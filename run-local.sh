#!/usr/bin/env bash
# Runs the pod locally: the web app on http://localhost:8080 and the backup sidecar on
# http://localhost:8081, sharing data/visits.db (backups in data/backups/). Ctrl+C stops both.
set -euo pipefail
cd "$(dirname "$0")"

# One build first: two `dotnet run`s building the shared storage project at once would collide.
dotnet build src/MoscowTime.Web -v quiet -nologo
dotnet build src/MoscowTime.Sidecar -v quiet -nologo

pids=()
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
dotnet run --no-build --project src/MoscowTime.Web &
pids+=($!)
dotnet run --no-build --project src/MoscowTime.Sidecar &
pids+=($!)
echo "web: http://localhost:8080   backup sidecar: http://localhost:8081/healthz   data: $PWD/data"
wait -n
