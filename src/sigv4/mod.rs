//! AWS Signature Version 4, as S3 uses it, split by stage: [`canonical`]
//! request, [`string_to_sign`], signing [`key`], and [`presign`]ed URLs.
//!
//! Time is always an argument: nothing here reads a clock.
//!
//! The stages are tested against AWS's published vectors (the generic SigV4
//! test suite and the S3 documentation's worked examples) in `golden`.

pub mod canonical;
pub mod encoding;
pub mod key;
pub mod presign;
pub mod string_to_sign;

#[cfg(test)]
mod golden;

use std::borrow::Cow;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::connection::Credentials;
use crate::http::HttpRequest;

/// The algorithm name that starts every string to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// SHA-256 of the empty body, hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The payload hash of presigned URLs.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Who signs, for which region and service, at what time.
#[derive(Clone, Copy, Debug)]
pub struct SigningContext<'a> {
    /// The credentials.
    pub credentials: &'a Credentials,
    /// The signing region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The service, `s3` (the generic test suite uses `service`).
    pub service: &'a str,
    /// The signing time (UTC).
    pub time: OffsetDateTime,
}

/// SHA-256 of `data`, computed here.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    if data.is_empty() {
        return EMPTY_SHA256.to_owned();
    }
    hex(&Sha256::digest(data))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// Appends the lower-case hex of `bytes` to `out`: a digest goes straight
/// into the string to sign or the `Authorization` header, with no string of
/// its own.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    // A digest at a time, through digits on the stack, then one conversion:
    // pushing `char`s one by one costs a capacity check and a UTF-8
    // encoding each. Four bytes at a time in a `u64` ([`hex8`]), then a
    // plain loop for the rest: at `-Os` chunk-and-zip iterators were a call
    // per byte.
    for chunk in bytes.chunks(32) {
        let mut digits = [0u8; 64];
        let mut at = 0;
        while let (Some(&[a, b, c, d]), Some(out)) =
            (chunk.get(at..at + 4), digits.get_mut(2 * at..2 * at + 8))
        {
            out.copy_from_slice(&hex8(u32::from_be_bytes([a, b, c, d])).to_be_bytes());
            at += 4;
        }
        for (i, &b) in chunk.iter().enumerate().skip(at) {
            if let Some(pair) = digits.get_mut(2 * i..2 * i + 2) {
                pair[0] = DIGITS[usize::from(b >> 4)];
                pair[1] = DIGITS[usize::from(b & 0x0f)];
            }
        }
        // Only ASCII digits were written, so this cannot fail.
        let written = digits.get(..2 * chunk.len()).unwrap_or_default();
        out.push_str(std::str::from_utf8(written).unwrap_or_default());
    }
}

/// The eight lower-case hex digits of `word`, most significant first, as
/// the bytes of a big-endian `u64`: each byte of `word` spread into a
/// 16-bit lane, its two nibbles into the lane's two bytes, and each nibble
/// made a digit by adding `'0'`, and `'a' - '0' - 10` more when it is over 9
/// (found by adding 6 and looking at bit 4). No lane carries into the next.
fn hex8(word: u32) -> u64 {
    const LOW_NIBBLES: u64 = 0x000F_000F_000F_000F;
    const HIGH_NIBBLES: u64 = 0x0F00_0F00_0F00_0F00;
    const BYTES: u64 = 0x0101_0101_0101_0101;
    let x = u64::from(word);
    let x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    let x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    let nibbles = ((x << 4) & HIGH_NIBBLES) | (x & LOW_NIBBLES);
    let over_nine = ((nibbles + 6 * BYTES) >> 4) & BYTES;
    nibbles + u64::from(b'0') * BYTES + over_nine * u64::from(b'a' - b'0' - 10)
}

/// What signing a request gives, stage by stage, so that each stage can be
/// checked against the published vectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// Stage 1: the canonical request.
    pub canonical_request: String,
    /// Stage 2: the string to sign.
    pub string_to_sign: String,
    /// The credential scope, `date/region/service/aws4_request`.
    pub scope: String,
    /// The signed header list, `host;x-amz-date;...`.
    pub signed_headers: String,
    /// Stage 3: the hex signature.
    pub signature: String,
}

