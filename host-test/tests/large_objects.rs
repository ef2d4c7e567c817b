//! Objects larger than a single PUT, through the real component and host:
//! multipart uploads from a host-held source, downloads into a host-held
//! sink, resuming both, and the component's memory while they run. Sizes
//! stay small enough for CI (a few parts of 5 MiB); `make bench` moves 1 GiB.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::fault_proxy::{Fault, FaultPlan, FaultProxy};
use common::moto::Moto;
use common::{instance, Local, BUCKET};
use s3_connector_host::bodies::{BodySink, BytesSource, SharedBytesSink};
use s3_connector_host::error::error_code_name;
use s3_connector_host::instance::MAX_IN_MEMORY_BODY;
use s3_connector_host::wit::{
    AbortMultipartUploadInput, Connection, Error, GetObjectInput, ListMultipartUploadsInput,
    PutObjectStreamInput, PutObjectTextInput, UploadCause, UploadOptions,
};
use s3_connector_host::{CallError, Instance, InstanceOptions};
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;

/// Bytes that differ in every part, so that a part sent twice or out of
/// order shows.
fn content(size: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    while bytes.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The field and message of `result`'s invalid-input error; a panic naming
/// what came instead (an answer, another error, a trap).
fn refusal<T: std::fmt::Debug>(result: Result<T, CallError>) -> (String, String) {
    match result {
        Err(error) => match error.connector() {
            Some(Error::InvalidInput(e)) => (e.field.clone(), e.message.clone()),
            _ => panic!("expected an invalid-input error, got {error:?}"),
        },
        Ok(answer) => panic!("expected an invalid-input error, got {answer:?}"),
    }
}

/// Checks that the component has kept an eighth of its default memory
/// limit to spare.
fn assert_room(instance: &Instance) {
    let peak = instance.memory_peak();
    let limit = s3_connector_host::instance::DEFAULT_MEMORY_LIMIT;
    assert!(peak <= limit / 8 * 7, "memory peak {peak} of {limit}");
}

/// Parts of 5 MiB (S3's smallest) from 5 MiB up, so that a few MiB make a
/// multipart upload.
fn options() -> UploadOptions {
    UploadOptions {
        multipart_threshold: Some(5 * MIB as u64),
        part_size: Some(5 * MIB as u64),
        payload_signing: None,
        concurrency: None,
        content_md5: false,
        resume_upload_id: None,
    }
}

fn stream_input(bucket: &str, key: &str, options: UploadOptions) -> PutObjectStreamInput {
    PutObjectStreamInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        mime_type: Some("application/x-test".to_owned()),
        acl: None,
        metadata: vec![("origin".to_owned(), "large-objects".to_owned())],
        options,
    }
}

fn get_input(bucket: &str, key: &str) -> GetObjectInput {
    GetObjectInput {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        version_id: None,
        range: None,
    }
}

/// Reads an object back through a sink.
fn read_back(instance: &mut Instance, conn: &Connection, bucket: &str, key: &str) -> Vec<u8> {
    let sink = SharedBytesSink::default();
    let metadata = instance
        .get_object_to(conn, &get_input(bucket, key), Box::new(sink.clone()))
        .unwrap();
    let bytes = sink.bytes();
    assert_eq!(metadata.content_length, bytes.len() as u64);
    bytes
}

/// Uploads `bytes` to `key` from a host-held source: in one PUT up to
/// 16 MiB, else in parts of 16 MiB.
fn put_from_source(instance: &mut Instance, conn: &Connection, key: &str, bytes: &[u8]) {
    let options = UploadOptions {
        multipart_threshold: Some(16 * MIB as u64),
        part_size: Some(16 * MIB as u64),
        ..options()
    };
    instance
        .put_object_stream(
            conn,
            &stream_input(BUCKET, key, options),
            Box::new(BytesSource(bytes.to_vec())),
        )
        .unwrap();
}

fn uploads_left(instance: &mut Instance, conn: &Connection, bucket: &str) -> usize {
    let input = ListMultipartUploadsInput {
        bucket_name: bucket.to_owned(),
        prefix: None,
        max_total: None,
    };
    instance.list_multipart_uploads(conn, &input).unwrap().len()
}

