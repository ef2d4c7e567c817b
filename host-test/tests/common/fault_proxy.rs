//! A fault-injecting HTTP/1.1 proxy on 127.0.0.1 for the end-to-end tests of
//! multipart uploads and resumable downloads. It sits between the
//! component's HTTP client and a real S3 server and forwards every request
//! byte for byte, so SigV4 signatures stay valid; a [`FaultPlan`] decides, per
//! request, whether it instead answers an S3 error itself, drops the
//! connection before the answer or in the middle of the request body, cuts a
//! response body short, or stalls before forwarding.
//!
//! Each request goes upstream on a fresh connection, so a fault never leaves
//! a half-used connection in the server; the client's connection is kept
//! alive between requests, as an S3 endpoint does, unless a fault or the
//! server closes it. Every socket has 30 s timeouts so that a test that goes
//! wrong fails instead of hanging, and the proxy stops its threads when
//! dropped.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a socket read, write or connect may block: long enough for a
/// slow test machine, short enough that a broken test fails instead of
/// hanging.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The copy buffer, and so the most of a body held in memory at once.
const CHUNK: usize = 64 * 1024;

/// The largest request or response head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// The longest line accepted in a chunked response body (a chunk size with
/// its extensions, or a trailer).
const MAX_CHUNK_LINE: u64 = 8 * 1024;

/// How long a connection being closed after a complete answer waits for the
/// client to close its side, so that the answer is not lost to a reset.
const CLOSE_GRACE: Duration = Duration::from_millis(500);

/// What the proxy does with one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Forward the request and relay the answer unchanged.
    None,
    /// Answer this status without forwarding, with an S3 `<Error>` body:
    /// 503 is `SlowDown`, 500 is `InternalError`, any other status is
    /// `InjectedFault`. The request body is read and discarded first, so the
    /// client's connection stays usable (keep-alive) afterwards.
    Status(u16),
    /// Read the whole request, forward nothing, then close the client's
    /// connection without a word. This is a plain close (the client sees
    /// end of stream, not necessarily a TCP reset): std cannot set
    /// `SO_LINGER` to 0 on stable, and nothing is left unread to make the
    /// kernel send a reset.
    ResetBeforeAnswer,
    /// Read about half of the request body (`content-length / 2` bytes),
    /// forward nothing, then close the client's connection without
    /// answering. The rest of the body is still arriving, so the client
    /// usually sees a reset while writing, or end of stream when it reads.
    ResetDuringRequestBody,
    /// Forward the request, relay the answer's head unchanged (announcing
    /// the whole body) but only the first half of its body (`length / 2`
    /// bytes, so at least one byte short of a non-empty body), then close
    /// the client's connection. A bodiless answer is relayed whole, then the
    /// connection is closed.
    TruncateResponseBody,
    /// Forward the request and read the whole answer, then close the
    /// client's connection without relaying any of it: the server did what
    /// was asked, and the client cannot know (the case that makes retrying
    /// a step that is not idempotent dangerous).
    LoseAnswer,
    /// Wait this long, then forward as [`Fault::None`] does.
    Stall(Duration),
}

/// One request the proxy saw, with the fault the plan chose for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// The request's position among all requests through the proxy, from 0.
    pub index: usize,
    /// The method, as received.
    pub method: String,
    /// The request target (path and query), as received.
    pub target: String,
    /// What the proxy did with it.
    pub fault: Fault,
    /// When its head had arrived.
    pub at: Instant,
}

/// What a [`FaultPlan`] sees of a request: its head, not its body.
#[derive(Clone, Copy, Debug)]
pub struct RequestInfo<'a> {
    /// The request's position among all requests through the proxy, from 0.
    pub index: usize,
    /// The method, as received.
    pub method: &'a str,
    /// The request target (path and query), as received.
    pub target: &'a str,
    /// The headers in the order received, names in their original case
    /// (look them up with [`RequestInfo::header`], which ignores case).
    pub headers: &'a [(String, String)],
}

impl<'a> RequestInfo<'a> {
    /// The value of the first header called `name`, in any case.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        header(self.headers, name)
    }
}

