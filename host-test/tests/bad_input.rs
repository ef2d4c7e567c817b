//! Bad inputs through the `s3-connector` binary, as a user types them: each
//! is refused before anything is sent, with one JSON error on stderr whose
//! `kind` is `invalid-input` and whose `field` names the field at fault.
//! The endpoint is a server that counts requests; it must count none.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::fake_server::{ok, FakeServer, Script};
use common::wasm_path;
use serde_json::{json, Value};

const AWS_VARS: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
];

/// The binary with credentials in the environment, nothing else from AWS.
fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
    for var in AWS_VARS {
        command.env_remove(var);
    }
    // No AWS configuration files of the machine's: only what a test gives.
    command
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws/credentials");
    command
        .env("S3_CONNECTOR_WASM", wasm_path())
        .env("AWS_ACCESS_KEY_ID", "AKIABADINPUT00000001")
        .env("AWS_SECRET_ACCESS_KEY", "bad/input/secret/key/000000000000000000")
        .stdin(Stdio::null());
    command
}

/// One bad input: the operation, extra flags, the input text, and the field
/// the error must name.
struct Case {
    operation: &'static str,
    flags: &'static [&'static str],
    input: String,
    field: &'static str,
}

fn case(operation: &'static str, input: Value, field: &'static str) -> Case {
    Case {
        operation,
        flags: &[],
        input: input.to_string(),
        field,
    }
}

fn cases() -> Vec<Case> {
    let long_key = "k".repeat(1025);
    vec![
        // Bucket names.
        case("list-objects", json!({"bucket_name": "MyBucket"}), "bucket_name"),
        case("list-objects", json!({"bucket_name": "ab"}), "bucket_name"),
        case(
            "get-object",
            json!({"bucket_name": "192.168.1.1", "object_path": "k"}),
            "bucket_name",
        ),
        case(
            "head-object",
            json!({"bucket_name": "my-bucket ", "object_path": "k"}),
            "bucket_name",
        ),
        case(
            "get-bucket-location",
            json!({"bucket_name": "Bad_Bucket"}),
            "bucket_name",
        ),
        case(
            "delete-objects",
            json!({"bucket_name": "-bucket", "object_keys": [{"key": "k"}]}),
            "bucket_name",
        ),
        // Keys.
        case(
            "get-object",
            json!({"bucket_name": "my-bucket", "object_path": ""}),
            "object_path",
        ),
        case(
            "put-object-text",
            json!({"bucket_name": "my-bucket", "object_path": long_key, "content": "x"}),
            "object_path",
        ),
        case(
            "delete-object",
            json!({"bucket_name": "my-bucket"}),
            "object_path",
        ),
        // Signed URLs.
        case(
            "get-object-signed-url",
            json!({"bucket_name": "my-bucket", "object_path": "k", "expires_seconds": 0}),
            "expires_seconds",
        ),
        case(
            "get-object-signed-url",
            json!({"bucket_name": "my-bucket", "object_path": "k", "expires_seconds": 604_801}),
            "expires_seconds",
        ),
        // ACL, mime type and metadata.
        case(
            "put-object-text",
            json!({"bucket_name": "my-bucket", "object_path": "k", "content": "x",
                "acl": "world-writable"}),
            "acl",
        ),
        case(
            "put-object-acl",
            json!({"bucket_name": "my-bucket", "object_path": "k", "acl": "PUBLIC"}),
            "acl",
        ),
        case(
            "put-object-text",
            json!({"bucket_name": "my-bucket", "object_path": "k", "content": "x",
                "mime_type": "not a mime type"}),
            "mime_type",
        ),
        case(
            "put-object-text",
            json!({"bucket_name": "my-bucket", "object_path": "k", "content": "x",
                "mime_type": "text/plain\r\nx-amz-acl: public-read"}),
            "mime_type",
        ),
        case(
            "put-object-text",
            json!({"bucket_name": "my-bucket", "object_path": "k", "content": "x",
                "metadata": {"bad name": "v"}}),
            "metadata",
        ),
        // Batches and pages.
        case(
            "delete-objects",
            json!({"bucket_name": "my-bucket", "object_keys": []}),
            "object_keys",
        ),
        case(
            "list-objects",
            json!({"bucket_name": "my-bucket", "max_keys": 0}),
            "max_keys",
        ),
        case(
            "list-objects",
            json!({"bucket_name": "my-bucket", "max_keys": 1001}),
            "max_keys",
        ),
        // Ranges.
        case(
            "get-object",
            json!({"bucket_name": "my-bucket", "object_path": "k", "range": {"from": 10, "to": 2}}),
            "range",
        ),
        // Shape of the JSON.
        case(
            "list-objects",
            json!({"bucket_name": "my-bucket", "prefx": "a"}),
            "prefx",
        ),
        case("list-buckets", json!({"bucket_name": "my-bucket"}), "bucket_name"),
        case(
            "list-objects",
            json!({"bucket_name": "my-bucket", "max_keys": "ten"}),
            "max_keys",
        ),
        case("get-bucket-location", json!({"bucket_name": 42}), "bucket_name"),
        case(
            "get-object-signed-url",
            json!({"bucket_name": "my-bucket", "object_path": "k", "expires_seconds": "soon"}),
            "expires_seconds",
        ),
        Case {
            operation: "list-objects",
            flags: &[],
            input: r#"{"bucket_name": "my-bucket""#.to_owned(),
            field: "input",
        },
        Case {
            operation: "list-objects",
            flags: &[],
            input: r#"["my-bucket"]"#.to_owned(),
            field: "input",
        },
        // The connection.
        Case {
            operation: "list-buckets",
            flags: &["--region", "EU West"],
            input: "{}".to_owned(),
            field: "region",
        },
        case("list-buckets", json!({"region": "eu_west_1"}), "region"),
        case("list-buckets", json!({"endpoint": "ftp://x"}), "endpoint"),
        case("list-buckets", json!({"endpoint": "minio:9000"}), "endpoint"),
        case(
            "list-buckets",
            json!({"endpoint": "http://user:pw@minio:9000"}),
            "endpoint",
        ),
        case("list-buckets", json!({"secret_key": 12345}), "secret_key"),
        // A line break or other control character in a credential or the
        // endpoint would split a header: refused as input, not sent.
        case(
            "list-buckets",
            json!({"secret_key": "pasted/secret\n"}),
            "secret_key",
        ),
        case(
            "list-buckets",
            json!({"access_key": "AKIA\r\nX-Injected: 1", "secret_key": "s3cr3t/key"}),
            "access_key",
        ),
        case(
            "list-buckets",
            json!({"session_token": "IQoJ\r\ntoken"}),
            "session_token",
        ),
        case(
            "list-buckets",
            json!({"session_token": "IQoJ\u{0}token"}),
            "session_token",
        ),
        case(
            "list-buckets",
            json!({"endpoint": "http://min\r\nio:9000"}),
            "endpoint",
        ),
        case(
            "get-object-signed-url",
            json!({"bucket_name": "my-bucket", "object_path": "k", "secret_key": "tab\tsecret"}),
            "secret_key",
        ),
    ]
}

