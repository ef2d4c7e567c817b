//! The host side of the `http-outgoing` import: the only way the component
//! reaches the network.
//!
//! [`Outgoing`] is the one-method seam; [`UreqOutgoing`] sends for real with
//! ureq 3 (rustls, webpki roots) and [`crate::dry_run::DryRun`] only prints.
//!
//! [`UreqOutgoing`] resolves every host name itself, applies
//! `--connect-to` rules ([`crate::connect_to`]) and the address policy
//! ([`crate::policy`]) to the addresses found, and connects to those very
//! addresses: a refused destination is a `denied` error before any
//! connection is made.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::config::{AutoHeaderValue, Config};
use ureq::http::{self, Uri};
use ureq::tls::TlsConfig;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Connector, DefaultConnector, NextTimeout};

use crate::ca_bundle::CaBundle;
use crate::connect_to::{self, normalize_host, ConnectTo};
use crate::policy::{AddressPolicy, Origin};
use crate::socket_timeouts::WholeMillis;
use crate::wit::{Body, DigestAlgorithm, Header, Request, Response, TransportError};

/// Sends one request built and signed by the component.
pub trait Outgoing: Send {
    /// Sends `request` and returns the whole response; any HTTP status is
    /// `Ok`, `Err` means no response was had.
    fn send(&mut self, request: Request) -> Result<Response, TransportError>;

    /// Told before each call which endpoint URL its connection names (the
    /// caller's explicit choice; `None`: AWS). A transport with an address
    /// policy lets that endpoint's host and port be a loopback address; the
    /// default ignores it.
    fn set_explicit_endpoint(&mut self, endpoint: Option<&str>) {
        let _ = endpoint;
    }

    /// Told before each call when it must be over (`None`: no deadline). A
    /// transport that can, stops a request still running then with
    /// `timeout`; the default ignores it, and the call is stopped only once
    /// the request returns.
    fn set_deadline(&mut self, deadline: Option<Instant>) {
        let _ = deadline;
    }

    /// Sends `request` (whose own body is empty) with `length` bytes read
    /// from `body` as its body, framed with `content-length`. The default
    /// cannot stream and answers `other`.
    fn send_from(
        &mut self,
        request: Request,
        body: &mut dyn Read,
        length: u64,
    ) -> Result<Response, TransportError> {
        let _ = (request, body, length);
        Err(TransportError::Other(
            "this host's transport cannot send streamed bodies".to_owned(),
        ))
    }

    /// Sends each request with its body read from its reader, at the same
    /// time if the transport can; one answer per request, in order. The
    /// default sends them one after the other.
    fn send_from_each(
        &mut self,
        requests: Vec<(Request, Box<dyn Read + Send + '_>, u64)>,
    ) -> Vec<Result<Response, TransportError>> {
        requests
            .into_iter()
            .map(|(request, mut body, length)| self.send_from(request, &mut body, length))
            .collect()
    }

    /// Sends each request (at the same time if the transport can), each
    /// 2xx body written through `place` from its request's position; one
    /// answer per request, in order, with how many body bytes were placed.
    /// A body that breaks off still answers `Ok`. The default sends them
    /// one after the other.
    fn send_into_each(
        &mut self,
        requests: Vec<(Request, u64)>,
        place: &PlaceFn<'_>,
    ) -> Vec<Result<(Response, u64), TransportError>> {
        requests
            .into_iter()
            .map(|(request, at)| {
                let mut writer = Placer::new(place, at);
                let response = self.send_into(request, &mut writer)?;
                Ok((response, writer.written))
            })
            .collect()
    }

    /// The digest of a body the component holds in memory and is about to
    /// sign (`http-outgoing.digest`: the SHA-256 of one of 512 bytes or more sent
    /// over plain HTTP), or `None` to have the component hash it itself (it
    /// then asks no more for the instance's life). The default hashes
    /// natively, without the call's deadline: the largest body a call holds
    /// in memory hashes in well under a second.
    fn digest(&mut self, bytes: &[u8], algorithm: DigestAlgorithm) -> Option<Vec<u8>> {
        Some(crate::bodies::digest_bytes(bytes, algorithm))
    }

    /// Sends `request`; a 2xx body is written to `sink` instead of being
    /// returned, in chunks, with no size cap. A body that breaks off after
    /// the head arrived still answers `Ok` with the head: the sink holds
    /// what arrived, and the caller compares it with `content-length`. A
    /// failing sink is `other`. The default cannot stream.
    fn send_into(&mut self, request: Request, sink: &mut dyn Write) -> Result<Response, TransportError> {
        let _ = (request, sink);
        Err(TransportError::Other(
            "this host's transport cannot receive streamed bodies".to_owned(),
        ))
    }
}

/// Writes bytes into a download's sink at a position, from any thread.
pub type PlaceFn<'a> = dyn Fn(u64, &[u8]) -> std::io::Result<()> + Sync + 'a;

/// A writer that places what it is given from `at` on.
struct Placer<'p, 'a> {
    place: &'p PlaceFn<'a>,
    at: u64,
    written: u64,
}

impl<'p, 'a> Placer<'p, 'a> {
    fn new(place: &'p PlaceFn<'a>, at: u64) -> Self {
        Self {
            place,
            at,
            written: 0,
        }
    }
}

impl Write for Placer<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (self.place)(self.at + self.written, buf)?;
        self.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How many requests of one `send-into-each` (the ranges of a download)
/// this host runs at once. The others wait for a free worker, which takes
/// the next as soon as its own is done: a slow range holds up one worker,
/// not a whole batch.
pub const PARALLEL_RANGES: usize = 10;

/// Runs `transfer` on each item, at most `workers` at a time, each worker
/// (a thread, on its own connection of the pool) taking the next item as
/// soon as it is done; the results in the order of the items.
fn in_pool<T: Send, R: Send>(
    items: Vec<T>,
    workers: usize,
    transfer: impl Fn(T) -> Result<R, TransportError> + Sync,
) -> Vec<Result<R, TransportError>> {
    let count = items.len();
    let queue = Mutex::new(items.into_iter().enumerate());
    let results: Mutex<Vec<Option<Result<R, TransportError>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, count.max(1)) {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                let Some((index, item)) = next else {
                    break;
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| transfer(item)))
                    .unwrap_or_else(|_| Err(TransportError::Other("a transfer thread failed".to_owned())));
                if let Some(slot) = results
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get_mut(index)
                {
                    *slot = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| Err(TransportError::Other("a transfer was not run".to_owned())))
        })
        .collect()
}

