//! Runs one operation's requests: address -> sign -> send -> check.
//!
//! The client finds a bucket's region when the region is `auto` (or wrong):
//! S3 names the right one in a 301 `PermanentRedirect`, a 400
//! `AuthorizationHeaderMalformed`, or the `x-amz-bucket-region` header (also
//! on bodiless HEAD answers); the request is then re-signed for that region
//! and sent once more, and the region is remembered per bucket.

use std::borrow::Cow;

use time::OffsetDateTime;

use crate::connection::{Connection, Region};
use crate::error::{Error, ErrorCode, ServiceError};
use crate::http::{Digest, HttpRequest, HttpResponse, OpRequest, Transport};
use crate::ops::Operation;
use crate::sigv4::key::{SigningKey, SigningKeyCache};
use crate::sigv4::{self, SigningContext};
use crate::xml;

/// The permissions of reading an object, which S3 checks before it says
/// whether the key exists.
const READ_OBJECT: &str = "s3:GetObject";
const READ_OBJECT_VERSION: &str = "s3:GetObjectVersion";

/// What an access denied on reading an object may also mean.
const MISSING_OR_DENIED: &str = " (S3 answers 403 as well for a key that does not exist when the \
     caller lacks s3:ListBucket on the bucket)";

/// What a component instance keeps between calls: the region learnt for
/// each bucket, and the signing keys derived (one HMAC chain per day,
/// region and credentials, instead of one per request).
#[derive(Debug, Default)]
pub struct InstanceState {
    /// `(bucket, region)`, sorted by bucket: found by binary search. (A
    /// hash map's code weighed more in the component, and its keys want a
    /// random seed; a workflow touches few buckets.)
    regions: Vec<(String, String)>,
    keys: SigningKeyCache,
}

impl InstanceState {
    /// Where `bucket` is in the sorted regions, or would be.
    fn find(&self, bucket: &str) -> Result<usize, usize> {
        self.regions
            .binary_search_by(|(name, _)| name.as_str().cmp(bucket))
    }

    /// The region learnt for `bucket`.
    pub fn region(&self, bucket: &str) -> Option<&str> {
        let index = self.find(bucket).ok()?;
        self.regions.get(index).map(|(_, region)| region.as_str())
    }

    /// Remembers `bucket`'s region.
    pub fn learn_region(&mut self, bucket: &str, region: &str) {
        match self.find(bucket) {
            Ok(index) => {
                // Called on every successful answer: allocate only when it is news.
                if let Some((_, known)) = self.regions.get_mut(index) {
                    if known != region {
                        region.clone_into(known);
                    }
                }
            }
            Err(index) => {
                // Bounded: a workflow touches few buckets, but an instance may live long.
                if self.regions.len() >= 10_000 {
                    self.regions.clear();
                    self.regions.push((bucket.to_owned(), region.to_owned()));
                } else {
                    self.regions.insert(index, (bucket.to_owned(), region.to_owned()));
                }
            }
        }
    }

    /// The signing key for `ctx`, derived once and reused.
    pub fn signing_key(&mut self, ctx: &SigningContext<'_>) -> &SigningKey {
        self.keys.key(ctx)
    }
}

/// Runs requests for one operation call.
pub struct Client<'a> {
    /// Where to and as whom.
    pub connection: &'a Connection,
    /// The network.
    pub transport: &'a mut dyn Transport,
    /// Learnt regions and derived signing keys.
    pub state: &'a mut InstanceState,
    /// The signing time.
    pub now: OffsetDateTime,
    /// The operation being run (names the IAM permission on access denied).
    pub operation: Operation,
}

impl<'a> Client<'a> {
    /// The region a request for `bucket` should be signed for now.
    pub fn region_for(&self, bucket: Option<&str>) -> String {
        if self.connection.endpoint.is_some() {
            return self.connection.region.initial().to_owned();
        }
        if let Some(region) = bucket.and_then(|b| self.state.region(b)) {
            return region.to_owned();
        }
        self.connection.region.initial().to_owned()
    }

    /// The region `request` should be signed for now: its own when it
    /// names one, else [`Client::region_for`] its bucket.
    pub fn region_of(&self, request: &OpRequest) -> String {
        match &request.region {
            Some(region) => region.clone(),
            None => self.region_for(request.bucket.as_deref()),
        }
    }

