//! Bucket operations through the component and the host: Create, Head and
//! Delete Bucket (with and without `force`) against the local server
//! (s3s-fs), and what s3s-fs lacks against moto_server with authentication
//! on: a bucket in another region, object versions and delete markers
//! (List Object Versions, its pages), and the forced delete of a versioned
//! bucket. Every successful output is checked against the manifest's schema.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::moto::{Moto, HOME_REGION};
use common::schema::check_output;
use common::Local;
use s3_connector_host::wit::Connection;
use s3_connector_host::{CallError, Instance};
use serde_json::{json, Value};

/// Runs `operation` with `input` through the JSON face; a successful output
/// is checked against its schema.
fn call(
    instance: &mut Instance,
    conn: &Connection,
    operation: &str,
    input: Value,
) -> Result<Value, CallError> {
    let answer = instance.invoke(conn, operation, &input.to_string(), None)?;
    let output: Value = serde_json::from_str(&answer.json).unwrap();
    check_output(operation, &output);
    Ok(output)
}

/// The service error code (`bucket-not-empty`) of a call that must fail.
fn refused(result: Result<Value, CallError>) -> String {
    match result {
        Ok(output) => panic!("expected a service error, got {output}"),
        Err(error) => error
            .service_code()
            .unwrap_or_else(|| panic!("expected a service error, got {error}")),
    }
}