/// The size of the buffer streamed bodies are copied through.
pub const STREAM_CHUNK: usize = 256 * 1024;

/// The most a body read whole reserves up front on its `Content-Length`'s
/// word: a longer body grows its buffer as it arrives, so that a server
/// declaring a length it never sends costs no more than this.
const PRESIZE_MAX: u64 = 8 * 1024 * 1024;

/// Limits and network settings of [`UreqOutgoing`].
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// How long resolving the host name and connecting may take.
    pub connect_timeout: Duration,
    /// How long sending the request, and then receiving the response head
    /// and the response body, may each take.
    pub read_timeout: Duration,
    /// The largest response body accepted, in bytes; a larger one is
    /// `too-large`. The body is copied into the component's memory, which
    /// has its own limit, so this stays well below it.
    pub max_response_bytes: u64,
    /// Which addresses may be connected to (default: public ones, loopback
    /// for the explicit endpoint).
    pub address_policy: AddressPolicy,
    /// `--connect-to` rules: where requests for a host and port connect
    /// instead, the first matching rule applying. Their target addresses
    /// may be loopback or private, never link-local.
    pub connect_to: Vec<ConnectTo>,
    /// Root certificates trusted on top of the public ones.
    pub ca_bundle: Option<CaBundle>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
            address_policy: AddressPolicy::default(),
            connect_to: Vec::new(),
            ca_bundle: None,
        }
    }
}

/// Sends requests with ureq, as they are: no redirects followed, no
/// decompression, no headers added but `host` (derived from the URL, which
/// is what the component signed) and the body framing (`content-length`).
pub struct UreqOutgoing {
    agent: ureq::Agent,
    config: HttpConfig,
    explicit_endpoint: Arc<Mutex<Option<(String, u16)>>>,
    deadline: Option<Instant>,
    // The time a call is given (the deadline as set, from then).
    call_window: Option<Duration>,
}

impl UreqOutgoing {
    /// An HTTP client with these limits and network settings.
    pub fn new(config: HttpConfig) -> Self {
        Self::with_connector(config, DefaultConnector::default())
    }

    /// The client, making its connections with `connector` (tests pass one
    /// that records what it is asked to connect to, and never does).
    fn with_connector(config: HttpConfig, connector: impl Connector) -> Self {
        let mut builder = ureq::Agent::config_builder()
            // S3 errors are answers the component parses, not transport failures.
            .http_status_as_error(false)
            // A 301 or 307 from S3 names another region: the component decides.
            .max_redirects(0)
            .max_redirects_will_error(false)
            // The component sends exactly what it signed; nothing is added.
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            // Proxies from the environment would change where bytes go.
            .proxy(None)
            .timeout_resolve(Some(config.connect_timeout))
            .timeout_connect(Some(config.connect_timeout))
            .timeout_send_request(Some(config.read_timeout))
            .timeout_send_body(Some(config.read_timeout))
            .timeout_recv_response(Some(config.read_timeout))
            .timeout_recv_body(Some(config.read_timeout));
        if let Some(bundle) = &config.ca_bundle {
            builder = builder.tls_config(TlsConfig::builder().root_certs(bundle.root_certs()).build());
        }
        let explicit_endpoint = Arc::new(Mutex::new(None));
        let resolver = PolicyResolver {
            inner: DefaultResolver::default(),
            policy: config.address_policy,
            rules: config.connect_to.clone(),
            explicit_endpoint: Arc::clone(&explicit_endpoint),
        };
        // Timeouts rounded to the millisecond: the socket's are set once per
        // connection instead of before each read and write.
        let agent = ureq::Agent::with_parts(builder.build(), connector.chain(WholeMillis), resolver);
        Self {
            agent,
            config,
            explicit_endpoint,
            deadline: None,
            call_window: None,
        }
    }

