#!/usr/bin/env bash
# Drives the real terminal app in tmux as a student would: open it, run two rungs, cancel one,
# export the table, change a setting, take the first steps of a lesson, quit, and check the
# terminal is restored and the lesson progress saved; then the lab, and the profilers lesson
# with a small measurement.
# Usage: tests/tui_walkthrough.sh [path/to/ladder]   (skips without tmux, except under CI)
set -euo pipefail

BIN=$(realpath "${1:-target/release/ladder}")
if ! command -v tmux >/dev/null 2>&1; then
    # CI installs tmux: there a missing one is a failure, not a pass that checked nothing.
    if [ -n "${CI:-}" ]; then
        echo "tui walkthrough FAILED: tmux is not installed"
        exit 1
    fi
    echo "tui walkthrough: tmux not found, skipped"
    exit 0
fi
SESSION="ladder-walkthrough-$$"
WORK=$(mktemp -d)
cleanup() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

screen() { tmux capture-pane -t "$SESSION" -p; }
send() { tmux send-keys -t "$SESSION" "$@"; }
fail() {
    echo "tui walkthrough FAILED: $*"
    echo "---- screen ----"
    screen || true
    exit 1
}
wait_for() {
    local text=$1 seconds=${2:-30}
    for _ in $(seq $((seconds * 10))); do
        if screen | grep -qF -- "$text"; then
            return 0
        fi
        sleep 0.1
    done
    fail "no '$text' on screen after ${seconds}s"
}
step() { echo "tui walkthrough: $*"; }

tmux new-session -d -s "$SESSION" -x 100 -y 30 "bash --norc --noprofile"
sleep 0.5
send "cd '$WORK' && stty -a > before.txt && LADDER_PROGRESS='$WORK/progress.json' '$BIN' --n 3000 --budget 1 --notes '$WORK/NOTES.md'; s=\$?; stty -a > after.txt; echo \"app exit status \$s\" | tr a-z A-Z" Enter

step "open: the first frame, then the workload and the machine"
wait_for "The ladder"
wait_for "workload ready" 60
wait_for "· peak " 60 # the machine's measured peak in the title bar
screen | grep -q "algorithmic  Algorithm  locked" || fail "algorithmic should start locked"

step "a locked rung refuses with the reason"
send Down Enter
wait_for "algorithmic is locked: run naive first"

step "run naive, then algorithmic"
send Up Enter
wait_for "naive done" 60
send Down Enter
wait_for "algorithmic done" 60
screen | grep -q "vectorized   Vectorize  ready" || fail "vectorized should unlock"

step "cancel a re-run of algorithmic with Esc"
send Enter
sleep 0.4
send Escape
wait_for "algorithmic cancelled" 10

step "export the table with m, flamegraphs linked"
send m
wait_for "wrote the speedup table to $WORK/NOTES.md"
grep -q '| `naive` |' "$WORK/NOTES.md" || fail "NOTES.md lacks naive"
grep -q '| `algorithmic` |' "$WORK/NOTES.md" || fail "NOTES.md lacks algorithmic"
grep -q '(flamegraphs/naive.svg)' "$WORK/NOTES.md" || fail "NOTES.md does not link naive's flamegraph"
[ -s "$WORK/flamegraphs/naive.svg" ] || fail "flamegraphs/naive.svg was not written"
grep -q '(speedup.svg)' "$WORK/NOTES.md" || fail "NOTES.md does not show its chart"
[ -s "$WORK/speedup.svg" ] || fail "speedup.svg was not written beside NOTES.md"

step "the HTML report to hand out, with w"
send w
wait_for "wrote the HTML report to $WORK/report.html"
grep -q '<code>naive</code>' "$WORK/report.html" || fail "report.html lacks naive"
grep -q '<iframe class="flame"' "$WORK/report.html" || fail "report.html has no flamegraph"

step "profile first: naive's flamegraph shows the recomputed norms"
send Up f
wait_for "Top functions"
wait_for "naive::norm"
send e
wait_for "wrote the flamegraph to $WORK/flamegraphs/naive.svg" # beside the notes
send Escape
wait_for "The ladder"

step "change a setting: seed 7 prepares a new workload"
send s
wait_for "Settings"
send Down Down Enter BSpace 7 Enter
wait_for "seed 7" 60
send Escape
wait_for "The ladder"

# The number the app shows before an option's text (options are in an order of their own for
# each learner, so the script reads it off the screen).
option() { screen | grep -oE "[0-9]\. $1" | head -n1 | cut -c1; }

