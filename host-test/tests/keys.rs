//! Awkward object keys, end to end through the real component and host.
//!
//! Each key of [`cases`] is put (as text, as a file named after the key,
//! and as a file at the key), listed with itself as the prefix (the listed
//! key must equal it byte for byte), read back, headed, fetched through a
//! presigned URL by a plain HTTP client, and deleted (a HEAD then answers
//! `no-such-key`), against a server that verifies signatures.
//!
//! Which server: s3s-fs (in process, SigV4 verified) for every key it can
//! hold. It is file-backed and has listing quirks, so some keys cannot
//! round-trip there; each case says why, and those are checked against
//! moto_server (authentication on: signatures and IAM verified), which
//! keeps keys verbatim. With moto available every key is checked on moto
//! too. moto cannot check a presigned URL while authentication is on (it
//! answers 500 without an `Authorization` header), so there the URL is
//! fetched with authentication briefly off and proves only that it names the
//! right object; that its signature is right is shown by s3s for every key
//! of the table ([`presigned_url_of_every_key_is_signed_as_s3s_expects`]).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::moto::{agent, Moto, HOME_REGION};
use common::{instance, runtime, Local};
use s3_connector_host::wit::{
    CannedAcl, Connection, DeleteObjectsInput, GetObjectInput, ListObjectsInput, ObjectIdentifier, ObjectRef,
    PutObjectAclInput, PutObjectFileInput, PutObjectTextInput, Request, Response, SignedUrlInput,
    TransportError,
};
use s3_connector_host::{CallError, Instance, InstanceOptions, Outgoing};

/// Which signature-verifying server a key round-trips on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Store {
    /// s3s-fs holds and lists it as it is (and moto too, when available).
    S3sFs,
    /// Only moto: s3s-fs cannot, for the reason given.
    MotoOnly(&'static str),
}

/// One awkward key.
struct Case {
    name: &'static str,
    key: String,
    store: Store,
}

// Why s3s-fs cannot hold some keys. It stores object `k` of bucket `b` as
// the file `root/b/k` (joined and normalised as a path), and its metadata in
// `root/.bucket-<base64 b>.object-<base64 k>.metadata.json`.
const RAW_LISTING: &str = "s3s-fs says its listings are url-encoded (EncodingType url) but \
     sends keys raw, so they are decoded once too often: `a+b` lists as `a b`, `a%2Fb` as `a/b` \
     (that `100%.txt` survives is only because `%.t` is no valid escape)";
const PATH_NORMALISED: &str = "s3s-fs maps the key onto a file path, which would normalise \
     `a//b`, `a/../b` and `./x` into another file: the local server refuses them (400 \
     InvalidArgument, see tests/local_server.rs)";
const ABSOLUTE_PATH: &str = "s3s-fs joins the key to the bucket's directory as a path, and a \
     path starting with `/` would be absolute: the local server refuses it (400 InvalidArgument)";
const DIRECTORY: &str = "s3s-fs makes a directory for a key ending in `/` and refuses a \
     non-empty body for it (400 UnexpectedContent)";
const FILE_NAME_TOO_LONG: &str = "s3s-fs names the metadata file after the base64 of the \
     key, longer than a file name may be (255 bytes) for keys over about 170 bytes: 500";

