//! The secret key and the session token are never printed: every operation
//! is run through the binary (success, S3 error, transport error, bad input,
//! dry run, a wrong secret against a server that checks signatures, a host
//! error, a batch, a server whose messages repeat the secrets, a usage error
//! quoting a misplaced input) and through the library (a timeout, a trap) with
//! distinctive credentials, and everything it printed or returned is
//! searched for them.
//!
//! The session token may appear in one place only: the
//! `X-Amz-Security-Token` parameter of a presigned URL, where S3 needs it
//! for the URL to work. The secret key never appears, and never leaves the
//! host either: the requests the server receives carry only signatures.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::fake_server::{ok, Answer, FakeServer, Script};
use common::{runtime, wasm_path, Local, BUCKET};
use s3_connector_host::dry_run::DryRunLine;
use s3_connector_host::wit::{Body, Connection, GetObjectInput, Header, Request};
use s3_connector_host::{CallError, HttpConfig, InstanceOptions, UreqOutgoing};
use serde_json::{json, Value};

/// A secret key with the characters that URL and JSON encoders touch.
const SECRET: &str = "Zq7/SecretKeyNeverPrinted+x9Lw2Vb4Nc8Rt0Y";

/// A session token shaped like STS's (base64, `/`, `+`, `=`).
const TOKEN: &str = "IQoJb3JpZ2luX2Vj/SessionTokenNeverPrinted+Qm9vZw==";

const ACCESS_KEY: &str = "ASIASECRETSTESTKEY01";

const AWS_VARS: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
];

/// A value as it is written, and percent-encoded (both hex cases).
fn forms(value: &str) -> Vec<String> {
    let encode = |upper: bool| {
        value
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ if upper => format!("%{b:02X}"),
                _ => format!("%{b:02x}"),
            })
            .collect::<String>()
    };
    vec![value.to_owned(), encode(true), encode(false)]
}

/// Fails if `text` holds the secret key anywhere, or the session token
/// anywhere but as a presigned URL's `X-Amz-Security-Token`.
fn assert_clean(label: &str, text: &str) {
    for form in forms(SECRET) {
        assert!(
            !text.contains(&form),
            "{label}: the secret key is printed:\n{text}"
        );
    }
    let mut rest = text.to_owned();
    for form in forms(TOKEN) {
        rest = rest.replace(
            &format!("X-Amz-Security-Token={form}"),
            "X-Amz-Security-Token=<ok>",
        );
    }
    for form in forms(TOKEN) {
        assert!(
            !rest.contains(&form),
            "{label}: the session token is printed outside a presigned URL:\n{text}"
        );
    }
}

/// Everything a run printed.
fn printed(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The binary with the distinctive credentials in the environment.
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
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .stdin(Stdio::null());
    command
}

/// Every operation: its name, its input, and the answer S3 gives it.
fn operations() -> Vec<(&'static str, Value, Answer)> {
    let object = || json!({"bucket_name": BUCKET, "object_path": "a.txt"});
    let with = |extra: Value| {
        let mut input = object();
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        input
    };
    vec![
        ("list-buckets", json!({}), ok::list_buckets()),
        ("list-buckets-ddl", json!({}), ok::list_buckets()),
        ("list-objects", json!({"bucket_name": BUCKET}), ok::list_objects()),
        ("get-object", object(), ok::object()),
        (
            "get-object-signed-url",
            with(json!({"expires_seconds": 600})),
            ok::empty(),
        ),
        (
            "get-bucket-location",
            json!({"bucket_name": BUCKET}),
            ok::get_bucket_location(),
        ),
        ("head-object", object(), ok::object()),
        (
            "put-object-text",
            with(json!({"content": "hello"})),
            ok::put_object(),
        ),
        ("put-object-file", object(), ok::put_object()),
        ("put-object-acl", with(json!({"acl": "private"})), ok::empty()),
        ("delete-object", object(), ok::no_content()),
        (
            "delete-objects",
            json!({"bucket_name": BUCKET, "object_keys": [{"key": "a.txt"}]}),
            ok::delete_objects(),
        ),
    ]
}

/// A 403 like AWS's for a wrong signature, whose body (as AWS's does)
/// repeats the canonical request, security token included.
fn signature_mismatch() -> Answer {
    Answer::xml(
        403,
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>\
             <Message>The request signature we calculated does not match the signature you provided. \
             Check your key and signing method.</Message><AWSAccessKeyId>{ACCESS_KEY}</AWSAccessKeyId>\
             <StringToSign>AWS4-HMAC-SHA256\n20240501T120000Z</StringToSign>\
             <CanonicalRequest>GET\n/\n\nhost:127.0.0.1\nx-amz-security-token:{TOKEN}\n</CanonicalRequest>\
             <RequestId>FAKE</RequestId></Error>"
        ),
    )
}

