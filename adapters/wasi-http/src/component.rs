//! The WIT glue: the exports (`bodies`, `http-outgoing`, `streams`) and
//! the `wasi:http` client they send through.
//!
//! Requests go one at a time: `send-from-each` and `send-into-each` send
//! their lists in order, which the WIT allows and a stream sink needs (it
//! is written in order).

use std::sync::OnceLock;

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, FieldSizePayload, Fields, HeaderError, IncomingBody, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme as WasiScheme,
};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

use crate::body::{self, ForwardRead, ForwardWrite, Sink, Source};
use crate::policy::{self, Allowances, Refusal, Scheme, Target};

use bindings::exports::s3_connector::adapter::streams;
use bindings::exports::s3_connector::s3::bodies::{
    self as wit_bodies, BodyError, BodySink, BodySinkBorrow, BodySource, BodySourceBorrow, DigestAlgorithm,
};
use bindings::exports::s3_connector::s3::http_outgoing::{
    self as wit_http, Body, PlacedRequest, PlacedResponse, Request, Response, SpanRequest, TransportError,
};

// The allocator is the connector's (`s3_connector_wire::heap`, the wire
// crate's `heap` feature): size classes in front of TLSF over one pool that
// memory grows under, in place of wasi-libc's dlmalloc.

/// The generated bindings and the exported entry points. They are FFI and
/// use `unsafe`, which is allowed here and nowhere else.
#[allow(unsafe_code)]
mod bindings {
    use super::Adapter;

    wit_bindgen::generate!({
        world: "adapter",
        path: "wit",
        with: {
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
        },
    });

    export!(Adapter);
}

/// The type the exports are implemented on.
struct Adapter;

/// The cap on a response body held whole, as the connector's own host has
/// it; streamed bodies (`send-into`) have none.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// The most read from a source or a response at once.
const CHUNK: u32 = 1024 * 1024;

/// Connecting may take this long.
const CONNECT_TIMEOUT_NS: u64 = 30_000_000_000;

/// Between two bytes of a response, at most this long.
const BETWEEN_BYTES_TIMEOUT_NS: u64 = 60_000_000_000;

/// Until the first byte of the answer, this long plus the time the request
/// body takes at 1 MiB/s (the host's clock starts before the body is sent).
const FIRST_BYTE_TIMEOUT_NS: u64 = 60_000_000_000;

/// What the environment allows, read once.
fn allowances() -> Allowances {
    static ALLOWANCES: OnceLock<Allowances> = OnceLock::new();
    *ALLOWANCES.get_or_init(|| {
        let vars = wasip2::cli::environment::get_environment();
        Allowances::from_environment(vars.iter().map(|(name, value)| (name.as_str(), value.as_str())))
    })
}

impl From<body::BodyError> for BodyError {
    fn from(error: body::BodyError) -> Self {
        match error {
            body::BodyError::Io(message) => BodyError::Io(message),
            body::BodyError::OutOfRange => BodyError::OutOfRange,
        }
    }
}

impl wit_bodies::Guest for Adapter {
    type BodySource = Source;
    type BodySink = Sink;

    /// A generic host shows no progress.
    fn progress(_transferred: u64, _total: Option<u64>) {}
}

impl wit_bodies::GuestBodySource for Source {
    fn size(&self) -> u64 {
        Source::size(self)
    }

    fn read(&self, offset: u64, max: u32) -> Result<Vec<u8>, BodyError> {
        Source::read(self, offset, max).map_err(BodyError::from)
    }

    /// Hashing here would run in WebAssembly just as in the connector, so
    /// the connector hashes the span itself.
    fn digest(
        &self,
        _offset: u64,
        _length: u64,
        _algorithm: DigestAlgorithm,
    ) -> Result<Option<Vec<u8>>, BodyError> {
        Ok(None)
    }
}

impl wit_bodies::GuestBodySink for Sink {
    fn written(&self) -> u64 {
        Sink::written(self)
    }

    fn write(&self, bytes: Vec<u8>) -> Result<(), BodyError> {
        Sink::write(self, &bytes).map_err(BodyError::from)
    }

    fn truncate(&self, length: u64) -> Result<(), BodyError> {
        Sink::truncate(self, length).map_err(BodyError::from)
    }
}