/// Chooses the fault for each request. It is called exactly once per
/// request, before anything is forwarded, so it may also act on the
/// upstream server (overwrite an object between two attempts, say); calls
/// from concurrent connections may overlap.
pub struct FaultPlan(Box<dyn Fn(&RequestInfo) -> Fault + Send + Sync>);

impl FaultPlan {
    /// Forwards everything.
    pub fn none() -> Self {
        FaultPlan::new(|_| Fault::None)
    }

    /// Asks `f` for every request.
    pub fn new(f: impl Fn(&RequestInfo) -> Fault + Send + Sync + 'static) -> Self {
        FaultPlan(Box::new(f))
    }

    /// Every `n`th request (index % n == n - 1) that `matches` gets the next
    /// fault of `faults`, in turn; others pass. The index is
    /// [`RequestInfo::index`], counted over all requests through the proxy;
    /// [`FaultPlan::every_nth_matching`] counts the matching requests only.
    pub fn every_nth(
        n: usize,
        matches: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static,
        faults: Vec<Fault>,
    ) -> Self {
        assert!(n > 0, "every_nth needs n > 0");
        let next = in_turn(faults);
        FaultPlan::new(move |info| {
            if info.index % n == n - 1 && matches(info) {
                next()
            } else {
                Fault::None
            }
        })
    }

    /// Every `n`th request among those that `matches` (the `n`th, `2n`th,
    /// ... matching one) gets the next fault of `faults`, in turn; others
    /// pass. Unlike [`FaultPlan::every_nth`], requests that do not match do
    /// not move the count.
    pub fn every_nth_matching(
        n: usize,
        matches: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static,
        faults: Vec<Fault>,
    ) -> Self {
        assert!(n > 0, "every_nth_matching needs n > 0");
        let next = in_turn(faults);
        let seen = AtomicUsize::new(0);
        FaultPlan::new(move |info| {
            if !matches(info) {
                return Fault::None;
            }
            if seen.fetch_add(1, Ordering::SeqCst) % n == n - 1 {
                next()
            } else {
                Fault::None
            }
        })
    }

    /// The first `count` requests that `matches` get `fault`; every other
    /// request passes.
    pub fn first(
        count: usize,
        matches: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static,
        fault: Fault,
    ) -> Self {
        let seen = AtomicUsize::new(0);
        FaultPlan::new(move |info| {
            if matches(info) && seen.fetch_add(1, Ordering::SeqCst) < count {
                fault.clone()
            } else {
                Fault::None
            }
        })
    }
}

/// The faults of `faults` one after the other, round and round.
fn in_turn(faults: Vec<Fault>) -> impl Fn() -> Fault + Send + Sync {
    assert!(!faults.is_empty(), "a plan needs at least one fault");
    let given = AtomicUsize::new(0);
    move || faults[given.fetch_add(1, Ordering::SeqCst) % faults.len()].clone()
}

