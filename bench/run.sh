#!/usr/bin/env bash
# Runs the benchmark with the open-file limit raised as far as this shell may
# (10,000 idle clients need ~10k descriptors in the generator and in each server).
#   bench/run.sh [bench/run.ts options]      e.g. bench/run.sh --quick
set -euo pipefail
cd "$(dirname "$0")/.."
want=65536
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then ulimit -Hn "$want" 2>/dev/null || true; fi
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
echo "open files: $(ulimit -Sn) (hard $(ulimit -Hn))" >&2
exec node --import tsx bench/run.ts "$@"
