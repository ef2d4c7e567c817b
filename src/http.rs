//! HTTP as the core sees it: plain data, no IO.
//!
//! An operation builds an [`OpRequest`] (what to do to which bucket and key),
//! the client addresses it into an [`HttpRequest`] (scheme, host, encoded path)
//! for one region, signs it, and hands it to a [`Transport`].

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::sigv4::encoding::canonical_query_string;

/// A request body, owned once and shared: the [`OpRequest`] holds it, and
/// each [`HttpRequest`] addressed from it (one per attempt, one per region
/// tried) shares the same bytes instead of copying them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Body(Arc<Vec<u8>>);

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Self::default()
    }
}

impl Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Takes the bytes over without copying them.
impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body(Arc::new(bytes))
    }
}

/// Takes the text's bytes over without copying them.
impl From<String> for Body {
    fn from(text: String) -> Self {
        Body(Arc::new(text.into_bytes()))
    }
}

/// Copies the bytes, once.
impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Self {
        Body(Arc::new(bytes.to_vec()))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq<[u8]> for Body {
    fn eq(&self, other: &[u8]) -> bool {
        self.0[..] == *other
    }
}

impl PartialEq<&[u8]> for Body {
    fn eq(&self, other: &&[u8]) -> bool {
        self.0[..] == **other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Body {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.0[..] == other[..]
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Body {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.0[..] == other[..]
    }
}

impl PartialEq<Vec<u8>> for Body {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.0[..] == other[..]
    }
}

/// An HTTP method S3 uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
}

impl Method {
    /// The method as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

/// What an operation wants sent, before it is addressed to a region and signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpRequest {
    /// The HTTP method.
    pub method: Method,
    /// The bucket, or `None` for service-level calls (List Buckets).
    pub bucket: Option<String>,
    /// The raw object key (not encoded), or `None` for bucket-level calls.
    pub key: Option<String>,
    /// Raw (not encoded) query parameters. An empty value is a bare
    /// sub-resource such as `?acl`.
    pub query: Vec<(String, String)>,
    /// Extra headers, names in lower case (`content-type`, `x-amz-acl`, ...).
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Body,
    /// Whether sending it twice has the same effect as once (safe to retry).
    pub idempotent: bool,
    /// The region to sign for when the operation decides it (Create Bucket
    /// signs for the new bucket's region); `None` leaves it to the client.
    pub region: Option<String>,
}

impl OpRequest {
    /// A request with no query, headers or body.
    pub fn new(method: Method, bucket: Option<&str>, key: Option<&str>) -> Self {
        OpRequest {
            method,
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::empty(),
            idempotent: true,
            region: None,
        }
    }

    /// Adds a query parameter (raw, it is encoded when addressed).
    pub fn with_query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a header (name in lower case).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Signs it for `region`, whatever the connection's region setting.
    pub fn with_region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }
}

/// A request addressed to one host, ready to be signed and sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// The HTTP method.
    pub method: Method,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The authority as it goes in the `Host` header: `host` or `host:port`
    /// (the port only when it is not the scheme's default).
    pub host: String,
    /// The path, already percent-encoded once (S3 rules), starting with `/`.
    pub path: String,
    /// Raw (not encoded) query parameters.
    pub query: Vec<(String, String)>,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, shared with the [`OpRequest`] it was addressed from.
    pub body: Body,
}

