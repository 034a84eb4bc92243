#!/usr/bin/env bash
# Packaging check (CI): what the README's "Build and link" and "Using it from a host" sections say,
# done as a new user would, from a fresh install prefix:
#   1. make install PREFIX=<fresh dir>: libgcsync.so.N (SONAME libgcsync.so.N, N = ABI version), the
#      libgcsync.so link, gcsync.h, gcsync.pc
#   2. the README's host snippet, extracted from README.md as it stands, compiled with exactly
#      `cc -std=c11 -Wall -Wextra -Werror host.c $(pkg-config --cflags --libs gcsync)` (only
#      PKG_CONFIG_PATH points at the prefix: no -I, -L or rpath of our own)
#   3. the program needs libgcsync.so.N, and run against the emulator it syncs jdoe ("Synced")
#   4. the library exports exactly the functions gcsync.h declares
# Ends with "packaging: N passed, M failed".
#
#   tests/packaging.sh            PROFILE=release (default) or debug (reuses the debug build)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
# shellcheck source=../ffi-harness/run-emulator.sh
. ffi-harness/run-emulator.sh
PROFILE=${PROFILE:-release}
PASSED=0
FAILED=0
ok() { echo "  ok   $*"; PASSED=$((PASSED + 1)); }
bad() { echo "  FAIL $*"; FAILED=$((FAILED + 1)); }
finish() {
    echo "packaging: $PASSED passed, $FAILED failed"
    [ "$FAILED" = 0 ]
    exit
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gcsync-packaging.XXXXXX")
cleanup() {
    emulator_stop
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
PREFIX=$TMP/prefix
ABI=$(sed -n 's/^pub const GCSYNC_ABI_VERSION: u32 = \([0-9][0-9]*\);.*/\1/p' src/host.rs)

echo "== make install PREFIX=$PREFIX (PROFILE=$PROFILE)"
if make -s install PROFILE="$PROFILE" PREFIX="$PREFIX" >"$TMP/install.log" 2>&1; then
    ok "make install"
else
    bad "make install:"; sed 's/^/       /' "$TMP/install.log" | tail -20; finish
fi
for f in "lib/libgcsync.so.$ABI" lib/libgcsync.so include/gcsync.h lib/pkgconfig/gcsync.pc; do
    if [ -e "$PREFIX/$f" ]; then ok "installed $f"; else bad "missing $PREFIX/$f"; fi
done
[ "$(readlink "$PREFIX/lib/libgcsync.so")" = "libgcsync.so.$ABI" ] && ok "libgcsync.so -> libgcsync.so.$ABI" \
    || bad "libgcsync.so does not point at libgcsync.so.$ABI"
soname=$(readelf -d "$PREFIX/lib/libgcsync.so.$ABI" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = "libgcsync.so.$ABI" ] && ok "SONAME $soname (ABI version $ABI)" || bad "SONAME is '$soname', want libgcsync.so.$ABI"
readelf -d "$PREFIX/lib/libgcsync.so.$ABI" | grep -q 'NODELETE' && ok "linked with -z nodelete" || bad "no NODELETE flag"
packaging/exports.sh check "$PREFIX/lib/libgcsync.so.$ABI" && ok "exports match gcsync.h" || bad "exports differ from gcsync.h"

echo "== the README's host snippet"
if packaging/readme-snippet.sh README.md >"$TMP/host.c" && grep -q 'gcsync_init' "$TMP/host.c" &&
    grep -q 'int main' "$TMP/host.c"; then
    ok "extracted host.c from README.md ($(wc -l <"$TMP/host.c") lines)"
else
    bad "no host snippet after the <!-- readme-host-snippet --> marker in README.md"; finish
fi
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
flags=$(pkg-config --cflags --libs gcsync) || { bad "pkg-config --cflags --libs gcsync"; finish; }
ok "pkg-config --cflags --libs gcsync: $flags"
# shellcheck disable=SC2086
if (cd "$TMP" && cc -std=c11 -Wall -Wextra -Werror host.c $(pkg-config --cflags --libs gcsync) -o host) \
    >"$TMP/cc.log" 2>&1; then
    ok "cc -std=c11 -Wall -Wextra -Werror host.c \$(pkg-config --cflags --libs gcsync)"
else
    bad "the README snippet does not compile:"; sed 's/^/       /' "$TMP/cc.log" | head -30; finish
fi
readelf -d "$TMP/host" | grep -q "Shared library: \[libgcsync.so.$ABI\]" && ok "host needs libgcsync.so.$ABI" \
    || bad "host does not record libgcsync.so.$ABI as NEEDED"

echo "== run it against the emulator"
cargo build -q -p gc-emulator || { bad "emulator build"; finish; }
if emulator_start "$ROOT/target/debug/gc-emulator" "$TMP"; then
    out=$(env -u LD_LIBRARY_PATH GCSYNC_api_base_url="$EMU_URL" GCSYNC_login_base_url="$EMU_URL" \
        GCSYNC_client_id="$EMU_CLIENT_ID" GCSYNC_client_secret="$EMU_CLIENT_SECRET" \
        GCSYNC_data_dir="$TMP/data" "$TMP/host" 2>"$TMP/host.err")
    rc=$?
    echo "   $out"
    if [ "$rc" = 0 ] && [[ $out == *'"id":"jdoe"'* ]] && [[ $out == *'"state":"Synced"'* ]]; then
        ok "the README host ran (exit 0) and jdoe is Synced"
    else
        bad "the README host: exit $rc, output: $out"; sed 's/^/       /' "$TMP/host.err" | tail -10
    fi
    emulator_users "$TMP/org.json" && grep -q '"jane@example.com"' "$TMP/org.json" \
        && ok "the emulator's org holds jane@example.com" || bad "jane@example.com not in the emulator's org"
    emulator_stop
else
    bad "emulator did not start"
fi
finish
