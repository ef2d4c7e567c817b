//! Every operation end to end through the library: the real component in
//! the real host against s3s-fs with signatures verified.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{instance, runtime, Local, BUCKET};
use s3_connector_host::bodies::digest_bytes;
use s3_connector_host::wit::{
    Body, CannedAcl, Connection, DeleteObjectsInput, DeleteOutcome, DigestAlgorithm, GetObjectInput,
    ListObjectsInput, ObjectIdentifier, ObjectRef, PutObjectAclInput, PutObjectFileInput, PutObjectTextInput,
    Request, Response, SignedUrlInput, TransportError,
};
use s3_connector_host::{CallError, DryRun, HostError, InstanceOptions, Outgoing, UreqOutgoing};

/// A plain text put: no type, ACL or metadata.
fn text_input(key: &str, content: String) -> PutObjectTextInput {
    PutObjectTextInput {
        bucket_name: BUCKET.to_owned(),
        object_path: key.to_owned(),
        content,
        mime_type: None,
        acl: None,
        metadata: vec![],
    }
}

fn put_text(conn: &Connection, key: &str, content: &str) -> Option<String> {
    instance()
        .put_object_text(conn, &text_input(key, content.to_owned()))
        .unwrap()
        .etag
}

fn object(key: &str) -> ObjectRef {
    ObjectRef {
        bucket_name: BUCKET.to_owned(),
        object_path: key.to_owned(),
        version_id: None,
    }
}

fn get_input(key: &str) -> GetObjectInput {
    GetObjectInput {
        bucket_name: BUCKET.to_owned(),
        object_path: key.to_owned(),
        version_id: None,
        range: None,
    }
}

fn list_input(prefix: Option<&str>) -> ListObjectsInput {
    ListObjectsInput {
        bucket_name: BUCKET.to_owned(),
        prefix: prefix.map(str::to_owned),
        delimiter: None,
        max_keys: None,
        continuation_token: None,
        start_after: None,
        fetch_all: false,
        max_total: None,
    }
}

fn signed_input(key: &str) -> SignedUrlInput {
    SignedUrlInput {
        bucket_name: BUCKET.to_owned(),
        object_path: key.to_owned(),
        expires_seconds: 300,
        range_from: None,
        range_to: None,
        method: None,
        response_content_type: None,
        response_content_disposition: None,
        version_id: None,
    }
}

/// The S3 error code of a failed call, by its WIT name.
fn service_code(error: &CallError) -> String {
    error
        .service_code()
        .unwrap_or_else(|| panic!("expected a service error, got {error}"))
}

#[test]
fn text_read_back_is_the_text_written() {
    let local = Local::new();
    let conn = local.conn();
    let text = "héllo, wörld\nline two";
    let mut instance = instance();
    let put = instance
        .put_object_text(
            &conn,
            &PutObjectTextInput {
                bucket_name: BUCKET.to_owned(),
                object_path: "notes/hello.txt".to_owned(),
                content: text.to_owned(),
                mime_type: Some("text/markdown".to_owned()),
                acl: None,
                metadata: vec![("author".to_owned(), "ada".to_owned())],
            },
        )
        .unwrap();
    assert_eq!(put.key, "notes/hello.txt");
    let got = instance.get_object(&conn, &get_input("notes/hello.txt")).unwrap();
    assert_eq!(got.body, text.as_bytes());
    assert_eq!(got.metadata.content_length, text.len() as u64);
    assert_eq!(
        got.metadata.content_type.as_deref(),
        Some("text/markdown; charset=utf-8")
    );
    assert_eq!(got.metadata.etag, put.etag);
    assert_eq!(
        got.metadata.metadata,
        vec![("author".to_owned(), "ada".to_owned())]
    );
}

#[test]
fn binary_file_read_back_is_the_bytes_written() {
    let local = Local::new();
    let conn = local.conn();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let mut instance = instance();
    let put = instance
        .put_object_file(
            &conn,
            &PutObjectFileInput {
                bucket_name: BUCKET.to_owned(),
                object_path: None,
                file_name: "data.bin".to_owned(),
                mime_type: None,
                content: bytes.clone(),
                acl: None,
                metadata: vec![],
            },
        )
        .unwrap();
    assert_eq!(put.key, "data.bin", "the file name is the default key");
    let got = instance.get_object(&conn, &get_input("data.bin")).unwrap();
    assert!(got.body == bytes, "bytes differ");
    assert_eq!(
        local
            .dir
            .path()
            .join(BUCKET)
            .join("data.bin")
            .metadata()
            .unwrap()
            .len(),
        300_000
    );
}

