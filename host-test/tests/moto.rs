//! What s3s-fs cannot show, against moto_server with authentication on
//! (signatures and IAM policies verified): the IAM permission each
//! operation needs, refused signatures, canned ACLs, and buckets in other
//! regions. `make test` installs moto and sets MOTO_SERVER (see
//! `common::moto`, which also lists what moto does not check).
//!
//! One moto serves the whole binary; each test makes its own IAM users and
//! buckets, so the tests can run side by side.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use common::instance;
use common::moto::{Keys, Moto, HOME_REGION};
use s3_connector_host::error::error_code_name;
use s3_connector_host::wit::{
    CannedAcl, Connection, DeleteObjectsInput, DeleteOutcome, GetObjectInput, ListObjectsInput,
    ObjectIdentifier, ObjectRef, PutObjectAclInput, PutObjectFileInput, PutObjectTextInput,
};
use s3_connector_host::{CallError, DryRun, Instance, InstanceOptions};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// A bucket name not used by any other test of this binary.
fn fresh_bucket(what: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{what}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn text_input(bucket: &str, key: &str, content: &str, acl: Option<CannedAcl>) -> PutObjectTextInput {
    PutObjectTextInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        content: content.to_owned(),
        mime_type: None,
        acl,
        metadata: vec![],
    }
}

fn object(bucket: &str, key: &str, version_id: Option<&str>) -> ObjectRef {
    ObjectRef {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        version_id: version_id.map(str::to_owned),
    }
}

fn acl_input(bucket: &str, key: &str, acl: CannedAcl) -> PutObjectAclInput {
    PutObjectAclInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        acl,
        version_id: None,
    }
}

/// The grants of an ACL document as (grantee, permission), sorted: the
/// grantee is a group's URI, or `owner` for the canonical user (moto's
/// only one).
fn grants(acl_xml: &str) -> Vec<(String, String)> {
    let mut grants: Vec<(String, String)> = acl_xml
        .split("<Grant>")
        .skip(1)
        .map(|grant| {
            let grantee = common::moto::xml_text(grant, "URI").unwrap_or_else(|| "owner".to_owned());
            let permission = common::moto::xml_text(grant, "Permission").unwrap_or_default();
            (grantee, permission)
        })
        .collect();
    grants.sort();
    grants
}

fn grant_list(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = pairs
        .iter()
        .map(|(g, p)| ((*g).to_owned(), (*p).to_owned()))
        .collect();
    list.sort();
    list
}

/// The grants moto shows for each canned ACL. moto 5 does not model the
/// bucket owner or EC2 as grantees (its `get_canned_acl` leaves them as
/// TODOs), so `aws-exec-read`, `bucket-owner-read` and
/// `bucket-owner-full-control` show the owner's grant only; an unknown name
/// would fail there (moto answers 500). It shows only the first permission
/// of a grant, so public-read-write's WRITE for AllUsers is not shown
/// (the header sent is checked in [`canned_acl_is_sent_by_its_s3_name`]).
fn expected_grants(acl: CannedAcl) -> Vec<(String, String)> {
    let owner = ("owner", "FULL_CONTROL");
    match acl {
        CannedAcl::PublicRead | CannedAcl::PublicReadWrite => grant_list(&[owner, (ALL_USERS, "READ")]),
        CannedAcl::AuthenticatedRead => grant_list(&[owner, (AUTHENTICATED_USERS, "READ")]),
        CannedAcl::Private
        | CannedAcl::AwsExecRead
        | CannedAcl::BucketOwnerRead
        | CannedAcl::BucketOwnerFullControl => grant_list(&[owner]),
    }
}

const EVERY_CANNED_ACL: [CannedAcl; 7] = [
    CannedAcl::Private,
    CannedAcl::PublicRead,
    CannedAcl::PublicReadWrite,
    CannedAcl::AuthenticatedRead,
    CannedAcl::AwsExecRead,
    CannedAcl::BucketOwnerRead,
    CannedAcl::BucketOwnerFullControl,
];