impl ForwardRead for InputStream {
    fn read_forward(&mut self, max: u64) -> Result<Option<Vec<u8>>, String> {
        loop {
            match self.blocking_read(max) {
                Ok(bytes) if bytes.is_empty() => continue,
                Ok(bytes) => return Ok(Some(bytes)),
                Err(StreamError::Closed) => return Ok(None),
                Err(StreamError::LastOperationFailed(error)) => return Err(error.to_debug_string()),
            }
        }
    }
}

impl ForwardWrite for OutputStream {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), String> {
        write_all(self, bytes).map_err(describe_stream_error)
    }
}

impl streams::Guest for Adapter {
    fn source_from_stream(stream: InputStream, size: u64) -> BodySource {
        BodySource::new(Source::from_stream(Box::new(stream), size))
    }

    fn source_from_bytes(bytes: Vec<u8>) -> BodySource {
        BodySource::new(Source::from_bytes(bytes))
    }

    fn sink_to_stream(stream: OutputStream) -> BodySink {
        BodySink::new(Sink::to_stream(Box::new(stream)))
    }

    fn sink_to_memory() -> BodySink {
        BodySink::new(Sink::memory())
    }

    fn sink_bytes(sink: BodySinkBorrow<'_>) -> Vec<u8> {
        sink.get::<Sink>().bytes()
    }
}

impl wit_http::Guest for Adapter {
    fn send(request: Request) -> Result<Response, TransportError> {
        let outgoing = match &request.body {
            Body::Empty => Outgoing::Empty,
            Body::Bytes(bytes) => Outgoing::Bytes(bytes),
        };
        let answer = exchange(&request, outgoing)?;
        answer.whole(&request)
    }

    fn send_from(
        request: Request,
        source: BodySourceBorrow<'_>,
        offset: u64,
        length: u64,
    ) -> Result<Response, TransportError> {
        send_span(&request, source.get::<Source>(), offset, length)
    }

    fn send_from_each(
        requests: Vec<SpanRequest>,
        source: BodySourceBorrow<'_>,
    ) -> Vec<Result<Response, TransportError>> {
        let source = source.get::<Source>();
        requests
            .iter()
            .map(|span| send_span(&span.request, source, span.offset, span.length))
            .collect()
    }

    fn send_into_each(
        requests: Vec<PlacedRequest>,
        sink: BodySinkBorrow<'_>,
    ) -> Vec<Result<PlacedResponse, TransportError>> {
        let sink = sink.get::<Sink>();
        requests
            .iter()
            .map(|placed| {
                let (response, received) = receive(&placed.request, sink, placed.at)?;
                Ok(PlacedResponse { response, received })
            })
            .collect()
    }

    fn send_into(request: Request, sink: BodySinkBorrow<'_>) -> Result<Response, TransportError> {
        let sink = sink.get::<Sink>();
        let at = sink.written();
        receive(&request, sink, at).map(|(response, _)| response)
    }

    /// Hashing here would run in WebAssembly just as in the connector, so
    /// the connector hashes the bytes itself (and, told so once, asks no
    /// more).
    fn digest(_bytes: Vec<u8>, _algorithm: DigestAlgorithm) -> Option<Vec<u8>> {
        None
    }
}

/// A request body, as it is to be sent.
enum Outgoing<'a> {
    /// No body.
    Empty,
    /// Bytes in memory.
    Bytes(&'a [u8]),
    /// `length` bytes of a source from `offset`.
    Span(&'a Source, u64, u64),
}

impl Outgoing<'_> {
    fn length(&self) -> u64 {
        match self {
            Outgoing::Empty => 0,
            Outgoing::Bytes(bytes) => bytes.len() as u64,
            Outgoing::Span(_, _, length) => *length,
        }
    }
}

/// Sends a request whose body is a span of `source`.
fn send_span(
    request: &Request,
    source: &Source,
    offset: u64,
    length: u64,
) -> Result<Response, TransportError> {
    if !matches!(request.body, Body::Empty) {
        return Err(TransportError::InvalidRequest(
            "a request whose body is a span of a source has no body of its own".to_owned(),
        ));
    }
    let answer = exchange(request, Outgoing::Span(source, offset, length))?;
    answer.whole(request)
}

