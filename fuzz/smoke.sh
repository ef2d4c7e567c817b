#!/usr/bin/env bash
# Fuzz smoke test: builds every fuzz target and runs each for a short while
# (FUZZ_SECONDS, default 20). Fails when any target finds an input that
# panics, hangs or runs out of memory; the input is kept in
# fuzz/artifacts/<target>/ and the command that replays it is printed.
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
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
all_targets="xml_error list_buckets list_objects bucket_location delete_objects object_metadata json_invoke"
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
    mkdir -p "corpus/$target"
    args=(-max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
    case "$target" in
        xml_error | list_buckets | list_objects | bucket_location | delete_objects)
            args+=(-dict="$here/xml.dict")
            ;;
    esac
    log="target/smoke-logs/$target.log"
    # shellcheck disable=SC2046 # one word per seed directory
    if cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$target" \
        "corpus/$target" $(seeds "$target") -- "${args[@]}" >"$log" 2>&1; then
        runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
        cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)"
        echo "fuzz: $target ok (${runs:-?} runs, ${cov:-cov: ?})"
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