#[test]
fn listed_key_is_the_key_put() {
    let local = Local::new();
    let conn = local.conn();
    // No `+` or `%` in the key: s3s-fs says it url-encoded the keys of a
    // listing (`EncodingType` url) but sends them raw, so those two would
    // come back decoded once too often. AWS encodes them.
    put_text(&conn, "dir/a key with spaces, ünïcode & (parens).txt", "a");
    put_text(&conn, "other.txt", "b");
    let listed = instance().list_objects(&conn, &list_input(Some("dir/"))).unwrap();
    let keys: Vec<&str> = listed.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["dir/a key with spaces, ünïcode & (parens).txt"]);
    assert_eq!(listed.objects[0].size, 1);
    assert!(!listed.is_truncated);
}

/// Failures and successes taking turns on one instance: each call's answer
/// is its own, whichever way the one before it went (a failed call's error
/// is lowered over its export's placeholder output).
#[test]
fn errors_and_outputs_take_turns_on_one_instance() {
    let local = Local::new();
    let conn = local.conn();
    let etag = put_text(&conn, "here.txt", "12345");
    let mut instance = instance();
    for _ in 0..3 {
        let error = instance.head_object(&conn, &object("missing.txt")).unwrap_err();
        assert_eq!(service_code(&error), "no-such-key");
        let metadata = instance.head_object(&conn, &object("here.txt")).unwrap();
        assert_eq!((metadata.content_length, &metadata.etag), (5, &etag));
        let error = instance.get_object(&conn, &get_input("missing.txt")).unwrap_err();
        assert_eq!(service_code(&error), "no-such-key");
        let object = instance.get_object(&conn, &get_input("here.txt")).unwrap();
        assert_eq!(object.body, b"12345");
    }
}

#[test]
fn head_gives_metadata_without_the_bytes() {
    let local = Local::new();
    let conn = local.conn();
    let etag = put_text(&conn, "h.txt", "12345");
    let metadata = instance().head_object(&conn, &object("h.txt")).unwrap();
    assert_eq!(metadata.content_length, 5);
    assert_eq!(metadata.etag, etag);
    assert!(metadata.last_modified.is_some());
}

#[test]
fn deleted_key_is_gone() {
    let local = Local::new();
    let conn = local.conn();
    put_text(&conn, "doomed.txt", "x");
    let mut instance = instance();
    let deleted = instance.delete_object(&conn, &object("doomed.txt")).unwrap();
    assert!(deleted.success);
    let error = instance.head_object(&conn, &object("doomed.txt")).unwrap_err();
    assert_eq!(service_code(&error), "no-such-key");
    let error = instance.get_object(&conn, &get_input("doomed.txt")).unwrap_err();
    assert_eq!(service_code(&error), "no-such-key");
    // Deleting again succeeds, as in S3.
    assert!(
        instance
            .delete_object(&conn, &object("doomed.txt"))
            .unwrap()
            .success
    );
}

#[test]
fn delete_multiple_reports_each_key_in_order_and_removes_them() {
    let local = Local::new();
    let conn = local.conn();
    for key in ["m/1", "m/2", "m/3"] {
        put_text(&conn, key, key);
    }
    let keys = ["m/2", "never-existed", "m/1"];
    let mut instance = instance();
    let results = instance
        .delete_objects(
            &conn,
            &DeleteObjectsInput {
                bucket_name: BUCKET.to_owned(),
                object_keys: keys
                    .iter()
                    .map(|k| ObjectIdentifier {
                        key: (*k).to_owned(),
                        version_id: None,
                    })
                    .collect(),
            },
        )
        .unwrap();
    let reported: Vec<&str> = results.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(reported, keys);
    assert!(results
        .iter()
        .all(|r| matches!(r.outcome, DeleteOutcome::Deleted)));
    let left = instance.list_objects(&conn, &list_input(Some("m/"))).unwrap();
    let left: Vec<&str> = left.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(left, ["m/3"]);
}

