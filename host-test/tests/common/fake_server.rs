//! A scriptable HTTP/1.1 server on 127.0.0.1 for the hostile-server tests:
//! it counts the requests it gets and answers each from a [`Script`], with
//! well-formed S3 answers or with the things a broken or malicious server
//! sends (garbage, cut bodies, entity bombs, resets, silence).
//!
//! It is bounded so that a test that goes wrong cannot hang the suite: it
//! stops accepting after a number of connections or after a lifetime,
//! whichever comes first, and it stops when dropped. Every answer closes its
//! connection (`connection: close`), so one connection is one request.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use s3_connector_host::wit::Connection;

/// How many connections a server takes, by default, before it stops.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;

/// How long a server lives, by default: longer than any test here needs.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(30);

/// One answer to one request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A complete response. A HEAD request gets the head only.
    Http {
        /// The status code.
        status: u16,
        /// Headers beyond `content-length` and `connection`.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// These bytes as they are (not HTTP at all), then close.
    Raw(Vec<u8>),
    /// A head announcing `declared` bytes of body, then only `body`, then close.
    Truncated {
        /// The status code.
        status: u16,
        /// Headers beyond `content-length` and `connection`.
        headers: Vec<(String, String)>,
        /// The bytes actually sent.
        body: Vec<u8>,
        /// The `content-length` announced, larger than `body`.
        declared: usize,
    },
    /// Close at once, the request unread: the kernel answers with a reset.
    Reset,
    /// Half a status line, then close.
    Cut,
    /// Read the request and say nothing until the server stops.
    Silent,
}