/// A running proxy. Dropping it stops it: its listener closes, and open
/// connections, client and upstream, are shut down.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 (a free port) in front of `upstream`
    /// (`http://HOST:PORT`; a path after it is ignored).
    pub fn start(upstream: &str, plan: FaultPlan) -> FaultProxy {
        let upstream = upstream_addrs(upstream);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            plan,
            upstream,
            log: Mutex::new(Vec::new()),
            requests: AtomicUsize::new(0),
            faults: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            open: Mutex::new(HashMap::new()),
            next_socket: AtomicU64::new(0),
        });
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("fault-proxy".to_owned())
                .spawn(move || accept_loop(listener, &shared))
                .unwrap()
        };
        FaultProxy {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`, the endpoint to give the client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request seen so far, in order, with the fault applied to it.
    /// Requests the proxy refuses before the plan sees them (a malformed
    /// head, a chunked body) are not in it.
    pub fn log(&self) -> Vec<Exchange> {
        let mut log = self.shared.log.lock().unwrap().clone();
        // Concurrent connections may record out of turn.
        log.sort_by_key(|exchange| exchange.index);
        log
    }

    /// How many requests got a fault other than [`Fault::None`].
    pub fn faults(&self) -> usize {
        self.shared.faults.load(Ordering::SeqCst)
    }

    /// How many requests the proxy has seen.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Unblock every thread waiting on a socket.
        for socket in self.shared.open.lock().unwrap().values() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        // `accept` blocks until a connection comes: bring one.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// What the proxy's threads share.
struct Shared {
    plan: FaultPlan,
    upstream: Vec<SocketAddr>,
    log: Mutex<Vec<Exchange>>,
    requests: AtomicUsize,
    faults: AtomicUsize,
    stop: AtomicBool,
    /// A handle on every open socket, by id, so that stopping can shut them
    /// down and wake the threads blocked on them.
    open: Mutex<HashMap<u64, TcpStream>>,
    next_socket: AtomicU64,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Registers `socket` for shutdown on stop, until the guard drops.
    fn track(&self, socket: &TcpStream) -> io::Result<Tracked<'_>> {
        let id = self.next_socket.fetch_add(1, Ordering::SeqCst);
        self.open.lock().unwrap().insert(id, socket.try_clone()?);
        // Stopping sets the flag before it sweeps `open`: a socket added
        // after the sweep is caught here.
        if self.stopped() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        Ok(Tracked { shared: self, id })
    }

    /// Sleeps for `duration`, or less if the proxy stops; true if it did not.
    fn pause(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        loop {
            if self.stopped() {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(10)));
        }
    }

    /// A fresh connection to the upstream server.
    fn connect_upstream(&self) -> io::Result<TcpStream> {
        let mut last = io::Error::new(ErrorKind::NotFound, "no upstream address");
        for addr in &self.upstream {
            match TcpStream::connect_timeout(addr, IO_TIMEOUT) {
                Ok(socket) => {
                    configure(&socket)?;
                    return Ok(socket);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// Removes its socket from [`Shared::open`] when dropped.
struct Tracked<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.shared.open.lock().unwrap().remove(&self.id);
    }
}

/// The socket options every connection gets.
fn configure(socket: &TcpStream) -> io::Result<()> {
    // Without it a small answer waits for the peer's delayed ACK (~40 ms).
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(IO_TIMEOUT))?;
    socket.set_write_timeout(Some(IO_TIMEOUT))
}

/// The addresses of `http://HOST:PORT[/...]`.
fn upstream_addrs(upstream: &str) -> Vec<SocketAddr> {
    let rest = upstream
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("the upstream must be http://HOST:PORT, not {upstream:?}"));
    let authority = rest.split('/').next().unwrap_or(rest);
    let addrs: Vec<SocketAddr> = authority.to_socket_addrs().unwrap().collect();
    assert!(!addrs.is_empty(), "{upstream:?} resolves to no address");
    addrs
}

fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    let mut handlers: Vec<JoinHandle<()>> = Vec::new();
    for client in listener.incoming() {
        if shared.stopped() {
            break;
        }
        let Ok(client) = client else {
            // Out of descriptors, say: let some connections finish.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        handlers.retain(|handler| !handler.is_finished());
        let shared = Arc::clone(shared);
        let handler = std::thread::Builder::new()
            .name("fault-proxy-conn".to_owned())
            .spawn(move || serve_client(client, &shared));
        if let Ok(handler) = handler {
            handlers.push(handler);
        }
    }
    // Refuse new connections while the open ones wind down.
    drop(listener);
    for handler in handlers {
        let _ = handler.join();
    }
}

/// What becomes of the client's connection after one exchange.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Next {
    /// Read the next request.
    KeepAlive,
    /// The answer is complete and the connection ends: close gracefully.
    Close,
    /// A fault or a failure: close at once.
    Abort,
}

/// Serves the requests of one client connection until it ends.
fn serve_client(client: TcpStream, shared: &Shared) {
    if configure(&client).is_err() {
        return;
    }
    let Ok(_tracked) = shared.track(&client) else {
        return;
    };
    let mut reader = BufReader::with_capacity(CHUNK, client);
    let mut next = Next::KeepAlive;
    while next == Next::KeepAlive && !shared.stopped() {
        next = match read_head(&mut reader) {
            Ok(None) => return, // the client closed between requests
            Ok(Some(raw)) => serve_request(&mut reader, &Head::parse(raw), shared).unwrap_or(Next::Abort),
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                let _ = reader
                    .get_ref()
                    .write_all(&plain_answer(431, "request head too large"));
                Next::Close
            }
            Err(_) => Next::Abort,
        };
    }
    let client = reader.get_ref();
    if next == Next::Close {
        let _ = client.shutdown(Shutdown::Write);
        // Closing with unread input would reset the connection and could
        // destroy the answer before the client reads it: wait for the
        // client to close first, for a moment.
        let _ = client.set_read_timeout(Some(Duration::from_millis(50)));
        let deadline = Instant::now() + CLOSE_GRACE;
        let mut sink = [0u8; 4096];
        while Instant::now() < deadline && !shared.stopped() {
            match reader.get_mut().read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
        }
    } else {
        let _ = client.shutdown(Shutdown::Both);
    }
}