    /// Runs `request`, within what is left before the deadline: ureq's
    /// global timeout covers connecting, sending and reading the body.
    fn run<S: ureq::AsSendBody>(
        &self,
        request: http::Request<S>,
        left: Option<Duration>,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        let request = self.agent.configure_request(request).timeout_global(left).build();
        self.agent.run(request)
    }
}

impl Default for UreqOutgoing {
    fn default() -> Self {
        Self::new(HttpConfig::default())
    }
}

impl UreqOutgoing {
    /// The request's head as ureq takes it: every header but `host`.
    fn builder(request: &Request) -> Result<http::request::Builder, TransportError> {
        check_scheme(&request.url)?;
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(request.url.as_str());
        for Header { name, value } in &request.headers {
            // ureq derives `host` from the URL (the same value the component
            // signed: host, and port when not the scheme's default); giving
            // it twice would be refused.
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            builder = builder.header(name.as_str(), value.as_str());
        }
        Ok(builder)
    }

    /// What is left of the call's time; `Err` when nothing is.
    fn time_left(&self) -> Result<Option<Duration>, TransportError> {
        match self.deadline {
            None => Ok(None),
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(TransportError::Timeout),
            },
        }
    }

    /// Runs a request whose body streams: no total budget for sending or
    /// receiving the body (an object may take hours), but every read and
    /// write must make progress within the read timeout.
    fn run_streaming<S: ureq::AsSendBody>(
        &self,
        request: http::Request<S>,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        let idle = Some(self.config.read_timeout);
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(None)
            .timeout_send_body(None)
            .timeout_recv_body(None)
            .timeout_per_read(idle)
            .timeout_per_write(idle)
            .build();
        self.agent.run(request)
    }

    /// Sends `request` with `length` bytes of `body` as its body, framed
    /// with `content-length`, under the streaming timeouts.
    fn send_span(
        &self,
        request: Request,
        body: &mut dyn Read,
        length: u64,
    ) -> Result<Response, TransportError> {
        let builder = Self::builder(&request)?.header("content-length", length);
        self.time_left()?;
        let mut response = builder
            .body(ureq::SendBody::from_reader(body))
            .map(|r| self.run_streaming(r))
            .map_err(|e| TransportError::InvalidRequest(e.to_string()))?
            .map_err(transport_error)?;
        let (status, headers) = Self::head(&response);
        let body = self.read_capped(&mut response)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// The response head, as the component takes it: the status, and the
    /// headers as `name:value` lines (`http-outgoing`'s `response.headers`).
    fn head(response: &http::Response<ureq::Body>) -> (u16, String) {
        let status = response.status().as_u16();
        let headers = response.headers();
        let mut lines = String::with_capacity(
            headers
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len() + 2)
                .sum(),
        );
        for (name, value) in headers {
            s3_connector::http::push_header_line(&mut lines, name.as_str(), value.as_bytes());
        }
        (status, lines)
    }

    /// A body read whole, within the response cap, into a buffer sized once
    /// by its `Content-Length` (a 1000-key listing, some 300 KB, grown by
    /// doubling would be copied a dozen times). The length only sizes the
    /// buffer, up to [`PRESIZE_MAX`] and the cap; the cap's limit still
    /// refuses a body longer than the cap, whatever the server declared.
    fn read_capped(&self, response: &mut http::Response<ureq::Body>) -> Result<Body, TransportError> {
        let body = response.body_mut();
        let declared = body
            .content_length()
            .unwrap_or(0)
            .min(self.config.max_response_bytes)
            .min(PRESIZE_MAX);
        let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
        body.with_config()
            .limit(self.config.max_response_bytes)
            .reader()
            .read_to_end(&mut bytes)
            .map_err(|e| transport_error(ureq::Error::from(e)))?;
        Ok(Body::Bytes(bytes))
    }
}

