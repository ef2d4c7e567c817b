//! End-to-end tests of the HTTP face: `s3-connector serve` runs the
//! composed HTTP artifact (face, connector and wasi-http adapter) on
//! wasmtime's standard wasi:http, against the embedded local S3 server
//! (`--local`), and each test drives it over HTTP as a client would.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use s3_connector_host::serve::default_http_wasm_path;
use serde_json::{json, Value};

const BUCKET: &str = "test-bucket";

/// The HTTP artifact under test: `S3_CONNECTOR_HTTP_WASM`, else the
/// workspace's build.
fn http_wasm() -> PathBuf {
    let path = std::env::var_os("S3_CONNECTOR_HTTP_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(default_http_wasm_path);
    assert!(
        path.is_file(),
        "the HTTP artifact is missing at {}: build it first with `make http`",
        path.display()
    );
    path
}

/// A running `serve` on a fresh local server; stopped when dropped.
struct Serve {
    _child: Running,
    url: String,
    access_key: String,
    secret_key: String,
    endpoint: String,
    _dir: tempfile::TempDir,
}

/// A `serve` process stopped when dropped, so that a failed test does not
/// leave it running. Its stderr is echoed and kept: a test that ends
/// without a panic also checks that no request's component failed after its
/// answer began, which a client that read a whole body does not see.
struct Running {
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

/// What `serve` writes on stderr when a request's component fails after
/// its answer's head went out.
const FAILED_AFTER_ANSWER: &str = "failed after its answer began";

impl Running {
    /// Runs `command` (a `serve`) and returns it with the URL it printed
    /// that it listens on and the first `head` lines of its stderr.
    fn serve(mut command: Command, head: usize) -> (Self, String, Vec<String>) {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut running = Running { child, stderr: None };
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("serve printed {line:?}"))
            .to_owned();
        let lines = (0..head)
            .map(|_| {
                let mut line = String::new();
                stderr.read_line(&mut line).unwrap();
                line
            })
            .collect();
        running.stderr = Some(std::thread::spawn(move || {
            let mut kept = String::new();
            let mut line = String::new();
            while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
                eprint!("{line}");
                kept.push_str(&line);
                line.clear();
            }
            kept
        }));
        (running, url, lines)
    }

    /// Stops the server and returns the rest of its stderr.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|thread| thread.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let checked = self.stderr.is_some();
        let stderr = self.stop();
        if checked && !std::thread::panicking() {
            assert!(!stderr.contains(FAILED_AFTER_ANSWER), "{stderr}");
        }
    }
}

impl Serve {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
        command
            .arg("--local")
            .arg(dir.path())
            .args(["--create-bucket", BUCKET, "--print-local-credentials", "serve"])
            .args(["--listen", "127.0.0.1:0", "--http-wasm"])
            .arg(http_wasm())
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        let (child, url, head) = Running::serve(command, 1);
        let line = &head[0];
        let local: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        let local = &local["local_server"];
        Self {
            _child: child,
            url,
            access_key: local["access_key"].as_str().unwrap().to_owned(),
            secret_key: local["secret_key"].as_str().unwrap().to_owned(),
            endpoint: local["endpoint"].as_str().unwrap().to_owned(),
            _dir: dir,
        }
    }

    fn post(&self, operation: &str, body: &Value) -> Answer {
        self.send("POST", operation, &[], body.to_string().into_bytes())
    }

    fn send(&self, method: &str, operation: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}/v1/{operation}", self.url);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = if method == "GET" {
            agent.run(request.body(()).unwrap())
        } else {
            agent.run(request.body(body).unwrap())
        };
        Answer::read(response.unwrap())
    }
}

/// A whole answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn read(mut response: ureq::http::Response<ureq::Body>) -> Self {
        let mut body = Vec::new();
        response.body_mut().as_reader().read_to_end(&mut body).unwrap();
        Self {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    /// The answer's text (headers and body), for secret checks.
    fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.body).into_owned();
        for (k, v) in &self.headers {
            text.push_str(&format!("\n{k}: {v}"));
        }
        text
    }

    /// The typed error of a failed answer.
    fn error(&self) -> Value {
        self.json()["error"].clone()
    }
}

