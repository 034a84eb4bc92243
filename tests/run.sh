#!/usr/bin/env bash
# The test command (README): every Rust test (each in its own process: the plugin is
# process-global), then the C host in plain, ASan+UBSan and Valgrind builds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --workspace --all-targets
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
else
    echo "cargo-nextest not found; using cargo test (tests serialise on a mutex)"
    cargo test --workspace --no-fail-fast
fi
bash ffi-harness/test.sh
# The benchmark at CI size: asserts exact counts (lost changes, writes after an outage), bytes
# written within a regression guard and timings only as ratios (BENCHMARKS.md).
cargo run -q -p gcsync-bench -- --quick