impl Signed {
    /// The `Authorization` header value, formatted as the SDKs send it
    /// (`, ` between the parts; S3 accepts `,` as well).
    pub fn authorization(&self, access_key: &str) -> String {
        authorization_value(access_key, &self.scope, &self.signed_headers, |out| {
            out.push_str(&self.signature);
        })
    }
}

/// The `Authorization` header value, the signature's hex written by
/// `signature`.
fn authorization_value(
    access_key: &str,
    scope: &str,
    signed_headers: &str,
    signature: impl FnOnce(&mut String),
) -> String {
    let mut out = String::with_capacity(
        ALGORITHM.len() + access_key.len() + scope.len() + signed_headers.len() + 64 + 42,
    );
    out.push_str(ALGORITHM);
    out.push_str(" Credential=");
    out.push_str(access_key);
    out.push('/');
    out.push_str(scope);
    out.push_str(", SignedHeaders=");
    out.push_str(signed_headers);
    out.push_str(", Signature=");
    signature(&mut out);
    out
}

/// Signs `request` in place with an `Authorization` header. Adds `host`,
/// `x-amz-date`, `x-amz-content-sha256` and, with a session token,
/// `x-amz-security-token`; every header of the request is signed.
///
/// The payload hash is the SHA-256 of the body, unless the request already
/// carries an `x-amz-content-sha256` header (such as `UNSIGNED-PAYLOAD`):
/// then that value is signed as the payload hash.
pub fn sign(request: &mut HttpRequest, ctx: &SigningContext<'_>) {
    sign_with_key(request, ctx, &key::SigningKey::for_context(ctx));
}

/// [`sign`] with a signing key already derived for `ctx` (see
/// [`key::SigningKeyCache`]), which saves four HMACs per request.
pub fn sign_with_key(request: &mut HttpRequest, ctx: &SigningContext<'_>, signing_key: &key::SigningKey) {
    let payload_hash = payload_hash(&request.headers, &request.body).into_owned();
    sign_with_payload_hash(request, ctx, signing_key, payload_hash);
}

/// The payload hash [`sign`] signs for a request with these headers and
/// body: the `x-amz-content-sha256` header's value when there is one (such
/// as `UNSIGNED-PAYLOAD`), else the body's SHA-256. Only a body's own hash
/// is computed; the others are borrowed.
pub fn payload_hash<'a>(headers: &'a [(String, String)], body: &[u8]) -> Cow<'a, str> {
    payload_hash_by(headers, body, sha256)
}

/// [`payload_hash`], the body's SHA-256 (when it is needed) computed by
/// `sha256`: by a host that hashes natively, say.
pub fn payload_hash_by<'a>(
    headers: &'a [(String, String)],
    body: &[u8],
    sha256: impl FnOnce(&[u8]) -> [u8; 32],
) -> Cow<'a, str> {
    match crate::http::find_header(headers, "x-amz-content-sha256") {
        Some(given) => Cow::Borrowed(given.trim()),
        None if body.is_empty() => Cow::Borrowed(EMPTY_SHA256),
        None => Cow::Owned(hex(&sha256(body))),
    }
}

/// [`sign_with_key`] with the payload hash already worked out by
/// [`payload_hash`], given as the header value it becomes, so that a
/// request sent more than once (a retry, a region redirect) hashes its body
/// once.
pub fn sign_with_payload_hash(
    request: &mut HttpRequest,
    ctx: &SigningContext<'_>,
    signing_key: &key::SigningKey,
    payload_hash: String,
) {
    // The date is formatted once, and it and the payload hash are signed as
    // the headers hold them.
    let date_at = set_signing_headers(
        request,
        ctx,
        Some(payload_hash),
        string_to_sign::amz_date(ctx.time),
    );
    let value = |at: usize| request.headers.get(at).map_or("", |(_, value)| value.as_str());
    let authorization = authorization(request, ctx, signing_key, value(date_at + 1), value(date_at));
    request.headers.push(("authorization".to_owned(), authorization));
}