#[test]
fn multipart_round_trip_on_s3s_fs_with_a_ragged_last_part() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let bytes = content(12 * MIB + 12_345);
    let output = instance
        .put_object_stream(
            &conn,
            &stream_input(BUCKET, "big/ragged.bin", options()),
            Box::new(BytesSource(bytes.clone())),
        )
        .unwrap();
    assert_eq!(output.parts, 3);
    assert!(
        output.etag.as_deref().is_some_and(|e| e.ends_with("-3\"")),
        "{output:?}"
    );
    let back = read_back(&mut instance, &conn, BUCKET, "big/ragged.bin");
    assert_eq!(sha256(&back), sha256(&bytes));
    assert_eq!(uploads_left(&mut instance, &conn, BUCKET), 0);
    let head = instance
        .head_object(
            &conn,
            &s3_connector_host::wit::ObjectRef {
                bucket_name: BUCKET.to_owned(),
                object_path: "big/ragged.bin".to_owned(),
                version_id: None,
            },
        )
        .unwrap();
    assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(
        head.metadata,
        vec![("origin".to_owned(), "large-objects".to_owned())]
    );
}

#[test]
fn a_small_source_is_one_put_and_every_payload_signing_works() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let bytes = content(100_000);
    use s3_connector_host::wit::PayloadSigning;
    for (key, signing, md5) in [
        ("auto", None, false),
        ("signed", Some(PayloadSigning::Signed), true),
        ("unsigned", Some(PayloadSigning::Unsigned), true),
    ] {
        let options = UploadOptions {
            payload_signing: signing,
            content_md5: md5,
            ..options()
        };
        let output = instance
            .put_object_stream(
                &conn,
                &stream_input(BUCKET, key, options),
                Box::new(BytesSource(bytes.clone())),
            )
            .unwrap();
        assert_eq!(output.parts, 0, "one PUT below the threshold");
        assert_eq!(read_back(&mut instance, &conn, BUCKET, key), bytes, "{key}");
    }
}

#[test]
fn the_guest_memory_stays_small_while_moving_many_times_more() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let size = 96 * MIB;
    let bytes = content(size);
    // Signed payload over plain HTTP: the component reads every byte to hash it.
    put_from_source(&mut instance, &conn, "memory.bin", &bytes);
    let back = read_back(&mut instance, &conn, BUCKET, "memory.bin");
    assert!(back == bytes, "the object read back differs");
    let peak = instance.memory_peak();
    assert!(
        peak <= 16 * MIB,
        "the component's linear memory reached {peak} bytes moving {size}"
    );
}

#[test]
fn an_upload_that_cannot_start_is_a_typed_error() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let error = instance
        .put_object_stream(
            &conn,
            &stream_input("no-such-bucket", "k", options()),
            Box::new(BytesSource(content(6 * MIB))),
        )
        .unwrap_err();
    match error.connector() {
        Some(Error::Service(e)) => assert_eq!(error_code_name(&e.code), "no-such-bucket"),
        other => panic!("expected no-such-bucket, got {other:?}"),
    }
    let bad = UploadOptions {
        part_size: Some(1024),
        ..options()
    };
    let (field, message) = refusal(instance.put_object_stream(
        &conn,
        &stream_input(BUCKET, "k", bad),
        Box::new(BytesSource(vec![1])),
    ));
    assert!(field == "part_size", "{field}: {message}");
}

/// A proxy in front of a fresh local server, faulting as `plan` says.
fn behind_proxy(plan: FaultPlan) -> (Local, FaultProxy, Connection) {
    let local = Local::new();
    let proxy = FaultProxy::start(local.server.endpoint(), plan);
    let mut conn = local.conn();
    conn.endpoint = Some(proxy.endpoint());
    (local, proxy, conn)
}

fn is_part_upload(method: &str, target: &str) -> bool {
    method == "PUT" && target.contains("partNumber=")
}

#[test]
fn faults_on_a_third_of_the_parts_are_retried_and_the_object_arrives_whole() {
    let plan = FaultPlan::every_nth_matching(
        3,
        |request| is_part_upload(request.method, request.target) || request.method == "GET",
        vec![
            Fault::Status(503),
            Fault::ResetDuringRequestBody,
            Fault::ResetBeforeAnswer,
            Fault::TruncateResponseBody,
        ],
    );
    let (_local, proxy, conn) = behind_proxy(plan);
    let mut instance = instance();
    let bytes = content(23 * MIB + 1);
    let output = instance
        .put_object_stream(
            &conn,
            &stream_input(BUCKET, "faulty.bin", options()),
            Box::new(BytesSource(bytes.clone())),
        )
        .unwrap();
    assert_eq!(output.parts, 5);
    let back = read_back(&mut instance, &conn, BUCKET, "faulty.bin");
    assert!(back == bytes, "the object read back differs");
    assert!(
        proxy.faults() >= 2,
        "the proxy injected {} faults",
        proxy.faults()
    );
    assert_eq!(uploads_left(&mut instance, &conn, BUCKET), 0);
}

