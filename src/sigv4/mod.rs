//! AWS Signature Version 4, as S3 uses it, split by stage: [`canonical`]
//! request, [`string_to_sign`], signing [`key`], and [`presign`]ed URLs.
//!
//! Time is always an argument: nothing here reads a clock.

pub mod canonical;
pub mod encoding;
pub mod key;
pub mod presign;
pub mod string_to_sign;

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

/// Signs `request` in place with an `Authorization` header. Adds `host`,
/// `x-amz-date`, `x-amz-content-sha256` and, with a session token,
/// `x-amz-security-token`; every header of the request is signed.
pub fn sign(request: &mut HttpRequest, ctx: &SigningContext<'_>) {
    let payload_hash = sha256_hex(&request.body);
    let amz_date = string_to_sign::amz_date(ctx.time);
    set_header(request, "host", request.host.clone());
    set_header(request, "x-amz-date", amz_date);
    set_header(request, "x-amz-content-sha256", payload_hash.clone());
    if let Some(token) = &ctx.credentials.session_token {
        set_header(request, "x-amz-security-token", token.expose().to_owned());
    }
    let headers = canonical::CanonicalHeaders::new(&request.headers);
    let creq = canonical::canonical_request(
        request.method.as_str(),
        &request.path,
        &request.canonical_query(),
        &headers,
        &payload_hash,
    );
    let scope = string_to_sign::scope(ctx.time, ctx.region, ctx.service);
    let sts = string_to_sign::string_to_sign(ctx.time, &scope, &creq);
    let signing_key = key::signing_key(ctx.credentials.secret_key.expose(), ctx.time, ctx.region, ctx.service);
    let signature = key::signature(&signing_key, &sts);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        ctx.credentials.access_key,
        headers.signed_headers()
    );
    request.headers.push(("authorization".to_owned(), authorization));
}

/// Replaces (or adds) a header, matching its name case-insensitively.
fn set_header(request: &mut HttpRequest, name: &str, value: String) {
    request.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    request.headers.push((name.to_owned(), value));
}
