//! Object tags end to end: `get-object-tagging`, `put-object-tagging` and
//! `delete-object-tagging` through the real component and host, against
//! moto_server with authentication on (s3s-fs has no tagging: it answers
//! 501 NotImplemented).
//!
//! moto checks a tag's characters as S3 documents them (letters, digits,
//! spaces and `+-=._:/@`; it answers 400 InvalidTag otherwise), which the
//! connector leaves to the server. What moto does not show: it refuses any
//! key starting with `aws` (S3 only `aws:`), checks Delete Object Tagging
//! as `s3:DeleteObject`, and fails (500) on an empty `<TagSet>`, so `{}` is
//! not put here. A JSON input cannot hold a key twice once parsed, so
//! duplicate keys are refused by the core's own tests only.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use common::instance;
use common::moto::{Moto, HOME_REGION};
use common::schema::{check_input, check_output, entry};
use s3_connector_host::wit::Connection;
use s3_connector_host::{CallError, Instance};
use serde_json::{json, Value};

/// A bucket name not used by any other test of this binary.
fn fresh_bucket(what: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{what}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `operation` and checks its output against the manifest's schema.
fn call(instance: &mut Instance, conn: &Connection, operation: &str, input: Value) -> Value {
    let answer = instance
        .invoke(conn, operation, &input.to_string(), None)
        .unwrap_or_else(|e| panic!("{operation} {input}: {e}"));
    let output: Value = serde_json::from_str(&answer.json).unwrap();
    check_output(operation, &output);
    output
}

fn refused(instance: &mut Instance, conn: &Connection, operation: &str, input: Value) -> CallError {
    instance
        .invoke(conn, operation, &input.to_string(), None)
        .unwrap_err()
}

/// Puts `key` and returns its version id (`None` unversioned).
fn put(instance: &mut Instance, conn: &Connection, bucket: &str, key: &str, content: &str) -> Option<String> {
    let output = call(
        instance,
        conn,
        "put-object-text",
        json!({"bucket_name": bucket, "object_path": key, "content": content}),
    );
    output["version_id"].as_str().map(str::to_owned)
}

/// The tags of an object (or version), as a map, and the version named.
fn tags_of(
    instance: &mut Instance,
    conn: &Connection,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> (BTreeMap<String, String>, Option<String>) {
    let mut input = json!({"bucket_name": bucket, "object_path": key});
    if let Some(version) = version {
        input["version_id"] = json!(version);
    }
    let output = call(instance, conn, "get-object-tagging", input);
    (
        serde_json::from_value(output["tags"].clone()).unwrap(),
        output["version_id"].as_str().map(str::to_owned),
    )
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn tags_round_trip_put_get_delete() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = fresh_bucket("tags");
    moto.create_bucket(&bucket, HOME_REGION);
    let conn = moto.admin_conn();
    let mut instance = instance();
    let key = "reports/2026 q1 é.csv";
    put(&mut instance, &conn, &bucket, key, "x");

    assert_eq!(tags_of(&mut instance, &conn, &bucket, key, None).0, map(&[]));

    // Only characters S3 documents for tags (letters, digits, spaces and
    // `+-=._:/@`), which moto checks too: `&`, `<` or `"` are refused, so
    // their XML escaping is shown by the core's tests only.
    let tags = json!({
        "project": "blue",
        "cost centre": "R+D 42 a/b=c@d: e_f.g-h",
        "empty": "",
        "café": "crème brûlée",
        "k".repeat(128): "v".repeat(256),
    });
    let output = call(
        &mut instance,
        &conn,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": key, "tags": tags.clone()}),
    );
    assert_eq!(output["success"], true);
    let (read, _) = tags_of(&mut instance, &conn, &bucket, key, None);
    let expected: BTreeMap<String, String> = serde_json::from_value(tags).unwrap();
    assert_eq!(read, expected);

    // Putting replaces every tag.
    call(
        &mut instance,
        &conn,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": key, "tags": {"only": "this"}}),
    );
    assert_eq!(
        tags_of(&mut instance, &conn, &bucket, key, None).0,
        map(&[("only", "this")])
    );

    let output = call(
        &mut instance,
        &conn,
        "delete-object-tagging",
        json!({"bucket_name": bucket, "object_path": key}),
    );
    assert_eq!(output["success"], true);
    assert_eq!(tags_of(&mut instance, &conn, &bucket, key, None).0, map(&[]));
    // Deleting tags that are gone succeeds.
    call(
        &mut instance,
        &conn,
        "delete-object-tagging",
        json!({"bucket_name": bucket, "object_path": key}),
    );

    // A character S3 does not take in a tag: the server says so.
    let error = refused(
        &mut instance,
        &conn,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": key, "tags": {"k": "R&D <42>"}}),
    );
    assert_eq!(error.service_code().as_deref(), Some("InvalidTag"), "{error}");

    // A key that does not exist.
    let error = refused(
        &mut instance,
        &conn,
        "get-object-tagging",
        json!({"bucket_name": bucket, "object_path": "missing.txt"}),
    );
    assert_eq!(error.service_code().as_deref(), Some("no-such-key"), "{error}");
}

#[test]
fn each_version_has_its_own_tags() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = fresh_bucket("tags-versioned");
    moto.create_bucket(&bucket, HOME_REGION);
    moto.enable_versioning(&bucket);
    let conn = moto.admin_conn();
    let mut instance = instance();
    let key = "a.txt";
    let first = put(&mut instance, &conn, &bucket, key, "one").unwrap();
    call(
        &mut instance,
        &conn,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": key, "tags": {"v": "one"}}),
    );
    let second = put(&mut instance, &conn, &bucket, key, "two").unwrap();
    assert_ne!(first, second);
    call(
        &mut instance,
        &conn,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": key, "tags": {"v": "two"}}),
    );

    let (tags, version) = tags_of(&mut instance, &conn, &bucket, key, Some(&first));
    assert_eq!(tags, map(&[("v", "one")]));
    assert_eq!(version.as_deref(), Some(first.as_str()));
    let (tags, version) = tags_of(&mut instance, &conn, &bucket, key, None);
    assert_eq!(tags, map(&[("v", "two")]));
    assert_eq!(version.as_deref(), Some(second.as_str()), "the current version's");

    // Tag an old version by its id; the current one keeps its tags.
    let output = call(
        &mut instance,
        &conn,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": key, "version_id": first, "tags": {"v": "retagged"}}),
    );
    if let Some(named) = output["version_id"].as_str() {
        assert_eq!(named, first);
    }
    assert_eq!(
        tags_of(&mut instance, &conn, &bucket, key, Some(&first)).0,
        map(&[("v", "retagged")])
    );
    assert_eq!(
        tags_of(&mut instance, &conn, &bucket, key, None).0,
        map(&[("v", "two")])
    );

    call(
        &mut instance,
        &conn,
        "delete-object-tagging",
        json!({"bucket_name": bucket, "object_path": key, "version_id": first}),
    );
    assert_eq!(
        tags_of(&mut instance, &conn, &bucket, key, Some(&first)).0,
        map(&[])
    );
    assert_eq!(
        tags_of(&mut instance, &conn, &bucket, key, Some(&second)).0,
        map(&[("v", "two")])
    );
}

#[test]
fn invalid_tags_are_refused_before_any_request() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = fresh_bucket("tags-invalid");
    moto.create_bucket(&bucket, HOME_REGION);
    let conn = moto.admin_conn();
    let mut instance = instance();
    let key = "a.txt";
    put(&mut instance, &conn, &bucket, key, "x");
    call(
        &mut instance,
        &conn,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": key, "tags": {"keep": "me"}}),
    );
    // Nothing listens here: a request sent would fail as a transport error.
    let mut nowhere = conn.clone();
    nowhere.endpoint = Some("http://127.0.0.1:1".to_owned());

    let eleven: serde_json::Map<String, Value> = (0..11).map(|n| (format!("k{n}"), json!("v"))).collect();
    let long_key = "k".repeat(129);
    // 65 emoji are 130 UTF-16 units, as S3 counts them.
    let emoji_key = "😀".repeat(65);
    let cases = [
        (json!(eleven), "tags".to_owned()),
        (json!({"": "v"}), "tags".to_owned()),
        (json!({long_key.clone(): "v"}), format!("tags.{long_key}")),
        (json!({emoji_key.clone(): "v"}), format!("tags.{emoji_key}")),
        (
            json!({"cost-centre": "v".repeat(257)}),
            "tags.cost-centre".to_owned(),
        ),
        (json!({"aws:createdBy": "me"}), "tags.aws:createdBy".to_owned()),
        (json!({"bell": "\u{7}"}), "tags.bell".to_owned()),
        (json!(["not", "an", "object"]), "tags".to_owned()),
        (json!({"number": 1}), "tags.number".to_owned()),
    ];
    for (tags, field) in cases {
        let input = json!({"bucket_name": bucket, "object_path": key, "tags": tags});
        let error = refused(&mut instance, &nowhere, "put-object-tagging", input).to_json();
        assert_eq!(error["error"]["kind"], "invalid-input", "{tags}: {error}");
        assert_eq!(error["error"]["field"], field.as_str(), "{tags}: {error}");
    }
    let error = refused(
        &mut instance,
        &nowhere,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": key}),
    )
    .to_json();
    assert_eq!(error["error"]["field"], "tags", "{error}");
    assert_eq!(
        tags_of(&mut instance, &conn, &bucket, key, None).0,
        map(&[("keep", "me")])
    );
}

