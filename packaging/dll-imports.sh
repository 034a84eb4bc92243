#!/usr/bin/env bash
# packaging/dll-imports.sh DLL ALLOWED...   the DLLs that DLL imports are all in ALLOWED
# (case-insensitive): a shipped gcsync.dll must need nothing but Windows' own DLLs (no MinGW runtime
# DLL such as libgcc_s_seh-1.dll or libwinpthread-1.dll, nothing that must be shipped beside it).
set -euo pipefail
dll=$1
shift
allowed=$(printf '%s\n' "$@" | tr 'A-Z' 'a-z')
imports=$("${OBJDUMP_PE:-x86_64-w64-mingw32-objdump}" -p "$dll" | awk '/DLL Name:/ { print tolower($3) }' | sort -u)
[ -n "$imports" ] || { echo "dll-imports: no import found in $dll (not a PE DLL?)" >&2; exit 1; }
bad=$(comm -23 <(echo "$imports") <(echo "$allowed" | sort -u))
if [ -n "$bad" ]; then
    echo "dll-imports: $(basename "$dll") needs DLLs that are not part of Windows: $(echo "$bad" | tr '\n' ' ')" >&2
    exit 1
fi
echo "dll-imports: $(basename "$dll") imports only Windows DLLs: $(echo "$imports" | tr '\n' ' ')"
