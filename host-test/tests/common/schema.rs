//! The manifest's schemas, checked against what the component really
//! produces: every JSON output the end-to-end tests see goes through
//! [`check_output`].

use std::sync::OnceLock;

use serde_json::Value;

/// The manifest the component embeds (the native build of the same file).
pub fn manifest() -> &'static Value {
    static MANIFEST: OnceLock<Value> = OnceLock::new();
    MANIFEST.get_or_init(|| serde_json::from_str(s3_connector::manifest::MANIFEST).unwrap())
}

/// The manifest entry of `operation`.
pub fn entry(operation: &str) -> &'static Value {
    manifest()["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["name"] == operation)
        .unwrap_or_else(|| panic!("the manifest does not describe `{operation}`"))
}

/// Panics, naming every violation, unless `value` is valid against `schema`.
pub fn check(what: &str, schema: &Value, value: &Value) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema: {errors:?}\n{value}"
    );
}

/// Panics unless `output` is valid against `operation`'s output schema.
pub fn check_output(operation: &str, output: &Value) {
    check(
        &format!("the output of {operation}"),
        &entry(operation)["output"],
        output,
    );
}

/// Panics unless `input` is valid against `operation`'s input schema.
pub fn check_input(operation: &str, input: &Value) {
    check(
        &format!("the input of {operation}"),
        &entry(operation)["input"],
        input,
    );
}