#[track_caller]
fn ok(answer: &Answer) -> Value {
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    answer.json()
}

/// Bytes that do not repeat within a part, the same on every run.
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn the_operations_route_answers_the_manifest() {
    let serve = Serve::start();
    let answer = serve.send("GET", "operations", &[], Vec::new());
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(
        String::from_utf8(answer.body).unwrap(),
        s3_connector::manifest::MANIFEST,
        "GET /v1/operations is not the manifest"
    );

    let wrong = serve.send("POST", "operations", &[], Vec::new());
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("GET"));
    let wrong = serve.send("GET", "list-objects", &[], Vec::new());
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("POST"));
}

#[test]
fn json_operations_run_with_the_deployments_connection() {
    let serve = Serve::start();
    let object = json!({"bucket_name": BUCKET, "object_path": "notes/hello.txt"});
    let put = ok(&serve.post(
        "put-object-text",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "notes/hello.txt", "content": "Hello!"}}),
    ));
    assert_eq!(put["key"], "notes/hello.txt");
    assert!(put["etag"].as_str().unwrap().starts_with('"'));

    let listed = ok(&serve.post("list-objects", &json!({"input": {"bucket_name": BUCKET}})));
    let keys: Vec<&str> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["notes/hello.txt"]);

    let head = ok(&serve.post("head-object", &json!({"input": object})));
    assert_eq!(head["content_length"], 6);
    assert_eq!(head["etag"], put["etag"]);

    let deleted = ok(&serve.post("delete-object", &json!({"input": object})));
    assert_eq!(deleted["success"], true);

    let missing = serve.post("head-object", &json!({"input": object}));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error()["kind"], "service");
    assert_eq!(missing.error()["code"], "no-such-key");
    // Every field of the CLI's service error, in its order, absent ones null.
    let error = missing.error();
    let fields: Vec<&str> = error
        .as_object()
        .map(|fields| fields.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        fields,
        [
            "kind",
            "status",
            "code",
            "message",
            "request_id",
            "resource",
            "required_permission",
            "attempts"
        ],
        "{}",
        missing.text()
    );
    assert_eq!(error["status"], 404);
    assert!(
        error["attempts"].as_u64().is_some_and(|n| n >= 1),
        "{}",
        missing.text()
    );

    let missing = serve.post("get-object", &json!({"input": object}));
    assert_eq!(missing.status, 404, "a missing key answers 404 before any byte");
    assert_eq!(missing.error()["code"], "no-such-key");

    let no_bucket = serve.post(
        "list-objects",
        &json!({"input": {"bucket_name": "no-such-bucket-here"}}),
    );
    assert_eq!(no_bucket.status, 404);
    assert_eq!(no_bucket.error()["code"], "no-such-bucket");
}

#[test]
fn refusals_have_fitting_statuses_and_typed_errors() {
    let serve = Serve::start();
    let unknown = serve.post("no-such-operation", &json!({}));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error()["kind"], "invalid-input");
    assert_eq!(unknown.error()["field"], "operation");

    let not_a_route = serve.send("GET", "a/b", &[], Vec::new());
    assert_eq!(not_a_route.status, 404);

    let bad_json = serve.send("POST", "list-objects", &[], b"{\"input\": ".to_vec());
    assert_eq!(bad_json.status, 400);
    assert_eq!(bad_json.error()["kind"], "invalid-input");
    assert_eq!(bad_json.error()["field"], "body");

    let bad_field = serve.post(
        "list-objects",
        &json!({"input": {"bucket_name": BUCKET, "nope": 1}}),
    );
    assert_eq!(bad_field.status, 400);
    assert_eq!(bad_field.error()["kind"], "invalid-input");

    // A download's input is checked before its answer begins: a typo is a
    // 400, never a 200 whose body then breaks.
    let typo = serve.post(
        "get-object",
        &json!({"input": {"bucket_name": BUCKET, "objectpath": "k"}}),
    );
    assert_eq!(typo.status, 400);
    assert_eq!(typo.error()["field"], "objectpath");
    let bad_range = serve.post(
        "get-object",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "k", "range": {"from": "x"}}}),
    );
    assert_eq!(bad_range.status, 400);
    assert_eq!(bad_range.error()["field"], "range.from");

    let bad_envelope = serve.post("list-objects", &json!({"inptu": {}}));
    assert_eq!(bad_envelope.status, 400);
    assert_eq!(bad_envelope.error()["field"], "inptu");

    // A streamed upload needs its length first: a chunked body is refused
    // (sent by hand, since the server answers before reading it).
    let mut socket = std::net::TcpStream::connect(serve.url.trim_start_matches("http://")).unwrap();
    let input = json!({"bucket_name": BUCKET, "object_path": "x"}).to_string();
    let head = format!(
        "POST /v1/put-object-file HTTP/1.1\r\nhost: test\r\nx-s3-input: {input}\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    );
    std::io::Write::write_all(&mut socket, head.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 411"), "{answer}");
    assert!(answer.contains("\"field\":\"content-length\""), "{answer}");

    // A JSON body over the cap is refused on its length, before it is read.
    let mut socket = std::net::TcpStream::connect(serve.url.trim_start_matches("http://")).unwrap();
    let head = "POST /v1/list-objects HTTP/1.1\r\nhost: test\r\ncontent-length: 40000000\r\n\
                connection: close\r\n\r\n{";
    std::io::Write::write_all(&mut socket, head.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"field\":\"body\""), "{answer}");
}