/// Sends `request` and writes a 2xx body into `sink` from `at`; the
/// response and how many bytes reached the sink.
fn receive(request: &Request, sink: &Sink, at: u64) -> Result<(Response, u64), TransportError> {
    let outgoing = match &request.body {
        Body::Empty => Outgoing::Empty,
        Body::Bytes(bytes) => Outgoing::Bytes(bytes),
    };
    let answer = exchange(request, outgoing)?;
    if !(200..300).contains(&answer.status) || request.method.eq_ignore_ascii_case("HEAD") {
        return answer.whole(request).map(|response| (response, 0));
    }
    let mut received = 0u64;
    let status = answer.status;
    let headers = answer.headers.clone();
    answer.read_body(|chunk| {
        sink.write_at(at + received, chunk)
            .map_err(|e| TransportError::Other(format!("the download's sink failed: {e:?}")))?;
        received += chunk.len() as u64;
        Ok(())
    })?;
    let response = Response {
        status,
        headers,
        body: Body::Empty,
    };
    Ok((response, received))
}

/// A response whose head has arrived; its body is still to be read.
struct Answer {
    status: u16,
    /// `response.headers`: a `name:value` line for each.
    headers: String,
    /// Declared after the stream is dropped: the stream is its child.
    body: Option<IncomingBody>,
    stream: Option<InputStream>,
    /// Kept until the body is read.
    _response: IncomingResponse,
}

impl Drop for Answer {
    fn drop(&mut self) {
        // A child resource goes before its parent.
        drop(self.stream.take());
        drop(self.body.take());
    }
}

impl Answer {
    /// The whole response, its body within the cap (none for HEAD).
    fn whole(self, request: &Request) -> Result<Response, TransportError> {
        let status = self.status;
        let headers = self.headers.clone();
        if request.method.eq_ignore_ascii_case("HEAD") {
            return Ok(Response {
                status,
                headers,
                body: Body::Empty,
            });
        }
        let mut bytes = Vec::new();
        let broke = self.read_body(|chunk| {
            if bytes.len() as u64 + chunk.len() as u64 > MAX_RESPONSE_BYTES {
                return Err(TransportError::TooLarge(MAX_RESPONSE_BYTES));
            }
            bytes.extend_from_slice(chunk);
            Ok(())
        })?;
        if let Some(error) = broke {
            return Err(error);
        }
        Ok(Response {
            status,
            headers,
            body: Body::Bytes(bytes),
        })
    }

    /// Hands each chunk of the body to `each`; an error of `each` stops
    /// and is returned, a body that breaks off stops and is the `Some`.
    fn read_body(
        mut self,
        mut each: impl FnMut(&[u8]) -> Result<(), TransportError>,
    ) -> Result<Option<TransportError>, TransportError> {
        let Some(stream) = self.stream.as_ref() else {
            return Ok(None);
        };
        loop {
            match stream.blocking_read(u64::from(CHUNK)) {
                Ok(chunk) => each(&chunk)?,
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(error)) => {
                    let broke = match wasip2::http::types::http_error_code(&error) {
                        Some(code) => transport_error(code),
                        None => TransportError::Connection(format!(
                            "the response body broke off: {}",
                            error.to_debug_string()
                        )),
                    };
                    return Ok(Some(broke));
                }
            }
        }
        drop(self.stream.take());
        if let Some(body) = self.body.take() {
            // The trailers (none from S3) are not waited for.
            drop(IncomingBody::finish(body));
        }
        Ok(None)
    }
}

