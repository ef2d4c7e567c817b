//! Head Object: an object's metadata without its bytes.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html>
//!
//! A HEAD answer has no body, so an error is known by its status only: the
//! client turns 404 into `NoSuchKey` and 403 into `AccessDenied`. S3 answers
//! 403, not 404, for a missing key when the caller lacks `s3:ListBucket`.
//!
//! The headers are read by [`parse_metadata`], which Get Object shares.

use crate::client::Client;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{ObjectMetadata, ObjectRef};
use crate::ops::object::{object_request, parse_metadata};

/// Builds the request: `HEAD /bucket/key[?versionId=...]`.
pub fn request(input: &ObjectRef) -> Result<OpRequest, Error> {
    object_request(Method::Head, input)
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{with_client, FakeTransport};
    use crate::connection::{Connection, Credentials, Region};
    use crate::error::{ErrorCode, ErrorKind};
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
            match result.map_err(Error::into_kind) {
                Err(ErrorKind::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected invalid {field}, got {other:?}"),
            }
            assert!(transport.sent.is_empty(), "nothing is sent for bad input");
        }
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
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
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
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:GetObject"));
                // A bodiless 403 may also be a missing key the caller may
                // not learn of: the message says so.
                assert_eq!(
                    error.message,
                    "Access denied (S3 answers 403 as well for a key that does not exist when the \
                     caller lacks s3:ListBucket on the bucket)"
                );
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }
}
