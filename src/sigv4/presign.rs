//! Presigned URLs (query-string authentication).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>

use super::canonical::{canonical_request, CanonicalHeaders};
use super::encoding::canonical_query_from;
use super::{key, string_to_sign, SigningContext, ALGORITHM, UNSIGNED_PAYLOAD};
use crate::http::HttpRequest;

/// The query parameters query-string authentication adds. A request's own
/// parameters of these names (in any case) are dropped, so that a URL never
/// carries two.
const AUTH_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// What presigning gives, stage by stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presigned {
    /// The canonical query string (the request's parameters and the
    /// authentication parameters but `X-Amz-Signature`).
    pub canonical_query: String,
    /// Stage 1: the canonical request.
    pub canonical_request: String,
    /// Stage 2: the string to sign.
    pub string_to_sign: String,
    /// The signed header list (`host`, then the request's headers).
    pub signed_headers: String,
    /// Stage 3: the hex signature.
    pub signature: String,
    /// The presigned URL: `scheme://host/path?<canonical query>&X-Amz-Signature=...`.
    pub url: String,
}

/// A presigned URL for `request` valid `expires_seconds` from `ctx.time`.
/// Signs `host` and every header in `request.headers` (the fetcher must
/// send those headers); the payload is `UNSIGNED-PAYLOAD`; a session token
/// goes in `X-Amz-Security-Token`, signed. The request's own query
/// parameters (`response-content-type`, `versionId`, ...) are signed too.
///
/// Nothing is validated here (S3 accepts 1 to 604800 seconds; callers check).
pub fn presign_url(request: &HttpRequest, ctx: &SigningContext<'_>, expires_seconds: u32) -> String {
    let signing_key = key::signing_key(
        ctx.credentials.secret_key.expose(),
        ctx.time,
        ctx.region,
        ctx.service,
    );
    presign(request, ctx, &signing_key, expires_seconds, UNSIGNED_PAYLOAD).url
}

/// Query-string signing in stages, with a signing key already derived for
/// `ctx` and the payload hash to sign: [`UNSIGNED_PAYLOAD`] for S3 presigned
/// URLs, the body's hash for the generic test suite.
pub fn presign(
    request: &HttpRequest,
    ctx: &SigningContext<'_>,
    signing_key: &[u8; 32],
    expires_seconds: u32,
    payload_hash: &str,
) -> Presigned {
    let amz_date = string_to_sign::amz_date(ctx.time);
    let scope = string_to_sign::scope(ctx.time, ctx.region, ctx.service);
    let credential = format!("{}/{scope}", ctx.credentials.access_key);
    let expires = expires_seconds.to_string();

    // `host` comes from the request's authority; a `host` or
    // `authorization` among its headers would be a second, conflicting one.
    let own_headers = request.headers.iter().filter(|(name, _)| {
        !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("authorization")
    });
    let headers = CanonicalHeaders::from_pairs(
        std::iter::once(("host", request.host.as_str()))
            .chain(own_headers.map(|(n, v)| (n.as_str(), v.as_str()))),
    );
    let signed_headers = headers.signed_headers();

    let own_query = request
        .query
        .iter()
        .filter(|(name, _)| !AUTH_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name)))
        .map(|(n, v)| (n.as_str(), v.as_str()));
    let token = ctx
        .credentials
        .session_token
        .as_ref()
        .map(|t| ("X-Amz-Security-Token", t.expose()));
    let auth = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", credential.as_str()),
        ("X-Amz-Date", amz_date.as_str()),
        ("X-Amz-Expires", expires.as_str()),
        ("X-Amz-SignedHeaders", signed_headers.as_str()),
    ];
    let canonical_query = canonical_query_from(own_query.chain(auth).chain(token));

    let canonical_request = canonical_request(
        request.method.as_str(),
        &request.path,
        &canonical_query,
        &headers,
        payload_hash,
    );
    let string_to_sign = string_to_sign::string_to_sign(ctx.time, &scope, &canonical_request);
    let signature = key::signature(signing_key, &string_to_sign);

    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path.as_str()
    };
    let mut url = String::with_capacity(
        request.scheme.len() + request.host.len() + path.len() + canonical_query.len() + 100,
    );
    url.push_str(&request.scheme);
    url.push_str("://");
    url.push_str(&request.host);
    url.push_str(path);
    url.push('?');
    url.push_str(&canonical_query);
    // Last, as the documentation shows it; it is not part of what is signed.
    url.push_str("&X-Amz-Signature=");
    url.push_str(&signature);

    Presigned {
        canonical_query,
        canonical_request,
        string_to_sign,
        signed_headers,
        signature,
        url,
    }
}