impl Outgoing for UreqOutgoing {
    fn send(&mut self, request: Request) -> Result<Response, TransportError> {
        let is_head = request.method.eq_ignore_ascii_case("HEAD");
        let builder = Self::builder(&request)?;
        let left = self.time_left()?;
        let sent = match request.body {
            Body::Empty => builder.body(()).map(|r| self.run(r, left)),
            Body::Bytes(bytes) => builder.body(bytes).map(|r| self.run(r, left)),
        };
        let mut response = sent
            .map_err(|e| TransportError::InvalidRequest(e.to_string()))?
            .map_err(transport_error)?;
        let (status, headers) = Self::head(&response);
        let body = if is_head {
            Body::Empty
        } else {
            self.read_capped(&mut response)?
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn send_from(
        &mut self,
        request: Request,
        body: &mut dyn Read,
        length: u64,
    ) -> Result<Response, TransportError> {
        self.send_span(request, body, length)
    }

    /// One thread per request, each on its own connection of the pool.
    fn send_from_each(
        &mut self,
        requests: Vec<(Request, Box<dyn Read + Send + '_>, u64)>,
    ) -> Vec<Result<Response, TransportError>> {
        let this = &*self;
        let workers = requests.len();
        in_pool(requests, workers, |(request, mut body, length)| {
            this.send_span(request, &mut body, length)
        })
    }

    fn set_explicit_endpoint(&mut self, endpoint: Option<&str>) {
        let trusted = endpoint
            .and_then(|url| url.parse::<Uri>().ok())
            .and_then(|uri| host_and_port(&uri));
        *self
            .explicit_endpoint
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = trusted;
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
        self.call_window = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
    }

    /// [`PARALLEL_RANGES`] workers, each on its own connection of the pool.
    /// As in a call, a request may start until the deadline, which moves on
    /// by the call's time whenever one of them completes.
    fn send_into_each(
        &mut self,
        requests: Vec<(Request, u64)>,
        place: &PlaceFn<'_>,
    ) -> Vec<Result<(Response, u64), TransportError>> {
        let this = &*self;
        let deadline = Mutex::new(self.deadline);
        in_pool(requests, PARALLEL_RANGES, |(request, at)| {
            let mut writer = Placer::new(place, at);
            let until = *deadline.lock().unwrap_or_else(PoisonError::into_inner);
            let response = this.receive_until(request, &mut writer, until)?;
            if let (Some(window), Some(at_least)) = (this.call_window, until) {
                let mut deadline = deadline.lock().unwrap_or_else(PoisonError::into_inner);
                *deadline = Instant::now()
                    .checked_add(window)
                    .map(|moved| moved.max(at_least));
            }
            Ok((response, writer.written))
        })
    }

    fn send_into(&mut self, request: Request, sink: &mut dyn Write) -> Result<Response, TransportError> {
        self.receive_until(request, sink, self.deadline)
    }
}

impl UreqOutgoing {
    /// Sends `request` and writes a 2xx body to `sink`, under the streaming
    /// timeouts, if `deadline` has not passed; see [`Outgoing::send_into`].
    fn receive_until(
        &self,
        request: Request,
        sink: &mut dyn Write,
        deadline: Option<Instant>,
    ) -> Result<Response, TransportError> {
        let is_head = request.method.eq_ignore_ascii_case("HEAD");
        let builder = Self::builder(&request)?;
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(TransportError::Timeout);
        }
        let mut response = builder
            .body(())
            .map(|r| self.run_streaming(r))
            .map_err(|e| TransportError::InvalidRequest(e.to_string()))?
            .map_err(transport_error)?;
        let (status, headers) = Self::head(&response);
        if is_head || !(200..300).contains(&status) {
            let body = if is_head {
                Body::Empty
            } else {
                self.read_capped(&mut response)?
            };
            return Ok(Response {
                status,
                headers,
                body,
            });
        }
        let mut reader = response.body_mut().as_reader();
        let mut buffer = vec![0u8; STREAM_CHUNK];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // The head arrived: what reached the sink is kept, and the
                // caller sees the shortfall against content-length.
                Err(_) => break,
            };
            sink.write_all(&buffer[..n])
                .map_err(|e| TransportError::Other(format!("the download's sink failed: {e}")))?;
        }
        Ok(Response {
            status,
            headers,
            body: Body::Empty,
        })
    }
}

/// The request's host (as [`normalize_host`] gives it) and port (the
/// scheme's default when the URL has none); `None` for a scheme other
/// than http and https.
pub(crate) fn host_and_port(uri: &Uri) -> Option<(String, u16)> {
    let default_port = match uri.scheme_str()? {
        s if s.eq_ignore_ascii_case("https") => 443,
        s if s.eq_ignore_ascii_case("http") => 80,
        _ => return None,
    };
    let host = normalize_host(uri.host()?);
    Some((host, uri.port_u16().unwrap_or(default_port)))
}

/// The resolver ureq calls before every request (pooled connection or
/// not): `--connect-to` first, then a name lookup, then the address
/// policy on every address found. Only checked addresses are returned, and
/// ureq connects to exactly those. A name with one refused address among
/// its answers is refused whole: mixing a public and a private answer is
/// how DNS rebinding starts.
#[derive(Debug)]
struct PolicyResolver {
    inner: DefaultResolver,
    policy: AddressPolicy,
    rules: Vec<ConnectTo>,
    explicit_endpoint: Arc<Mutex<Option<(String, u16)>>>,
}

impl PolicyResolver {
    fn is_explicit_endpoint(&self, host: &str, port: u16) -> bool {
        let explicit = self
            .explicit_endpoint
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        explicit.as_ref().is_some_and(|(h, p)| h == host && *p == port)
    }
}