/// Handles one request whose head was read: asks the plan, records the
/// exchange and applies the fault.
fn serve_request(client: &mut BufReader<TcpStream>, head: &Head, shared: &Shared) -> io::Result<Next> {
    let mut words = head.start.split_whitespace();
    let (Some(method), Some(target), Some(_version)) = (words.next(), words.next(), words.next()) else {
        client
            .get_ref()
            .write_all(&plain_answer(400, "malformed request line"))?;
        return Ok(Next::Close);
    };
    // The client sends bodies with a length; anything else would need
    // de-chunking to find where the next request starts.
    if head.header("transfer-encoding").is_some() {
        client
            .get_ref()
            .write_all(&plain_answer(501, "transfer-encoding is not supported"))?;
        return Ok(Next::Close);
    }
    let length = match head.header("content-length").map(str::parse::<u64>) {
        None => 0,
        Some(Ok(length)) => length,
        Some(Err(_)) => {
            client
                .get_ref()
                .write_all(&plain_answer(400, "bad content-length"))?;
            return Ok(Next::Close);
        }
    };
    let index = shared.requests.fetch_add(1, Ordering::SeqCst);
    let info = RequestInfo {
        index,
        method,
        target,
        headers: &head.headers,
    };
    let fault = (shared.plan.0)(&info);
    if fault != Fault::None {
        shared.faults.fetch_add(1, Ordering::SeqCst);
    }
    shared.log.lock().unwrap().push(Exchange {
        index,
        method: method.to_owned(),
        target: target.to_owned(),
        fault: fault.clone(),
        at: Instant::now(),
    });
    let is_head = method.eq_ignore_ascii_case("HEAD");
    let client_closes = head.has_token("connection", "close");
    match fault {
        Fault::None => forward(client, head, length, is_head, false, shared),
        Fault::Stall(duration) => {
            if !shared.pause(duration) {
                return Ok(Next::Abort);
            }
            forward(client, head, length, is_head, false, shared)
        }
        Fault::TruncateResponseBody => forward(client, head, length, is_head, true, shared),
        Fault::LoseAnswer => {
            let mut lost = io::sink();
            forward_to(client, &mut lost, head, length, is_head, false, shared)?;
            Ok(Next::Abort)
        }
        Fault::Status(status) => {
            discard(client, length)?;
            client
                .get_ref()
                .write_all(&s3_error_answer(status, index, is_head, client_closes))?;
            Ok(if client_closes {
                Next::Close
            } else {
                Next::KeepAlive
            })
        }
        Fault::ResetBeforeAnswer => {
            discard(client, length)?;
            Ok(Next::Abort)
        }
        Fault::ResetDuringRequestBody => {
            discard(client, length / 2)?;
            Ok(Next::Abort)
        }
    }
}

/// Sends the request upstream on a fresh connection and relays the answer,
/// cut short if `truncate`.
fn forward(
    client: &mut BufReader<TcpStream>,
    head: &Head,
    length: u64,
    is_head: bool,
    truncate: bool,
    shared: &Shared,
) -> io::Result<Next> {
    let mut answer_to = client.get_ref().try_clone()?;
    forward_to(client, &mut answer_to, head, length, is_head, truncate, shared)
}