/// Sends `request` with `outgoing` as its body and waits for the head of
/// the answer.
fn exchange(request: &Request, outgoing: Outgoing<'_>) -> Result<Answer, TransportError> {
    let target = policy::check(&request.url, allowances()).map_err(|refusal| match refusal {
        Refusal::Denied(message) => TransportError::Denied(message),
        Refusal::Invalid(message) => TransportError::InvalidRequest(message),
    })?;
    let fields = headers(request, &target, &outgoing)?;
    let wasi_request = OutgoingRequest::new(fields);
    let method = method(&request.method);
    let scheme = match target.scheme {
        Scheme::Http => WasiScheme::Http,
        Scheme::Https => WasiScheme::Https,
    };
    let invalid =
        |what: &str| TransportError::InvalidRequest(format!("the host refused the request's {what}"));
    wasi_request.set_method(&method).map_err(|()| invalid("method"))?;
    wasi_request
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("scheme"))?;
    wasi_request
        .set_authority(Some(&target.authority))
        .map_err(|()| invalid("authority"))?;
    wasi_request
        .set_path_with_query(Some(&target.path_with_query))
        .map_err(|()| invalid("path"))?;
    let options = RequestOptions::new();
    // A host may refuse to set a timeout: it then keeps its own.
    let upload_ns = outgoing.length().saturating_mul(1_000_000_000) >> 20;
    let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(FIRST_BYTE_TIMEOUT_NS.saturating_add(upload_ns)));
    let _ = options.set_between_bytes_timeout(Some(BETWEEN_BYTES_TIMEOUT_NS));
    // A request without a body takes none: a body resource, even left
    // empty, has the host send a chunked body (a DELETE with one is refused).
    let body = match outgoing {
        Outgoing::Empty => None,
        _ => Some(
            wasi_request
                .body()
                .map_err(|()| TransportError::Other("the request body was already taken".to_owned()))?,
        ),
    };
    let future = outgoing_handler::handle(wasi_request, Some(options)).map_err(transport_error)?;
    if let Some(body) = body {
        match write_body(&body, &outgoing) {
            Ok(()) => {
                // An error finishing the body shows again in the response.
                let _ = OutgoingBody::finish(body, None);
            }
            Err(Failure::Source(message)) => {
                // The body is dropped unfinished, so the host abandons the request.
                drop(body);
                return Err(TransportError::Other(format!(
                    "the request body's source failed: {message}"
                )));
            }
            // The server may have answered already (a 403 before the body):
            // the answer says what went wrong.
            Err(Failure::Stream) => drop(body),
        }
    }
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(transport_error(code)),
        Some(Err(())) => return Err(TransportError::Other("the response was already taken".to_owned())),
        None => return Err(TransportError::Other("the response never came".to_owned())),
    };
    let status = response.status();
    let headers = {
        let fields = response.headers();
        let entries = fields.entries();
        drop(fields);
        header_lines(&entries)
    };
    let body = response
        .consume()
        .map_err(|()| TransportError::Other("the response body was already taken".to_owned()))?;
    let stream = body
        .stream()
        .map_err(|()| TransportError::Other("the response body's stream was already taken".to_owned()))?;
    Ok(Answer {
        status,
        headers,
        body: Some(body),
        stream: Some(stream),
        _response: response,
    })
}

/// The response's headers as the connector takes them (`http-outgoing`'s
/// `response.headers`), written as the connector's own host writes them
/// (`s3_connector_wire::http::push_header_line`).
fn header_lines(entries: &[(String, Vec<u8>)]) -> String {
    let mut lines = String::with_capacity(entries.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (name, value) in entries {
        s3_connector_wire::http::push_header_line(&mut lines, name, value);
    }
    lines
}

/// The request's headers as the host takes them: `host` is made by the host
/// from the authority (a generic host forbids setting it), and the body's
/// length is given as `content-length` when the request has none.
fn headers(request: &Request, target: &Target, outgoing: &Outgoing<'_>) -> Result<Fields, TransportError> {
    let fields = Fields::new();
    let mut has_length = false;
    for header in &request.headers {
        if header.name.eq_ignore_ascii_case("host") {
            if header.value.eq_ignore_ascii_case(&target.authority) {
                continue;
            }
            return Err(TransportError::InvalidRequest(format!(
                "a host header `{}` other than the URL's authority `{}`: a wasi:http host sends the authority",
                header.value, target.authority
            )));
        }
        has_length |= header.name.eq_ignore_ascii_case("content-length");
        fields
            .append(&header.name, header.value.as_bytes())
            .map_err(|error| header_error(&header.name, error))?;
    }
    let bodiless = matches!(outgoing, Outgoing::Empty)
        && ["GET", "HEAD", "DELETE", "OPTIONS"]
            .iter()
            .any(|m| request.method.eq_ignore_ascii_case(m));
    if !has_length && !bodiless {
        let length = outgoing.length().to_string();
        fields
            .append("content-length", length.as_bytes())
            .map_err(|error| header_error("content-length", error))?;
    }
    Ok(fields)
}

fn header_error(name: &str, error: HeaderError) -> TransportError {
    let why = match error {
        HeaderError::InvalidSyntax => "is not valid",
        HeaderError::Forbidden => "is forbidden by the host",
        HeaderError::Immutable => "could not be set",
    };
    TransportError::InvalidRequest(format!("header `{name}` {why}"))
}

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "OPTIONS" => Method::Options,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    }
}