#[test]
fn a_user_needs_the_tagging_permissions() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = fresh_bucket("tags-iam");
    moto.create_bucket(&bucket, HOME_REGION);
    let mut instance = instance();
    put(&mut instance, &moto.admin_conn(), &bucket, "a.txt", "x");
    let tagger = moto.user_with(&["s3:GetObjectTagging", "s3:PutObjectTagging"]);
    let conn = moto.conn(&tagger, HOME_REGION);
    call(
        &mut instance,
        &conn,
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": "a.txt", "tags": {"k": "v"}}),
    );
    assert_eq!(
        tags_of(&mut instance, &conn, &bucket, "a.txt", None).0,
        map(&[("k", "v")])
    );

    let reader = moto.user_with(&["s3:GetObjectTagging"]);
    let error = refused(
        &mut instance,
        &moto.conn(&reader, HOME_REGION),
        "put-object-tagging",
        json!({"bucket_name": bucket, "object_path": "a.txt", "tags": {"k": "w"}}),
    )
    .to_json();
    assert_eq!(error["error"]["code"], "access-denied", "{error}");
    assert_eq!(
        error["error"]["required_permission"], "s3:PutObjectTagging",
        "{error}"
    );

    let writer = moto.user_with(&["s3:PutObjectTagging"]);
    let error = refused(
        &mut instance,
        &moto.conn(&writer, HOME_REGION),
        "get-object-tagging",
        json!({"bucket_name": bucket, "object_path": "a.txt"}),
    )
    .to_json();
    assert_eq!(error["error"]["code"], "access-denied", "{error}");
    assert_eq!(
        error["error"]["required_permission"], "s3:GetObjectTagging",
        "{error}"
    );
}

/// The manifest's examples of the tagging operations run here: the local
/// server that runs the others has no tagging.
#[test]
fn the_manifest_examples_run_on_moto() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    // The examples name `my-bucket` and `reports/2026.csv`.
    moto.create_bucket("my-bucket", HOME_REGION);
    let conn = moto.admin_conn();
    let mut instance = instance();
    put(&mut instance, &conn, "my-bucket", "reports/2026.csv", "x");
    for operation in [
        "put-object-tagging",
        "get-object-tagging",
        "delete-object-tagging",
    ] {
        let example = &entry(operation)["example"];
        check_input(operation, example);
        call(&mut instance, &conn, operation, example.clone());
    }
}
