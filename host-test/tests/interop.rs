//! Interop both ways, with the tools people already use:
//! - on moto_server with authentication on: what the connector writes (text,
//!   streamed file, multipart; content type, user metadata, canned ACL),
//!   boto3 reads byte for byte with the same metadata and grants; what boto3
//!   writes (`put_object`, `upload_fileobj` in parts), the connector reads
//!   byte for byte with the same content type and metadata. Keys from the
//!   hard cases of the signing tests.
//! - on the local server (which checks signatures, also of presigned URLs):
//!   the connector's presigned PUT and GET URLs used by curl.
//!
//! The boto3 side is `tests/interop.py`, run in the project's virtualenv.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use common::moto::{Moto, HOME_REGION};
use common::{instance, Local, BUCKET};
use s3_connector_host::bodies::{BodySink, BodySource, BytesSource, SharedBytesSink};
use s3_connector_host::wit::Connection;
use s3_connector_host::Instance;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Keys from the signing tests' hard cases that every store holds.
const KEYS: [&str; 18] = [
    "a b  c.txt",
    "a+b.txt",
    "100%.txt",
    "a%2Fb.txt",
    "k=v&x=y.txt",
    "a:b.txt",
    "user@host.txt",
    "what?.txt",
    "#1.txt",
    "~home.txt",
    "*.txt",
    "it's.txt",
    "say \"hi\".txt",
    "<a>&amp;</a>",
    "a//b.txt",
    "caf\u{e9}/cafe\u{301}.txt",
    "文件/报告.txt",
    "📦/🚀 launch.txt",
];

/// `size` bytes from `seed`: SHA-256 in counter mode, as interop.py makes them.
fn content(seed: u64, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 32);
    let mut counter = 0u64;
    while out.len() < size {
        out.extend_from_slice(&Sha256::digest(format!("{seed}:{counter}").as_bytes()));
        counter += 1;
    }
    out.truncate(size);
    out
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs interop.py with `job` (the connection's keys added); its answer.
fn boto3(moto: &Moto, bucket: &str, mut job: Value) -> Value {
    let python = common::moto::binary().unwrap().with_file_name("python");
    let keys = moto.admin();
    job["endpoint"] = json!(moto.endpoint());
    job["access_key"] = json!(keys.access_key);
    job["secret_key"] = json!(keys.secret_key);
    job["bucket"] = json!(bucket);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), job.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "interop.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn call(instance: &mut Instance, conn: &Connection, operation: &str, input: &Value) -> Value {
    let answer = instance
        .invoke(conn, operation, &input.to_string(), None)
        .unwrap();
    serde_json::from_str(&answer.json).unwrap()
}

/// One object the connector writes, and what boto3 must find.
struct Written {
    key: String,
    sha256: String,
    size: usize,
    content_type: &'static str,
    metadata: BTreeMap<String, String>,
    /// The grants boto3 must read, or `None` to not ask (moto cannot
    /// answer for an object completed from parts).
    grants: Option<Vec<&'static str>>,
}

#[test]
fn what_the_connector_writes_boto3_reads_identically() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = "interop-connector";
    moto.create_bucket(bucket, HOME_REGION);
    let conn = moto.admin_conn();
    let mut instance = instance();
    let mut written = Vec::new();
    for (n, key) in KEYS.iter().enumerate() {
        let metadata: BTreeMap<String, String> = [
            ("origin".to_owned(), "connector".to_owned()),
            ("n".to_owned(), n.to_string()),
        ]
        .into();
        let (acl, grants) = match n % 3 {
            0 => ("public-read", vec!["AllUsers:READ", "owner:FULL_CONTROL"]),
            1 => (
                "authenticated-read",
                vec!["AuthenticatedUsers:READ", "owner:FULL_CONTROL"],
            ),
            _ => ("private", vec!["owner:FULL_CONTROL"]),
        };
        if n % 2 == 0 {
            let text = format!("text {n} for `{key}`: é ✓\n");
            call(
                &mut instance,
                &conn,
                "put-object-text",
                &json!({"bucket_name": bucket, "object_path": key, "content": text,
                    "mime_type": "text/markdown", "metadata": metadata, "acl": acl}),
            );
            written.push(Written {
                key: (*key).to_owned(),
                sha256: sha256(text.as_bytes()),
                size: text.len(),
                content_type: "text/markdown; charset=utf-8",
                metadata,
                grants: Some(grants),
            });
        } else {
            let bytes = content(n as u64, 1000 + n * 997);
            let input = json!({"bucket_name": bucket, "object_path": key, "file_name": "f.bin",
                "mime_type": "application/x-interop", "metadata": metadata, "acl": acl});
            let source: Box<dyn BodySource> = Box::new(BytesSource(bytes.clone()));
            instance
                .invoke_streamed(&conn, "put-object-file", &input.to_string(), Some(source), None)
                .unwrap();
            written.push(Written {
                key: (*key).to_owned(),
                sha256: sha256(&bytes),
                size: bytes.len(),
                content_type: "application/x-interop",
                metadata,
                grants: Some(grants),
            });
        }
    }
    // And one in parts, with a ragged last one.
    let big = content(99, (11 << 20) + 5);
    let input = json!({"bucket_name": bucket, "object_path": "parts/💾 big.bin", "file_name": "big.bin",
        "mime_type": "application/x-interop", "metadata": {"origin": "connector"},
        "multipart_threshold": 5 << 20, "part_size": 5 << 20});
    let source: Box<dyn BodySource> = Box::new(BytesSource(big.clone()));
    let answer = instance
        .invoke_streamed(&conn, "put-object-file", &input.to_string(), Some(source), None)
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&answer.json).unwrap()["parts"], 3);
    written.push(Written {
        key: "parts/💾 big.bin".to_owned(),
        sha256: sha256(&big),
        size: big.len(),
        content_type: "application/x-interop",
        metadata: [("origin".to_owned(), "connector".to_owned())].into(),
        grants: None,
    });

    let reads: Vec<Value> = written
        .iter()
        .map(|w| json!({"key": w.key, "acl": w.grants.is_some()}))
        .collect();
    let read = boto3(moto, bucket, json!({"read": reads}));
    for w in &written {
        let got = &read["read"][&w.key];
        assert_eq!(got["sha256"], w.sha256, "`{}`: {got}", w.key);
        assert_eq!(got["size"], w.size, "`{}`", w.key);
        assert_eq!(got["content_type"], w.content_type, "`{}`", w.key);
        assert_eq!(got["metadata"], json!(w.metadata), "`{}`", w.key);
        assert_eq!(got["grants"], json!(w.grants), "`{}`", w.key);
    }
}

