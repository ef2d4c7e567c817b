//! Credentials, regions and endpoints: where a request goes and whom it is
//! signed as.

use crate::error::Error;
use crate::http::{HttpRequest, OpRequest};
use crate::sigv4::encoding::encode_path;

/// A secret string (secret access key, session token) whose `Debug` and
/// `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"****\"")
    }
}

/// AWS credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: Secret,
    /// Session token of temporary credentials.
    pub session_token: Option<Secret>,
    /// When temporary credentials expire, in Unix seconds, if known.
    pub expires_at: Option<u64>,
}

impl Credentials {
    /// Credentials from their parts as a user gave them: each must be
    /// printable text. A control character (a line break pasted with the
    /// key, say) is an `invalid-input` naming the field, never its value;
    /// sent on, it would split a header.
    pub fn parse(access_key: &str, secret_key: &str, session_token: Option<&str>) -> Result<Self, Error> {
        let fields = [
            ("access_key", Some(access_key)),
            ("secret_key", Some(secret_key)),
            ("session_token", session_token),
        ];
        for (field, value) in fields {
            if let Some(value) = value {
                no_control_characters(field, value)?;
            }
        }
        Ok(Self::new(access_key, secret_key, session_token))
    }

    /// Credentials from their parts, unchecked.
    pub fn new(access_key: &str, secret_key: &str, session_token: Option<&str>) -> Self {
        Credentials {
            access_key: access_key.to_owned(),
            secret_key: Secret::new(secret_key),
            session_token: session_token.map(Secret::new),
            expires_at: None,
        }
    }

    /// The same credentials, known to expire at `expires_at` (Unix seconds).
    pub fn expiring(self, expires_at: Option<u64>) -> Self {
        Credentials { expires_at, ..self }
    }

    /// How long something signed at `now` (Unix seconds) may claim to be
    /// valid when it asks for `seconds`: no longer than the credentials
    /// live. Credentials already expired are an `invalid-input`.
    pub fn validity(&self, now: u64, seconds: u32) -> Result<u32, Error> {
        match self.expires_at {
            Some(at) if at <= now => Err(Error::invalid_input(
                "credentials_expire",
                format!("the credentials expired at {at} (Unix time), before now ({now}); get new ones"),
            )),
            Some(at) => Ok(seconds.min(u32::try_from(at - now).unwrap_or(u32::MAX))),
            None => Ok(seconds),
        }
    }
}

/// The region setting of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Region {
    /// Find each bucket's region by itself (`auto`, or no region given).
    Auto,
    /// This region.
    Named(String),
}

impl Region {
    /// The region S3 calls "global": where List Buckets and first attempts go.
    pub const DEFAULT: &'static str = "us-east-1";

    /// Parses a region setting: empty or `auto` is [`Region::Auto`].
    pub fn parse(value: Option<&str>) -> Result<Self, Error> {
        let value = value.map(str::trim).unwrap_or("");
        if value.is_empty() || value.eq_ignore_ascii_case("auto") {
            return Ok(Region::Auto);
        }
        let valid = value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if !valid {
            return Err(Error::invalid_input(
                "region",
                format!("`{value}` is not a region name (like `eu-west-1`) or `auto`"),
            ));
        }
        Ok(Region::Named(value.to_owned()))
    }

    /// Whether `value`, as a server sent it (`x-amz-bucket-region`,
    /// `<Region>`), names a region. `auto` and an empty value are settings
    /// a user may give, never a place S3 can send a request: from a
    /// response they are no hint at all.
    pub fn is_region_name(value: &str) -> bool {
        matches!(Region::parse(Some(value)), Ok(Region::Named(name)) if name == value)
    }

    /// The region to try first.
    pub fn initial(&self) -> &str {
        match self {
            Region::Auto => Self::DEFAULT,
            Region::Named(name) => name,
        }
    }
}

/// Refuses a value holding a control character (CR, LF, NUL, ...), naming
/// the field and the character's position but not the value, which may be
/// a secret.
pub fn no_control_characters(field: &str, value: &str) -> Result<(), Error> {
    // Printable ASCII, the usual case, needs no decoding.
    if crate::ascii::is_printable(value.as_bytes()) {
        return Ok(());
    }
    match value.chars().position(char::is_control) {
        None => Ok(()),
        Some(at) => {
            let what = match value.chars().nth(at) {
                Some('\r') => "a carriage return (CR)",
                Some('\n') => "a line feed (LF)",
                Some('\t') => "a tab",
                _ => "a control character",
            };
            Err(Error::invalid_input(
                field,
                format!(
                    "holds {what} at character {}; it must be printable text (was a line break pasted with it?)",
                    at + 1
                ),
            ))
        }
    }
}