#[test]
fn acl_and_bucket_location_on_moto() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let home = fresh_bucket("home");
    let irish = fresh_bucket("irish");
    moto.create_bucket(&home, HOME_REGION);
    moto.create_bucket(&irish, "eu-west-1");
    let conn = moto.admin_conn();
    let mut instance = instance();

    assert_eq!(instance.get_bucket_location(&conn, &home).unwrap(), "us-east-1");
    assert_eq!(instance.get_bucket_location(&conn, &irish).unwrap(), "eu-west-1");

    instance
        .put_object_text(&conn, &text_input(&home, "shared.txt", "for everyone", None))
        .unwrap();
    assert!(!moto.object_acl(&home, "shared.txt").contains("AllUsers"));
    instance
        .put_object_acl(&conn, &acl_input(&home, "shared.txt", CannedAcl::PublicRead))
        .unwrap();
    let acl = moto.object_acl(&home, "shared.txt");
    assert!(acl.contains(ALL_USERS) && acl.contains("READ"), "{acl}");
}

#[test]
fn bucket_location_is_the_region_the_bucket_was_created_in() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let user = moto.user_with(&["s3:GetBucketLocation"]);
    let conn = moto.conn(&user, HOME_REGION);
    let mut instance = instance();
    for region in [HOME_REGION, "eu-west-1", "ap-southeast-2"] {
        let bucket = fresh_bucket("where");
        moto.create_bucket(&bucket, region);
        assert_eq!(
            instance.get_bucket_location(&conn, &bucket).unwrap(),
            region,
            "{bucket}"
        );
    }
}

#[test]
fn every_canned_acl_is_accepted_and_granted_as_asked() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = fresh_bucket("acl");
    moto.create_bucket(&bucket, HOME_REGION);
    let admin = moto.admin_conn();
    // Only the permissions the README gives for the two operations.
    let acl_user = moto.user_with(&["s3:PutObjectAcl"]);
    let acl_conn = moto.conn(&acl_user, HOME_REGION);
    let put_user = moto.user_with(&["s3:PutObject", "s3:PutObjectAcl"]);
    let put_conn = moto.conn(&put_user, HOME_REGION);
    let mut instance = instance();
    for acl in EVERY_CANNED_ACL {
        // Set through put-object-acl, over a different ACL, so that the
        // grants read back can only be this call's.
        let key = format!("acl/{acl:?}");
        let before = if acl == CannedAcl::AuthenticatedRead {
            CannedAcl::PublicRead
        } else {
            CannedAcl::AuthenticatedRead
        };
        instance
            .put_object_text(&admin, &text_input(&bucket, &key, "x", Some(before)))
            .unwrap();
        assert_eq!(grants(&moto.object_acl(&bucket, &key)), expected_grants(before));
        instance
            .put_object_acl(&acl_conn, &acl_input(&bucket, &key, acl))
            .unwrap_or_else(|e| panic!("put-object-acl {acl:?}: {e}"));
        assert_eq!(
            grants(&moto.object_acl(&bucket, &key)),
            expected_grants(acl),
            "after put-object-acl {acl:?}"
        );

        // Set with the object, by put-object-text's `acl`.
        let key = format!("put/{acl:?}");
        instance
            .put_object_text(&put_conn, &text_input(&bucket, &key, "x", Some(acl)))
            .unwrap_or_else(|e| panic!("put-object-text with {acl:?}: {e}"));
        assert_eq!(
            grants(&moto.object_acl(&bucket, &key)),
            expected_grants(acl),
            "after put-object-text with {acl:?}"
        );
    }
}

/// The S3 name of each canned ACL, as `x-amz-acl` carries it.
fn s3_name(acl: CannedAcl) -> &'static str {
    match acl {
        CannedAcl::Private => "private",
        CannedAcl::PublicRead => "public-read",
        CannedAcl::PublicReadWrite => "public-read-write",
        CannedAcl::AuthenticatedRead => "authenticated-read",
        CannedAcl::AwsExecRead => "aws-exec-read",
        CannedAcl::BucketOwnerRead => "bucket-owner-read",
        CannedAcl::BucketOwnerFullControl => "bucket-owner-full-control",
    }
}