/// A bucket name not used by any other test of this binary.
fn fresh_bucket(what: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{what}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn put_text(instance: &mut Instance, conn: &Connection, bucket: &str, key: &str, content: &str) -> Value {
    let input = json!({"bucket_name": bucket, "object_path": key, "content": content});
    call(instance, conn, "put-object-text", input).unwrap()
}

fn head(instance: &mut Instance, conn: &Connection, bucket: &str) -> Value {
    call(instance, conn, "head-bucket", json!({"bucket_name": bucket})).unwrap()
}

fn keys(instance: &mut Instance, conn: &Connection, bucket: &str) -> Vec<String> {
    let listed = call(instance, conn, "list-objects", json!({"bucket_name": bucket})).unwrap();
    listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn local_create_head_and_delete_an_empty_bucket() {
    let local = Local::with_buckets(&[]);
    let conn = local.conn();
    let mut instance = common::instance();
    let created = call(
        &mut instance,
        &conn,
        "create-bucket",
        json!({"bucket_name": "fresh-bucket"}),
    )
    .unwrap();
    assert_eq!(created["bucket_name"], "fresh-bucket");
    assert_eq!(
        created["region"], "us-east-1",
        "the connection's region: {created}"
    );
    assert!(local.dir.path().join("fresh-bucket").is_dir());

    assert_eq!(
        head(&mut instance, &conn, "fresh-bucket"),
        json!({"exists": true, "region": "us-east-1", "access": "allowed"})
    );
    assert_eq!(
        head(&mut instance, &conn, "never-made"),
        json!({"exists": false, "region": "us-east-1", "access": "allowed"})
    );

    // s3s-fs says "already exists" for a bucket of its own too.
    let again = refused(call(
        &mut instance,
        &conn,
        "create-bucket",
        json!({"bucket_name": "fresh-bucket"}),
    ));
    assert!(again.starts_with("bucket-already-"), "{again}");

    let deleted = call(
        &mut instance,
        &conn,
        "delete-bucket",
        json!({"bucket_name": "fresh-bucket"}),
    )
    .unwrap();
    assert_eq!(deleted["success"], true);
    assert_eq!(deleted["deleted_objects"], 0);
    assert_eq!(head(&mut instance, &conn, "fresh-bucket")["exists"], false);
    assert!(!local.dir.path().join("fresh-bucket").exists());
    let missing = refused(call(
        &mut instance,
        &conn,
        "delete-bucket",
        json!({"bucket_name": "fresh-bucket"}),
    ));
    assert_eq!(missing, "no-such-bucket");
}

#[test]
fn local_a_bucket_with_objects_is_deleted_only_with_force() {
    let local = Local::with_buckets(&["full-bucket"]);
    let conn = local.conn();
    let mut instance = common::instance();
    let written = ["a.txt", "dir/b.txt", "dir/sub/c d.txt"];
    for key in written {
        put_text(&mut instance, &conn, "full-bucket", key, "x");
    }

    let without = refused(call(
        &mut instance,
        &conn,
        "delete-bucket",
        json!({"bucket_name": "full-bucket"}),
    ));
    assert_eq!(without, "bucket-not-empty");
    assert_eq!(
        keys(&mut instance, &conn, "full-bucket"),
        written,
        "nothing was deleted"
    );

    // s3s-fs has no List Object Versions (501): the bucket is emptied by key.
    let forced = call(
        &mut instance,
        &conn,
        "delete-bucket",
        json!({"bucket_name": "full-bucket", "force": true}),
    )
    .unwrap();
    assert_eq!(forced["success"], true);
    assert_eq!(forced["deleted_objects"], 3);
    assert_eq!(head(&mut instance, &conn, "full-bucket")["exists"], false);
    assert!(!local.dir.path().join("full-bucket").exists());
}

#[test]
fn local_bad_names_are_refused_before_sending() {
    let local = Local::with_buckets(&[]);
    let conn = local.conn();
    let mut instance = common::instance();
    for operation in [
        "create-bucket",
        "head-bucket",
        "delete-bucket",
        "list-object-versions",
    ] {
        let error = call(
            &mut instance,
            &conn,
            operation,
            json!({"bucket_name": "Not_A_Bucket"}),
        )
        .unwrap_err();
        let json = error.to_json();
        assert_eq!(json["error"]["kind"], "invalid-input", "{operation}: {json}");
        assert_eq!(json["error"]["field"], "bucket_name", "{operation}: {json}");
    }
}

/// The region get-bucket-location answers for `bucket`.
fn location(instance: &mut Instance, conn: &Connection, bucket: &str) -> String {
    let answer = call(
        instance,
        conn,
        "get-bucket-location",
        json!({"bucket_name": bucket}),
    )
    .unwrap();
    answer["result"].as_str().unwrap().to_owned()
}

#[test]
fn moto_create_in_another_region_signed_for_it() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let admin = moto.admin_conn();
    let mut instance = common::instance();

    let bucket = fresh_bucket("ireland");
    let created = call(
        &mut instance,
        &admin,
        "create-bucket",
        json!({"bucket_name": bucket, "region": "eu-west-1"}),
    )
    .unwrap();
    assert_eq!(created["region"], "eu-west-1", "{created}");
    assert_eq!(created["location"], format!("/{bucket}"), "{created}");
    assert_eq!(location(&mut instance, &admin, &bucket), "eu-west-1");
    assert_eq!(
        head(&mut instance, &admin, &bucket),
        json!({"exists": true, "region": "eu-west-1", "access": "allowed"})
    );
    // Outside us-east-1, a bucket already yours is an error of its own.
    let again = refused(call(
        &mut instance,
        &admin,
        "create-bucket",
        json!({"bucket_name": bucket, "region": "eu-west-1"}),
    ));
    assert_eq!(again, "bucket-already-owned-by-you");

    // moto takes the region from the signature: a request signed for
    // eu-west-1 without a location constraint would be refused
    // (IllegalLocationConstraintException), so us-east-1 here proves the
    // request was signed for the bucket's region, not the connection's.
    let ireland = moto.conn(moto.admin(), "eu-west-1");
    let virginia = fresh_bucket("virginia");
    let created = call(
        &mut instance,
        &ireland,
        "create-bucket",
        json!({"bucket_name": virginia, "region": "us-east-1"}),
    )
    .unwrap();
    assert_eq!(created["region"], "us-east-1");
    assert_eq!(location(&mut instance, &admin, &virginia), "us-east-1");

    // No region given: the connection's.
    let default = fresh_bucket("default");
    let created = call(
        &mut instance,
        &ireland,
        "create-bucket",
        json!({"bucket_name": default}),
    )
    .unwrap();
    assert_eq!(created["region"], "eu-west-1");
    assert_eq!(location(&mut instance, &admin, &default), "eu-west-1");
}

#[test]
fn moto_create_with_an_acl_and_object_ownership() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let admin = moto.admin_conn();
    let mut instance = common::instance();
    let bucket = fresh_bucket("owned");
    call(
        &mut instance,
        &admin,
        "create-bucket",
        json!({"bucket_name": bucket, "acl": "public-read", "object_ownership": "ObjectWriter"}),
    )
    .unwrap();
    let (status, controls) = moto.s3("GET", &format!("/{bucket}"), "ownershipControls=", b"");
    assert_eq!(status, 200, "{controls}");
    assert!(controls.contains("ObjectWriter"), "{controls}");
    let (status, acl) = moto.s3("GET", &format!("/{bucket}"), "acl=", b"");
    assert_eq!(status, 200, "{acl}");
    assert!(acl.contains("AllUsers") && acl.contains("READ"), "{acl}");
}