impl Resolver for PolicyResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let scheme = uri.scheme_str().unwrap_or_default();
        let Some((host, port)) = host_and_port(uri) else {
            return Err(denied(format!(
                "scheme `{scheme}` is not allowed, only http and https"
            )));
        };
        let origin = if self.is_explicit_endpoint(&host, port) {
            Origin::ExplicitEndpoint
        } else {
            Origin::Component
        };
        // A rule's address is the operator's own choice; a rule that only
        // changes the port leaves the address to the request's host.
        let (target_host, target_port, origin) = match connect_to::find(&self.rules, &host, port) {
            Some(rule) => {
                let (target_host, target_port) = rule.target(&host, port);
                let origin = if rule.target_host.is_some() {
                    Origin::ConnectTo
                } else {
                    origin
                };
                (target_host.to_owned(), target_port, origin)
            }
            None => (host.clone(), port, origin),
        };
        let addrs = match target_host.parse::<IpAddr>() {
            Ok(ip) => {
                let mut addrs = self.empty();
                addrs.push(SocketAddr::new(ip, target_port));
                addrs
            }
            Err(_) => {
                let lookup: Uri = format!("http://{target_host}:{target_port}/")
                    .parse()
                    .map_err(|e| ureq::Error::BadUri(format!("{target_host}: {e}")))?;
                self.inner.resolve(&lookup, config, timeout)?
            }
        };
        for addr in &addrs {
            if let Err(refusal) = self.policy.check(addr.ip(), origin) {
                let route = if (target_host.as_str(), target_port) == (host.as_str(), port) {
                    String::new()
                } else {
                    format!(
                        " (connected to {} by --connect-to)",
                        join_host_port(&target_host, target_port)
                    )
                };
                return Err(denied(format!(
                    "{}{route}: {refusal}",
                    join_host_port(&host, port)
                )));
            }
        }
        Ok(addrs)
    }
}

/// `host:port`, an IPv6 address in brackets.
pub(crate) fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The policy's refusal, carried through ureq to [`transport_error`].
#[derive(Debug)]
struct Denied(String);

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused by the outgoing-address policy: {}", self.0)
    }
}

impl std::error::Error for Denied {}

fn denied(message: String) -> ureq::Error {
    ureq::Error::Other(Box::new(Denied(message)))
}

/// Only `http` and `https` leave the host.
fn check_scheme(url: &str) -> Result<(), TransportError> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http" | "https") => Ok(()),
        Some(other) => Err(TransportError::Denied(format!(
            "scheme `{other}` is not allowed, only http and https"
        ))),
        None => Err(TransportError::InvalidRequest(format!(
            "not an absolute URL: {url}"
        ))),
    }
}

/// Maps ureq's error onto the WIT `transport-error` cases.
pub fn transport_error(error: ureq::Error) -> TransportError {
    use ureq::Error as E;
    match error {
        E::Timeout(_) => TransportError::Timeout,
        E::HostNotFound => TransportError::Dns("host name not found".to_owned()),
        E::BodyExceedsLimit(limit) => TransportError::TooLarge(limit),
        E::Tls(message) => TransportError::Tls(message.to_owned()),
        E::Rustls(e) => TransportError::Tls(e.to_string()),
        E::Pem(e) => TransportError::Tls(e.to_string()),
        E::TlsRequired => TransportError::Tls("the connection is not secured by TLS".to_owned()),
        E::BadUri(message) => TransportError::InvalidRequest(format!("bad URL: {message}")),
        E::Http(e) => TransportError::InvalidRequest(e.to_string()),
        E::ConnectionFailed => TransportError::Connection("connection failed".to_owned()),
        E::Io(e) => io_error(e),
        E::Other(e) => match e.downcast::<Denied>() {
            Ok(denied) => TransportError::Denied(denied.to_string()),
            Err(e) => TransportError::Other(e.to_string()),
        },
        other => TransportError::Other(other.to_string()),
    }
}

