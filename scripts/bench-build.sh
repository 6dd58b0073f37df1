#!/usr/bin/env bash
# What a generated SDK costs its user to build, side by side in one run (issue #21).
#
#   scripts/bench-build.sh [--release] [--progenitor] [--baseline COMMIT] [--only NAME...]
#
# For GitHub (corpus-next), PagerDuty and Lithic (corpus), it generates each crate with this
# checkout and with a fixed baseline commit, then measures, alternating the two for each step:
# generated lines, `cargo check` and debug `cargo build` wall time of the crate alone
# (dependencies built first, the crate cleaned before each step), peak memory (GNU time's
# maximum resident set, the largest compiler process) and the debug rlib's size.
#   --release     also a release build of each of this checkout's crates (GitHub's took 19 min
#                 at the baseline; that figure is not re-run);
#   --progenitor  also progenitor's client for PagerDuty (`cargo install cargo-progenitor`)
#                 beside hookgen's, both from the same trimmed spec (scripts/progenitor-trim.py);
#   --only NAME   only these of github, pagerduty, lithic.
# Prints a Markdown table; work files go to $BENCH_DIR (default /tmp/hookgen-bench-build).
# Out of CI: it takes about 20 minutes without --release on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SHARED=${SHARED:-$REPO/../shared}
BASELINE=8858904 # the last commit before #21's work: the figures the issue quotes
RELEASE=0
PROGENITOR=0
ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --release) RELEASE=1 ;;
    --progenitor) PROGENITOR=1 ;;
    --baseline) BASELINE=$2; shift ;;
    --only) ONLY+=("$2"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
WORK=${BENCH_DIR:-/tmp/hookgen-bench-build}
mkdir -p "$WORK"
export CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0

declare -A SPEC=(
  [github]="$SHARED/corpus-next/github/api.github.com.json"
  [pagerduty]="$SHARED/corpus/pagerduty/openapiv3.json"
  [lithic]="$SHARED/corpus/lithic/lithic-openapi.yml"
)
VENDORS=(github pagerduty lithic)
[ ${#ONLY[@]} -gt 0 ] && VENDORS=("${ONLY[@]}")

# The baseline's checkout and CLI, built once.
if [ ! -d "$WORK/baseline-src" ]; then
  git worktree add --detach "$WORK/baseline-src" "$BASELINE" >&2
fi
build_cli() { # checkout target -> path of its cargo-hookgen binary
  local src=$1 target=$2 package
  package=$(grep -q '^name = "cargo-hookgen"' "$src/cargo-hookgen/Cargo.toml" 2>/dev/null && echo cargo-hookgen || echo hookgen)
  (cd "$src" && CARGO_TARGET_DIR=$target cargo build -q -p "$package" --bin cargo-hookgen >&2)
  echo "$target/debug/cargo-hookgen"
}
CLI_current=$(build_cli "$REPO" "$WORK/target-cli-current")
CLI_baseline=$(build_cli "$WORK/baseline-src" "$WORK/target-cli-baseline")
RUNTIME_current=$REPO/runtime
RUNTIME_baseline=$WORK/baseline-src/runtime

lines_of() { find "$1/src" -name '*.rs' -exec cat {} + | wc -l; }
package_of() { sed -n 's/^name = "\(.*\)"/\1/p' "$1/Cargo.toml" | head -n1; }

# Run one cargo step on a crate with its dependencies already built: "seconds peak_mb".
measure() { # crate-dir target-dir cargo-args...
  local dir=$1 target=$2 package
  shift 2
  package=$(package_of "$dir")
  (cd "$dir" && CARGO_TARGET_DIR=$target cargo "$@" -q >/dev/null 2>&1) || true # dependencies
  (cd "$dir" && CARGO_TARGET_DIR=$target cargo clean -q -p "$package" "${@:2}" 2>/dev/null || true)
  local log
  log=$(mktemp)
  # A crate that does not compile (progenitor's PagerDuty) is reported, not timed.
  if (cd "$dir" && CARGO_TARGET_DIR=$target /usr/bin/time -f '%e %M' -o "$log" cargo "$@" -q >/dev/null 2>&1); then
    awk '{printf "%.1f %d\n", $1, $2 / 1024}' "$log"
  else
    echo "failed -"
  fi
  rm -f "$log"
}

rlib_mb() { # target-dir profile package
  local f
  f=$(ls -t "$1/$2/deps/lib${3//-/_}-"*.rlib 2>/dev/null | head -n1)
  [ -n "$f" ] && awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.1f", b/1048576}' || echo "-"
}

declare -A R
for vendor in "${VENDORS[@]}"; do
  for side in baseline current; do
    cli=CLI_$side runtime=RUNTIME_$side
    out=$WORK/crates/$side/$vendor
    rm -rf "$out"
    "${!cli}" generate "${SPEC[$vendor]}" --out "$out" --runtime-path "${!runtime}" >&2
    R[$vendor,$side,lines]=$(lines_of "$out")
    R[$vendor,$side,dir]=$out
  done
  for step in check build; do
    for side in baseline current; do
      read -r secs mb < <(measure "${R[$vendor,$side,dir]}" "$WORK/target-$side" "$step")
      R[$vendor,$side,$step]=$secs R[$vendor,$side,$step-mb]=$mb
      echo "$vendor $side $step: ${secs}s ${mb} MB" >&2
    done
  done
  for side in baseline current; do
    R[$vendor,$side,rlib]=$(rlib_mb "$WORK/target-$side" debug "$(package_of "${R[$vendor,$side,dir]}")")
  done
  if [ "$RELEASE" = 1 ]; then
    read -r secs mb < <(measure "${R[$vendor,current,dir]}" "$WORK/target-current" build --release)
    R[$vendor,current,release]=$secs R[$vendor,current,release-mb]=$mb
    echo "$vendor current release: ${secs}s ${mb} MB" >&2
  fi
done

if [ "$PROGENITOR" = 1 ]; then
  # progenitor 0.15 cannot read PagerDuty as published: scripts/progenitor-trim.py lists each
  # trim, and hookgen reads the same trimmed file for this comparison.
  command -v cargo-progenitor >/dev/null || cargo install cargo-progenitor --locked >&2
  trimmed=$WORK/pagerduty-trimmed.json
  python3 scripts/progenitor-trim.py "${SPEC[pagerduty]}" "$trimmed"
  for side in progenitor hookgen; do
    out=$WORK/crates/trimmed/$side
    rm -rf "$out"
    if [ "$side" = progenitor ]; then
      cargo progenitor -i "$trimmed" -o "$out" -n pagerduty-progenitor -v 0.1.0 >/dev/null 2>&1 \
        || echo "progenitor could not generate from the trimmed spec" >&2
    else
      "$CLI_current" generate "$trimmed" --out "$out" --runtime-path "$RUNTIME_current" >&2
    fi
    R[trimmed,$side,lines]=$(lines_of "$out")
    R[trimmed,$side,dir]=$out
  done
  for step in check build; do
    for side in progenitor hookgen; do
      read -r secs mb < <(measure "${R[trimmed,$side,dir]}" "$WORK/target-trimmed-$side" "$step")
      R[trimmed,$side,$step]=$secs R[trimmed,$side,$step-mb]=$mb
      echo "trimmed pagerduty $side $step: ${secs}s ${mb} MB" >&2
    done
  done
  for side in progenitor hookgen; do
    R[trimmed,$side,rlib]=$(rlib_mb "$WORK/target-trimmed-$side" debug "$(package_of "${R[trimmed,$side,dir]}")")
  done
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2fx", a / b; else print "-" }'; }
echo
echo "Baseline: $(git -C "$WORK/baseline-src" log -1 --format='%h %s' | cut -c1-60)"
echo
echo "| crate | side | lines | check | debug build | peak (build) | rlib | release build |"
echo "|---|---|---|---|---|---|---|---|"
for vendor in "${VENDORS[@]}"; do
  for side in baseline current; do
    echo "| $vendor | $side | ${R[$vendor,$side,lines]} | ${R[$vendor,$side,check]} s | ${R[$vendor,$side,build]} s | ${R[$vendor,$side,build-mb]} MB | ${R[$vendor,$side,rlib]} MB | ${R[$vendor,$side,release]:--} |"
  done
  echo "| $vendor | current/baseline | $(ratio "${R[$vendor,current,lines]}" "${R[$vendor,baseline,lines]}") | $(ratio "${R[$vendor,current,check]}" "${R[$vendor,baseline,check]}") | $(ratio "${R[$vendor,current,build]}" "${R[$vendor,baseline,build]}") | $(ratio "${R[$vendor,current,build-mb]}" "${R[$vendor,baseline,build-mb]}") | | |"
done
if [ "$PROGENITOR" = 1 ]; then
  for side in progenitor hookgen; do
    echo "| pagerduty (trimmed) | $side | ${R[trimmed,$side,lines]} | ${R[trimmed,$side,check]} s | ${R[trimmed,$side,build]} s | ${R[trimmed,$side,build-mb]} MB | ${R[trimmed,$side,rlib]} MB | - |"
  done
  echo "| pagerduty (trimmed) | hookgen/progenitor | $(ratio "${R[trimmed,hookgen,lines]}" "${R[trimmed,progenitor,lines]}") | $(ratio "${R[trimmed,hookgen,check]}" "${R[trimmed,progenitor,check]}") | $(ratio "${R[trimmed,hookgen,build]}" "${R[trimmed,progenitor,build]}") | $(ratio "${R[trimmed,hookgen,build-mb]}" "${R[trimmed,progenitor,build-mb]}") | | |"
fi
