//! Head Object: an object's metadata without its bytes.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html>
//!
//! A HEAD answer has no body, so an error is known by its status only: the
//! client turns 404 into `NoSuchKey` and 403 into `AccessDenied`. S3 answers
//! 403, not 404, for a missing key when the caller lacks `s3:ListBucket`.
//!
//! [`parse_metadata`] reads the headers Get Object returns as well.

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::client::Client;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{ObjectMetadata, ObjectRef};
use crate::validate;

/// The prefix of user metadata headers.
pub const META_PREFIX: &str = "x-amz-meta-";

/// Builds the request: `HEAD /bucket/key[?versionId=...]`.
pub fn request(input: &ObjectRef) -> Result<OpRequest, Error> {
    object_request(Method::Head, input)
}

/// A request on one object (or one version of it), after checking the
/// bucket, key and version id. Shared by the operations on one object.
pub(crate) fn object_request(method: Method, input: &ObjectRef) -> Result<OpRequest, Error> {
    validate::bucket_name(&input.bucket_name)?;
    validate::object_key("object_path", &input.object_path)?;
    let mut request = OpRequest::new(method, Some(&input.bucket_name), Some(&input.object_path));
    if let Some(version_id) = &input.version_id {
        validate::version_id(version_id)?;
        request = request.with_query("versionId", version_id);
    }
    Ok(request)
}

/// Parses a successful answer.
pub fn parse(response: &HttpResponse) -> Result<ObjectMetadata, Error> {
    parse_metadata(response)
}

/// Runs Head Object.
pub fn run(client: &mut Client<'_>, input: &ObjectRef) -> Result<ObjectMetadata, Error> {
    let request = request(input)?;
    let response = client.send(&request)?;
    parse(&response)
}

/// Reads an object's metadata from GET or HEAD response headers.
///
/// A missing `Content-Length` counts the body (0 for HEAD); one that is not
/// a number is an invalid response. A `Last-Modified` that cannot be read is
/// left out rather than failing the call: the bytes matter more than the
/// date. User metadata values are kept verbatim (S3 may return non-ASCII
/// values RFC 2047-encoded, `=?UTF-8?B?...?=`; they are not decoded).
pub fn parse_metadata(response: &HttpResponse) -> Result<ObjectMetadata, Error> {
    let header = |name: &str| response.header(name).map(str::to_owned);
    let content_length = match response.header("content-length") {
        Some(value) => value.trim().parse::<u64>().map_err(|_| {
            Error::invalid_response(format!("Content-Length `{value}` is not a number of bytes"))
        })?,
        None => u64::try_from(response.body.len()).unwrap_or(u64::MAX),
    };
    let metadata = response
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let rest = name.get(..META_PREFIX.len())?;
            rest.eq_ignore_ascii_case(META_PREFIX).then(|| {
                let short = name.get(META_PREFIX.len()..).unwrap_or("");
                (short.to_ascii_lowercase(), value.clone())
            })
        })
        .collect();
    Ok(ObjectMetadata {
        content_type: header("content-type"),
        content_length,
        etag: header("etag"),
        last_modified: response.header("last-modified").and_then(http_date_to_rfc3339),
        version_id: header("x-amz-version-id"),
        content_range: header("content-range"),
        storage_class: header("x-amz-storage-class"),
        metadata,
    })
}

/// Converts an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) to RFC 3339
/// (`2015-10-21T07:28:00Z`); `None` when it cannot be read.
///
/// HTTP's IMF-fixdate is tried first (with a one-digit day accepted, as in
/// the S3 documentation's own examples), then RFC 2822, which also admits
/// numeric zones that some S3-compatible servers send.
pub fn http_date_to_rfc3339(value: &str) -> Option<String> {
    let value = value.trim();
    let imf = format_description!(
        "[weekday repr:short], [day padding:none] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let parsed = PrimitiveDateTime::parse(value, imf)
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(value, &Rfc2822))
        .ok()?;
    // Checked: a date near the end of year 9999 with a negative zone is past
    // the last date `time` can hold once in UTC, and `to_offset` panics there.
    parsed
        .checked_to_offset(time::UtcOffset::UTC)?
        .format(&Rfc3339)
        .ok()
}

/// Response fixtures for the object operations' tests.
/// Head Object.
pub struct HeadObject;