#[test]
fn a_connection_in_the_request_is_used_and_no_secret_is_ever_answered() {
    let serve = Serve::start();
    let conn = json!({"access_key": serve.access_key, "secret_key": serve.secret_key,
        "endpoint": serve.endpoint, "region": "us-east-1", "path_style": true});
    let mut answers = Vec::new();
    let put = serve.post(
        "put-object-text",
        &json!({"connection": conn, "input": {"bucket_name": BUCKET, "object_path": "k", "content": "v"}}),
    );
    ok(&put);
    answers.push(put);

    let wrong_secret = "WRONG/secret+key0123456789abcdefghijklmn";
    let mut wrong = conn.clone();
    wrong["secret_key"] = json!(wrong_secret);
    wrong["session_token"] = json!("SESSION-TOKEN-never-shown");
    let refused = serve.post(
        "list-objects",
        &json!({"connection": wrong, "input": {"bucket_name": BUCKET}}),
    );
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.error()["kind"], "service");
    answers.push(refused);

    let mistyped = serve.post(
        "list-objects",
        &json!({"connection": {"access_key": "AK", "secret_key": 1234567890}, "input": {"bucket_name": BUCKET}}),
    );
    assert_eq!(mistyped.status, 400);
    assert_eq!(mistyped.error()["field"], "connection.secret_key");
    answers.push(mistyped);

    answers.push(serve.post(
        "presign-post",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "k"}}),
    ));
    answers.push(serve.post("test-connection", &json!({"connection": conn, "input": {}})));
    answers.push(serve.send("GET", "operations", &[], Vec::new()));
    for answer in &answers {
        let text = answer.text();
        for secret in [
            serve.secret_key.as_str(),
            wrong_secret,
            "SESSION-TOKEN-never-shown",
            "1234567890",
        ] {
            assert!(!text.contains(secret), "a secret was answered: {text}");
        }
    }
}

