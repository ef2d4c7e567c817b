//! Every operation end to end through the `s3-connector` binary, as a user
//! runs it.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

use common::{wasm_path, Local, BUCKET};
use serde_json::{json, Value};

const AWS_VARS: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
];

/// The binary with a clean AWS environment and the component under test.
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
    command.env("S3_CONNECTOR_WASM", wasm_path());
    command
}

/// Runs the binary against `local`'s server, credentials from the
/// environment, and the endpoint and region as flags.
/// A successful operation's output is checked against the manifest's
/// output schema.
fn run(local: &Local, args: &[&str]) -> Output {
    let output = command()
        .env("AWS_ACCESS_KEY_ID", local.server.access_key())
        .env("AWS_SECRET_ACCESS_KEY", local.server.secret_key())
        .args(["--endpoint", local.server.endpoint(), "--region", "us-east-1"])
        .args(args)
        .output()
        .unwrap();
    let operation = args
        .iter()
        .find(|arg| s3_connector_host::cli::operations().any(|op| op == **arg));
    if let (true, Some(operation)) = (output.status.success(), operation) {
        if let Ok(json) = serde_json::from_slice::<Value>(&output.stdout) {
            common::schema::check_output(operation, &json);
        }
    }
    output
}

/// The stdout of a successful run, as JSON.
fn ok(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The `error` object of a failed run (exit 1, nothing on stdout).
fn failed(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(output.stdout.is_empty());
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    error["error"].clone()
}

fn input(value: Value) -> String {
    value.to_string()
}

#[test]
fn every_operation_through_the_cli() {
    let local = Local::new();
    let dir = tempfile::tempdir().unwrap();

    let put = ok(&run(
        &local,
        &[
            "put-object-text",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "docs/readme.txt",
                "content": "plain text ✓"})),
        ],
    ));
    assert_eq!(put["key"], "docs/readme.txt");

    let file = dir.path().join("photo.bin");
    let bytes: Vec<u8> = (0..=255u8).rev().cycle().take(70_000).collect();
    std::fs::write(&file, &bytes).unwrap();
    let put = ok(&run(
        &local,
        &[
            "put-object-file",
            "--input",
            &input(json!({"bucket_name": BUCKET})),
            "--file",
            file.to_str().unwrap(),
        ],
    ));
    assert_eq!(put["key"], "photo.bin", "the file's name is the default key");

    let listed = ok(&run(
        &local,
        &["list-objects", "--input", &input(json!({"bucket_name": BUCKET}))],
    ));
    let keys: Vec<&str> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["docs/readme.txt", "photo.bin"]);

    let head = ok(&run(
        &local,
        &[
            "head-object",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "photo.bin"})),
        ],
    ));
    assert_eq!(head["content_length"], 70_000);

    let got = ok(&run(
        &local,
        &[
            "get-object",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "docs/readme.txt"})),
        ],
    ));
    assert_eq!(got["content"], "plain text ✓");

    let got = ok(&run(
        &local,
        &[
            "get-object",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "photo.bin",
                "range": {"from": 0, "to": 3}})),
        ],
    ));
    assert_eq!(got["content_base64"], "//79/A==", "{got}");

    let out = dir.path().join("downloaded.bin");
    ok(&run(
        &local,
        &[
            "get-object",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "photo.bin"})),
            "--output",
            out.to_str().unwrap(),
        ],
    ));
    assert!(std::fs::read(&out).unwrap() == bytes, "downloaded bytes differ");

    let signed = ok(&run(
        &local,
        &[
            "get-object-signed-url",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "docs/readme.txt",
                "expires_seconds": 600})),
        ],
    ));
    let url = signed["file"]["url"].as_str().unwrap();
    let mut response = ureq::get(url).call().unwrap();
    assert_eq!(response.body_mut().read_to_string().unwrap(), "plain text ✓");

    let location = ok(&run(
        &local,
        &[
            "get-bucket-location",
            "--input",
            &input(json!({"bucket_name": BUCKET})),
        ],
    ));
    assert_eq!(location["result"], "us-east-1", "{location}");

    let acl = ok(&run(
        &local,
        &[
            "put-object-acl",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "photo.bin",
                "acl": "public-read"})),
        ],
    ));
    assert_eq!(acl["success"], true, "{acl}");

    let deleted = ok(&run(
        &local,
        &[
            "delete-object",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "photo.bin"})),
        ],
    ));
    assert_eq!(deleted["success"], true);
    let gone = failed(&run(
        &local,
        &[
            "head-object",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "photo.bin"})),
        ],
    ));
    assert_eq!(gone["kind"], "service");
    assert_eq!(gone["code"], "no-such-key");

    let deleted = ok(&run(
        &local,
        &[
            "delete-objects",
            "--input",
            &input(json!({"bucket_name": BUCKET,
                "object_keys": [{"key": "docs/readme.txt"}, {"key": "not-there"}]})),
        ],
    ));
    assert_eq!(deleted["deleted"], 2, "{deleted}");
    let listed = ok(&run(
        &local,
        &["list-objects", "--input", &input(json!({"bucket_name": BUCKET}))],
    ));
    assert_eq!(listed["objects"], json!([]));

    let buckets = ok(&run(&local, &["list-buckets"]));
    assert_eq!(buckets["buckets"][0]["name"], BUCKET);
    let ddl = ok(&run(&local, &["list-buckets-ddl"]));
    assert_eq!(ddl["result"], json!([{"text": BUCKET, "value": BUCKET}]));
}

