//! Put Object ACL end to end against the embedded server: the real
//! component in the real host, signatures verified, and the ACL the server
//! recorded read back from it.

#![allow(clippy::unwrap_used)]

mod common;

use common::{instance, Local, BUCKET};
use s3_connector_host::wit::{CannedAcl, Connection, PutObjectAclInput, PutObjectTextInput};
use s3_connector_host::CallError;

/// Every canned ACL of the WIT, with the name S3 gives it.
const CANNED: [(CannedAcl, &str); 7] = [
    (CannedAcl::Private, "private"),
    (CannedAcl::PublicRead, "public-read"),
    (CannedAcl::PublicReadWrite, "public-read-write"),
    (CannedAcl::AuthenticatedRead, "authenticated-read"),
    (CannedAcl::AwsExecRead, "aws-exec-read"),
    (CannedAcl::BucketOwnerRead, "bucket-owner-read"),
    (CannedAcl::BucketOwnerFullControl, "bucket-owner-full-control"),
];

fn put_text(conn: &Connection, key: &str, acl: Option<CannedAcl>) {
    let input = PutObjectTextInput {
        bucket_name: BUCKET.to_owned(),
        object_path: key.to_owned(),
        content: "shared".to_owned(),
        mime_type: None,
        acl,
        metadata: vec![],
    };
    instance().put_object_text(conn, &input).unwrap();
}

fn put_acl(conn: &Connection, bucket: &str, key: &str, acl: CannedAcl) -> Result<(), CallError> {
    let input = PutObjectAclInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        acl,
        version_id: None,
    };
    instance().put_object_acl(conn, &input)
}

fn service_code(error: &CallError) -> String {
    error
        .service_code()
        .unwrap_or_else(|| panic!("expected a service error, got {error}"))
}

#[test]
fn every_canned_acl_is_accepted_and_recorded() {
    let local = Local::new();
    let conn = local.conn();
    put_text(&conn, "shared.txt", None);
    assert_eq!(local.server.object_acl(BUCKET, "shared.txt"), None);
    for (acl, name) in CANNED {
        put_acl(&conn, BUCKET, "shared.txt", acl).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(local.server.object_acl(BUCKET, "shared.txt"), Some(name));
    }
}

#[test]
fn acl_on_missing_key_is_no_such_key() {
    let local = Local::new();
    let error = put_acl(&local.conn(), BUCKET, "never/written.txt", CannedAcl::PublicRead).unwrap_err();
    assert_eq!(service_code(&error), "no-such-key");
    assert_eq!(error.to_json()["error"]["status"], 404);
    assert_eq!(local.server.object_acl(BUCKET, "never/written.txt"), None);
}

#[test]
fn acl_in_missing_bucket_is_no_such_bucket() {
    let local = Local::new();
    let error = put_acl(&local.conn(), "no-such-bucket", "k", CannedAcl::Private).unwrap_err();
    assert_eq!(service_code(&error), "no-such-bucket");
}

#[test]
fn put_object_with_acl_records_it() {
    let local = Local::new();
    let conn = local.conn();
    put_text(&conn, "public.txt", Some(CannedAcl::PublicRead));
    assert_eq!(local.server.object_acl(BUCKET, "public.txt"), Some("public-read"));
    // S3 gives an object written again the ACL sent with the write: none.
    put_text(&conn, "public.txt", None);
    assert_eq!(local.server.object_acl(BUCKET, "public.txt"), None);
}

#[test]
fn acls_are_kept_per_object() {
    let local = Local::new();
    let conn = local.conn();
    put_text(&conn, "a.txt", None);
    put_text(&conn, "b.txt", None);
    put_acl(&conn, BUCKET, "a.txt", CannedAcl::AuthenticatedRead).unwrap();
    assert_eq!(
        local.server.object_acl(BUCKET, "a.txt"),
        Some("authenticated-read")
    );
    assert_eq!(local.server.object_acl(BUCKET, "b.txt"), None);
}