/// The table of awkward keys.
fn cases() -> Vec<Case> {
    let case = |name: &'static str, key: &str, store: Store| Case {
        name,
        key: key.to_owned(),
        store,
    };
    let fs = Store::S3sFs;
    let moto = Store::MotoOnly;
    // 1024 bytes in segments of 99 (each a valid file name).
    let mut segments = String::new();
    while segments.len() < 1023 {
        let room = 1023 - segments.len();
        segments.push_str(&"s".repeat(99.min(room)));
        if segments.len() < 1023 {
            segments.push('/');
        }
    }
    segments.push('x');
    vec![
        case("spaces", "a b  c.txt", fs),
        case("plus", "a+b.txt", moto(RAW_LISTING)),
        case("percent", "100%.txt", moto(RAW_LISTING)),
        case("percent-2f", "a%2Fb.txt", moto(RAW_LISTING)),
        case("equals", "k=v&x=y.txt", fs),
        case("colon", "a:b.txt", fs),
        case("at", "user@host.txt", fs),
        case("ampersand", "a&b.txt", fs),
        case("question", "what?.txt", fs),
        case("hash", "#1.txt", fs),
        case("tilde", "~home.txt", fs),
        case("star", "*.txt", fs),
        case("apostrophe", "it's.txt", fs),
        case("double-quote", "say \"hi\".txt", fs),
        case("xml-specials", "<a>&amp;</a>", fs),
        case("double-slash", "a//b.txt", moto(PATH_NORMALISED)),
        case("leading-slash", "/lead.txt", moto(ABSOLUTE_PATH)),
        case("trailing-slash", "dir/", moto(DIRECTORY)),
        case("dot-dot", "a/../b.txt", moto(PATH_NORMALISED)),
        case("dot", "./x.txt", moto(PATH_NORMALISED)),
        case("nfc-e-acute", "caf\u{e9}.txt", fs),
        case("nfd-e-acute", "cafe\u{301}.txt", fs),
        case("cjk", "文件/报告.txt", fs),
        case("emoji", "📦/🚀 launch.txt", fs),
        case("1024-bytes", &"k".repeat(1024), moto(FILE_NAME_TOO_LONG)),
        case(
            "1024-bytes-two-byte-chars",
            &"é".repeat(512),
            moto(FILE_NAME_TOO_LONG),
        ),
        case("1024-bytes-in-segments", &segments, moto(FILE_NAME_TOO_LONG)),
    ]
}

/// A bucket of its own for case `index`, so that listings do not meet.
fn bucket_of(index: usize) -> String {
    format!("keys-{index:02}")
}

/// Where the round trip runs: a connection, and how to fetch a URL.
struct Target<'a> {
    server: &'static str,
    conn: Connection,
    fetch: &'a dyn Fn(&str) -> (u16, Vec<u8>),
}

/// A plain GET, as a browser or curl would do it.
fn plain_get(url: &str) -> (u16, Vec<u8>) {
    let mut response = agent().get(url).call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_vec().unwrap())
}

fn step<T>(name: &str, result: Result<T, CallError>) -> Result<T, String> {
    result.map_err(|e| format!("{name} failed: {}", e.to_json_line()))
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn put_file(
    i: &mut Instance,
    conn: &Connection,
    bucket: &str,
    object_path: Option<&str>,
    file_name: &str,
    content: &[u8],
) -> Result<String, CallError> {
    let input = PutObjectFileInput {
        bucket_name: bucket.to_owned(),
        object_path: object_path.map(str::to_owned),
        file_name: file_name.to_owned(),
        mime_type: None,
        content: content.to_vec(),
        acl: None,
        metadata: vec![],
    };
    i.put_object_file(conn, &input).map(|put| put.key)
}

fn get_body(i: &mut Instance, conn: &Connection, bucket: &str, key: &str) -> Result<Vec<u8>, CallError> {
    let input = GetObjectInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        version_id: None,
        range: None,
    };
    i.get_object(conn, &input).map(|got| got.body)
}

