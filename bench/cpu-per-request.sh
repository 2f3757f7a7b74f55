#!/usr/bin/env bash
# Gateway CPU per request, for quick A/B comparisons of one change (more stable on a shared
# 2-core machine than req/s): starts the built simulator and gateway (`npm run build` first),
# loads one query with autocannon (32 connections) and reads the gateway's CPU ticks from /proc.
#   bench/cpu-per-request.sh [ENV=value ...]      e.g. bench/cpu-per-request.sh LOG_LEVEL=warn
# Q (the JSON body), D (seconds, default 6) and NODEFLAGS (node flags for the gateway; default:
# those of `npm run start:prod`), C (connections, default 32) and GWMAIN (the gateway script, default
# dist/main.js) override.
set -euo pipefail
cd "$(dirname "$0")/.."
SIMPORT=${SIMPORT:-4601}; GWPORT=${GWPORT:-4602}
Q=${Q:-'{"query":"{ fineTune(id: \"ft-202410291653-1c7f\") { ... on FineTuneJob { id jobName status model baseModel createdAt endedAt durationSeconds isTerminal trainingType usage hyperParameters { nEpochs learningRate } } } }"}'}
NODEFLAGS=${NODEFLAGS-$(node -e 'const s = require("./package.json").scripts["start:prod"].split(/\s+/); console.log(s.slice(s.indexOf("node") + 1, s.indexOf("dist/main.js")).join(" "))')}
SIMULATOR_PORT=$SIMPORT node dist/simulator/main.js > /dev/null & sim=$!
sleep 0.8
env "$@" PORT=$GWPORT DASHSCOPE_BASE_URL=http://127.0.0.1:$SIMPORT DASHSCOPE_API_KEY=sk-simulator-demo NODE_ENV=production \
  node ${NODEFLAGS:-} ${GWMAIN:-dist/main.js} > /dev/null 2>&1 & gw=$!
trap 'kill $gw $sim 2>/dev/null || true' EXIT
sleep 1.5
npx autocannon -c 32 -d 2 -m POST -H content-type=application/json -b "$Q" "http://127.0.0.1:$GWPORT/graphql" > /dev/null 2>&1
t0=$(awk '{print $14+$15}' /proc/$gw/stat)
out=$(npx autocannon -j -c ${C:-32} -d "${D:-6}" -m POST -H content-type=application/json -b "$Q" "http://127.0.0.1:$GWPORT/graphql" 2>/dev/null)
t1=$(awk '{print $14+$15}' /proc/$gw/stat)
ticks_per_second=$(getconf CLK_TCK)
node -e 'const r = JSON.parse(process.argv[1]); const us = ((process.argv[2] - process.argv[3]) / process.argv[4]) * 1e6 / r.requests.total;
console.log(`req/s ${Math.round(r.requests.average)}  gateway CPU ${Math.round(us)} µs/request  non-2xx ${r.non2xx}`)' "$out" "$t1" "$t0" "$ticks_per_second"
grep VmHWM /proc/$gw/status
