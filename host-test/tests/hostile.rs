//! The real component in the real host against a server that answers badly:
//! garbage, cut bodies, entity bombs, huge bodies, errors inside a 200,
//! the wrong content type, resets and silence. Every call must end in a
//! typed error (or, where the answer is in fact usable, a result), never a
//! trap or a panic, and the same instance must answer the next normal call.
//! Then retries: which failures are retried, how often, and what the error
//! says about the attempts made.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::fake_server::{ok, Answer, FakeServer, Script};
use common::runtime;
use s3_connector_host::wit::{
    Body, Connection, DeleteObjectsInput, GetObjectInput, ListObjectsInput, ObjectIdentifier, ObjectRef,
    PutObjectTextInput, Request, Response, TransportError,
};
use s3_connector_host::{
    CallError, HostError, HttpConfig, Instance, InstanceOptions, Outgoing, UreqOutgoing,
};
use serde_json::Value;

const BUCKET: &str = "test-bucket";
const KEY: &str = "a.txt";

/// The operations that read an answer body (or, for HEAD, only a head).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    ListObjects,
    ListBuckets,
    GetBucketLocation,
    DeleteObjects,
    HeadObject,
    GetObject,
}

const READ_OPS: [Op; 6] = [
    Op::ListObjects,
    Op::ListBuckets,
    Op::GetBucketLocation,
    Op::DeleteObjects,
    Op::HeadObject,
    Op::GetObject,
];

impl Op {
    /// The root element of the XML this operation parses.
    fn root(self) -> &'static str {
        match self {
            Op::ListObjects => "ListBucketResult",
            Op::ListBuckets => "ListAllMyBucketsResult",
            Op::GetBucketLocation => "LocationConstraint",
            Op::DeleteObjects => "DeleteResult",
            // Get Object's body is the object; HEAD has none.
            Op::HeadObject | Op::GetObject => "ListBucketResult",
        }
    }

    /// Whether the operation parses an XML body.
    fn parses_xml(self) -> bool {
        !matches!(self, Op::HeadObject | Op::GetObject)
    }

    /// A well-formed answer to this operation.
    fn ok_answer(self) -> Answer {
        match self {
            Op::ListObjects => ok::list_objects(),
            Op::ListBuckets => ok::list_buckets(),
            Op::GetBucketLocation => ok::get_bucket_location(),
            Op::DeleteObjects => ok::delete_objects(),
            Op::HeadObject | Op::GetObject => ok::object(),
        }
    }

    /// Runs the operation; a get-object result is its body's length.
    fn call(self, instance: &mut Instance, conn: &Connection) -> Result<usize, CallError> {
        match self {
            Op::ListObjects => instance
                .list_objects(conn, &list_input())
                .map(|o| o.objects.len()),
            Op::ListBuckets => instance.list_buckets(conn).map(|b| b.len()),
            Op::GetBucketLocation => instance.get_bucket_location(conn, BUCKET).map(|r| r.len()),
            Op::DeleteObjects => instance
                .delete_objects(
                    conn,
                    &DeleteObjectsInput {
                        bucket_name: BUCKET.to_owned(),
                        object_keys: vec![ObjectIdentifier {
                            key: KEY.to_owned(),
                            version_id: None,
                        }],
                    },
                )
                .map(|r| r.len()),
            Op::HeadObject => instance
                .head_object(conn, &object_ref())
                .map(|m| m.content_length as usize),
            Op::GetObject => instance.get_object(conn, &get_input()).map(|o| o.body.len()),
        }
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

fn object_ref() -> ObjectRef {
    ObjectRef {
        bucket_name: BUCKET.to_owned(),
        object_path: KEY.to_owned(),
        version_id: None,
    }
}

fn get_input() -> GetObjectInput {
    GetObjectInput {
        bucket_name: BUCKET.to_owned(),
        object_path: KEY.to_owned(),
        version_id: None,
        range: None,
    }
}

fn put_input() -> PutObjectTextInput {
    PutObjectTextInput {
        bucket_name: BUCKET.to_owned(),
        object_path: KEY.to_owned(),
        content: "hello".to_owned(),
        mime_type: None,
        acl: None,
        metadata: vec![],
    }
}

/// An instance sending with ureq under `config`.
fn instance_with(config: HttpConfig) -> Instance {
    runtime()
        .instance(InstanceOptions::new(UreqOutgoing::new(config)))
        .unwrap()
}

/// A call's result in one word: `ok`, `invalid-response`,
/// `service:<code>`, `transport:<kind>` or `host:<message>`; and the
/// attempts the error reports (0 when none).
fn outcome(result: &Result<usize, CallError>) -> (String, u64) {
    let error = match result {
        Ok(_) => return ("ok".to_owned(), 0),
        Err(error) => error,
    };
    let json = error.to_json();
    let e = &json["error"];
    let attempts = e["attempts"].as_u64().unwrap_or(0);
    let word = match e["kind"].as_str().unwrap_or("") {
        "service" => format!("service:{}", e["code"].as_str().unwrap_or("")),
        "transport" => format!("transport:{}", e["error"]["kind"].as_str().unwrap_or("")),
        "host" => format!("host:{}", e["message"].as_str().unwrap_or("")),
        other => other.to_owned(),
    };
    (word, attempts)
}

/// What a case expects of one operation: one of these outcomes, and when
/// given, this many attempts reported and requests counted by the server.
struct Expect {
    outcomes: &'static [&'static str],
    attempts: Option<u64>,
}

