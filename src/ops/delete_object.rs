//! Delete Object: remove one object (or one version of it).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html>
//!
//! S3 answers 204 No Content whether or not the key existed, so deleting a
//! missing key succeeds. On a versioned bucket, deleting without a version
//! id adds a delete marker (`x-amz-delete-marker: true`, its id in
//! `x-amz-version-id`); with one, that version is removed for good.

use crate::client::Client;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{DeleteObjectOutput, ObjectRef};
use crate::ops::object::object_request;

/// Builds the request: `DELETE /bucket/key[?versionId=...]`.
pub fn request(input: &ObjectRef) -> Result<OpRequest, Error> {
    object_request(Method::Delete, input)
}

/// Parses a successful answer (204, or 200 from some S3-compatible servers).
pub fn parse(response: &HttpResponse) -> Result<DeleteObjectOutput, Error> {
    Ok(DeleteObjectOutput {
        success: true,
        version_id: response.header("x-amz-version-id").map(str::to_owned),
        delete_marker: response
            .header("x-amz-delete-marker")
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true")),
    })
}

/// Runs Delete Object.
pub fn run(client: &mut Client<'_>, input: &ObjectRef) -> Result<DeleteObjectOutput, Error> {
    let request = request(input)?;
    let response = client.send(&request)?;
    parse(&response)
}

/// Delete Object.
pub struct DeleteObject;

impl crate::ops::Op for DeleteObject {
    type Input = ObjectRef;
    type Output = DeleteObjectOutput;
    const NAME: &'static str = "delete-object";
    const TITLE: &'static str = "Delete Object";
    const DESCRIPTION: &'static str = "Deletes an object (or one version). Deleting a key that does not \
        exist succeeds, as in S3.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:DeleteObject", "s3:DeleteObjectVersion"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "object_path": "reports/2026.csv"}"#;

    fn permission(request: &OpRequest) -> &'static str {
        crate::ops::versioned(request, "s3:DeleteObject", "s3:DeleteObjectVersion")
    }

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input)
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

    fn object(key: &str, version_id: Option<&str>) -> ObjectRef {
        ObjectRef {
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            version_id: version_id.map(str::to_owned),
        }
    }

    #[test]
    fn request_is_delete_on_the_key() {
        let request = request(&object("k", None)).unwrap();
        assert_eq!(request.method, Method::Delete);
        assert_eq!(request.key.as_deref(), Some("k"));
        assert!(request.query.is_empty());
        assert!(request.headers.is_empty());
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn version_and_awkward_key_are_encoded_once() {
        let cases = [
            ("a b", "/my-bucket/a%20b"),
            ("c++", "/my-bucket/c%2B%2B"),
            ("%2F", "/my-bucket/%252F"),
            ("données/é", "/my-bucket/donn%C3%A9es/%C3%A9"),
            ("a/../b", "/my-bucket/a/../b"),
            ("//", "/my-bucket///"),
        ];
        for (key, path) in cases {
            let http = local_connection().address(&request(&object(key, Some("v 1"))).unwrap(), "us-east-1");
            assert_eq!(
                http.url(),
                format!("http://127.0.0.1:9000{path}?versionId=v%201"),
                "{key:?}"
            );
        }
    }

    #[test]
    fn plain_204_is_success_without_marker() {
        let answer = response("HTTP/1.1 204 No Content\nx-amz-request-id: R\n", b"");
        assert_eq!(
            parse(&answer).unwrap(),
            DeleteObjectOutput {
                success: true,
                version_id: None,
                delete_marker: false,
            }
        );
    }

    #[test]
    fn delete_marker_answer_is_parsed() {
        let answer = response(
            include_str!("../../testdata/headers/delete_object_marker.http"),
            b"",
        );
        assert_eq!(
            parse(&answer).unwrap(),
            DeleteObjectOutput {
                success: true,
                version_id: Some("UIORUnfndfiufdisojhr398493jfdkjFJjkndnqUifhnw89493jJFJ".into()),
                delete_marker: true,
            }
        );
    }

    #[test]
    fn delete_marker_false_is_not_a_marker() {
        let answer = response("HTTP/1.1 204 No Content\nx-amz-delete-marker: false\n", b"");
        assert!(!parse(&answer).unwrap().delete_marker);
    }

    #[test]
    fn missing_key_is_success() {
        // S3 answers a delete of a key that never existed exactly like one that did.
        let mut transport = FakeTransport::default();
        transport.answer(204, &[], b"");
        let input = object("never/existed", None);
        let output = with_client(&mut transport, Operation::DeleteObject, |c| run(c, &input)).unwrap();
        assert!(output.success);
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Delete);
        assert_eq!(sent.url(), "http://127.0.0.1:9000/my-bucket/never/existed");
        assert!(sent.header("authorization").is_some());
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let mut transport = FakeTransport::default();
        let input = object("", None);
        match with_client(&mut transport, Operation::DeleteObject, |c| run(c, &input))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, "object_path"),
            other => panic!("expected invalid object-path, got {other:?}"),
        }
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn delete_403_is_access_denied_naming_delete_permissions() {
        let mut transport = FakeTransport::default();
        transport.answer(403, &[], b"");
        let input = object("k", None);
        match with_client(&mut transport, Operation::DeleteObject, |c| run(c, &input))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                let permission = error.required_permission.unwrap_or_default();
                assert!(permission.contains("s3:DeleteObject"), "{permission}");
                // Only a read hides a missing key behind a 403.
                assert_eq!(error.message, "Access denied");
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }
}