impl HttpRequest {
    /// The full URL, encoded exactly as it is signed.
    pub fn url(&self) -> String {
        let query = canonical_query_string(&self.query);
        let mut url = String::with_capacity(
            self.scheme.len() + 3 + self.host.len() + self.path.len() + 1 + query.len(),
        );
        url.push_str(self.scheme);
        url.push_str("://");
        url.push_str(&self.host);
        url.push_str(&self.path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        url
    }

    /// The canonical query string of this request (sorted, strictly encoded).
    pub fn canonical_query(&self) -> String {
        canonical_query_string(&self.query)
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// An HTTP response, body held in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers as received.
    pub headers: Headers,
    /// The body (empty for HEAD).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Appends one header to the response headers as a host passes them
/// (`http-outgoing`'s `response.headers`, read back by
/// [`Headers`]): `name:value` and a line feed, the name in lower
/// case. Bytes of `value` that are not UTF-8 become U+FFFD, and a line break
/// a space, so that a value can neither split its line nor make one up.
pub fn push_header_line(lines: &mut String, name: &str, value: &[u8]) {
    let at = lines.len();
    lines.push_str(name);
    if let Some(written) = lines.get_mut(at..) {
        written.make_ascii_lowercase();
    }
    lines.push(':');
    // What a server sends, nearly always: text on one line, taken as it is
    // (the host calls this for every header of every answer).
    if !value.iter().any(|&b| b == b'\r' || b == b'\n') {
        if let Ok(text) = std::str::from_utf8(value) {
            lines.push_str(text);
            lines.push('\n');
            return;
        }
    }
    for chunk in value.utf8_chunks() {
        for (n, piece) in chunk.valid().split(['\r', '\n']).enumerate() {
            if n > 0 {
                lines.push(' ');
            }
            lines.push_str(piece);
        }
        if !chunk.invalid().is_empty() {
            lines.push(char::REPLACEMENT_CHARACTER);
        }
    }
    lines.push('\n');
}

/// Response headers as a host passes them (`http-outgoing`'s
/// `response.headers`): one text, a line `name:value` for each, ending in a
/// line feed. They are read where they lie: a header costs no string of its
/// own, where a list of pairs cost two allocations a header on every call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    lines: String,
}

impl Headers {
    /// Takes over the lines a host wrote (see [`push_header_line`]).
    pub fn from_lines(lines: String) -> Self {
        Headers { lines }
    }

    /// The headers in the order received, repeats kept.
    pub fn iter(&self) -> HeaderLines<'_> {
        HeaderLines {
            lines: &self.lines,
            start: 0,
        }
    }

    /// The first header with this name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| crate::ascii::same_ignoring_case(n.as_bytes(), name.as_bytes()))
            .map(|(_, value)| value)
    }

    /// Appends a header, as a host writes it ([`push_header_line`]).
    pub fn push(&mut self, name: &str, value: &str) {
        push_header_line(&mut self.lines, name, value.as_bytes());
    }
}

/// Headers from pairs, each written as a host writes it.
impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Self {
        let mut headers = Headers::default();
        for (name, value) in pairs {
            headers.push(name.as_ref(), value.as_ref());
        }
        headers
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = (&'a str, &'a str);
    type IntoIter = HeaderLines<'a>;

    fn into_iter(self) -> HeaderLines<'a> {
        self.iter()
    }
}

/// The `(name, value)` pairs of [`Headers`], in order. A line without a
/// colon, which a host does not write, is skipped.
///
/// Two byte searches a header (`memchr`, SIMD in the component), the first
/// for the end of the name or of the line, the second for the end of the
/// line: `str::split_once` and `lines` cost a call of the standard library's
/// search each, which does not use SIMD, and a compare of what it found.
#[derive(Clone, Debug)]
pub struct HeaderLines<'a> {
    lines: &'a str,
    start: usize,
}

impl<'a> Iterator for HeaderLines<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let lines = self.lines;
        let bytes = lines.as_bytes();
        loop {
            let start = self.start;
            let rest = bytes.get(start..).filter(|rest| !rest.is_empty())?;
            let Some(stop) = memchr::memchr2(b':', b'\n', rest).map(|at| start + at) else {
                self.start = bytes.len(); // a last line without a colon
                return None;
            };
            if bytes.get(stop) == Some(&b'\n') {
                self.start = stop + 1; // a line without a colon
                continue;
            }
            let after = stop + 1;
            let end = bytes
                .get(after..)
                .and_then(|tail| memchr::memchr(b'\n', tail))
                .map_or(bytes.len(), |at| after + at);
            self.start = end + 1;
            // Each end is at an ASCII byte or the end, so on a char boundary.
            if let (Some(name), Some(value)) = (lines.get(start..stop), lines.get(after..end)) {
                return Some((name, value));
            }
        }
    }
}

pub(crate) fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| crate::ascii::same_ignoring_case(n.as_bytes(), name.as_bytes()))
        .map(|(_, v)| v.as_str())
}

/// Why a request got no HTTP response (mirrors the WIT `transport-error`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The host's address policy refused the destination; nothing was sent.
    #[error("destination refused by the host's network policy: {0}")]
    Denied(String),
    /// The host name could not be resolved.
    #[error("DNS lookup failed: {0}")]
    Dns(String),
    /// The connection failed or broke.
    #[error("connection failed: {0}")]
    Connection(String),
    /// TLS failed.
    #[error("TLS failed: {0}")]
    Tls(String),
    /// No answer in time.
    #[error("request timed out")]
    Timeout,
    /// The response was larger than the host allows (limit in bytes).
    #[error("response larger than the host's limit of {0} bytes")]
    TooLarge(u64),
    /// The host could not send this request as built.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl TransportError {
    /// Whether a retry might succeed (connection resets and timeouts).
    pub fn is_retryable(&self) -> bool {
        matches!(self, TransportError::Connection(_) | TransportError::Timeout)
    }
}