#[test]
fn faults_that_outlast_the_retries_leave_an_upload_that_resumes() {
    // Parts 1 and 2 go through; every later part upload fails.
    let plan = FaultPlan::new(|request| {
        let later = ["partNumber=3", "partNumber=4"]
            .iter()
            .any(|part| request.target.contains(part));
        if request.method == "PUT" && later {
            Fault::Status(503)
        } else {
            Fault::None
        }
    });
    let (local, _proxy, conn) = behind_proxy(plan);
    let mut instance = instance();
    let bytes = content(17 * MIB);
    let error = instance
        .put_object_stream(
            &conn,
            &stream_input(BUCKET, "resume.bin", options()),
            Box::new(BytesSource(bytes.clone())),
        )
        .unwrap_err();
    let failure = match error.connector() {
        Some(Error::UploadIncomplete(failure)) => failure.clone(),
        other => panic!("expected an incomplete upload, got {other:?}"),
    };
    assert_eq!((failure.parts_done, failure.parts_total), (2, 4));
    assert!(!failure.aborted);
    assert!(
        matches!(&failure.cause, UploadCause::Service(e) if e.status == 503),
        "{:?}",
        failure.cause
    );
    // The parts are still there, and the upload is listed.
    let direct = local.conn();
    assert_eq!(uploads_left(&mut instance, &direct, BUCKET), 1);
    // A workflow retry with the upload id, once the network heals.
    let resumed = UploadOptions {
        resume_upload_id: Some(failure.upload_id.clone()),
        ..options()
    };
    let output = instance
        .put_object_stream(
            &direct,
            &stream_input(BUCKET, "resume.bin", resumed),
            Box::new(BytesSource(bytes.clone())),
        )
        .unwrap();
    assert_eq!(output.parts, 4);
    assert!(read_back(&mut instance, &direct, BUCKET, "resume.bin") == bytes);
    assert_eq!(uploads_left(&mut instance, &direct, BUCKET), 0);
}

#[test]
fn a_permanent_failure_aborts_the_upload() {
    // The second part is refused as S3 refuses a bad signature: no retry helps.
    let plan = FaultPlan::new(|request| {
        if request.method == "PUT" && request.target.contains("partNumber=2") {
            Fault::Status(403)
        } else {
            Fault::None
        }
    });
    let (local, _proxy, conn) = behind_proxy(plan);
    let mut instance = instance();
    let error = instance
        .put_object_stream(
            &conn,
            &stream_input(BUCKET, "denied.bin", options()),
            Box::new(BytesSource(content(11 * MIB))),
        )
        .unwrap_err();
    match error.connector() {
        Some(Error::UploadIncomplete(failure)) => assert!(failure.aborted, "{failure:?}"),
        other => panic!("expected an aborted upload, got {other:?}"),
    }
    assert_eq!(
        uploads_left(&mut instance, &local.conn(), BUCKET),
        0,
        "no parts left billing"
    );
}

#[test]
fn abort_multipart_upload_drops_an_upload_and_a_second_abort_is_no_such_upload() {
    let plan = FaultPlan::new(|request| {
        if is_part_upload(request.method, request.target) {
            Fault::Status(503)
        } else {
            Fault::None
        }
    });
    let (local, _proxy, conn) = behind_proxy(plan);
    let mut instance = instance();
    let error = instance
        .put_object_stream(
            &conn,
            &stream_input(BUCKET, "left/over.bin", options()),
            Box::new(BytesSource(content(6 * MIB))),
        )
        .unwrap_err();
    let Some(Error::UploadIncomplete(failure)) = error.connector() else {
        panic!("expected an incomplete upload, got {error:?}")
    };
    let direct = local.conn();
    let listed = instance
        .list_multipart_uploads(
            &direct,
            &ListMultipartUploadsInput {
                bucket_name: BUCKET.to_owned(),
                prefix: Some("left/".to_owned()),
                max_total: None,
            },
        )
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].upload_id, failure.upload_id);
    assert_eq!(listed[0].key, "left/over.bin");
    let abort = AbortMultipartUploadInput {
        bucket_name: BUCKET.to_owned(),
        object_path: "left/over.bin".to_owned(),
        upload_id: failure.upload_id.clone(),
    };
    instance.abort_multipart_upload(&direct, &abort).unwrap();
    assert_eq!(uploads_left(&mut instance, &direct, BUCKET), 0);
    let again = instance.abort_multipart_upload(&direct, &abort).unwrap_err();
    match again.connector() {
        Some(Error::Service(e)) => assert_eq!(error_code_name(&e.code), "no-such-upload"),
        other => panic!("expected no-such-upload, got {other:?}"),
    }
}

