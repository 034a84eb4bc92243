#!/usr/bin/env bash
# The Windows C-ABI suite: gcsync.dll (x86_64-pc-windows-gnu, debug) and the C host cross-compiled
# with MinGW-w64 (build-win/host.exe), run under Wine against the native Linux emulator on
# 127.0.0.1:
#   w-demo       demo mode, 8 threads x 50 repeats, trace logging; org compared with the dataset
#   w-demo-utf16 the same through the _utf16 hooks and status query (what a CIC handler passes:
#                wchar_t strings), org compared with the dataset (accents, "Nguyễn Thị Thu")
#   w-stress     queries, settings reloads and a force sync during intake
#   w-abuse      the error contract
#   w-lifecycle  5 x LoadLibraryW/init/send/shutdown/FreeLibrary, thread count checked each time
#   w-readme-host  the README's host program built with MinGW-w64 against the import library
# Each run gets its own emulator and a fresh data directory whose name is not ASCII
# ("données Nguyễn": UTF-8 through the host, UTF-16 on the Windows side). Wine runs in its own
# throwaway prefix. The TEST-ONLY ProcessPrng shim (win/processprng-shim.c) sits beside host.exe.
# Ends with "harness: N passed, M failed" like test.sh.
#
#   ffi-harness/test-windows.sh     ONLY="w-demo w-abuse" for a subset; KEEP_TMP=1 keeps logs
#   Needs: rustup target x86_64-pc-windows-gnu, x86_64-w64-mingw32-gcc, wine64 (Debian: wine64).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=run-emulator.sh
. "$HERE/run-emulator.sh"
# shellcheck source=runs.sh
. "$HERE/runs.sh"
cd "$ROOT" || exit 2

fail_setup() { echo "test-windows: $*" >&2; echo "harness: 0 passed, 1 failed"; exit 1; }

WINE=$(command -v wine64 || true)
[ -n "$WINE" ] || [ ! -x /usr/lib/wine/wine64 ] || WINE=/usr/lib/wine/wine64
[ -n "$WINE" ] || fail_setup "wine64 not found (apt-get install wine64)"
command -v x86_64-w64-mingw32-gcc >/dev/null || fail_setup "x86_64-w64-mingw32-gcc not found (apt-get install gcc-mingw-w64-x86-64)"
WINESERVER=$(dirname "$WINE")/wineserver
[ -x "$WINESERVER" ] || WINESERVER=$(command -v wineserver || echo wineserver)

echo "== building (gcsync.dll debug, emulator, host.exe + test-only ProcessPrng shim)"
cargo build -q -p gcsync --target x86_64-pc-windows-gnu || fail_setup "cargo build --target x86_64-pc-windows-gnu failed"
cargo build -q -p gc-emulator || fail_setup "emulator build failed"
make -s -C "$HERE" host-win || fail_setup "make host-win failed"

LIB=$ROOT/target/x86_64-pc-windows-gnu/debug/gcsync.dll
EMU=$ROOT/target/debug/gc-emulator
HOST_EXE=$HERE/build-win/host.exe
DATA=$HERE/data/sample-users.json
SETTINGS=$HERE/data/demo.settings
EXPECT=(--expect-synced 7 --expect-error 1)
# The library must stay mapped after FreeLibrary (gcsync_init pins it: platform::pin_module).
PINNED=1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gcsync-wine.XXXXXX")
export WINEPREFIX=$TMP/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" LANG=C.UTF-8
unset DISPLAY WAYLAND_DISPLAY
cleanup() {
    emulator_stop
    WINEPREFIX=$TMP/wineprefix "$WINESERVER" -k 2>/dev/null || true
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# Wine maps drive Z: to /.
host_path() { printf 'Z:%s' "$1"; }
DATA_DIR_NAME="données Nguyễn"

echo "== Wine prefix ($("$WINE" --version 2>/dev/null || echo wine))"
t0=$SECONDS
"$WINE" wineboot --init >/dev/null 2>&1
"$WINESERVER" -w 2>/dev/null
echo "   ready in $((SECONDS - t0)) s"

# The README's host program, built as "Build for Windows" says (against the import library, so
# gcsync.dll is linked implicitly, not loaded with LoadLibraryW), run beside the DLL and the shim.
# Its settings come from getenv, which gives ANSI code-page text on Windows: the data dir is ASCII.
readme_host() {
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" w-readme-host "* ]]; then return; fi
    local dir=$TMP/w-readme-host line
    mkdir -p "$dir"
    echo
    echo "== run w-readme-host: the README host snippet, MinGW-w64 + libgcsync.dll.a"
    cp "$LIB" "$HERE/build-win/bcryptprimitives.dll" "$dir/"
    if ! "$ROOT/packaging/readme-snippet.sh" "$ROOT/README.md" >"$dir/host.c" ||
        ! x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror "$dir/host.c" -I"$ROOT/include" \
            -L"$(dirname "$LIB")" -lgcsync -o "$dir/host.exe" >"$dir/cc.log" 2>&1; then
        line="w-readme-host: FAILED to build (see $dir/cc.log)"
        sed 's/^/   /' "$dir/cc.log" | head -20
    elif ! emulator_start "$EMU" "$dir"; then
        line="w-readme-host: emulator did not start"
    else
        local out rc=0
        out=$(GCSYNC_api_base_url="$EMU_URL" GCSYNC_login_base_url="$EMU_URL" GCSYNC_client_id="$EMU_CLIENT_ID" \
            GCSYNC_client_secret="$EMU_CLIENT_SECRET" GCSYNC_data_dir="$(host_path "$dir/data")" \
            "$WINE" "$dir/host.exe" 2>"$dir/stderr.log") || rc=$?
        emulator_stop
        echo "   $out"
        if [ "$rc" = 0 ] && [[ $out == *'"id":"jdoe"'* ]] && [[ $out == *'"state":"Synced"'* ]]; then
            line="w-readme-host: 1 passed, 0 failed (exit 0, jdoe Synced)"
            TOTAL_PASSED=$((TOTAL_PASSED + 1))
            RUN_LINES+=("$line")
            echo "   $line"
            return
        fi
        line="w-readme-host: FAILED: exit $rc, output: $out"
        tail -5 "$dir/stderr.log" | sed 's/^/   stderr: /'
    fi
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    RUN_LINES+=("$line")
    echo "   $line"
}

W=("$WINE" "$HOST_EXE" --pinned "$PINNED")
run w-demo 1 "${W[@]}" --mode demo --threads 8 --repeat 50 --set log_level=trace "${EXPECT[@]}"
run w-demo-utf16 1 "${W[@]}" --mode demo --threads 4 --repeat 10 --utf16 1 "${EXPECT[@]}"
run w-stress 0 "${W[@]}" --mode stress --threads 8 --repeat 20 "${EXPECT[@]}"
run w-abuse 0 "${W[@]}" --mode abuse
run w-lifecycle 0 "${W[@]}" --mode lifecycle --repeat 5 "${EXPECT[@]}"
readme_host

summary