fn listed_keys(
    i: &mut Instance,
    conn: &Connection,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<String>, CallError> {
    let input = ListObjectsInput {
        bucket_name: bucket.to_owned(),
        prefix: Some(prefix.to_owned()),
        delimiter: None,
        max_keys: None,
        continuation_token: None,
        start_after: None,
        fetch_all: false,
        max_total: None,
    };
    let listed = i.list_objects(conn, &input)?;
    Ok(listed.objects.into_iter().map(|o| o.key).collect())
}

fn signed_input(bucket: &str, key: &str) -> SignedUrlInput {
    SignedUrlInput {
        bucket_name: bucket.to_owned(),
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

/// Every step for `key` in `bucket`; the first that fails, described.
fn round_trip(target: &Target<'_>, bucket: &str, key: &str) -> Result<(), String> {
    let conn = &target.conn;
    let mut i = instance();

    let text = format!("text of {key}");
    let put = step(
        "put-object-text",
        i.put_object_text(
            conn,
            &PutObjectTextInput {
                bucket_name: bucket.to_owned(),
                object_path: key.to_owned(),
                content: text.clone(),
                mime_type: None,
                acl: None,
                metadata: vec![],
            },
        ),
    )?;
    check(put.key == key, || {
        format!("put-object-text answered key {:?}", put.key)
    })?;
    let keys = step("list-objects", listed_keys(&mut i, conn, bucket, key))?;
    check(keys == [key], || {
        format!("list-objects with the key as prefix listed {keys:?}")
    })?;
    let body = step("get-object", get_body(&mut i, conn, bucket, key))?;
    check(body == text.as_bytes(), || {
        format!(
            "get-object read {:?} after put-object-text",
            String::from_utf8_lossy(&body)
        )
    })?;

    // The key as a file's name: the default key of put-object-file.
    let named: Vec<u8> = b"named\0\xff".iter().copied().chain(key.bytes()).collect();
    let written = step(
        "put-object-file (file-name)",
        put_file(&mut i, conn, bucket, None, key, &named),
    )?;
    check(written == key, || {
        format!("put-object-file (file-name) answered key {written:?}")
    })?;
    let body = step("get-object", get_body(&mut i, conn, bucket, key))?;
    check(body == named, || {
        "get-object read other bytes after put-object-file (file-name)".to_owned()
    })?;

    // The key as the object path.
    let bytes: Vec<u8> = [0u8, 255, 10, 13].iter().copied().chain(key.bytes()).collect();
    let written = step(
        "put-object-file (object-path)",
        put_file(&mut i, conn, bucket, Some(key), "other-name.bin", &bytes),
    )?;
    check(written == key, || {
        format!("put-object-file (object-path) answered key {written:?}")
    })?;
    let body = step("get-object", get_body(&mut i, conn, bucket, key))?;
    check(body == bytes, || {
        "get-object read other bytes after put-object-file (object-path)".to_owned()
    })?;

    let object = ObjectRef {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        version_id: None,
    };
    let head = step("head-object", i.head_object(conn, &object))?;
    check(head.content_length == bytes.len() as u64, || {
        format!(
            "head-object says {} bytes, not {}",
            head.content_length,
            bytes.len()
        )
    })?;

    let signed = step(
        "get-object-signed-url",
        i.get_object_signed_url(conn, &signed_input(bucket, key)),
    )?;
    let (status, fetched) = (target.fetch)(&signed.url);
    check(status == 200 && fetched == bytes, || {
        format!(
            "the presigned URL {} answered {status} {:?}",
            signed.url,
            String::from_utf8_lossy(&fetched)
        )
    })?;

    let deleted = step("delete-object", i.delete_object(conn, &object))?;
    check(deleted.success, || "delete-object did not succeed".to_owned())?;
    match i.head_object(conn, &object) {
        Err(e) if e.service_code().as_deref() == Some("no-such-key") => {}
        Err(e) => return Err(format!("head-object after delete: {}", e.to_json_line())),
        Ok(_) => return Err("head-object still finds it after delete-object".to_owned()),
    }
    let keys = step("list-objects", listed_keys(&mut i, conn, bucket, key))?;
    check(keys.is_empty(), || {
        format!("list-objects after delete listed {keys:?}")
    })
}

/// Runs the round trip of each case on `target`; every failure, one a line.
fn round_trip_all(target: &Target<'_>, cases: &[(usize, &Case)]) -> Vec<String> {
    cases
        .iter()
        .filter_map(|(index, case)| {
            round_trip(target, &bucket_of(*index), &case.key)
                .err()
                .map(|why| format!("{} key {:?} ({}): {why}", target.server, case.name, case.key))
        })
        .collect()
}

#[test]
fn table_keys_are_valid_and_the_long_ones_at_the_limit() {
    for case in cases() {
        let len = case.key.len();
        assert!((1..=1024).contains(&len), "{}: {len} bytes", case.name);
        if case.name.starts_with("1024-bytes") {
            assert_eq!(len, 1024, "{}", case.name);
        }
    }
}

#[test]
fn awkward_keys_round_trip_on_s3s_fs() {
    let all = cases();
    let on_fs: Vec<(usize, &Case)> = all
        .iter()
        .enumerate()
        .filter(|(_, c)| c.store == Store::S3sFs)
        .collect();
    let buckets: Vec<String> = on_fs.iter().map(|(i, _)| bucket_of(*i)).collect();
    let local = Local::with_buckets(&buckets.iter().map(String::as_str).collect::<Vec<_>>());
    let target = Target {
        server: "s3s-fs",
        conn: local.conn(),
        fetch: &plain_get,
    };
    let failures = round_trip_all(&target, &on_fs);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn awkward_keys_round_trip_on_moto() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let all = cases();
    let every: Vec<(usize, &Case)> = all.iter().enumerate().collect();
    for (index, _) in &every {
        moto.create_bucket(&bucket_of(*index), HOME_REGION);
    }
    // moto answers a presigned URL only while authentication is off; this
    // is the only test of this binary that uses moto, so switching it off
    // for the fetch cannot let another test's request through unchecked.
    let fetch = |url: &str| {
        moto.set_auth(false);
        let answer = plain_get(url);
        moto.set_auth(true);
        answer
    };
    let target = Target {
        server: "moto",
        conn: moto.admin_conn(),
        fetch: &fetch,
    };
    let failures = round_trip_all(&target, &every);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn presigned_url_of_every_key_is_signed_as_s3s_expects() {
    // s3s checks a presigned URL's signature before s3s-fs looks for the
    // object, so this holds for the keys s3s-fs cannot store as well: with
    // the right secret, anything but 403; with a wrong one, 403.
    let local = Local::new();
    let conn = local.conn();
    let mut wrong = conn.clone();
    wrong.secret_key = "not-the-secret-key-at-all-0000000000000".to_owned();
    let mut i = instance();
    let mut failures = Vec::new();
    for case in cases() {
        let input = signed_input(common::BUCKET, &case.key);
        let url = i.get_object_signed_url(&conn, &input).unwrap().url;
        let (status, body) = plain_get(&url);
        if status == 403 {
            failures.push(format!(
                "{}: {url} refused: {}",
                case.name,
                String::from_utf8_lossy(&body)
            ));
        }
        let url = i.get_object_signed_url(&wrong, &input).unwrap().url;
        let (status, body) = plain_get(&url);
        let body = String::from_utf8_lossy(&body);
        if status != 403 || !body.contains("SignatureDoesNotMatch") {
            failures.push(format!(
                "{}: signed with a wrong secret, {url} answered {status} {body}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn nfc_and_nfd_spellings_are_two_keys() {
    // `é` as one code point (NFC) and as `e` + combining acute (NFD) look
    // the same but are different bytes, so S3 holds two objects; nothing on
    // the way may normalise one into the other.
    let nfc = "caf\u{e9}.txt";
    let nfd = "cafe\u{301}.txt";
    assert_ne!(nfc.as_bytes(), nfd.as_bytes());
    let local = Local::new();
    let conn = local.conn();
    let mut i = instance();
    for (key, content) in [(nfc, "composed"), (nfd, "decomposed")] {
        let input = PutObjectTextInput {
            bucket_name: common::BUCKET.to_owned(),
            object_path: key.to_owned(),
            content: content.to_owned(),
            mime_type: None,
            acl: None,
            metadata: vec![],
        };
        i.put_object_text(&conn, &input).unwrap();
    }
    let mut keys = listed_keys(&mut i, &conn, common::BUCKET, "caf").unwrap();
    keys.sort();
    let mut expected = vec![nfc.to_owned(), nfd.to_owned()];
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(get_body(&mut i, &conn, common::BUCKET, nfc).unwrap(), b"composed");
    assert_eq!(
        get_body(&mut i, &conn, common::BUCKET, nfd).unwrap(),
        b"decomposed"
    );
}

/// A transport that counts the requests that reach it and sends none.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);

impl Outgoing for Counting {
    fn send(&mut self, _: Request) -> Result<Response, TransportError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(TransportError::Other("counted, not sent".to_owned()))
    }
}

/// Calls every operation that takes a key with `key`; for each, its name
/// and the error (or `None` when it succeeded).
fn every_keyed_operation(i: &mut Instance, key: &str) -> Vec<(&'static str, Result<(), CallError>)> {
    let conn = Connection {
        access_key: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        session_token: None,
        region: Some("us-east-1".to_owned()),
        endpoint: Some("http://127.0.0.1:9".to_owned()),
        path_style: true,
        credentials_expire: None,
    };
    let bucket = "some-bucket";
    let object = ObjectRef {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        version_id: None,
    };
    let text = PutObjectTextInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        content: "x".to_owned(),
        mime_type: None,
        acl: None,
        metadata: vec![],
    };
    let file = |object_path: Option<&str>, file_name: &str| PutObjectFileInput {
        bucket_name: bucket.to_owned(),
        object_path: object_path.map(str::to_owned),
        file_name: file_name.to_owned(),
        mime_type: None,
        content: b"x".to_vec(),
        acl: None,
        metadata: vec![],
    };
    let get = GetObjectInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        version_id: None,
        range: None,
    };
    let acl = PutObjectAclInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        acl: CannedAcl::Private,
        version_id: None,
    };
    let many = DeleteObjectsInput {
        bucket_name: bucket.to_owned(),
        object_keys: vec![ObjectIdentifier {
            key: key.to_owned(),
            version_id: None,
        }],
    };
    vec![
        ("put-object-text", i.put_object_text(&conn, &text).map(drop)),
        (
            "put-object-file (object-path)",
            i.put_object_file(&conn, &file(Some(key), "name.bin")).map(drop),
        ),
        (
            "put-object-file (file-name)",
            i.put_object_file(&conn, &file(None, key)).map(drop),
        ),
        ("get-object", i.get_object(&conn, &get).map(drop)),
        ("head-object", i.head_object(&conn, &object).map(drop)),
        (
            "get-object-signed-url",
            i.get_object_signed_url(&conn, &signed_input(bucket, key))
                .map(drop),
        ),
        ("put-object-acl", i.put_object_acl(&conn, &acl)),
        ("delete-object", i.delete_object(&conn, &object).map(drop)),
        ("delete-objects", i.delete_objects(&conn, &many).map(drop)),
    ]
}

#[test]
fn empty_and_over_long_keys_are_invalid_input_and_nothing_is_sent() {
    let counting = Counting::default();
    let mut i = runtime()
        .instance(InstanceOptions::new(counting.clone()))
        .unwrap();
    // 1025 bytes: one over S3's limit, in ASCII and in two-byte characters
    // (513 characters: the limit is on bytes).
    let too_long = ["k".repeat(1025), format!("{}k", "é".repeat(512))];
    for key in [String::new(), too_long[0].clone(), too_long[1].clone()] {
        for (operation, result) in every_keyed_operation(&mut i, &key) {
            let error = result
                .err()
                .unwrap_or_else(|| panic!("{operation} accepted a {}-byte key", key.len()));
            let json = error.to_json();
            assert_eq!(json["error"]["kind"], "invalid-input", "{operation}: {json}");
            let expected_field = match operation {
                "put-object-file (file-name)" => "file_name",
                "delete-objects" => "object_keys",
                _ => "object_path",
            };
            assert_eq!(json["error"]["field"], expected_field, "{operation}: {json}");
            assert!(
                json["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("1024")),
                "{operation}: the message gives the limit: {json}"
            );
        }
    }
    assert_eq!(counting.0.load(Ordering::SeqCst), 0, "a request was sent");

    // The limit itself is allowed: a 1024-byte key gets as far as the
    // transport (the signed URL is made locally and sends nothing).
    for key in ["k".repeat(1024), "é".repeat(512)] {
        for (operation, result) in every_keyed_operation(&mut i, &key) {
            if let Err(error) = result {
                assert!(
                    error.transport().is_some(),
                    "{operation} refused a 1024-byte key: {error}"
                );
            }
        }
    }
    assert!(
        counting.0.load(Ordering::SeqCst) >= 8,
        "every call but the signed URL sends"
    );
}
