#!/usr/bin/env bash
# Fuzz run: builds every fuzz target and runs each for a short while
# (FUZZ_SECONDS, default 20) or for a number of executions (FUZZ_RUNS).
# Fails when any target finds an input that panics, hangs or runs out of
# memory; the input is kept in fuzz/artifacts/<target>/ and the command
# that replays it is printed.
#
# Corpora: fuzz/seeds/<target>/ is kept in the repository (minimised: each
# input there, at most 4 KiB, adds coverage); fuzz/corpus/<target>/ is the
# working corpus a run grows (ignored by git). With FUZZ_MERGE=1 the seeds are
# replaced at the end by a minimal set covering both, to be committed.
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_RUNS       executions per target instead (make fuzz: 10000000)
#   FUZZ_MERGE      1: merge new coverage into fuzz/seeds/ afterwards
#   FUZZ_TARGETS    space-separated targets to run (default: all)
#   FUZZ_SANITIZER  address (default with nightly) or none (the only choice
#                   without a nightly toolchain; enough for safe Rust, where
#                   a panic is the bug we look for)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$here"
# cargo fuzz keeps its builds in fuzz/target, apart from the workspace's.
unset CARGO_TARGET_DIR

seconds="${FUZZ_SECONDS:-20}"
all_targets="xml_error list_buckets list_objects bucket_location delete_objects object_metadata multipart json_invoke json_value"
targets="${FUZZ_TARGETS:-$all_targets}"
started=$SECONDS

# Nightly gives AddressSanitizer; without it, cargo fuzz still builds the
# coverage-instrumented targets with the stable compiler.
if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
    sanitizer="${FUZZ_SANITIZER:-address}"
else
    echo "fuzz: no nightly toolchain; building without a sanitizer" >&2
    toolchain=()
    sanitizer=none
fi

if ! cargo "${toolchain[@]}" fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --version '^0.13'
fi

# Seeds: the XML fixtures, read in place (libFuzzer writes only to the first
# corpus directory, fuzz/corpus/<target>).
seeds() {
    local xml="$root/testdata/xml"
    case "$1" in
        xml_error) echo "$xml"/* ;;
        list_buckets) echo "$xml/list_buckets" ;;
        list_objects) echo "$xml/list_objects" ;;
        bucket_location) echo "$xml/get_bucket_location" ;;
        delete_objects) echo "$xml/delete_objects" ;;
        *) ;;
    esac
}

cargo "${toolchain[@]}" fuzz build --sanitizer "$sanitizer"
built=$((SECONDS - started))

mkdir -p target/smoke-logs
failed=()
for target in $targets; do
    mkdir -p "corpus/$target" "seeds/$target"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        budget=(-runs="$FUZZ_RUNS")
    else
        budget=(-max_total_time="$seconds")
    fi
    args=("${budget[@]}" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
    case "$target" in
        xml_error | list_buckets | list_objects | bucket_location | delete_objects | multipart)
            args+=(-dict="$here/xml.dict")
            ;;
    esac
    log="target/smoke-logs/$target.log"
    # shellcheck disable=SC2046 # one word per seed directory
    if cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$target" \
        "corpus/$target" "seeds/$target" $(seeds "$target") -- "${args[@]}" >"$log" 2>&1; then
        runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
        cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)"
        echo "fuzz: $target ok (${runs:-?} runs, ${cov:-cov: ?})"
        if [ "${FUZZ_MERGE:-0}" = 1 ]; then
            # A minimal set of inputs of at most 4 KiB that covers what the
            # seeds and the working corpus cover, in place of the seeds.
            before="$(find "seeds/$target" -type f | wc -l)"
            merged="$(mktemp -d)"
            cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$target" \
                "$merged" "seeds/$target" "corpus/$target" -- -merge=1 -max_len=4096 -rss_limit_mb=2048 \
                >"target/smoke-logs/$target.merge.log" 2>&1
            rm -rf "seeds/$target" && mv "$merged" "seeds/$target"
            after="$(find "seeds/$target" -type f | wc -l)"
            echo "fuzz: $target seeds $before -> $after"
        fi
    else
        echo "fuzz: $target FAILED (full log: $here/$log)"
        # The panic and its message, the input, and how to replay it.
        grep -a -A 1 'panicked at' "$log" | head -n 4 || true
        grep -a -E 'ERROR: (libFuzzer|AddressSanitizer)|^Base64:|cargo fuzz (run|tmin)' "$log" || tail -n 40 "$log"
        failed+=("$target")
    fi
done

elapsed=$((SECONDS - started))
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz smoke: FAILED: ${failed[*]} (inputs in $here/artifacts/; ${elapsed}s)"
    exit 1
fi
echo "fuzz smoke: ok: $(echo "$targets" | wc -w) targets, ${seconds}s each, sanitizer $sanitizer (build ${built}s, total ${elapsed}s)"