/// Stages 1 to 3 of header signing, for [`sign_with_key`]: the
/// `Authorization` value of `request`, with as few strings as the stages
/// allow (the canonical request's buffer holds the string to sign next,
/// and the signature is written into the value as hex). The stages
/// themselves are [`header_signature`]'s.
fn authorization(
    request: &HttpRequest,
    ctx: &SigningContext<'_>,
    signing_key: &key::SigningKey,
    payload_hash: &str,
    amz_date: &str,
) -> String {
    let headers = canonical::CanonicalHeaders::new(&request.headers);
    let mut text = canonical_request_of(request, &headers, payload_hash);
    let scope = string_to_sign::into_string_to_sign(&mut text, amz_date, ctx.region, ctx.service);
    let signature = signing_key.signature_bytes(&text);
    authorization_value(
        &ctx.credentials.access_key,
        text.get(scope).unwrap_or_default(),
        headers.signed_headers(),
        |out| push_hex(out, &signature),
    )
}

/// Stage 0 of header signing: sets `host` (from `request.host`),
/// `x-amz-date`, `x-amz-content-sha256` when `content_sha256` is given, and
/// `x-amz-security-token` when the credentials have a session token; removes
/// any `authorization` left from an earlier signature.
///
/// [`sign`] always passes the payload hash; the generic SigV4 test suite,
/// which does not know S3's `x-amz-content-sha256`, passes `None`.
pub fn add_signing_headers(
    request: &mut HttpRequest,
    ctx: &SigningContext<'_>,
    content_sha256: Option<&str>,
) {
    set_signing_headers(
        request,
        ctx,
        content_sha256.map(str::to_owned),
        string_to_sign::amz_date(ctx.time),
    );
}

/// [`add_signing_headers`] with `x-amz-date` already formatted. The
/// headers it sets, and any `Authorization`, are taken out in one pass, and
/// room is made for them and the `Authorization` to come in one step.
/// Returns where `x-amz-date` is among the headers; `x-amz-content-sha256`,
/// when given, is the one after it.
fn set_signing_headers(
    request: &mut HttpRequest,
    ctx: &SigningContext<'_>,
    content_sha256: Option<String>,
    amz_date: String,
) -> usize {
    let token = ctx.credentials.session_token.as_ref();
    request.headers.retain(|(n, _)| {
        !(n.eq_ignore_ascii_case("authorization")
            || n.eq_ignore_ascii_case("host")
            || n.eq_ignore_ascii_case("x-amz-date")
            || (content_sha256.is_some() && n.eq_ignore_ascii_case("x-amz-content-sha256"))
            || (token.is_some() && n.eq_ignore_ascii_case("x-amz-security-token")))
    });
    request.headers.reserve(5);
    let host = request.host.clone();
    request.headers.push(("host".to_owned(), host));
    let date_at = request.headers.len();
    request.headers.push(("x-amz-date".to_owned(), amz_date));
    if let Some(hash) = content_sha256 {
        request.headers.push(("x-amz-content-sha256".to_owned(), hash));
    }
    if let Some(token) = token {
        // S3 wants the token signed (the suite's `post-sts-header-before`).
        request
            .headers
            .push(("x-amz-security-token".to_owned(), token.expose().to_owned()));
    }
    date_at
}

/// Stages 1 to 3 of header signing over the request exactly as it is: its
/// method, encoded path, query and every header it carries (nothing is
/// added), with `payload_hash` as the last line of the canonical request.
pub fn header_signature(
    request: &HttpRequest,
    ctx: &SigningContext<'_>,
    signing_key: &key::SigningKey,
    payload_hash: &str,
) -> Signed {
    header_signature_at(
        request,
        ctx,
        signing_key,
        payload_hash,
        &string_to_sign::amz_date(ctx.time),
    )
}