#[test]
fn presigned_url_fetched_by_a_plain_client_returns_the_object() {
    let local = Local::new();
    let conn = local.conn();
    put_text(&conn, "shared/report.txt", "the report");
    let signed = instance()
        .get_object_signed_url(&conn, &signed_input("shared/report.txt"))
        .unwrap();
    assert_eq!(signed.name, "report.txt");
    assert!(signed.url.starts_with(local.server.endpoint()), "{}", signed.url);
    let mut response = ureq::get(&signed.url).call().unwrap();
    assert_eq!(response.body_mut().read_to_string().unwrap(), "the report");
    // The URL is bound to its key: another key with the same query is refused.
    let tampered = signed.url.replace("report.txt", "other.txt");
    let refused = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
        .get(&tampered)
        .call()
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
}

#[test]
fn wrong_secret_is_refused_as_signature_mismatch() {
    let local = Local::new();
    let mut conn = local.conn();
    conn.secret_key = "not-the-secret-key-at-all-0000000000000".to_owned();
    let error = instance().list_buckets(&conn).unwrap_err();
    assert_eq!(service_code(&error), "signature-does-not-match");
    assert!(!error.to_json().to_string().contains(&conn.secret_key));
}

/// The component reuses what the connection of the call before parsed to
/// when a call gives the same one: one instance called in turn with a good
/// connection, a wrong secret, a bad endpoint and the good one again answers
/// each as if it were alone.
#[test]
fn each_call_is_signed_with_its_own_connection() {
    let local = Local::new();
    let good = local.conn();
    let mut wrong_secret = good.clone();
    wrong_secret.secret_key = "not-the-secret-key-at-all-0000000000000".to_owned();
    let mut bad_endpoint = good.clone();
    bad_endpoint.endpoint = Some("ftp://nowhere".to_owned());
    let mut instance = instance();
    for _ in 0..2 {
        assert_eq!(instance.list_buckets(&good).unwrap().len(), 1);
        let refused = instance.list_buckets(&wrong_secret).unwrap_err();
        assert_eq!(service_code(&refused), "signature-does-not-match");
        assert_eq!(instance.list_buckets(&good).unwrap().len(), 1);
        let invalid = instance.list_buckets(&bad_endpoint).unwrap_err();
        assert_eq!(invalid.to_json()["error"]["field"], "endpoint", "{invalid}");
        assert_eq!(instance.list_buckets(&good).unwrap().len(), 1);
    }
}

/// Every field of the connection reaches the signature: an instance that
/// was called with one connection and then with another that differs in a
/// single field presigns exactly as a fresh instance given the second (the
/// component reuses what a connection parsed to only when every field is
/// the same). Presigning sends nothing, so no server is needed; the two
/// URLs are compared when they were signed in the same second.
#[test]
fn a_connection_that_differs_in_any_field_is_not_reused() {
    let base = Connection {
        access_key: "AKIAREUSEDCONN000001".to_owned(),
        secret_key: "reused/connection/secret/00000000000000".to_owned(),
        session_token: None,
        region: Some("eu-west-1".to_owned()),
        // AWS itself: a custom endpoint's URLs are path-style either way.
        endpoint: None,
        path_style: true,
        credentials_expire: None,
    };
    let in_an_hour = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    type Change = Box<dyn Fn(&mut Connection)>;
    let variants: [(&str, Change); 7] = [
        (
            "access_key",
            Box::new(|c| c.access_key = "AKIAREUSEDCONN000002".to_owned()),
        ),
        ("secret_key", Box::new(|c| c.secret_key.push('x'))),
        (
            "session_token",
            Box::new(|c| c.session_token = Some("session-token-1".to_owned())),
        ),
        ("region", Box::new(|c| c.region = Some("ap-south-1".to_owned()))),
        (
            "endpoint",
            Box::new(|c| c.endpoint = Some("http://s3.example.test:9000".to_owned())),
        ),
        ("path_style", Box::new(|c| c.path_style = false)),
        (
            "credentials_expire",
            Box::new(move |c| c.credentials_expire = Some(in_an_hour - 3590)),
        ),
    ];
    let input = SignedUrlInput {
        expires_seconds: 3600,
        ..signed_input("reused/key.txt")
    };
    let date = |url: &str| url.split("X-Amz-Date=").nth(1).map(|rest| rest[..16].to_owned());
    let mut reused = instance();
    for (field, change) in &variants {
        let mut other = base.clone();
        change(&mut other);
        let mut compared = false;
        for _ in 0..5 {
            let first = reused.get_object_signed_url(&base, &input).unwrap().url;
            let after = reused.get_object_signed_url(&other, &input).unwrap().url;
            let fresh = instance().get_object_signed_url(&other, &input).unwrap().url;
            if date(&after) != date(&fresh) || date(&first) != date(&fresh) {
                continue;
            }
            assert_ne!(first, fresh, "{field}: the variant should sign differently");
            assert_eq!(
                after, fresh,
                "{field}: the connection of the call before was reused"
            );
            compared = true;
            break;
        }
        assert!(compared, "{field}: no two URLs were signed in the same second");
    }
}

