//! How `serve` sends the component's requests.
//!
//! wasmtime's default `wasi:http` client connects to whatever a request's
//! host name resolves to. The adapter inside the component refuses
//! loopback, private and link-local destinations, but only those written
//! as IP addresses: a component cannot resolve names. So a caller of
//! `serve` who names its own endpoint could reach the cloud metadata
//! service or a private network through a name that resolves there.
//!
//! [`GuardedSend`] sends as the default client does (HTTP/1.1, TLS with the
//! public Web PKI roots, the request's connect, first-byte and
//! between-bytes timeouts), except that the host resolves each name itself,
//! checks every address found against the CLI's address policy
//! ([`crate::policy`]), and connects to one of the very addresses checked.
//! A name with one refused address among its answers is refused whole, and
//! a name cannot resolve to a public address for the check and to another
//! for the connection. A refusal is the `wasi:http` error
//! `destination-ip-prohibited`, and no connection is made.
//!
//! Unlike the default client, a connection whose answer was read whole is
//! kept for the next request to the same scheme, host and port (for
//! [`MAX_IDLE`], at most [`MAX_IDLE_PER_ORIGIN`] of them), whichever
//! request's instance sends it: each request is signed on its own, and a
//! connection goes back only once its answer has been read to the end. So
//! a request pays no TCP and TLS handshake when one went before it.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Frame, Incoming};
use hyper::client::conn::http1::SendRequest;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::outgoing::{host_and_port, join_host_port};
use crate::policy::{AddressKind, AddressPolicy, Origin};

/// What the default client waits when a request sets no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// How long a kept connection may wait for its next request: less than
/// the time S3 keeps an idle connection open (about 20 s), so that a
/// request is not sent on one the server is closing.
pub const MAX_IDLE: Duration = Duration::from_secs(15);

/// How long a kept connection may take to be ready for its next request
/// (hyper's task marks it so once the last answer's end has gone through
/// it, which may come after the body's reader has seen that end).
const READY_WAIT: Duration = Duration::from_secs(1);

/// The most connections kept per scheme, host and port.
pub const MAX_IDLE_PER_ORIGIN: usize = 32;

/// Where a kept connection may be used again: scheme (TLS or not), host as
/// the request named it, and port.
type OriginKey = (bool, String, u16);

/// A kept connection, and since when it waits.
type Idle = (SendRequest<WasiBody>, Instant);

/// Connections whose last answer was read whole, by origin, oldest first.
#[derive(Clone, Default)]
struct Pool(Arc<Mutex<HashMap<OriginKey, Vec<Idle>>>>);

impl Pool {
    /// The most recently kept connection to `key` that is still open and
    /// has waited less than [`MAX_IDLE`]; older ones are closed. (Its last
    /// answer may still be settling in hyper's task: see [`READY_WAIT`].)
    fn take(&self, key: &OriginKey) -> Option<SendRequest<WasiBody>> {
        let mut map = self.0.lock().ok()?;
        let idle = map.get_mut(key)?;
        let mut found = None;
        while let Some((sender, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE && !sender.is_closed() {
                found = Some(sender);
                break;
            }
        }
        // The rest are older still.
        idle.retain(|(_, since)| since.elapsed() < MAX_IDLE);
        if idle.is_empty() {
            map.remove(key);
        }
        found
    }

    /// Keeps `sender` for the next request to `key`, unless its connection
    /// is closed or the origin has its fill.
    fn put(&self, key: OriginKey, sender: SendRequest<WasiBody>) {
        if sender.is_closed() {
            return;
        }
        if let Ok(mut map) = self.0.lock() {
            let idle = map.entry(key).or_default();
            if idle.len() < MAX_IDLE_PER_ORIGIN {
                idle.push((sender, Instant::now()));
            }
        }
    }
}

/// A connection's way back to the pool once its answer is read whole.
struct Return {
    pool: Pool,
    key: OriginKey,
    sender: SendRequest<WasiBody>,
}

/// Where `serve`'s component may connect, and the roots its TLS trusts.
#[derive(Clone)]
pub struct GuardedSend {
    policy: AddressPolicy,
    /// Loopback addresses are reachable (`--local`, or a loopback endpoint
    /// given to `serve`).
    loopback: bool,
    /// The deployment's endpoint (`host`, `port`): its addresses are
    /// reachable even when loopback, as the CLI's explicit endpoint is.
    endpoint: Option<(String, u16)>,
    tls: Arc<rustls::ClientConfig>,
    /// Connections kept for the next request.
    pool: Pool,
}

impl GuardedSend {
    /// Public addresses only, plus loopback when `loopback`, private networks
    /// when `policy` allows them, and the addresses of `endpoint`
    /// (`http://host:port/...`, the deployment's own) even when loopback.
    /// TLS trusts `roots`.
    pub fn new(
        policy: AddressPolicy,
        loopback: bool,
        endpoint: Option<&str>,
        roots: rustls::RootCertStore,
    ) -> Self {
        let tls = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            policy,
            loopback,
            endpoint: endpoint
                .and_then(|url| url.parse::<hyper::Uri>().ok())
                .and_then(|uri| host_and_port(&uri)),
            tls: Arc::new(tls),
            pool: Pool::default(),
        }
    }

