//! Folders end to end: `create-folder`, `list-folders` and `delete-folder`
//! through the real component and host, against the local server (s3s-fs)
//! and, for the empty folder markers s3s-fs cannot list, moto.
//!
//! s3s-fs keeps an object as a file under its bucket's directory, so a
//! folder marker (`reports/`) becomes an empty directory, which its listings
//! never show: an empty folder made by `create-folder` is not listed by
//! s3s-fs (nor deleted by `delete-folder`, which deletes what the listing
//! shows), while a folder holding objects is. It cannot hold the keys `a`
//! and `a/b` at once either (a file and a directory of the same name), so
//! the keys below never name a folder without its `/`. moto keeps every key
//! as a key, and shows the markers as S3 does.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::moto::{Moto, HOME_REGION};
use common::schema::check_output;
use common::{instance, runtime, Local, SlowAnswers, BUCKET};
use s3_connector_host::wit::{Connection, Request};
use s3_connector_host::{CallError, HostError, Instance, InstanceOptions};
use serde_json::{json, Value};

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

fn put(instance: &mut Instance, conn: &Connection, bucket: &str, key: &str) {
    call(
        instance,
        conn,
        "put-object-text",
        json!({"bucket_name": bucket, "object_path": key, "content": key}),
    );
}

fn folders(instance: &mut Instance, conn: &Connection, bucket: &str, parent: Option<&str>) -> Vec<String> {
    let mut input = json!({"bucket_name": bucket, "fetch_all": true});
    if let Some(parent) = parent {
        input["parent"] = json!(parent);
    }
    let output = call(instance, conn, "list-folders", input);
    assert_eq!(output["is_truncated"], false, "{output}");
    serde_json::from_value(output["folders"].clone()).unwrap()
}

/// Every key of the bucket, in key order.
fn every_key(instance: &mut Instance, conn: &Connection, bucket: &str) -> Vec<String> {
    let output = call(
        instance,
        conn,
        "list-objects",
        json!({"bucket_name": bucket, "fetch_all": true, "max_total": 100_000}),
    );
    output["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn folders_holding_objects_are_listed_level_by_level() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();

    let created = call(
        &mut instance,
        &conn,
        "create-folder",
        json!({"bucket_name": BUCKET, "folder_path": "reports/2026"}),
    );
    assert_eq!(created["key"], "reports/2026/");
    assert!(local.dir.path().join(BUCKET).join("reports/2026").is_dir());
    // Again: the same marker, nothing else changes.
    let again = call(
        &mut instance,
        &conn,
        "create-folder",
        json!({"bucket_name": BUCKET, "folder_path": "reports/2026/"}),
    );
    assert_eq!(again["key"], "reports/2026/");

    for key in [
        "reports/2026/q1.csv",
        "reports/2026/q2 (draft).csv",
        "reports/2025/archive/q4.csv",
        "reports/2026.csv",
        "reports-old/2019.csv",
        "a.txt",
        "données/été/x.txt",
    ] {
        put(&mut instance, &conn, BUCKET, key);
    }
    // `-` sorts before `/`, and S3 lists in UTF-8 byte order.
    assert_eq!(
        folders(&mut instance, &conn, BUCKET, None),
        ["données/", "reports-old/", "reports/"]
    );
    assert_eq!(
        folders(&mut instance, &conn, BUCKET, Some("reports")),
        ["reports/2025/", "reports/2026/"]
    );
    assert_eq!(
        folders(&mut instance, &conn, BUCKET, Some("reports/")),
        ["reports/2025/", "reports/2026/"]
    );
    assert_eq!(
        folders(&mut instance, &conn, BUCKET, Some("reports/2025")),
        ["reports/2025/archive/"]
    );
    assert_eq!(
        folders(&mut instance, &conn, BUCKET, Some("données")),
        ["données/été/"]
    );
    assert!(folders(&mut instance, &conn, BUCKET, Some("reports/2026")).is_empty());
    assert!(folders(&mut instance, &conn, BUCKET, Some("nowhere")).is_empty());

    // What s3s-fs cannot show: an empty folder is a directory, not a key.
    call(
        &mut instance,
        &conn,
        "create-folder",
        json!({"bucket_name": BUCKET, "folder_path": "empty"}),
    );
    assert!(!folders(&mut instance, &conn, BUCKET, None).contains(&"empty/".to_owned()));
}

#[test]
fn a_listing_of_many_folders_goes_on_from_its_token() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    for n in 0..5 {
        put(&mut instance, &conn, BUCKET, &format!("f{n}/x.txt"));
    }
    let first = call(
        &mut instance,
        &conn,
        "list-folders",
        json!({"bucket_name": BUCKET, "fetch_all": true, "max_total": 2}),
    );
    assert_eq!(first["folders"], json!(["f0/", "f1/"]));
    assert_eq!(first["is_truncated"], true);
    let token = first["next_continuation_token"].as_str().unwrap();
    let rest = call(
        &mut instance,
        &conn,
        "list-folders",
        json!({"bucket_name": BUCKET, "fetch_all": true, "continuation_token": token}),
    );
    assert_eq!(rest["folders"], json!(["f2/", "f3/", "f4/"]));
    assert_eq!(rest["is_truncated"], false);
    assert_eq!(rest["next_continuation_token"], Value::Null);
}

