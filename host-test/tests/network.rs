//! Where the component's requests may go, end to end: the outgoing-address
//! policy (refusals come before any connection), `--connect-to` onto a local
//! TLS server that poses as AWS, and extra CA certificates (AWS_CA_BUNDLE,
//! `--ca-bundle`). Every server here listens on 127.0.0.1; refused addresses
//! are never contacted.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::tls::{serve_plain, serve_tls, Received, Reply, TestCa, TestServer};
use common::{runtime, wasm_path};
use s3_connector_host::wit::{Body, Connection, GetObjectInput, ListObjectsInput, Request, TransportError};
use s3_connector_host::{CallError, HttpConfig, InstanceOptions, Outgoing, UreqOutgoing};
use serde_json::Value;

const REGION: &str = "eu-west-1";
const BUCKET: &str = "bucket";
const HOST: &str = "bucket.s3.eu-west-1.amazonaws.com";
/// The names a regional S3 certificate holds.
const NAMES: [&str; 3] = [
    "s3.eu-west-1.amazonaws.com",
    "*.s3.eu-west-1.amazonaws.com",
    "*.s3.amazonaws.com",
];

fn conn(endpoint: Option<&str>) -> Connection {
    Connection {
        access_key: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        session_token: None,
        region: Some(REGION.to_owned()),
        endpoint: endpoint.map(str::to_owned),
        path_style: false,
        credentials_expire: None,
    }
}