    /// The addresses `host` (a name, or an IP address, as
    /// [`host_and_port`] gives it) resolves to on `port`, every one of them
    /// allowed; none is connected to otherwise.
    async fn addresses(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
        let found: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|_| Error::DnsError {
                    rcode: None,
                    info_code: None,
                })?
                .collect(),
        };
        if found.is_empty() {
            return Err(Error::DestinationNotFound);
        }
        let origin = if self.loopback || self.is_endpoint(host, port) {
            Origin::ExplicitEndpoint
        } else {
            Origin::Component
        };
        match found.iter().try_for_each(|a| self.policy.check(a.ip(), origin)) {
            Ok(()) => Ok(found),
            Err(refusal) => {
                // The component learns only `destination-ip-prohibited`; the
                // operator reads which address and why.
                let hint = match refusal.kind {
                    AddressKind::Loopback => ", reachable only with --local or as serve's --endpoint",
                    AddressKind::Private => ", reachable only with --allow-private-network",
                    _ => "",
                };
                let why = format!("{} is {}{hint}", refusal.address, refusal.kind.describe());
                let line = serde_json::json!({"refused": format!("{}: {why}", join_host_port(host, port))});
                let _ = writeln!(std::io::stderr().lock(), "{line}");
                Err(Error::DestinationIpProhibited)
            }
        }
    }

    fn is_endpoint(&self, host: &str, port: u16) -> bool {
        self.endpoint
            .as_ref()
            .is_some_and(|(h, p)| h == host && *p == port)
    }

    /// Sends `request` on a kept connection to its origin, else on a new
    /// one: the answer, and the future that drives the rest of the
    /// exchange (the body) to its end.
    async fn send(
        self,
        request: hyper::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<(hyper::Response<WasiBody>, Driven), Error> {
        let uri = request.uri();
        let tls = uri.scheme() == Some(&hyper::http::uri::Scheme::HTTPS);
        let (host, port) = host_and_port(uri).ok_or(Error::HttpRequestUriInvalid)?;
        let key: OriginKey = (tls, host, port);
        let timeouts = Timeouts::of(options);
        let mut request = path_only(request)?;
        while let Some(mut sender) = self.pool.take(&key) {
            if !matches!(tokio::time::timeout(READY_WAIT, sender.ready()).await, Ok(Ok(()))) {
                continue;
            }
            match exchange(sender, request, timeouts, &self.pool, &key).await {
                // The connection closed before the request went out on it:
                // the next one, or a new one, takes it.
                Err(Unsent(back)) => request = back,
                Ok(answer) => return answer,
            }
        }
        let sender = self.connect(&key, timeouts).await?;
        match exchange(sender, request, timeouts, &self.pool, &key).await {
            Ok(answer) => answer,
            Err(Unsent(_)) => Err(Error::ConnectionTerminated),
        }
    }

    /// A new connection to `key`'s origin, its name resolved and every
    /// address checked first, TLS when the scheme says so; the connection
    /// is driven by a task of its own until it closes.
    async fn connect(&self, key: &OriginKey, timeouts: Timeouts) -> Result<SendRequest<WasiBody>, Error> {
        let (tls, host, port) = (key.0, key.1.as_str(), key.2);
        let addresses = tokio::time::timeout(timeouts.connect, self.addresses(host, port))
            .await
            .map_err(|_| Error::DnsTimeout)??;
        let stream = tokio::time::timeout(timeouts.connect, connect(&addresses))
            .await
            .map_err(|_| Error::ConnectionTimeout)?
            .map_err(Error::Connect)?;
        if tls {
            let name = match host.parse::<IpAddr>() {
                Ok(ip) => ServerName::from(ip),
                Err(_) => ServerName::try_from(host.to_owned()).map_err(Error::InvalidDnsNameError)?,
            };
            let stream = tokio::time::timeout(
                timeouts.connect,
                tokio_rustls::TlsConnector::from(Arc::clone(&self.tls)).connect(name, stream),
            )
            .await
            .map_err(|_| Error::ConnectionTimeout)?
            .map_err(Error::Tls)?;
            handshake(stream, timeouts).await
        } else {
            handshake(stream, timeouts).await
        }
    }
}

