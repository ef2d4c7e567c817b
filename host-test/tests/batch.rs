//! `s3-connector batch` through the binary against `--local`: one JSON line
//! out per operation in, errors as lines, the exit code says if any failed.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::wasm_path;
use serde_json::{json, Value};

const BUCKET: &str = "batch-bucket";

/// Runs `s3-connector [flags] batch` with `lines` on stdin, AWS variables
/// cleared.
fn batch(flags: &[&str], lines: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3-connector"))
        .env_clear()
        .env("S3_CONNECTOR_WASM", wasm_path())
        .args(flags)
        .arg("batch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A batch refused up front exits without reading: the pipe may be closed.
    let _ = child.stdin.take().unwrap().write_all(lines.as_bytes());
    let output = child.wait_with_output().unwrap();
    // A dry run prints requests, not results.
    if !flags.contains(&"--dry-run") {
        check_outputs(lines, &output);
    }
    output
}

/// Checks each successful result against its operation's output schema:
/// one output line per input line, in order, when the batch ran.
fn check_outputs(lines: &str, output: &Output) {
    let inputs: Vec<Value> = lines
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or(Value::Null))
        .collect();
    let outputs: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or(Value::Null))
        .collect();
    if inputs.len() != outputs.len() {
        return;
    }
    for (input, output) in inputs.iter().zip(&outputs) {
        if let (Some(operation), false) = (input["operation"].as_str(), output.get("error").is_some()) {
            if s3_connector_host::cli::operations().any(|op| op == operation) {
                common::schema::check_output(operation, output);
            }
        }
    }
}

/// Runs a batch against a fresh local server holding [`BUCKET`].
fn local_batch(dir: &std::path::Path, lines: &str) -> Output {
    let root = dir.join("s3");
    batch(
        &["--local", root.to_str().unwrap(), "--create-bucket", BUCKET],
        lines,
    )
}

/// The stdout lines, each parsed.
fn results(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn line(operation: &str, input: Value) -> String {
    json!({"operation": operation, "input": input}).to_string()
}

#[test]
fn operations_run_in_order_with_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("notes.bin");
    std::fs::write(&upload, [0u8, 159, 146, 150]).unwrap();
    let saved = dir.path().join("saved.txt");
    let lines = [
        line(
            "put-object-text",
            json!({"bucket_name": BUCKET, "object_path": "a.txt", "content": "first ✓"}),
        ),
        json!({"operation": "put-object-file", "input": {"bucket_name": BUCKET},
            "file": upload.to_str().unwrap()})
        .to_string(),
        String::new(),
        line("list-objects", json!({"bucket_name": BUCKET})),
        line(
            "get-object",
            json!({"bucket_name": BUCKET, "object_path": "a.txt"}),
        ),
        json!({"operation": "get-object", "input": {"bucket_name": BUCKET, "object_path": "a.txt"},
            "output": saved.to_str().unwrap()})
        .to_string(),
        line(
            "get-object",
            json!({"bucket_name": BUCKET, "object_path": "notes.bin"}),
        ),
        line(
            "head-object",
            json!({"bucket_name": BUCKET, "object_path": "a.txt"}),
        ),
        "   ".to_owned(),
        line(
            "delete-object",
            json!({"bucket_name": BUCKET, "object_path": "a.txt"}),
        ),
        line("list-objects", json!({"bucket_name": BUCKET})),
        line("list-buckets", json!({})),
    ]
    .join("\n");
    let output = local_batch(dir.path(), &lines);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = results(&output);
    assert_eq!(
        results.len(),
        10,
        "one line per operation, blank lines skipped: {results:?}"
    );
    assert_eq!(results[0]["key"], "a.txt");
    assert_eq!(
        results[1]["key"], "notes.bin",
        "the file's name is the default key"
    );
    let keys: Vec<&Value> = results[2]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["key"])
        .collect();
    assert_eq!(keys, [&json!("a.txt"), &json!("notes.bin")]);
    assert_eq!(results[3]["content"], "first ✓");
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "first ✓");
    assert_eq!(results[4]["output_file"], saved.to_str().unwrap());
    assert!(results[4].get("content").is_none());
    assert_eq!(results[5]["content_base64"], "AJ+Slg==");
    assert_eq!(results[6]["content_length"], 9);
    let keys: Vec<&Value> = results[8]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["key"])
        .collect();
    assert_eq!(keys, [&json!("notes.bin")], "deleted in between");
    assert!(results[9]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["name"] == BUCKET));
}