#[test]
fn object_bodies_stream_both_ways_byte_for_byte() {
    let serve = Serve::start();
    // Over the 16 MiB threshold: a multipart upload fed from the request body.
    let bytes = pseudo_random(20 * 1024 * 1024 + 12345);
    let input = json!({"bucket_name": BUCKET, "object_path": "big/blob.bin"}).to_string();
    let put = serve.send(
        "POST",
        "put-object-file",
        &[("x-s3-input", &input), ("content-type", "application/x-test")],
        bytes.clone(),
    );
    let put = ok(&put);
    assert!(put["parts"].as_u64().unwrap() >= 2, "{put}");

    let got = serve.post(
        "get-object",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "big/blob.bin"}}),
    );
    assert_eq!(got.status, 200);
    assert_eq!(
        got.header("content-length"),
        Some(bytes.len().to_string().as_str())
    );
    assert_eq!(got.header("content-type"), Some("application/x-test"));
    assert_eq!(got.header("etag"), put["etag"].as_str());
    assert!(
        got.body == bytes,
        "the object read back differs from the one written"
    );

    let range = serve.post(
        "get-object",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "big/blob.bin",
            "range": {"from": 1000, "to": 1999}}}),
    );
    assert_eq!(range.status, 206);
    assert_eq!(
        range.header("content-range").map(str::to_owned),
        Some(format!("bytes 1000-1999/{}", bytes.len()))
    );
    assert!(range.body == bytes[1000..2000]);

    // A range that runs past the first read's bytes: the rest follows them.
    let across = serve.post(
        "get-object",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "big/blob.bin",
            "range": {"from": 100, "to": 600_000}}}),
    );
    assert_eq!(across.status, 206);
    assert_eq!(across.header("content-length"), Some("599901"));
    assert!(across.body == bytes[100..=600_000]);

    // An empty object has no first byte to read: it is headed instead.
    ok(&serve.post(
        "put-object-text",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "empty.txt", "content": ""}}),
    ));
    let empty = serve.post(
        "get-object",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "empty.txt"}}),
    );
    assert_eq!(empty.status, 200);
    assert_eq!(empty.header("content-length"), Some("0"));
    assert!(empty.body.is_empty());
    // The input may come in the query instead of the header.
    let small = b"small body".to_vec();
    let query =
        "put-object-file?input=%7B%22bucket_name%22%3A%22test-bucket%22%2C%22object_path%22%3A%22q.txt%22%7D";
    ok(&serve.send("POST", query, &[], small.clone()));
    let got = serve.post(
        "get-object",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "q.txt"}}),
    );
    assert_eq!(got.status, 200);
    assert_eq!(got.body, small);
    let past_end = serve.post(
        "get-object",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "q.txt",
            "range": {"from": 1000}}}),
    );
    assert_eq!(past_end.status, 416, "{}", past_end.text());
    assert_eq!(past_end.error()["field"], "range.from");
}

/// An S3 stand-in on loopback: a GET of one of `objects` (by key) is
/// answered with the object or the range asked for, a HEAD with its length,
/// and each request is recorded as its method, key and `Range`. The ETag of
/// `moving.bin` changes at every request, as if the object were rewritten
/// all the time; that of `changes-late.bin` from its third request on.
fn recording_endpoint(objects: Vec<(&'static str, Vec<u8>)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let objects = Arc::new(objects);
    let served = Arc::new(Mutex::new(Vec::new()));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (log, objects, served) = (log.clone(), objects.clone(), served.clone());
            std::thread::spawn(move || answer_requests(stream, &objects, &log, &served));
        }
    });
    (url, seen)
}

/// Answers the requests of one connection to [`recording_endpoint`].
fn answer_requests(
    mut stream: std::net::TcpStream,
    objects: &[(&'static str, Vec<u8>)],
    log: &Mutex<Vec<String>>,
    served: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut words = line.split(' ');
        let method = words.next().unwrap_or_default().to_owned();
        let key = words
            .next()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut range = String::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("range") {
                    range = value.trim().to_owned();
                }
            }
        }
        log.lock()
            .unwrap()
            .push(format!("{method} {key} {range}").trim().to_owned());
        let object = &objects.iter().find(|(k, _)| *k == key).unwrap().1;
        let total = object.len();
        let earlier = {
            let mut served = served.lock().unwrap();
            served.push(key.clone());
            served.iter().filter(|k| **k == key).count() - 1
        };
        let etag = match key.as_str() {
            "moving.bin" => earlier,
            "changes-late.bin" => usize::from(earlier >= 2),
            _ => 0,
        };
        let span = range
            .strip_prefix("bytes=")
            .and_then(|r| r.split_once('-'))
            .map(|(a, b)| {
                let a: usize = a.parse().unwrap();
                (a, b.parse::<usize>().map_or(total - 1, |b| b.min(total - 1)))
            });
        let (status, extra, body) = match span {
            Some((a, b)) => (
                "206 Partial Content",
                format!("content-range: bytes {a}-{b}/{total}\r\n"),
                &object[a..=b],
            ),
            None => ("200 OK", String::new(), &object[..]),
        };
        let (length, body) = if method == "HEAD" {
            (total, &[][..])
        } else {
            (body.len(), body)
        };
        let head = format!(
            "HTTP/1.1 {status}\r\netag: \"{etag:032x}\"\r\ncontent-type: text/plain\r\n\
             last-modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n{extra}content-length: {length}\r\n\r\n"
        );
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body).is_err() {
            return;
        }
    }
}