step "lessons: give a name, open the first, read, run naive, answer the flamegraph question"
send l
wait_for "Profile first, then climb in order"
send Enter
wait_for "Your name"
send -l "Walker"
send Enter
wait_for "step 1/13 · read"
send Enter
wait_for "step 2/13 · run"
send Enter
wait_for "done: → for the next step" 60
send Right
wait_for "flamegraph question"
send f
wait_for "Top functions"
send Escape
wait_for "flamegraph question"
wrong=$(option "dot:")
right=$(option "norm:")
[ -n "$wrong" ] && [ -n "$right" ] || fail "the options are not listed"
send "$wrong"
wait_for "not quite"
# A wrong pick says why it is wrong, and never which option is right.
screen | grep -q "norm: the two norms.*✓" && fail "a wrong pick revealed the answer"
send "$right"
wait_for "right: → for the next step"
send Escape
wait_for " 3/13"
send Escape
wait_for "The ladder"

step "quit, and the terminal is restored"
send q
# Upper-cased by tr, so the typed command line (also on screen) cannot match it.
wait_for "APP EXIT STATUS" 10
screen | grep -qF "APP EXIT STATUS 0" || fail "the app did not exit with status 0"
diff -q "$WORK/before.txt" "$WORK/after.txt" >/dev/null || fail "terminal modes differ after quitting"
grep -q '"hot-frame"' "$WORK/progress.json" || fail "the lesson progress was not saved"
grep -q '"learner": "Walker"' "$WORK/progress.json" || fail "the learner's name was not saved"
step "the lab: open it, run step 1, then save step 2 and see it run by itself"
LAB="$WORK/lab"
"$BIN" lab init "$LAB" >/dev/null
sed -i 's/^budget = .*/budget = 1.0/' "$LAB/lab.toml"
send "clear; '$BIN' lab '$LAB'; echo \"lab exit status \$?\" | tr a-z A-Z" Enter
wait_for "Your lab · 0/6 count · watching your files"
wait_for "workload ready" 60
wait_for "· peak " 60
send Enter
wait_for "01_naive.py counts" 90
screen | grep -q "02_algorithmic.py.*not yet" || fail "step 2 should wait for its file"
# Saving a step's file runs that step, and only it: a verdict for step 2, step 3 untouched.
cp "$(dirname "$0")/lab_solutions/02_algorithmic.py" "$LAB/02_algorithmic.py"
for _ in $(seq 900); do
    screen | grep -qE "^ 02_algorithmic.py( counts|: )" && break
    sleep 0.1
done
screen | grep -qE "^ 02_algorithmic.py( counts|: )" || fail "saving 02_algorithmic.py did not run it"
screen | grep -qE "03_numpy.py +(locked|ready) " || fail "step 3 should not have run"
send q
wait_for "LAB EXIT STATUS" 10
screen | grep -qF "LAB EXIT STATUS 0" || fail "the lab app did not exit with status 0"
step "the profilers lesson: predict, measure (small), see the predictions judged"
cp -r "$(dirname "$0")/../lessons" "$WORK/lessons"
# The lesson's own size takes a minute; a small one keeps the walkthrough to seconds.
sed -i 's/^n = 300$/n = 80/; s/^rounds = 3$/rounds = 1/' "$WORK/lessons/05-profilers.toml"
grep -q '^n = 80$' "$WORK/lessons/05-profilers.toml" || fail "the profilers step's size was not found"
send "clear; LADDER_PROGRESS='$WORK/progress.json' '$BIN' learn --lessons '$WORK/lessons'; echo \"learn exit status \$?\" | tr a-z A-Z" Enter
wait_for "Five Python profilers"
send Down Down Down Down Enter
wait_for "step 1/10 · read"
send Enter
wait_for "step 2/10 · choose"
send a
wait_for "no answer yet: the measurement decides it"
send "$(option "cProfile, built")"
wait_for "· predicted"
screen | grep -q "your prediction" || fail "the prediction is not marked"
send Right
wait_for "step 3/10 · choose"
send "$(option "py-spy: it stops")"
wait_for "· predicted"
send Right
wait_for "step 4/10 · measure"
send Enter
wait_for "measure ✓" 180
screen | grep -q "you predicted cProfile would cost least:" || fail "the first prediction is not judged"
screen | grep -qE "^.cProfile +deterministic function CPU +[0-9.]+ +[-+][0-9]+%" \
    || fail "cProfile's row has no measured overhead"
send Right
wait_for "cProfile ~10%:"
send Enter
wait_for "step 6/10 · choose"
send "$(option "pyinstrument")"
wait_for "not quite"
send "$(option "cProfile")"
wait_for "right: → for the next step"
send q
wait_for "LEARN EXIT STATUS" 10
screen | grep -qF "LEARN EXIT STATUS 0" || fail "ladder learn did not exit with status 0"
grep -q '"predict-least"' "$WORK/progress.json" || fail "the prediction was not saved"
grep -q '"what": "profilers"' "$WORK/progress.json" || fail "the profilers table was not saved"
step "passed"