/// A custom (S3-compatible) endpoint: `scheme://host[:port][/base]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// Host name or IP literal (IPv6 in brackets).
    pub host: String,
    /// The port when not the scheme's default.
    pub port: Option<u16>,
    /// A base path without a trailing `/` (empty for none).
    pub base_path: String,
}

impl Endpoint {
    /// Parses an endpoint URL.
    pub fn parse(url: &str) -> Result<Self, Error> {
        // The URL as an error shows it, made only for an error.
        let given = url;
        let bad =
            |why: &str| Error::invalid_input("endpoint", format!("`{}` {why}", redact_user_info(given)));
        let url = url.trim();
        no_control_characters("endpoint", url)?;
        let (scheme, rest) = crate::ascii::find(url, "://")
            .map(|at| (&url[..at], &url[at + 3..]))
            .ok_or_else(|| bad("is not a URL: it needs http:// or https://"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => "http",
            "https" => "https",
            _ => return Err(bad("must use http or https")),
        };
        if rest.contains(['?', '#', '@']) {
            return Err(bad("must not have user info, a query or a fragment"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("has no valid host and port"))?;
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        // What the HTTP client would refuse later, as a transport error
        // naming no field, is refused here.
        for (part, text) in [("host", host), ("path", path)] {
            if let Some(c) = not_url_text(text) {
                let why = match (part, c) {
                    ("host", c) if !c.is_ascii() => {
                        ": give a name with letters other than a-z in its ASCII form (`xn--...`)"
                    }
                    ("host", _) => ", which a host name cannot hold",
                    (_, '%') => " that does not begin an escape of two hex digits (`%25` is a percent sign)",
                    _ => ", which a URL cannot carry as it is: percent-encode it (a space is `%20`)",
                };
                return Err(bad(&format!("has `{c}` in its {part}{why}")));
            }
        }
        let default_port = if scheme == "https" { 443 } else { 80 };
        Ok(Endpoint {
            scheme,
            host: host.to_ascii_lowercase(),
            port: port.filter(|p| *p != default_port),
            base_path: path.trim_end_matches('/').to_owned(),
        })
    }

    /// `host[:port]`, the port when it is not the scheme's default.
    fn authority(&self, host: &str) -> String {
        let mut out = String::with_capacity(host.len() + 6);
        out.push_str(host);
        if let Some(port) = self.port {
            out.push(':');
            // Five digits at most; `format!` costs some 2k instructions per
            // request in the guest.
            let mut digits = [0u8; 5];
            let mut at = digits.len();
            let mut rest = port;
            loop {
                at -= 1;
                digits[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 || at == 0 {
                    break;
                }
            }
            out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
        }
        out
    }
}

/// `parts` end to end, in a string allocated once. Addressing runs on every
/// request, where `format!` costs some 2k instructions a call in the guest.
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// The URL with any `user:password@` replaced by `****@`, so that an error
/// about a URL never repeats credentials pasted into it.
fn redact_user_info(url: &str) -> String {
    let start = crate::ascii::find(url, "://").map_or(0, |i| i + 3);
    // A pasted secret may hold `/`, so the authority cannot be trusted to end
    // at the first `/`: everything up to the last `@` is hidden.
    match url[start..].rfind('@') {
        Some(at) => format!("{}****{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &authority[..end + 2];
        let after = &rest[end + 1..];
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((authority, None)),
    }
}

/// The first character of `text` that a URL cannot carry as it is, if any:
/// RFC 3986 allows letters, digits, `-._~:/?#[]@!$&'()*+,;=` and a `%` that
/// begins an escape of two hex digits (a bad `%` is given as `%`).
fn not_url_text(text: &str) -> Option<char> {
    let bytes = text.as_bytes();
    let at = bytes.iter().enumerate().position(|(i, &b)| match b {
        b'%' => !matches!(
            (bytes.get(i + 1), bytes.get(i + 2)),
            (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit()
        ),
        _ => !(b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)),
    })?;
    text.get(at..).and_then(|rest| rest.chars().next())
}

/// Everything needed to reach S3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Whom to sign as.
    pub credentials: Credentials,
    /// The region setting.
    pub region: Region,
    /// A custom endpoint, or `None` for AWS.
    pub endpoint: Option<Endpoint>,
    /// Force path-style addressing.
    pub path_style: bool,
}

impl Connection {
    /// Addresses `request` for `region`: picks host and path (virtual-hosted
    /// or path style) and encodes the key once.
    pub fn address(&self, request: &OpRequest, region: &str) -> HttpRequest {
        let key_path = request.key.as_deref().map(encode_path).unwrap_or_default();
        let (scheme, host, path) = match &self.endpoint {
            Some(endpoint) => {
                let host = endpoint.authority(&endpoint.host);
                let bucket = request.bucket.as_deref().unwrap_or_default();
                let mut path =
                    String::with_capacity(endpoint.base_path.len() + bucket.len() + key_path.len() + 2);
                path.push_str(&endpoint.base_path);
                path.push('/');
                path.push_str(bucket);
                if request.bucket.is_some() && request.key.is_some() {
                    path.push('/');
                    path.push_str(&key_path);
                }
                (endpoint.scheme, host, path)
            }
            None => {
                let service_host = || concat(&["s3.", region, ".amazonaws.com"]);
                match &request.bucket {
                    Some(bucket) if !self.path_style && is_virtual_host_compatible(bucket) => (
                        "https",
                        concat(&[bucket, ".s3.", region, ".amazonaws.com"]),
                        concat(&["/", &key_path]),
                    ),
                    Some(bucket) if request.key.is_some() => {
                        ("https", service_host(), concat(&["/", bucket, "/", &key_path]))
                    }
                    Some(bucket) => ("https", service_host(), concat(&["/", bucket])),
                    None => ("https", service_host(), String::from("/")),
                }
            }
        };
        HttpRequest {
            method: request.method,
            scheme,
            host,
            path,
            query: request.query.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(), // shared, not copied
        }
    }
}

/// Whether a bucket can be a host name label under TLS: no dots (a dot
/// would break the `*.s3.amazonaws.com` certificate), lower case.
pub fn is_virtual_host_compatible(bucket: &str) -> bool {
    // A dot is neither of the bytes allowed, so the one scan finds it too.
    !bucket.is_empty()
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::http::Method;

    fn conn(endpoint: Option<&str>, path_style: bool) -> Connection {
        Connection {
            credentials: Credentials::new("AKID", "secret", None),
            region: Region::Auto,
            endpoint: endpoint.map(|e| Endpoint::parse(e).unwrap()),
            path_style,
        }
    }

    #[test]
    fn addressing_shares_the_body_instead_of_copying_it() {
        let mut op = OpRequest::new(Method::Put, Some("bucket"), Some("key"));
        op.body = vec![7u8; 4096].into();
        for region in ["us-east-1", "eu-west-1"] {
            let http = conn(None, false).address(&op, region);
            assert_eq!(http.body, op.body);
            assert!(
                std::ptr::eq(http.body.as_ptr(), op.body.as_ptr()),
                "the body was copied"
            );
        }
    }

    #[test]
    fn secret_is_masked_in_debug() {
        let creds = Credentials::new("AKID", "wJalrXUtnFEMI/K7MDENG", Some("TOKEN123"));
        let shown = format!("{creds:?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(!shown.contains("TOKEN123"), "{shown}");
    }

    #[test]
    fn auto_and_empty_region_are_auto() {
        assert_eq!(Region::parse(None).unwrap(), Region::Auto);
        assert_eq!(Region::parse(Some("auto")).unwrap(), Region::Auto);
        assert_eq!(Region::parse(Some("")).unwrap(), Region::Auto);
        assert_eq!(
            Region::parse(Some("eu-west-1")).unwrap(),
            Region::Named("eu-west-1".into())
        );
        assert!(Region::parse(Some("EU West")).is_err());
        for hint in ["auto", "AUTO", "", " ", " eu-west-1", "eu-west-1\n", "EU"] {
            assert!(
                !Region::is_region_name(hint),
                "{hint:?} is no region a server may name"
            );
        }
        assert!(Region::is_region_name("eu-west-1"));
    }

    #[test]
    fn aws_bucket_is_virtual_hosted() {
        let req = OpRequest::new(Method::Get, Some("my-bucket"), Some("a b/c"));
        let http = conn(None, false).address(&req, "eu-west-1");
        assert_eq!(http.url(), "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b/c");
    }

    #[test]
    fn dotted_bucket_is_path_style_on_aws() {
        let req = OpRequest::new(Method::Get, Some("my.bucket"), Some("k"));
        let http = conn(None, false).address(&req, "us-east-1");
        assert_eq!(http.url(), "https://s3.us-east-1.amazonaws.com/my.bucket/k");
    }

    #[test]
    fn custom_endpoint_is_path_style_with_base_path() {
        let req = OpRequest::new(Method::Get, Some("b"), Some("k"));
        let http = conn(Some("http://127.0.0.1:9000/base/"), false).address(&req, "us-east-1");
        assert_eq!(http.url(), "http://127.0.0.1:9000/base/b/k");
        assert_eq!(http.host, "127.0.0.1:9000");
    }

    #[test]
    fn every_port_is_written_in_decimal() {
        for port in [0u16, 1, 9, 10, 99, 100, 443, 8080, 9000, 10000, 65535] {
            let url = format!("https://h:{port}");
            let endpoint = Endpoint::parse(&url).unwrap();
            let expected = if port == 443 {
                "h".to_owned()
            } else {
                format!("h:{port}")
            };
            assert_eq!(endpoint.authority("h"), expected, "{url}");
        }
    }

    #[test]
    fn default_port_is_dropped_from_host() {
        let e = Endpoint::parse("https://minio.example.com:443").unwrap();
        assert_eq!(e.port, None);
    }

    #[test]
    fn endpoint_a_url_cannot_carry_is_refused_naming_the_character() {
        let cases = [
            ("http://bad host:9000", "has ` ` in its host"),
            (
                "http://h\u{e9}.example.com",
                "has `\u{e9}` in its host: give a name with letters other than a-z in its ASCII form",
            ),
            ("http://h<x>:9000", "has `<` in its host"),
            (
                "http://127.0.0.1:9000/my base",
                "has ` ` in its path, which a URL cannot carry as it is: percent-encode it",
            ),
            ("http://127.0.0.1:9000/caf\u{e9}", "has `\u{e9}` in its path"),
            ("http://127.0.0.1:9000/a\"b", "has `\"` in its path"),
            (
                "http://127.0.0.1:9000/100%",
                "has `%` in its path that does not begin an escape",
            ),
            (
                "http://127.0.0.1:9000/a%zz",
                "has `%` in its path that does not begin an escape",
            ),
        ];
        for (url, expected) in cases {
            let error = Endpoint::parse(url).unwrap_err();
            assert!(
                matches!(error.kind(), crate::error::ErrorKind::InvalidInput { field, .. } if *field == "endpoint"),
                "{url}: {error}"
            );
            assert!(error.to_string().contains(expected), "{url}: {error}");
        }
        for url in [
            "http://127.0.0.1:9000/my%20base/",
            "https://s3.example.com/a-b_c.d~e/f:g!$&'()*+,;=",
            "http://[::1]:9000",
            "http://minio_1:9000",
        ] {
            assert!(Endpoint::parse(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn endpoint_without_scheme_is_refused() {
        assert!(Endpoint::parse("minio:9000").is_err());
        assert!(Endpoint::parse("ftp://x").is_err());
    }

    #[test]
    fn list_buckets_goes_to_service_root() {
        let req = OpRequest::new(Method::Get, None, None);
        assert_eq!(
            conn(None, false).address(&req, "us-east-1").url(),
            "https://s3.us-east-1.amazonaws.com/"
        );
    }

    #[test]
    fn bucket_without_key_has_no_trailing_slash() {
        let req = OpRequest::new(Method::Get, Some("b"), None).with_query("list-type", "2");
        assert_eq!(
            conn(Some("http://localhost:9000"), false)
                .address(&req, "us-east-1")
                .url(),
            "http://localhost:9000/b?list-type=2"
        );
    }

    #[test]
    fn control_characters_in_credentials_or_endpoint_are_invalid_input_naming_the_field() {
        let field = |result: Result<Credentials, Error>| match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, message }) => {
                assert!(!message.contains("SECRET"), "{message}");
                field
            }
            other => panic!("{other:?}"),
        };
        for bad in [
            "SECRET\n",
            "SECRET\r\nX-Injected: 1",
            "\0SECRET",
            "SE\tCRET",
            "SECRET\u{7f}",
        ] {
            assert_eq!(field(Credentials::parse(bad, "s", None)), "access_key");
            assert_eq!(field(Credentials::parse("AKID", bad, None)), "secret_key");
            assert_eq!(field(Credentials::parse("AKID", "s", Some(bad))), "session_token");
        }
        assert!(Credentials::parse("AKID", "wJal/+=", Some("IQo/+==")).is_ok());
        for bad in [
            "http://minio\r\n:9000",
            "http://mi\nnio:9000",
            "https://s3.example.com/base\r\nX: 1",
        ] {
            match Endpoint::parse(bad).map_err(Error::into_kind) {
                Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, "endpoint", "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn credentials_in_an_endpoint_are_not_repeated_in_the_error() {
        let err = Endpoint::parse("http://AKID:TOP/SECRET+x@minio:9000").unwrap_err();
        let shown = err.to_string();
        assert!(!shown.contains("SECRET") && !shown.contains("AKID"), "{shown}");
        assert!(shown.contains("http://****@minio:9000"), "{shown}");
    }
}
