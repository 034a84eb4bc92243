# shellcheck shell=bash
# The run bookkeeping shared by test.sh (Linux) and test-windows.sh (Wine); source it, it runs nothing.
#
#   run NAME COMPARE COMMAND...   one host run against a fresh emulator and data dir (COMPARE=1: also
#                                 compare the emulator's org with the dataset); counts its checks
#   summary                       the per-run lines and "harness: N passed, M failed"; fails if M > 0
#
# The caller sets HERE, EMU, LIB, SETTINGS, DATA and TMP, and may override:
#   host_path PATH    how the host names a path of this machine (Wine: Z:/...); default: unchanged
#   DATA_DIR_NAME     the data directory's name inside the run's directory; default: data

host_path() { printf '%s' "$1"; }
DATA_DIR_NAME=${DATA_DIR_NAME:-data}

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
    "$@" --lib "$(host_path "$LIB")" --settings "$(host_path "$SETTINGS")" --dataset "$(host_path "$DATA")" \
        --set "api_base_url=$EMU_URL" --set "login_base_url=$EMU_URL" \
        --set "data_dir=$(host_path "$dir/$DATA_DIR_NAME")" \
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
    # The secret scan: the client secret must appear nowhere the host run left (its stdout and
    # stderr, which carry every gcsync log line, and every file of the data directory, the
    # database included). The emulator's own log is not gcsync's output and is left out.
    local secret leaks
    secret=$(sed -n 's/^client_secret *= *//p' "$SETTINGS" | tr -d '\r')
    if [ -n "$secret" ]; then
        leaks=$(grep -rlaF -- "$secret" "$dir" --exclude=emulator.log 2>/dev/null)
        if [ -n "$leaks" ]; then
            failed=$((failed + 1))
            extra="$extra (client secret found in: $(echo "$leaks" | tr '\n' ' '))"
        else
            passed=$((passed + 1))
        fi
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

summary() {
    echo
    echo "== summary"
    for l in "${RUN_LINES[@]}"; do echo "   $l"; done
    echo "harness: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
    [ "$TOTAL_FAILED" = 0 ]
}
