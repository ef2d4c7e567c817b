//! `policy` proved against moto_server with IAM enforced: the generated
//! least-privilege policy lets every chosen operation run on its bucket,
//! and removing any one of its statements breaks exactly the operations
//! whose permission that statement grants (and nothing else).

#![allow(clippy::unwrap_used)]

mod common;

use common::moto::{Moto, HOME_REGION};
use serde_json::{json, Value};

/// The operations checked, each with an input that needs only its usual
/// permission (the first the manifest lists).
fn operations(bucket: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("list-buckets", json!({})),
        ("list-objects", json!({"bucket_name": bucket})),
        ("get-bucket-location", json!({"bucket_name": bucket})),
        (
            "head-object",
            json!({"bucket_name": bucket, "object_path": "seed.txt"}),
        ),
        (
            "get-object",
            json!({"bucket_name": bucket, "object_path": "seed.txt"}),
        ),
        (
            "put-object-text",
            json!({"bucket_name": bucket, "object_path": "new.txt", "content": "x"}),
        ),
        (
            "delete-object",
            json!({"bucket_name": bucket, "object_path": "new.txt"}),
        ),
        ("list-multipart-uploads", json!({"bucket_name": bucket})),
    ]
}

/// Runs each operation as the user with `document`; the names of those
/// denied, and panics on any other failure.
fn denied(moto: &Moto, bucket: &str, document: &Value) -> Vec<&'static str> {
    let keys = moto.user_with_policy(Some(&document.to_string()));
    let conn = moto.conn(&keys, HOME_REGION);
    let mut instance = common::instance();
    let mut denied = Vec::new();
    for (name, input) in operations(bucket) {
        match instance.invoke(&conn, name, &input.to_string(), None) {
            Ok(output) => common::schema::check_output(name, &serde_json::from_str(&output.json).unwrap()),
            Err(error) if error.to_string().contains("access-denied") => denied.push(name),
            Err(error) => panic!("{name}: {error}"),
        }
    }
    denied
}

#[test]
fn the_policy_suffices_and_every_statement_is_needed_by_exactly_its_operations() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = "policy-checked";
    moto.create_bucket(bucket, HOME_REGION);
    let (status, body) = moto.s3("PUT", &format!("/{bucket}/seed.txt"), "", b"seed");
    assert_eq!(status, 200, "{body}");
    let names: Vec<String> = operations(bucket).iter().map(|(n, _)| (*n).to_owned()).collect();
    let policy: Value =
        serde_json::from_str(&common::instance().policy(&names, Some(bucket)).unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap().clone();
    assert_eq!(statements.len(), 3, "account, bucket and objects: {policy}");

    assert_eq!(
        denied(moto, bucket, &policy),
        Vec::<&str>::new(),
        "the whole policy suffices"
    );

    for (index, removed) in statements.iter().enumerate() {
        let mut reduced = policy.clone();
        reduced["Statement"].as_array_mut().unwrap().remove(index);
        let actions: Vec<&str> = removed["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let expected: Vec<&str> = operations(bucket)
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| {
                let usual = common::schema::entry(name)["permissions"][0].as_str().unwrap();
                actions.contains(&usual)
            })
            .collect();
        assert!(
            !expected.is_empty(),
            "statement {removed} is needed by some operation"
        );
        assert_eq!(denied(moto, bucket, &reduced), expected, "without {removed}");
    }
}

#[test]
fn a_policy_for_one_bucket_does_not_reach_another() {
    let Some(moto) = Moto::shared() else { return };
    moto.create_bucket("policy-mine", HOME_REGION);
    moto.create_bucket("policy-theirs", HOME_REGION);
    let policy = common::instance()
        .policy(&["list-objects".into()], Some("policy-mine"))
        .unwrap();
    let keys = moto.user_with_policy(Some(&policy));
    let conn = moto.conn(&keys, HOME_REGION);
    let mut instance = common::instance();
    let list = |bucket: &str| json!({"bucket_name": bucket}).to_string();
    instance
        .invoke(&conn, "list-objects", &list("policy-mine"), None)
        .unwrap();
    let error = instance
        .invoke(&conn, "list-objects", &list("policy-theirs"), None)
        .unwrap_err();
    assert!(error.to_string().contains("access-denied"), "{error}");
}