/// Stage 1 over the request as it is: its method, encoded path and query,
/// `headers` (its own, canonicalised) and `payload_hash`.
fn canonical_request_of(
    request: &HttpRequest,
    headers: &canonical::CanonicalHeaders<'_>,
    payload_hash: &str,
) -> String {
    canonical::canonical_request(
        request.method.as_str(),
        &request.path,
        &request.canonical_query(),
        headers,
        payload_hash,
    )
}

/// [`header_signature`] with `ctx.time` already formatted as `amz_date`.
fn header_signature_at(
    request: &HttpRequest,
    ctx: &SigningContext<'_>,
    signing_key: &key::SigningKey,
    payload_hash: &str,
    amz_date: &str,
) -> Signed {
    let headers = canonical::CanonicalHeaders::new(&request.headers);
    let canonical_request = canonical_request_of(request, &headers, payload_hash);
    let scope = string_to_sign::scope_at(amz_date, ctx.region, ctx.service);
    let string_to_sign = string_to_sign::string_to_sign_at(amz_date, &scope, &canonical_request);
    let signature = signing_key.sign(&string_to_sign);
    Signed {
        canonical_request,
        string_to_sign,
        scope,
        signed_headers: headers.into_signed_headers(),
        signature,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::http::Method;
    use time::macros::datetime;

    fn request(host: &str, path: &str) -> HttpRequest {
        HttpRequest {
            method: Method::Put,
            scheme: "https",
            host: host.to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
            body: b"hello".to_vec().into(),
        }
    }

    fn credentials(token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            token,
        )
    }

    fn ctx<'a>(credentials: &'a Credentials, region: &'a str) -> SigningContext<'a> {
        SigningContext {
            credentials,
            region,
            service: "s3",
            time: datetime!(2013-05-24 00:00:00 UTC),
        }
    }

    fn count(request: &HttpRequest, name: &str) -> usize {
        request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    #[test]
    fn sha256_of_nothing_is_the_empty_constant() {
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
        assert_eq!(hex(&Sha256::digest(b"")), EMPTY_SHA256);
    }

    #[test]
    fn payload_hash_is_the_header_given_else_the_bodys_own() {
        let given = vec![("X-Amz-Content-Sha256".to_owned(), " UNSIGNED-PAYLOAD ".to_owned())];
        let hash = payload_hash(&given, b"body");
        assert!(matches!(hash, Cow::Borrowed("UNSIGNED-PAYLOAD")), "{hash:?}");
        let none = Vec::new();
        assert!(matches!(payload_hash(&none, b""), Cow::Borrowed(EMPTY_SHA256)));
        assert_eq!(payload_hash(&none, b"body"), sha256_hex(b"body"));
    }

    #[test]
    fn hex_writes_every_byte_at_every_position_as_a_byte_loop_would() {
        fn byte_loop(bytes: &[u8]) -> String {
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
        // Every byte value, at each position of a four-byte word and in the
        // tail, for lengths around the word size.
        // Past 32 bytes too: digits are written a digest's length at a time.
        for len in (0..=13).chain([31, 32, 33, 64, 65]) {
            for value in 0..=u8::MAX {
                for at in 0..len {
                    let mut bytes: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(37)).collect();
                    bytes[at] = value;
                    assert_eq!(hex(&bytes), byte_loop(&bytes), "{bytes:?}");
                }
            }
        }
        let digest = Sha256::digest(b"abc");
        assert_eq!(hex(&digest), byte_loop(&digest));
    }

    #[test]
    fn sign_adds_host_date_payload_hash_and_authorization() {
        let creds = credentials(None);
        let mut req = request("examplebucket.s3.amazonaws.com", "/k");
        sign(&mut req, &ctx(&creds, "us-east-1"));
        assert_eq!(req.header("host"), Some("examplebucket.s3.amazonaws.com"));
        assert_eq!(req.header("x-amz-date"), Some("20130524T000000Z"));
        assert_eq!(
            req.header("x-amz-content-sha256"),
            Some(sha256_hex(b"hello").as_str())
        );
        assert!(req.header("x-amz-security-token").is_none());
        let authz = req.header("authorization").unwrap();
        assert!(authz.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature="
        ));
    }

    #[test]
    fn re_signing_replaces_the_previous_signature() {
        // A request re-signed for another region (after a redirect) must not
        // carry, nor sign, the first Authorization.
        let creds = credentials(Some("TOKEN"));
        let mut req = request("b.s3.amazonaws.com", "/k");
        sign(&mut req, &ctx(&creds, "us-east-1"));
        let mut again = req.clone();
        sign(&mut again, &ctx(&creds, "eu-west-1"));
        let mut fresh = request("b.s3.amazonaws.com", "/k");
        sign(&mut fresh, &ctx(&creds, "eu-west-1"));
        for name in [
            "authorization",
            "host",
            "x-amz-date",
            "x-amz-content-sha256",
            "x-amz-security-token",
        ] {
            assert_eq!(count(&again, name), 1, "{name}");
        }
        assert_eq!(again.header("authorization"), fresh.header("authorization"));
        assert!(!again.header("authorization").unwrap().contains("authorization"));
    }

    #[test]
    fn a_given_payload_hash_is_signed_instead_of_the_body_hash() {
        let creds = credentials(None);
        let mut req = request("b.s3.amazonaws.com", "/k");
        req.headers
            .push(("X-Amz-Content-Sha256".to_owned(), UNSIGNED_PAYLOAD.to_owned()));
        let c = ctx(&creds, "us-east-1");
        sign(&mut req, &c);
        assert_eq!(count(&req, "x-amz-content-sha256"), 1);
        assert_eq!(req.header("x-amz-content-sha256"), Some(UNSIGNED_PAYLOAD));
        let mut unsigned = req.clone();
        unsigned.headers.retain(|(n, _)| n != "authorization");
        let key = key::SigningKey::for_context(&c);
        let staged = header_signature(&unsigned, &c, &key, UNSIGNED_PAYLOAD);
        assert!(staged.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
        assert_eq!(
            req.header("authorization"),
            Some(staged.authorization(&creds.access_key).as_str())
        );
    }

    #[test]
    fn host_with_port_is_signed_with_its_port() {
        let creds = credentials(None);
        let mut req = request("127.0.0.1:9000", "/bucket/k");
        let c = ctx(&creds, "us-east-1");
        sign(&mut req, &c);
        assert_eq!(req.header("host"), Some("127.0.0.1:9000"));
        let mut unsigned = req.clone();
        unsigned.headers.retain(|(n, _)| n != "authorization");
        let key = key::SigningKey::for_context(&c);
        let staged = header_signature(&unsigned, &c, &key, &sha256_hex(b"hello"));
        assert!(staged.canonical_request.contains("\nhost:127.0.0.1:9000\n"));
    }

    #[test]
    fn sign_with_a_cached_key_is_sign() {
        let creds = credentials(Some("TOKEN"));
        let c = ctx(&creds, "ap-southeast-2");
        let mut cache = key::SigningKeyCache::new();
        let mut plain = request("b.s3.amazonaws.com", "/k");
        sign(&mut plain, &c);
        for _ in 0..2 {
            let mut cached = request("b.s3.amazonaws.com", "/k");
            sign_with_key(&mut cached, &c, cache.key(&c));
            assert_eq!(cached, plain);
        }
    }

    #[test]
    fn extreme_times_and_empty_parts_do_not_panic() {
        let creds = credentials(None);
        for time in [
            datetime!(9999-12-31 23:59:59 -01:00),
            datetime!(-9999-01-01 00:00:00 +01:00),
        ] {
            let c = SigningContext {
                credentials: &creds,
                region: "",
                service: "",
                time,
            };
            let mut req = request("", "");
            sign(&mut req, &c);
            assert!(req.header("authorization").is_some());
        }
    }
}