#[test]
fn what_boto3_writes_the_connector_reads_identically() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = "interop-boto3";
    moto.create_bucket(bucket, HOME_REGION);
    let mut writes: Vec<Value> = KEYS
        .iter()
        .enumerate()
        .map(|(n, key)| {
            json!({"key": format!("from-boto3/{key}"), "seed": n, "size": 100 + n * 1013,
                "content_type": "application/x-from-boto3", "metadata": {"writer": "boto3", "n": n.to_string()},
                "multipart": false})
        })
        .collect();
    writes.push(
        json!({"key": "from-boto3/parts/💾 big.bin", "seed": 7, "size": (11 << 20) + 9,
        "content_type": "application/x-from-boto3", "metadata": {"writer": "boto3"}, "multipart": true}),
    );
    let wrote = boto3(moto, bucket, json!({"write": writes}));

    let conn = moto.admin_conn();
    let mut instance = instance();
    for write in &writes {
        let key = write["key"].as_str().unwrap();
        let object = json!({"bucket_name": bucket, "object_path": key});
        let sink = SharedBytesSink::default();
        let boxed: Box<dyn BodySink> = Box::new(sink.clone());
        instance
            .invoke_streamed(&conn, "get-object", &object.to_string(), None, Some(boxed))
            .unwrap();
        let bytes = sink.bytes();
        assert_eq!(sha256(&bytes), wrote["write"][key], "`{key}`");
        assert_eq!(
            bytes,
            content(
                write["seed"].as_u64().unwrap(),
                write["size"].as_u64().unwrap() as usize
            )
        );
        let head = call(&mut instance, &conn, "head-object", &object);
        assert_eq!(head["content_type"], "application/x-from-boto3", "`{key}`");
        assert_eq!(head["metadata"], write["metadata"], "`{key}`");
        assert_eq!(head["content_length"], write["size"], "`{key}`");
    }
}

#[test]
fn presigned_urls_work_with_curl() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl is not installed: the presigned URLs are not fetched");
        return;
    }
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let dir = tempfile::tempdir().unwrap();
    // The keys a file system holds (s3s-fs keeps each object as a file).
    for (n, key) in KEYS
        .iter()
        .enumerate()
        .filter(|(_, k)| !k.contains('%') && !k.contains('+') && !k.contains("//"))
    {
        let bytes = content(n as u64, 777 + n);
        let upload = dir.path().join(format!("up-{n}"));
        std::fs::write(&upload, &bytes).unwrap();
        let signed = |instance: &mut Instance, method: &str| {
            let input = json!({"bucket_name": BUCKET, "object_path": key, "expires_seconds": 300,
                "method": method});
            call(instance, &conn, "get-object-signed-url", &input)["file"].clone()
        };
        let put = signed(&mut instance, "PUT");
        let mut curl = Command::new("curl");
        curl.args(["--silent", "--show-error", "--fail", "-T"])
            .arg(&upload);
        for (name, value) in put["signed_headers"].as_object().into_iter().flatten() {
            curl.args(["-H", &format!("{name}: {}", value.as_str().unwrap())]);
        }
        let status = curl.arg(put["url"].as_str().unwrap()).status().unwrap();
        assert!(status.success(), "curl PUT `{key}`: {put}");

        let get = signed(&mut instance, "GET");
        let download = dir.path().join(format!("down-{n}"));
        let status = Command::new("curl")
            .args(["--silent", "--show-error", "--fail", "-o"])
            .arg(&download)
            .arg(get["url"].as_str().unwrap())
            .status()
            .unwrap();
        assert!(status.success(), "curl GET `{key}`: {get}");
        assert_eq!(std::fs::read(&download).unwrap(), bytes, "`{key}`");
    }
}