fn expect(outcomes: &'static [&'static str]) -> Expect {
    Expect {
        outcomes,
        attempts: None,
    }
}

fn expect_attempts(outcomes: &'static [&'static str], attempts: u64) -> Expect {
    Expect {
        outcomes,
        attempts: Some(attempts),
    }
}

/// Runs every read operation (in parallel, each on its own instance and
/// server) against `answer(op)`, checks the outcome against `expected(op)`,
/// then checks that the same instance answers a normal call. Returns the
/// error texts, for extra checks.
fn check(
    case: &str,
    config: &HttpConfig,
    answer: impl Fn(Op) -> Answer + Sync,
    expected: impl Fn(Op) -> Expect + Sync,
) -> Vec<(Op, String)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = READ_OPS
            .iter()
            .map(|&op| {
                let (answer, expected) = (&answer, &expected);
                scope.spawn(move || {
                    let hostile =
                        FakeServer::start_bounded(Script::always(answer(op)), 8, Duration::from_secs(20));
                    let mut instance = instance_with(config.clone());
                    let result = op.call(&mut instance, &hostile.conn());
                    let (word, attempts) = outcome(&result);
                    let want = expected(op);
                    eprintln!("{case}, {op:?}: {word}, {attempts} attempt(s)");
                    assert!(
                        want.outcomes.contains(&word.as_str()),
                        "{case}, {op:?}: got {word} ({result:?}), expected one of {:?}",
                        want.outcomes
                    );
                    if let Some(n) = want.attempts {
                        assert_eq!(attempts, n, "{case}, {op:?}: attempts reported");
                        assert_eq!(hostile.count() as u64, n, "{case}, {op:?}: requests received");
                    }
                    let good =
                        FakeServer::start_bounded(Script::always(op.ok_answer()), 8, Duration::from_secs(20));
                    let after = op.call(&mut instance, &good.conn());
                    assert!(
                        after.is_ok(),
                        "{case}, {op:?}: the instance no longer answers: {after:?}"
                    );
                    (op, result.err().map(|e| e.to_string()).unwrap_or_default())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The outcomes of an operation that parses XML, or of get/head.
fn xml_or(op: Op, xml: &'static [&'static str], other: &'static [&'static str]) -> Expect {
    if op.parses_xml() {
        expect(xml)
    } else {
        expect(other)
    }
}

#[test]
fn garbage_instead_of_http_is_a_transport_error() {
    // Not HTTP: ureq cannot parse a status line; nothing to retry.
    check(
        "garbage",
        &HttpConfig::default(),
        |_| Answer::garbage(),
        |_| expect_attempts(&["transport:other"], 1),
    );
}

#[test]
fn half_a_status_line_is_a_transport_error() {
    check(
        "cut status line",
        &HttpConfig::default(),
        |_| Answer::Cut,
        // A connection closed before the answer: retried like a reset.
        |_| expect_attempts(&["transport:connection"], 3),
    );
}

#[test]
fn body_shorter_than_its_content_length_is_a_transport_error() {
    check(
        "truncated body",
        &HttpConfig::default(),
        |op| Answer::truncated_xml(op.root()),
        |op| match op {
            // HEAD reads no body: the announced length is the object's size.
            Op::HeadObject => expect(&["ok"]),
            // The connection ended early: retried like a reset.
            _ => expect_attempts(&["transport:connection"], 3),
        },
    );
}

#[test]
fn xml_cut_mid_element_is_an_invalid_response() {
    check(
        "cut XML",
        &HttpConfig::default(),
        |op| Answer::cut_xml(op.root()),
        |op| xml_or(op, &["invalid-response"], &["ok"]),
    );
}

#[test]
fn entity_bomb_is_refused_without_expansion() {
    let started = Instant::now();
    let errors = check(
        "entity bomb",
        &HttpConfig::default(),
        |op| Answer::entity_bomb(op.root()),
        // Get Object returns the bytes as they are: they are the object.
        |op| xml_or(op, &["invalid-response"], &["ok"]),
    );
    for (op, text) in errors {
        if op.parses_xml() {
            assert!(text.contains("DOCTYPE"), "{op:?}: {text}");
            assert!(!text.contains("lollollol"), "{op:?} expanded an entity: {text}");
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn entity_bomb_in_an_error_body_falls_back_on_the_status() {
    let errors = check(
        "403 with an entity bomb",
        &HttpConfig::default(),
        |_| Answer::Http {
            status: 403,
            headers: vec![],
            body: common::fake_server::entity_bomb("Error").into_bytes(),
        },
        |_| expect_attempts(&["service:access-denied"], 1),
    );
    for (op, text) in errors {
        assert!(!text.contains("lollollol"), "{op:?} expanded an entity: {text}");
    }
}

#[test]
fn ten_megabytes_over_the_cap_is_too_large() {
    let config = HttpConfig {
        max_response_bytes: 1024 * 1024,
        ..HttpConfig::default()
    };
    check(
        "10 MB over a 1 MB cap",
        &config,
        |_| Answer::large(10 * 1024 * 1024, b'x'),
        |op| match op {
            Op::HeadObject => expect(&["ok"]),
            // Too large is final: sending again would get the same.
            _ => expect_attempts(&["transport:too-large"], 1),
        },
    );
}

#[test]
fn ten_megabytes_of_unexpected_xml_is_typed() {
    // Under the default cap: the body reaches the component's parser.
    check(
        "10 MB of XML under a foreign root",
        &HttpConfig::default(),
        |_| Answer::large_xml("Unexpected", 10 * 1024 * 1024),
        |op| xml_or(op, &["invalid-response"], &["ok"]),
    );
    check(
        "10 MB of unknown elements under the right root",
        &HttpConfig::default(),
        |op| Answer::large_xml(op.root(), 10 * 1024 * 1024),
        // Unknown elements are skipped, so what the operation needs and does
        // not find decides: delete-objects reports each key as missing from
        // the answer, get-bucket-location reads an empty constraint.
        |_| expect(&["ok", "invalid-response"]),
    );
}

#[test]
fn error_document_inside_a_200_is_a_service_error() {
    check(
        "200 with <Error>",
        &HttpConfig::default(),
        |_| Answer::ok_with_error("AccessDenied"),
        |op| {
            if op.parses_xml() {
                expect_attempts(&["service:access-denied"], 1)
            } else {
                expect(&["ok"])
            }
        },
    );
}

#[test]
fn html_or_json_instead_of_xml_is_an_invalid_response() {
    check(
        "HTML page",
        &HttpConfig::default(),
        |_| Answer::html(),
        |op| xml_or(op, &["invalid-response"], &["ok"]),
    );
    check(
        "JSON body",
        &HttpConfig::default(),
        |_| Answer::json(),
        |op| xml_or(op, &["invalid-response"], &["ok"]),
    );
}

#[test]
fn silent_server_is_a_timeout_after_three_attempts() {
    let config = HttpConfig {
        read_timeout: Duration::from_millis(300),
        ..HttpConfig::default()
    };
    let started = Instant::now();
    check(
        "silent server",
        &config,
        |_| Answer::Silent,
        |_| expect_attempts(&["transport:timeout"], 3),
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn reset_connection_is_a_connection_error_after_three_attempts() {
    check(
        "reset",
        &HttpConfig::default(),
        |_| Answer::Reset,
        |_| expect_attempts(&["transport:connection"], 3),
    );
}

#[test]
fn get_object_returns_a_ten_megabyte_body_whole() {
    let server = FakeServer::start(Script::always(Answer::large(10 * 1024 * 1024, b'z')));
    let mut instance = instance_with(HttpConfig::default());
    let object = instance.get_object(&server.conn(), &get_input()).unwrap();
    assert_eq!(object.body.len(), 10 * 1024 * 1024);
    assert!(object.body.iter().all(|&b| b == b'z'));
}

#[test]
fn per_call_deadline_bounds_a_call_blocked_on_a_silent_server() {
    // The HTTP client would wait 30 s for each of three attempts; the
    // call's own deadline is 1 s, HTTP requests included.
    let server = FakeServer::start(Script::always(Answer::Silent));
    let config = HttpConfig {
        read_timeout: Duration::from_secs(30),
        ..HttpConfig::default()
    };
    let options = InstanceOptions::new(UreqOutgoing::new(config)).with_call_timeout(Duration::from_secs(1));
    let mut instance = runtime().instance(options).unwrap();
    let started = Instant::now();
    let result = instance.list_buckets(&server.conn());
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "the call took {elapsed:?}");
    assert!(
        matches!(result, Err(CallError::Host(HostError::Timeout(_)))),
        "{result:?}"
    );
    assert!(matches!(
        instance.list_buckets(&server.conn()),
        Err(CallError::Host(HostError::Poisoned))
    ));
    // The host is still usable: a new instance answers.
    let good = FakeServer::start(Script::always(ok::list_buckets()));
    let mut fresh = instance_with(HttpConfig::default());
    assert_eq!(fresh.list_buckets(&good.conn()).unwrap().len(), 1);
}

/// A transport that answers 200 and notes the thread it was called on.
struct ThreadNoting(std::sync::Arc<std::sync::Mutex<Vec<std::thread::ThreadId>>>);

impl Outgoing for ThreadNoting {
    fn send(&mut self, _request: Request) -> Result<Response, TransportError> {
        self.0.lock().unwrap().push(std::thread::current().id());
        Ok(Response {
            status: 200,
            headers: String::new(),
            body: Body::Bytes(b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>".to_vec()),
        })
    }
}

#[test]
fn transport_is_called_on_the_calling_thread() {
    // A dry run prints to stdout, which a batch holds locked on the calling
    // thread: sending from another thread (to enforce the deadline) hung it.
    let threads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let options = InstanceOptions::new(ThreadNoting(std::sync::Arc::clone(&threads)))
        .with_call_timeout(Duration::from_secs(5));
    let mut instance = runtime().instance(options).unwrap();
    let conn = FakeServer::start(Script::always(ok::list_buckets())).conn();
    instance.list_buckets(&conn).unwrap();
    assert_eq!(*threads.lock().unwrap(), [std::thread::current().id()]);
}

// ---- Retries ----

/// The idempotent operations retried on 5xx and resets.
#[derive(Clone, Copy, Debug)]
enum Retried {
    GetObject,
    HeadObject,
    ListObjects,
    PutObjectText,
    DeleteObject,
}

const RETRIED: [Retried; 5] = [
    Retried::GetObject,
    Retried::HeadObject,
    Retried::ListObjects,
    Retried::PutObjectText,
    Retried::DeleteObject,
];

impl Retried {
    fn ok_answer(self) -> Answer {
        match self {
            Retried::GetObject | Retried::HeadObject => ok::object(),
            Retried::ListObjects => ok::list_objects(),
            Retried::PutObjectText => ok::put_object(),
            Retried::DeleteObject => ok::no_content(),
        }
    }

    fn call(self, instance: &mut Instance, conn: &Connection) -> Result<usize, CallError> {
        match self {
            Retried::GetObject => instance.get_object(conn, &get_input()).map(|o| o.body.len()),
            Retried::HeadObject => instance
                .head_object(conn, &object_ref())
                .map(|m| m.content_length as usize),
            Retried::ListObjects => instance
                .list_objects(conn, &list_input())
                .map(|o| o.objects.len()),
            Retried::PutObjectText => instance.put_object_text(conn, &put_input()).map(|_| 0),
            Retried::DeleteObject => instance.delete_object(conn, &object_ref()).map(|_| 0),
        }
    }
}

/// Runs every retried operation in parallel against `script(op)`; returns
/// each outcome, attempts reported and requests counted.
fn run_retried(script: impl Fn(Retried) -> Script + Sync) -> Vec<(Retried, String, u64, usize)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = RETRIED
            .iter()
            .map(|&op| {
                let script = &script;
                scope.spawn(move || {
                    let server = FakeServer::start_bounded(script(op), 8, Duration::from_secs(20));
                    let mut instance = instance_with(HttpConfig::default());
                    let result = op.call(&mut instance, &server.conn());
                    let (word, attempts) = outcome(&result);
                    (op, word, attempts, server.count())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn succeeds_after_two(failure: Answer) {
    let started = Instant::now();
    for (op, word, _, count) in run_retried(|op| Script::fail_first(2, failure.clone(), op.ok_answer())) {
        assert_eq!(word, "ok", "{op:?} after two {failure:?}");
        assert_eq!(count, 3, "{op:?}: requests received");
    }
    // Two pauses of at most 200 ms and 400 ms.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn succeeds_after_two_503s() {
    succeeds_after_two(Answer::status(503));
}

#[test]
fn succeeds_after_two_slow_downs() {
    succeeds_after_two(Answer::slow_down());
}

#[test]
fn succeeds_after_two_internal_errors() {
    succeeds_after_two(Answer::internal_error());
}

#[test]
fn succeeds_after_two_resets() {
    succeeds_after_two(Answer::Reset);
}

#[test]
fn client_errors_fail_at_once() {
    let denied = Answer::s3_error(403, "AccessDenied", "Access Denied");
    for (op, word, attempts, count) in run_retried(|_| Script::always(denied.clone())) {
        assert_eq!(word, "service:access-denied", "{op:?}");
        assert_eq!((attempts, count), (1, 1), "{op:?}: attempts, requests");
    }
    let missing = Answer::s3_error(404, "NoSuchKey", "The specified key does not exist.");
    for (op, word, attempts, count) in run_retried(|_| Script::always(missing.clone())) {
        assert!(word.starts_with("service:no-such-"), "{op:?}: {word}");
        assert_eq!((attempts, count), (1, 1), "{op:?}: attempts, requests");
    }
}

#[test]
fn three_failures_report_three_attempts() {
    for (op, word, attempts, count) in run_retried(|_| Script::always(Answer::slow_down())) {
        // HEAD gets no body, so its code comes from the status.
        assert!(
            word == "service:slow-down" || word == "service:service-unavailable",
            "{op:?}: {word}"
        );
        assert_eq!((attempts, count), (3, 3), "{op:?}: attempts, requests");
    }
    for (op, word, attempts, count) in run_retried(|_| Script::always(Answer::Reset)) {
        assert_eq!(word, "transport:connection", "{op:?}");
        assert_eq!((attempts, count), (3, 3), "{op:?}: attempts, requests");
    }
}

#[test]
fn error_json_of_a_retried_failure_names_the_attempts() {
    let server = FakeServer::start(Script::always(Answer::internal_error()));
    let mut instance = instance_with(HttpConfig::default());
    let error = instance.get_object(&server.conn(), &get_input()).unwrap_err();
    let json: Value = error.to_json();
    assert_eq!(json["error"]["kind"], "service");
    assert_eq!(json["error"]["code"], "internal-error");
    assert_eq!(json["error"]["attempts"], 3);
    assert_eq!(json["error"]["request_id"], "FAKE-REQUEST");
}

/// A listing page as S3 would send it, `count` keys of `prefix` plus a
/// number, with `token` for the next page.
fn listing_page(prefix: &str, count: usize, token: Option<&str>) -> String {
    let mut page = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>");
    match token {
        Some(token) => page.push_str(&format!(
            "<IsTruncated>true</IsTruncated><NextContinuationToken>{token}</NextContinuationToken>"
        )),
        None => page.push_str("<IsTruncated>false</IsTruncated>"),
    }
    for n in 0..count {
        page.push_str(&format!(
            "<Contents><Key>{prefix}{n:07}</Key><Size>1</Size></Contents>"
        ));
    }
    page.push_str("</ListBucketResult>");
    page
}

#[test]
fn a_listing_page_of_a_million_entries_is_an_invalid_response_not_a_trap() {
    // 55 MB: under the response cap, so it reaches the parser.
    let page = listing_page("k", 1_000_000, None);
    let server = FakeServer::start(Script::always(Answer::xml(200, &page)));
    let mut instance = instance_with(HttpConfig::default());
    let result = instance
        .list_objects(&server.conn(), &list_input())
        .map(|r| r.objects.len());
    assert_eq!(outcome(&result).0, "invalid-response", "{result:?}");
    assert!(
        instance.memory_peak() < 192 << 20,
        "{} bytes",
        instance.memory_peak()
    );
}

#[test]
fn fetching_every_page_of_long_keys_stops_at_the_budget_and_does_not_trap() {
    // 1000 keys of about 1 KB a page: the whole listing would be 60 MB of
    // keys, more than the component's memory holds once written as JSON.
    let long = "k".repeat(1000);
    let pages: Vec<Answer> = (0..60)
        .map(|n| {
            Answer::xml(
                200,
                &listing_page(&format!("{long}{n:02}"), 1000, Some(&format!("t{n}"))),
            )
        })
        .collect();
    let server = FakeServer::start(Script::sequence(
        pages,
        Answer::xml(200, &listing_page("z", 1, None)),
    ));
    let mut instance = instance_with(HttpConfig::default());
    let input = serde_json::json!({"bucket_name": BUCKET, "fetch_all": true, "max_total": 100_000});
    let answer = instance
        .invoke(&server.conn(), "list-objects", &input.to_string(), None)
        .unwrap();
    let listing: Value = serde_json::from_str(&answer.json).unwrap();
    assert_eq!(listing["is_truncated"], true);
    let pages = listing["pages"].as_u64().unwrap();
    assert!((10..60).contains(&pages), "{pages}");
    assert_eq!(listing["next_continuation_token"], format!("t{}", pages - 1));
    assert!(
        instance.memory_peak() < 200 << 20,
        "{} bytes",
        instance.memory_peak()
    );
}