#[test]
fn local_flag_starts_a_server_and_creates_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let local = |args: &[&str]| {
        command()
            .args(["--local", root.to_str().unwrap()])
            .args(["--create-bucket", "one-bucket"])
            .args(args)
            .output()
            .unwrap()
    };
    let buckets = ok(&local(&["list-buckets"]));
    assert_eq!(buckets["buckets"][0]["name"], "one-bucket");
    assert!(root.join("one-bucket").is_dir());
    ok(&local(&[
        "put-object-text",
        "--input",
        r#"{"bucket_name": "one-bucket", "object_path": "k", "content": "kept"}"#,
    ]));
    let got = ok(&local(&[
        "get-object",
        "--input",
        r#"{"bucket_name": "one-bucket", "object_path": "k"}"#,
    ]));
    assert_eq!(got["content"], "kept", "the directory keeps objects between runs");
}

#[test]
fn a_local_directory_or_bucket_that_cannot_be_served_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let output = command()
        .args(["--local", file.to_str().unwrap(), "list-buckets"])
        .output()
        .unwrap();
    let error = failed(&output);
    assert_eq!(error["kind"], "host", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("bad host configuration: cannot start the local S3 server on"),
        "{message}"
    );
    assert!(message.ends_with("a-file: not a directory"), "{message}");
    let output = command()
        .args([
            "--local",
            dir.path().to_str().unwrap(),
            "--create-bucket",
            "ab",
            "list-buckets",
        ])
        .output()
        .unwrap();
    let error = failed(&output);
    assert_eq!(error["kind"], "invalid-input", "{error}");
    assert_eq!(error["field"], "create-bucket", "{error}");
    assert_eq!(
        error["message"], "`ab` must be 3 to 63 characters long",
        "{error}"
    );
}

#[test]
fn local_server_credentials_are_new_each_run_and_printed_only_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        command()
            .args(["--local", dir.path().to_str().unwrap(), "list-buckets"])
            .args(extra)
            .output()
            .unwrap()
    };
    let credentials = |output: &Output| -> Value {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let line = stderr.lines().find(|l| l.contains("local_server")).unwrap();
        serde_json::from_str::<Value>(line).unwrap()["local_server"].clone()
    };
    let (first, second) = (
        run(&["--print-local-credentials"]),
        run(&["--print-local-credentials"]),
    );
    assert!(first.status.success(), "{first:?}");
    let (a, b) = (credentials(&first), credentials(&second));
    assert_ne!(a["secret_key"], b["secret_key"]);
    assert_ne!(a["access_key"], b["access_key"]);
    let secret = a["secret_key"].as_str().unwrap();
    assert_eq!(secret.len(), 40);
    assert!(!String::from_utf8_lossy(&first.stdout).contains(secret));
    let quiet = run(&[]);
    ok(&quiet);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("local_server"));
}