#[test]
fn moto_head_of_a_bucket_the_user_may_not_use_is_denied_not_an_error() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = fresh_bucket("private");
    moto.create_bucket(&bucket, HOME_REGION);
    // No policy at all: moto refuses the HEAD (it checks `s3:HeadBucket`).
    let nobody = moto.user_with(&[]);
    let conn = moto.conn(&nobody, HOME_REGION);
    let mut instance = common::instance();
    let answer = head(&mut instance, &conn, &bucket);
    assert_eq!(answer["exists"], true, "{answer}");
    assert_eq!(answer["access"], "denied", "{answer}");
}

/// One entry of a listing: key, version id, latest.
fn entries(listed: &Value, field: &str) -> Vec<(String, String, bool)> {
    listed[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["key"].as_str().unwrap().to_owned(),
                v["version_id"].as_str().unwrap().to_owned(),
                v["is_latest"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// A versioned bucket holding two versions of `a.txt`, a version of `b.txt`
/// under a delete marker, and `dir/c.txt`; their version ids, oldest first
/// within a key.
struct Versioned {
    bucket: String,
    a: [String; 2],
    b: String,
    b_marker: String,
    c: String,
}

impl Versioned {
    fn new(moto: &Moto, instance: &mut Instance, conn: &Connection) -> Self {
        let bucket = fresh_bucket("versioned");
        moto.create_bucket(&bucket, HOME_REGION);
        moto.enable_versioning(&bucket);
        let mut version = |key: &str, content: &str| -> String {
            put_text(instance, conn, &bucket, key, content)["version_id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        // moto orders the versions of a key by their time, in whole
        // seconds: a second apart, the newer is listed first every time.
        let first = version("a.txt", "one");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let a = [first, version("a.txt", "two")];
        let b = version("b.txt", "bee");
        let c = version("dir/c.txt", "sea");
        let marker = call(
            instance,
            conn,
            "delete-object",
            json!({"bucket_name": bucket, "object_path": "b.txt"}),
        )
        .unwrap();
        assert_eq!(marker["delete_marker"], true, "{marker}");
        let b_marker = marker["version_id"].as_str().unwrap().to_owned();
        Self {
            bucket,
            a,
            b,
            b_marker,
            c,
        }
    }
}

#[test]
fn moto_list_object_versions_of_a_versioned_bucket() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let admin = moto.admin_conn();
    let mut instance = common::instance();
    let v = Versioned::new(moto, &mut instance, &admin);

    let listed = call(
        &mut instance,
        &admin,
        "list-object-versions",
        json!({"bucket_name": v.bucket}),
    )
    .unwrap();
    let owned = |key: &str, version: &str, latest: bool| (key.to_owned(), version.to_owned(), latest);
    assert_eq!(
        entries(&listed, "versions"),
        [
            owned("a.txt", &v.a[1], true),
            owned("a.txt", &v.a[0], false),
            owned("b.txt", &v.b, false),
            owned("dir/c.txt", &v.c, true),
        ]
    );
    assert_eq!(
        entries(&listed, "delete_markers"),
        [owned("b.txt", &v.b_marker, true)]
    );
    assert_eq!(listed["is_truncated"], false);
    assert_eq!(listed["pages"], 1);
    let first = &listed["versions"][0];
    assert_eq!(first["size"], 3);
    assert!(first["etag"].as_str().unwrap().starts_with('"'), "{first}");
    assert!(first["last_modified"].is_string(), "{first}");

    // A delimiter rolls `dir/` up.
    let rolled = call(
        &mut instance,
        &admin,
        "list-object-versions",
        json!({"bucket_name": v.bucket, "delimiter": "/"}),
    )
    .unwrap();
    assert_eq!(rolled["common_prefixes"], json!(["dir/"]));
    assert_eq!(entries(&rolled, "versions").len(), 3);

    // A prefix narrows it.
    let narrowed = call(
        &mut instance,
        &admin,
        "list-object-versions",
        json!({"bucket_name": v.bucket, "prefix": "b"}),
    )
    .unwrap();
    assert_eq!(entries(&narrowed, "versions"), [owned("b.txt", &v.b, false)]);
    assert_eq!(entries(&narrowed, "delete_markers").len(), 1);
}

#[test]
fn moto_list_object_versions_pages() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let admin = moto.admin_conn();
    let mut instance = common::instance();
    let v = Versioned::new(moto, &mut instance, &admin);
    let all = call(
        &mut instance,
        &admin,
        "list-object-versions",
        json!({"bucket_name": v.bucket}),
    )
    .unwrap();

    // One page of one entry, with the markers to go on from.
    let first = call(
        &mut instance,
        &admin,
        "list-object-versions",
        json!({"bucket_name": v.bucket, "max_keys": 1}),
    )
    .unwrap();
    assert_eq!(first["is_truncated"], true, "{first}");
    assert_eq!(first["next_key_marker"], "a.txt");
    // The order of versions written within the same second is moto's to
    // pick: the pages follow the order of the whole listing.
    assert_eq!(
        first["next_version_id_marker"], all["versions"][0]["version_id"],
        "{all}"
    );
    let second = call(
        &mut instance,
        &admin,
        "list-object-versions",
        json!({"bucket_name": v.bucket, "max_keys": 1,
               "key_marker": first["next_key_marker"], "version_id_marker": first["next_version_id_marker"]}),
    )
    .unwrap();
    assert_eq!(
        second["versions"][0]["version_id"], all["versions"][1]["version_id"],
        "{second}"
    );

    // Every page, one entry each: the same as one page of all.
    let paged = call(
        &mut instance,
        &admin,
        "list-object-versions",
        json!({"bucket_name": v.bucket, "max_keys": 1, "fetch_all": true}),
    )
    .unwrap();
    assert_eq!(paged["pages"], 5, "{paged}");
    assert_eq!(paged["is_truncated"], false);
    assert_eq!(paged["next_key_marker"], Value::Null);
    assert_eq!(entries(&paged, "versions"), entries(&all, "versions"));
    assert_eq!(entries(&paged, "delete_markers"), entries(&all, "delete_markers"));

    // Stopped by max_total, with the markers to resume from.
    let some = call(
        &mut instance,
        &admin,
        "list-object-versions",
        json!({"bucket_name": v.bucket, "max_keys": 1, "fetch_all": true, "max_total": 2}),
    )
    .unwrap();
    assert_eq!(some["pages"], 2);
    assert_eq!(some["is_truncated"], true);
    assert_eq!(entries(&some, "versions").len(), 2);
    assert_eq!(some["next_key_marker"], "a.txt");
    assert_eq!(some["next_version_id_marker"], v.a[0].as_str());
}

#[test]
fn moto_force_delete_of_a_versioned_bucket_with_delete_markers() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let admin = moto.admin_conn();
    let mut instance = common::instance();
    let v = Versioned::new(moto, &mut instance, &admin);
    // A second marker, over a key with no version left but the marker.
    call(
        &mut instance,
        &admin,
        "delete-object",
        json!({"bucket_name": v.bucket, "object_path": "dir/c.txt"}),
    )
    .unwrap();
    // An upload started and left unfinished.
    let (status, started) = moto.s3("POST", &format!("/{}/big.bin", v.bucket), "uploads=", b"");
    assert_eq!(status, 200, "{started}");

    let without = refused(call(
        &mut instance,
        &admin,
        "delete-bucket",
        json!({"bucket_name": v.bucket}),
    ));
    assert_eq!(without, "bucket-not-empty");

    // Exactly the permissions the manifest lists are enough.
    let permissions = [
        "s3:DeleteBucket",
        "s3:ListBucketVersions",
        "s3:ListBucket",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:ListBucketMultipartUploads",
        "s3:AbortMultipartUpload",
    ];
    let listed: Vec<&str> = common::schema::entry("delete-bucket")["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(listed, permissions);
    let user = moto.user_with(&permissions);
    let conn = moto.conn(&user, HOME_REGION);
    let forced = call(
        &mut instance,
        &conn,
        "delete-bucket",
        json!({"bucket_name": v.bucket, "force": true}),
    )
    .unwrap();
    // a.txt twice, b.txt and its marker, dir/c.txt and its marker.
    assert_eq!(forced["deleted_objects"], 6, "{forced}");
    assert_eq!(forced["success"], true);
    assert_eq!(head(&mut instance, &admin, &v.bucket)["exists"], false);
    let (status, _) = moto.s3("GET", &format!("/{}", v.bucket), "versions=", b"");
    assert_eq!(status, 404);
}

#[test]
fn local_head_bucket_with_a_wrong_secret_is_an_error_not_a_denied_bucket() {
    // A HEAD's 403 has no body to say why; the connector asks again and
    // reports what S3 says of the credentials. Before, a wrong secret read
    // as `exists: true, access: denied`, even for a bucket that is not there.
    let local = Local::with_buckets(&["held"]);
    let mut conn = local.conn();
    conn.secret_key = "not-the-secret-key-0000000000000000000000".to_owned();
    let mut instance = common::instance();
    for bucket in ["held", "never-made"] {
        let code = refused(call(
            &mut instance,
            &conn,
            "head-bucket",
            json!({"bucket_name": bucket}),
        ));
        assert_eq!(code, "signature-does-not-match", "{bucket}");
    }
    // With the right key, the answers are the bucket's.
    let conn = local.conn();
    assert_eq!(head(&mut instance, &conn, "held")["exists"], true);
    assert_eq!(head(&mut instance, &conn, "never-made")["exists"], false);
}
