//! A recording transport for native tests: answers from a queue and keeps
//! every request it was given; and the fixtures around it.

use std::collections::VecDeque;

use time::OffsetDateTime;

use super::{Client, InstanceState};
use crate::connection::{Connection, Credentials, Endpoint, Region};
use crate::error::{Error, ErrorKind};
use crate::http::{BodyError, HttpRequest, HttpResponse, Transport, TransportError};
use crate::ops::Operation;

/// Answers queued responses in order; records requests. With a source
/// and a sink, it stands for the host-held bodies of a call too.
#[derive(Default)]
pub(crate) struct FakeTransport {
    pub(crate) answers: VecDeque<Result<HttpResponse, TransportError>>,
    pub(crate) sent: Vec<HttpRequest>,
    pub(crate) pauses: Vec<std::time::Duration>,
    /// For each request sent, the span of the source it was sent from.
    pub(crate) sent_from: Vec<Option<(u64, u64)>>,
    pub(crate) source: Option<Vec<u8>>,
    pub(crate) source_reads: usize,
    pub(crate) sink: Option<Vec<u8>>,
    pub(crate) progress: Vec<(u64, Option<u64>)>,
    /// Whether the fake host computes digests (of its source, and of bytes
    /// the core hands it).
    pub(crate) host_digests: bool,
    /// The bytes the core asked the host to digest, and how, in order.
    pub(crate) digested: Vec<(Vec<u8>, crate::http::Digest)>,
}

impl FakeTransport {
    /// A transport whose call has `source` as its host-held upload body.
    pub(crate) fn with_source(source: Vec<u8>) -> Self {
        FakeTransport {
            source: Some(source),
            ..Self::default()
        }
    }

    /// A transport whose call has an empty sink for its download.
    pub(crate) fn with_sink() -> Self {
        FakeTransport {
            sink: Some(Vec::new()),
            ..Self::default()
        }
    }

    fn next_answer(&mut self) -> Result<HttpResponse, TransportError> {
        self.answers
            .pop_front()
            .unwrap_or_else(|| Err(TransportError::Other("no answer queued".into())))
    }

    /// Queues a response with a status, headers and body.
    pub(crate) fn answer(&mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) -> &mut Self {
        self.answers.push_back(Ok(HttpResponse {
            status,
            headers: headers.iter().copied().collect(),
            body: body.to_vec(),
        }));
        self
    }
}

