//! Size budgets: CI fails when an artifact grows past its budget.
//!
//! The target is a 200 KB connector with every operation in it. It is
//! 409 KB today: 27 operations, their WIT glue and JSON face, and the
//! manifest (deflated, 10 KB). Each cut on the way from 1,119 KB, with
//! what it saved and what was measured and not kept, is in
//! `bench/README.md` ("What the component costs"); `make bench-size`
//! shows what makes up the rest, and `make bench-size-options` what the
//! cuts that change the product (no typed exports, fewer operations,
//! everything built for size) would give. Until the connector reaches its target,
//! each budget is today's size and about 1.5% of room, so that nothing
//! grows it unnoticed: lower them with every cut, and raise them only with
//! an operation or a measured trade of bytes for speed, saying so.
//!
//! The standard-WASI build and the HTTP artifact are the connector
//! composed with the wasi:http adapter (102 KB), and with the HTTP face
//! (85 KB) too; their budgets follow the connector's.
//!
//! The attribution `make bench-size` prints (`bench/size_by_crate.py`, by
//! crate and by module) is checked here too, on a sample of the names
//! twiggy lists (`testdata/size/twiggy_sample.json`).

use std::path::{Path, PathBuf};

mod common;

/// The most bytes the connector may have.
const CONNECTOR_BUDGET: u64 = 410_000;

/// The most bytes the standard-WASI build may have.
const WASI_BUDGET: u64 = 518_000;

/// The most bytes the HTTP artifact may have.
const HTTP_BUDGET: u64 = 605_000;

/// The target the connector's budget is to come down to.
const TARGET_BYTES: u64 = 200_000;

/// `path`'s size; fails when it is missing.
fn size_of(path: &Path, make: &str) -> u64 {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 0,
        "no artifact at {}: build it with `{make}`",
        path.display()
    );
    size
}

/// An artifact beside the connector, or where `var` says.
fn beside_connector(var: &str, name: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| common::wasm_path().with_file_name(name))
}

#[test]
fn the_component_stays_within_its_size_budget() {
    let size = size_of(&common::wasm_path(), "make wasm");
    assert!(
        size <= CONNECTOR_BUDGET,
        "the component is {size} bytes, over its budget of {CONNECTOR_BUDGET} (target {TARGET_BYTES}): \
         see `make bench-size` for what grew"
    );
}

#[test]
fn the_composed_artifacts_stay_within_their_budgets() {
    for (var, name, make, budget) in [
        (
            "S3_CONNECTOR_WASI_WASM",
            "s3_connector_wasi.wasm",
            "make wasi",
            WASI_BUDGET,
        ),
        (
            "S3_CONNECTOR_HTTP_WASM",
            "s3_connector_http.wasm",
            "make http",
            HTTP_BUDGET,
        ),
    ] {
        let path = beside_connector(var, name);
        let size = size_of(&path, make);
        assert!(
            size <= budget,
            "{} is {size} bytes, over its budget of {budget}",
            path.display()
        );
    }
}

#[test]
fn the_component_went_through_wasm_opt() {
    // `make wasm` marks what it optimised; a component built by cargo
    // alone would pass the budget only by luck, and be 15% bigger.
    let bytes = std::fs::read(common::wasm_path()).unwrap_or_default();
    let mark = b"s3-connector:wasm-opt";
    assert!(
        bytes.windows(mark.len()).any(|w| w == mark),
        "the component was not optimised: build it with `make wasm`"
    );
}

/// What `bench/size_by_crate.py` makes of `testdata/size/twiggy_sample.json`
/// (a few names of each kind, as twiggy lists them from a names-kept
/// build): each row's bytes by its key, and the JSON's extra fields.
fn attribution(args: &[&str]) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = std::process::Command::new("python3")
        .arg(root.join("bench/size_by_crate.py"))
        .args(args)
        .arg(root.join("testdata/size/twiggy_sample.json"))
        .arg("50")
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "size_by_crate.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("size_by_crate.py prints JSON")
}

/// The rows of an attribution as `(key, bytes)`, largest first.
fn rows<'r>(report: &'r serde_json::Value, list: &str, key: &str) -> Vec<(&'r str, u64)> {
    report[list]
        .as_array()
        .expect("a list of rows")
        .iter()
        .map(|row| {
            (
                row[key].as_str().unwrap_or_default(),
                row["bytes"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn size_attribution_by_crate_counts_std_methods_as_std() {
    let report = attribution(&[]);
    // The name section is not counted; `<str>::split_once`, `<[u8]>::to_vec_in`
    // and `__rustc::__rust_realloc` are std's, not crates of those names.
    assert_eq!(report["total_bytes"], 4010);
    assert_eq!(
        rows(&report, "by_crate", "crate"),
        [
            ("s3_connector", 1250),
            ("(data)", 1000),
            ("(exports: wit-bindgen glue)", 700),
            ("core/alloc/std", 680),
            ("s3_connector_wire", 250),
            ("quick_xml", 70),
            ("dlmalloc", 60),
        ]
    );
}

#[test]
fn size_attribution_by_module_puts_each_operation_apart() {
    let report = attribution(&["--modules"]);
    assert_eq!(report["total_bytes"], 4010);
    // An iterator adapter over `ops::delete_objects`'s closure is the
    // operation's, though it also names a model type; `ops::sort_names` is
    // a function of `ops` itself, not an operation.
    assert_eq!(
        rows(&report, "by_module", "module"),
        [
            ("(data)", 1000),
            ("(exports: wit-bindgen glue)", 700),
            ("ops::copy_object", 500),
            ("ops::list_objects", 400),
            ("core/alloc/std", 380),
            ("ops::delete_objects", 300),
            ("wire::sigv4", 250),
            ("json", 200),
            ("ops", 150),
            ("quick_xml", 70),
            ("dlmalloc", 60),
        ]
    );
    assert_eq!(report["operations_bytes"], 1200);
}
