#!/usr/bin/env bash
# Measures what running a rung inside the terminal app costs, against the same rung headless:
# interleaved runs of `ladder run --rungs R` and of the app (driven in tmux, the table exported
# with m), medians of each. Usage: benches/tui_overhead.sh [rung] [repeats] [n]
set -euo pipefail
RUNG=${1:-threads}
REPEATS=${2:-5}
N=${3:-10000}
BIN=$(realpath target/release/ladder)
command -v tmux >/dev/null || { echo "needs tmux"; exit 1; }
WORK=$(mktemp -d)
SESSION="ladder-overhead-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT
index=$("$BIN" rungs | awk -v r="$RUNG" '$2 == r { print $1 }')
[ -n "$index" ] || { echo "unknown rung $RUNG"; exit 1; }

seconds() { # the time column of a markdown table row, in seconds
    awk -F'|' -v r="\`$RUNG\`" '$2 ~ r { gsub(/ /, "", $4); v = $4; if (v ~ /ms$/) { sub(/ms$/, "", v); v /= 1000 } else { sub(/s$/, "", v) } print v }' "$1"
}

tmux new-session -d -s "$SESSION" -x 120 -y 40 "bash --norc --noprofile"
headless=() app=()
for i in $(seq "$REPEATS"); do
    "$BIN" run --rungs "$RUNG" --n "$N" --format markdown -o "$WORK/headless.md" 2>/dev/null
    headless+=("$(seconds "$WORK/headless.md")")

    rm -f "$WORK/app.md"
    tmux send-keys -t "$SESSION" "'$BIN' --unlock-all --n $N --notes '$WORK/app.md'" Enter
    until tmux capture-pane -t "$SESSION" -p | grep -q "· peak "; do sleep 0.2; done
    until tmux capture-pane -t "$SESSION" -p | grep -q "workload ready"; do sleep 0.2; done
    for _ in $(seq "$index"); do tmux send-keys -t "$SESSION" Down; done
    tmux send-keys -t "$SESSION" Enter
    until tmux capture-pane -t "$SESSION" -p | grep -q "$RUNG done"; do sleep 0.2; done
    tmux send-keys -t "$SESSION" m
    until [ -f "$WORK/app.md" ]; do sleep 0.1; done
    tmux send-keys -t "$SESSION" q
    app+=("$(seconds "$WORK/app.md")")
    echo "run $i: headless ${headless[-1]} s, in the app ${app[-1]} s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
h=$(median "${headless[@]}") a=$(median "${app[@]}")
echo "$RUNG at n=$N, medians of $REPEATS: headless $h s, in the app $a s, ratio $(awk -v a="$a" -v h="$h" 'BEGIN { printf "%.3f", a / h }')"