impl Answer {
    /// A bodiless answer with this status.
    pub fn status(status: u16) -> Self {
        Answer::Http {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// An XML answer.
    pub fn xml(status: u16, body: &str) -> Self {
        Answer::Http {
            status,
            headers: vec![("content-type".to_owned(), "application/xml".to_owned())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// An S3 `<Error>` document with this status and code.
    pub fn s3_error(status: u16, code: &str, message: &str) -> Self {
        Answer::xml(
            status,
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                 <Message>{message}</Message><RequestId>FAKE-REQUEST</RequestId></Error>"
            ),
        )
        .with_header("x-amz-request-id", "FAKE-REQUEST")
    }

    /// 503 `SlowDown`, S3's throttling answer.
    pub fn slow_down() -> Self {
        Answer::s3_error(503, "SlowDown", "Please reduce your request rate.")
    }

    /// 500 `InternalError`.
    pub fn internal_error() -> Self {
        Answer::s3_error(
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    }

    /// Bytes that are not HTTP.
    pub fn garbage() -> Self {
        let mut bytes = b"\x00\xff\xfe GARBAGE \x1b[2J\r\n\r\n".to_vec();
        bytes.extend((0..2048u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        Answer::Raw(bytes)
    }

    /// A 200 whose XML body announces 4096 bytes and stops after a few.
    pub fn truncated_xml(root: &str) -> Self {
        let body = format!("<?xml version=\"1.0\"?><{root}><Name>cut</Na").into_bytes();
        Answer::Truncated {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/xml".to_owned())],
            body,
            declared: 4096,
        }
    }

    /// A 200 with a complete HTTP body holding XML that stops mid-element.
    pub fn cut_xml(root: &str) -> Self {
        Answer::xml(200, &format!("<?xml version=\"1.0\"?><{root}><Name>cut</Na"))
    }

    /// A 200 whose `<root>` document declares nested entities ("billion
    /// laughs"): expanded, `&j;` would be 10^10 bytes.
    pub fn entity_bomb(root: &str) -> Self {
        Answer::xml(200, &entity_bomb(root))
    }

    /// A 200 with a body of `len` bytes of `fill`.
    pub fn large(len: usize, fill: u8) -> Self {
        Answer::Http {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/octet-stream".to_owned())],
            body: vec![fill; len],
        }
    }

    /// A 200 with about `len` bytes of well-formed XML under `root`, all of
    /// it elements S3 never sends.
    pub fn large_xml(root: &str, len: usize) -> Self {
        let item = "<Unexpected><Deeper a=\"1\">text &amp; more</Deeper></Unexpected>";
        let mut body = String::with_capacity(len + 256);
        body.push_str(&format!("<?xml version=\"1.0\"?><{root}>"));
        while body.len() < len {
            body.push_str(item);
        }
        body.push_str(&format!("</{root}>"));
        Answer::xml(200, &body)
    }

    /// A 200 carrying an S3 `<Error>` document.
    pub fn ok_with_error(code: &str) -> Self {
        Answer::s3_error(200, code, "an error inside a 200")
    }

    /// A 200 with an HTML page, as a captive portal or a proxy sends.
    pub fn html() -> Self {
        Answer::Http {
            status: 200,
            headers: vec![("content-type".to_owned(), "text/html; charset=utf-8".to_owned())],
            body: b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><p>Hotel Wi-Fi</p></body></html>"
                .to_vec(),
        }
    }

    /// A 200 with a JSON body.
    pub fn json() -> Self {
        Answer::Http {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: br#"{"buckets":[{"name":"x"}],"Error":{"Code":"Nope"}}"#.to_vec(),
        }
    }

    /// The same answer with one more header (on `Http` and `Truncated`).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Answer::Http { headers, .. } | Answer::Truncated { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

/// A "billion laughs" document with root element `root`.
pub fn entity_bomb(root: &str) -> String {
    let mut doctype = String::from("<!ENTITY a \"lollollollol\">");
    let names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    for pair in names.windows(2) {
        let refs = format!("&{};", pair[0]).repeat(10);
        doctype.push_str(&format!("<!ENTITY {} \"{refs}\">", pair[1]));
    }
    format!("<?xml version=\"1.0\"?><!DOCTYPE {root} [{doctype}]><{root}><Name>&j;</Name></{root}>")
}

/// What the server answers: `first`, one per request in order, then `then`
/// for every later request.
#[derive(Clone, Debug)]
pub struct Script {
    first: Vec<Answer>,
    then: Answer,
}

impl Script {
    /// The same answer to every request.
    pub fn always(answer: Answer) -> Self {
        Script {
            first: Vec::new(),
            then: answer,
        }
    }

    /// `failure` to the first `n` requests, then `then`.
    pub fn fail_first(n: usize, failure: Answer, then: Answer) -> Self {
        Script {
            first: vec![failure; n],
            then,
        }
    }

    /// These answers in order, then `then`.
    pub fn sequence(first: Vec<Answer>, then: Answer) -> Self {
        Script { first, then }
    }

    fn answer(&self, index: usize) -> &Answer {
        self.first.get(index).unwrap_or(&self.then)
    }
}

/// One request as received.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// The method.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// The head as it came, request line and headers.
    pub head: String,
    /// The body (empty when the request was not read, for [`Answer::Reset`]).
    pub body: Vec<u8>,
}

/// A running fake server.
pub struct FakeServer {
    endpoint: String,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Serves `script` with the default bounds.
    pub fn start(script: Script) -> Self {
        Self::start_bounded(script, DEFAULT_MAX_CONNECTIONS, DEFAULT_LIFETIME)
    }

    /// Serves `script` until `max_connections` connections were taken or
    /// `lifetime` has passed.
    pub fn start_bounded(script: Script, max_connections: usize, lifetime: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + lifetime;
        let thread = {
            let received = Arc::clone(&received);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("fake-s3".to_owned())
                .spawn(move || {
                    accept_loop(&listener, &script, &received, &stop, max_connections, deadline);
                })
                .unwrap()
        };
        FakeServer {
            endpoint,
            received,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// How many requests arrived so far.
    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// A connection to this server, path style, in us-east-1.
    pub fn conn(&self) -> Connection {
        Connection {
            access_key: "AKIAFAKESERVER000001".to_owned(),
            secret_key: "fake/server/secret/key/0000000000000000".to_owned(),
            session_token: None,
            region: Some("us-east-1".to_owned()),
            endpoint: Some(self.endpoint.clone()),
            path_style: true,
            credentials_expire: None,
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    script: &Script,
    received: &Arc<Mutex<Vec<Received>>>,
    stop: &Arc<AtomicBool>,
    max_connections: usize,
    deadline: Instant,
) {
    let mut handlers = Vec::new();
    let mut taken = 0;
    while taken < max_connections && !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        match listener.accept() {
            Ok((socket, _)) => {
                let answer = script.answer(taken).clone();
                taken += 1;
                let received = Arc::clone(received);
                let stop = Arc::clone(stop);
                handlers.push(std::thread::spawn(move || {
                    // A client that went away is not the server's problem.
                    let _ = serve(socket, &answer, &received, &stop, deadline);
                }));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => break,
        }
    }
    for handler in handlers {
        let _ = handler.join();
    }
}

fn serve(
    mut socket: TcpStream,
    answer: &Answer,
    received: &Mutex<Vec<Received>>,
    stop: &AtomicBool,
    deadline: Instant,
) -> std::io::Result<()> {
    socket.set_nonblocking(false)?;
    socket.set_read_timeout(Some(Duration::from_secs(2)))?;
    if let Answer::Reset = answer {
        // Wait for the request, note it, and close with it unread: Linux
        // then sends RST instead of FIN.
        let mut peeked = [0u8; 8192];
        let n = socket.peek(&mut peeked)?;
        std::thread::sleep(Duration::from_millis(20));
        let head = String::from_utf8_lossy(&peeked[..n]).into_owned();
        received.lock().unwrap().push(parse_head(&head, Vec::new()));
        drop(socket);
        return Ok(());
    }
    let request = read_request(&mut socket)?;
    let is_head = request.method.eq_ignore_ascii_case("HEAD");
    received.lock().unwrap().push(request);
    match answer {
        Answer::Http {
            status,
            headers,
            body,
        } => {
            socket.write_all(&head_bytes(*status, headers, body.len()))?;
            if !is_head {
                socket.write_all(body)?;
            }
        }
        Answer::Raw(bytes) => socket.write_all(bytes)?,
        Answer::Truncated {
            status,
            headers,
            body,
            declared,
        } => {
            socket.write_all(&head_bytes(*status, headers, *declared))?;
            if !is_head {
                socket.write_all(body)?;
            }
        }
        Answer::Cut => socket.write_all(b"HTTP/1.1 20")?,
        Answer::Silent => {
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Answer::Reset => {}
    }
    socket.flush()?;
    let _ = socket.shutdown(Shutdown::Write);
    // Let the client read what was sent before the socket goes.
    let mut sink = [0u8; 1024];
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    while matches!(socket.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

fn head_bytes(status: u16, headers: &[(String, String)], content_length: usize) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} Fake\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {content_length}\r\nconnection: close\r\n\r\n"
    ));
    head.into_bytes()
}

/// Reads one request: the head, then `content-length` bytes of body.
fn read_request(socket: &mut TcpStream) -> std::io::Result<Received> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&data, b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut buf)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Ok(parse_head(&head, body))
}

fn parse_head(head: &str, body: Vec<u8>) -> Received {
    let mut words = head.lines().next().unwrap_or("").split(' ');
    Received {
        method: words.next().unwrap_or("").to_owned(),
        target: words.next().unwrap_or("").to_owned(),
        head: head.to_owned(),
        body,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Well-formed answers S3 gives to each operation, for the calls that must
/// succeed.
pub mod ok {
    use super::Answer;

    /// List Objects V2: one key.
    pub fn list_objects() -> Answer {
        Answer::xml(
            200,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Name>test-bucket</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>\
             <IsTruncated>false</IsTruncated><Contents><Key>a.txt</Key>\
             <LastModified>2024-05-01T12:00:00.000Z</LastModified><ETag>\"abc\"</ETag>\
             <Size>5</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>",
        )
    }

    /// List Buckets: one bucket.
    pub fn list_buckets() -> Answer {
        Answer::xml(
            200,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Owner><ID>o</ID><DisplayName>o</DisplayName></Owner><Buckets><Bucket>\
             <Name>test-bucket</Name><CreationDate>2024-05-01T12:00:00.000Z</CreationDate>\
             </Bucket></Buckets></ListAllMyBucketsResult>",
        )
    }

    /// Get Bucket Location: eu-west-1.
    pub fn get_bucket_location() -> Answer {
        Answer::xml(
            200,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1</LocationConstraint>",
        )
    }

    /// Delete Multiple Objects: `a.txt` deleted.
    pub fn delete_objects() -> Answer {
        Answer::xml(
            200,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Deleted><Key>a.txt</Key></Deleted></DeleteResult>",
        )
    }

    /// Get Object or Head Object: the five bytes `hello`.
    pub fn object() -> Answer {
        Answer::Http {
            status: 200,
            headers: vec![
                ("content-type".to_owned(), "text/plain".to_owned()),
                (
                    "etag".to_owned(),
                    "\"5d41402abc4b2a76b9719d911017c592\"".to_owned(),
                ),
                (
                    "last-modified".to_owned(),
                    "Wed, 01 May 2024 12:00:00 GMT".to_owned(),
                ),
                ("x-amz-meta-owner".to_owned(), "me".to_owned()),
            ],
            body: b"hello".to_vec(),
        }
    }

    /// Put Object: an ETag.
    pub fn put_object() -> Answer {
        Answer::status(200).with_header("etag", "\"5d41402abc4b2a76b9719d911017c592\"")
    }

    /// Delete Object, Put Object ACL: no content.
    pub fn no_content() -> Answer {
        Answer::status(204)
    }

    /// Put Object ACL: 200, empty.
    pub fn empty() -> Answer {
        Answer::status(200)
    }
}