/// Why a request body could not be written.
enum Failure {
    /// The source failed: the request must not complete.
    Source(String),
    /// The host's stream failed: the response says why.
    Stream,
}

/// Writes the body, a chunk at a time for a span of a source.
fn write_body(body: &OutgoingBody, outgoing: &Outgoing<'_>) -> Result<(), Failure> {
    let stream = body.write().map_err(|()| Failure::Stream)?;
    match outgoing {
        Outgoing::Empty => {}
        Outgoing::Bytes(bytes) => write_all(&stream, bytes).map_err(|_| Failure::Stream)?,
        Outgoing::Span(source, offset, length) => {
            let end = offset.saturating_add(*length);
            let mut at = *offset;
            while at < end {
                let want = u32::try_from(end - at).unwrap_or(CHUNK).min(CHUNK);
                let chunk = source
                    .read(at, want)
                    .map_err(|e| Failure::Source(format!("{e:?}")))?;
                if chunk.is_empty() {
                    return Err(Failure::Source(format!(
                        "it ended at byte {at}, before the {length} bytes from {offset}"
                    )));
                }
                write_all(&stream, &chunk).map_err(|_| Failure::Stream)?;
                at += chunk.len() as u64;
            }
        }
    }
    stream.blocking_flush().map_err(|_| Failure::Stream)
}

/// Writes all of `bytes` as fast as the stream takes them, then flushes.
fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    while !bytes.is_empty() {
        let permitted = stream.check_write()?;
        if permitted == 0 {
            stream.subscribe().block();
            continue;
        }
        let n = usize::try_from(permitted).unwrap_or(usize::MAX).min(bytes.len());
        stream.write(&bytes[..n])?;
        bytes = &bytes[n..];
    }
    stream.blocking_flush()
}

fn describe_stream_error(error: StreamError) -> String {
    match error {
        StreamError::Closed => "the stream was closed".to_owned(),
        StreamError::LastOperationFailed(error) => error.to_debug_string(),
    }
}

/// A `wasi:http` error code as the connector's typed transport error.
fn transport_error(code: ErrorCode) -> TransportError {
    use ErrorCode as E;
    match code {
        E::DnsTimeout => TransportError::Dns("the name lookup timed out".to_owned()),
        E::DnsError(payload) => TransportError::Dns(format!(
            "the name lookup failed ({})",
            [payload.rcode, payload.info_code.map(|c| c.to_string())]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        )),
        E::DestinationNotFound => TransportError::Dns("host name not found".to_owned()),
        E::DestinationIpProhibited => {
            TransportError::Denied("the host refused the destination address".to_owned())
        }
        E::HttpRequestDenied => TransportError::Denied("the host refused the request".to_owned()),
        E::DestinationUnavailable => TransportError::Connection("the destination is unavailable".to_owned()),
        E::DestinationIpUnroutable => TransportError::Connection("the destination is unroutable".to_owned()),
        E::ConnectionRefused => TransportError::Connection("connection refused".to_owned()),
        E::ConnectionTerminated => TransportError::Connection("connection terminated".to_owned()),
        E::ConnectionLimitReached => TransportError::Connection("connection limit reached".to_owned()),
        E::HttpResponseIncomplete => TransportError::Connection("the response broke off".to_owned()),
        E::ConnectionTimeout
        | E::ConnectionReadTimeout
        | E::ConnectionWriteTimeout
        | E::HttpResponseTimeout => TransportError::Timeout,
        E::TlsProtocolError => TransportError::Tls("TLS protocol error".to_owned()),
        E::TlsCertificateError => TransportError::Tls("the certificate was not accepted".to_owned()),
        E::TlsAlertReceived(payload) => TransportError::Tls(format!(
            "TLS alert {}{}",
            payload.alert_id.map(|id| id.to_string()).unwrap_or_default(),
            payload
                .alert_message
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )),
        E::HttpResponseBodySize(Some(limit)) => TransportError::TooLarge(limit),
        code @ (E::HttpRequestLengthRequired
        | E::HttpRequestBodySize(_)
        | E::HttpRequestMethodInvalid
        | E::HttpRequestUriInvalid
        | E::HttpRequestUriTooLong
        | E::HttpRequestHeaderSectionSize(_)
        | E::HttpRequestHeaderSize(_)
        | E::HttpRequestTrailerSectionSize(_)
        | E::HttpRequestTrailerSize(_)) => TransportError::InvalidRequest(code_text(&code)),
        E::InternalError(Some(message)) => TransportError::Other(message),
        other => TransportError::Other(code_text(&other)),
    }
}