    /// The signing context for `region` at the client's time.
    pub fn signing_context<'r>(&self, region: &'r str) -> SigningContext<'r>
    where
        'a: 'r,
    {
        SigningContext {
            credentials: &self.connection.credentials,
            region,
            service: "s3",
            time: self.now,
        }
    }

    /// Addresses and signs `request` for `region` without sending it.
    pub fn prepare(&mut self, request: &OpRequest, region: &str) -> HttpRequest {
        self.prepare_hashed(request, region, None)
    }

    /// [`Client::prepare`], with the body's payload hash worked out already
    /// ([`Client::payload_hash`]) when it has one: each attempt at one
    /// request signs the same hash, so its body is hashed once however
    /// often it is sent. Without it (a request with no body) the hash is the
    /// signer's.
    fn prepare_hashed(&mut self, request: &OpRequest, region: &str, body_hash: Option<&str>) -> HttpRequest {
        let mut http = self.connection.address(request, region);
        let ctx = self.signing_context(region);
        let key = self.state.signing_key(&ctx);
        match body_hash {
            Some(hash) => sigv4::sign_with_payload_hash(&mut http, &ctx, key, hash.to_owned()),
            None => sigv4::sign_with_key(&mut http, &ctx, key),
        }
        http
    }

    /// The payload hash to sign for `request`, which has a body
    /// ([`sigv4::payload_hash`]): its SHA-256 is worked out by the host when
    /// the host offers digests, natively and several times faster than here
    /// (a digest of the wrong length is not used).
    fn payload_hash<'r>(&mut self, request: &'r OpRequest) -> Cow<'r, str> {
        sigv4::payload_hash_by(&request.headers, &request.body, |body| {
            self.transport
                .digest(body, Digest::Sha256)
                .and_then(|digest| <[u8; 32]>::try_from(digest.as_slice()).ok())
                .unwrap_or_else(|| sigv4::sha256(body))
        })
    }

    /// The region to sign a presigned URL for `bucket` with. For a bucket on
    /// AWS not seen yet (region `auto` or explicit), a HEAD of `key` asks S3 where the
    /// bucket lives (S3 names the region even when the key is absent or
    /// access is denied), so the URL works wherever the bucket is. Any
    /// failure of that probe falls back on the connection's region.
    pub fn presign_region(&mut self, bucket: &str, key: &str) -> String {
        // An explicit region is checked too: a URL signed for the wrong one
        // would only be redirected, and a browser cannot re-sign it.
        let needs_probe = self.connection.endpoint.is_none() && self.state.region(bucket).is_none();
        if needs_probe {
            let probe = OpRequest::new(crate::http::Method::Head, Some(bucket), Some(key));
            let _ = self.send(&probe);
        }
        self.region_for(Some(bucket))
    }

    /// Sends `request` and returns the successful (2xx) response, or the
    /// typed error S3 answered. Idempotent requests are retried on
    /// throttling, 5xx and broken connections (see [`RetryPolicy`]); a bucket
    /// found to be in another region is re-signed for it and sent once more.
    pub fn send(&mut self, request: &OpRequest) -> Result<HttpResponse, Error> {
        self.exchange(request, Exchange::InMemory)
    }

    /// [`Client::send`], with the body taken from, or the answer written to,
    /// the call's host-held body as `exchange` says. A request whose answer
    /// goes into the sink is not retried once part of a body has reached
    /// the sink: the caller resumes from what arrived.
    pub fn exchange(&mut self, request: &OpRequest, exchange: Exchange) -> Result<HttpResponse, Error> {
        self.exchange_counted(request, exchange)
            .map(|(response, _)| response)
    }

    /// [`Client::exchange`], also telling how many attempts the answer
    /// took: a request that is not idempotent and took more than one may
    /// have acted more than once (an attempt whose answer was lost).
    pub fn exchange_counted(
        &mut self,
        request: &OpRequest,
        exchange: Exchange,
    ) -> Result<(HttpResponse, u32), Error> {
        let mut region = self.region_of(request);
        let mut redirected = false;
        let policy = RetryPolicy::STANDARD;
        let max_attempts = if request.idempotent {
            policy.max_attempts
        } else {
            1
        };
        let mut attempts = 0;
        let mut paused = std::time::Duration::ZERO;
        // A body is hashed once: each attempt signs the same hash (retries
        // and redirects re-sign it).
        let body_hash = (!request.body.is_empty()).then(|| self.payload_hash(request));
        loop {
            attempts += 1;
            let http = self.prepare_hashed(request, &region, body_hash.as_deref());
            let sent = match exchange {
                Exchange::InMemory => self.transport.send(&http),
                Exchange::FromSource { offset, length } => self.transport.send_from(&http, offset, length),
                Exchange::IntoSink => {
                    let before = self.transport.sink_written().map_err(Error::body)?;
                    let sent = self.transport.send_into(&http);
                    if sent.is_err() && self.transport.sink_written().map_err(Error::body)? != before {
                        return sent
                            .map(|response| (response, attempts))
                            .map_err(|error| Error::transport(error, attempts));
                    }
                    sent
                }
            };
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    if error.is_retryable() && attempts < max_attempts {
                        if let Some(delay) = self.backoff(&policy, attempts, paused) {
                            paused += delay;
                            continue;
                        }
                    }
                    return Err(Error::transport(error, attempts));
                }
            };
            // A Get Object body is the object's own bytes, which may be an
            // `<Error>` document; S3 answers 200-with-error only to copy and
            // multipart-completion requests, never to Get Object.
            let body_is_content = self.operation == Operation::GetObject;
            if response.is_success() && (body_is_content || !xml::is_error_body(&response.body)) {
                // On AWS, a bucket that answers a request signed for a region
                // is in that region: remember it, so that nothing is probed again.
                if let (Some(bucket), None) = (&request.bucket, &self.connection.endpoint) {
                    // A header that names no region is no hint.
                    let found = response
                        .header("x-amz-bucket-region")
                        .filter(|hint| Region::is_region_name(hint))
                        .unwrap_or(&region);
                    if Region::is_region_name(found) {
                        self.state.learn_region(bucket, found);
                    }
                }
                return Ok((response, attempts));
            }
            let error = self.service_error(request, &response, attempts);
            if let (false, Some(bucket), Some(found)) = (redirected, &request.bucket, &error.region) {
                let may_follow =
                    self.connection.endpoint.is_none() && *found != region && is_region_hint(&error);
                if may_follow {
                    self.state.learn_region(bucket, found);
                    region = found.clone();
                    redirected = true;
                    // The redirect is not a failed attempt.
                    attempts -= 1;
                    continue;
                }
            }
            if is_retryable(&error) && attempts < max_attempts {
                if let Some(delay) = self.backoff(&policy, attempts, paused) {
                    paused += delay;
                    continue;
                }
            }
            return Err(Error::service(error));
        }
    }

    /// Sends requests whose bodies are spans of the call's source, all at
    /// once (see [`Transport::send_from_each`]), with no retries: a request
    /// that did not succeed is `None`, for the caller to send again with
    /// [`Client::exchange`], which retries and names the error.
    pub fn send_each(&mut self, requests: &[(&OpRequest, u64, u64)]) -> Vec<Option<HttpResponse>> {
        let prepared: Vec<(HttpRequest, u64, u64)> = requests
            .iter()
            .map(|(request, offset, length)| {
                let region = self.region_of(request);
                (self.prepare(request, &region), *offset, *length)
            })
            .collect();
        self.transport
            .send_from_each(&prepared)
            .into_iter()
            .map(|answer| {
                answer
                    .ok()
                    .filter(|response| response.is_success() && !xml::is_error_body(&response.body))
            })
            .collect()
    }

    /// Sends requests at once, each 2xx body written into the call's sink
    /// at its position (see [`Transport::send_into_each`]), with no retries
    /// and no region discovery: the caller checks each answer.
    pub fn send_into_each(
        &mut self,
        requests: &[(&OpRequest, u64)],
    ) -> Vec<Result<(HttpResponse, u64), crate::http::TransportError>> {
        let prepared: Vec<(HttpRequest, u64)> = requests
            .iter()
            .map(|(request, at)| {
                let region = self.region_of(request);
                (self.prepare(request, &region), *at)
            })
            .collect();
        self.transport.send_into_each(&prepared)
    }

    /// Waits before attempt `attempts + 1`; `None` when the pause budget is spent.
    fn backoff(
        &mut self,
        policy: &RetryPolicy,
        attempts: u32,
        paused: std::time::Duration,
    ) -> Option<std::time::Duration> {
        let delay = policy.delay(attempts, self.transport.random_fraction());
        if paused + delay > policy.max_total_pause {
            return None;
        }
        self.transport.pause(delay);
        Some(delay)
    }

    /// The typed error for a non-2xx (or 200-with-`<Error>`) response. An
    /// access denied on reading an object says that it may be a missing
    /// key: S3 answers 403 rather than 404 for a key that does not exist
    /// when the caller may not list the bucket.
    pub fn service_error(&self, request: &OpRequest, response: &HttpResponse, attempts: u32) -> ServiceError {
        let parsed = xml::parse_error_body(&response.body);
        let code = match &parsed {
            Some(body) if !body.code.is_empty() => ErrorCode::from_code(&body.code),
            _ => ErrorCode::from_status(response.status),
        };
        let code = match (code, self.operation) {
            // A bodiless 404 on a bucket-level call is a missing bucket.
            (ErrorCode::NoSuchKey, Operation::ListObjects | Operation::GetBucketLocation)
                if parsed.is_none() =>
            {
                ErrorCode::NoSuchBucket
            }
            (code, _) => code,
        };
        let message = parsed
            .as_ref()
            .map(|b| b.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| match code.description() {
                // HEAD answers, and some S3-compatible servers, give no message.
                Some(text) => text.to_owned(),
                None => format!("HTTP {} with no error details", response.status),
            });
        let region = response
            .header("x-amz-bucket-region")
            .map(str::to_owned)
            .or_else(|| parsed.as_ref().and_then(|b| b.region.clone()))
            .filter(|r| Region::is_region_name(r));
        let required_permission =
            (code == ErrorCode::AccessDenied).then(|| self.operation.required_permission(request));
        let message = match required_permission.as_deref() {
            Some(READ_OBJECT | READ_OBJECT_VERSION) => message + MISSING_OR_DENIED,
            _ => message,
        };
        ServiceError {
            status: response.status,
            code,
            message,
            request_id: response
                .header("x-amz-request-id")
                .map(str::to_owned)
                .or_else(|| parsed.as_ref().and_then(|b| b.request_id.clone())),
            resource: parsed.as_ref().and_then(|b| b.resource.clone()),
            region,
            required_permission,
            attempts,
        }
    }
}

