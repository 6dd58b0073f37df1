#!/usr/bin/env bash
# Run every fuzz target for a fixed budget: scripts/fuzz.sh [seconds-per-target] [target...]
# Installs cargo-fuzz when missing. Only the stable toolchain exists here, so cargo-fuzz runs with
# RUSTC_BOOTSTRAP=1 (it needs nightly flags such as -Zsanitizer=address).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(verify event_decode overlay spec_load)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
scripts/fuzz-seeds.sh
for t in "${targets[@]}"; do
  echo "== $t (${seconds}s)"
  mkdir -p "fuzz/corpus/$t"
  (cd fuzz && cargo fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1) 2>&1 |
    grep -E "^(#|stat::|INFO: Done|==|SUMMARY|Done)" | tail -n 12
done