/// Lines written by a dry run, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn canned_acl_is_sent_by_its_s3_name() {
    // What moto cannot show (the grants it does not model) is at least
    // asked for by the right name, by both operations that take an ACL.
    let captured = Captured::default();
    let options = InstanceOptions::new(DryRun::new(Box::new(captured.clone())));
    let mut instance = common::runtime().instance(options).unwrap();
    let conn = Connection {
        access_key: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        session_token: None,
        region: Some(HOME_REGION.to_owned()),
        endpoint: Some("http://127.0.0.1:9".to_owned()),
        path_style: true,
        credentials_expire: None,
    };
    for acl in EVERY_CANNED_ACL {
        let _ = instance.put_object_acl(&conn, &acl_input("some-bucket", "k", acl));
        let _ = instance.put_object_text(&conn, &text_input("some-bucket", "k", "x", Some(acl)));
    }
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let sent: Vec<String> = text
        .lines()
        .map(|line| {
            // A dry-run line: headers are `[name, value]` pairs.
            let line: serde_json::Value = serde_json::from_str(line).unwrap();
            let headers = line["headers"].as_array().cloned().unwrap_or_default();
            let acl = headers.iter().find(|pair| pair[0] == "x-amz-acl");
            acl.and_then(|pair| pair[1].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let expected: Vec<&str> = EVERY_CANNED_ACL
        .iter()
        .flat_map(|acl| [s3_name(*acl), s3_name(*acl)])
        .collect();
    assert_eq!(sent, expected);
}

/// What an operation's run gives back when it does not succeed.
#[derive(Debug)]
enum Failure {
    /// The call failed.
    Call(CallError),
    /// Delete Multiple Objects answered, but a key failed with this code.
    KeyFailed(String),
    /// It answered something else than expected.
    Wrong(#[allow(dead_code)] String),
}

impl From<CallError> for Failure {
    fn from(error: CallError) -> Self {
        Failure::Call(error)
    }
}

/// The object every scenario starts with.
const KEY: &str = "dir/the object.txt";
const CONTENT: &str = "the object's text";

/// One bucket made for one run of a scenario, with [`KEY`] in it.
struct Fixture {
    bucket: String,
    /// The version id of [`KEY`], on a versioned bucket.
    version: Option<String>,
}

impl Fixture {
    fn new(moto: &Moto, versioned: bool) -> Self {
        let bucket = fresh_bucket("iam");
        moto.create_bucket(&bucket, HOME_REGION);
        if versioned {
            moto.enable_versioning(&bucket);
        }
        let put = instance()
            .put_object_text(&moto.admin_conn(), &text_input(&bucket, KEY, CONTENT, None))
            .unwrap();
        assert_eq!(put.version_id.is_some(), versioned, "version id of the fixture");
        Self {
            bucket,
            version: put.version_id,
        }
    }
}

type Run = fn(&mut Instance, &Connection, &Fixture) -> Result<(), Failure>;

/// One operation (or one form of it) and the permissions it needs.
struct Scenario {
    name: &'static str,
    /// The README's permissions for it: exactly these make it work.
    permissions: &'static [&'static str],
    /// Those of `permissions` that moto checks; each one missing must give
    /// `access-denied` naming it.
    enforced_by_moto: &'static [&'static str],
    versioned: bool,
    run: Run,
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "list-buckets",
            permissions: &["s3:ListAllMyBuckets"],
            enforced_by_moto: &["s3:ListAllMyBuckets"],
            versioned: false,
            run: |i, conn, f| {
                let buckets = i.list_buckets(conn)?;
                if buckets.iter().any(|b| b.name == f.bucket) {
                    Ok(())
                } else {
                    Err(Failure::Wrong(format!("{} not listed", f.bucket)))
                }
            },
        },
        Scenario {
            name: "list-buckets-ddl",
            permissions: &["s3:ListAllMyBuckets"],
            enforced_by_moto: &["s3:ListAllMyBuckets"],
            versioned: false,
            run: |i, conn, f| {
                let items = i.list_buckets_ddl(conn)?;
                if items.iter().any(|item| item.value == f.bucket) {
                    Ok(())
                } else {
                    Err(Failure::Wrong(format!("{} not in the dropdown", f.bucket)))
                }
            },
        },
        Scenario {
            name: "list-objects",
            permissions: &["s3:ListBucket"],
            enforced_by_moto: &["s3:ListBucket"],
            versioned: false,
            run: |i, conn, f| {
                let input = ListObjectsInput {
                    bucket_name: f.bucket.clone(),
                    prefix: None,
                    delimiter: None,
                    max_keys: None,
                    continuation_token: None,
                    start_after: None,
                    fetch_all: false,
                    max_total: None,
                };
                let listed = i.list_objects(conn, &input)?;
                let keys: Vec<&str> = listed.objects.iter().map(|o| o.key.as_str()).collect();
                if keys == [KEY] {
                    Ok(())
                } else {
                    Err(Failure::Wrong(format!("listed {keys:?}")))
                }
            },
        },
        Scenario {
            name: "get-object",
            permissions: &["s3:GetObject"],
            enforced_by_moto: &["s3:GetObject"],
            versioned: false,
            run: |i, conn, f| {
                let input = GetObjectInput {
                    bucket_name: f.bucket.clone(),
                    object_path: KEY.to_owned(),
                    version_id: None,
                    range: None,
                };
                let got = i.get_object(conn, &input)?;
                if got.body == CONTENT.as_bytes() {
                    Ok(())
                } else {
                    Err(Failure::Wrong("other bytes".to_owned()))
                }
            },
        },
        Scenario {
            name: "head-object",
            permissions: &["s3:GetObject"],
            enforced_by_moto: &["s3:GetObject"],
            versioned: false,
            run: |i, conn, f| {
                let head = i.head_object(conn, &object(&f.bucket, KEY, None))?;
                if head.content_length == CONTENT.len() as u64 {
                    Ok(())
                } else {
                    Err(Failure::Wrong(format!("{} bytes", head.content_length)))
                }
            },
        },
        Scenario {
            name: "get-bucket-location",
            permissions: &["s3:GetBucketLocation"],
            enforced_by_moto: &["s3:GetBucketLocation"],
            versioned: false,
            run: |i, conn, f| {
                let region = i.get_bucket_location(conn, &f.bucket)?;
                if region == HOME_REGION {
                    Ok(())
                } else {
                    Err(Failure::Wrong(region))
                }
            },
        },
        Scenario {
            name: "put-object-text",
            permissions: &["s3:PutObject"],
            enforced_by_moto: &["s3:PutObject"],
            versioned: false,
            run: |i, conn, f| {
                i.put_object_text(conn, &text_input(&f.bucket, "new.txt", "new", None))?;
                Ok(())
            },
        },
        Scenario {
            name: "put-object-text with an acl",
            permissions: &["s3:PutObject", "s3:PutObjectAcl"],
            // moto checks a PUT with `x-amz-acl` as s3:PutObject only.
            enforced_by_moto: &["s3:PutObject"],
            versioned: false,
            run: |i, conn, f| {
                let input = text_input(&f.bucket, "new.txt", "new", Some(CannedAcl::PublicRead));
                i.put_object_text(conn, &input)?;
                Ok(())
            },
        },
        Scenario {
            name: "put-object-file",
            permissions: &["s3:PutObject"],
            enforced_by_moto: &["s3:PutObject"],
            versioned: false,
            run: |i, conn, f| {
                let input = PutObjectFileInput {
                    bucket_name: f.bucket.clone(),
                    object_path: None,
                    file_name: "new.bin".to_owned(),
                    mime_type: None,
                    content: vec![0, 1, 2],
                    acl: None,
                    metadata: vec![],
                };
                i.put_object_file(conn, &input)?;
                Ok(())
            },
        },
        Scenario {
            name: "put-object-acl",
            permissions: &["s3:PutObjectAcl"],
            enforced_by_moto: &["s3:PutObjectAcl"],
            versioned: false,
            run: |i, conn, f| {
                i.put_object_acl(conn, &acl_input(&f.bucket, KEY, CannedAcl::PublicRead))?;
                Ok(())
            },
        },
        Scenario {
            name: "delete-object",
            permissions: &["s3:DeleteObject"],
            enforced_by_moto: &["s3:DeleteObject"],
            versioned: false,
            run: |i, conn, f| {
                i.delete_object(conn, &object(&f.bucket, KEY, None))?;
                Ok(())
            },
        },
        Scenario {
            name: "delete-object with a version id",
            permissions: &["s3:DeleteObject", "s3:DeleteObjectVersion"],
            // moto checks a DELETE with `versionId` as s3:DeleteObjectVersion
            // only (as AWS documents it).
            enforced_by_moto: &["s3:DeleteObjectVersion"],
            versioned: true,
            run: |i, conn, f| {
                let deleted = i.delete_object(conn, &object(&f.bucket, KEY, f.version.as_deref()))?;
                if deleted.version_id == f.version {
                    Ok(())
                } else {
                    Err(Failure::Wrong(format!(
                        "deleted version {:?}",
                        deleted.version_id
                    )))
                }
            },
        },
        Scenario {
            name: "delete-objects",
            permissions: &["s3:DeleteObject"],
            enforced_by_moto: &["s3:DeleteObject"],
            versioned: false,
            run: |i, conn, f| {
                let input = DeleteObjectsInput {
                    bucket_name: f.bucket.clone(),
                    object_keys: vec![ObjectIdentifier {
                        key: KEY.to_owned(),
                        version_id: None,
                    }],
                };
                let results = i.delete_objects(conn, &input)?;
                match results.first().map(|r| &r.outcome) {
                    Some(DeleteOutcome::Deleted) => Ok(()),
                    Some(DeleteOutcome::Failed((code, _))) => Err(Failure::KeyFailed(error_code_name(code))),
                    None => Err(Failure::Wrong("no result".to_owned())),
                }
            },
        },
    ]
}