impl crate::ops::Op for HeadObject {
    type Input = ObjectRef;
    type Output = ObjectMetadata;
    const NAME: &'static str = "head-object";
    const TITLE: &'static str = "Head Object";
    const DESCRIPTION: &'static str =
        "An object's metadata without its bytes. A missing key is the service error `no-such-key`.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:GetObject", "s3:GetObjectVersion"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "object_path": "reports/2026.csv"}"#;

    fn permission(request: &OpRequest) -> &'static str {
        crate::ops::versioned(request, "s3:GetObject", "s3:GetObjectVersion")
    }

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input)
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use crate::http::HttpResponse;

    /// Reads a response head as captured from the wire: a status line
    /// (`HTTP/1.1 200 OK`), then `Name: value` lines. `#` lines are comments.
    pub(crate) fn response(head: &str, body: &[u8]) -> HttpResponse {
        let mut lines = head
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .map(|line| {
                let (name, value) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad header {line:?}"));
                (name.trim().to_owned(), value.trim().to_owned())
            })
            .collect();
        HttpResponse {
            status,
            headers,
            body: body.to_vec(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::fixtures::response;
    use super::*;
    use crate::client::fake::{with_client, FakeTransport};
    use crate::connection::{Connection, Credentials, Region};
    use crate::error::ErrorCode;
    use crate::ops::Operation;

    fn object(key: &str) -> ObjectRef {
        ObjectRef {
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            version_id: None,
        }
    }

    #[test]
    fn request_is_head_on_the_key() {
        let request = request(&object("docs/a.txt")).unwrap();
        assert_eq!(request.method, Method::Head);
        assert_eq!(request.bucket.as_deref(), Some("my-bucket"));
        assert_eq!(request.key.as_deref(), Some("docs/a.txt"));
        assert!(request.query.is_empty());
        assert!(request.headers.is_empty());
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn version_id_goes_in_the_query_encoded_once() {
        let mut input = object("k");
        input.version_id = Some("3HL4kqtJ+lcpX/ro=".into());
        let request = request(&input).unwrap();
        assert_eq!(
            request.query,
            vec![("versionId".to_owned(), "3HL4kqtJ+lcpX/ro=".to_owned())]
        );
        let url = crate::client::fake::local_connection()
            .address(&request, "us-east-1")
            .url();
        assert_eq!(
            url,
            "http://127.0.0.1:9000/my-bucket/k?versionId=3HL4kqtJ%2BlcpX%2Fro%3D"
        );
    }

    #[test]
    fn awkward_keys_are_encoded_once_and_never_normalised() {
        let cases = [
            ("a b", "/my-bucket/a%20b"),
            ("a+b", "/my-bucket/a%2Bb"),
            ("100%", "/my-bucket/100%25"),
            ("%41", "/my-bucket/%2541"),
            ("été/ß", "/my-bucket/%C3%A9t%C3%A9/%C3%9F"),
            ("a/../b", "/my-bucket/a/../b"),
            ("a/./b", "/my-bucket/a/./b"),
            ("//", "/my-bucket///"),
            ("/lead", "/my-bucket//lead"),
        ];
        let connection = crate::client::fake::local_connection();
        for (key, path) in cases {
            let http = connection.address(&request(&object(key)).unwrap(), "us-east-1");
            assert_eq!(http.path, path, "{key:?}");
        }
    }

    #[test]
    fn awkward_key_is_virtual_hosted_on_aws() {
        let aws = Connection {
            credentials: Credentials::new("AKID", "secret", None),
            region: Region::Named("eu-west-1".into()),
            endpoint: None,
            path_style: false,
        };
        let http = aws.address(&request(&object("a/../b c+d")).unwrap(), "eu-west-1");
        assert_eq!(
            http.url(),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/a/../b%20c%2Bd"
        );
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let mut bad_bucket = object("k");
        bad_bucket.bucket_name = "My_Bucket".into();
        let mut bad_version = object("k");
        bad_version.version_id = Some(String::new());
        let cases = [
            (bad_bucket, "bucket_name"),
            (object(""), "object_path"),
            (bad_version, "version_id"),
        ];
        for (input, field) in cases {
            let mut transport = FakeTransport::default();
            let result = with_client(&mut transport, Operation::HeadObject, |c| run(c, &input));
            match result {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected invalid {field}, got {other:?}"),
            }
            assert!(transport.sent.is_empty(), "nothing is sent for bad input");
        }
    }

    #[test]
    fn metadata_is_read_from_a_head_answer() {
        let answer = response(
            include_str!("../../testdata/headers/head_object_versioned.http"),
            b"",
        );
        let metadata = parse(&answer).unwrap();
        assert_eq!(
            metadata,
            ObjectMetadata {
                content_type: Some("text/plain; charset=utf-8".into()),
                content_length: 434234,
                etag: Some("\"fba9dede5f27731c9771645a39863328\"".into()),
                last_modified: Some("2015-10-21T07:28:00Z".into()),
                version_id: Some("3HL4kqtJlcpXroDTDmjVBH40Nr8X8gdRQBpUMLUo".into()),
                content_range: None,
                storage_class: Some("STANDARD_IA".into()),
                metadata: vec![
                    ("author".into(), "Jane Doe".into()),
                    ("project-id".into(), "42".into()),
                    ("title".into(), "=?UTF-8?B?w6l0w6k=?=".into()),
                ],
            }
        );
    }

    #[test]
    fn minimal_answer_has_defaults() {
        let answer = response(
            include_str!("../../testdata/headers/head_object_minimal.http"),
            b"",
        );
        let metadata = parse(&answer).unwrap();
        assert_eq!(metadata, ObjectMetadata::default());
    }

    #[test]
    fn non_numeric_content_length_is_an_invalid_response() {
        let answer = response("HTTP/1.1 200 OK\nContent-Length: lots\n", b"");
        match parse(&answer) {
            Err(Error::InvalidResponse(message)) => assert!(message.contains("lots"), "{message}"),
            other => panic!("expected invalid response, got {other:?}"),
        }
    }

    #[test]
    fn unreadable_last_modified_is_left_out() {
        let answer = response(
            "HTTP/1.1 200 OK\nLast-Modified: yesterday-ish\nContent-Length: 3\n",
            b"",
        );
        let metadata = parse(&answer).unwrap();
        assert_eq!(metadata.last_modified, None);
        assert_eq!(metadata.content_length, 3);
    }

    #[test]
    fn http_dates_become_rfc3339_in_utc() {
        let cases = [
            ("Wed, 21 Oct 2015 07:28:00 GMT", Some("2015-10-21T07:28:00Z")),
            ("Sun, 1 Jan 2006 12:00:00 GMT", Some("2006-01-01T12:00:00Z")),
            ("Thu, 29 Feb 2024 23:59:59 GMT", Some("2024-02-29T23:59:59Z")),
            ("Wed, 21 Oct 2015 09:28:00 +0200", Some("2015-10-21T07:28:00Z")),
            ("2015-10-21T07:28:00Z", None),
            ("Wed, 32 Oct 2015 07:28:00 GMT", None),
            ("", None),
        ];
        for (http, rfc3339) in cases {
            assert_eq!(http_date_to_rfc3339(http).as_deref(), rfc3339, "{http:?}");
        }
    }

    #[test]
    fn a_date_past_year_9999_in_utc_is_left_out_not_a_panic() {
        // 9999-12-31 23:59:59 at -23:59 is in year 10000 in UTC.
        assert_eq!(http_date_to_rfc3339("Fri, 31 Dec 9999 23:59:59 -2359"), None);
        assert_eq!(
            http_date_to_rfc3339("Fri, 31 Dec 9999 23:59:59 +0000").as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
    }

    #[test]
    fn run_sends_head_and_parses_the_answer() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[
                ("Content-Length", "11"),
                ("ETag", "\"e\""),
                ("x-amz-meta-Color", "blue"),
            ],
            b"",
        );
        let metadata =
            with_client(&mut transport, Operation::HeadObject, |c| run(c, &object("a b"))).unwrap();
        assert_eq!(metadata.content_length, 11);
        assert_eq!(metadata.metadata, vec![("color".to_owned(), "blue".to_owned())]);
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Head);
        assert_eq!(sent.url(), "http://127.0.0.1:9000/my-bucket/a%20b");
        assert!(sent.header("authorization").is_some());
    }

    #[test]
    fn head_404_without_body_is_no_such_key() {
        let mut transport = FakeTransport::default();
        transport.answer(404, &[("x-amz-request-id", "REQ1")], b"");
        let result = with_client(&mut transport, Operation::HeadObject, |c| {
            run(c, &object("missing"))
        });
        match result {
            Err(Error::Service(error)) => {
                assert_eq!(error.status, 404);
                assert_eq!(error.code, ErrorCode::NoSuchKey);
                assert_eq!(error.request_id.as_deref(), Some("REQ1"));
            }
            other => panic!("expected NoSuchKey, got {other:?}"),
        }
    }

    #[test]
    fn head_403_is_access_denied_naming_get_object() {
        let mut transport = FakeTransport::default();
        transport.answer(403, &[], b"");
        let result = with_client(&mut transport, Operation::HeadObject, |c| run(c, &object("k")));
        match result {
            Err(Error::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:GetObject"));
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }
}
