#!/usr/bin/env bash
# Demo: build the library, the emulator and the host; sync data/sample-users.json (users, then
# wrap-up codes, skills and workgroups through the generic hook) into a loopback Genesys Cloud
# emulator through the C ABI; print the plugin's status tables, then what the emulator's org holds
# (users, queues with members and wrap-up codes, wrap-up codes), and compare them field by field.
# Skills are sent too; until the skill kind is in the library they are refused as an unknown kind
# and the demo says so (objects.c). Exits non-zero on any failed check or mismatch.
#
#   ffi-harness/demo.sh            (from anywhere; KEEP_TMP=1 keeps the temp dir for inspection)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=run-emulator.sh
. "$HERE/run-emulator.sh"
cd "$ROOT"

echo "== building (release)"
cargo build --release -q -p gcsync
cargo build --release -q -p gc-emulator
make -s -C "$HERE" host

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gcsync-demo.XXXXXX")
cleanup() {
    emulator_stop
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

emulator_start "$ROOT/target/release/gc-emulator" "$TMP"
echo "== emulator listening on $EMU_URL; data dir $TMP/data"

status=0
"$HERE/build/host" --lib "$ROOT/target/release/libgcsync.so" \
    --settings "$HERE/data/demo.settings" --dataset "$HERE/data/sample-users.json" \
    --set "api_base_url=$EMU_URL" --set "login_base_url=$EMU_URL" --set "data_dir=$TMP/data" \
    --mode demo --expect-synced 7 --expect-error 1 || status=$?

echo
echo "== what the emulator's org holds (GET /__emulator/users, /queues, /wrapupcodes, /presences)"
emulator_users "$TMP/org.json"
emulator_dump queues "$TMP/queues.json"
emulator_dump wrapupcodes "$TMP/codes.json"
emulator_dump presences "$TMP/presences.json"
python3 "$HERE/compare_org.py" "$HERE/data/sample-users.json" "$TMP/org.json" \
    "$TMP/queues.json" "$TMP/codes.json" "$TMP/presences.json" || status=1
emulator_stop

if [ "$status" = 0 ]; then echo "demo: OK"; else echo "demo: FAILED"; fi
exit "$status"