#[test]
fn a_download_cut_mid_body_resumes_by_range() {
    let plan = FaultPlan::new(|request| {
        if request.method == "GET" && request.index == 1 {
            Fault::TruncateResponseBody
        } else {
            Fault::None
        }
    });
    let (_local, proxy, conn) = behind_proxy(plan);
    let mut instance = instance();
    let bytes = content(3 * MIB + 7);
    put_from_source(&mut instance, &conn, "cut.bin", &bytes);
    let back = read_back(&mut instance, &conn, BUCKET, "cut.bin");
    assert!(back == bytes, "the object read back differs");
    let log = proxy.log();
    assert_eq!(log[1].fault, Fault::TruncateResponseBody);
    assert_eq!(log.len(), 3, "one resumed GET: {log:?}");
    assert_eq!(log[2].method, "GET");
}

#[test]
fn an_object_overwritten_between_ranges_is_refused_not_stitched() {
    let local = Local::new();
    let direct = local.conn();
    let writer_conn = direct.clone();
    let plan = FaultPlan::new(move |request| {
        match (request.method, request.index) {
            // The first GET is cut; before the resumed one is forwarded,
            // another writer replaces the object.
            ("GET", 1) => Fault::TruncateResponseBody,
            ("GET", 2) => {
                let mut writer = common::instance();
                let text = PutObjectTextInput {
                    bucket_name: BUCKET.to_owned(),
                    object_path: "moving.bin".to_owned(),
                    content: "a new object".to_owned(),
                    mime_type: None,
                    acl: None,
                    metadata: vec![],
                };
                writer.put_object_text(&writer_conn, &text).unwrap();
                Fault::None
            }
            _ => Fault::None,
        }
    });
    let proxy = FaultProxy::start(local.server.endpoint(), plan);
    let mut conn = direct.clone();
    conn.endpoint = Some(proxy.endpoint());
    let mut instance = instance();
    put_from_source(&mut instance, &conn, "moving.bin", &content(2 * MIB));
    let sink = SharedBytesSink::default();
    let error = instance
        .get_object_to(&conn, &get_input(BUCKET, "moving.bin"), Box::new(sink.clone()))
        .unwrap_err();
    match error.connector() {
        Some(Error::Service(e)) => {
            assert_eq!(error_code_name(&e.code), "precondition-failed");
            assert!(e.message.contains("changed during the download"), "{}", e.message);
        }
        other => panic!("expected precondition-failed, got {other:?}"),
    }
    assert_eq!(sink.written(), 0, "nothing of the old object is left in the sink");
}

#[test]
fn cli_output_file_appears_only_when_complete() {
    let local = Local::new();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("upload.bin");
    let bytes = content(7 * MIB);
    std::fs::write(&source, &bytes).unwrap();
    let cli = env!("CARGO_BIN_EXE_s3-connector");
    let connection = |input: &str| {
        format!(
            r#"{{"access_key": "{}", "secret_key": "{}", "region": "us-east-1", "endpoint": "{}", {input}}}"#,
            local.server.access_key(),
            local.server.secret_key(),
            local.server.endpoint()
        )
    };
    let run = |args: &[&str]| {
        Command::new(cli)
            .args(args)
            .env("S3_CONNECTOR_WASM", common::wasm_path())
            .output()
            .unwrap()
    };
    let put = run(&[
        "put-object-file",
        "--input",
        &connection(&format!(
            r#""bucket_name": "{BUCKET}", "multipart_threshold": 5242880, "part_size": 5242880"#
        )),
        "--file",
        source.to_str().unwrap(),
        "--stats",
    ]);
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));
    let out: serde_json::Value = serde_json::from_slice(&put.stdout).unwrap();
    assert_eq!(out["key"], "upload.bin");
    assert_eq!(out["parts"], 2);
    let stderr = String::from_utf8_lossy(&put.stderr);
    assert!(stderr.contains("\"guest_memory_peak_bytes\""), "{stderr}");

    let target = dir.path().join("download.bin");
    let get = run(&[
        "get-object",
        "--input",
        &connection(&format!(
            r#""bucket_name": "{BUCKET}", "object_path": "upload.bin""#
        )),
        "--output",
        target.to_str().unwrap(),
    ]);
    assert!(get.status.success(), "{}", String::from_utf8_lossy(&get.stderr));
    assert!(std::fs::read(&target).unwrap() == bytes);

    // Without the flush to disk the file is the same, renamed as it arrives.
    let quick = dir.path().join("quick.bin");
    let get = run(&[
        "get-object",
        "--input",
        &connection(&format!(
            r#""bucket_name": "{BUCKET}", "object_path": "upload.bin""#
        )),
        "--output",
        quick.to_str().unwrap(),
        "--no-fsync",
    ]);
    assert!(get.status.success(), "{}", String::from_utf8_lossy(&get.stderr));
    assert!(std::fs::read(&quick).unwrap() == bytes);
    std::fs::remove_file(&quick).unwrap();

    // A failed download leaves neither the output nor a temporary file.
    let missing = dir.path().join("missing.bin");
    let failed = run(&[
        "get-object",
        "--input",
        &connection(&format!(r#""bucket_name": "{BUCKET}", "object_path": "nope""#)),
        "--output",
        missing.to_str().unwrap(),
    ]);
    assert!(!failed.status.success());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["download.bin", "upload.bin"]);
}

