#!/usr/bin/env bash
# The exported functions, three ways, so they can be compared:
#
#   packaging/exports.sh header [include/gcsync.h]   every gcsync_* function the header declares
#   packaging/exports.sh lib FILE                    what FILE exports (gcsync.dll: its export table;
#                                                    libgcsync.so: its dynamic symbols)
#   packaging/exports.sh check FILE [HEADER]         FILE exports exactly what the header declares;
#                                                    lists what is missing or extra, exit 1 if any
#   packaging/exports.sh def FILE                    a module-definition (.def) file for a DLL, from
#                                                    its export table (after `check`, the header's set)
#
# The header is run through the C preprocessor (comments, #if and macros gone), then every
# `gcsync_name(` is a declared function: callback typedefs read `(*gcsync_name)(` and do not match.
# So the expected set follows the header as exports are added; nothing is listed by hand.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CC=${CC:-cc}
OBJDUMP_PE=${OBJDUMP_PE:-x86_64-w64-mingw32-objdump}

header_functions() {
    local h=${1:-$ROOT/include/gcsync.h}
    "$CC" -E -P -x c "$h" | grep -oE '\bgcsync_[A-Za-z0-9_]+[[:space:]]*\(' | tr -d ' \t(' | sort -u
}

is_pe() { [ "$(head -c 2 "$1" | od -An -c | tr -d ' ')" = "MZ" ]; }

lib_exports() {
    local f=$1
    if is_pe "$f"; then
        # The "[Ordinal/Name Pointer] Table" section of objdump -p lists one "[ n] name" per export.
        # (awk reads to the end: an early exit would make objdump die of SIGPIPE under pipefail.)
        "$OBJDUMP_PE" -p "$f" | awk '/^\[Ordinal\/Name Pointer\] Table/ { on = 1; next }
                                     on && NF == 0 { on = 0 }
                                     on { print $NF }' | sort -u
    else
        nm -D --defined-only "$f" | awk '$2 ~ /^[TtWw]$/ { print $3 }' | sort -u
    fi
}

case ${1:-} in
    header) header_functions "${2:-}" ;;
    lib) lib_exports "$2" ;;
    check)
        f=$2
        want=$(header_functions "${3:-}")
        got=$(lib_exports "$f")
        [ -n "$want" ] || { echo "exports: no gcsync_* function found in the header" >&2; exit 1; }
        missing=$(comm -23 <(echo "$want") <(echo "$got"))
        extra=$(comm -13 <(echo "$want") <(echo "$got"))
        if [ -z "$missing" ] && [ -z "$extra" ]; then
            echo "exports: $(basename "$f") exports exactly the $(echo "$want" | wc -l) functions of gcsync.h"
            exit 0
        fi
        echo "exports: $(basename "$f") does not match gcsync.h" >&2
        [ -z "$missing" ] || echo "  declared but not exported: $(echo "$missing" | tr '\n' ' ')" >&2
        [ -z "$extra" ] || echo "  exported but not declared: $(echo "$extra" | tr '\n' ' ')" >&2
        exit 1
        ;;
    def)
        f=$2
        is_pe "$f" || { echo "exports: $f is not a PE file (a DLL)" >&2; exit 1; }
        echo "LIBRARY $(basename "$f")"
        echo "EXPORTS"
        lib_exports "$f" | sed 's/^/    /'
        ;;
    *)
        sed -n '2,13p' "$0" >&2
        exit 2
        ;;
esac
