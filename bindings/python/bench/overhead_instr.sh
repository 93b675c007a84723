#!/usr/bin/env bash
# The Python binding's overhead on the anchor month query (issue 13: "the
# binding adds at most 2x over the pure Rust time for a month query"), in
# instructions, which hold still on a busy machine where wall time does not:
#
#   bindings/python/bench/overhead_instr.sh PYTHON [N]      (N: calls, default 200)
#
# PYTHON is an interpreter with the hcas wheel installed (bindings/python/build-venv).
# Under `valgrind --tool=callgrind`, six runs:
#   Rust:   benches' engine_calls month_slots N   minus   engine_calls empty N
#   Python: overhead_instr.py JSON N call         minus   overhead_instr.py JSON N empty
#           overhead_instr.py JSON N slots        minus   the same empty loop
#           overhead_instr.py JSON N floor        minus   the same empty loop
# each difference divided by N is the instructions of one call (the empty loop
# of the same N takes out the loop and the set-up). The Python side is
# `availability.slots_epoch(start, end, duration)` on the workload that
# benches' month_query prints, checked first to answer the Rust engine's slots.
# `slots` is the same query answering a list of aware `datetime`s, and
# `slots` minus `slots_epoch` is what making those `datetime` objects costs;
# `floor` builds the same list in plain Python from the Unix seconds, with no
# engine call: the least a pure-Python implementation pays to hand back its
# answer. Prints the per-call counts, the binding's own share and the ratios.
# No time is measured or asserted.
set -euo pipefail
python="${1:?usage: overhead_instr.sh PYTHON [N]}"
n="${2:-200}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hcas-target}"
cargo build -q --release --locked -p hcas-benches --bin engine_calls --bin month_query
bin="$CARGO_TARGET_DIR/release"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/month_query" 1 1 >"$work/month.json"

# Instructions (Ir) of one run of the command under callgrind.
count() {
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$@" >"$work/out" 2>"$work/err" || {
    cat "$work/err" "$work/out" >&2
    exit 1
  }
  awk '/^(summary|totals):/ { print $2; exit }' "$work/cg.out"
}

export PYTHONHASHSEED=0
rust_calls=$(count "$bin/engine_calls" month_slots "$n")
rust_empty=$(count "$bin/engine_calls" empty "$n")
py_calls=$(count "$python" "$here/overhead_instr.py" "$work/month.json" "$n" call)
py_empty=$(count "$python" "$here/overhead_instr.py" "$work/month.json" "$n" empty)
slots_n=$(cat "$work/out")
py_slots=$(count "$python" "$here/overhead_instr.py" "$work/month.json" "$n" slots)
py_floor=$(count "$python" "$here/overhead_instr.py" "$work/month.json" "$n" floor)

awk -v n="$n" -v k="$slots_n" -v rc="$rust_calls" -v re="$rust_empty" -v pc="$py_calls" -v pe="$py_empty" \
  -v ps="$py_slots" -v pf="$py_floor" 'BEGIN {
  rust = (rc - re) / n; py = (pc - pe) / n; slots = (ps - pe) / n; floor = (pf - pe) / n
  printf "instructions per call, %d calls minus an empty loop of %d (callgrind):\n", n, n
  printf "  Rust  engine month query (engine_calls month_slots): %9.0f  (%d - %d)\n", rust, rc, re
  printf "  Python Availability.slots_epoch (same query):       %9.0f  (%d - %d)\n", py, pc, pe
  printf "  the binding'\''s own share (Python - Rust):            %9.0f\n", py - rust
  printf "  ratio Python / Rust: %.2fx (target <= 2x)\n", py / rust
  printf "  Python Availability.slots (a list of %d datetimes): %9.0f  (%d - %d)\n", k, slots, ps, pe
  printf "  of which making the datetimes (slots - slots_epoch): %9.0f  (%.0f per datetime)\n", slots - py, (slots - py) / k
  printf "  ratio slots / Rust: %.2fx\n", slots / rust
  printf "  the same list built in plain Python, no engine call: %9.0f  (%d - %d), %.2fx slots\n", floor, pf, pe, floor / slots
}'