/// Where a request's body comes from and where a successful answer's body
/// goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exchange {
    /// Both in memory: the request's own body, the answer's body returned.
    InMemory,
    /// The body is `length` bytes of the call's source from `offset`.
    FromSource {
        /// The first byte.
        offset: u64,
        /// How many bytes.
        length: u64,
    },
    /// A 2xx answer's body is appended to the call's sink.
    IntoSink,
}

/// When and how long to retry: the AWS SDKs' "standard" mode (3 attempts,
/// exponential backoff with full jitter, capped), with a bound on the total
/// time spent waiting so that a workflow step never hangs on retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The backoff before the second attempt, before jitter.
    pub base_delay: std::time::Duration,
    /// The longest single backoff.
    pub max_delay: std::time::Duration,
    /// The most time spent waiting across all retries of one request.
    pub max_total_pause: std::time::Duration,
}

impl RetryPolicy {
    /// The standard policy.
    pub const STANDARD: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        base_delay: std::time::Duration::from_millis(200),
        max_delay: std::time::Duration::from_secs(5),
        max_total_pause: std::time::Duration::from_secs(10),
    };

    /// The wait after `attempts` failed attempts, for a jitter fraction in `[0, 1)`.
    pub fn delay(&self, attempts: u32, jitter: f64) -> std::time::Duration {
        let exponent = attempts.saturating_sub(1).min(16);
        let ceiling = self.base_delay.saturating_mul(1 << exponent).min(self.max_delay);
        // `mul_f64` panics on NaN, and `clamp` lets NaN through.
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.5
        };
        ceiling.mul_f64(jitter)
    }
}

