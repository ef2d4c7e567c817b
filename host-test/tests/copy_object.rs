//! Copy Object end to end, through the real component and host: against
//! the in-process s3s-fs server (signatures verified) for what it holds,
//! and against moto_server (authentication on) for versions, tags, storage
//! classes, IAM permissions and the keys a file system cannot hold.
//!
//! Every check is what a user would look at: the bytes read back from the
//! copy are the source's, and a HEAD of the copy shows its metadata.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::fake_server::{Answer, FakeServer, Script};
use common::moto::{uri_encode, xml_text, Moto};
use common::schema::check_output;
use common::{instance, runtime, Local, SlowAnswers};
use s3_connector_host::error::ConnectorError;
use s3_connector_host::wit::{Connection, Request};
use s3_connector_host::{CallError, HostError, Instance, InstanceOptions};
use serde_json::{json, Value};

/// Runs `operation` through the JSON face: its output (checked against its
/// schema) and its body.
fn call(
    instance: &mut Instance,
    conn: &Connection,
    operation: &str,
    input: &Value,
    body: Option<&[u8]>,
) -> Result<(Value, Option<Vec<u8>>), CallError> {
    let output = instance.invoke(conn, operation, &input.to_string(), body)?;
    let json: Value = serde_json::from_str(&output.json).unwrap();
    check_output(operation, &json);
    Ok((json, output.body))
}

/// [`call`], which must succeed.
fn ok(
    instance: &mut Instance,
    conn: &Connection,
    operation: &str,
    input: &Value,
    body: Option<&[u8]>,
) -> Value {
    match call(instance, conn, operation, input, body) {
        Ok((json, _)) => json,
        Err(error) => panic!("{operation} {input} failed: {}", error.to_json_line()),
    }
}

/// Writes `bytes` at `key`, with a mime type and metadata.
fn put(
    instance: &mut Instance,
    conn: &Connection,
    bucket: &str,
    key: &str,
    bytes: &[u8],
    extra: Value,
) -> Value {
    let mut input = json!({"bucket_name": bucket, "object_path": key, "file_name": "f"});
    if let (Value::Object(fields), Value::Object(more)) = (&mut input, extra) {
        fields.extend(more);
    }
    ok(instance, conn, "put-object-file", &input, Some(bytes))
}