#[test]
fn a_download_that_cannot_be_written_names_the_file_and_the_os_error() {
    let local = Local::new();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.bin");
    std::fs::write(&source, vec![7u8; 12 << 20]).unwrap();
    let put = run(
        &local,
        &[
            "put-object-file",
            "--quiet",
            "--file",
            source.to_str().unwrap(),
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "big.bin"})),
        ],
    );
    ok(&put);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let output_path = out_dir.join("big.bin");
    // A file size limit of 4 MiB for the CLI (SIGXFSZ ignored, so that the
    // write fails with EFBIG instead of killing it), as a full disk would.
    let command = command();
    let script = "trap '' XFSZ; ulimit -f 4096; exec \"$0\" \"$@\"";
    let output = Command::new("bash")
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("AWS_ACCESS_KEY_ID", local.server.access_key())
        .env("AWS_SECRET_ACCESS_KEY", local.server.secret_key())
        .args(["-c", script, command.get_program().to_str().unwrap()])
        .args([
            "--endpoint",
            local.server.endpoint(),
            "--region",
            "us-east-1",
            "get-object",
            "--quiet",
        ])
        .args(["--output", output_path.to_str().unwrap(), "--input"])
        .arg(input(json!({"bucket_name": BUCKET, "object_path": "big.bin"})))
        .output()
        .unwrap();
    let error = failed(&output);
    assert_eq!(error["kind"], "local-file", "{error}");
    assert_eq!(error["action"], "write");
    assert_eq!(error["path"], output_path.to_str().unwrap());
    assert_eq!(error["os_error"], 27, "EFBIG: {error}");
    // Nothing is left behind: no file at the path, no temporary beside it.
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0);
}

