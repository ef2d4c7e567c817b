//! A test certificate authority made at run time, and HTTP servers on
//! 127.0.0.1 (TLS with a certificate from that CA, or plain) that answer
//! with a handler and record what they receive.
//!
//! With `--connect-to` (or [`HttpConfig::connect_to`]) a request for a real
//! AWS name such as `bucket.s3.eu-west-1.amazonaws.com:443` reaches a
//! [`TestServer`] with its URL, `host` header, TLS server name and
//! signature unchanged; trusting [`TestCa::pem`] (AWS_CA_BUNDLE,
//! `--ca-bundle`, [`HttpConfig::ca_bundle`]) lets the certificate check pass.
//!
//! ```ignore
//! let ca = TestCa::new();
//! let server = serve_tls(&ca, &["*.s3.eu-west-1.amazonaws.com"], |request| {
//!     Reply::new(200).body(b"hello")
//! });
//! let config = HttpConfig {
//!     connect_to: vec![server.connect_to("bucket.s3.eu-west-1.amazonaws.com")],
//!     ca_bundle: Some(ca.bundle()),
//!     ..HttpConfig::default()
//! };
//! ```
//!
//! [`HttpConfig::connect_to`]: s3_connector_host::HttpConfig::connect_to
//! [`HttpConfig::ca_bundle`]: s3_connector_host::HttpConfig::ca_bundle
//! [`HttpConfig`]: s3_connector_host::HttpConfig

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use s3_connector_host::{CaBundle, ConnectTo};

/// How long a server lives at most: longer than any test needs, so that a
/// test that goes wrong cannot hang the suite.
pub const SERVER_LIFETIME: Duration = Duration::from_secs(60);

/// How long a connection may stay silent before the server drops it.
const IDLE: Duration = Duration::from_secs(5);

/// The largest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// A certificate authority made for one test: its key never leaves memory.
pub struct TestCa {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

impl TestCa {
    /// A new CA, `CN=s3-connector test CA`.
    pub fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "s3-connector test CA");
        let pem = params.self_signed(&key).unwrap().pem();
        Self { params, key, pem }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Writes the CA certificate to `dir/ca.pem` and returns the path: for
    /// `--ca-bundle` or AWS_CA_BUNDLE.
    pub fn write_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.pem).unwrap();
        path
    }

    /// The CA as the host's library takes it.
    pub fn bundle(&self) -> CaBundle {
        CaBundle::from_pem(self.pem.as_bytes(), "test CA").unwrap()
    }

    /// A server configuration with a certificate for `names` (DNS names,
    /// wildcards such as `*.s3.eu-west-1.amazonaws.com`, or IP addresses)
    /// signed by this CA.
    pub fn server_config(&self, names: &[&str]) -> Arc<ServerConfig> {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).unwrap();
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, first.as_str());
        }
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        let chain = vec![cert.der().clone()];
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .unwrap();
        Arc::new(config)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// One request as the server read it.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The request target: path and query, as sent.
    pub target: String,
    /// The headers, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body (`content-length` bytes).
    pub body: Vec<u8>,
    /// The TLS server name (SNI) the client asked for; `None` on plain HTTP
    /// or when the client sent none (IP addresses).
    pub sni: Option<String>,
}

impl Received {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query string, without `?` (empty when there is none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map(|(_, q)| q).unwrap_or_default()
    }
}

/// One answer. `content-length` is added; a HEAD request gets the head only.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Headers beyond `content-length`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// An empty answer with `status`.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// With one more header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// With this body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// `status` with an XML body (`content-type: application/xml`).
    pub fn xml(status: u16, xml: &str) -> Self {
        Self::new(status)
            .header("content-type", "application/xml")
            .body(xml.as_bytes())
    }

    /// An S3 `<Error>` answer.
    pub fn s3_error(status: u16, code: &str, message: &str) -> Self {
        Self::xml(
            status,
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                 <Message>{message}</Message><RequestId>TEST</RequestId></Error>"
            ),
        )
    }
}

type Handler = dyn Fn(&Received) -> Reply + Send + Sync;

/// A server on 127.0.0.1 (TLS or plain) that answers with a handler and
/// records every request; it stops when dropped, or after
/// [`SERVER_LIFETIME`].
pub struct TestServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    tls_failures: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Serves HTTPS on 127.0.0.1 with a certificate for `names` signed by
/// `ca`, answering each request with `handler`.
pub fn serve_tls(
    ca: &TestCa,
    names: &[&str],
    handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
) -> TestServer {
    TestServer::start(Some(ca.server_config(names)), Arc::new(handler))
}