#[test]
fn a_download_reads_its_first_bytes_and_what_they_leave_in_two_requests_at_most() {
    const SMALL: &[u8] = b"a small object, read whole by the first request";
    let large = pseudo_random(300_000);
    let (endpoint, seen) = recording_endpoint(vec![
        ("small.txt", SMALL.to_vec()),
        ("large.bin", large.clone()),
        ("moving.bin", large.clone()),
        ("changes-late.bin", large.clone()),
    ]);
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
    command
        .args(["--endpoint", &endpoint, "--region", "us-east-1", "--path-style"])
        .args(["serve", "--listen", "127.0.0.1:0", "--http-wasm"])
        .arg(http_wasm())
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        )
        .env_remove("AWS_SESSION_TOKEN");
    let (_child, url, _) = Running::serve(command, 0);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |input: Value| {
        agent
            .post(format!("{url}/v1/get-object"))
            .send(json!({"input": input}).to_string())
            .unwrap()
    };
    let requests = || std::mem::take(&mut *seen.lock().unwrap());

    // A small object: one request, no head.
    let whole = Answer::read(get(
        json!({"bucket_name": "bucket-one", "object_path": "small.txt"}),
    ));
    assert_eq!(whole.status, 200, "{}", whole.text());
    assert_eq!(whole.body, SMALL);
    assert_eq!(whole.header("content-type"), Some("text/plain"));
    assert_eq!(whole.header("etag"), Some(format!("\"{:032x}\"", 0).as_str()));
    assert_eq!(requests(), ["GET small.txt bytes=0-262143"]);

    let range = Answer::read(get(
        json!({"bucket_name": "bucket-one", "object_path": "small.txt", "range": {"from": 2, "to": 6}}),
    ));
    assert_eq!(range.status, 206, "{}", range.text());
    assert_eq!(range.body, &SMALL[2..=6]);
    assert_eq!(
        range.header("content-range").map(str::to_owned),
        Some(format!("bytes 2-6/{}", SMALL.len()))
    );
    assert_eq!(requests(), ["GET small.txt bytes=2-6"]);

    // A larger one: its first bytes, the rest but its last byte streamed
    // after them, then the last byte once both showed the first's ETag.
    let large_answer = Answer::read(get(
        json!({"bucket_name": "bucket-one", "object_path": "large.bin"}),
    ));
    assert_eq!(large_answer.status, 200);
    assert!(large_answer.body == large, "the large object read back differs");
    assert_eq!(
        requests(),
        [
            "GET large.bin bytes=0-262143",
            "GET large.bin bytes=262144-299998",
            "GET large.bin bytes=299999-299999"
        ]
    );

    // The object changes after the first read (another ETag), or after the
    // middle: the answer, begun with the first version, must break rather
    // than end as if whole.
    for (key, reads) in [("moving.bin", 2), ("changes-late.bin", 3)] {
        let mut response = get(json!({"bucket_name": "bucket-one", "object_path": key}));
        assert_eq!(response.status().as_u16(), 200);
        let mut body = Vec::new();
        let read = response.body_mut().as_reader().read_to_end(&mut body);
        assert!(
            read.is_err() && body.len() < large.len(),
            "{key}: a download stitched from two versions ended as if whole ({} bytes)",
            body.len()
        );
        assert_eq!(requests().len(), reads, "{key}");
    }
}

