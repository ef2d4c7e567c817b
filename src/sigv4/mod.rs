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

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    if data.is_empty() {
        return EMPTY_SHA256.to_owned();
    }
    hex(&Sha256::digest(data))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
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
        let mut out = String::with_capacity(
            ALGORITHM.len()
                + access_key.len()
                + self.scope.len()
                + self.signed_headers.len()
                + self.signature.len()
                + 42,
        );
        out.push_str(ALGORITHM);
        out.push_str(" Credential=");
        out.push_str(access_key);
        out.push('/');
        out.push_str(&self.scope);
        out.push_str(", SignedHeaders=");
        out.push_str(&self.signed_headers);
        out.push_str(", Signature=");
        out.push_str(&self.signature);
        out
    }
}

/// Signs `request` in place with an `Authorization` header. Adds `host`,
/// `x-amz-date`, `x-amz-content-sha256` and, with a session token,
/// `x-amz-security-token`; every header of the request is signed.
///
/// The payload hash is the SHA-256 of the body, unless the request already
/// carries an `x-amz-content-sha256` header (such as `UNSIGNED-PAYLOAD`):
/// then that value is signed as the payload hash.
pub fn sign(request: &mut HttpRequest, ctx: &SigningContext<'_>) {
    let signing_key = key::signing_key(
        ctx.credentials.secret_key.expose(),
        ctx.time,
        ctx.region,
        ctx.service,
    );
    sign_with_key(request, ctx, &signing_key);
}

/// [`sign`] with a signing key already derived for `ctx` (see
/// [`key::SigningKeyCache`]), which saves four HMACs per request.
pub fn sign_with_key(request: &mut HttpRequest, ctx: &SigningContext<'_>, signing_key: &[u8; 32]) {
    let payload_hash = match request.header("x-amz-content-sha256") {
        Some(given) => given.trim().to_owned(),
        None => sha256_hex(&request.body),
    };
    add_signing_headers(request, ctx, Some(&payload_hash));
    let signed = header_signature(request, ctx, signing_key, &payload_hash);
    let authorization = signed.authorization(&ctx.credentials.access_key);
    request.headers.push(("authorization".to_owned(), authorization));
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
    request
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    let host = request.host.clone();
    set_header(request, "host", host);
    set_header(request, "x-amz-date", string_to_sign::amz_date(ctx.time));
    if let Some(hash) = content_sha256 {
        set_header(request, "x-amz-content-sha256", hash.to_owned());
    }
    if let Some(token) = &ctx.credentials.session_token {
        // S3 wants the token signed (the suite's `post-sts-header-before`).
        set_header(request, "x-amz-security-token", token.expose().to_owned());
    }
}

/// Stages 1 to 3 of header signing over the request exactly as it is: its
/// method, encoded path, query and every header it carries (nothing is
/// added), with `payload_hash` as the last line of the canonical request.
pub fn header_signature(
    request: &HttpRequest,
    ctx: &SigningContext<'_>,
    signing_key: &[u8; 32],
    payload_hash: &str,
) -> Signed {
    let headers = canonical::CanonicalHeaders::new(&request.headers);
    let canonical_request = canonical::canonical_request(
        request.method.as_str(),
        &request.path,
        &request.canonical_query(),
        &headers,
        payload_hash,
    );
    let scope = string_to_sign::scope(ctx.time, ctx.region, ctx.service);
    let string_to_sign = string_to_sign::string_to_sign(ctx.time, &scope, &canonical_request);
    let signature = key::signature(signing_key, &string_to_sign);
    Signed {
        canonical_request,
        string_to_sign,
        scope,
        signed_headers: headers.signed_headers(),
        signature,
    }
}

/// Replaces (or adds) a header, matching its name case-insensitively.
fn set_header(request: &mut HttpRequest, name: &str, value: String) {
    request.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    request.headers.push((name.to_owned(), value));
}