/// [`forward`], relaying the answer to `answer_to`.
fn forward_to(
    client: &mut BufReader<TcpStream>,
    answer_to: &mut impl Write,
    head: &Head,
    length: u64,
    is_head: bool,
    truncate: bool,
    shared: &Shared,
) -> io::Result<Next> {
    let upstream = match shared.connect_upstream() {
        Ok(upstream) => upstream,
        Err(e) => {
            discard(client, length)?;
            let message = format!("the proxy cannot reach its upstream: {e}");
            answer_to.write_all(&plain_answer(502, &message))?;
            return Ok(Next::Close);
        }
    };
    let _tracked = shared.track(&upstream)?;
    // Byte for byte: the signature covers some headers, and the host header
    // must stay the one the client signed.
    let mut upstream_ok = (&upstream).write_all(&head.raw).is_ok();
    let mut left = length;
    while left > 0 {
        let chunk = client.fill_buf()?;
        if chunk.is_empty() {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        let n = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        // A server may answer and close before the body is in (a 403 on a
        // bad signature, say): take the rest of the body from the client
        // anyway, so that it can read that answer.
        if upstream_ok {
            upstream_ok = (&upstream).write_all(&chunk[..n]).is_ok();
        }
        client.consume(n);
        left -= n as u64;
    }
    let mut answer = BufReader::with_capacity(CHUNK, &upstream);
    // The server went away without a (whole) answer: so does the proxy.
    let next = relay_answer(&mut answer, answer_to, is_head, truncate).unwrap_or(Next::Abort);
    let client_closes = head.has_token("connection", "close");
    Ok(if next == Next::KeepAlive && client_closes {
        Next::Close
    } else {
        next
    })
}

/// How an answer's body is delimited.
enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// `content-length` bytes.
    Length(u64),
    /// `transfer-encoding: chunked`.
    Chunked,
    /// Until the server closes.
    UntilEof,
}

/// Reads the server's answer and relays it to `client`.
fn relay_answer(
    upstream: &mut impl BufRead,
    client: &mut impl Write,
    is_head: bool,
    truncate: bool,
) -> io::Result<Next> {
    let (head, status) = loop {
        let raw = read_head(upstream)?.ok_or(ErrorKind::UnexpectedEof)?;
        let head = Head::parse(raw);
        let status = head
            .start
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or(ErrorKind::InvalidData)?;
        // An interim answer (100 Continue): pass it on, the final one follows.
        if (100..200).contains(&status) && status != 101 {
            client.write_all(&head.raw)?;
            continue;
        }
        break (head, status);
    };
    let framing = if is_head || status < 200 || status == 204 || status == 304 {
        Framing::Empty
    } else if let Some(coding) = head.header("transfer-encoding") {
        if coding
            .rsplit(',')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("chunked")
        {
            Framing::Chunked
        } else {
            Framing::UntilEof
        }
    } else if let Some(length) = head.header("content-length") {
        Framing::Length(length.parse().map_err(|_| ErrorKind::InvalidData)?)
    } else {
        Framing::UntilEof
    };
    client.write_all(&head.raw)?;
    if truncate {
        match framing {
            Framing::Empty => {}
            Framing::Length(length) => copy_exact(upstream, client, length / 2)?,
            Framing::Chunked => {
                let mut body = Vec::new();
                relay_chunked(upstream, &mut body)?;
                client.write_all(&body[..body.len() / 2])?;
            }
            Framing::UntilEof => {
                let mut body = Vec::new();
                upstream.read_to_end(&mut body)?;
                client.write_all(&body[..body.len() / 2])?;
            }
        }
        return Ok(Next::Abort);
    }
    match framing {
        Framing::Empty => {}
        Framing::Length(length) => copy_exact(upstream, client, length)?,
        Framing::Chunked => relay_chunked(upstream, client)?,
        Framing::UntilEof => {
            io::copy(upstream, client)?;
            return Ok(Next::Close);
        }
    }
    Ok(if head.has_token("connection", "close") || status == 101 {
        Next::Close
    } else {
        Next::KeepAlive
    })
}

/// Copies exactly `n` bytes, a buffer at a time.
fn copy_exact(src: &mut impl BufRead, dst: &mut impl Write, mut n: u64) -> io::Result<()> {
    while n > 0 {
        let chunk = src.fill_buf()?;
        if chunk.is_empty() {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        let take = chunk.len().min(usize::try_from(n).unwrap_or(usize::MAX));
        dst.write_all(&chunk[..take])?;
        src.consume(take);
        n -= take as u64;
    }
    Ok(())
}

/// Reads and drops `n` bytes.
fn discard(src: &mut impl BufRead, n: u64) -> io::Result<()> {
    copy_exact(src, &mut io::sink(), n)
}

/// Copies a chunked body as it is, through its last chunk and trailers.
fn relay_chunked(src: &mut impl BufRead, dst: &mut impl Write) -> io::Result<()> {
    let mut line = Vec::new();
    loop {
        read_line(src, &mut line)?;
        dst.write_all(&line)?;
        let text = std::str::from_utf8(&line).map_err(|_| ErrorKind::InvalidData)?;
        let size = text.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size, 16).map_err(|_| ErrorKind::InvalidData)?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                read_line(src, &mut line)?;
                dst.write_all(&line)?;
                if line == b"\r\n" || line == b"\n" {
                    return Ok(());
                }
            }
        }
        // The data and the CRLF after it.
        copy_exact(src, dst, size + 2)?;
    }
}