/// The rest of a connection after its answer's head: done when the body
/// has been read (or the connection failed).
type Driven = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// What a `WasiHttpHooks::send_request` returns: the answer's head, and
/// the rest of its connection to drive.
pub(crate) type Sending = Box<
    dyn Future<
            Output = Result<
                (
                    hyper::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for GuardedSend {
    fn send_request(
        &mut self,
        request: hyper::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Sending {
        let guard = self.clone();
        Box::new(async move {
            let (response, driven) = guard.send(request, options).await?;
            let driven: Box<dyn Future<Output = Result<(), Error>> + Send> = Box::new(driven);
            Ok((response, driven))
        })
    }
}

/// A request's three timeouts, the default client's where it sets none.
#[derive(Clone, Copy)]
struct Timeouts {
    connect: Duration,
    first_byte: Duration,
    between_bytes: Duration,
}

impl Timeouts {
    fn of(options: Option<RequestOptions>) -> Self {
        let options = options.unwrap_or_default();
        Self {
            connect: options.connect_timeout.unwrap_or(DEFAULT_TIMEOUT),
            first_byte: options.first_byte_timeout.unwrap_or(DEFAULT_TIMEOUT),
            // A zero interval would panic in tokio.
            between_bytes: options
                .between_bytes_timeout
                .unwrap_or(DEFAULT_TIMEOUT)
                .max(Duration::from_nanos(1)),
        }
    }
}

/// A connection to the first of `addresses` that accepts one.
async fn connect(addresses: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                // Small requests must not wait for the server's delayed ACK.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no address to connect to")))
}

/// The request line names the path only (the authority goes in `host`).
fn path_only(mut request: hyper::Request<WasiBody>) -> Result<hyper::Request<WasiBody>, Error> {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse::<hyper::Uri>()
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    *request.uri_mut() = path;
    Ok(request)
}

/// HTTP/1.1 over `stream`, driven by a task of its own until it closes.
async fn handshake<S>(stream: S, timeouts: Timeouts) -> Result<SendRequest<WasiBody>, Error>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = tokio::time::timeout(
        timeouts.connect,
        hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;
    tokio::spawn(connection);
    Ok(sender)
}

/// A request that did not go out, given back by hyper (the connection
/// closed before it was written).
struct Unsent(hyper::Request<WasiBody>);

/// One request on `sender`'s connection: the answer's head within the
/// first-byte timeout, its body frame by frame within the between-bytes
/// timeout; the connection goes back to `pool` once the body is read whole.
async fn exchange(
    mut sender: SendRequest<WasiBody>,
    request: hyper::Request<WasiBody>,
    timeouts: Timeouts,
    pool: &Pool,
    key: &OriginKey,
) -> Result<Result<(hyper::Response<WasiBody>, Driven), Error>, Unsent> {
    let response = match tokio::time::timeout(timeouts.first_byte, sender.try_send_request(request)).await {
        Err(_) => return Ok(Err(Error::ConnectionReadTimeout)),
        Ok(Ok(response)) => response,
        Ok(Err(mut error)) => match error.take_message() {
            Some(request) => return Err(Unsent(request)),
            None => return Ok(Err(closed_early(error.into_error()))),
        },
    };
    let mut idle = tokio::time::interval(timeouts.between_bytes);
    idle.reset();
    let back = Return {
        pool: pool.clone(),
        key: key.clone(),
        sender,
    };
    let response = response.map(|incoming| {
        TimedBody {
            incoming,
            idle,
            ended: false,
            back: Some(back),
        }
        .boxed_unsync()
    });
    // The connection has a task of its own; the body carries its errors.
    let driven: Driven = Box::pin(async { Ok(()) });
    Ok(Ok((response, driven)))
}

/// A failed exchange as `wasi:http` names it: a connection that closed
/// before its answer came (a kept one that the server closed as the
/// request went out, say) is `connection-terminated`, which the connector
/// tries again for a request that may be repeated; anything else is as
/// wasmtime's client names it.
fn closed_early(error: hyper::Error) -> Error {
    if error.is_incomplete_message() || error.is_canceled() || error.is_closed() {
        Error::ConnectionTerminated
    } else {
        error.into()
    }
}

/// A response body that fails when no frame comes within its interval,
/// and gives its connection back to the pool when read to its end.
struct TimedBody {
    incoming: Incoming,
    idle: tokio::time::Interval,
    /// The body's end has been read.
    ended: bool,
    back: Option<Return>,
}

impl Drop for TimedBody {
    fn drop(&mut self) {
        // A body dropped before its end leaves bytes on the connection:
        // that connection is closed with it.
        if self.ended || hyper::body::Body::is_end_stream(&self.incoming) {
            if let Some(Return { pool, key, sender }) = self.back.take() {
                pool.put(key, sender);
            }
        }
    }
}

impl hyper::body::Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) if error.is_timeout() => {
                Poll::Ready(Some(Err(Error::HttpResponseTimeout)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(Some(Ok(frame))) => {
                self.idle.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.idle.poll_tick(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn guard(loopback: bool, endpoint: Option<&str>) -> GuardedSend {
        GuardedSend::new(
            AddressPolicy::default(),
            loopback,
            endpoint,
            rustls::RootCertStore::empty(),
        )
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn get(url: &str) -> hyper::Request<WasiBody> {
        let body = http_body_util::Empty::<Bytes>::new()
            .map_err(|never: Infallible| match never {})
            .boxed_unsync();
        let uri = url.parse::<hyper::Uri>().unwrap();
        let host = uri.authority().unwrap().as_str().to_owned();
        hyper::Request::get(uri).header("host", host).body(body).unwrap()
    }

    fn refused(result: Result<Vec<SocketAddr>, Error>) -> bool {
        matches!(result, Err(Error::DestinationIpProhibited))
    }

    #[test]
    fn addresses_outside_the_policy_are_refused_written_or_resolved() {
        let rt = runtime();
        rt.block_on(async {
            let closed = guard(false, None);
            for host in ["127.0.0.1", "::1", "169.254.169.254", "10.0.0.1", "0.0.0.0"] {
                assert!(refused(closed.addresses(host, 80).await), "{host}");
            }
            // A name is resolved here and its addresses checked: `localhost`
            // stands for any name that resolves to a refused address.
            assert!(refused(closed.addresses("localhost", 80).await));
            assert!(closed.addresses("93.184.215.14", 443).await.is_ok());
            // Loopback opens to `--local`, or to the deployment's endpoint
            // only; the metadata service never.
            let local = guard(true, None);
            assert!(local.addresses("localhost", 80).await.is_ok());
            assert!(refused(local.addresses("169.254.169.254", 80).await));
            let endpoint = guard(false, Some("http://localhost:9000"));
            assert!(endpoint.addresses("localhost", 9000).await.is_ok());
            assert!(refused(endpoint.addresses("localhost", 9001).await));
            assert!(refused(endpoint.addresses("127.0.0.1", 9001).await));
            // Private networks with --allow-private-network.
            let private = GuardedSend::new(
                AddressPolicy {
                    allow_private_network: true,
                },
                false,
                None,
                rustls::RootCertStore::empty(),
            );
            assert!(private.addresses("10.0.0.1", 80).await.is_ok());
            assert!(refused(private.addresses("169.254.169.254", 80).await));
        });
    }

    #[test]
    fn a_refused_destination_gets_no_connection() {
        let rt = runtime();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let result = guard(false, None)
                .send(get(&format!("http://localhost:{port}/b/k")), None)
                .await;
            assert!(matches!(result, Err(Error::DestinationIpProhibited)));
            let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
            assert!(accepted.is_err(), "a connection was made");
        });
    }

    /// Reads one request head from `stream` and answers `answer`; the
    /// request head read.
    async fn answer_once<S>(stream: &mut S, answer: &'static [u8]) -> String
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.unwrap() == 0 {
                break;
            }
            head.push(byte[0]);
        }
        stream.write_all(answer).await.unwrap();
        stream.flush().await.unwrap();
        String::from_utf8(head).unwrap()
    }

    const HELLO: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";

    /// A plain HTTP server on a free loopback port that answers one
    /// request with `answer` and keeps the connection `hold` longer; its
    /// port, and the request head it read.
    async fn serve_once(answer: &'static [u8], hold: Duration) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let head = answer_once(&mut stream, answer).await;
            tokio::time::sleep(hold).await;
            head
        });
        (port, server)
    }

    #[test]
    fn an_allowed_destination_is_sent_the_path_and_answers_its_body() {
        let rt = runtime();
        rt.block_on(async {
            let (port, server) = serve_once(HELLO, Duration::ZERO).await;
            let (response, driven) = guard(false, Some(&format!("http://127.0.0.1:{port}")))
                .send(get(&format!("http://127.0.0.1:{port}/b/a%20b?x=1")), None)
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"hello");
            driven.await.unwrap();
            let head = server.await.unwrap();
            assert!(head.starts_with("GET /b/a%20b?x=1 HTTP/1.1\r\n"), "{head}");
        });
    }

    /// A keep-alive HTTP server on a free loopback port that answers every
    /// request with [`HELLO`] (and closes each connection after its first
    /// answer when `close`); its port and the connections it accepted.
    async fn serve_counting(close: bool) -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&accepted);
        tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while let Ok(1) = stream.read(&mut byte).await {
                        head.push(byte[0]);
                        if head.ends_with(b"\r\n\r\n") {
                            head.clear();
                            if stream.write_all(HELLO).await.is_err() || close {
                                break;
                            }
                        }
                    }
                });
            }
        });
        (port, accepted)
    }

    /// Sends a GET of `url` and reads its answer whole, which must be
    /// [`HELLO`]'s.
    async fn read_hello(guard: &GuardedSend, url: &str) {
        let (response, _) = guard.clone().send(get(url), None).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hello");
    }

    #[test]
    fn a_connection_read_to_its_end_carries_the_next_request() {
        let rt = runtime();
        rt.block_on(async {
            let (port, accepted) = serve_counting(false).await;
            let guard = guard(true, None);
            for _ in 0..3 {
                read_hello(&guard, &format!("http://127.0.0.1:{port}/b/k")).await;
            }
            assert_eq!(accepted.load(Ordering::SeqCst), 1);
            // Another origin (the same address by another name) has its own.
            read_hello(&guard, &format!("http://localhost:{port}/b/k")).await;
            assert_eq!(accepted.load(Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn a_body_dropped_before_its_end_takes_its_connection_with_it() {
        let rt = runtime();
        rt.block_on(async {
            let (port, accepted) = serve_counting(false).await;
            let url = format!("http://127.0.0.1:{port}/b/k");
            let guard = guard(true, None);
            let (response, _) = guard.clone().send(get(&url), None).await.unwrap();
            drop(response);
            read_hello(&guard, &url).await;
            assert_eq!(accepted.load(Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn a_connection_closed_before_its_answer_is_a_connection_error() {
        let rt = runtime();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut head = [0u8; 1024];
                let _ = stream.read(&mut head).await;
                // Closed with no answer.
            });
            let result = guard(true, None)
                .send(get(&format!("http://127.0.0.1:{port}/b/k")), None)
                .await;
            assert!(
                matches!(result, Err(Error::ConnectionTerminated)),
                "{:?}",
                result.err()
            );
        });
    }

    #[test]
    fn a_kept_connection_the_server_closed_is_not_used() {
        let rt = runtime();
        rt.block_on(async {
            let (port, accepted) = serve_counting(true).await;
            let guard = guard(true, None);
            for _ in 0..2 {
                read_hello(&guard, &format!("http://127.0.0.1:{port}/b/k")).await;
                // The server's close reaches the kept connection first.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(accepted.load(Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn tls_verifies_the_name_against_the_roots_given() {
        let rt = runtime();
        rt.block_on(async {
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
                .unwrap()
                .self_signed(&key)
                .unwrap();
            let der = cert.der().clone();
            let server_config = rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(
                    vec![der.clone()],
                    rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
                )
                .unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                for _ in 0..2 {
                    let (stream, _) = listener.accept().await.unwrap();
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        answer_once(&mut tls, HELLO).await;
                    }
                }
            });
            let url = format!("https://localhost:{port}/b/k");
            let mut roots = rustls::RootCertStore::empty();
            roots.add(der).unwrap();
            let trusting = GuardedSend::new(AddressPolicy::default(), true, None, roots);
            let (response, _) = trusting.send(get(&url), None).await.unwrap();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"hello");
            // The public roots alone do not trust it.
            let public = GuardedSend::new(
                AddressPolicy::default(),
                true,
                None,
                crate::CaBundle::root_store(None),
            );
            let result = public.send(get(&url), None).await;
            assert!(matches!(result, Err(Error::Tls(_))), "{:?}", result.err());
            server.await.unwrap();
        });
    }

    #[test]
    fn a_body_that_stalls_past_the_between_bytes_timeout_fails() {
        let rt = runtime();
        rt.block_on(async {
            let half = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf";
            let (port, server) = serve_once(half, Duration::from_secs(2)).await;
            let options = RequestOptions {
                between_bytes_timeout: Some(Duration::from_millis(100)),
                ..RequestOptions::default()
            };
            let (response, _) = guard(true, None)
                .send(get(&format!("http://127.0.0.1:{port}/")), Some(options))
                .await
                .unwrap();
            let result = response.into_body().collect().await;
            assert!(
                matches!(result, Err(Error::ConnectionReadTimeout)),
                "{:?}",
                result.err()
            );
            server.abort();
        });
    }
}