/// Whether S3's answer invites another attempt: 5xx, throttling, timeouts.
/// Client errors (4xx) are final, but for S3's own `RequestTimeout` (400).
fn is_retryable(error: &ServiceError) -> bool {
    error.code.is_retryable() || matches!(error.status, 500 | 502 | 503 | 504)
}

/// Whether an error means "this bucket is in another region".
fn is_region_hint(error: &ServiceError) -> bool {
    matches!(
        error.code,
        ErrorCode::PermanentRedirect | ErrorCode::AuthorizationHeaderMalformed
    ) || error.status == 301
        || (error.status == 400 && error.region.is_some())
}

/// A recording transport for native tests: answers from a queue and keeps
/// every request it was given.
#[cfg(test)]
pub(crate) mod fake;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::fake::{with_client, FakeTransport};
    use super::RetryPolicy;
    use crate::error::{Error, ErrorCode, ErrorKind};
    use crate::http::{Method, OpRequest, TransportError};
    use crate::ops::Operation;
    use crate::sigv4::{self, SigningContext};

    #[test]
    fn regions_learnt_are_found_by_bucket_and_corrected() {
        let mut state = super::InstanceState::default();
        // Learnt in no order; found by binary search.
        let buckets: Vec<String> = (0..500u32)
            .map(|i| format!("bucket-{:03}", (i * 7919) % 500))
            .collect();
        for (i, bucket) in buckets.iter().enumerate() {
            state.learn_region(bucket, if i % 2 == 0 { "eu-west-1" } else { "us-east-2" });
        }
        for (i, bucket) in buckets.iter().enumerate() {
            let expected = if i % 2 == 0 { "eu-west-1" } else { "us-east-2" };
            assert_eq!(state.region(bucket), Some(expected), "{bucket}");
        }
        assert_eq!(state.region("bucket-"), None);
        assert_eq!(state.region("bucket-999"), None);
        // A bucket learnt again in another region (a redirect) is corrected.
        state.learn_region("bucket-042", "ap-south-1");
        assert_eq!(state.region("bucket-042"), Some("ap-south-1"));
        assert_eq!(state.regions.len(), 500);
    }

    #[test]
    fn the_regions_learnt_are_bounded() {
        let mut state = super::InstanceState::default();
        for i in 0..10_000u32 {
            state.learn_region(&format!("b-{i}"), "eu-west-1");
        }
        assert_eq!(state.regions.len(), 10_000);
        // A bucket already known does not clear the map; a new one does.
        state.learn_region("b-5", "eu-west-3");
        assert_eq!(state.regions.len(), 10_000);
        state.learn_region("new-bucket", "eu-west-2");
        assert_eq!(state.regions.len(), 1);
        assert_eq!(state.region("new-bucket"), Some("eu-west-2"));
        assert_eq!(state.region("b-5"), None);
    }

    const SLOW_DOWN: &[u8] =
        b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";

    fn head() -> OpRequest {
        OpRequest::new(Method::Head, Some("bucket"), Some("key"))
    }

    #[test]
    fn idempotent_request_succeeds_after_two_throttles() {
        let mut t = FakeTransport::default();
        t.answer(503, &[], SLOW_DOWN)
            .answer(500, &[], b"")
            .answer(200, &[], b"");
        let result = with_client(&mut t, Operation::HeadObject, |c| c.send(&head()));
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(t.sent.len(), 3);
        assert_eq!(t.pauses.len(), 2);
    }

    #[test]
    fn final_error_reports_the_attempts_made() {
        let mut t = FakeTransport::default();
        t.answer(503, &[], SLOW_DOWN)
            .answer(503, &[], SLOW_DOWN)
            .answer(503, &[], SLOW_DOWN);
        let result = with_client(&mut t, Operation::HeadObject, |c| c.send(&head()));
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::Service(e)) => {
                assert_eq!(e.code, ErrorCode::SlowDown);
                assert_eq!(e.attempts, 3);
            }
            other => panic!("expected SlowDown, got {other:?}"),
        }
        assert_eq!(t.sent.len(), 3);
    }

    #[test]
    fn client_errors_are_not_retried() {
        let mut t = FakeTransport::default();
        t.answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
        );
        let result = with_client(&mut t, Operation::HeadObject, |c| c.send(&head()));
        assert!(matches!(
            result.map_err(Error::into_kind),
            Err(ErrorKind::Service(ref e)) if e.attempts == 1 && e.code == ErrorCode::AccessDenied
        ));
        assert_eq!(t.sent.len(), 1);
    }

    #[test]
    fn connection_reset_is_retried_and_counted() {
        let mut t = FakeTransport::default();
        t.answers
            .push_back(Err(TransportError::Connection("reset".into())));
        t.answers
            .push_back(Err(TransportError::Connection("reset".into())));
        t.answers
            .push_back(Err(TransportError::Connection("reset".into())));
        let result = with_client(&mut t, Operation::HeadObject, |c| c.send(&head()));
        assert!(
            matches!(
                result.as_ref().map_err(Error::kind),
                Err(ErrorKind::Transport { attempts: 3, .. })
            ),
            "{result:?}"
        );
    }

    #[test]
    fn non_idempotent_request_is_sent_once() {
        let mut t = FakeTransport::default();
        t.answer(503, &[], SLOW_DOWN).answer(200, &[], b"");
        let mut request = head();
        request.idempotent = false;
        let result = with_client(&mut t, Operation::HeadObject, |c| c.send(&request));
        assert!(result.is_err());
        assert_eq!(t.sent.len(), 1);
    }

    #[test]
    fn denied_destination_is_not_retried() {
        let mut t = FakeTransport::default();
        t.answers
            .push_back(Err(TransportError::Denied("169.254.169.254".into())));
        let result = with_client(&mut t, Operation::HeadObject, |c| c.send(&head()));
        assert!(matches!(
            result.map_err(Error::into_kind),
            Err(ErrorKind::Transport { attempts: 1, .. })
        ));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::STANDARD;
        assert_eq!(p.delay(1, 1.0), Duration::from_millis(200));
        assert_eq!(p.delay(2, 1.0), Duration::from_millis(400));
        assert_eq!(p.delay(30, 1.0), Duration::from_secs(5));
        assert_eq!(p.delay(2, 0.0), Duration::ZERO);
        assert_eq!(p.delay(1, f64::NAN), Duration::from_millis(100));
        assert_eq!(p.delay(1, f64::INFINITY), Duration::from_millis(100));
    }

    fn auto_client_run(
        t: &mut dyn crate::http::Transport,
        state: &mut super::InstanceState,
        region: crate::connection::Region,
        request: &OpRequest,
    ) -> Result<crate::http::HttpResponse, Error> {
        let connection = crate::connection::Connection {
            credentials: crate::connection::Credentials::new("AKIDEXAMPLE", "secret", None),
            region,
            endpoint: None,
            path_style: false,
        };
        let mut client = super::Client {
            connection: &connection,
            transport: t,
            state,
            now: super::fake::example_time(),
            operation: Operation::GetObject,
        };
        client.send(request)
    }

    fn get() -> OpRequest {
        OpRequest::new(Method::Get, Some("bucket"), Some("key"))
    }

    const REDIRECT: &[u8] = b"<Error><Code>PermanentRedirect</Code><Message>use the right endpoint</Message>\
        <Endpoint>bucket.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>bucket</Bucket></Error>";
    const MALFORMED: &[u8] =
        b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' \
        is wrong; expecting 'ap-south-1'</Message><Region>ap-south-1</Region></Error>";

    #[test]
    fn auto_region_follows_a_301_and_remembers_the_region() {
        let mut t = FakeTransport::default();
        t.answer(301, &[("x-amz-bucket-region", "eu-west-1")], REDIRECT)
            .answer(200, &[], b"data");
        let mut state = super::InstanceState::default();
        let result = auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &get());
        assert_eq!(result.unwrap().body, b"data");
        assert_eq!(t.sent[0].host, "bucket.s3.us-east-1.amazonaws.com");
        assert_eq!(t.sent[1].host, "bucket.s3.eu-west-1.amazonaws.com");
        let auth = t.sent[1].header("authorization").unwrap();
        assert!(
            auth.contains("/eu-west-1/s3/aws4_request"),
            "re-signed for the new region: {auth}"
        );
        // The second call goes straight to eu-west-1: one request, not two.
        t.answer(200, &[], b"again");
        auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &get()).unwrap();
        assert_eq!(t.sent.len(), 3);
        assert_eq!(t.sent[2].host, "bucket.s3.eu-west-1.amazonaws.com");
    }

    #[test]
    fn wrong_explicit_region_is_corrected_from_the_400_body() {
        let mut t = FakeTransport::default();
        t.answer(400, &[], MALFORMED).answer(200, &[], b"");
        let mut state = super::InstanceState::default();
        let region = crate::connection::Region::Named("us-east-1".into());
        auto_client_run(&mut t, &mut state, region, &get()).unwrap();
        assert_eq!(t.sent[1].host, "bucket.s3.ap-south-1.amazonaws.com");
        assert_eq!(state.region("bucket"), Some("ap-south-1"));
    }

    #[test]
    fn bodiless_head_redirect_is_followed_from_the_header() {
        let mut t = FakeTransport::default();
        t.answer(301, &[("x-amz-bucket-region", "sa-east-1")], b"")
            .answer(200, &[], b"");
        let mut state = super::InstanceState::default();
        auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &head()).unwrap();
        assert_eq!(t.sent[1].host, "bucket.s3.sa-east-1.amazonaws.com");
    }

    #[test]
    fn every_attempt_signs_the_bodys_hash_or_the_hash_given() {
        let body = b"the same bytes at every attempt".to_vec();
        let hash = sigv4::sha256_hex(&body);
        let put = |headers: Vec<(String, String)>| {
            let mut request = OpRequest::new(Method::Put, Some("bucket"), Some("key"));
            request.headers = headers;
            request.body = body.clone().into();
            request
        };
        let given = vec![("x-amz-content-sha256".to_owned(), " UNSIGNED-PAYLOAD ".to_owned())];
        for (request, expected) in [(put(Vec::new()), hash.as_str()), (put(given), "UNSIGNED-PAYLOAD")] {
            // A redirect, a throttle, then the answer: three signatures.
            let mut t = FakeTransport::default();
            t.answer(301, &[("x-amz-bucket-region", "eu-west-1")], REDIRECT)
                .answer(503, &[], SLOW_DOWN)
                .answer(200, &[], b"");
            let mut state = super::InstanceState::default();
            auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &request).unwrap();
            assert_eq!(t.sent.len(), 3);
            for sent in &t.sent {
                assert_eq!(sent.header("x-amz-content-sha256"), Some(expected));
                assert_eq!(&sent.body[..], &body[..]);
                let auth = sent.header("authorization").unwrap_or_default();
                assert!(auth.contains("x-amz-content-sha256"), "{auth}");
            }
            // Each signature is the one a fresh signing of that attempt gives.
            for sent in &t.sent {
                let mut again = sent.clone();
                let region = if sent.host.contains("eu-west-1") {
                    "eu-west-1"
                } else {
                    "us-east-1"
                };
                let credentials = crate::connection::Credentials::new("AKIDEXAMPLE", "secret", None);
                let ctx = SigningContext {
                    credentials: &credentials,
                    region,
                    service: "s3",
                    time: super::fake::example_time(),
                };
                sigv4::sign(&mut again, &ctx);
                assert_eq!(again.header("authorization"), sent.header("authorization"));
            }
        }
    }

    #[test]
    fn a_host_that_hashes_is_asked_for_the_body_once_whatever_the_attempts() {
        let body = b"the same bytes at every attempt".to_vec();
        let mut request = OpRequest::new(Method::Put, Some("bucket"), Some("key"));
        request.body = body.clone().into();
        let signed = |host_digests: bool| {
            let mut t = FakeTransport {
                host_digests,
                ..FakeTransport::default()
            };
            // A redirect, a throttle, then the answer: three signatures of
            // one body hash.
            t.answer(301, &[("x-amz-bucket-region", "eu-west-1")], REDIRECT)
                .answer(503, &[], SLOW_DOWN)
                .answer(200, &[], b"");
            let mut state = super::InstanceState::default();
            auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &request).unwrap();
            t
        };
        let (host, here) = (signed(true), signed(false));
        // The same requests, signed alike, whoever hashed; the host asked
        // alike whether it answers or not (the component, not the core,
        // remembers a host that offers no digests).
        assert_eq!(host.sent.len(), 3);
        assert_eq!(host.sent, here.sent);
        let asked = vec![(body, crate::http::Digest::Sha256)];
        assert_eq!(host.digested, asked);
        assert_eq!(here.digested, asked);
        // A request without a body, or whose payload hash is given, asks
        // nothing.
        let mut unsigned = request.clone();
        unsigned.headers = vec![("x-amz-content-sha256".to_owned(), "UNSIGNED-PAYLOAD".to_owned())];
        for request in [head(), unsigned] {
            let mut t = FakeTransport {
                host_digests: true,
                ..FakeTransport::default()
            };
            t.answer(200, &[], b"");
            let mut state = super::InstanceState::default();
            auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &request).unwrap();
            assert!(t.digested.is_empty());
        }
    }

    #[test]
    fn a_digest_of_the_wrong_length_is_not_used() {
        use crate::http::{HttpRequest, HttpResponse, Transport};
        /// A host whose SHA-256 comes back one byte short.
        struct Short(FakeTransport);
        impl Transport for Short {
            fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, crate::http::TransportError> {
                self.0.send(request)
            }
            fn digest(&mut self, bytes: &[u8], algorithm: crate::http::Digest) -> Option<Vec<u8>> {
                let mut digest = self.0.digest(bytes, algorithm)?;
                digest.pop();
                Some(digest)
            }
        }
        let mut request = OpRequest::new(Method::Put, Some("bucket"), Some("key"));
        request.body = b"body".to_vec().into();
        let mut short = Short(FakeTransport {
            host_digests: true,
            ..FakeTransport::default()
        });
        short.0.answer(200, &[], b"");
        let mut here = FakeTransport::default();
        here.answer(200, &[], b"");
        for t in [&mut short as &mut dyn Transport, &mut here] {
            let mut state = super::InstanceState::default();
            auto_client_run(t, &mut state, crate::connection::Region::Auto, &request).unwrap();
        }
        assert_eq!(short.0.digested.len(), 1);
        assert_eq!(short.0.sent, here.sent);
    }

    #[test]
    fn a_redirect_is_followed_only_once() {
        let mut t = FakeTransport::default();
        t.answer(301, &[("x-amz-bucket-region", "eu-west-1")], REDIRECT)
            .answer(301, &[("x-amz-bucket-region", "eu-west-2")], REDIRECT);
        let mut state = super::InstanceState::default();
        let result = auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &get());
        assert!(matches!(
            result.map_err(Error::into_kind),
            Err(ErrorKind::Service(ref e)) if e.code == ErrorCode::PermanentRedirect
        ));
        assert_eq!(t.sent.len(), 2);
    }

    #[test]
    fn a_region_hint_that_names_no_region_is_ignored_and_never_learnt() {
        for hint in ["auto", "AUTO", ""] {
            let mut t = FakeTransport::default();
            t.answer(301, &[("x-amz-bucket-region", hint)], b"");
            let mut state = super::InstanceState::default();
            let result = auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &head());
            assert!(
                matches!(
                    result.as_ref().map_err(Error::kind),
                    Err(ErrorKind::Service(e)) if e.region.is_none()
                ),
                "{hint:?}: {result:?}"
            );
            assert_eq!(t.sent.len(), 1, "{hint:?}: no request to a made-up region");
            let mut t = FakeTransport::default();
            t.answer(200, &[("x-amz-bucket-region", hint)], b"");
            auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &head()).unwrap();
            // The region the request was signed for is learnt instead.
            assert_eq!(
                state.region("bucket"),
                Some("us-east-1"),
                "{hint:?} is never cached"
            );
        }
    }

    #[test]
    fn a_request_that_names_its_region_is_signed_and_sent_for_it() {
        let mut t = FakeTransport::default();
        t.answer(200, &[], b"");
        let mut state = super::InstanceState::default();
        let region = crate::connection::Region::Named("us-east-1".into());
        let request = get().with_region("ap-south-1");
        auto_client_run(&mut t, &mut state, region, &request).unwrap();
        assert_eq!(t.sent[0].host, "bucket.s3.ap-south-1.amazonaws.com");
        let auth = t.sent[0].header("authorization").unwrap();
        assert!(auth.contains("/ap-south-1/s3/aws4_request"), "{auth}");
        assert_eq!(state.region("bucket"), Some("ap-south-1"));
    }

    #[test]
    fn a_successful_answer_teaches_the_region_it_was_signed_for() {
        let mut t = FakeTransport::default();
        t.answer(200, &[], b"").answer(200, &[], b"");
        let mut state = super::InstanceState::default();
        auto_client_run(&mut t, &mut state, crate::connection::Region::Auto, &get()).unwrap();
        assert_eq!(state.region("bucket"), Some("us-east-1"));
    }
}
