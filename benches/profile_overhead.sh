#!/usr/bin/env bash
# What the CPU profiler costs: the same rungs with and without --profile, interleaved, medians.
# Usage: benches/profile_overhead.sh [rungs] [repeats] [n] [frequency]
set -euo pipefail
RUNGS=${1:-vectorized,native,threads}
REPEATS=${2:-5}
N=${3:-10000}
HZ=${4:-997}
BIN=$(realpath target/release/ladder)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
times() { python3 -c 'import json,sys; print(" ".join("%s=%.4f" % (r["rung"], r["estimated_s"]) for r in json.load(sys.stdin)["rungs"]))'; }
for i in $(seq "$REPEATS"); do
    echo "plain    $("$BIN" run --rungs "$RUNGS" --n "$N" --format json 2>/dev/null | times)"
    echo "profiled $("$BIN" run --rungs "$RUNGS" --n "$N" --format json --flamegraphs "$WORK" --frequency "$HZ" 2>/dev/null | times)"
done | tee "$WORK/log"
python3 - "$WORK/log" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    kind, *pairs = line.split()
    for p in pairs:
        rung, t = p.split("=")
        runs[rung][kind].append(float(t))
for rung, k in runs.items():
    a, b = statistics.median(k["plain"]), statistics.median(k["profiled"])
    print(f"{rung:12} plain {a:.4f} s  profiled {b:.4f} s  ratio {b / a:.3f}")
PY
