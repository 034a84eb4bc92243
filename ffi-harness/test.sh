#!/usr/bin/env bash
# The C-ABI test suite: builds the debug library, the emulator and both hosts, then runs
#   (a) demo mode, 8 threads x 50 repeats (plus stress mode: queries, reloads, force sync during intake)
#   (b) abuse mode      (c) lifecycle mode, 5 lives
#   (d) the same three under AddressSanitizer + UBSan (host-asan, LeakSanitizer on)
#   (e) demo and abuse mode of the plain host under Valgrind memcheck
# Each run gets its own emulator and a fresh data dir. Ends with "harness: N passed, M failed"
# summed over all runs (a run that crashes or whose tool reports errors counts one extra failure).
#
#   ffi-harness/test.sh            ONLY="a-demo d-abuse" runs a subset; KEEP_TMP=1 keeps logs
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=run-emulator.sh
. "$HERE/run-emulator.sh"
cd "$ROOT" || exit 2

echo "== building (debug library and emulator, host, host-asan)"
cargo build -q -p gcsync -p gc-emulator || { echo "harness: 0 passed, 1 failed"; exit 1; }
make -s -C "$HERE" header-check host host-asan || { echo "harness: 0 passed, 1 failed"; exit 1; }

LIB=$ROOT/target/debug/libgcsync.so
EMU=$ROOT/target/debug/gc-emulator
HOST=$HERE/build/host
HOST_ASAN=$HERE/build/host-asan
DATA=$HERE/data/sample-users.json
SETTINGS=$HERE/data/demo.settings
EXPECT=(--expect-synced 7 --expect-error 1)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gcsync-test.XXXXXX")
cleanup() {
    emulator_stop
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

TOTAL_PASSED=0
TOTAL_FAILED=0
RUN_LINES=()

# run NAME COMPARE COMMAND...   (COMPARE=1: also compare the emulator's org with the dataset)
run() {
    local name=$1 compare=$2
    shift 2
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return; fi
    local dir=$TMP/$name
    mkdir -p "$dir"
    echo
    echo "== run $name: ${*##*/}"
    if ! emulator_start "$EMU" "$dir"; then
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        RUN_LINES+=("$name: emulator did not start")
        return
    fi
    local t0=$SECONDS rc=0
    "$@" --lib "$LIB" --settings "$SETTINGS" --dataset "$DATA" \
        --set "api_base_url=$EMU_URL" --set "login_base_url=$EMU_URL" --set "data_dir=$dir/data" \
        >"$dir/stdout.log" 2>"$dir/stderr.log" || rc=$?
    local cmp=""
    if [ "$compare" = 1 ] && emulator_users "$dir/org.json"; then
        if python3 "$HERE/compare_org.py" "$DATA" "$dir/org.json" >"$dir/compare.log" 2>&1; then
            cmp=ok; TOTAL_PASSED=$((TOTAL_PASSED + 1))
        else
            cmp=FAILED; TOTAL_FAILED=$((TOTAL_FAILED + 1))
        fi
    fi
    emulator_stop
    local summary passed=0 failed=0 extra=""
    summary=$(grep -E '^harness: [0-9]+ passed, [0-9]+ failed$' "$dir/stdout.log" | tail -n1)
    if [ -n "$summary" ]; then
        passed=$(echo "$summary" | sed -E 's/harness: ([0-9]+) passed.*/\1/')
        failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) failed/\1/')
    else
        extra=" (no summary line: crashed?)"
        failed=1
    fi
    if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
        failed=1
        extra=" (exit $rc with no failed check: sanitizer/valgrind error or crash)"
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    local line="$name: $passed passed, $failed failed, exit $rc, $((SECONDS - t0)) s$extra"
    [ -n "$cmp" ] && line="$line; org comparison $cmp"
    RUN_LINES+=("$line")
    echo "   $line"
    if [ "$failed" != 0 ] || [ "$cmp" = FAILED ]; then
        grep -E '^  FAIL|WATCHDOG' "$dir/stdout.log" | head -40 | sed 's/^/   /'
        grep -E 'ERROR: |SUMMARY: |runtime error|definitely lost|indirectly lost|ERROR SUMMARY|panicked' \
            "$dir/stderr.log" | head -20 | sed 's/^/   stderr: /'
        [ "$cmp" = FAILED ] && grep -E 'MISMATCH|compare_org' "$dir/compare.log" | sed 's/^/   /'
        echo "   logs: $dir (set KEEP_TMP=1 to keep them)"
    fi
}

# (a)-(c) plain host
run a-demo 1 "$HOST" --mode demo --threads 8 --repeat 50 --set log_level=trace "${EXPECT[@]}"
run a-stress 0 "$HOST" --mode stress --threads 8 --repeat 20 "${EXPECT[@]}"
run b-abuse 0 "$HOST" --mode abuse
run c-lifecycle 0 "$HOST" --mode lifecycle --repeat 5 "${EXPECT[@]}"

# (d) AddressSanitizer + UBSan + LeakSanitizer
LSAN_SUPP=""
[ -f "$HERE/lsan.supp" ] && LSAN_SUPP="suppressions=$HERE/lsan.supp:print_suppressions=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="$LSAN_SUPP"
run d-asan-demo 1 "$HOST_ASAN" --mode demo --threads 8 --repeat 50 "${EXPECT[@]}"
run d-asan-abuse 0 "$HOST_ASAN" --mode abuse
run d-asan-lifecycle 0 "$HOST_ASAN" --mode lifecycle --repeat 5 "${EXPECT[@]}"
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# (e) Valgrind memcheck on the plain host (ASan and Valgrind do not mix)
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --suppressions="$HERE/valgrind.supp" --num-callers=30)
run e-valgrind-demo 1 "${VG[@]}" "$HOST" --mode demo --threads 4 --repeat 5 --timeout-ms 120000 "${EXPECT[@]}"
run e-valgrind-abuse 0 "${VG[@]}" "$HOST" --mode abuse --timeout-ms 120000

echo
echo "== summary"
for l in "${RUN_LINES[@]}"; do echo "   $l"; done
echo "harness: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" = 0 ]