#[test]
fn list_buckets_with_zero_and_with_one_bucket() {
    let empty = Local::with_buckets(&[]);
    assert!(instance().list_buckets(&empty.conn()).unwrap().is_empty());
    let one = Local::with_buckets(&["only-bucket"]);
    let buckets = instance().list_buckets(&one.conn()).unwrap();
    let names: Vec<&str> = buckets.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["only-bucket"]);
    assert!(buckets[0].creation_date.is_some());
}

#[test]
fn dropdown_lists_buckets_by_name() {
    let local = Local::with_buckets(&["zeta-bucket", "alpha-bucket"]);
    let items = instance().list_buckets_ddl(&local.conn()).unwrap();
    let pairs: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i.text.as_str(), i.value.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [("alpha-bucket", "alpha-bucket"), ("zeta-bucket", "zeta-bucket")]
    );
}

#[test]
fn bucket_location_of_s3s_fs_is_us_east_1() {
    // s3s-fs answers an empty LocationConstraint, which S3 defines as us-east-1.
    let local = Local::new();
    let region = instance().get_bucket_location(&local.conn(), BUCKET).unwrap();
    assert_eq!(region, "us-east-1");
    let error = instance()
        .get_bucket_location(&local.conn(), "no-such-bucket")
        .unwrap_err();
    assert_eq!(service_code(&error), "no-such-bucket");
}

#[test]
fn put_object_acl_is_sent_and_recorded() {
    // The embedded server keeps canned ACLs in memory (tests/local_acl.rs
    // has the rest).
    let local = Local::new();
    let conn = local.conn();
    put_text(&conn, "acl.txt", "x");
    instance()
        .put_object_acl(
            &conn,
            &PutObjectAclInput {
                bucket_name: BUCKET.to_owned(),
                object_path: "acl.txt".to_owned(),
                acl: CannedAcl::PublicRead,
                version_id: None,
            },
        )
        .unwrap();
    assert_eq!(local.server.object_acl(BUCKET, "acl.txt"), Some("public-read"));
}

#[test]
fn one_instance_serves_many_calls() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    for i in 0..20 {
        let key = format!("many/{i}");
        instance
            .put_object_text(&conn, &text_input(&key, key.clone()))
            .unwrap();
    }
    let listed = instance.list_objects(&conn, &list_input(Some("many/"))).unwrap();
    assert_eq!(listed.objects.len(), 20);
}

#[test]
fn json_face_runs_an_operation_by_name() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let put = instance
        .invoke(
            &conn,
            "put-object-file",
            r#"{"bucket_name": "test-bucket", "file_name": "j.bin"}"#,
            Some(&[1, 2, 3]),
        )
        .unwrap();
    let put: serde_json::Value = serde_json::from_str(&put.json).unwrap();
    assert_eq!(put["key"], "j.bin");
    let got = instance
        .invoke(
            &conn,
            "get-object",
            r#"{"bucket_name": "test-bucket", "object_path": "j.bin"}"#,
            None,
        )
        .unwrap();
    assert_eq!(got.body.as_deref(), Some(&[1u8, 2, 3][..]));
    let error = instance.invoke(&conn, "no-such-op", "{}", None).unwrap_err();
    assert_eq!(error.to_json()["error"]["field"], "operation");
}

#[test]
fn unreachable_endpoint_is_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let local = Local::new();
    let mut conn = local.conn();
    conn.endpoint = Some(format!("http://127.0.0.1:{port}"));
    let error = instance().list_buckets(&conn).unwrap_err();
    let json = error.to_json();
    assert_eq!(json["error"]["kind"], "transport", "{json}");
    assert_eq!(json["error"]["error"]["kind"], "connection", "{json}");
}

/// How a transport answers `http-outgoing.digest`.
#[derive(Clone, Copy)]
enum Hashing {
    /// As the default does: natively.
    Natively,
    /// The digest of the body without its first byte.
    Wrongly,
    /// No digests: the component hashes.
    Not,
}