/// Every permission of the README's table.
fn every_permission() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = scenarios()
        .iter()
        .flat_map(|s| s.permissions.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[test]
fn each_operation_runs_with_exactly_the_readme_permissions() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let mut failures = Vec::new();
    for scenario in scenarios() {
        let fixture = Fixture::new(moto, scenario.versioned);
        let user = moto.user_with(scenario.permissions);
        let conn = moto.conn(&user, HOME_REGION);
        if let Err(failure) = (scenario.run)(&mut instance(), &conn, &fixture) {
            failures.push(format!(
                "{} with exactly {:?}: {failure:?}",
                scenario.name, scenario.permissions
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn each_operation_without_its_permission_is_access_denied_naming_it() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let mut failures = Vec::new();
    for scenario in scenarios() {
        for &missing in scenario.enforced_by_moto {
            // Every other permission of the table: only `missing` lacks.
            let granted: Vec<&str> = every_permission().into_iter().filter(|p| *p != missing).collect();
            let fixture = Fixture::new(moto, scenario.versioned);
            let user = moto.user_with(&granted);
            let conn = moto.conn(&user, HOME_REGION);
            let result = (scenario.run)(&mut instance(), &conn, &fixture);
            let what = format!("{} without {missing}", scenario.name);
            match result {
                Err(Failure::Call(error)) => {
                    let json = error.to_json();
                    let named = json["error"]["required_permission"]
                        .as_str()
                        .is_some_and(|p| p.split(", ").any(|p| p == missing));
                    if json["error"]["code"] != "access-denied" || !named {
                        failures.push(format!("{what}: {json}"));
                    }
                }
                // S3 answers a denied Delete Multiple Objects with a 200
                // whose per-key errors say AccessDenied; so does moto.
                Err(Failure::KeyFailed(code))
                    if scenario.name == "delete-objects" && code == "access-denied" => {}
                other => failures.push(format!("{what}: {other:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn getting_a_version_needs_get_object_version() {
    // AWS: "If you include a versionId in your request, you must have the
    // s3:GetObjectVersion permission ... s3:GetObject is not required".
    // moto checks it the same way.
    let Some(moto) = Moto::shared() else {
        return;
    };
    let fixture = Fixture::new(moto, true);
    let input = GetObjectInput {
        bucket_name: fixture.bucket.clone(),
        object_path: KEY.to_owned(),
        version_id: fixture.version.clone(),
        range: None,
    };
    let allowed = moto.user_with(&["s3:GetObjectVersion"]);
    let got = instance()
        .get_object(&moto.conn(&allowed, HOME_REGION), &input)
        .unwrap();
    assert_eq!(got.body, CONTENT.as_bytes());

    let denied = moto.user_with(&["s3:GetObject"]);
    let error = instance()
        .get_object(&moto.conn(&denied, HOME_REGION), &input)
        .unwrap_err();
    let json = error.to_json();
    assert_eq!(json["error"]["code"], "access-denied", "{json}");
    assert_eq!(
        json["error"]["required_permission"], "s3:GetObjectVersion",
        "{json}"
    );
}

fn wrong_secret(moto: &Moto) -> Connection {
    let mut conn = moto.admin_conn();
    conn.secret_key = "not-the-secret-key-at-all-0000000000000".to_owned();
    conn
}

#[test]
fn wrong_secret_is_refused_as_signature_mismatch() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let fixture = Fixture::new(moto, false);
    let conn = wrong_secret(moto);
    let mut instance = instance();
    let errors = [
        ("list-buckets", instance.list_buckets(&conn).map(drop)),
        (
            "get-object",
            instance
                .get_object(
                    &conn,
                    &GetObjectInput {
                        bucket_name: fixture.bucket.clone(),
                        object_path: KEY.to_owned(),
                        version_id: None,
                        range: None,
                    },
                )
                .map(drop),
        ),
        (
            "put-object-text",
            instance
                .put_object_text(&conn, &text_input(&fixture.bucket, KEY, "overwritten", None))
                .map(drop),
        ),
    ];
    for (operation, result) in errors {
        let error = result.unwrap_err();
        let json = error.to_json();
        assert_eq!(json["error"]["kind"], "service", "{operation}: {json}");
        assert_eq!(json["error"]["status"], 403, "{operation}: {json}");
        assert_eq!(
            json["error"]["code"], "signature-does-not-match",
            "{operation}: {json}"
        );
        assert!(
            !json.to_string().contains(&conn.secret_key),
            "{operation}: the secret leaks"
        );
    }
    // Nothing was overwritten.
    let got = instance
        .get_object(
            &moto.admin_conn(),
            &GetObjectInput {
                bucket_name: fixture.bucket,
                object_path: KEY.to_owned(),
                version_id: None,
                range: None,
            },
        )
        .unwrap();
    assert_eq!(got.body, CONTENT.as_bytes());
}

#[test]
fn unknown_access_key_is_refused_as_invalid_access_key_id() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let stranger = Keys {
        user: "nobody".to_owned(),
        access_key: "AKIANOBODYKNOWSTHIS0".to_owned(),
        secret_key: moto.admin().secret_key.clone(),
    };
    let error = instance()
        .list_buckets(&moto.conn(&stranger, HOME_REGION))
        .unwrap_err();
    assert_eq!(
        error.service_code().as_deref(),
        Some("invalid-access-key-id"),
        "{error}"
    );
}