/// A `wasi:http` error code as its WIT case reads, with what it carries:
/// `http-request-header-size (x-amz-meta-a, 9000 bytes)`.
fn code_text(code: &ErrorCode) -> String {
    use ErrorCode as E;
    let bytes = |size: Option<u64>| size.map(|n| format!("{n} bytes"));
    let field = |payload: &FieldSizePayload| {
        [
            payload.field_name.clone(),
            bytes(payload.field_size.map(u64::from)),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    };
    let fields = |count: Option<u32>| count.map(|n| format!("{n} fields"));
    let (name, detail) = match code {
        E::DnsTimeout => ("dns-timeout", None),
        E::DnsError(p) => ("dns-error", p.rcode.clone()),
        E::DestinationNotFound => ("destination-not-found", None),
        E::DestinationUnavailable => ("destination-unavailable", None),
        E::DestinationIpProhibited => ("destination-ip-prohibited", None),
        E::DestinationIpUnroutable => ("destination-ip-unroutable", None),
        E::ConnectionRefused => ("connection-refused", None),
        E::ConnectionTerminated => ("connection-terminated", None),
        E::ConnectionTimeout => ("connection-timeout", None),
        E::ConnectionReadTimeout => ("connection-read-timeout", None),
        E::ConnectionWriteTimeout => ("connection-write-timeout", None),
        E::ConnectionLimitReached => ("connection-limit-reached", None),
        E::TlsProtocolError => ("tls-protocol-error", None),
        E::TlsCertificateError => ("tls-certificate-error", None),
        E::TlsAlertReceived(p) => ("tls-alert-received", p.alert_message.clone()),
        E::HttpRequestDenied => ("http-request-denied", None),
        E::HttpRequestLengthRequired => ("http-request-length-required", None),
        E::HttpRequestBodySize(size) => ("http-request-body-size", bytes(*size)),
        E::HttpRequestMethodInvalid => ("http-request-method-invalid", None),
        E::HttpRequestUriInvalid => ("http-request-uri-invalid", None),
        E::HttpRequestUriTooLong => ("http-request-uri-too-long", None),
        E::HttpRequestHeaderSectionSize(count) => ("http-request-header-section-size", fields(*count)),
        E::HttpRequestHeaderSize(p) => ("http-request-header-size", p.as_ref().map(field)),
        E::HttpRequestTrailerSectionSize(count) => ("http-request-trailer-section-size", fields(*count)),
        E::HttpRequestTrailerSize(p) => ("http-request-trailer-size", Some(field(p))),
        E::HttpResponseIncomplete => ("http-response-incomplete", None),
        E::HttpResponseHeaderSectionSize(count) => ("http-response-header-section-size", fields(*count)),
        E::HttpResponseHeaderSize(p) => ("http-response-header-size", Some(field(p))),
        E::HttpResponseBodySize(size) => ("http-response-body-size", bytes(*size)),
        E::HttpResponseTrailerSectionSize(count) => ("http-response-trailer-section-size", fields(*count)),
        E::HttpResponseTrailerSize(p) => ("http-response-trailer-size", Some(field(p))),
        E::HttpResponseTransferCoding(coding) => ("http-response-transfer-coding", coding.clone()),
        E::HttpResponseContentCoding(coding) => ("http-response-content-coding", coding.clone()),
        E::HttpResponseTimeout => ("http-response-timeout", None),
        E::HttpUpgradeFailed => ("http-upgrade-failed", None),
        E::HttpProtocolError => ("http-protocol-error", None),
        E::LoopDetected => ("loop-detected", None),
        E::ConfigurationError => ("configuration-error", None),
        E::InternalError(message) => ("internal-error", message.clone()),
    };
    match detail.filter(|d| !d.is_empty()) {
        Some(detail) => format!("{name} ({detail})"),
        None => name.to_owned(),
    }
}
