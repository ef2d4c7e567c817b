//! Get Object: an object's bytes and metadata, or a range of its bytes.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>
//!
//! A range is sent as `Range: bytes=from-to` (both ends inclusive) or
//! `bytes=from-` (to the end); S3 answers 206 Partial Content with a
//! `Content-Range`, which is success like 200. A range that starts past the
//! end of the object is S3's 416 `InvalidRange`.

use crate::client::Client;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{ByteRange, GetObjectInput, GetObjectOutput, ObjectRef};
use crate::ops::object::{object_request, parse_metadata};
use crate::validate;

/// Builds the request: `GET /bucket/key[?versionId=...]`, with a `range`
/// header when only some bytes are wanted.
pub fn request(input: &GetObjectInput) -> Result<OpRequest, Error> {
    let object = ObjectRef {
        bucket_name: input.bucket_name.clone(),
        object_path: input.object_path.clone(),
        version_id: input.version_id.clone(),
    };
    let mut request = object_request(Method::Get, &object)?;
    if let Some(range) = &input.range {
        validate::byte_range("range", range.from, range.to)?;
        request = request.with_header("range", &range_header(range));
    }
    Ok(request)
}

/// The `Range` header value: `bytes=0-9`, or `bytes=10-` to the end.
pub fn range_header(range: &ByteRange) -> String {
    match range.to {
        Some(to) => format!("bytes={}-{to}", range.from),
        None => format!("bytes={}-", range.from),
    }
}

/// Parses a successful (200 or 206) answer: the body and its metadata. The
/// answer's body becomes the output's, moved rather than copied.
///
/// When the server says how long the body is and no content coding is
/// involved, a body of another length is refused: the bytes were cut short
/// on the way, and returning them as the object would be wrong.
pub fn parse(response: HttpResponse) -> Result<GetObjectOutput, Error> {
    let metadata = parse_metadata(&response)?;
    let received = u64::try_from(response.body.len()).unwrap_or(u64::MAX);
    let encoded = response
        .header("content-encoding")
        .is_some_and(|coding| !coding.trim().eq_ignore_ascii_case("identity"));
    if response.header("content-length").is_some() && metadata.content_length != received && !encoded {
        return Err(Error::invalid_response(format!(
            "the body is {received} bytes but Content-Length says {}: the download was cut short",
            metadata.content_length
        )));
    }
    Ok(GetObjectOutput {
        body: response.body,
        metadata,
    })
}

/// Runs Get Object.
pub fn run(client: &mut Client<'_>, input: &GetObjectInput) -> Result<GetObjectOutput, Error> {
    let request = request(input)?;
    let response = client.send(&request)?;
    parse(response)
}

/// How long the URL that Get Object returns beside the bytes stays valid,
/// in seconds: the old connector's `file.url` lasted an hour.
pub const URL_SECONDS: u32 = 3600;

/// The JSON output of Get Object; the bytes travel beside it.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetObjectJson {
    /// The object's metadata.
    pub metadata: crate::model::ObjectMetadata,
    /// The object as a file, as the old connector returned it.
    pub file: FileLink,
}

/// An object as a file: its name and a presigned URL that reads it.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FileLink {
    /// Last segment of the key.
    pub name: String,
    /// A presigned GET URL for the object.
    pub url: String,
    /// The object's `Content-Type`.
    pub mime_type: Option<String>,
    /// Unix time at which the URL expires.
    pub expires: u64,
}

/// Get Object.
pub struct GetObject;

impl crate::ops::Op for GetObject {
    type Input = GetObjectInput;
    type Output = GetObjectJson;
    const NAME: &'static str = "get-object";
    const TITLE: &'static str = "Get Object";
    const DESCRIPTION: &'static str = "An object's bytes and metadata, with a presigned URL that reads it \
        for an hour. A missing key is the service error `no-such-key`.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:GetObject", "s3:GetObjectVersion"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "object_path": "reports/2026.csv"}"#;
    const BODIES: crate::ops::Bodies = crate::ops::Bodies {
        upload: false,
        download: true,
    };