/// A digest of a span of the source (mirrors the WIT `digest-algorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    /// SHA-256 (32 bytes).
    Sha256,
    /// MD5 (16 bytes).
    Md5,
}

impl Digest {
    /// The digest's size in bytes.
    pub fn size(self) -> usize {
        match self {
            Digest::Sha256 => 32,
            Digest::Md5 => 16,
        }
    }
}

/// Why a host-held body could not be read or written (mirrors the WIT
/// `body-error`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// An I/O error of the file or blob behind the body.
    #[error("the host-held body failed: {0}")]
    Io(String),
    /// A read or truncation past the end.
    #[error("the host-held body is shorter than expected")]
    OutOfRange,
    /// The call has no source (or no sink) attached.
    #[error("no host-held body is attached to this call")]
    Missing,
}

/// Sends one request and returns the whole response. Any HTTP status is `Ok`.
///
/// `send` is the one thing a transport must do. Retries also need to wait
/// between attempts and to draw jitter, which are IO too; the defaults do
/// neither (no wait, no jitter), which is what native tests want.
///
/// A transport also stands for the host-held bodies of the call, if any:
/// the source an upload reads from and the sink a download writes to. Their
/// bytes go between the host and the network without passing through the
/// component (`send_from`, `send_into`); the core only reads the source when
/// it must hash it, and only asks the sink how much it holds. The defaults
/// have neither.
pub trait Transport {
    /// Send `request`; `Err` only when no HTTP response was had.
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Send `request` with `length` bytes of the source from `offset` as its
    /// body (`request.body` is empty).
    fn send_from(
        &mut self,
        request: &HttpRequest,
        offset: u64,
        length: u64,
    ) -> Result<HttpResponse, TransportError> {
        let _ = (request, offset, length);
        Err(TransportError::Other(BodyError::Missing.to_string()))
    }

    /// Sends each request with its span of the source as its body, at the
    /// same time if the transport can; one answer per request, in order.
    /// The default sends them one after the other.
    fn send_from_each(
        &mut self,
        requests: &[(HttpRequest, u64, u64)],
    ) -> Vec<Result<HttpResponse, TransportError>> {
        requests
            .iter()
            .map(|(request, offset, length)| self.send_from(request, *offset, *length))
            .collect()
    }

    /// Sends each request at the same time if the transport can, each 2xx
    /// body written into the sink from its position; one answer per
    /// request, in order, with how many body bytes reached the sink. The
    /// default has no sink.
    fn send_into_each(
        &mut self,
        requests: &[(HttpRequest, u64)],
    ) -> Vec<Result<(HttpResponse, u64), TransportError>> {
        requests
            .iter()
            .map(|_| Err(TransportError::Other(BodyError::Missing.to_string())))
            .collect()
    }

    /// Send `request`; a 2xx body is appended to the sink and the response's
    /// body is empty. A body cut short leaves what arrived in the sink.
    fn send_into(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let _ = request;
        Err(TransportError::Other(BodyError::Missing.to_string()))
    }

    /// The size of the source, or `None` when the call has none.
    fn source_size(&mut self) -> Option<u64> {
        None
    }

    /// Up to `max` bytes of the source from `offset`; fewer only at its end.
    fn read_source(&mut self, offset: u64, max: u32) -> Result<Vec<u8>, BodyError> {
        let _ = (offset, max);
        Err(BodyError::Missing)
    }

    /// The digest of `length` bytes of the source from `offset`, when the
    /// host computes it; `None` when it does not (the default), and the
    /// core reads the span and hashes it.
    fn source_digest(
        &mut self,
        offset: u64,
        length: u64,
        algorithm: Digest,
    ) -> Result<Option<Vec<u8>>, BodyError> {
        let _ = (offset, length, algorithm);
        Ok(None)
    }

    /// The digest of `bytes`, when the host computes it (natively, faster
    /// than the component); `None` when it does not (the default), and the
    /// core hashes them itself. Asked only of what is about to be sent.
    fn digest(&mut self, bytes: &[u8], algorithm: Digest) -> Option<Vec<u8>> {
        let _ = (bytes, algorithm);
        None
    }

    /// How many bytes the sink holds.
    fn sink_written(&mut self) -> Result<u64, BodyError> {
        Err(BodyError::Missing)
    }