/// Runs `case` against a fresh counting server; returns its output and the
/// requests the server counted.
fn run(case: &Case) -> (Output, usize) {
    let server = FakeServer::start(Script::always(ok::list_buckets()));
    let mut command = command();
    command.args(["--endpoint", server.endpoint()]);
    if !case.flags.contains(&"--region") {
        command.args(["--region", "us-east-1"]);
    }
    let output = command
        .args(case.flags)
        .args([case.operation, "--input", &case.input])
        .output()
        .unwrap();
    (output, server.count())
}

#[test]
fn every_bad_input_is_refused_naming_its_field_and_nothing_is_sent() {
    let cases = cases();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| scope.spawn(move || (case, run(case))))
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| {
                let (case, (output, requests)) = handle.join().unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr);
                let error: Value = serde_json::from_str(stderr.trim()).unwrap_or(Value::Null);
                let error = &error["error"];
                let good = output.status.code() == Some(1)
                    && output.stdout.is_empty()
                    && error["kind"] == "invalid-input"
                    && error["field"] == case.field
                    && error["message"].as_str().is_some_and(|m| !m.is_empty())
                    && requests == 0;
                (!good).then(|| {
                    format!(
                        "{} {:?} {}: exit {:?}, {requests} request(s), stderr {stderr}",
                        case.operation,
                        case.flags,
                        case.input.chars().take(120).collect::<String>(),
                        output.status.code()
                    )
                })
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_refused_value_that_is_a_secret_is_not_echoed() {
    let (output, _) = run(&case(
        "list-buckets",
        json!({"secret_key": ["my", "secret", "SECRETWORD"]}),
        "secret_key",
    ));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("SECRETWORD"));
}

#[test]
fn unknown_operation_is_a_usage_error_and_sends_nothing() {
    let server = FakeServer::start(Script::always(ok::list_buckets()));
    let output = command()
        .args(["--endpoint", server.endpoint(), "list-everything"])
        .output()
        .unwrap();
    // Refused by the argument parser, with the valid names listed.
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("list-objects"), "{stderr}");
    assert_eq!(server.count(), 0);
}

#[test]
fn unknown_operation_in_a_batch_is_invalid_input_naming_the_operation() {
    let server = FakeServer::start(Script::always(ok::list_buckets()));
    let mut child = command()
        .args(["--endpoint", server.endpoint(), "--region", "us-east-1", "batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = [
        json!({"operation": "list-everything", "input": {}}),
        json!({"operation": "list-objects", "input": {"bucket_name": "Bad Bucket"}}),
        json!({"operation": "list-objects"}),
    ];
    {
        let mut stdin = child.stdin.take().unwrap();
        for line in &lines {
            writeln!(stdin, "{line}").unwrap();
        }
        writeln!(stdin, "{{not json").unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let errors: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["error"].clone())
        .collect();
    assert_eq!(errors.len(), 4, "{stdout}");
    for error in &errors {
        assert_eq!(error["kind"], "invalid-input", "{stdout}");
    }
    assert_eq!(errors[0]["field"], "operation", "{stdout}");
    assert_eq!(errors[1]["field"], "bucket_name", "{stdout}");
    assert_eq!(server.count(), 0);
}
