//! The manifest: what a platform that loads the component needs to know of
//! each operation without reading the README. Its name, display name and
//! description, its input and output as JSON Schema (2020-12), the IAM
//! permissions it needs, whether it is idempotent, the bodies it takes and
//! an example input.
//!
//! Everything in it comes from the registry ([`crate::ops`]): the schemas
//! are derived from the operations' input and output types by `schemars`.
//! That derive runs natively (the `schema` feature) and writes
//! `src/manifest.json`, which the component embeds and returns from
//! `describe`. A test (`manifest_file_is_current`) fails when the file
//! differs from what the registry says; `make manifest` rewrites it.

/// The manifest as JSON, as the component returns it from `describe`
/// (for native callers: the component embeds [`COMPRESSED`] instead).
pub const MANIFEST: &str = include_str!("manifest.json");

/// The manifest deflated (raw deflate, by `build.rs`): what the component
/// embeds, a sixth of the text's size.
pub const COMPRESSED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/manifest.json.deflate"));

/// The most the manifest may inflate to: a guard, ten times today's size.
const INFLATED_LIMIT: usize = 1 << 20;

/// The manifest as JSON, inflated from [`COMPRESSED`] by
/// [`crate::inflate`]; an error only if the build embedded something that is
/// not the manifest.
pub fn text() -> Result<String, String> {
    let bytes = crate::inflate::inflate(COMPRESSED, INFLATED_LIMIT)
        .map_err(|e| format!("the embedded manifest does not inflate: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "the embedded manifest is not UTF-8".to_owned())
}

/// Builds the manifest from the registry.
#[cfg(feature = "schema")]
pub fn build() -> serde_json::Value {
    use serde_json::{json, Value};

    use crate::ops::Operation;

    let operations: Vec<Value> = Operation::ALL
        .iter()
        .map(|op| {
            let (input, output) = op.schemas();
            let mut output = output.to_value();
            let input = input.to_value();
            // The JSON face adds the region it signed for to the output of
            // every operation whose input names a bucket, unless the
            // operation's output says the region itself.
            let own_region = output.pointer("/properties/region").is_some();
            if input.pointer("/properties/bucket_name").is_some() && !own_region {
                if let Some(Value::Object(properties)) = output.pointer_mut("/properties") {
                    properties.insert(
                        "region".to_owned(),
                        json!({
                            "description": "The region the requests were signed for: found by itself \
                                            with region `auto`, or corrected from a wrong one.",
                            "type": "string"
                        }),
                    );
                }
                if let Some(Value::Array(required)) = output.pointer_mut("/required") {
                    required.push(Value::from("region"));
                } else if let Value::Object(fields) = &mut output {
                    fields.insert("required".to_owned(), json!(["region"]));
                }
            }
            let example: Value = serde_json::from_str(op.example()).unwrap_or(Value::Null);
            let bodies = op.bodies();
            json!({
                "name": op.name(),
                "title": op.title(),
                "description": op.description(),
                "reference": op.reference(),
                "permissions": op.required_permissions(),
                "idempotent": op.idempotent(),
                "upload_body": bodies.upload,
                "download_body": bodies.download,
                "example": example,
                "input": input,
                "output": output,
            })
        })
        .collect();
    json!({
        "name": "s3-connector",
        "version": env!("CARGO_PKG_VERSION"),
        "description": env!("CARGO_PKG_DESCRIPTION"),
        "connection": connection_schema(),
        "operations": operations,
    })
}

/// The connection's fields, as the JSON face's callers give them.
#[cfg(feature = "schema")]
fn connection_schema() -> serde_json::Value {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Connection",
        "type": "object",
        "properties": {
            "access_key": { "type": "string", "description": "AWS access key id." },
            "secret_key": { "type": "string", "description": "AWS secret access key (never printed).", "writeOnly": true },
            "session_token": { "type": ["string", "null"], "description": "Session token of temporary credentials (never printed).", "writeOnly": true },
            "region": { "type": ["string", "null"], "description": "A region such as `eu-west-1`, or `auto` (the default) to find each bucket's." },
            "endpoint": { "type": ["string", "null"], "description": "An S3-compatible endpoint URL instead of AWS." },
            "path_style": { "type": "boolean", "description": "Path-style addressing (`endpoint/bucket/key`)." }
        },
        "required": ["access_key", "secret_key"],
        "additionalProperties": false
    })
}

/// The manifest as `src/manifest.json` holds it: compact JSON (it is
/// embedded in the component, so every byte ships), one operation per line
/// (so that a change shows as the lines of the operations it touches).
#[cfg(feature = "schema")]
pub fn to_file_text(manifest: &serde_json::Value) -> String {
    let mut head = manifest.clone();
    let operations = head
        .as_object_mut()
        .and_then(|fields| fields.remove("operations"))
        .and_then(|ops| match ops {
            serde_json::Value::Array(ops) => Some(ops),
            _ => None,
        })
        .unwrap_or_default();
    let mut text = head.to_string();
    text.pop(); // the closing brace
    text.push_str(",\"operations\":[\n");
    let lines: Vec<String> = operations.iter().map(|op| op.to_string()).collect();
    text.push_str(&lines.join(",\n"));
    text.push_str("\n]}\n");
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod compressed_tests {
    use super::*;

    #[test]
    fn the_compressed_manifest_inflates_to_the_file() {
        assert_eq!(text().unwrap(), MANIFEST);
        assert!(
            COMPRESSED.len() * 4 < MANIFEST.len(),
            "{} bytes",
            COMPRESSED.len()
        );
    }
}

#[cfg(all(test, feature = "schema"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ops::Operation;

    /// Rewrites `src/manifest.json` when `UPDATE_MANIFEST` is set.
    #[test]
    fn manifest_file_is_current() {
        let built = to_file_text(&build());
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/manifest.json");
        if std::env::var_os("UPDATE_MANIFEST").is_some() {
            std::fs::write(path, &built).unwrap();
            return;
        }
        assert!(
            MANIFEST == built,
            "src/manifest.json differs from the registry: run `make manifest`"
        );
    }

    #[test]
    fn an_output_that_says_its_region_keeps_its_own() {
        let manifest = build();
        let output = manifest["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|op| op["name"] == "create-bucket")
            .map(|op| &op["output"])
            .unwrap();
        let required: Vec<&str> = output["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| name.as_str().unwrap())
            .collect();
        assert_eq!(required.iter().filter(|name| **name == "region").count(), 1);
        let description = output["properties"]["region"]["description"].as_str().unwrap();
        assert!(description.contains("created in"), "{description}");
    }

    /// The JSON face adds `region` to an output without looking at it, so
    /// an output with a field of that name must say so, or it would have
    /// the field twice.
    #[test]
    fn an_output_has_its_own_region_exactly_when_it_says_so() {
        for op in Operation::ALL {
            let output = op.schemas().1.to_value();
            assert_eq!(
                output.pointer("/properties/region").is_some(),
                op.reports_region(),
                "{}: set `Op::REPORTS_REGION` to whether the output has a `region` field",
                op.name()
            );
        }
    }

    #[test]
    fn every_operation_is_described_with_an_example_that_parses() {
        let manifest: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
        let names: Vec<&str> = manifest["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|op| op["name"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
        assert_eq!(names, expected);
        for op in Operation::ALL {
            assert!(
                serde_json::from_str::<serde_json::Value>(op.example()).is_ok(),
                "{}",
                op.name()
            );
            assert!(!op.required_permissions().is_empty(), "{}", op.name());
        }
    }
}