#[test]
fn delete_folder_removes_every_key_under_it_and_nothing_beside_it() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    // Over 1000 keys, so that the folder takes two pages and two batches.
    let started = Instant::now();
    let mut inside = Vec::new();
    for n in 0..1100 {
        let key = match n % 3 {
            0 => format!("reports/{n:04}.csv"),
            1 => format!("reports/2026/{n:04}.csv"),
            // No `+` or `%`: s3s-fs lists keys raw while saying they are
            // URL-encoded (see tests/keys.rs), so those would not read back.
            _ => format!("reports/2026/q{}/{n:04} é&.csv", n % 4),
        };
        put(&mut instance, &conn, BUCKET, &key);
        inside.push(key);
    }
    let outside = [
        "reports-old/2019.csv",
        "reports-old/reports/x.csv",
        "reportsX.txt",
        "a.txt",
        "archive/reports/2026/y.csv",
    ];
    for key in outside {
        put(&mut instance, &conn, BUCKET, key);
    }
    eprintln!(
        "wrote {} objects in {:?}",
        inside.len() + outside.len(),
        started.elapsed()
    );

    let started = Instant::now();
    let output = call(
        &mut instance,
        &conn,
        "delete-folder",
        json!({"bucket_name": BUCKET, "folder_path": "reports"}),
    );
    eprintln!("deleted the folder in {:?}", started.elapsed());
    assert_eq!(
        output,
        json!({"deleted": 1100, "failed": 0, "results": [], "region": "us-east-1"})
    );
    let mut expected: Vec<String> = outside.iter().map(|k| (*k).to_owned()).collect();
    expected.sort();
    assert_eq!(every_key(&mut instance, &conn, BUCKET), expected);
    assert_eq!(
        folders(&mut instance, &conn, BUCKET, None),
        ["archive/", "reports-old/"]
    );

    // Deleting it again finds nothing to delete.
    let again = call(
        &mut instance,
        &conn,
        "delete-folder",
        json!({"bucket_name": BUCKET, "folder_path": "reports/"}),
    );
    assert_eq!(
        (again["deleted"].as_u64(), again["failed"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn deleting_a_nested_folder_keeps_its_parent_and_siblings() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    for key in [
        "reports/2026/q1.csv",
        "reports/2026/deep/er/x.csv",
        "reports/2026.csv",
        "reports/2026-old/q1.csv",
        "reports/2025/q1.csv",
    ] {
        put(&mut instance, &conn, BUCKET, key);
    }
    let output = call(
        &mut instance,
        &conn,
        "delete-folder",
        json!({"bucket_name": BUCKET, "folder_path": "reports/2026"}),
    );
    assert_eq!(output["deleted"], 2);
    assert_eq!(
        every_key(&mut instance, &conn, BUCKET),
        [
            "reports/2025/q1.csv",
            "reports/2026-old/q1.csv",
            "reports/2026.csv"
        ]
    );
    assert_eq!(
        folders(&mut instance, &conn, BUCKET, Some("reports")),
        ["reports/2025/", "reports/2026-old/"]
    );
}

#[test]
fn folder_paths_without_a_folder_are_refused_and_nothing_is_sent() {
    let local = Local::new();
    let mut instance = instance();
    put(&mut instance, &local.conn(), BUCKET, "a.txt");
    // Nothing listens here: a request sent would fail as a transport error.
    let mut nowhere = local.conn();
    nowhere.endpoint = Some("http://127.0.0.1:1".to_owned());
    let cases = [
        (
            "create-folder",
            json!({"bucket_name": BUCKET, "folder_path": ""}),
            "folder_path",
        ),
        (
            "create-folder",
            json!({"bucket_name": BUCKET, "folder_path": "/"}),
            "folder_path",
        ),
        (
            "create-folder",
            json!({"bucket_name": BUCKET, "folder_path": "a//b"}),
            "folder_path",
        ),
        (
            "delete-folder",
            json!({"bucket_name": BUCKET, "folder_path": ""}),
            "folder_path",
        ),
        (
            "delete-folder",
            json!({"bucket_name": BUCKET, "folder_path": "//"}),
            "folder_path",
        ),
        (
            "list-folders",
            json!({"bucket_name": BUCKET, "parent": "/x"}),
            "parent",
        ),
        (
            "list-folders",
            json!({"bucket_name": BUCKET, "prefix": "x/"}),
            "prefix",
        ),
    ];
    for (operation, input, field) in cases {
        let error = refused(&mut instance, &nowhere, operation, input.clone()).to_json();
        assert_eq!(
            error["error"]["kind"], "invalid-input",
            "{operation} {input}: {error}"
        );
        assert_eq!(error["error"]["field"], field, "{operation} {input}: {error}");
    }
    let message = refused(
        &mut instance,
        &nowhere,
        "delete-folder",
        json!({"bucket_name": BUCKET, "folder_path": ""}),
    )
    .to_json();
    assert!(
        message["error"]["message"]
            .as_str()
            .unwrap()
            .contains("every key of the bucket"),
        "{message}"
    );
    assert_eq!(every_key(&mut instance, &local.conn(), BUCKET), ["a.txt"]);
}

/// A bucket name not used by any other test of this binary.
fn fresh_bucket(what: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{what}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

#[test]
fn empty_folders_are_markers_that_list_and_delete_on_moto() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = fresh_bucket("folders");
    moto.create_bucket(&bucket, HOME_REGION);
    let conn = moto.admin_conn();
    let mut instance = instance();

    for path in ["reports", "reports/2026", "archive/", "reports-old"] {
        let created = call(
            &mut instance,
            &conn,
            "create-folder",
            json!({"bucket_name": bucket, "folder_path": path}),
        );
        let key = format!("{}/", path.trim_end_matches('/'));
        assert_eq!(created["key"], key.as_str());
        assert_eq!(
            created["etag"], "\"d41d8cd98f00b204e9800998ecf8427e\"",
            "{created}"
        );
    }
    // The marker is the empty object the S3 console makes.
    let head = call(
        &mut instance,
        &conn,
        "head-object",
        json!({"bucket_name": bucket, "object_path": "reports/2026/"}),
    );
    assert_eq!(head["content_length"], 0);
    assert_eq!(head["content_type"], "application/x-directory");

    assert_eq!(
        folders(&mut instance, &conn, &bucket, None),
        ["archive/", "reports-old/", "reports/"]
    );
    assert_eq!(
        folders(&mut instance, &conn, &bucket, Some("reports")),
        ["reports/2026/"]
    );
    assert!(folders(&mut instance, &conn, &bucket, Some("reports/2026")).is_empty());

    put(&mut instance, &conn, &bucket, "reports/2026/q1.csv");
    put(&mut instance, &conn, &bucket, "reports/summary.txt");
    let output = call(
        &mut instance,
        &conn,
        "delete-folder",
        json!({"bucket_name": bucket, "folder_path": "reports"}),
    );
    // Two markers and two objects.
    assert_eq!(
        output,
        json!({"deleted": 4, "failed": 0, "results": [], "region": "us-east-1"})
    );
    assert_eq!(
        every_key(&mut instance, &conn, &bucket),
        ["archive/", "reports-old/"]
    );
    assert_eq!(
        folders(&mut instance, &conn, &bucket, None),
        ["archive/", "reports-old/"]
    );
}

#[test]
fn delete_folder_reports_the_keys_a_user_may_not_delete_on_moto() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = fresh_bucket("folders-denied");
    moto.create_bucket(&bucket, HOME_REGION);
    let admin = moto.admin_conn();
    let mut instance = instance();
    for key in ["locked/a.txt", "locked/b.txt"] {
        put(&mut instance, &admin, &bucket, key);
    }
    // May list, may not delete: moto, like S3, answers per key.
    let lister = moto.user_with(&["s3:ListBucket"]);
    let output = call(
        &mut instance,
        &moto.conn(&lister, HOME_REGION),
        "delete-folder",
        json!({"bucket_name": bucket, "folder_path": "locked"}),
    );
    assert_eq!(output["deleted"], 0, "{output}");
    assert_eq!(output["failed"], 2, "{output}");
    let results = output["results"].as_array().unwrap();
    assert_eq!(results[0]["key"], "locked/a.txt");
    assert_eq!(results[0]["code"], "access-denied", "{output}");
    assert_eq!(
        every_key(&mut instance, &admin, &bucket),
        ["locked/a.txt", "locked/b.txt"]
    );

    // May not list: the call fails naming the permission.
    let deleter = moto.user_with(&["s3:DeleteObject"]);
    let error = refused(
        &mut instance,
        &moto.conn(&deleter, HOME_REGION),
        "delete-folder",
        json!({"bucket_name": bucket, "folder_path": "locked"}),
    )
    .to_json();
    assert_eq!(error["error"]["code"], "access-denied", "{error}");
    assert_eq!(error["error"]["required_permission"], "s3:ListBucket", "{error}");
}

/// Whether `request` is a Delete Multiple Objects (`POST ?delete`), which
/// S3 answers only once it has deleted the batch.
fn is_batch_delete(request: &Request) -> bool {
    request.url.ends_with("?delete") || request.url.contains("?delete=")
}

/// Writes `count` empty objects under `slow/` straight into the local
/// server's bucket directory (it serves each file as an object), then
/// deletes the folder through an instance whose calls have
/// `call_timeout`, each batch of deletes answered `delay` late.
fn delete_slowly(count: usize, delay: Duration, call_timeout: Duration) -> (Local, Result<Value, CallError>) {
    let local = Local::new();
    let folder = local.dir.path().join(BUCKET).join("slow");
    std::fs::create_dir_all(&folder).unwrap();
    for n in 0..count {
        std::fs::write(folder.join(format!("{n:05}.txt")), b"").unwrap();
    }
    let options =
        InstanceOptions::new(SlowAnswers::new(delay, is_batch_delete)).with_call_timeout(call_timeout);
    let mut slow = runtime().instance(options).unwrap();
    let input = json!({"bucket_name": BUCKET, "folder_path": "slow"});
    let result = slow
        .invoke(&local.conn(), "delete-folder", &input.to_string(), None)
        .map(|answer| serde_json::from_str(&answer.json).unwrap());
    (local, result)
}

#[test]
fn a_folder_may_take_longer_than_the_call_deadline_while_its_pages_are_deleted() {
    // Three pages, each batch answered 400 ms late, against a deadline of
    // 1 s: each page deleted starts the deadline again.
    let (local, result) = delete_slowly(2500, Duration::from_millis(400), Duration::from_secs(1));
    let output = result.unwrap_or_else(|e| panic!("the delete failed: {}", e.to_json_line()));
    assert_eq!(
        (output["deleted"].as_u64(), output["failed"].as_u64()),
        (Some(2500), Some(0)),
        "{output}"
    );
    assert!(every_key(&mut instance(), &local.conn(), BUCKET).is_empty());
}

#[test]
fn a_batch_of_deletes_that_outlasts_the_call_deadline_stops_the_call() {
    // The deadline still holds for each step: one batch answered later than
    // the whole deadline stops the call.
    let (_local, result) = delete_slowly(10, Duration::from_millis(1500), Duration::from_secs(1));
    assert!(
        matches!(result, Err(CallError::Host(HostError::Timeout(_)))),
        "{:?}",
        result.map_err(|e| e.to_json_line())
    );
}
