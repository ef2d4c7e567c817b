//! Writes what the face needs of the connector's manifest
//! (`src/manifest.json`, the file the connector embeds and answers
//! `json.describe` with): the operations' names, and the input fields of
//! `get-object`, both in the manifest's order. The face checks a request's
//! operation, and a download's input before its answer begins, against
//! them; reading them here spares every request inflating and parsing the
//! whole manifest.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "../../src/manifest.json";
    println!("cargo:rerun-if-changed={path}");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let operations = manifest["operations"]
        .as_array()
        .ok_or("the manifest has no operations")?;
    let names = operations
        .iter()
        .map(|op| {
            op["name"]
                .as_str()
                .ok_or("an operation of the manifest has no name")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fields = operations
        .iter()
        .find(|op| op["name"] == "get-object")
        .and_then(|op| op["input"]["properties"].as_object())
        .ok_or("the manifest has no get-object with input properties")?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("operations.rs"), slice(names))?;
    std::fs::write(
        out.join("get_object_fields.rs"),
        slice(fields.keys().map(String::as_str)),
    )?;
    Ok(())
}

/// The text of a `&[&str]` holding `items`.
fn slice<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = String::from("&[");
    for item in items {
        text.push_str(&format!("{item:?}, "));
    }
    text.push(']');
    text
}