impl Transport for FakeTransport {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.push(request.clone());
        self.sent_from.push(None);
        self.next_answer()
    }

    fn send_from(
        &mut self,
        request: &HttpRequest,
        offset: u64,
        length: u64,
    ) -> Result<HttpResponse, TransportError> {
        self.sent.push(request.clone());
        self.sent_from.push(Some((offset, length)));
        let fits = self
            .source
            .as_ref()
            .is_some_and(|source| offset + length <= source.len() as u64);
        if !fits {
            return Err(TransportError::Other("span outside the source".into()));
        }
        self.next_answer()
    }

    /// A 2xx answer's body goes into the sink; a body shorter than its
    /// `content-length` stands for a connection cut mid-body.
    fn send_into(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.push(request.clone());
        self.sent_from.push(None);
        let mut answer = self.next_answer()?;
        if answer.is_success() {
            let sink = self
                .sink
                .as_mut()
                .ok_or_else(|| TransportError::Other("no sink".into()))?;
            sink.extend_from_slice(&std::mem::take(&mut answer.body));
        }
        Ok(answer)
    }

    /// Each 2xx body goes into the sink at its position; a body shorter
    /// than its `content-length` stands for a connection cut mid-body.
    fn send_into_each(
        &mut self,
        requests: &[(HttpRequest, u64)],
    ) -> Vec<Result<(HttpResponse, u64), TransportError>> {
        requests
            .iter()
            .map(|(request, at)| {
                self.sent.push(request.clone());
                self.sent_from.push(None);
                let mut answer = self.next_answer()?;
                let mut received = 0;
                if answer.is_success() {
                    let sink = self
                        .sink
                        .as_mut()
                        .ok_or_else(|| TransportError::Other("no sink".into()))?;
                    let body = std::mem::take(&mut answer.body);
                    let at = usize::try_from(*at).map_err(|_| TransportError::Other("too far".into()))?;
                    if sink.len() < at + body.len() {
                        sink.resize(at + body.len(), 0);
                    }
                    sink[at..at + body.len()].copy_from_slice(&body);
                    received = body.len() as u64;
                }
                Ok((answer, received))
            })
            .collect()
    }

    fn source_size(&mut self) -> Option<u64> {
        self.source.as_ref().map(|s| s.len() as u64)
    }

    fn read_source(&mut self, offset: u64, max: u32) -> Result<Vec<u8>, BodyError> {
        self.source_reads += 1;
        let source = self.source.as_ref().ok_or(BodyError::Missing)?;
        let start = usize::try_from(offset).map_err(|_| BodyError::OutOfRange)?;
        let end = start.saturating_add(max as usize).min(source.len());
        Ok(source.get(start..end).unwrap_or_default().to_vec())
    }

    fn digest(&mut self, bytes: &[u8], algorithm: crate::http::Digest) -> Option<Vec<u8>> {
        use sha2::Digest as _;
        self.digested.push((bytes.to_vec(), algorithm));
        self.host_digests.then(|| match algorithm {
            crate::http::Digest::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
            crate::http::Digest::Md5 => md5::Md5::digest(bytes).to_vec(),
        })
    }

    fn source_digest(
        &mut self,
        offset: u64,
        length: u64,
        algorithm: crate::http::Digest,
    ) -> Result<Option<Vec<u8>>, BodyError> {
        use sha2::Digest as _;
        if !self.host_digests {
            return Ok(None);
        }
        let source = self.source.as_ref().ok_or(BodyError::Missing)?;
        let start = usize::try_from(offset).map_err(|_| BodyError::OutOfRange)?;
        let end = start + usize::try_from(length).map_err(|_| BodyError::OutOfRange)?;
        let span = source.get(start..end).ok_or(BodyError::OutOfRange)?;
        Ok(Some(match algorithm {
            crate::http::Digest::Sha256 => sha2::Sha256::digest(span).to_vec(),
            crate::http::Digest::Md5 => md5::Md5::digest(span).to_vec(),
        }))
    }

    fn sink_written(&mut self) -> Result<u64, BodyError> {
        self.sink
            .as_ref()
            .map(|s| s.len() as u64)
            .ok_or(BodyError::Missing)
    }

    fn truncate_sink(&mut self, length: u64) -> Result<(), BodyError> {
        let sink = self.sink.as_mut().ok_or(BodyError::Missing)?;
        let length = usize::try_from(length).map_err(|_| BodyError::OutOfRange)?;
        if length > sink.len() {
            return Err(BodyError::OutOfRange);
        }
        sink.truncate(length);
        Ok(())
    }

    fn progress(&mut self, transferred: u64, total: Option<u64>) {
        self.progress.push((transferred, total));
    }

    fn pause(&mut self, duration: std::time::Duration) {
        self.pauses.push(duration);
    }
}

/// A path-style connection to `http://127.0.0.1:9000` with test credentials.
pub(crate) fn local_connection() -> Connection {
    Connection {
        credentials: Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None),
        region: Region::Named("us-east-1".into()),
        endpoint: Endpoint::parse("http://127.0.0.1:9000").ok(),
        path_style: true,
    }
}

/// 2013-05-24T00:00:00Z, the S3 documentation's example time.
pub(crate) fn example_time() -> OffsetDateTime {
    time::macros::datetime!(2013-05-24 00:00:00 UTC)
}

/// Runs `f` with a client over `transport` for `operation`.
pub(crate) fn with_client<R>(
    transport: &mut FakeTransport,
    operation: Operation,
    f: impl FnOnce(&mut Client<'_>) -> R,
) -> R {
    with_client_on(&local_connection(), transport, operation, f)
}

/// [`with_client`] on `connection`, with a fresh instance state.
pub(crate) fn with_client_on<R>(
    connection: &Connection,
    transport: &mut FakeTransport,
    operation: Operation,
    f: impl FnOnce(&mut Client<'_>) -> R,
) -> R {
    let mut state = InstanceState::default();
    let mut client = Client {
        connection,
        transport,
        state: &mut state,
        now: example_time(),
        operation,
    };
    f(&mut client)
}

/// The golden XML files of one operation, under `testdata/xml/<dir>/`
/// (`error` holds S3's `<Error>` bodies).
pub(crate) struct Fixtures(pub(crate) &'static str);

impl Fixtures {
    /// The bytes of the file `name`.
    pub(crate) fn bytes(&self, name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/xml")
            .join(self.0)
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
    }

    /// A 200 XML response whose body is the file `name`.
    pub(crate) fn ok(&self, name: &str) -> HttpResponse {
        xml_ok(&self.bytes(name))
    }
}

/// A 200 response carrying an XML `body`, as S3 answers a call that succeeded.
pub(crate) fn xml_ok(body: &[u8]) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: [("content-type", "application/xml")].into_iter().collect(),
        body: body.to_vec(),
    }
}

/// The message of an invalid-response error; panics on any other outcome.
pub(crate) fn invalid_response(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result.map_err(Error::into_kind) {
        Err(ErrorKind::InvalidResponse(message)) => message,
        other => panic!("expected an invalid response error, got {other:?}"),
    }
}
