//! The manifest proved true, not just present: the component returns the
//! one the registry builds, every example is valid against its input schema
//! and runs against a real server with an output valid against the output
//! schema, the README's tables say what the manifest says, and the policy
//! command names the manifest's permissions.

#![allow(clippy::unwrap_used)]

mod common;

use common::schema::{check_input, check_output, manifest};
use common::Local;
use serde_json::Value;

#[test]
fn the_component_describes_what_the_registry_declares() {
    let described = common::instance().describe().unwrap();
    assert!(
        described == s3_connector::manifest::MANIFEST,
        "the component embeds a stale manifest: rebuild it (`make wasm`)"
    );
    let manifest: Value = serde_json::from_str(&described).unwrap();
    let names: Vec<&str> = manifest["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["name"].as_str().unwrap())
        .collect();
    let registry: Vec<&str> = s3_connector_host::cli::operations().collect();
    assert_eq!(names, registry);
    // The WIT declares each of them (`json.operation-name`).
    assert_eq!(common::instance().operations().unwrap(), registry);
}

#[test]
fn every_example_is_valid_and_runs_with_a_valid_output() {
    // The examples name `my-bucket` and these keys.
    let local = Local::with_buckets(&["my-bucket"]);
    let conn = local.conn();
    let mut instance = common::instance();
    for key in ["reports/2026.csv", "a.txt", "b.txt"] {
        let input = serde_json::json!({"bucket_name": "my-bucket", "object_path": key, "content": "x"});
        instance
            .invoke(&conn, "put-object-text", &input.to_string(), None)
            .unwrap();
    }
    for op in manifest()["operations"].as_array().unwrap() {
        let name = op["name"].as_str().unwrap();
        let example = &op["example"];
        check_input(name, example);
        let body = (op["upload_body"] == true).then_some(&b"example bytes"[..]);
        let result = instance.invoke(&conn, name, &example.to_string(), body);
        let output = match (name, result) {
            (_, Ok(output)) => output,
            // The example's upload id is made up: S3 has no such upload.
            ("abort-multipart-upload", Err(error)) => {
                assert!(error.to_string().contains("no-such-upload"), "{error}");
                continue;
            }
            // s3s-fs has no tagging: tests/tagging.rs runs these examples on moto.
            // s3s-fs keeps no versions either (tests/buckets.rs runs
            // list-object-versions against moto).
            (
                "get-object-tagging"
                | "put-object-tagging"
                | "delete-object-tagging"
                | "list-object-versions",
                Err(error),
            ) => {
                assert_eq!(
                    error.service_code().as_deref(),
                    Some("not-implemented"),
                    "{error}"
                );
                continue;
            }
            (_, Err(error)) => panic!("the example of {name} fails: {error}"),
        };
        check_output(name, &serde_json::from_str(&output.json).unwrap());
    }
}

#[test]
fn a_mistyped_input_is_invalid_against_the_schema_too() {
    let input = serde_json::json!({"bucket_name": "b", "prefx": "a/"});
    let schema = &common::schema::entry("list-objects")["input"];
    let validator = jsonschema::validator_for(schema).unwrap();
    assert!(!validator.is_valid(&input));
}

/// The README's table of operations is the manifest's, generated:
/// `UPDATE_README=1` rewrites it (`make readme`).
#[test]
fn the_readme_table_is_the_manifests() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (begin, end) = ("<!-- operations:begin -->\n", "<!-- operations:end -->");
    let start = readme
        .find(begin)
        .expect("README has no generated operations table")
        + begin.len();
    let stop = readme.find(end).unwrap();
    let mut table = String::from(
        "| operation | name in the old connector | IAM permissions | idempotent | bodies |\n| --- | --- | --- | --- | --- |\n",
    );
    for op in manifest()["operations"].as_array().unwrap() {
        let permissions: Vec<String> = op["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("`{}`", p.as_str().unwrap()))
            .collect();
        let bodies = match (op["upload_body"] == true, op["download_body"] == true) {
            (true, _) => "upload",
            (_, true) => "download",
            _ => "",
        };
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            op["name"].as_str().unwrap(),
            op["title"].as_str().unwrap(),
            permissions.join(", "),
            if op["idempotent"] == true { "yes" } else { "no" },
            bodies,
        ));
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..start], table, &readme[stop..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert!(
        readme[start..stop] == table,
        "the README's operations table differs from the manifest: run `make readme`\n{table}"
    );
}

/// The README's IAM table, written by hand for what a table cannot say
/// (which permission a version id or an ACL needs), names every operation
/// and every permission the manifest gives it.
#[test]
fn the_readme_iam_table_names_every_operation_and_permission() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme
        .find("### IAM permissions")
        .expect("README has no IAM section");
    let section = &readme[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    for op in manifest()["operations"].as_array().unwrap() {
        let title = op["title"].as_str().unwrap();
        let row = section
            .lines()
            .find(|line| line.starts_with("| ") && line.contains(title))
            .unwrap_or_else(|| panic!("the IAM table has no row for {title}"));
        for permission in op["permissions"].as_array().unwrap() {
            let permission = permission.as_str().unwrap();
            assert!(
                section.contains(&format!("`{permission}`")),
                "the IAM section never names {permission} ({title}): {row}"
            );
        }
    }
}

#[test]
fn the_policy_allows_the_manifests_permissions_for_the_chosen_operations() {
    let mut instance = common::instance();
    let policy: Value = serde_json::from_str(
        &instance
            .policy(&["head-object".into(), "list-buckets".into()], Some("my-bucket"))
            .unwrap(),
    )
    .unwrap();
    let actions: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["s3:ListAllMyBuckets", "s3:GetObject", "s3:GetObjectVersion"]
    );
    let error = instance.policy(&["head-objekt".into()], None).unwrap_err();
    assert!(error.to_string().contains("head-objekt"), "{error}");
}
