#!/usr/bin/env bash
# The Windows part of CI (.ci/run runs it after the README's test command; it needs the rustup
# target x86_64-pc-windows-gnu, MinGW-w64 and wine64, which .ci/run installs):
#   0. cargo clippy for the Windows target (the Windows-only code is not linted by the Linux build)
#   1. make windows PROFILE=debug: gcsync.dll, its import library and .def in dist/windows; fails
#      unless the DLL exports exactly the functions gcsync.h declares and imports only Windows DLLs
#   2. ffi-harness/test-windows.sh: the C host under Wine (demo + org comparison, stress, abuse,
#      lifecycle) and the README host program linked against the import library
# Prints how long it took.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
t0=$SECONDS
status=0
echo "== clippy -D warnings for x86_64-pc-windows-gnu (the Windows-only code in src/platform.rs)"
cargo clippy -q -p gcsync --target x86_64-pc-windows-gnu -- -D warnings || status=1
echo
echo "== Windows package (debug build): make windows PROFILE=debug"
make -s windows PROFILE=debug || status=1
echo
echo "== Windows: the C host under Wine"
bash ffi-harness/test-windows.sh || status=1
echo "windows: $((SECONDS - t0)) s, $([ "$status" = 0 ] && echo green || echo FAILED)"
exit "$status"