/// Serves plain HTTP on 127.0.0.1, answering each request with `handler`.
pub fn serve_plain(handler: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> TestServer {
    TestServer::start(None, Arc::new(handler))
}

impl TestServer {
    fn start(tls: Option<Arc<ServerConfig>>, handler: Arc<Handler>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let tls_failures = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Shared {
            tls,
            handler,
            tls_failures: Arc::clone(&tls_failures),
            received: Arc::clone(&received),
        };
        let thread = {
            let connections = Arc::clone(&connections);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || accept_loop(&listener, &shared, &connections, &stop))
        };
        Self {
            addr,
            connections,
            tls_failures,
            received,
            stop,
            thread: Some(thread),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` (meaningful for a plain server).
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many TCP connections it accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How many TLS handshakes failed (the client did not trust the CA,
    /// or asked for a name the certificate does not hold).
    pub fn tls_failures(&self) -> usize {
        self.tls_failures.load(Ordering::SeqCst)
    }

    /// Every request answered so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The `--connect-to` rule that sends `host`:443 here:
    /// `host:443:127.0.0.1:PORT`.
    pub fn connect_to_text(&self, host: &str) -> String {
        format!("{host}:443:127.0.0.1:{}", self.port())
    }

    /// [`Self::connect_to_text`], parsed.
    pub fn connect_to(&self, host: &str) -> ConnectTo {
        self.connect_to_text(host).parse().unwrap()
    }

    /// The rule that sends every host on port 443 here: `:443:127.0.0.1:PORT`.
    pub fn connect_all_to(&self) -> ConnectTo {
        format!(":443:127.0.0.1:{}", self.port()).parse().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Shared {
    tls: Option<Arc<ServerConfig>>,
    handler: Arc<Handler>,
    tls_failures: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
}

fn accept_loop(listener: &TcpListener, shared: &Shared, connections: &AtomicUsize, stop: &AtomicBool) {
    let deadline = Instant::now() + SERVER_LIFETIME;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        match listener.accept() {
            Ok((socket, _)) => {
                connections.fetch_add(1, Ordering::SeqCst);
                let tls = shared.tls.clone();
                let handler = Arc::clone(&shared.handler);
                let tls_failures = Arc::clone(&shared.tls_failures);
                let received = Arc::clone(&shared.received);
                std::thread::spawn(move || {
                    let _ = socket.set_nonblocking(false);
                    let _ = socket.set_read_timeout(Some(IDLE));
                    let _ = socket.set_write_timeout(Some(IDLE));
                    match tls {
                        Some(config) => {
                            let Ok(connection) = ServerConnection::new(config) else {
                                return;
                            };
                            let mut stream = StreamOwned::new(connection, socket);
                            if handshake(&mut stream).is_err() {
                                tls_failures.fetch_add(1, Ordering::SeqCst);
                                return;
                            }
                            let sni = stream.conn.server_name().map(str::to_owned);
                            serve_connection(&mut stream, sni, &*handler, &received);
                        }
                        None => {
                            let mut socket = socket;
                            serve_connection(&mut socket, None, &*handler, &received);
                        }
                    }
                });
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => break,
        }
    }
}

fn handshake(stream: &mut StreamOwned<ServerConnection, TcpStream>) -> std::io::Result<()> {
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(())
}

/// Answers requests on one connection until the client closes it.
fn serve_connection(
    stream: &mut (impl Read + Write),
    sni: Option<String>,
    handler: &Handler,
    received: &Mutex<Vec<Received>>,
) {
    let mut buffer = Vec::new();
    while let Some(mut request) = read_request(stream, &mut buffer) {
        request.sni = sni.clone();
        let reply = handler(&request);
        let head_only = request.method.eq_ignore_ascii_case("HEAD");
        received.lock().unwrap().push(request);
        if write_reply(stream, &reply, head_only).is_err() {
            return;
        }
    }
}

/// Reads one request; `None` at end of stream or on anything unreadable.
/// `buffer` keeps bytes read past the request for the next one.
fn read_request(stream: &mut impl Read, buffer: &mut Vec<u8>) -> Option<Received> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    buffer.drain(..head_end + 4);
    while buffer.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer.drain(..length).collect();
    Some(Received {
        method,
        target,
        headers,
        body,
        sni: None,
    })
}

fn write_reply(stream: &mut impl Write, reply: &Reply, head_only: bool) -> std::io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", reply.body.len()));
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&reply.body);
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
