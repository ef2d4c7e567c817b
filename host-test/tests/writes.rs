//! Conditional writes and the storage options of a write, end to end
//! against moto_server (which checks `If-None-Match` and `If-Match` on PUT
//! and on the completion of a multipart upload, as S3 does).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::moto::{Moto, HOME_REGION};
use common::schema::check_output;
use s3_connector_host::bodies::BytesSource;
use s3_connector_host::wit::Connection;
use s3_connector_host::{CallError, Instance};
use serde_json::{json, Value};

fn fresh_bucket(moto: &Moto) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let name = format!("writes-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    moto.create_bucket(&name, HOME_REGION);
    name
}

fn invoke(instance: &mut Instance, conn: &Connection, op: &str, input: Value) -> Result<Value, CallError> {
    let output = instance.invoke(conn, op, &input.to_string(), None)?;
    let json: Value = serde_json::from_str(&output.json).unwrap();
    check_output(op, &json);
    Ok(json)
}

fn code(error: &CallError) -> String {
    error.to_string()
}

#[test]
fn if_none_match_writes_only_a_new_key() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = fresh_bucket(moto);
    let conn = moto.admin_conn();
    let mut instance = common::instance();
    let put = |content: &str| {
        json!({"bucket_name": bucket, "object_path": "once.txt",
                                     "content": content, "if_none_match": "*"})
    };
    let first = invoke(&mut instance, &conn, "put-object-text", put("first")).unwrap();
    assert!(first["etag"].is_string());
    let error = invoke(&mut instance, &conn, "put-object-text", put("second")).unwrap_err();
    assert!(code(&error).contains("precondition-failed"), "{error}");
    let read = instance
        .invoke(
            &conn,
            "get-object",
            &json!({"bucket_name": bucket, "object_path": "once.txt"}).to_string(),
            None,
        )
        .unwrap();
    assert_eq!(
        read.body.as_deref(),
        Some(&b"first"[..]),
        "the object is not overwritten"
    );
}

#[test]
fn if_match_writes_only_over_the_version_read() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = fresh_bucket(moto);
    let conn = moto.admin_conn();
    let mut instance = common::instance();
    let put = |content: &str, etag: &str| {
        json!({"bucket_name": bucket, "object_path": "doc.txt",
                                                 "content": content, "if_match": etag})
    };
    let first = invoke(
        &mut instance,
        &conn,
        "put-object-text",
        json!({"bucket_name": bucket, "object_path": "doc.txt", "content": "v1"}),
    )
    .unwrap();
    let etag = first["etag"].as_str().unwrap().to_owned();
    let error = invoke(&mut instance, &conn, "put-object-text", put("v2", "\"0123\"")).unwrap_err();
    assert!(code(&error).contains("precondition-failed"), "{error}");
    // Given with or without its quotes.
    invoke(
        &mut instance,
        &conn,
        "put-object-text",
        put("v2", etag.trim_matches('"')),
    )
    .unwrap();
    let error = invoke(&mut instance, &conn, "put-object-text", put("v3", &etag)).unwrap_err();
    assert!(
        code(&error).contains("precondition-failed"),
        "the first ETag is stale now: {error}"
    );
}

#[test]
fn a_multipart_upload_checks_its_condition_on_completion_and_leaves_no_parts() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = fresh_bucket(moto);
    let conn = moto.admin_conn();
    let mut instance = common::instance();
    let bytes: Vec<u8> = (0..6 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let input = json!({"bucket_name": bucket, "object_path": "big.bin", "if_none_match": "*",
                       "multipart_threshold": 5 * 1024 * 1024, "part_size": 5 * 1024 * 1024,
                       "storage_class": "STANDARD_IA", "tags": {"kind": "backup"}});
    let upload = |instance: &mut Instance| {
        instance.invoke_streamed(
            &conn,
            "put-object-file",
            &input.to_string(),
            Some(Box::new(BytesSource(bytes.clone()))),
            None,
        )
    };
    let first: Value = serde_json::from_str(&upload(&mut instance).unwrap().json).unwrap();
    check_output("put-object-file", &first);
    assert_eq!(first["parts"], 2);
    let error = upload(&mut instance).unwrap_err();
    assert!(code(&error).contains("precondition-failed"), "{error}");
    let uploads = invoke(
        &mut instance,
        &conn,
        "list-multipart-uploads",
        json!({"bucket_name": bucket}),
    )
    .unwrap();
    assert_eq!(uploads["uploads"], json!([]), "the refused upload is aborted");
    let head = invoke(
        &mut instance,
        &conn,
        "head-object",
        json!({"bucket_name": bucket, "object_path": "big.bin"}),
    )
    .unwrap();
    assert_eq!(head["storage_class"], "STANDARD_IA");
    let (status, tagging) = moto.s3("GET", &format!("/{bucket}/big.bin"), "tagging=", b"");
    assert_eq!(status, 200);
    assert!(
        tagging.contains("<Key>kind</Key><Value>backup</Value>"),
        "{tagging}"
    );
}

#[test]
fn storage_class_encryption_and_tags_reach_the_object() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = fresh_bucket(moto);
    let conn = moto.admin_conn();
    let mut instance = common::instance();
    invoke(
        &mut instance,
        &conn,
        "put-object-text",
        json!({"bucket_name": bucket, "object_path": "t.txt", "content": "x",
               "storage_class": "GLACIER_IR", "sse": "AES256",
               "tags": {"project": "alpha beta", "owner": "ann@example.com"}}),
    )
    .unwrap();
    let head = invoke(
        &mut instance,
        &conn,
        "head-object",
        json!({"bucket_name": bucket, "object_path": "t.txt"}),
    )
    .unwrap();
    assert_eq!(head["storage_class"], "GLACIER_IR");
    let (_, tagging) = moto.s3("GET", &format!("/{bucket}/t.txt"), "tagging=", b"");
    assert!(
        tagging.contains("<Key>project</Key><Value>alpha beta</Value>"),
        "{tagging}"
    );
    assert!(tagging.contains("<Value>ann@example.com</Value>"), "{tagging}");
}

#[test]
fn bad_write_options_are_refused_before_any_request() {
    let local = common::Local::new();
    let conn = local.conn();
    let mut instance = common::instance();
    let cases = [
        (json!({"if_none_match": "\"abc\""}), "if_none_match"),
        (json!({"if_none_match": "*", "if_match": "abc"}), "if_match"),
        (json!({"sse_kms_key_id": "alias/x"}), "sse_kms_key_id"),
        (json!({"sse": "DES"}), "sse"),
        (json!({"storage_class": "COLD"}), "storage_class"),
        (json!({"tags": {"aws:owner": "x"}}), "tags.aws:owner"),
        (json!({"tags": {"": "x"}}), "tags"),
    ];
    for (extra, field) in cases {
        let mut input = json!({"bucket_name": common::BUCKET, "object_path": "k", "content": "x"});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let error = instance
            .invoke(&conn, "put-object-text", &input.to_string(), None)
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("invalid-input") || text.contains("invalid input"),
            "{text}"
        );
        assert!(text.contains(field), "{field}: {text}");
    }
}
