//! The commands that ask the component about itself: `ops`, `describe`
//! and `policy`. Each loads the component and calls its `describe` or
//! `policy` export; nothing goes over the network.

use serde_json::{json, Value};

use crate::cli::{self, Args};
use crate::error::{CallError, HostError};

/// Runs `ops`, `describe [NAME]` or `policy`; returns what to print.
pub fn run(args: &Args) -> Result<Value, CallError> {
    let mut instance = cli::new_instance(args)?;
    if args.operation() == "policy" {
        let policy = instance.policy(&args.operations, args.bucket.as_deref())?;
        return parse(&policy);
    }
    let manifest = parse(&instance.describe()?)?;
    let operations = manifest["operations"].as_array().cloned().unwrap_or_default();
    match (args.operation(), args.name.as_deref()) {
        ("ops", _) => Ok(Value::Array(
            operations
                .iter()
                .map(|op| json!({ "name": op["name"], "title": op["title"], "permissions": op["permissions"] }))
                .collect(),
        )),
        (_, Some(name)) => operations
            .into_iter()
            .find(|op| op["name"] == name)
            .ok_or_else(|| HostError::Load(format!("the component does not describe `{name}`")).into()),
        _ => Ok(manifest),
    }
}

fn parse(text: &str) -> Result<Value, CallError> {
    serde_json::from_str(text)
        .map_err(|e| HostError::Load(format!("the component's manifest is not JSON: {e}")).into())
}