/// Reads one line, its end included, into `line` (emptied first).
fn read_line(src: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<()> {
    line.clear();
    src.by_ref().take(MAX_CHUNK_LINE).read_until(b'\n', line)?;
    if line.ends_with(b"\n") {
        Ok(())
    } else if line.len() as u64 == MAX_CHUNK_LINE {
        Err(ErrorKind::InvalidData.into())
    } else {
        Err(ErrorKind::UnexpectedEof.into())
    }
}

/// Reads a head up to and including its empty line; `None` at end of
/// stream before any byte. A head over [`MAX_HEAD`] is `InvalidData`.
fn read_head(src: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut raw = Vec::new();
    loop {
        let budget = MAX_HEAD - raw.len();
        if budget == 0 {
            return Err(io::Error::new(ErrorKind::InvalidData, "head too large"));
        }
        let n = src.by_ref().take(budget as u64).read_until(b'\n', &mut raw)?;
        if n == 0 {
            return if raw.is_empty() {
                Ok(None)
            } else {
                Err(ErrorKind::UnexpectedEof.into())
            };
        }
        // RFC 9112 2.2: empty lines before a request line are ignored.
        if raw == b"\r\n" || raw == b"\n" {
            raw.clear();
        } else if raw.ends_with(b"\n\r\n") || raw.ends_with(b"\n\n") {
            return Ok(Some(raw));
        }
    }
}

/// A request or response head: the bytes as received, and what they say.
struct Head {
    raw: Vec<u8>,
    /// The request line or status line.
    start: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn parse(raw: Vec<u8>) -> Head {
        let text = String::from_utf8_lossy(&raw);
        let mut lines = text
            .split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line));
        let start = lines.next().unwrap_or("").to_owned();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Head { raw, start, headers }
    }

    fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether a `name` header lists `token` (`connection: close`, say).
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, value)| value.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// The value of the first header called `name`, in any case.
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The answer to a [`Fault::Status`]: what S3 sends for that status.
fn s3_error_answer(status: u16, index: usize, is_head: bool, close: bool) -> Vec<u8> {
    let (code, message) = match status {
        503 => ("SlowDown", "Please reduce your request rate."),
        500 => (
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        _ => ("InjectedFault", "A fault injected by the test proxy."),
    };
    let request_id = format!("FAULT-PROXY-{index}");
    // RFC 9110 6.4.1: these statuses have no content, not even a length.
    let bodiless = status < 200 || status == 204 || status == 304;
    let body = if bodiless {
        String::new()
    } else {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        )
    };
    let content_type = if body.is_empty() {
        ""
    } else {
        "content-type: application/xml\r\n"
    };
    // A HEAD answer carries no body, and announcing none keeps even a
    // careless client from waiting for one.
    let length = match (bodiless, is_head) {
        (true, _) => String::new(),
        (false, true) => "content-length: 0\r\n".to_owned(),
        (false, false) => format!("content-length: {}\r\n", body.len()),
    };
    let connection = if close { "connection: close\r\n" } else { "" };
    let mut answer = format!(
        "HTTP/1.1 {status} {}\r\nx-amz-request-id: {request_id}\r\n{content_type}\
         {length}{connection}\r\n",
        reason(status)
    )
    .into_bytes();
    if !is_head {
        answer.extend_from_slice(body.as_bytes());
    }
    answer
}

/// An answer from the proxy itself, about the proxy, that closes the
/// connection.
fn plain_answer(status: u16, message: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{message}",
        reason(status),
        message.len()
    )
    .into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Injected",
    }
}