/// An error whose message repeats the secret key and the token as they
/// are, percent-encoded and JSON-escaped, as a careless or hostile server
/// might: the connector passes a server's message on, so the CLI masks it.
fn echoing_error() -> Answer {
    let [_, upper, lower] = <[String; 3]>::try_from(forms(SECRET)).unwrap();
    Answer::xml(
        400,
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidToken</Code>\
             <Message>The token {TOKEN} with key {SECRET} ({upper}, {lower}) is not valid</Message>\
             <Token-0>{TOKEN}</Token-0><RequestId>FAKE</RequestId></Error>"
        ),
    )
}

/// How a run is made.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Credentials from the environment, endpoint as a flag.
    Env,
    /// Credentials and endpoint in the input JSON.
    Input,
    /// `--dry-run`: nothing is sent.
    DryRun,
}

/// Runs `operation` against `server` in `mode`.
fn run(operation: &str, input: &Value, server: &FakeServer, mode: Mode, file: &Path) -> Output {
    let mut command = command();
    let mut input = input.clone();
    match mode {
        Mode::Env => {
            command.args(["--endpoint", server.endpoint(), "--region", "us-east-1"]);
        }
        Mode::Input => {
            // Fields the input already has (a bad one, on purpose) stay.
            let fields = input.as_object_mut().unwrap();
            for (name, value) in [
                ("access_key", ACCESS_KEY),
                ("secret_key", SECRET),
                ("session_token", TOKEN),
                ("endpoint", server.endpoint()),
                ("region", "us-east-1"),
            ] {
                fields.entry(name).or_insert_with(|| json!(value));
            }
        }
        Mode::DryRun => {
            command.args([
                "--dry-run",
                "--endpoint",
                server.endpoint(),
                "--region",
                "us-east-1",
            ]);
        }
    }
    if operation == "put-object-file" {
        command.args(["--file", file.to_str().unwrap()]);
    }
    command
        .args([operation, "--input", &input.to_string()])
        .output()
        .unwrap()
}