#[test]
fn malformed_and_failing_lines_are_error_lines_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        "{not json".to_owned(),
        line(
            "put-object-text",
            json!({"bucket_name": BUCKET, "object_path": "k", "content": "v"}),
        ),
        json!({"operation": "no-such-operation"}).to_string(),
        line(
            "get-object",
            json!({"bucket_name": BUCKET, "object_path": "missing"}),
        ),
        line("get-object", json!({"bucket_name": BUCKET})),
        line(
            "list-objects",
            json!({"bucket_name": BUCKET, "secret_key": "not-the-secret"}),
        ),
        line("get-object", json!({"bucket_name": BUCKET, "object_path": "k"})),
    ]
    .join("\n");
    let output = local_batch(dir.path(), &format!("{lines}\n"));
    assert_eq!(output.status.code(), Some(1), "any failure exits 1");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = results(&output);
    assert_eq!(results.len(), 7, "{results:?}");

    assert_eq!(results[0]["error"]["kind"], "invalid-input");
    assert_eq!(results[0]["error"]["field"], "line");
    assert!(results[0]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("line 1"));
    assert_eq!(results[1]["key"], "k");
    assert_eq!(results[2]["error"]["field"], "operation");
    assert_eq!(results[3]["error"]["kind"], "service");
    assert_eq!(results[3]["error"]["code"], "no-such-key");
    assert_eq!(results[4]["error"]["kind"], "invalid-input");
    assert_eq!(results[4]["error"]["field"], "object_path");
    assert_eq!(results[5]["error"]["code"], "signature-does-not-match");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("not-the-secret"));
    assert_eq!(
        results[6]["content"], "v",
        "a failed line leaves the instance usable"
    );

    // Error lines have the shape a single call prints on stderr: kind first.
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text
        .lines()
        .nth(3)
        .unwrap()
        .starts_with(r#"{"error":{"kind":"service","#));
}

/// A line whose input is too long for the component's memory is an error
/// line naming the input, not a trap, and the batch goes on. 11 MiB of
/// control characters are 66 MiB of JSON (each is written `\u0001`); before
/// the host refused such inputs, 30 MB of them trapped the component.
#[test]
fn an_input_too_long_for_memory_is_an_error_line_and_the_batch_goes_on() {
    use s3_connector_host::instance::MAX_INPUT_TEXT;
    let dir = tempfile::tempdir().unwrap();
    let content = "\u{1}".repeat(MAX_INPUT_TEXT / 6 + 1);
    let lines = [
        line(
            "put-object-text",
            json!({"bucket_name": BUCKET, "object_path": "long", "content": content}),
        ),
        line("list-objects", json!({"bucket_name": BUCKET})),
    ]
    .join("\n");
    let output = local_batch(dir.path(), &format!("{lines}\n"));
    assert_eq!(output.status.code(), Some(1));
    let results = results(&output);
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0]["error"]["kind"], "invalid-input");
    assert_eq!(results[0]["error"]["field"], "input");
    let message = results[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&MAX_INPUT_TEXT.to_string()) && message.contains("--file"),
        "{message}"
    );
    assert_eq!(results[1]["objects"], json!([]), "nothing was written");
}

#[test]
fn empty_batch_succeeds_with_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let output = local_batch(dir.path(), "\n\n");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
}

#[test]
fn single_call_flags_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s3");
    let output = batch(
        &["--local", root.to_str().unwrap(), "--input", "{}"],
        &line("list-buckets", json!({})),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(error["error"]["field"], "input");
}

#[test]
fn missing_credentials_fail_each_line_not_the_batch() {
    let output = batch(&["--region", "eu-west-1"], &line("list-buckets", json!({})));
    assert_eq!(output.status.code(), Some(1));
    let results = results(&output);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["error"]["field"], "access_key");
}

#[test]
fn dry_run_prints_the_requests_and_sends_nothing() {
    let lines = [
        line(
            "list-buckets",
            json!({"access_key": "AKID", "secret_key": "SECRET"}),
        ),
        line(
            "head-object",
            json!({"access_key": "AKID", "secret_key": "SECRET", "bucket_name": "bkt", "object_path": "k"}),
        ),
    ]
    .join("\n");
    let output = batch(
        &[
            "--dry-run",
            "--now",
            "2013-05-24T00:00:00Z",
            "--region",
            "eu-west-1",
        ],
        &lines,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let requests = results(&output);
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0]["method"], "GET");
    assert_eq!(requests[1]["method"], "HEAD");
    assert!(requests[1]["url"]
        .as_str()
        .unwrap()
        .contains("bkt.s3.eu-west-1.amazonaws.com"));
    assert!(!String::from_utf8_lossy(&output.stdout).contains("SECRET"));
}