/// Real HTTP, with each digest the component asks for noted (the length
/// hashed and the algorithm) and answered as `hashing` says.
struct Digests {
    inner: UreqOutgoing,
    hashing: Hashing,
    asked: Arc<Mutex<Vec<(usize, DigestAlgorithm)>>>,
}

impl Outgoing for Digests {
    fn send(&mut self, request: Request) -> Result<Response, TransportError> {
        self.inner.send(request)
    }

    fn set_explicit_endpoint(&mut self, endpoint: Option<&str>) {
        self.inner.set_explicit_endpoint(endpoint);
    }

    fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        self.inner.set_deadline(deadline);
    }

    fn digest(&mut self, bytes: &[u8], algorithm: DigestAlgorithm) -> Option<Vec<u8>> {
        self.asked.lock().unwrap().push((bytes.len(), algorithm));
        match self.hashing {
            Hashing::Natively => Some(digest_bytes(bytes, algorithm)),
            Hashing::Wrongly => Some(digest_bytes(&bytes[1..], algorithm)),
            Hashing::Not => None,
        }
    }
}

/// The component has the host hash each body of 512 bytes or more that it
/// signs (the local server is plain HTTP, where a body's SHA-256 is
/// signed), signs with what the host answers, and hashes for itself once
/// the host offers no digests, asking no more.
#[test]
fn the_host_hashes_the_bodies_the_component_signs() {
    let local = Local::new();
    let conn = local.conn();
    let with = |hashing| {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let outgoing = Digests {
            inner: UreqOutgoing::default(),
            hashing,
            asked: Arc::clone(&asked),
        };
        (runtime().instance(InstanceOptions::new(outgoing)).unwrap(), asked)
    };
    let text = |key: &str, len: usize| text_input(key, "x".repeat(len));
    let asked_for = |asked: &Mutex<Vec<(usize, DigestAlgorithm)>>| -> Vec<usize> {
        let asked = asked.lock().unwrap();
        assert!(asked
            .iter()
            .all(|(_, algorithm)| matches!(algorithm, DigestAlgorithm::Sha256)));
        asked.iter().map(|(len, _)| *len).collect()
    };

    let (mut instance, asked) = with(Hashing::Natively);
    instance.put_object_text(&conn, &text("hashed", 65_536)).unwrap();
    instance.put_object_text(&conn, &text("small", 511)).unwrap();
    instance.put_object_text(&conn, &text("kibibyte", 1024)).unwrap();
    assert_eq!(
        asked_for(&asked),
        [65_536, 1024],
        "no digest of a body under 512 bytes"
    );
    let read = instance.get_object(&conn, &get_input("hashed")).unwrap();
    assert!(read.body == "x".repeat(65_536).as_bytes());

    // The server checks the signed hash against the body: the host's was signed.
    let (mut instance, asked) = with(Hashing::Wrongly);
    let error = instance
        .put_object_text(&conn, &text("wrong", 65_536))
        .unwrap_err();
    assert!(error.connector().is_some(), "{error}");
    assert!(!asked_for(&asked).is_empty());
    assert!(
        instance.head_object(&conn, &object("wrong")).is_err(),
        "nothing was stored"
    );

    let (mut instance, asked) = with(Hashing::Not);
    instance.put_object_text(&conn, &text("itself", 65_536)).unwrap();
    instance.put_object_text(&conn, &text("itself", 65_536)).unwrap();
    assert_eq!(asked_for(&asked), [65_536], "asked once, then no more");
    let read = instance.get_object(&conn, &get_input("itself")).unwrap();
    assert_eq!(read.body.len(), 65_536);
}

/// A transport that answers after a pause.
struct Slow(Duration);

impl Outgoing for Slow {
    fn send(&mut self, _: Request) -> Result<Response, TransportError> {
        std::thread::sleep(self.0);
        Ok(Response {
            status: 200,
            headers: String::new(),
            body: Body::Empty,
        })
    }
}

#[test]
fn call_past_its_deadline_is_stopped_and_the_instance_poisoned() {
    let local = Local::new();
    let options =
        InstanceOptions::new(Slow(Duration::from_millis(300))).with_call_timeout(Duration::from_millis(50));
    let mut instance = runtime().instance(options).unwrap();
    let error = instance.list_buckets(&local.conn()).unwrap_err();
    assert!(matches!(error, CallError::Host(HostError::Timeout(_))), "{error}");
    let error = instance.list_buckets(&local.conn()).unwrap_err();
    assert!(matches!(error, CallError::Host(HostError::Poisoned)), "{error}");
}

