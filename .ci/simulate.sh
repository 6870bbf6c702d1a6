#!/usr/bin/env bash
# Starts the built app on a fresh embedded database, runs the installation
# simulator against it for a few seconds, and stops the app.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" # the project's pinned Node.js, not the machine's
data=$(mktemp -d)
port=3291
log="$data/server.log"
DATA_DIR="$data" PORT=$port APP_ENV=development RATE_LIMIT_TRIALS_PER_HOUR=1000 \
  node --import tsx scripts/start.ts >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://localhost:$port/api/public-key" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
  sleep 1
done
npm run simulate -- --server "http://localhost:$port" --installations 5 --duration 8