/// The bytes of `key` (of `version_id`).
fn read(
    instance: &mut Instance,
    conn: &Connection,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Vec<u8> {
    let input = json!({"bucket_name": bucket, "object_path": key, "version_id": version_id});
    match call(instance, conn, "get-object", &input, None) {
        Ok((_, body)) => body.unwrap_or_default(),
        Err(error) => panic!("get-object {input} failed: {}", error.to_json_line()),
    }
}

fn head(instance: &mut Instance, conn: &Connection, bucket: &str, key: &str) -> Value {
    ok(
        instance,
        conn,
        "head-object",
        &json!({"bucket_name": bucket, "object_path": key}),
        None,
    )
}

fn copy(instance: &mut Instance, conn: &Connection, input: &Value) -> Result<Value, CallError> {
    call(instance, conn, "copy-object", input, None).map(|(json, _)| json)
}

/// The S3 error code of a failed call, in WIT spelling.
fn code<T: std::fmt::Debug>(result: &Result<T, CallError>) -> String {
    match result {
        Err(error) => error
            .service_code()
            .unwrap_or_else(|| panic!("expected a service error, got {}", error.to_json_line())),
        Ok(value) => panic!("expected a service error, got {value:?}"),
    }
}

/// Bytes that are not text, so that nothing can be normalised on the way.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

#[test]
fn a_copy_in_the_same_bucket_reads_back_the_same_bytes() {
    let local = Local::with_buckets(&["data"]);
    let conn = local.conn();
    let mut i = instance();
    let source = bytes(70_000, 1);
    let put = put(&mut i, &conn, "data", "docs/report.bin", &source, json!({}));
    let output = copy(
        &mut i,
        &conn,
        &json!({
            "source_bucket_name": "data", "source_object_path": "docs/report.bin",
            "bucket_name": "data", "object_path": "archive/report.bin"
        }),
    )
    .unwrap();
    assert_eq!(output["key"], "archive/report.bin");
    assert_eq!(output["etag"], put["etag"], "a single copy keeps the ETag");
    assert!(output["last_modified"].is_string(), "{output}");
    assert!(output.get("parts").is_none(), "{output}");
    assert_eq!(output["region"], "us-east-1");
    assert_eq!(read(&mut i, &conn, "data", "archive/report.bin", None), source);
    assert_eq!(
        read(&mut i, &conn, "data", "docs/report.bin", None),
        source,
        "the source stays"
    );
}

#[test]
fn a_copy_across_buckets_reads_back_the_same_bytes() {
    let local = Local::with_buckets(&["from-here", "to-there"]);
    let conn = local.conn();
    let mut i = instance();
    let source = bytes(1_000, 2);
    put(&mut i, &conn, "from-here", "a.bin", &source, json!({}));
    let output = copy(
        &mut i,
        &conn,
        &json!({
            "source_bucket_name": "from-here", "source_object_path": "a.bin",
            "bucket_name": "to-there", "object_path": "b.bin"
        }),
    )
    .unwrap();
    assert_eq!(output["key"], "b.bin");
    assert_eq!(read(&mut i, &conn, "to-there", "b.bin", None), source);
    // Nothing was written in the source's bucket but the source.
    let listed = ok(
        &mut i,
        &conn,
        "list-objects",
        &json!({"bucket_name": "from-here"}),
        None,
    );
    assert_eq!(listed["objects"].as_array().unwrap().len(), 1, "{listed}");
}

/// Keys whose bytes must reach S3 exactly through `x-amz-copy-source`
/// (percent-encoded) and through the path (encoded again, separately).
const AWKWARD_KEYS: [&str; 18] = [
    "a b  c.txt",
    "a+b.txt",
    "1 + 1 = 2.txt",
    "100%.txt",
    "a%2Fb.txt",
    "%41%42",
    "what?.txt",
    "a?versionId=x",
    "#1.txt",
    "k=v&x=y.txt",
    "=",
    "caf\u{e9}/\u{fc}n\u{ef}.txt",
    "cafe\u{301}.txt",
    "文件/报告.txt",
    "📦/🚀 launch.txt",
    "~home_-.txt",
    "say \"hi\" it's.txt",
    "<a>&amp;</a>",
];

/// Keys s3s-fs cannot hold (it maps keys onto file paths, see keys.rs):
/// checked on moto.
const PATH_LIKE_KEYS: [&str; 5] = ["a//b.txt", "//", "dir/", "/lead.txt", "a/../b.txt"];

/// Copies each key to the same key of another bucket and reads it back.
fn round_trip_keys(i: &mut Instance, conn: &Connection, from: &str, to: &str, keys: &[&str]) {
    for (n, key) in keys.iter().enumerate() {
        let source = bytes(100 + n, n as u8);
        put(i, conn, from, key, &source, json!({}));
        let output = copy(
            i,
            conn,
            &json!({
                "source_bucket_name": from, "source_object_path": key,
                "bucket_name": to, "object_path": key
            }),
        )
        .unwrap_or_else(|e| panic!("copy of {key:?} failed: {}", e.to_json_line()));
        assert_eq!(output["key"], *key);
        assert_eq!(read(i, conn, to, key, None), source, "{key:?}");
        // And within the bucket, to a key that is awkward too.
        let renamed = format!("{key} copy+%?#");
        copy(
            i,
            conn,
            &json!({
                "source_bucket_name": to, "source_object_path": key,
                "bucket_name": to, "object_path": renamed
            }),
        )
        .unwrap_or_else(|e| panic!("copy of {key:?} to {renamed:?} failed: {}", e.to_json_line()));
        assert_eq!(read(i, conn, to, &renamed, None), source, "{renamed:?}");
    }
}

#[test]
fn awkward_keys_are_copied_byte_for_byte() {
    let local = Local::with_buckets(&["keys-from", "keys-to"]);
    let conn = local.conn();
    let mut i = instance();
    round_trip_keys(&mut i, &conn, "keys-from", "keys-to", &AWKWARD_KEYS);
}

#[test]
fn metadata_is_kept_with_copy_and_replaced_with_replace() {
    let local = Local::with_buckets(&["meta"]);
    let conn = local.conn();
    let mut i = instance();
    put(
        &mut i,
        &conn,
        "meta",
        "src.csv",
        b"a,b\n1,2\n",
        json!({"mime_type": "text/csv", "metadata": {"author": "Jane", "project-id": "42"}}),
    );
    let source = head(&mut i, &conn, "meta", "src.csv");
    assert_eq!(source["content_type"], "text/csv");

    let base = json!({"source_bucket_name": "meta", "source_object_path": "src.csv", "bucket_name": "meta"});
    let with = |key: &str, extra: Value| {
        let mut input = base.clone();
        input["object_path"] = json!(key);
        if let (Value::Object(fields), Value::Object(more)) = (&mut input, extra) {
            fields.extend(more);
        }
        input
    };

    copy(&mut i, &conn, &with("kept.csv", json!({}))).unwrap();
    let kept = head(&mut i, &conn, "meta", "kept.csv");
    assert_eq!(kept["content_type"], "text/csv");
    assert_eq!(kept["metadata"], json!({"author": "Jane", "project-id": "42"}));

    copy(
        &mut i,
        &conn,
        &with(
            "replaced.json",
            json!({"metadata_directive": "REPLACE", "mime_type": "application/json",
                   "metadata": {"Reviewer": "Bob"}}),
        ),
    )
    .unwrap();
    let replaced = head(&mut i, &conn, "meta", "replaced.json");
    assert_eq!(replaced["content_type"], "application/json");
    assert_eq!(replaced["metadata"], json!({"reviewer": "Bob"}));

    // REPLACE without a mime type keeps the source's (S3 alone would make it
    // binary/octet-stream), and with no metadata drops it all.
    copy(
        &mut i,
        &conn,
        &with("bare.csv", json!({"metadata_directive": "REPLACE"})),
    )
    .unwrap();
    let bare = head(&mut i, &conn, "meta", "bare.csv");
    assert_eq!(bare["content_type"], "text/csv");
    assert_eq!(bare["metadata"], json!({}));
    assert_eq!(read(&mut i, &conn, "meta", "bare.csv", None), b"a,b\n1,2\n");

    // Metadata with COPY would be ignored by S3: it is refused instead.
    let refused = copy(&mut i, &conn, &with("x.csv", json!({"metadata": {"a": "b"}})));
    match refused.as_ref().err().and_then(CallError::connector) {
        Some(ConnectorError::InvalidInput(e)) => assert_eq!(e.field, "metadata"),
        _ => panic!("expected invalid metadata, got {refused:?}"),
    }
}

#[test]
fn a_missing_source_is_no_such_key_and_a_missing_bucket_no_such_bucket() {
    let local = Local::with_buckets(&["here"]);
    let conn = local.conn();
    let mut i = instance();
    put(&mut i, &conn, "here", "a.txt", b"a", json!({}));
    let missing_key = copy(
        &mut i,
        &conn,
        &json!({"source_bucket_name": "here", "source_object_path": "nothing.txt",
                "bucket_name": "here", "object_path": "b.txt"}),
    );
    assert_eq!(code(&missing_key), "no-such-key");
    let missing_bucket = copy(
        &mut i,
        &conn,
        &json!({"source_bucket_name": "here", "source_object_path": "a.txt",
                "bucket_name": "not-here", "object_path": "b.txt"}),
    );
    assert_eq!(code(&missing_bucket), "no-such-bucket");
    let listed = ok(
        &mut i,
        &conn,
        "list-objects",
        &json!({"bucket_name": "here"}),
        None,
    );
    assert_eq!(listed["objects"].as_array().unwrap().len(), 1, "{listed}");
}

#[test]
fn if_match_copies_only_the_source_it_names() {
    let local = Local::with_buckets(&["cond"]);
    let conn = local.conn();
    let mut i = instance();
    let put = put(&mut i, &conn, "cond", "a.txt", b"version one", json!({}));
    let input = |etag: &Value, key: &str| {
        json!({"source_bucket_name": "cond", "source_object_path": "a.txt", "bucket_name": "cond",
               "object_path": key, "if_match": etag})
    };
    let stale = copy(
        &mut i,
        &conn,
        &input(&json!("\"0123456789abcdef0123456789abcdef\""), "b.txt"),
    );
    assert_eq!(code(&stale), "precondition-failed");
    copy(&mut i, &conn, &input(&put["etag"], "c.txt")).unwrap();
    assert_eq!(read(&mut i, &conn, "cond", "c.txt", None), b"version one");
}

#[test]
fn a_source_over_the_threshold_is_copied_in_parts() {
    let local = Local::with_buckets(&["big"]);
    let conn = local.conn();
    let mut i = instance();
    let source = bytes(12 * 1024 * 1024 + 3, 7);
    put(
        &mut i,
        &conn,
        "big",
        "in/a b+c.bin",
        &source,
        json!({"mime_type": "application/x-thing", "metadata": {"origin": "test"}}),
    );
    let output = copy(
        &mut i,
        &conn,
        &json!({
            "source_bucket_name": "big", "source_object_path": "in/a b+c.bin",
            "bucket_name": "big", "object_path": "out/a b+c.bin",
            "multipart_threshold": 5 * 1024 * 1024, "part_size": 5 * 1024 * 1024
        }),
    )
    .unwrap();
    assert_eq!(output["parts"], 3, "{output}");
    assert!(output["etag"].as_str().unwrap().ends_with("-3\""), "{output}");
    assert_eq!(read(&mut i, &conn, "big", "out/a b+c.bin", None), source);
    let copied = head(&mut i, &conn, "big", "out/a b+c.bin");
    assert_eq!(copied["content_type"], "application/x-thing");
    assert_eq!(copied["metadata"], json!({"origin": "test"}));
    // No upload is left behind.
    let uploads = ok(
        &mut i,
        &conn,
        "list-multipart-uploads",
        &json!({"bucket_name": "big"}),
        None,
    );
    assert_eq!(uploads["uploads"], json!([]));
}

/// A HEAD answer for a source of `size` bytes (the fake server announces a
/// body's length and sends none to a HEAD).
fn head_of(size: usize) -> Answer {
    Answer::Http {
        status: 200,
        headers: vec![(
            "etag".to_owned(),
            "\"0123456789abcdef0123456789abcdef\"".to_owned(),
        )],
        body: vec![0; size],
    }
}

#[test]
fn a_copy_that_fails_midway_in_a_200_is_the_error_it_names() {
    // S3 answers 200 before copying, and a failure after that comes as an
    // <Error> in the 200's body. InternalError is retried (copying again is
    // safe), then reported with its status.
    let server = FakeServer::start(Script::sequence(
        vec![head_of(10)],
        Answer::ok_with_error("InternalError"),
    ));
    let mut i = instance();
    let result = copy(
        &mut i,
        &server.conn(),
        &json!({"source_bucket_name": "src", "source_object_path": "a b.txt",
                "bucket_name": "dst", "object_path": "c+d.txt"}),
    );
    assert_eq!(code(&result), "internal-error");
    let line = result.unwrap_err().to_json_line();
    assert!(line.contains("\"status\":200"), "{line}");
    let received = server.received();
    assert_eq!(received.len(), 4, "a HEAD and three attempts");
    assert_eq!(
        (received[0].method.as_str(), received[0].target.as_str()),
        ("HEAD", "/src/a%20b.txt")
    );
    for attempt in &received[1..] {
        assert_eq!(
            (attempt.method.as_str(), attempt.target.as_str()),
            ("PUT", "/dst/c%2Bd.txt")
        );
        assert!(
            attempt
                .head
                .to_ascii_lowercase()
                .contains("x-amz-copy-source: src/a%20b.txt\r\n"),
            "{}",
            attempt.head
        );
    }
}

#[test]
fn a_part_that_fails_aborts_the_copy_in_parts() {
    let created = "<InitiateMultipartUploadResult><UploadId>UP-1</UploadId></InitiateMultipartUploadResult>";
    let part = "<CopyPartResult><ETag>\"0123456789abcdef0123456789abcdef\"</ETag></CopyPartResult>";
    let server = FakeServer::start(Script::sequence(
        vec![
            head_of(11 * 1024 * 1024),
            Answer::xml(200, created),
            Answer::xml(200, part),
            Answer::s3_error(403, "AccessDenied", "Access Denied"),
        ],
        Answer::status(204),
    ));
    let mut i = instance();
    let result = copy(
        &mut i,
        &server.conn(),
        &json!({"source_bucket_name": "src", "source_object_path": "big.bin",
                "bucket_name": "dst", "object_path": "big.bin",
                "multipart_threshold": 5 * 1024 * 1024, "part_size": 5 * 1024 * 1024}),
    );
    let error = result.unwrap_err();
    let line = error.to_json_line();
    match error.connector() {
        Some(ConnectorError::UploadIncomplete(failure)) => {
            assert_eq!(failure.upload_id, "UP-1");
            assert_eq!((failure.parts_done, failure.parts_total), (1, 3));
            assert!(failure.aborted, "{line}");
        }
        _ => panic!("expected an incomplete upload, got {line}"),
    }
    assert!(line.contains("access-denied"), "{line}");
    let targets: Vec<(String, String)> = server
        .received()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    let expected = [
        ("HEAD", "/src/big.bin"),
        ("POST", "/dst/big.bin?uploads="),
        ("PUT", "/dst/big.bin?partNumber=1&uploadId=UP-1"),
        ("PUT", "/dst/big.bin?partNumber=2&uploadId=UP-1"),
        ("DELETE", "/dst/big.bin?uploadId=UP-1"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(m, t)| (m.to_string(), t.to_string()))
        .collect();
    assert_eq!(targets, expected);
}

// ---------------------------------------------------------------- moto

/// A bucket name not used by any other test of this binary.
fn fresh_bucket(what: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("copy-{what}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The tags of an object, as moto reads them back (GetObjectTagging as the
/// administrator), sorted.
fn tags_of(moto: &Moto, bucket: &str, key: &str) -> Vec<(String, String)> {
    let (status, xml) = moto.s3(
        "GET",
        &format!("/{bucket}/{}", uri_encode(key, false)),
        "tagging=",
        b"",
    );
    assert_eq!(status, 200, "tags of {bucket}/{key}: {xml}");
    let mut tags: Vec<(String, String)> = xml
        .split("<Tag>")
        .skip(1)
        .map(|tag| {
            let unescape = |s: String| s.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
            (
                unescape(xml_text(tag, "Key").unwrap_or_default()),
                unescape(xml_text(tag, "Value").unwrap_or_default()),
            )
        })
        .collect();
    tags.sort();
    tags
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn moto_copies_a_given_version_and_names_both_versions() {
    let Some(moto) = Moto::shared() else { return };
    let conn = moto.admin_conn();
    let mut i = instance();
    let (from, to) = (fresh_bucket("versions"), fresh_bucket("versions-to"));
    moto.create_bucket(&from, "us-east-1");
    moto.create_bucket(&to, "us-east-1");
    moto.enable_versioning(&from);
    moto.enable_versioning(&to);
    let first = put(&mut i, &conn, &from, "doc.txt", b"first", json!({}));
    let second = put(&mut i, &conn, &from, "doc.txt", b"second, longer", json!({}));
    let (v1, v2) = (
        first["version_id"].as_str().unwrap(),
        second["version_id"].as_str().unwrap(),
    );
    assert_ne!(v1, v2);

    let old = copy(
        &mut i,
        &conn,
        &json!({"source_bucket_name": from, "source_object_path": "doc.txt", "source_version_id": v1,
                "bucket_name": to, "object_path": "restored.txt"}),
    )
    .unwrap();
    assert_eq!(old["source_version_id"], v1, "{old}");
    let copied_version = old["version_id"].as_str().expect("the destination is versioned");
    assert_eq!(read(&mut i, &conn, &to, "restored.txt", None), b"first");
    assert_eq!(
        read(&mut i, &conn, &to, "restored.txt", Some(copied_version)),
        b"first"
    );

    let latest = copy(
        &mut i,
        &conn,
        &json!({"source_bucket_name": from, "source_object_path": "doc.txt",
                "bucket_name": to, "object_path": "latest.txt"}),
    )
    .unwrap();
    assert_eq!(latest["source_version_id"], v2, "{latest}");
    assert_eq!(read(&mut i, &conn, &to, "latest.txt", None), b"second, longer");

    // Restoring an old version onto its own key is a copy S3 takes.
    copy(
        &mut i,
        &conn,
        &json!({"source_bucket_name": from, "source_object_path": "doc.txt", "source_version_id": v1,
                "bucket_name": from, "object_path": "doc.txt"}),
    )
    .unwrap();
    assert_eq!(read(&mut i, &conn, &from, "doc.txt", None), b"first");

    let missing = copy(
        &mut i,
        &conn,
        &json!({"source_bucket_name": from, "source_object_path": "doc.txt",
                "source_version_id": "no-such-version-id", "bucket_name": to, "object_path": "x.txt"}),
    );
    assert!(missing.is_err(), "{missing:?}");
}

#[test]
fn moto_tags_are_replaced_kept_or_dropped() {
    let Some(moto) = Moto::shared() else { return };
    let conn = moto.admin_conn();
    let mut i = instance();
    let bucket = fresh_bucket("tags");
    moto.create_bucket(&bucket, "us-east-1");
    put(&mut i, &conn, &bucket, "src.txt", b"tagged", json!({}));
    let body = "<Tagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></Tagging>";
    let (status, answer) = moto.s3("PUT", &format!("/{bucket}/src.txt"), "tagging=", body.as_bytes());
    assert_eq!(status, 200, "{answer}");
    let input = |key: &str, tags: Value| {
        let mut input = json!({"source_bucket_name": bucket, "source_object_path": "src.txt",
                               "bucket_name": bucket, "object_path": key});
        if !tags.is_null() {
            input["tags"] = tags;
        }
        input
    };

    copy(&mut i, &conn, &input("kept.txt", Value::Null)).unwrap();
    assert_eq!(tags_of(moto, &bucket, "kept.txt"), pairs(&[("team", "blue")]));

    // Every character S3 allows in a tag that a query string would read
    // otherwise: `+`, `=`, `/`, `:`, `@` and spaces.
    let awkward =
        json!({"project": "Q1 + Q2", "a+b": "c=d", "path": "x/y z", "at": "me@host:80", "empty": ""});
    copy(&mut i, &conn, &input("replaced.txt", awkward)).unwrap();
    assert_eq!(
        tags_of(moto, &bucket, "replaced.txt"),
        pairs(&[
            ("a+b", "c=d"),
            ("at", "me@host:80"),
            ("empty", ""),
            ("path", "x/y z"),
            ("project", "Q1 + Q2")
        ])
    );
    // A character S3 does not allow is its InvalidTag, as it is.
    let refused = copy(
        &mut i,
        &conn,
        &input("refused.txt", json!({"project": "Q1 & Q2"})),
    );
    assert_eq!(code(&refused), "InvalidTag");

    copy(&mut i, &conn, &input("untagged.txt", json!({}))).unwrap();
    assert_eq!(tags_of(moto, &bucket, "untagged.txt"), Vec::new());

    // A copy in parts reads the source's tags to carry them over.
    let big = bytes(6 * 1024 * 1024, 9);
    put(
        &mut i,
        &conn,
        &bucket,
        "big.bin",
        &big,
        json!({"metadata": {"kind": "big"}}),
    );
    let (status, answer) = moto.s3("PUT", &format!("/{bucket}/big.bin"), "tagging=", body.as_bytes());
    assert_eq!(status, 200, "{answer}");
    let output = copy(
        &mut i,
        &conn,
        &json!({"source_bucket_name": bucket, "source_object_path": "big.bin",
                "bucket_name": bucket, "object_path": "big-copy.bin",
                "multipart_threshold": 5 * 1024 * 1024, "part_size": 5 * 1024 * 1024}),
    )
    .unwrap();
    assert_eq!(output["parts"], 2, "{output}");
    assert_eq!(read(&mut i, &conn, &bucket, "big-copy.bin", None), big);
    assert_eq!(tags_of(moto, &bucket, "big-copy.bin"), pairs(&[("team", "blue")]));
    assert_eq!(
        head(&mut i, &conn, &bucket, "big-copy.bin")["metadata"],
        json!({"kind": "big"})
    );
}

#[test]
fn moto_storage_class_is_set_and_a_plain_self_copy_is_refused() {
    let Some(moto) = Moto::shared() else { return };
    let conn = moto.admin_conn();
    let mut i = instance();
    let bucket = fresh_bucket("class");
    moto.create_bucket(&bucket, "us-east-1");
    put(&mut i, &conn, &bucket, "a.txt", b"cold soon", json!({}));
    let input = |key: &str, class: Option<&str>| {
        json!({"source_bucket_name": bucket, "source_object_path": "a.txt", "bucket_name": bucket,
               "object_path": key, "storage_class": class})
    };
    copy(&mut i, &conn, &input("ia.txt", Some("STANDARD_IA"))).unwrap();
    assert_eq!(
        head(&mut i, &conn, &bucket, "ia.txt")["storage_class"],
        "STANDARD_IA"
    );
    assert_eq!(read(&mut i, &conn, &bucket, "ia.txt", None), b"cold soon");

    // Onto itself, changing nothing: S3's InvalidRequest, as it is.
    let refused = copy(&mut i, &conn, &input("a.txt", None));
    assert_eq!(code(&refused), "invalid-request");
    // Changing the storage class in place is a copy S3 takes.
    copy(&mut i, &conn, &input("a.txt", Some("STANDARD_IA"))).unwrap();
    assert_eq!(
        head(&mut i, &conn, &bucket, "a.txt")["storage_class"],
        "STANDARD_IA"
    );
}

#[test]
fn moto_path_like_and_awkward_keys_are_copied_byte_for_byte() {
    let Some(moto) = Moto::shared() else { return };
    let conn = moto.admin_conn();
    let mut i = instance();
    let (from, to) = (fresh_bucket("keys"), fresh_bucket("keys-to"));
    moto.create_bucket(&from, "us-east-1");
    moto.create_bucket(&to, "us-east-1");
    round_trip_keys(&mut i, &conn, &from, &to, &PATH_LIKE_KEYS);
    round_trip_keys(&mut i, &conn, &from, &to, &AWKWARD_KEYS);
}

#[test]
fn moto_a_user_with_the_listed_permissions_copies_and_one_without_is_told_which() {
    let Some(moto) = Moto::shared() else { return };
    let admin = moto.admin_conn();
    let mut i = instance();
    let bucket = fresh_bucket("iam");
    moto.create_bucket(&bucket, "us-east-1");
    put(&mut i, &admin, &bucket, "a.txt", b"secret", json!({}));
    let input = json!({"source_bucket_name": bucket, "source_object_path": "a.txt",
                       "bucket_name": bucket, "object_path": "b.txt"});

    let allowed = moto.user_with(&["s3:GetObject", "s3:PutObject"]);
    copy(&mut i, &moto.conn(&allowed, "us-east-1"), &input).unwrap();
    assert_eq!(read(&mut i, &admin, &bucket, "b.txt", None), b"secret");

    let writer = moto.user_with(&["s3:PutObject"]);
    let denied = copy(&mut i, &moto.conn(&writer, "us-east-1"), &input);
    assert_eq!(code(&denied), "access-denied");
    let line = denied.unwrap_err().to_json_line();
    assert!(line.contains("s3:GetObject"), "{line}");
}

/// Whether `request` copies a part (`UploadPartCopy`), which S3 answers
/// only once it has copied it.
fn is_part_copy(request: &Request) -> bool {
    request.url.contains("partNumber=")
        && request
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("x-amz-copy-source"))
}

/// Puts a 15 MiB source and copies it in three parts of 5 MiB through an
/// instance whose calls have `call_timeout`, each part answered `delay`
/// late.
fn copy_in_slow_parts(delay: Duration, call_timeout: Duration) -> (Local, Result<Value, CallError>) {
    let local = Local::with_buckets(&["slow"]);
    let conn = local.conn();
    let source = bytes(15 * 1024 * 1024, 3);
    put(&mut instance(), &conn, "slow", "src.bin", &source, json!({}));
    let options = InstanceOptions::new(SlowAnswers::new(delay, is_part_copy)).with_call_timeout(call_timeout);
    let mut slow = runtime().instance(options).unwrap();
    let result = copy(
        &mut slow,
        &conn,
        &json!({
            "source_bucket_name": "slow", "source_object_path": "src.bin",
            "bucket_name": "slow", "object_path": "dst.bin",
            "multipart_threshold": 5 * 1024 * 1024, "part_size": 5 * 1024 * 1024
        }),
    );
    (local, result)
}

#[test]
fn a_copy_in_parts_may_outlast_the_call_deadline_while_parts_complete() {
    // Three parts of 400 ms each against a deadline of 1 s: each part copied
    // starts the deadline again, as a streamed part does.
    let (local, result) = copy_in_slow_parts(Duration::from_millis(400), Duration::from_secs(1));
    let output = result.unwrap_or_else(|e| panic!("the copy failed: {}", e.to_json_line()));
    assert_eq!(output["parts"], 3, "{output}");
    let conn = local.conn();
    let mut i = instance();
    assert_eq!(
        read(&mut i, &conn, "slow", "dst.bin", None),
        read(&mut i, &conn, "slow", "src.bin", None)
    );
}

#[test]
fn a_part_copy_that_outlasts_the_call_deadline_stops_the_call() {
    // The deadline still holds for each step: one part taking longer than
    // the whole deadline stops the call, and no copy appears.
    let (local, result) = copy_in_slow_parts(Duration::from_millis(1500), Duration::from_secs(1));
    assert!(
        matches!(result, Err(CallError::Host(HostError::Timeout(_)))),
        "{:?}",
        result.map_err(|e| e.to_json_line())
    );
    let conn = local.conn();
    let listed = ok(
        &mut instance(),
        &conn,
        "list-objects",
        &json!({"bucket_name": "slow"}),
        None,
    );
    let keys: Vec<&str> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["key"].as_str())
        .collect();
    assert_eq!(keys, ["src.bin"], "{listed}");
}
