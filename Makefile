# s3-connector: build the component and the host, run the demo and the tests.
# Every target does its own set-up, so `make demo` and `make test` work on a fresh machine.

WASM         := target/wasm32-wasip2/component/s3_connector.wasm
WASI_ADAPTER := target/wasm32-wasip2/component/s3_connector_wasi_http.wasm
WASI_WASM    := target/wasm32-wasip2/component/s3_connector_wasi.wasm
HTTP_FACE    := target/wasm32-wasip2/component/s3_connector_http_face.wasm
HTTP_WASM    := target/wasm32-wasip2/component/s3_connector_http.wasm
HOST         := target/release/s3-connector
VENV         := target/venv
MOTO_SERVER  := $(VENV)/bin/moto_server
CARGO        ?= cargo
WASM_OPT     ?= wasm-opt
COMPOSE      := $(CARGO) run -q -p s3-connector-compose --
# Root installs Debian packages itself; anyone else through sudo.
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The component builds (and only they: the host and the tests keep their
# flags) drop the build machine's directories from the source paths that
# panic messages carry: the crates' registry checkout and the toolchain's
# library sources shrink to `sha2-0.11.1/src/...` and `library/core/...`
# (about 3 KB of the component's data). A `--config` array is joined to
# `.cargo/config.toml`'s rustflags (SIMD), where RUSTFLAGS would replace them.
CARGO_HOME       ?= $(HOME)/.cargo
REMAPS           := $(foreach dir,$(wildcard $(CARGO_HOME)/registry/src/*) $(wildcard $(CARGO_HOME)/git/checkouts),$(dir)) \
	$(shell rustc --print sysroot 2>/dev/null)/lib/rustlib/src/rust
comma            := ,
space            := $(subst ,, )
#
# They also build the standard library from source (the toolchain's
# `rust-src`, which `make wasm` installs) with the component profile, so link-time
# optimisation sees it whole, and make a panic abort at once: a panic,
# always a bug, traps with `unreachable` and prints nothing, so neither
# std's panic machinery nor its message formatting is built in (with the
# rest, 45 KB of the connector, 76 KB of the standard-WASI build, 119 KB of
# the HTTP artifact; a message could also have carried input to stderr).
# std's own crates keep opt-level 3, as in the toolchain's prebuilt std (at
# the profile's "s" a call took 5% more instructions); `optimize_for_size`
# picks std's smaller algorithms (-2.2 KB, same instructions). `-Zbuild-std`
# and `-Cpanic=immediate-abort` are unstable options of the stable compiler,
# opted into by RUSTC_BOOTSTRAP=1 for these builds only. (Cargo applies the
# `--config` profile overrides to std's crates though it calls them unused
# when they sit in Cargo.toml, rust-lang/cargo#10480.)
COMPONENT_FLAGS  := --config 'target.wasm32-wasip2.rustflags=[$(subst $(space),$(comma),$(strip \
	$(foreach dir,$(REMAPS),"--remap-path-prefix=$(dir)=") "-Zunstable-options" "-Cpanic=immediate-abort"))]' \
	-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
	$(foreach crate,core alloc std compiler_builtins,--config profile.component.package.$(crate).opt-level=3)
COMPONENT_CARGO  := RUSTC_BOOTSTRAP=1 $(CARGO) $(COMPONENT_FLAGS)

.PHONY: all build binaryen named wasm wasi http interop host demo test test-core manifest readme test-host fuzz-smoke moto lint lint-bench fmt fuzz chaos clean bench bench-large bench-tenants bench-size bench-size-options bench-small bench-micro bench-instructions

all: build

## Build the component (.wasm), its standard-WASI build, the HTTP artifact
## and the host CLI.
build: wasm wasi http host

## Binaryen's wasm-opt, which every component build runs over its core
## module (Debian's package, installed when missing).
binaryen:
	@command -v $(WASM_OPT) >/dev/null || $(SUDO) apt-get install -y -q binaryen >/dev/null || \
		($(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q binaryen >/dev/null)

## The component: cargo's build, then wasm-opt -Os over its core module
## (adapters/compose --optimize: about 15% smaller than LLVM alone leaves it).
wasm: binaryen
	rustup target add wasm32-wasip2 >/dev/null
	rustup component add rust-src >/dev/null
	$(COMPONENT_CARGO) build -p s3-connector --profile component --target wasm32-wasip2
	WASM_OPT=$(WASM_OPT) $(COMPOSE) --optimize $(WASM)

## The standard-WASI build: the connector composed with the wasi:http
## adapter (adapters/wasi-http) by adapters/compose (wac-graph); it imports
## only wasi:* interfaces.
wasi: wasm
	$(COMPONENT_CARGO) build -p s3-connector-wasi-http --profile component --target wasm32-wasip2
	WASM_OPT=$(WASM_OPT) $(COMPOSE) --optimize $(WASI_ADAPTER)
	$(COMPOSE) $(WASM) $(WASI_ADAPTER) $(WASI_WASM)

## The HTTP artifact: the HTTP face (adapters/http-face), the connector and
## the wasi:http adapter composed by adapters/compose into one component
## that exports wasi:http/incoming-handler and imports only wasi:*.
http: wasi
	$(COMPONENT_CARGO) build -p s3-connector-http-face --profile component --target wasm32-wasip2
	WASM_OPT=$(WASM_OPT) $(COMPOSE) --optimize $(HTTP_FACE)
	$(COMPOSE) --http $(WASM) $(WASI_ADAPTER) $(HTTP_FACE) $(HTTP_WASM)

host:
	$(CARGO) build -p s3-connector-host --release

## Run every operation against an embedded local S3 server.
demo: build
	bash host-test/demo.sh

## moto_server (from PyPI) for the tests that need ACLs, bucket location and IAM.
## One version, installed again when it changes: 5.2.6 (the latest as of
## 2026-12-04) authorises an S3 request by its API operation's name
## (s3:ListBuckets, s3:ListMultipartUploads) instead of S3's IAM action
## (s3:ListAllMyBuckets, s3:ListBucketMultipartUploads), which fails every test that
## gives a user exactly the permissions an operation lists: eight tests in
## buckets.rs, copy_object.rs, delete_folder.rs, moto.rs and policy.rs.
MOTO_VERSION := 5.2.5
MOTO_STAMP   := $(VENV)/.moto-$(MOTO_VERSION)
moto: $(MOTO_STAMP)

$(MOTO_STAMP):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

## Run all tests: the native core tests, then the component through the host
## against real S3 servers (in-process s3s-fs and moto_server), then a short
## run of every fuzz target.
test: build moto test-core test-host fuzz-smoke

test-core:
	$(CARGO) test -p s3-connector-wire
	$(CARGO) test -p s3-connector --features schema
	$(CARGO) test -p s3-connector-wasi-http
	$(CARGO) test -p s3-connector-http-face

## Rewrite src/manifest.json from the operation registry (the component
## embeds it; `make test` fails while it is stale).
manifest:
	UPDATE_MANIFEST=1 $(CARGO) test -p s3-connector --features schema --lib manifest_file_is_current

## Rewrite the README's operations table from the manifest.
readme: build
	UPDATE_README=1 $(CARGO) test -p s3-connector-host --release --test manifest the_readme_table_is_the_manifests

test-host: build moto
	MOTO_SERVER=$(abspath $(MOTO_SERVER)) MOTO_REQUIRED=1 $(CARGO) test -p s3-connector-host --release

## Fuzz every response parser and the JSON input for a few seconds each
## (cargo-fuzz, nightly; installed when missing).
FUZZ_SECONDS ?= 10
fuzz-smoke:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/smoke.sh

## Fuzz every target for FUZZ_RUNS executions (ten million by default, about
## an hour and a half on 2 cores), starting from the corpus kept in
## fuzz/seeds/, and merge what adds coverage back into it (see fuzz/README.md).
FUZZ_RUNS ?= 10000000
fuzz:
	FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_MERGE=1 bash fuzz/smoke.sh

## The fault-injection run at scale (not part of `make test`, which runs 300
## operations): CHAOS_OPS operations through a proxy that faults a third of
## all requests, every result checked against a model (host-test/tests/chaos.rs).
CHAOS_OPS  ?= 4000
CHAOS_SEED ?= 1
chaos: build
	CHAOS_OPS=$(CHAOS_OPS) CHAOS_SEED=$(CHAOS_SEED) $(CARGO) test -p s3-connector-host --release \
		--test chaos -- --nocapture

## Benchmarks (not part of `make test`): see bench/README.md.
bench: bench-size bench-size-options bench-micro bench-small bench-instructions bench-tenants bench-large

## PUT and GET of a 1 GiB object through the connector's CLI, curl on presigned
## URLs and boto3, side by side against one local SigV4-checking S3 server;
## a table on stdout, target/bench/large_objects.json and .svg.
## Quick run: `make bench-large BENCH_SIZE_MIB=64 ROUNDS=1`.
BENCH_SIZE_MIB ?= 1024
ROUNDS         ?= 3
bench-large: build moto
	$(CARGO) build -p s3-connector-host --release --examples
	BENCH_SIZE_MIB=$(BENCH_SIZE_MIB) ROUNDS=$(ROUNDS) VENV_PYTHON=$(abspath $(VENV))/bin/python \
		python3 bench/large_objects.py

## What the component costs: its size by crate (twiggy, installed when missing,
## on a build that keeps names) and by module (each operation apart, before
## wasm-opt), its compile time, its load time from the code cache and its first
## instance (target/bench/component.json, size_by_crate.json, size_by_module.json).
NAMED_WASM := target/wasm32-wasip2/component-names/s3_connector.wasm
# The same build before wasm-opt: cargo's own copy, which the optimiser
# (writing a new file over NAMED_WASM) leaves as the linker made it. Read by
# module, since wasm-opt inlines each operation into the JSON dispatch.
NAMED_UNOPT := target/wasm32-wasip2/component-names/deps/s3_connector.wasm
bench-size: build named
	$(CARGO) build -p s3-connector-host --release --examples
	command -v twiggy >/dev/null || $(CARGO) install twiggy --locked
	mkdir -p target/bench/cores target/bench/cores-unoptimized
	target/release/examples/component_cost $(WASM) 5 | tee target/bench/component.json
	twiggy top -n 4294967295 -f json $$(python3 bench/core_modules.py $(NAMED_WASM) target/bench/cores | sed -n 1p) \
		> target/bench/twiggy.json
	python3 bench/size_by_crate.py target/bench/twiggy.json 20 | tee target/bench/size_by_crate.json
	twiggy top -n 4294967295 -f json $$(python3 bench/core_modules.py $(NAMED_UNOPT) target/bench/cores-unoptimized | sed -n 1p) \
		> target/bench/twiggy_unoptimized.json
	python3 bench/size_by_crate.py --modules target/bench/twiggy_unoptimized.json 40 | tee target/bench/size_by_module.json

## What the 200 KB target would take: the connector built again without its
## typed exports, then with only the old connector's twelve operations, then
## with every crate built for size, and each build's size (bench/size_options.py:
## a copy of the sources under target/size-options, with a target directory of
## its own; target/bench/size_options.json). A few minutes the first time.
bench-size-options: binaryen
	python3 bench/size_options.py

## The shipped build with its function names kept (for size by crate and for
## naming the compiled code that profiles and instruction counts see).
named: wasm
	$(COMPONENT_CARGO) build -p s3-connector --profile component-names --target wasm32-wasip2
	WASM_OPT=$(WASM_OPT) $(COMPOSE) --optimize --keep-names $(NAMED_WASM)

## Hot paths: SigV4 signing (the connector and rusty-s3 in one bench component
## in wasmtime, aws-sigv4 natively, botocore) and a 1000-key listing page parsed
## (the connector in the component, quick-xml serde natively, botocore).
MICRO_TARGET := $(abspath target/micro)
bench-micro: moto binaryen
	rustup target add wasm32-wasip2 >/dev/null
	rustup component add rust-src >/dev/null
	cd bench/micro && CARGO_TARGET_DIR=$(MICRO_TARGET) $(COMPONENT_CARGO) build -p s3-connector-bench-component \
		--profile component --target wasm32-wasip2
	WASM_OPT=$(WASM_OPT) $(COMPOSE) --optimize $(MICRO_TARGET)/wasm32-wasip2/component/s3_connector_bench_component.wasm
	cd bench/micro && CARGO_TARGET_DIR=$(MICRO_TARGET) $(CARGO) build -p s3-connector-bench-runner --release
	VENV_PYTHON=$(abspath $(VENV))/bin/python python3 bench/micro.py

## Small objects: N PUT/GET/HEAD/DELETE of 1 KiB through the host library, a raw
## client on presigned URLs, boto3 and the HTTP artifact under `s3-connector
## serve`, against one local server (SMALL_N, ROUNDS).
SMALL_N ?= 1000
bench-small: build moto
	$(CARGO) build -p s3-connector-host --release --examples
	SMALL_N=$(SMALL_N) ROUNDS=$(ROUNDS) VENV_PYTHON=$(abspath $(VENV))/bin/python python3 bench/small_objects.py

## The client's CPU per small-object call, in instructions (valgrind's
## callgrind, repeatable on a busy machine) and system calls (strace): the
## connector against a raw client on requests signed in advance (INSTR_N
## calls of each operation), and where the connector's go, by function (the
## names-kept build, wasmtime's perf map).
INSTR_N ?= 200
bench-instructions: build moto named
	@command -v valgrind >/dev/null && command -v strace >/dev/null || \
		$(SUDO) apt-get install -y -q valgrind strace >/dev/null || \
		($(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q valgrind strace >/dev/null)
	$(CARGO) build -p s3-connector-host --release --examples
	INSTR_N=$(INSTR_N) VENV_PYTHON=$(abspath $(VENV))/bin/python python3 bench/client_instructions.py

## A thousand tenants at once: one compiled component, pooled instances, one
## per tenant with its own key pair, all alive and calling one local server;
## memory per instance and call times (target/bench/tenants.json).
TENANTS ?= 1000
bench-tenants: build
	$(CARGO) build -p s3-connector-host --release --examples
	mkdir -p target/bench
	target/release/examples/tenants $(TENANTS) 8 | tee target/bench/tenants.json

## The HTTP artifact on the wasmtime CLI (not part of `make test`): installs
## wasmtime-cli $(WASMTIME_VERSION) when missing (a long build), then drives
## every operation of the manifest through `wasmtime serve` against the
## embedded local S3 server (host-test/interop_http.py).
WASMTIME_VERSION ?= 48.0.8
WASMTIME         ?= wasmtime
interop: build
	$(CARGO) build -p s3-connector-host --release --example local_s3
	@$(WASMTIME) --version 2>/dev/null | grep -q '^wasmtime $(WASMTIME_VERSION)' || \
		$(CARGO) install wasmtime-cli --version $(WASMTIME_VERSION) --locked
	python3 host-test/interop_http.py $(HTTP_WASM) target/release/examples/local_s3 \
		$$(command -v $(WASMTIME) || echo $(HOME)/.cargo/bin/wasmtime)

## The operations' modules are declared by a macro (`for_each_operation!` in
## src/ops/mod.rs), which `cargo fmt` does not follow: rustfmt is given them.
RUSTFMT       ?= rustfmt --edition 2021
MACRO_MODULES := $(wildcard src/ops/*.rs)

## Formatting and lints, for both crates and the wasm target, and for the
## benchmark crates (lint-bench).
lint: lint-bench
	rustup target add wasm32-wasip2 >/dev/null
	$(CARGO) fmt --all -- --check
	$(RUSTFMT) --check $(MACRO_MODULES)
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p s3-connector --all-targets --features schema -- -D warnings
	$(CARGO) clippy -p s3-connector -p s3-connector-wire --target wasm32-wasip2 -- -D warnings
	$(CARGO) clippy -p s3-connector-wasi-http --all-targets --target wasm32-wasip2 -- -D warnings
	$(CARGO) clippy -p s3-connector-http-face --target wasm32-wasip2 -- -D warnings

## The same for bench/micro, a workspace of its own (its runner checks
## wasmtime: a few minutes the first time).
lint-bench:
	rustup target add wasm32-wasip2 >/dev/null
	cd bench/micro && $(CARGO) fmt --all -- --check
	cd bench/micro && CARGO_TARGET_DIR=$(MICRO_TARGET) $(CARGO) clippy -p s3-connector-bench-runner \
		--all-targets -- -D warnings
	cd bench/micro && CARGO_TARGET_DIR=$(MICRO_TARGET) $(CARGO) clippy -p s3-connector-bench-component \
		--target wasm32-wasip2 -- -D warnings

fmt:
	$(CARGO) fmt --all
	$(RUSTFMT) $(MACRO_MODULES)
	cd bench/micro && $(CARGO) fmt --all

clean:
	$(CARGO) clean