#[test]
fn results_keep_the_declared_field_order_one_line_for_a_program() {
    let local = Local::new();
    ok(&run(
        &local,
        &[
            "put-object-text",
            "--input",
            &input(json!({"bucket_name": BUCKET, "object_path": "k", "content": "v"})),
        ],
    ));
    let object = input(json!({"bucket_name": BUCKET, "object_path": "k"}));
    let output = run(&local, &["head-object", "--input", &object]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        1,
        "stdout is no terminal here: one line\n{text}"
    );
    // The WIT's order of object-metadata, not the alphabet's.
    let declared = [
        "content_type",
        "content_length",
        "etag",
        "last_modified",
        "version_id",
        "metadata",
        "region",
    ];
    let at: Vec<usize> = declared
        .iter()
        .map(|field| {
            text.find(&format!("\"{field}\""))
                .unwrap_or_else(|| panic!("{field} in {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    let pretty = run(&local, &["head-object", "--pretty", "--input", &object]);
    assert!(String::from_utf8(pretty.stdout).unwrap().lines().count() > 5);
}

#[test]
fn shell_completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = command().args(["--completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(
            script.contains("put-object-file") && script.contains("--output"),
            "{shell}: {script}"
        );
    }
}

#[test]
fn list_buckets_with_no_bucket() {
    let local = Local::with_buckets(&[]);
    assert_eq!(ok(&run(&local, &["list-buckets"]))["buckets"], json!([]));
}

#[test]
fn wrong_secret_is_refused_and_never_printed() {
    let local = Local::new();
    let secret = "WRONGwrongWRONGwrongWRONGwrongWRONGwrong";
    let output = run(
        &local,
        &[
            "list-buckets",
            "--input",
            &input(json!({"access_key": local.server.access_key(), "secret_key": secret})),
        ],
    );
    let error = failed(&output);
    assert_eq!(error["code"], "signature-does-not-match", "{error}");
    assert_eq!(error["status"], 403);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(secret));
    assert!(stderr.starts_with(r#"{"error":{"kind":"service","#), "{stderr}");
}

#[test]
fn missing_bucket_and_bad_input_are_typed_errors() {
    let local = Local::new();
    let error = failed(&run(
        &local,
        &[
            "list-objects",
            "--input",
            &input(json!({"bucket_name": "no-such-bucket"})),
        ],
    ));
    assert_eq!(error["code"], "no-such-bucket", "{error}");
    let error = failed(&run(
        &local,
        &[
            "list-objects",
            "--input",
            &input(json!({"bucket_name": BUCKET, "prefx": "a"})),
        ],
    ));
    assert_eq!(error["kind"], "invalid-input");
    assert_eq!(error["field"], "prefx");
    let error = failed(&run(&local, &["list-objects", "--input", "not json"]));
    assert_eq!(error["field"], "input");
}

#[test]
fn usage_error_exits_2() {
    let output = command().arg("no-such-operation").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = command()
        .args(["--create-bucket", "b", "list-buckets"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn missing_component_says_how_to_build_it() {
    let output = command()
        .args(["--wasm", "/nonexistent/s3_connector.wasm", "list-buckets"])
        .args(["--input", r#"{"access_key": "a", "secret_key": "b"}"#])
        .output()
        .unwrap();
    let error = failed(&output);
    assert_eq!(error["kind"], "host");
    assert!(
        error["message"].as_str().unwrap().contains("make build"),
        "{error}"
    );
}

/// AWS's documented example credentials.
const EXAMPLE_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn dry_run(operation: &str, fields: Value) -> Output {
    let mut fields = fields;
    fields["access_key"] = json!(EXAMPLE_KEY);
    fields["secret_key"] = json!(EXAMPLE_SECRET);
    fields["session_token"] = json!("SESSION-TOKEN-VALUE");
    fields["region"] = json!("us-east-1");
    command()
        .args(["--dry-run", "--now", "2013-05-24T00:00:00Z", operation])
        .args(["--input", &fields.to_string()])
        .output()
        .unwrap()
}

#[test]
fn dry_run_prints_one_exact_line_per_request_and_sends_nothing() {
    let output = dry_run(
        "put-object-text",
        json!({"bucket_name": "examplebucket", "object_path": "a b/c.txt", "content": "hi"}),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let line = lines[0];
    assert!(
        line.starts_with(
            r#"{"method":"PUT","url":"https://examplebucket.s3.us-east-1.amazonaws.com/a%20b/c.txt","headers":[["#
        ),
        "{line}"
    );
    // sha256("hi")
    assert!(
        line.ends_with(
            r#"]],"body_sha256":"8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4","body_len":2}"#
        ),
        "{line}"
    );
    let parsed: Value = serde_json::from_str(line).unwrap();
    let headers: Vec<(String, String)> = serde_json::from_value(parsed["headers"].clone()).unwrap();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(header("x-amz-date"), Some("20130524T000000Z"));
    assert_eq!(header("x-amz-security-token"), Some("****"));
    let authorization = header("authorization").unwrap();
    assert!(
        authorization.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        ),
        "{authorization}"
    );
    assert!(!stdout.contains(EXAMPLE_SECRET) && !stdout.contains("SESSION-TOKEN-VALUE"));
}

#[test]
fn dry_run_is_reproducible() {
    let fields = json!({"bucket_name": "examplebucket", "object_path": "test.txt",
        "range": {"from": 0, "to": 9}});
    let first = dry_run("get-object", fields.clone());
    let second = dry_run("get-object", fields);
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn dry_run_of_a_signed_url_prints_the_result() {
    let output = dry_run(
        "get-object-signed-url",
        json!({"bucket_name": "examplebucket", "object_path": "test.txt",
            "expires_seconds": 86400}),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // First the one request the component would send: the HEAD that checks
    // the bucket's region (not sent, so the region given is used), then the URL.
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let (probe, result) = stdout.split_once('\n').unwrap();
    assert!(
        probe.starts_with(
            r#"{"method":"HEAD","url":"https://examplebucket.s3.us-east-1.amazonaws.com/test.txt""#
        ),
        "{probe}"
    );
    let result: Value = serde_json::from_str(result).unwrap();
    let url = result["file"]["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Date=20130524T000000Z"), "{url}");
    assert!(url.contains("X-Amz-Expires=86400"), "{url}");
    // A presigned URL made with temporary credentials must carry the session
    // token (S3 needs it); the secret key itself is never in it.
    assert!(!String::from_utf8_lossy(&output.stdout).contains(EXAMPLE_SECRET));
}