    /// Drops the sink's bytes past `length`.
    fn truncate_sink(&mut self, length: u64) -> Result<(), BodyError> {
        let _ = length;
        Err(BodyError::Missing)
    }

    /// Reports `transferred` of `total` done: bytes of a transfer or a
    /// copy, keys of a deletion that takes many requests (Delete Multiple
    /// Objects over 1000 keys, Delete Folder, Delete Bucket with `force`).
    /// A host may start a per-call deadline again on a report of more than
    /// the last after an answered request.
    fn progress(&mut self, transferred: u64, total: Option<u64>) {
        let _ = (transferred, total);
    }

    /// Wait `duration` before the next attempt.
    fn pause(&mut self, duration: std::time::Duration) {
        let _ = duration;
    }

    /// A random fraction in `[0, 1)` for backoff jitter.
    fn random_fraction(&mut self) -> f64 {
        0.5
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    /// The pairs [`Headers`] reads from `lines`.
    fn headers_from_lines(lines: &str) -> Vec<(String, String)> {
        Headers::from_lines(lines.to_owned())
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn a_header_is_found_by_its_first_line_in_any_case() {
        let headers =
            Headers::from_lines("etag:\"a\"\nx-amz-meta-k:1\nno colon\nx-amz-meta-k:2\n".to_owned());
        assert_eq!(headers.get("ETag"), Some("\"a\""));
        assert_eq!(headers.get("X-Amz-Meta-K"), Some("1"));
        assert_eq!(headers.get("no colon"), None);
        assert_eq!(headers.get("x-amz-meta"), None);
        // Pairs are written as a host writes them: names in lower case, a
        // line break in a value made a space.
        let built: Headers = [("Content-Length", "3"), ("x-odd", "a\nb")].into_iter().collect();
        assert_eq!(
            built,
            Headers::from_lines("content-length:3\nx-odd:a b\n".to_owned())
        );
        assert_eq!(built.get("content-length"), Some("3"));
    }

    #[test]
    fn a_header_line_is_name_colon_value_and_never_splits() {
        let mut lines = String::new();
        push_header_line(&mut lines, "etag", b"\"abc\"");
        push_header_line(&mut lines, "X-Amz-Meta-A", b"caf\xc3\xa9 \xff end");
        push_header_line(&mut lines, "x-odd", b"one\r\ntwo\nthree\r");
        push_header_line(&mut lines, "x-bad", b"\xffa\nb\xfe");
        push_header_line(&mut lines, "x-empty", b"");
        assert_eq!(
            lines,
            "etag:\"abc\"\nx-amz-meta-a:caf\u{e9} \u{fffd} end\nx-odd:one  two three \n\
             x-bad:\u{fffd}a b\u{fffd}\nx-empty:\n"
        );
        // Read back as they were written (less the bytes that were not text
        // or would have broken the line).
        assert_eq!(
            headers_from_lines(&lines),
            pairs(&[
                ("etag", "\"abc\""),
                ("x-amz-meta-a", "caf\u{e9} \u{fffd} end"),
                ("x-odd", "one  two three "),
                ("x-bad", "\u{fffd}a b\u{fffd}"),
                ("x-empty", ""),
            ])
        );
    }

    #[test]
    fn header_lines_are_read_in_order_repeats_kept() {
        let lines = "etag:\"abc\"\nx-amz-meta-note:a: b\ncontent-length:0\nx-amz-meta-note:again\n";
        assert_eq!(
            headers_from_lines(lines),
            pairs(&[
                ("etag", "\"abc\""),
                ("x-amz-meta-note", "a: b"),
                ("content-length", "0"),
                ("x-amz-meta-note", "again"),
            ])
        );
    }

    #[test]
    fn header_lines_keep_empty_values_and_skip_lines_without_a_colon() {
        assert_eq!(headers_from_lines(""), pairs(&[]));
        assert_eq!(
            headers_from_lines("x-empty:\nno colon\n\nlast:1"),
            pairs(&[("x-empty", ""), ("last", "1")])
        );
        assert_eq!(
            headers_from_lines("a:1\nno colon at the end"),
            pairs(&[("a", "1")])
        );
        assert_eq!(headers_from_lines(":\n:v\n"), pairs(&[("", ""), ("", "v")]));
        // Multi-byte text in a value (a host writes undecodable bytes as
        // U+FFFD) is kept as it is.
        assert_eq!(
            headers_from_lines("x-amz-meta-t:\u{e9}t\u{e9} \u{fffd}\n"),
            pairs(&[("x-amz-meta-t", "\u{e9}t\u{e9} \u{fffd}")])
        );
    }
}