/// moto (authentication on) takes the same upload, and boto3 reads back
/// the same bytes and metadata.
#[test]
fn multipart_upload_to_moto_reads_back_identical_with_boto3() {
    let Some(moto) = Moto::shared() else {
        return;
    };
    let bucket = "large-objects-moto";
    moto.create_bucket(bucket, common::moto::HOME_REGION);
    let conn = moto.admin_conn();
    let mut instance = runtime_instance();
    let bytes = content(11 * MIB + 3);
    let output = instance
        .put_object_stream(
            &conn,
            &stream_input(bucket, "dir/moto big.bin", options()),
            Box::new(BytesSource(bytes.clone())),
        )
        .unwrap();
    assert_eq!(output.parts, 3);
    assert_eq!(uploads_left(&mut instance, &conn, bucket), 0);
    let python = common::moto::binary().unwrap().with_file_name("python");
    let script = r#"
import hashlib, sys, boto3
from botocore.config import Config
endpoint, key_id, secret, bucket, key = sys.argv[1:6]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key_id, aws_secret_access_key=secret,
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
obj = s3.get_object(Bucket=bucket, Key=key)
body = obj["Body"].read()
print(hashlib.sha256(body).hexdigest(), obj["ContentType"], obj["Metadata"].get("origin"))
"#;
    let keys = moto.admin();
    let read = Command::new(python)
        .args([
            "-c",
            script,
            moto.endpoint(),
            &keys.access_key,
            &keys.secret_key,
            bucket,
            "dir/moto big.bin",
        ])
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
    let line = String::from_utf8(read.stdout).unwrap();
    assert_eq!(
        line.trim(),
        format!("{} application/x-test large-objects", sha256(&bytes))
    );
    // And the connector reads back what it wrote.
    assert!(read_back(&mut instance, &conn, bucket, "dir/moto big.bin") == bytes);
}

fn runtime_instance() -> Instance {
    common::runtime().instance(InstanceOptions::default()).unwrap()
}

