//! Presigned URLs (query-string authentication).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>

use super::canonical::{canonical_request, CanonicalHeaders};
use super::encoding::canonical_query_from;
use super::key::{self, SigningKey};
use super::{string_to_sign, SigningContext, ALGORITHM, UNSIGNED_PAYLOAD};
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
    let signing_key = key::SigningKey::for_context(ctx);
    presign(request, ctx, &signing_key, expires_seconds, UNSIGNED_PAYLOAD).url
}

/// [`presign_url`] with a signing key already derived for `ctx` (see
/// [`key::SigningKeyCache`]), which saves four HMACs per URL.
pub fn presign_url_with_key(
    request: &HttpRequest,
    ctx: &SigningContext<'_>,
    signing_key: &SigningKey,
    expires_seconds: u32,
) -> String {
    presign(request, ctx, signing_key, expires_seconds, UNSIGNED_PAYLOAD).url
}

/// Query-string signing in stages, with a signing key already derived for
/// `ctx` and the payload hash to sign: [`UNSIGNED_PAYLOAD`] for S3 presigned
/// URLs, the body's hash for the generic test suite.
pub fn presign(
    request: &HttpRequest,
    ctx: &SigningContext<'_>,
    signing_key: &SigningKey,
    expires_seconds: u32,
    payload_hash: &str,
) -> Presigned {
    let amz_date = string_to_sign::amz_date(ctx.time);
    let scope = string_to_sign::scope_at(&amz_date, ctx.region, ctx.service);
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
        ("X-Amz-SignedHeaders", signed_headers),
    ];
    let canonical_query = canonical_query_from(own_query.chain(auth).chain(token));

    let canonical_request = canonical_request(
        request.method.as_str(),
        &request.path,
        &canonical_query,
        &headers,
        payload_hash,
    );
    let string_to_sign = string_to_sign::string_to_sign_at(&amz_date, &scope, &canonical_request);
    let signature = signing_key.sign(&string_to_sign);

    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path.as_str()
    };
    let mut url = String::with_capacity(
        request.scheme.len() + request.host.len() + path.len() + canonical_query.len() + 100,
    );
    url.push_str(request.scheme);
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
        signed_headers: headers.into_signed_headers(),
        signature,
        url,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::connection::Credentials;
    use crate::http::Method;
    use crate::sigv4::EMPTY_SHA256;
    use time::macros::datetime;

    fn get(path: &str) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            scheme: "https",
            host: "examplebucket.s3.amazonaws.com".to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Default::default(),
        }
    }

    fn credentials(token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            token,
        )
    }

    fn ctx(credentials: &Credentials) -> SigningContext<'_> {
        SigningContext {
            credentials,
            region: "us-east-1",
            service: "s3",
            time: datetime!(2013-05-24 00:00:00 UTC),
        }
    }

    fn params(url: &str) -> Vec<&str> {
        url.split_once('?')
            .map(|(_, q)| q.split('&').collect())
            .unwrap_or_default()
    }

    #[test]
    fn signature_is_the_last_parameter() {
        let creds = credentials(Some("TOKEN/+="));
        let url = presign_url(&get("/k"), &ctx(&creds), 60);
        let all = params(&url);
        assert!(all.last().unwrap().starts_with("X-Amz-Signature="), "{url}");
        assert_eq!(
            all.iter().filter(|p| p.starts_with("X-Amz-Signature=")).count(),
            1
        );
        assert!(all.contains(&"X-Amz-Security-Token=TOKEN%2F%2B%3D"), "{url}");
        assert!(all.contains(&"X-Amz-Expires=60"), "{url}");
    }

    #[test]
    fn the_request_parameters_are_kept_and_signed() {
        let creds = credentials(None);
        let mut req = get("/k");
        req.query.push((
            "response-content-type".to_owned(),
            "text/plain; charset=utf-8".to_owned(),
        ));
        req.query.push(("versionId".to_owned(), "v+1".to_owned()));
        let c = ctx(&creds);
        let p = presign(&req, &c, &SigningKey::from_bytes(&[7; 32]), 60, UNSIGNED_PAYLOAD);
        let expected = "response-content-type=text%2Fplain%3B%20charset%3Dutf-8";
        assert!(p.canonical_query.contains(expected), "{}", p.canonical_query);
        assert!(
            p.canonical_query.ends_with("&versionId=v%2B1"),
            "{}",
            p.canonical_query
        );
        assert!(p.canonical_request.contains(&p.canonical_query));
        assert!(p.url.contains(expected));
        // Without them, the signature changes: they are signed.
        let bare = presign(
            &get("/k"),
            &c,
            &SigningKey::from_bytes(&[7; 32]),
            60,
            UNSIGNED_PAYLOAD,
        );
        assert_ne!(bare.signature, p.signature);
    }

    #[test]
    fn the_request_headers_are_signed_with_host() {
        let creds = credentials(None);
        let mut req = get("/k");
        req.headers.push(("Range".to_owned(), "bytes=0-9".to_owned()));
        req.headers.push(("Host".to_owned(), "evil.example".to_owned()));
        req.headers.push(("authorization".to_owned(), "stale".to_owned()));
        let p = presign(
            &req,
            &ctx(&creds),
            &SigningKey::from_bytes(&[7; 32]),
            60,
            UNSIGNED_PAYLOAD,
        );
        assert_eq!(p.signed_headers, "host;range");
        assert!(p.canonical_query.contains("X-Amz-SignedHeaders=host%3Brange"));
        assert!(p
            .canonical_request
            .contains("\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\n"));
        assert!(p.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
    }

    #[test]
    fn authentication_parameters_in_the_request_are_replaced() {
        let creds = credentials(None);
        let mut req = get("/k");
        for name in ["X-Amz-Signature", "x-amz-expires", "X-Amz-Credential"] {
            req.query.push((name.to_owned(), "old".to_owned()));
        }
        let url = presign_url(&req, &ctx(&creds), 60);
        assert!(!url.contains("old"), "{url}");
        assert_eq!(
            params(&url)
                .iter()
                .filter(|p| p.to_ascii_lowercase().starts_with("x-amz-expires="))
                .count(),
            1
        );
    }

    #[test]
    fn presign_url_signs_unsigned_payload() {
        let creds = credentials(None);
        let c = ctx(&creds);
        let key = SigningKey::for_context(&c);
        let staged = presign(&get("/k"), &c, &key, 300, UNSIGNED_PAYLOAD);
        assert_eq!(presign_url(&get("/k"), &c, 300), staged.url);
        assert_eq!(presign_url_with_key(&get("/k"), &c, &key, 300), staged.url);
        assert_ne!(
            presign(&get("/k"), &c, &key, 300, EMPTY_SHA256).signature,
            staged.signature
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        let creds = credentials(Some(""));
        let mut c = ctx(&creds);
        c.time = datetime!(9999-12-31 23:59:59 -01:00);
        c.region = "";
        for expires in [0, 1, 604_800, u32::MAX] {
            let mut req = get("");
            req.host = String::new();
            req.query.push((String::new(), String::new()));
            req.headers.push(("x-odd".to_owned(), "\u{3000}\t\n".to_owned()));
            let url = presign_url(&req, &c, expires);
            assert!(url.starts_with("https:///?"), "{url}");
            assert!(url.contains(&format!("X-Amz-Expires={expires}")));
        }
    }
}
