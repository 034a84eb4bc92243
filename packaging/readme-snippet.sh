#!/usr/bin/env bash
# packaging/readme-snippet.sh [README.md]   prints the README's host program: the first ```c block
# after the <!-- readme-host-snippet --> marker. The CI checks compile exactly this text
# (tests/packaging.sh on Linux with pkg-config, ffi-harness/test-windows.sh with MinGW-w64).
set -euo pipefail
readme=${1:-$(dirname "${BASH_SOURCE[0]}")/../README.md}
awk '/<!-- readme-host-snippet/ { armed = 1; next }
     armed && /^```c$/ { on = 1; next }
     on && /^```$/ { found = 1; exit }
     on { print }
     END { if (!found) { print "readme-snippet: no ```c block after the readme-host-snippet marker" > "/dev/stderr"; exit 1 } }' "$readme"