    fn permission(request: &OpRequest) -> &'static str {
        crate::ops::versioned(request, "s3:GetObject", "s3:GetObjectVersion")
    }

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        let metadata = if call.sink {
            crate::ops::get_object_to::run(call.client, &input)?
        } else {
            let object = run(call.client, &input)?;
            call.returned = Some(object.body);
            object.metadata
        };
        // Made after the GET so that the URL is signed for the region the
        // GET found the bucket in.
        let signed = crate::ops::get_object_signed_url::run(
            call.client,
            &crate::model::SignedUrlInput {
                bucket_name: input.bucket_name,
                object_path: input.object_path,
                expires_seconds: URL_SECONDS,
                range_from: None,
                range_to: None,
                method: None,
                response_content_type: None,
                response_content_disposition: None,
                version_id: input.version_id,
            },
        )?;
        let mime_type = metadata.content_type.clone();
        Ok(GetObjectJson {
            metadata,
            file: FileLink {
                name: signed.name,
                url: signed.url,
                mime_type,
                expires: signed.expires,
            },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{local_connection, with_client, FakeTransport};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::object::fixtures::response;
    use crate::ops::Operation;

    fn input(key: &str, range: Option<ByteRange>) -> GetObjectInput {
        GetObjectInput {
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            version_id: None,
            range,
        }
    }

    #[test]
    fn request_is_get_without_range_by_default() {
        let request = request(&input("k", None)).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.key.as_deref(), Some("k"));
        assert!(request.headers.is_empty());
        assert!(request.query.is_empty());
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn ranges_become_inclusive_range_headers() {
        let cases = [
            (ByteRange { from: 0, to: Some(9) }, "bytes=0-9"),
            (ByteRange { from: 5, to: Some(5) }, "bytes=5-5"),
            (ByteRange { from: 100, to: None }, "bytes=100-"),
            (
                ByteRange {
                    from: 0,
                    to: Some(u64::MAX),
                },
                "bytes=0-18446744073709551615",
            ),
        ];
        for (range, header) in cases {
            let request = request(&input("k", Some(range))).unwrap();
            assert_eq!(request.headers, vec![("range".to_owned(), header.to_owned())]);
        }
    }

    #[test]
    fn backwards_range_is_refused_before_sending() {
        let mut transport = FakeTransport::default();
        let bad = input(
            "k",
            Some(ByteRange {
                from: 10,
                to: Some(9),
            }),
        );
        let result = with_client(&mut transport, Operation::GetObject, |c| run(c, &bad));
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, "range"),
            other => panic!("expected invalid range, got {other:?}"),
        }
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn version_and_awkward_key_are_encoded_once() {
        let mut get = input("reports/2024 Q1+Q2/été/../x%20y", None);
        get.version_id = Some("v+1".into());
        let http = local_connection().address(&request(&get).unwrap(), "us-east-1");
        assert_eq!(
            http.url(),
            "http://127.0.0.1:9000/my-bucket/reports/2024%20Q1%2BQ2/%C3%A9t%C3%A9/../x%2520y?versionId=v%2B1"
        );
    }

    #[test]
    fn ranged_answer_is_parsed_with_its_content_range() {
        let answer = response(
            include_str!("../../testdata/headers/get_object_range.http"),
            b"0123456789",
        );
        let output = parse(answer.clone()).unwrap();
        assert_eq!(output.body, b"0123456789");
        assert_eq!(output.metadata.content_length, 10);
        assert_eq!(output.metadata.content_range.as_deref(), Some("bytes 0-9/443"));
        assert_eq!(
            output.metadata.last_modified.as_deref(),
            Some("2024-05-01T12:00:00Z")
        );
        assert_eq!(output.metadata.content_type.as_deref(), Some("text/plain"));
    }

    #[test]
    fn missing_content_length_counts_the_body() {
        let answer = response("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n", b"hello");
        assert_eq!(parse(answer.clone()).unwrap().metadata.content_length, 5);
    }

    #[test]
    fn short_body_is_an_invalid_response() {
        let answer = response("HTTP/1.1 200 OK\nContent-Length: 10\n", b"01234");
        match parse(answer.clone()).map_err(Error::into_kind) {
            Err(ErrorKind::InvalidResponse(message)) => assert!(message.contains("cut short"), "{message}"),
            other => panic!("expected invalid response, got {other:?}"),
        }
    }

    #[test]
    fn encoded_body_may_differ_from_content_length() {
        let answer = response(
            "HTTP/1.1 200 OK\nContent-Length: 10\nContent-Encoding: gzip\n",
            b"01234",
        );
        assert_eq!(parse(answer.clone()).unwrap().body, b"01234");
    }

    #[test]
    fn run_returns_the_bytes_of_a_206() {
        let mut transport = FakeTransport::default();
        transport.answer(
            206,
            &[
                ("Content-Length", "4"),
                ("Content-Range", "bytes 2-5/10"),
                ("ETag", "\"abc\""),
            ],
            b"2345",
        );
        let get = input("dir/file.bin", Some(ByteRange { from: 2, to: Some(5) }));
        let output = with_client(&mut transport, Operation::GetObject, |c| run(c, &get)).unwrap();
        assert_eq!(output.body, b"2345");
        assert_eq!(output.metadata.content_range.as_deref(), Some("bytes 2-5/10"));
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Get);
        assert_eq!(sent.url(), "http://127.0.0.1:9000/my-bucket/dir/file.bin");
        assert_eq!(sent.header("range"), Some("bytes=2-5"));
        // The range header is signed, so it cannot be changed on the way.
        let authorization = sent.header("authorization").unwrap();
        assert!(authorization.contains("range"), "{authorization}");
    }

    #[test]
    fn object_that_looks_like_an_error_document_is_returned_as_bytes() {
        // S3 never answers Get Object 200 with an error body, so an object
        // whose content is an `<Error>` document is just that content.
        let content = b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>m</Message></Error>";
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], content);
        let output = with_client(&mut transport, Operation::GetObject, |c| {
            run(c, &input("e.xml", None))
        });
        assert_eq!(output.unwrap().body, content);
    }

    #[test]
    fn get_404_is_no_such_key() {
        let mut transport = FakeTransport::default();
        transport.answer(404, &[], b"");
        let result = with_client(&mut transport, Operation::GetObject, |c| {
            run(c, &input("gone", None))
        });
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => assert_eq!(error.code, ErrorCode::NoSuchKey),
            other => panic!("expected NoSuchKey, got {other:?}"),
        }
    }

    #[test]
    fn get_403_is_access_denied_naming_get_object() {
        let mut transport = FakeTransport::default();
        transport.answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        let result = with_client(&mut transport, Operation::GetObject, |c| {
            run(c, &input("k", None))
        });
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:GetObject"));
                assert!(
                    error
                        .message
                        .starts_with("Access Denied (S3 answers 403 as well for a key")
                        && error.message.contains("s3:ListBucket"),
                    "{}",
                    error.message
                );
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }
}