fn list_input() -> ListObjectsInput {
    ListObjectsInput {
        bucket_name: BUCKET.to_owned(),
        prefix: None,
        delimiter: None,
        max_keys: None,
        continuation_token: None,
        start_after: None,
        fetch_all: false,
        max_total: None,
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

/// An instance whose transport has `config`.
fn instance_with(config: HttpConfig) -> s3_connector_host::Instance {
    runtime()
        .instance(InstanceOptions::new(UreqOutgoing::new(config)))
        .unwrap()
}

/// The transport error of a failed call.
fn transport(error: &CallError) -> &TransportError {
    error
        .transport()
        .unwrap_or_else(|| panic!("expected a transport error, got {error}"))
}

/// A fake S3 object store: GET of any key answers `hello`.
fn hello(_: &Received) -> Reply {
    Reply::new(200)
        .header("content-type", "text/plain")
        .header("etag", "\"5d41402abc4b2a76b9719d911017c592\"")
        .body(b"hello".to_vec())
}

fn empty_listing(_: &Received) -> Reply {
    Reply::xml(
        200,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>bucket</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>\
         <IsTruncated>false</IsTruncated></ListBucketResult>",
    )
}

// ---- The address policy, through the component ----

#[test]
fn metadata_service_endpoint_is_denied_at_once() {
    for endpoint in [
        "http://169.254.169.254/",
        "http://169.254.169.254:80",
        "http://[::ffff:169.254.169.254]/",
        "http://[fe80::1]:9000",
    ] {
        let started = Instant::now();
        let error = common::instance()
            .list_objects(&conn(Some(endpoint)), &list_input())
            .unwrap_err();
        let elapsed = started.elapsed();
        let TransportError::Denied(message) = transport(&error) else {
            panic!("{endpoint}: {error}");
        };
        assert!(message.contains("link-local"), "{endpoint}: {message}");
        // A connection attempt to an address nobody answers would wait for
        // the connect timeout (10 s); the refusal comes first.
        assert!(elapsed < Duration::from_secs(2), "{endpoint}: {elapsed:?}");
        assert_eq!(error.to_json()["error"]["attempts"], 1, "denied is not retried");
    }
}

#[test]
fn private_endpoint_is_denied_at_once_naming_the_address() {
    let started = Instant::now();
    let error = common::instance()
        .list_objects(&conn(Some("http://10.1.2.3:9000")), &list_input())
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let TransportError::Denied(message) = transport(&error) else {
        panic!("{error}");
    };
    assert!(message.contains("10.1.2.3:9000"), "{message}");
    assert!(message.contains("private"), "{message}");
    assert!(message.contains("--allow-private-network"), "{message}");
    let json = error.to_json();
    assert_eq!(json["error"]["kind"], "transport");
    assert_eq!(json["error"]["error"]["kind"], "denied");
}

#[test]
fn loopback_endpoint_given_explicitly_is_reachable_by_address_and_by_name() {
    let server = serve_plain(empty_listing);
    for endpoint in [server.http_url(), format!("http://localhost:{}", server.port())] {
        let listing = common::instance()
            .list_objects(&conn(Some(&endpoint)), &list_input())
            .unwrap();
        assert!(listing.objects.is_empty(), "{endpoint}");
    }
    assert!(server.connections() >= 2);
}

// ---- The address policy, through the library's transport ----

fn get(outgoing: &mut UreqOutgoing, url: &str) -> Result<u16, TransportError> {
    let request = Request {
        method: "GET".to_owned(),
        url: url.to_owned(),
        headers: vec![],
        body: Body::Empty,
    };
    outgoing.send(request).map(|response| response.status)
}

#[test]
fn loopback_listener_that_is_not_the_endpoint_gets_no_connection() {
    let endpoint = serve_plain(|_| Reply::new(200));
    let other = serve_plain(|_| Reply::new(200));
    let mut outgoing = UreqOutgoing::default();
    outgoing.set_explicit_endpoint(Some(&endpoint.http_url()));

    for url in [
        format!("http://127.0.0.1:{}/", other.port()),
        format!("http://localhost:{}/", other.port()),
        format!("http://[::ffff:127.0.0.1]:{}/", other.port()),
        format!("http://127.0.0.2:{}/", endpoint.port()),
    ] {
        let error = get(&mut outgoing, &url).unwrap_err();
        let TransportError::Denied(message) = &error else {
            panic!("{url}: {error:?}");
        };
        assert!(message.contains("loopback"), "{message}");
    }
    assert_eq!(other.connections(), 0);
    assert_eq!(endpoint.connections(), 0);

    assert_eq!(
        get(&mut outgoing, &format!("{}/", endpoint.http_url())).unwrap(),
        200
    );
    assert_eq!(endpoint.connections(), 1);

    // Without an explicit endpoint, not even the former one is trusted.
    outgoing.set_explicit_endpoint(None);
    let error = get(&mut outgoing, &format!("{}/", endpoint.http_url())).unwrap_err();
    assert!(matches!(error, TransportError::Denied(_)), "{error:?}");
}

#[test]
fn localhost_is_refused_unless_it_is_the_explicit_endpoint() {
    let server = serve_plain(|_| Reply::new(204));
    let url = format!("http://localhost:{}/", server.port());
    let mut outgoing = UreqOutgoing::default();
    let error = get(&mut outgoing, &url).unwrap_err();
    let TransportError::Denied(message) = &error else {
        panic!("{error:?}");
    };
    assert!(
        message.contains(&format!("localhost:{}", server.port())),
        "{message}"
    );
    assert_eq!(server.connections(), 0);
    outgoing.set_explicit_endpoint(Some(&format!("http://localhost:{}", server.port())));
    assert_eq!(get(&mut outgoing, &url).unwrap(), 204);
    assert_eq!(server.connections(), 1);
}

// ---- --connect-to onto a local TLS server posing as AWS ----

#[test]
fn connect_to_reaches_a_local_tls_server_under_the_real_name() {
    let ca = TestCa::new();
    let server = serve_tls(&ca, &NAMES, hello);
    let mut instance = instance_with(HttpConfig {
        connect_to: vec![server.connect_to(HOST)],
        ca_bundle: Some(ca.bundle()),
        ..HttpConfig::default()
    });
    let object = instance
        .get_object(&conn(None), &get_input("greeting.txt"))
        .unwrap();
    assert_eq!(object.body, b"hello");

    let received = server.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let request = &received[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path(), "/greeting.txt");
    assert_eq!(request.header("host"), Some(HOST));
    assert_eq!(request.sni.as_deref(), Some(HOST));
    let authorization = request.header("authorization").unwrap();
    assert!(
        authorization.contains(&format!("/{REGION}/s3/aws4_request")),
        "{authorization}"
    );
    assert!(authorization.contains("SignedHeaders=host;"), "{authorization}");
}

#[test]
fn without_the_ca_the_local_server_fails_with_tls() {
    let ca = TestCa::new();
    let server = serve_tls(&ca, &NAMES, hello);
    let mut instance = instance_with(HttpConfig {
        connect_to: vec![server.connect_to(HOST)],
        ..HttpConfig::default()
    });
    let error = instance
        .get_object(&conn(None), &get_input("greeting.txt"))
        .unwrap_err();
    assert!(matches!(transport(&error), TransportError::Tls(_)), "{error}");
    // The server sees the handshake fail a moment after the client does.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.tls_failures() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(server.tls_failures() >= 1);
    assert!(server.received().is_empty());
}

#[test]
fn certificate_for_another_name_fails_with_tls_even_when_trusted() {
    let ca = TestCa::new();
    let server = serve_tls(&ca, &["s3.us-east-2.amazonaws.com"], hello);
    let mut instance = instance_with(HttpConfig {
        connect_to: vec![server.connect_to(HOST)],
        ca_bundle: Some(ca.bundle()),
        ..HttpConfig::default()
    });
    let error = instance.get_object(&conn(None), &get_input("k")).unwrap_err();
    assert!(matches!(transport(&error), TransportError::Tls(_)), "{error}");
    assert!(server.received().is_empty());
}

#[test]
fn connect_to_target_in_the_link_local_range_is_denied() {
    let rule = format!("{HOST}:443:169.254.169.254:80").parse().unwrap();
    let mut instance = instance_with(HttpConfig {
        connect_to: vec![rule],
        ..HttpConfig::default()
    });
    let error = instance.get_object(&conn(None), &get_input("k")).unwrap_err();
    let TransportError::Denied(message) = transport(&error) else {
        panic!("{error}");
    };
    assert!(
        message.contains(HOST) && message.contains("169.254.169.254"),
        "{message}"
    );
}

// ---- The CLI ----

/// The binary with a clean AWS environment, test credentials and the
/// component under test.
fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
    for var in [
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_CA_BUNDLE",
    ] {
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
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
    command
}

fn get_object_args(server: &TestServer) -> Vec<String> {
    vec![
        "--region".to_owned(),
        REGION.to_owned(),
        "--connect-to".to_owned(),
        server.connect_to_text(HOST),
        "get-object".to_owned(),
        "--input".to_owned(),
        format!(r#"{{"bucket_name": "{BUCKET}", "object_path": "greeting.txt"}}"#),
    ]
}

fn ok(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn failed(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    error["error"].clone()
}

#[test]
fn cli_trusts_aws_ca_bundle_and_the_ca_bundle_flag() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let pem = ca.write_pem(dir.path());
    let server = serve_tls(&ca, &NAMES, hello);

    let output = command()
        .env("AWS_CA_BUNDLE", &pem)
        .args(get_object_args(&server))
        .output()
        .unwrap();
    assert_eq!(ok(&output)["content"], "hello");

    let output = command()
        .arg("--ca-bundle")
        .arg(&pem)
        .args(get_object_args(&server))
        .output()
        .unwrap();
    assert_eq!(ok(&output)["content"], "hello");

    let received = server.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|r| r.header("host") == Some(HOST)));

    let output = command().args(get_object_args(&server)).output().unwrap();
    let error = failed(&output);
    assert_eq!(error["kind"], "transport", "{error}");
    assert_eq!(error["error"]["kind"], "tls", "{error}");
}

#[test]
fn cli_refuses_a_missing_or_empty_ca_bundle_before_any_request() {
    let ca = TestCa::new();
    let server = serve_tls(&ca, &NAMES, hello);
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    let missing = dir.path().join("missing.pem");
    for path in [&missing, &empty] {
        let output = command()
            .env("AWS_CA_BUNDLE", path)
            .args(get_object_args(&server))
            .output()
            .unwrap();
        let error = failed(&output);
        assert_eq!(error["kind"], "host", "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("CA bundle"), "{message}");
    }
    assert_eq!(server.connections(), 0);
}

#[test]
fn cli_denies_metadata_and_private_endpoints_but_follows_connect_to() {
    let output = command()
        .args(["--endpoint", "http://169.254.169.254", "--region", REGION])
        .args(["list-objects", "--input", r#"{"bucket_name": "bucket"}"#])
        .output()
        .unwrap();
    let error = failed(&output);
    assert_eq!(error["error"]["kind"], "denied", "{error}");

    let output = command()
        .args(["--endpoint", "http://10.1.2.3:9000", "--region", REGION])
        .args(["list-objects", "--input", r#"{"bucket_name": "bucket"}"#])
        .output()
        .unwrap();
    let error = failed(&output);
    assert_eq!(error["error"]["kind"], "denied", "{error}");

    // A --connect-to rule is the operator's own mapping: its target may be
    // loopback with no opt-in, and the request keeps its host.
    let server = serve_plain(empty_listing);
    let output = command()
        .args(["--endpoint", "http://10.1.2.3:9000", "--region", REGION])
        .args([
            "--connect-to",
            &format!("10.1.2.3:9000:127.0.0.1:{}", server.port()),
        ])
        .args(["list-objects", "--input", r#"{"bucket_name": "bucket"}"#])
        .output()
        .unwrap();
    ok(&output);
    assert_eq!(server.received()[0].header("host"), Some("10.1.2.3:9000"));
}

#[test]
fn cli_help_documents_the_network_flags() {
    let output = command().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--allow-private-network",
        "--connect-to",
        "--ca-bundle",
        "AWS_CA_BUNDLE",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
}