#[test]
fn a_download_whose_object_changes_mid_body_breaks_the_answer_instead_of_ending_whole() {
    let serve = Serve::start();
    let bytes = pseudo_random(48 * 1024 * 1024);
    let input = json!({"bucket_name": BUCKET, "object_path": "moving.bin"}).to_string();
    ok(&serve.send(
        "POST",
        "put-object-file",
        &[("x-s3-input", &input)],
        bytes.clone(),
    ));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(format!("{}/v1/get-object", serve.url))
        .send(json!({"input": {"bucket_name": BUCKET, "object_path": "moving.bin"}}).to_string())
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mut reader = response.body_mut().as_reader();
    let mut first = vec![0; 1024 * 1024];
    reader.read_exact(&mut first).unwrap();
    assert_eq!(first, bytes[..first.len()]);
    // The object changes while the client holds back. The read under way
    // goes on with the version it began with (as S3's does), but the last
    // byte, read once the rest has gone, is the new version's (here past
    // its end): the answer must break, not end whole.
    ok(&serve.post(
        "put-object-text",
        &json!({"input": {"bucket_name": BUCKET, "object_path": "moving.bin", "content": "replaced"}}),
    ));
    let mut rest = Vec::new();
    let read = reader.read_to_end(&mut rest);
    first.extend_from_slice(&rest);
    assert!(
        read.is_err() && first.len() < bytes.len(),
        "a download whose object changed ended as if whole ({} bytes)",
        first.len()
    );
    assert!(
        first == bytes[..first.len()],
        "bytes of two versions in one answer"
    );
}

/// A name of this machine, other than `localhost`, that resolves to a
/// loopback address only (its host name, from /etc/hosts), if it has one.
fn loopback_name() -> Option<String> {
    use std::net::ToSocketAddrs;
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    let mut addrs = (name, 80).to_socket_addrs().ok()?.peekable();
    addrs.peek()?;
    let all_loopback = addrs.all(|a| a.ip().is_loopback());
    (all_loopback && !name.eq_ignore_ascii_case("localhost") && !name.is_empty()).then(|| name.to_owned())
}

#[test]
fn a_callers_endpoint_named_onto_a_refused_address_gets_no_connection() {
    // The adapter inside the component refuses only addresses it can see
    // written out; `serve` resolves every name and refuses what the name
    // points at. Here the deployment has no local server, so loopback is
    // refused, and the caller names this machine by its host name.
    let Some(name) = loopback_name() else {
        eprintln!("skipped: this machine's host name does not resolve to loopback only");
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--http-wasm"])
        .arg(http_wasm())
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3");
    let (mut child, url, _) = Running::serve(command, 0);
    let body = json!({"connection": {"access_key": "AKIDEXAMPLE", "secret_key": "secret",
        "endpoint": format!("http://{name}:{port}"), "region": "us-east-1", "path_style": true},
        "input": {"bucket_name": BUCKET}});
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .post(format!("{url}/v1/list-objects"))
        .send(body.to_string())
        .unwrap();
    let answer = Answer::read(response);
    let stderr = child.stop();
    drop(child);
    let error = answer.error();
    assert_eq!(error["kind"], "transport", "{}", answer.text());
    assert_eq!(error["error"]["kind"], "denied", "{}", answer.text());
    assert!(listener.accept().is_err(), "the refused address got a connection");
    assert!(
        stderr.contains(&format!(
            "{name}:{port}: 127.0.0.1 is a loopback address, reachable only with --local or as serve's --endpoint"
        )),
        "{stderr}"
    );
}

#[test]
fn a_component_that_computes_without_io_is_stopped_and_the_server_goes_on() {
    // A handler that loops without reading, writing or sending anything.
    // Three at once, more than the server has threads on a 2-core machine:
    // each instance yields at every tick and is stopped after a second.
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("spinning_handler.wasm");
    let text = include_str!("components/spinning_handler.wat");
    std::fs::write(&wasm, wat::parse_str(text).unwrap()).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--stall-timeout",
            "1",
            "--http-wasm",
        ])
        .arg(&wasm);
    let (child, url, _) = Running::serve(command, 0);
    let call = move |url: String| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A failure of the watchdog is a failed test, not a hung one.
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .into();
        Answer::read(agent.post(format!("{url}/v1/list-buckets")).send("{}").unwrap())
    };
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || call(url))
        })
        .collect();
    let mut answers: Vec<Answer> = calls.into_iter().map(|c| c.join().unwrap()).collect();
    // And the server still answers afterwards.
    answers.push(call(url));
    drop(child);
    for answer in &answers {
        assert_eq!(answer.status, 500, "{}", answer.text());
        let error = answer.error();
        assert_eq!(error["kind"], "host", "{}", answer.text());
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(
                "stopped: the component computed for 1 s without reading, writing or sending anything"
            ),
            "{message}"
        );
    }
}