#[test]
fn memory_beyond_the_limit_is_a_host_error_not_a_crash() {
    let local = Local::new();
    let options = InstanceOptions::default().with_memory_limit(8 * 1024 * 1024);
    let result = runtime().instance(options).map(|mut instance| {
        instance.put_object_file(
            &local.conn(),
            &PutObjectFileInput {
                bucket_name: BUCKET.to_owned(),
                object_path: Some("big.bin".to_owned()),
                file_name: "big.bin".to_owned(),
                mime_type: None,
                content: vec![7; 16 * 1024 * 1024],
                acl: None,
                metadata: vec![],
            },
        )
    });
    match result {
        Ok(Err(CallError::Host(HostError::Trap { message, .. }))) => {
            assert!(message.contains("memory"), "{message}")
        }
        Err(HostError::Load(_)) => {}
        Ok(Err(other)) => panic!("expected a trap, got {other}"),
        Ok(Ok(_)) => panic!("16 MiB fitted in 8 MiB"),
        Err(other) => panic!("expected a trap, got {other}"),
    }
}

/// A `Write` into shared memory, to read a dry run's lines.
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
fn dry_run_sends_nothing_and_prints_the_signed_request() {
    let local = Local::new();
    let captured = Captured::default();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600); // 2013-05-24
    let options = InstanceOptions::new(DryRun::new(Box::new(captured.clone()))).with_now(at);
    let mut instance = runtime().instance(options).unwrap();
    let conn = local.conn();
    let error = instance.head_object(&conn, &object("k")).unwrap_err();
    assert!(
        error.transport().is_some_and(DryRun::is_not_sent),
        "expected the dry run's transport error, got {error}"
    );
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(line["method"], "HEAD");
    assert_eq!(line["url"], format!("{}/{BUCKET}/k", local.server.endpoint()));
    let date = line["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "x-amz-date")
        .unwrap();
    assert_eq!(date[1], "20130524T000000Z");
    // Nothing reached the server: the key was never created, no error logged.
    assert!(std::fs::read_dir(local.dir.path().join(BUCKET))
        .unwrap()
        .next()
        .is_none());
}

/// A runtime with a pool of instances (one per tenant): instances come and
/// go within it, and one more than it holds is a typed error, not a trap or
/// an allocation that grows without bound.
#[test]
fn a_pooled_runtime_serves_its_instances_and_refuses_one_too_many() {
    let config = s3_connector_host::RuntimeConfig {
        pooled_instances: Some(2),
        ..s3_connector_host::RuntimeConfig::default()
    };
    let pooled = s3_connector_host::Runtime::load_with(&common::wasm_path(), &config).unwrap();
    let local = Local::new();
    let mut first = pooled.instance(InstanceOptions::default()).unwrap();
    let second = pooled.instance(InstanceOptions::default()).unwrap();
    assert!(matches!(
        pooled.instance(InstanceOptions::default()),
        Err(HostError::Load(ref message)) if message.contains("concurrent limit")
    ));
    first.list_buckets(&local.conn()).unwrap();
    drop(second);
    let mut third = pooled.instance(InstanceOptions::default()).unwrap();
    assert_eq!(third.list_buckets(&local.conn()).unwrap().len(), 1);
}

/// A small object's calls and a presigned URL run in the linear memory a
/// fresh instance starts with: the allocator's first chunks are pages set
/// aside in its data (`heap::SPARE_PAGES`), taken before it grows memory,
/// which in a pooled slot would cost two `mprotect` calls (and every host
/// thread's TLB) per fresh instance.
#[test]
fn a_small_objects_calls_fit_in_the_memory_an_instance_starts_with() {
    let local = Local::new();
    let conn = local.conn();
    let mut fresh = instance();
    let initial = fresh.memory_peak();
    let text = "x".repeat(1024);
    fresh
        .put_object_text(&conn, &text_input("initial-memory.txt", text.clone()))
        .unwrap();
    let got = fresh.get_object(&conn, &get_input("initial-memory.txt")).unwrap();
    assert_eq!(got.body, text.as_bytes());
    fresh.head_object(&conn, &object("initial-memory.txt")).unwrap();
    fresh
        .get_object_signed_url(&conn, &signed_input("initial-memory.txt"))
        .unwrap();
    fresh.delete_object(&conn, &object("initial-memory.txt")).unwrap();
    assert_eq!(fresh.memory_peak(), initial, "memory grew from {initial} bytes");
}