/// Runs every operation in `mode` against servers answering `answer(op)`;
/// checks what was printed and what the servers received, and returns each
/// operation's exit code and output.
fn run_all(mode: Mode, answer: impl Fn(&str, Answer) -> Answer + Sync) -> Vec<(&'static str, Output)> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload.txt");
    std::fs::write(&file, b"uploaded bytes").unwrap();
    let file = file.as_path();
    let operations = operations();
    std::thread::scope(|scope| {
        let handles: Vec<_> = operations
            .iter()
            .map(|(operation, input, good)| {
                let answer = &answer;
                scope.spawn(move || {
                    let server = FakeServer::start(Script::always(answer(operation, good.clone())));
                    let output = run(operation, input, &server, mode, file);
                    let label = format!("{operation} ({mode:?})");
                    assert_clean(&label, &printed(&output));
                    for request in server.received() {
                        let sent = format!("{}{}", request.head, String::from_utf8_lossy(&request.body));
                        for form in forms(SECRET) {
                            assert!(!sent.contains(&form), "{label}: the secret key was sent");
                        }
                    }
                    (*operation, output)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn exit_codes(runs: &[(&'static str, Output)]) -> Vec<(&'static str, Option<i32>)> {
    runs.iter()
        .map(|(op, output)| (*op, output.status.code()))
        .collect()
}

#[test]
fn successful_calls_print_no_secret() {
    let runs = run_all(Mode::Env, |_, good| good);
    for (operation, code) in exit_codes(&runs) {
        assert_eq!(
            code,
            Some(0),
            "{operation} should succeed against its fake answer"
        );
    }
    // The URLs made with temporary credentials carry the token, as S3 needs.
    for (operation, output) in &runs {
        if matches!(*operation, "get-object" | "get-object-signed-url") {
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(stdout.contains("X-Amz-Security-Token="), "{operation}: {stdout}");
        }
    }
}

#[test]
fn service_errors_print_no_secret() {
    // The error body repeats the token, as AWS's SignatureDoesNotMatch does.
    let runs = run_all(Mode::Input, |_, _| signature_mismatch());
    for (operation, code) in exit_codes(&runs) {
        // A presigned URL is made without asking the server.
        let expected = if operation == "get-object-signed-url" {
            0
        } else {
            1
        };
        assert_eq!(code, Some(expected), "{operation}");
    }
}

#[test]
fn server_messages_that_repeat_the_secrets_are_masked() {
    for mode in [Mode::Input, Mode::Env] {
        let runs = run_all(mode, |_, _| echoing_error());
        for (operation, output) in &runs {
            // A presigned URL asks no server; a HEAD answer has no body.
            if !matches!(*operation, "get-object-signed-url" | "head-object") {
                assert_eq!(output.status.code(), Some(1), "{operation}");
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(
                    stderr.contains("The token **** with key **** (****, ****)"),
                    "{operation}: {stderr}"
                );
            }
        }
    }
}

#[test]
fn usage_errors_do_not_echo_the_arguments_that_hold_secrets() {
    let input = json!({"bucket_name": BUCKET, "object_path": "a.txt", "secret_key": SECRET,
        "session_token": TOKEN})
    .to_string();
    let with_input = format!("--input={input}");
    let command_lines: [Vec<&str>; 5] = [
        // The input where the operation's flag was forgotten.
        vec!["get-object", &input],
        vec![&input],
        vec!["--region", "us-east-1", "get-object", "--input", &input, &input],
        vec!["get-objekt", &with_input],
        vec!["--inptu", &input, "get-object"],
    ];
    for args in command_lines {
        let output = command()
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", printed(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
        assert_clean(&format!("{args:?}"), &printed(&output));
    }
    // What a user needs to fix a typo is still shown.
    let output = command().args(["get-objekt"]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("get-objekt"));
}

#[test]
fn batch_masks_what_servers_repeat() {
    let server = FakeServer::start(Script::always(echoing_error()));
    let input = json!({"bucket_name": BUCKET, "object_path": "a.txt", "secret_key": SECRET,
        "session_token": TOKEN, "endpoint": server.endpoint()});
    let line = json!({"operation": "get-object", "input": input}).to_string();
    let mut child = command()
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .args(["--region", "us-east-1", "batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{line}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("The token ****"));
    assert_clean("batch", &printed(&output));
}

#[test]
fn transport_errors_print_no_secret() {
    let runs = run_all(Mode::Env, |_, _| Answer::garbage());
    for (operation, output) in &runs {
        if *operation != "get-object-signed-url" {
            assert_eq!(output.status.code(), Some(1), "{operation}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(r#""kind":"transport""#), "{operation}: {stderr}");
        }
    }
}

#[test]
fn dry_runs_mask_the_token() {
    let runs = run_all(Mode::DryRun, |_, good| good);
    for (operation, output) in &runs {
        assert_eq!(output.status.code(), Some(0), "{operation}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        if *operation != "get-object-signed-url" {
            assert!(
                stdout.contains(r#"["x-amz-security-token","****"]"#),
                "{operation}: {stdout}"
            );
        }
    }
}

#[test]
fn bad_input_prints_no_secret() {
    let server = FakeServer::start(Script::always(ok::list_buckets()));
    let inputs = [
        ("list-objects", json!({"bucket_name": "Bad Bucket"})),
        ("list-buckets", json!({"region": "EU West"})),
        ("list-buckets", json!({"session_token": 7})),
        ("get-object", json!({"bucket_name": BUCKET})),
    ];
    for (operation, input) in inputs {
        let output = run(operation, &input, &server, Mode::Input, Path::new("unused"));
        assert_eq!(output.status.code(), Some(1), "{operation}");
        assert_clean(operation, &printed(&output));
    }
    assert_eq!(server.count(), 0);
}

#[test]
fn wrong_secret_against_a_checking_server_prints_no_secret() {
    let local = Local::new();
    for (operation, input) in [
        ("list-buckets", json!({})),
        (
            "put-object-text",
            json!({"bucket_name": BUCKET, "object_path": "k", "content": "x"}),
        ),
        ("get-object", json!({"bucket_name": BUCKET, "object_path": "k"})),
    ] {
        let mut input = input;
        input["access_key"] = json!(local.server.access_key());
        input["secret_key"] = json!(SECRET);
        input["session_token"] = json!(TOKEN);
        let output = command()
            .args(["--endpoint", local.server.endpoint(), "--region", "us-east-1"])
            .args([operation, "--input", &input.to_string()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{operation}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(r#""kind":"service""#), "{operation}: {stderr}");
        assert_clean(operation, &printed(&output));
    }
}

#[test]
fn host_errors_print_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let bad_wasm = dir.path().join("bad.wasm");
    std::fs::write(&bad_wasm, b"\0asm not really").unwrap();
    for wasm in [bad_wasm.as_path(), Path::new("/nonexistent/s3_connector.wasm")] {
        let output = command()
            .env("S3_CONNECTOR_WASM", wasm)
            .args(["--endpoint", "http://127.0.0.1:9", "list-buckets"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&output.stderr).contains(r#""kind":"host""#));
        assert_clean("host error", &printed(&output));
    }
}

#[test]
fn batch_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload.txt");
    std::fs::write(&file, b"uploaded bytes").unwrap();
    let mut servers = Vec::new();
    let mut lines = Vec::new();
    for (operation, input, good) in operations() {
        for answer in [good, signature_mismatch(), Answer::garbage()] {
            let server = FakeServer::start(Script::always(answer));
            let mut input = input.clone();
            input["secret_key"] = json!(SECRET);
            input["session_token"] = json!(TOKEN);
            input["endpoint"] = json!(server.endpoint());
            let mut line = json!({"operation": operation, "input": input});
            if operation == "put-object-file" {
                line["file"] = json!(file.to_str().unwrap());
            }
            lines.push(line.to_string());
            servers.push(server);
        }
    }
    lines.push(
        json!({"operation": "list-objects", "input": {"bucket_name": "Bad Bucket",
        "secret_key": SECRET}})
        .to_string(),
    );
    lines.push("{not json".to_owned());
    let mut child = command()
        .args(["--region", "us-east-1", "batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for line in &lines {
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), lines.len(), "{stdout}");
    assert!(stdout.contains(r#""kind":"service""#) && stdout.contains(r#""kind":"transport""#));
    assert_clean("batch", &printed(&output));
}

fn conn(endpoint: &str) -> Connection {
    Connection {
        access_key: ACCESS_KEY.to_owned(),
        secret_key: SECRET.to_owned(),
        session_token: Some(TOKEN.to_owned()),
        region: Some("us-east-1".to_owned()),
        endpoint: Some(endpoint.to_owned()),
        path_style: true,
        credentials_expire: None,
    }
}

/// Every way the host shows an error.
fn error_texts(error: &CallError) -> String {
    format!(
        "{error}\n{error:?}\n{}\n{}",
        error.to_json(),
        error.to_json_line()
    )
}

#[test]
fn timeout_prints_no_secret() {
    let server = FakeServer::start(Script::always(Answer::Silent));
    let options = InstanceOptions::new(UreqOutgoing::new(HttpConfig {
        read_timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    }))
    .with_call_timeout(Duration::from_millis(300));
    let mut instance = runtime().instance(options).unwrap();
    let error = instance.list_buckets(&conn(server.endpoint())).unwrap_err();
    assert!(matches!(error, CallError::Host(_)), "{error:?}");
    assert_clean("timeout", &error_texts(&error));
}

#[test]
fn trap_prints_no_secret() {
    // A 10 MB object cannot be copied into 4 MB of linear memory.
    let server = FakeServer::start(Script::always(Answer::large(10 * 1024 * 1024, b's')));
    let options = InstanceOptions::new(UreqOutgoing::default()).with_memory_limit(4 * 1024 * 1024);
    let mut instance = runtime().instance(options).unwrap();
    let input = GetObjectInput {
        bucket_name: BUCKET.to_owned(),
        object_path: "a.txt".to_owned(),
        version_id: None,
        range: None,
    };
    let error = instance.get_object(&conn(server.endpoint()), &input).unwrap_err();
    assert!(matches!(error, CallError::Host(_)), "{error:?}");
    assert_clean("trap", &error_texts(&error));
}

#[test]
fn debug_of_host_types_shows_no_secret() {
    let request = Request {
        method: "GET".to_owned(),
        url: format!(
            "https://b.s3.amazonaws.com/k?X-Amz-Security-Token={}&x-id=GetObject",
            forms(TOKEN)[1]
        ),
        headers: vec![Header {
            name: "X-Amz-Security-Token".to_owned(),
            value: TOKEN.to_owned(),
        }],
        body: Body::Empty,
    };
    let line = DryRunLine::new(&request);
    let text = format!("{line:?}\n{}", line.to_json());
    for form in forms(TOKEN) {
        assert!(!text.contains(&form), "{text}");
    }
    assert_clean("HttpConfig", &format!("{:?}", HttpConfig::default()));
}

#[test]
fn endpoint_with_credentials_in_it_is_not_echoed() {
    let server = FakeServer::start(Script::always(ok::list_buckets()));
    let input = json!({"endpoint": format!("http://{ACCESS_KEY}:{SECRET}@minio:9000")});
    let output = run("list-buckets", &input, &server, Mode::Env, Path::new("unused"));
    assert_eq!(output.status.code(), Some(1));
    assert_clean("endpoint with user info", &printed(&output));
}