fn io_error(error: std::io::Error) -> TransportError {
    // rustls reports a failed handshake as an `InvalidData` I/O error that
    // wraps its own error.
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return TransportError::Tls(tls.to_string());
    }
    let message = error.to_string();
    match error.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportError::Timeout,
        // std's resolver reports getaddrinfo failures with this text and no
        // kind of their own.
        _ if message.contains("failed to lookup address") => TransportError::Dns(message),
        ErrorKind::ConnectionRefused
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::NotConnected
        | ErrorKind::BrokenPipe
        | ErrorKind::UnexpectedEof
        | ErrorKind::AddrNotAvailable
        | ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable => TransportError::Connection(message),
        _ => TransportError::Other(message),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Body) -> Request {
        Request {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| Header {
                    name: (*n).to_owned(),
                    value: (*v).to_owned(),
                })
                .collect(),
            body,
        }
    }

    /// A default client for which `url` is the connection's explicit
    /// endpoint, so that its loopback address is reachable.
    fn trusting(url: &str) -> UreqOutgoing {
        let mut outgoing = UreqOutgoing::default();
        outgoing.set_explicit_endpoint(Some(url));
        outgoing
    }

    /// Serves one connection with `answer`, and returns what was received.
    fn serve_once(answer: &'static [u8]) -> (String, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            socket.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
            let mut received = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = socket.read(&mut buf) {
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buf[..n]);
            }
            socket.write_all(answer).unwrap();
            received
        });
        (url, handle)
    }

    #[test]
    fn request_goes_out_as_given_with_nothing_added() {
        let (url, server) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        let host = url.trim_start_matches("http://").to_owned();
        let req = request(
            "PUT",
            &format!("{url}/bucket/a%20b?x-id=PutObject"),
            &[
                ("host", &host),
                ("x-amz-date", "20130524T000000Z"),
                ("Authorization", "AWS4-HMAC-SHA256 x"),
            ],
            Body::Bytes(b"hello".to_vec()),
        );
        let response = trusting(&url).send(req).unwrap();
        assert_eq!(response.status, 200);
        let received = String::from_utf8(server.join().unwrap()).unwrap();
        let (head, body) = received.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        assert_eq!(lines.next(), Some("PUT /bucket/a%20b?x-id=PutObject HTTP/1.1"));
        let mut names: Vec<String> = lines
            .map(|l| l.split(':').next().unwrap().to_ascii_lowercase())
            .collect();
        names.sort();
        assert_eq!(names, ["authorization", "content-length", "host", "x-amz-date"]);
        assert!(head.contains(&format!("host: {host}")));
        assert_eq!(body, "hello");
    }

    #[test]
    fn error_status_and_redirect_are_responses() {
        let (url, _server) =
            serve_once(b"HTTP/1.1 301 Moved\r\nlocation: http://elsewhere/\r\ncontent-length: 0\r\n\r\n");
        let response = trusting(&url)
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap();
        assert_eq!(response.status, 301);
        let (url, _server) = serve_once(
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 8\r\nx-amz-request-id: R1\r\n\r\n<Error/>",
        );
        let response = trusting(&url)
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap();
        assert_eq!(response.status, 404);
        assert!(
            response.headers.contains("\nx-amz-request-id:R1\n"),
            "{}",
            response.headers
        );
        assert!(matches!(response.body, Body::Bytes(b) if b == b"<Error/>"));
    }

    #[test]
    fn gzip_body_is_not_decompressed() {
        let (url, _server) =
            serve_once(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 3\r\n\r\n\x1f\x8b\x08");
        let response = trusting(&url)
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap();
        assert!(matches!(response.body, Body::Bytes(b) if b == b"\x1f\x8b\x08"));
    }

    #[test]
    fn body_over_the_cap_is_too_large() {
        let (url, _server) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789");
        let mut outgoing = UreqOutgoing::new(HttpConfig {
            max_response_bytes: 4,
            ..HttpConfig::default()
        });
        outgoing.set_explicit_endpoint(Some(&url));
        let error = outgoing
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap_err();
        assert!(matches!(error, TransportError::TooLarge(4)), "{error:?}");
    }

    #[test]
    fn a_declared_length_the_body_never_reaches_is_an_error_not_an_allocation() {
        // A terabyte declared, three bytes sent: the buffer is sized up to
        // PRESIZE_MAX at most, and the short body is a transport error.
        let (url, _server) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 1099511627776\r\n\r\nabc");
        let result = trusting(&url).send(request("GET", &format!("{url}/"), &[], Body::Empty));
        assert!(result.is_err(), "{result:?}");
        let (url, _server) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc");
        let response = trusting(&url)
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap();
        assert!(matches!(response.body, Body::Bytes(b) if b == b"abc" && b.capacity() == 3));
    }

    #[test]
    fn refused_connection_is_connection_error() {
        // Bind then drop: the port is very likely closed now.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/");
        let error = trusting(&url)
            .send(request("GET", &url, &[], Body::Empty))
            .unwrap_err();
        assert!(matches!(error, TransportError::Connection(_)), "{error:?}");
    }

    #[test]
    fn silent_server_is_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let mut outgoing = UreqOutgoing::new(HttpConfig {
            read_timeout: Duration::from_millis(200),
            ..HttpConfig::default()
        });
        outgoing.set_explicit_endpoint(Some(&url));
        let error = outgoing.send(request("GET", &url, &[], Body::Empty)).unwrap_err();
        drop(listener);
        assert!(matches!(error, TransportError::Timeout), "{error:?}");
    }

    #[test]
    fn resolver_failure_is_dns_error() {
        // What std answers when getaddrinfo fails (no lookup is made here).
        let error = std::io::Error::other("failed to lookup address information: Name or service not known");
        assert!(matches!(io_error(error), TransportError::Dns(_)));
        assert!(matches!(
            transport_error(ureq::Error::HostNotFound),
            TransportError::Dns(_)
        ));
    }

    #[test]
    fn other_scheme_is_denied_and_garbage_is_invalid() {
        let error = UreqOutgoing::default()
            .send(request("GET", "file:///etc/passwd", &[], Body::Empty))
            .unwrap_err();
        assert!(matches!(error, TransportError::Denied(_)), "{error:?}");
        let error = UreqOutgoing::default()
            .send(request("GET", "no url", &[], Body::Empty))
            .unwrap_err();
        assert!(matches!(error, TransportError::InvalidRequest(_)), "{error:?}");
    }

    /// Passes a real transport on, and records the time left of every
    /// read and write it is given.
    #[derive(Clone, Debug, Default)]
    struct TimeoutSpy(Arc<Mutex<Vec<Duration>>>);

    #[derive(Debug)]
    struct Spied<T>(T, Arc<Mutex<Vec<Duration>>>);

    impl<T: ureq::unversioned::transport::Transport> Connector<T> for TimeoutSpy {
        type Out = Spied<T>;

        fn connect(
            &self,
            _details: &ureq::unversioned::transport::ConnectionDetails,
            chained: Option<T>,
        ) -> Result<Option<Self::Out>, ureq::Error> {
            Ok(chained.map(|transport| Spied(transport, Arc::clone(&self.0))))
        }
    }

    impl<T: ureq::unversioned::transport::Transport> ureq::unversioned::transport::Transport for Spied<T> {
        fn buffers(&mut self) -> &mut dyn ureq::unversioned::transport::Buffers {
            self.0.buffers()
        }

        fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
            self.1.lock().unwrap().push(*timeout.for_write().after);
            self.0.transmit_output(amount, timeout)
        }

        fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
            self.1.lock().unwrap().push(*timeout.for_read().after);
            self.0.await_input(timeout)
        }

        fn is_open(&mut self) -> bool {
            self.0.is_open()
        }
    }

    #[test]
    fn the_socket_is_given_timeouts_in_whole_milliseconds() {
        // One kept-alive connection answering three requests.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            for _ in 0..3 {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let n = socket.read(&mut buf).unwrap();
                    assert!(n > 0, "the client closed the connection");
                    head.extend_from_slice(&buf[..n]);
                }
                socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .unwrap();
            }
        });
        let spy = TimeoutSpy::default();
        let mut outgoing = UreqOutgoing::with_connector(
            HttpConfig::default(),
            DefaultConnector::default().chain(spy.clone()),
        );
        outgoing.set_explicit_endpoint(Some(&url));
        outgoing.set_deadline(Instant::now().checked_add(Duration::from_secs(120)));
        for _ in 0..3 {
            let response = outgoing.send(request("GET", &url, &[], Body::Empty)).unwrap();
            assert_eq!(response.status, 200);
        }
        server.join().unwrap();
        let seen = spy.0.lock().unwrap().clone();
        assert!(seen.len() >= 6, "a write and a read per request: {seen:?}");
        // ureq sets the socket's timeout again whenever this value changes;
        // in nanoseconds it would change on every request.
        for left in &seen {
            assert_eq!(left.subsec_nanos() % 1_000_000, 0, "{seen:?}");
            assert!(
                *left > Duration::from_secs(55) && *left <= Duration::from_secs(60),
                "{seen:?}"
            );
        }
    }

    /// Records what ureq asks it to connect to, and connects nowhere: a
    /// test that goes wrong sends no packet anywhere.
    #[derive(Clone, Debug, Default)]
    struct Recorder(Arc<Mutex<Vec<Attempt>>>);

    /// The URL of one connection attempt, and the addresses it was to use.
    type Attempt = (String, Vec<SocketAddr>);

    impl Connector for Recorder {
        type Out = Box<dyn ureq::unversioned::transport::Transport>;

        fn connect(
            &self,
            details: &ureq::unversioned::transport::ConnectionDetails,
            _chained: Option<()>,
        ) -> Result<Option<Self::Out>, ureq::Error> {
            let seen = (details.uri.to_string(), details.addrs.to_vec());
            self.0.lock().unwrap().push(seen);
            Err(ureq::Error::ConnectionFailed)
        }
    }

    impl Recorder {
        fn attempts(&self) -> Vec<Attempt> {
            self.0.lock().unwrap().clone()
        }
    }

    /// A client that records instead of connecting, with `config` and
    /// `endpoint` as the explicit endpoint.
    fn recording(config: HttpConfig, endpoint: Option<&str>) -> (UreqOutgoing, Recorder) {
        let recorder = Recorder::default();
        let mut outgoing = UreqOutgoing::with_connector(config, recorder.clone());
        outgoing.set_explicit_endpoint(endpoint);
        (outgoing, recorder)
    }

    fn get(outgoing: &mut UreqOutgoing, url: &str) -> TransportError {
        outgoing.send(request("GET", url, &[], Body::Empty)).unwrap_err()
    }

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn metadata_service_is_denied_before_any_connection() {
        for endpoint in [None, Some("http://169.254.169.254")] {
            let (mut outgoing, recorder) = recording(HttpConfig::default(), endpoint);
            for url in [
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                "http://[::ffff:169.254.169.254]/latest/meta-data/",
                "http://[::ffff:a9fe:a9fe]/",
                "http://[fe80::1]:9000/",
                "http://[fd00:ec2::254]/",
            ] {
                let error = get(&mut outgoing, url);
                assert!(
                    matches!(&error, TransportError::Denied(m) if m.contains("link-local")
                    || m.contains("metadata")),
                    "{url}: {error:?}"
                );
            }
            assert!(recorder.attempts().is_empty(), "{:?}", recorder.attempts());
        }
    }

    #[test]
    fn private_address_is_denied_until_the_opt_in() {
        let url = "http://10.1.2.3:9000/bucket/key";
        let (mut outgoing, recorder) = recording(HttpConfig::default(), Some("http://10.1.2.3:9000"));
        let error = get(&mut outgoing, url);
        let TransportError::Denied(message) = error else {
            panic!("{error:?}");
        };
        assert!(
            message.contains("10.1.2.3:9000") && message.contains("private"),
            "{message}"
        );
        assert!(message.contains("--allow-private-network"), "{message}");
        assert!(recorder.attempts().is_empty());

        let config = HttpConfig {
            address_policy: AddressPolicy {
                allow_private_network: true,
            },
            ..HttpConfig::default()
        };
        let (mut outgoing, recorder) = recording(config, None);
        assert!(matches!(get(&mut outgoing, url), TransportError::Connection(_)));
        assert_eq!(recorder.attempts(), [(url.to_owned(), addrs(&["10.1.2.3:9000"]))]);
        // The opt-in opens private networks, nothing else.
        let error = get(&mut outgoing, "http://127.0.0.1:9000/");
        assert!(matches!(error, TransportError::Denied(_)), "{error:?}");
        let error = get(&mut outgoing, "http://169.254.169.254/");
        assert!(matches!(error, TransportError::Denied(_)), "{error:?}");
        assert_eq!(recorder.attempts().len(), 1);
    }

    #[test]
    fn loopback_is_reachable_only_as_the_explicit_endpoint() {
        let (mut outgoing, recorder) = recording(HttpConfig::default(), None);
        for url in [
            "http://127.0.0.1:9000/",
            "http://[::1]:9000/",
            "http://localhost:9000/",
            "http://0.0.0.0:9000/",
        ] {
            let error = get(&mut outgoing, url);
            assert!(matches!(&error, TransportError::Denied(_)), "{url}: {error:?}");
        }
        assert!(recorder.attempts().is_empty());

        outgoing.set_explicit_endpoint(Some("http://LOCALHOST:9000/base"));
        let error = get(&mut outgoing, "http://localhost:9000/base/bucket");
        assert!(matches!(error, TransportError::Connection(_)), "{error:?}");
        let attempts = recorder.attempts();
        assert_eq!(attempts.len(), 1);
        assert!(attempts[0]
            .1
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 9000));
        // Another port, or another call's endpoint, is not trusted.
        let error = get(&mut outgoing, "http://localhost:9001/");
        assert!(matches!(error, TransportError::Denied(_)), "{error:?}");
        outgoing.set_explicit_endpoint(None);
        let error = get(&mut outgoing, "http://localhost:9000/base/bucket");
        assert!(matches!(error, TransportError::Denied(_)), "{error:?}");
        assert_eq!(recorder.attempts().len(), 1);
        // An IPv6 endpoint, brackets and all.
        outgoing.set_explicit_endpoint(Some("http://[::1]:9000"));
        let error = get(&mut outgoing, "http://[::1]:9000/bucket");
        assert!(matches!(error, TransportError::Connection(_)), "{error:?}");
        assert_eq!(recorder.attempts()[1].1, addrs(&["[::1]:9000"]));
    }

    #[test]
    fn connect_to_routes_the_connection_and_keeps_the_url() {
        let rule = "bucket.s3.eu-west-1.amazonaws.com:443:127.0.0.1:8443"
            .parse()
            .unwrap();
        let config = HttpConfig {
            connect_to: vec![rule, "::[::1]:".parse().unwrap()],
            ..HttpConfig::default()
        };
        let (mut outgoing, recorder) = recording(config, None);
        let url = "https://bucket.s3.eu-west-1.amazonaws.com/key?x-id=GetObject";
        assert!(matches!(get(&mut outgoing, url), TransportError::Connection(_)));
        let url_other = "http://other.example:8080/";
        assert!(matches!(
            get(&mut outgoing, url_other),
            TransportError::Connection(_)
        ));
        assert_eq!(
            recorder.attempts(),
            [
                (url.to_owned(), addrs(&["127.0.0.1:8443"])),
                (url_other.to_owned(), addrs(&["[::1]:8080"])),
            ]
        );
    }

    #[test]
    fn connect_to_never_reaches_link_local_and_names_the_route() {
        let config = HttpConfig {
            connect_to: vec!["::169.254.169.254:80".parse().unwrap()],
            ..HttpConfig::default()
        };
        let (mut outgoing, recorder) = recording(config, None);
        let error = get(&mut outgoing, "https://bucket.s3.amazonaws.com/");
        let TransportError::Denied(message) = error else {
            panic!("{error:?}");
        };
        assert!(message.contains("bucket.s3.amazonaws.com:443"), "{message}");
        assert!(
            message.contains("169.254.169.254:80 by --connect-to"),
            "{message}"
        );
        assert!(recorder.attempts().is_empty());
    }

    #[test]
    fn port_only_rule_keeps_the_policy_of_the_host() {
        let config = HttpConfig {
            connect_to: vec!["localhost:::9000".parse().unwrap()],
            ..HttpConfig::default()
        };
        let (mut outgoing, recorder) = recording(config, None);
        let error = get(&mut outgoing, "http://localhost:80/");
        assert!(matches!(error, TransportError::Denied(_)), "{error:?}");
        assert!(recorder.attempts().is_empty());
    }

    #[test]
    fn check_is_instant() {
        let (mut outgoing, _recorder) = recording(HttpConfig::default(), None);
        let started = std::time::Instant::now();
        for _ in 0..100 {
            get(&mut outgoing, "http://10.1.2.3:9000/");
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
}