#[test]
fn a_body_too_large_for_memory_is_a_typed_error_not_a_trap() {
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let big = "x".repeat(MAX_IN_MEMORY_BODY + 1);
    let text = PutObjectTextInput {
        bucket_name: BUCKET.to_owned(),
        object_path: "too-big.txt".to_owned(),
        content: big,
        mime_type: None,
        acl: None,
        metadata: vec![],
    };
    let (field, message) = refusal(instance.put_object_text(&conn, &text));
    assert!(field == "content", "{field}: {message}");
    let body = vec![0u8; MAX_IN_MEMORY_BODY + 1];
    let input = format!(r#"{{"bucket_name": "{BUCKET}", "object_path": "too-big.bin"}}"#);
    let (field, message) = refusal(instance.invoke(&conn, "put-object-file", &input, Some(&body)));
    assert!(field == "content", "{field}: {message}");
    // The instance is still usable: nothing trapped.
    instance.list_buckets(&conn).unwrap();
}

/// The JSON input of a `put-object-text` of `content`.
fn text_input(key: &str, content: &str) -> String {
    serde_json::json!({"bucket_name": BUCKET, "object_path": key, "content": content}).to_string()
}

/// A JSON input longer than the host takes is refused before the call: a
/// content of control characters, each six bytes of JSON, made the text six
/// times the content, and before the limit 30 MB of them trapped the
/// component on its memory.
#[test]
fn an_input_too_large_for_memory_is_a_typed_error_not_a_trap() {
    use s3_connector_host::instance::MAX_INPUT_TEXT;
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let content = "\u{1}".repeat(MAX_INPUT_TEXT / 6 + 1);
    let input = text_input("escaped.txt", &content);
    assert!(input.len() > MAX_INPUT_TEXT && content.len() < MAX_IN_MEMORY_BODY);
    let (field, message) = refusal(instance.invoke(&conn, "put-object-text", &input, None));
    assert!(
        field == "input" && message.contains(&MAX_INPUT_TEXT.to_string()),
        "{field}: {message}"
    );
    let (field, message) = refusal(instance.invoke_streamed(&conn, "put-object-text", &input, None, None));
    assert!(field == "input", "{field}: {message}");
    instance.list_buckets(&conn).unwrap();
}

/// The largest inputs the host takes run to an answer within the default
/// memory limit, whatever their text holds, one after another on one
/// instance: the largest content with the most escapes the limit allows is
/// stored whole; a text at the limit of plain characters is a content over
/// its limit; and the largest body next to the largest text is refused for
/// the text's field. The component keeps an eighth of its memory to spare,
/// and the three together take less than five eighths: what one call frees
/// serves the next. The second takes its text and the string read from it
/// (96 MiB) where the first's 81 MiB were freed, growing memory by what
/// they lack, to at most 7/16 of the limit (112 MiB); the third needs its
/// body, its text and the string read from it (128 MiB). (Before, the
/// second call trapped it: a long text was copied before it was refused.
/// With the bounds on reading, the first peaked at 116 MiB and the second
/// at 164, most of that what it could not fit in what the first left free,
/// as each growth of memory was a pool of its own to the allocator; with
/// one pool grown in place, 81 and 132, as memory grew by a whole new
/// block though the free block at its end held most of it.)
#[test]
fn the_largest_inputs_taken_fit_in_memory() {
    use s3_connector_host::instance::MAX_INPUT_TEXT;
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();

    // 32 MiB of content, half of it line breaks: 48 MiB of JSON.
    let mut content = "\n".repeat(MAX_IN_MEMORY_BODY / 2 - 200);
    content.push_str(&"x".repeat(MAX_IN_MEMORY_BODY / 2 + 200));
    let input = text_input("breaks.txt", &content);
    assert!(input.len() <= MAX_INPUT_TEXT && input.len() > MAX_INPUT_TEXT - 1024);
    instance.invoke(&conn, "put-object-text", &input, None).unwrap();
    assert_room(&instance);
    let stored = read_back(&mut instance, &conn, BUCKET, "breaks.txt");
    assert!(stored == content.as_bytes());
    drop((content, stored));

    // 48 MiB of plain content: refused for its length, before it is copied.
    let content = "y".repeat(MAX_INPUT_TEXT - 200);
    let input = text_input("plain.txt", &content);
    assert!(input.len() <= MAX_INPUT_TEXT);
    let (field, message) = refusal(instance.invoke(&conn, "put-object-text", &input, None));
    assert!(field == "content", "{field}: {message}");
    assert_room(&instance);
    let limit = s3_connector_host::instance::DEFAULT_MEMORY_LIMIT;
    assert!(
        instance.memory_peak() <= limit / 16 * 7,
        "{}",
        instance.memory_peak()
    );
    drop((content, input));

    // The largest body, and a 48 MiB field beside it.
    let body = vec![7u8; MAX_IN_MEMORY_BODY];
    let mime = "z".repeat(MAX_INPUT_TEXT - 200);
    let input =
        serde_json::json!({"bucket_name": BUCKET, "object_path": "typed.bin", "mime_type": mime}).to_string();
    assert!(input.len() <= MAX_INPUT_TEXT);
    refusal(instance.invoke(&conn, "put-object-file", &input, Some(&body)));
    assert_room(&instance);
    assert!(
        instance.memory_peak() <= limit / 8 * 5,
        "{}",
        instance.memory_peak()
    );
    instance.list_buckets(&conn).unwrap();
}

/// The longest list of keys one Delete Multiple Objects takes (100,000 keys,
/// 16 MiB of them) is deleted within the default memory limit, with room
/// to spare; a longer one is refused before anything is sent, through the
/// JSON face and the typed export alike, and a list of millions is refused
/// by the host before it is copied into the component. Before these limits,
/// 580,000 keys of 100 bytes trapped the component on its memory; the
/// 100,000 keys here peaked at 112 MiB, 88 MiB since the allocator extends
/// one pool as memory grows.
#[test]
fn the_longest_key_list_a_call_takes_fits_in_memory() {
    use s3_connector::ops::delete_objects::{MAX_KEYS, MAX_KEY_BYTES};
    use s3_connector_host::wit::{DeleteObjectsInput, ObjectIdentifier};
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    // Keys of 167 bytes, a slash every ten so that no file name is too long.
    let key = |n: usize| format!("k{n:05}/{}", "ppppppppp/".repeat(16));
    assert!(key(0).len() * MAX_KEYS <= MAX_KEY_BYTES);
    let list = |count: usize| {
        let keys: Vec<String> = (0..count).map(|n| format!(r#"{{"key":"{}"}}"#, key(n))).collect();
        format!(
            r#"{{"bucket_name":"{BUCKET}","object_keys":[{}]}}"#,
            keys.join(",")
        )
    };
    let out = instance
        .invoke(&conn, "delete-objects", &list(MAX_KEYS), None)
        .unwrap();
    let results: serde_json::Value = serde_json::from_str(&out.json).unwrap();
    let results = results["results"].as_array().unwrap();
    assert_eq!(results.len(), MAX_KEYS);
    assert!(
        results.iter().all(|r| r["deleted"] == true),
        "{:?}",
        results.first()
    );
    assert_room(&instance);

    let (field, message) = refusal(instance.invoke(&conn, "delete-objects", &list(MAX_KEYS + 1), None));
    assert!(
        field == "object_keys" && message.starts_with("has 100001 items"),
        "{field}: {message}"
    );
    for count in [MAX_KEYS + 1, 2_000_000] {
        let input = DeleteObjectsInput {
            bucket_name: BUCKET.to_owned(),
            object_keys: (0..count)
                .map(|n| ObjectIdentifier {
                    key: format!("k{n}"),
                    version_id: None,
                })
                .collect(),
        };
        let (field, message) = refusal(instance.delete_objects(&conn, &input));
        assert!(field == "object_keys", "{field}: {message}");
    }
    instance.list_buckets(&conn).unwrap();
}

/// The inputs that take the most memory to read for their length, strings
/// of a few hundred bytes to a few KiB, each held in a block of the next
/// power of two, are refused for what they take once read, without
/// exhausting the component: 48 MiB of keys of 1025 bytes to delete took
/// 244 MiB of its 256 before reading was bounded.
#[test]
fn the_inputs_costliest_to_read_are_refused_with_room_to_spare() {
    use s3_connector::json_value::MAX_HELD;
    use s3_connector_host::instance::MAX_INPUT_TEXT;
    let local = Local::new();
    let conn = local.conn();
    for len in [129, 1025] {
        let mut instance = instance();
        let count = (MAX_INPUT_TEXT - 100) / (len + 12);
        let keys: Vec<String> = (0..count).map(|n| format!(r#"{{"key":"{n:0len$}"}}"#)).collect();
        let input = format!(
            r#"{{"bucket_name":"{BUCKET}","object_keys":[{}]}}"#,
            keys.join(",")
        );
        assert!(input.len() <= MAX_INPUT_TEXT);
        let (field, message) = refusal(instance.invoke(&conn, "delete-objects", &input, None));
        assert!(
            field == "input" && message.contains(&MAX_HELD.to_string()),
            "{field}: {message}"
        );
        assert_room(&instance);
    }
}

/// A JSON input of more values than a call takes is refused for that, not
/// read into a tree many times its size: 400,000 zeros are 800 KB of JSON.
#[test]
fn an_input_of_too_many_values_is_a_typed_error_not_a_trap() {
    use s3_connector::json_value::MAX_VALUES;
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let zeros = vec!["0"; MAX_VALUES].join(",");
    let input = format!(r#"{{"bucket_name":"{BUCKET}","object_path":"k","metadata":[{zeros}]}}"#);
    let (field, message) = refusal(instance.invoke(&conn, "head-object", &input, None));
    assert!(
        field == "input" && message.contains(&format!("{MAX_VALUES} JSON values")),
        "{field}: {message}"
    );
    instance.list_buckets(&conn).unwrap();
}

/// The local server's transport, with each range of a download's batches
/// held `delay` before its first bytes are placed: a slow link, where every
/// range takes longer than a call's whole deadline.
struct SlowRanges {
    inner: s3_connector_host::UreqOutgoing,
    delay: std::time::Duration,
    /// How many ranged GETs were sent, in batches or alone.
    ranges: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl s3_connector_host::Outgoing for SlowRanges {
    fn send(
        &mut self,
        request: s3_connector_host::wit::Request,
    ) -> Result<s3_connector_host::wit::Response, s3_connector_host::wit::TransportError> {
        self.inner.send(request)
    }

    fn set_explicit_endpoint(&mut self, endpoint: Option<&str>) {
        self.inner.set_explicit_endpoint(endpoint);
    }

    fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        self.inner.set_deadline(deadline);
    }

    fn send_into(
        &mut self,
        request: s3_connector_host::wit::Request,
        sink: &mut dyn std::io::Write,
    ) -> Result<s3_connector_host::wit::Response, s3_connector_host::wit::TransportError> {
        self.ranges.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.send_into(request, sink)
    }

    fn send_into_each(
        &mut self,
        requests: Vec<(s3_connector_host::wit::Request, u64)>,
        place: &s3_connector_host::outgoing::PlaceFn<'_>,
    ) -> Vec<Result<(s3_connector_host::wit::Response, u64), s3_connector_host::wit::TransportError>> {
        self.ranges
            .fetch_add(requests.len(), std::sync::atomic::Ordering::Relaxed);
        let starts: std::collections::HashSet<u64> = requests.iter().map(|(_, at)| *at).collect();
        let delay = self.delay;
        let slow = |offset: u64, bytes: &[u8]| {
            if starts.contains(&offset) {
                std::thread::sleep(delay);
            }
            place(offset, bytes)
        };
        self.inner.send_into_each(requests, &slow)
    }
}

#[test]
fn a_download_batch_outlasting_the_call_deadline_goes_on_while_ranges_complete() {
    // 96 MiB are twelve ranges: the first alone, then eleven in one batch,
    // ten at a time. Each batch range takes 1.1 s against a deadline of
    // 1 s: the eleventh starts only after the first ten complete, past the
    // deadline the batch began with, which their completions moved on. Had
    // it not moved, the eleventh would fail and be sent again.
    let local = Local::new();
    let conn = local.conn();
    let bytes = content(96 * MIB);
    put_from_source(&mut instance(), &conn, "slow.bin", &bytes);
    let ranges = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let slow = SlowRanges {
        inner: s3_connector_host::UreqOutgoing::default(),
        delay: std::time::Duration::from_millis(1100),
        ranges: std::sync::Arc::clone(&ranges),
    };
    let options = InstanceOptions::new(slow).with_call_timeout(std::time::Duration::from_secs(1));
    let mut instance = common::runtime().instance(options).unwrap();
    let started = std::time::Instant::now();
    let back = read_back(&mut instance, &conn, BUCKET, "slow.bin");
    assert!(back == bytes, "the object read back differs");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(2200),
        "the ranges were not held: {:?}",
        started.elapsed()
    );
    assert_eq!(
        ranges.load(std::sync::atomic::Ordering::Relaxed),
        12,
        "a range was sent more than once"
    );
}

/// A typed call whose fields would not fit in the component's memory is
/// refused by the host before they are copied in, as the JSON face's are:
/// a 300 MB object key (S3 takes 1024 bytes) trapped the component on the
/// way in and poisoned the instance, before it could say the key was too
/// long. Lists count by their items: a million and a half empty metadata
/// entries are refused too. A key merely too long for S3 still reaches the
/// component, which names its field.
#[test]
fn a_typed_input_too_large_for_memory_is_refused_before_it_is_copied() {
    use s3_connector_host::instance::MAX_CALL_INPUT;
    use s3_connector_host::wit::ObjectRef;
    let local = Local::new();
    let conn = local.conn();
    let mut instance = instance();
    let key = "k".repeat(300_000_000);
    let text = PutObjectTextInput {
        bucket_name: BUCKET.to_owned(),
        object_path: key.clone(),
        content: "x".to_owned(),
        mime_type: None,
        acl: None,
        metadata: vec![],
    };
    let (field, message) = refusal(instance.put_object_text(&conn, &text));
    assert!(
        field == "input" && message.contains(&MAX_CALL_INPUT.to_string()),
        "{field}: {message}"
    );
    drop(text);
    let object = ObjectRef {
        bucket_name: BUCKET.to_owned(),
        object_path: key,
        version_id: None,
    };
    let (field, message) = refusal(instance.head_object(&conn, &object));
    assert!(field == "input", "{field}: {message}");
    drop(object);

    let text = PutObjectTextInput {
        bucket_name: BUCKET.to_owned(),
        object_path: "many.txt".to_owned(),
        content: "x".to_owned(),
        mime_type: None,
        acl: None,
        metadata: vec![(String::new(), String::new()); 1_500_000],
    };
    let (field, message) = refusal(instance.put_object_text(&conn, &text));
    assert!(field == "input", "{field}: {message}");
    drop(text);

    let object = ObjectRef {
        bucket_name: BUCKET.to_owned(),
        object_path: "k".repeat(2000),
        version_id: None,
    };
    let (field, message) = refusal(instance.head_object(&conn, &object));
    assert!(field == "object_path", "{field}: {message}");
    instance.list_buckets(&conn).unwrap();
}
