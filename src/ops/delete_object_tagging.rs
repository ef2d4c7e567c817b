//! Delete Object Tagging: remove every tag of an object (or of one version).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html>
//!
//! S3 answers 204 No Content, naming the version in `x-amz-version-id`.
//! Removing the tags of an object that has none succeeds.

use crate::client::Client;
use crate::error::Error;
use crate::http::{Method, OpRequest};
use crate::model::ObjectRef;
use crate::ops::get_object_tagging::tagging_request;
use crate::ops::put_object_tagging::{parse, TaggingOutput};

/// Builds `DELETE /bucket/key?tagging[&versionId=...]`.
pub fn request(input: &ObjectRef) -> Result<OpRequest, Error> {
    tagging_request(Method::Delete, input)
}

/// Runs Delete Object Tagging.
pub fn run(client: &mut Client<'_>, input: &ObjectRef) -> Result<TaggingOutput, Error> {
    let request = request(input)?;
    let response = client.send(&request)?;
    parse(&response)
}

/// Delete Object Tagging.
pub struct DeleteObjectTagging;

impl crate::ops::Op for DeleteObjectTagging {
    type Input = ObjectRef;
    type Output = TaggingOutput;
    const NAME: &'static str = "delete-object-tagging";
    const TITLE: &'static str = "Delete Object Tagging";
    const DESCRIPTION: &'static str = "Removes every tag of an object (or of one version). An object \
        without tags is left as it is.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "object_path": "reports/2026.csv"}"#;

    fn permission(request: &OpRequest) -> &'static str {
        crate::ops::versioned(request, "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging")
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
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::Operation;

    fn object(key: &str, version_id: Option<&str>) -> ObjectRef {
        ObjectRef {
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            version_id: version_id.map(str::to_owned),
        }
    }

    #[test]
    fn request_is_delete_on_the_tagging_sub_resource() {
        let request = request(&object("k", None)).unwrap();
        assert_eq!(request.method, Method::Delete);
        assert_eq!(request.key.as_deref(), Some("k"));
        assert_eq!(request.query, [("tagging".to_owned(), String::new())]);
        assert!(request.headers.is_empty());
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn run_returns_the_version_whose_tags_went() {
        let mut transport = FakeTransport::default();
        transport.answer(204, &[("x-amz-version-id", "v3")], b"");
        let input = object("docs/a b.txt", Some("v3"));
        let output = with_client(&mut transport, Operation::DeleteObjectTagging, |c| run(c, &input)).unwrap();
        assert_eq!(
            output,
            TaggingOutput {
                success: true,
                version_id: Some("v3".into()),
            }
        );
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Delete);
        assert_eq!(
            sent.url(),
            "http://127.0.0.1:9000/my-bucket/docs/a%20b.txt?tagging=&versionId=v3"
        );
    }

    #[test]
    fn an_unversioned_answer_has_no_version() {
        let mut transport = FakeTransport::default();
        transport.answer(204, &[], b"");
        let input = object("k", None);
        let output = with_client(&mut transport, Operation::DeleteObjectTagging, |c| run(c, &input)).unwrap();
        assert!(output.success);
        assert_eq!(output.version_id, None);
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let mut transport = FakeTransport::default();
        let input = object("", None);
        match with_client(&mut transport, Operation::DeleteObjectTagging, |c| run(c, &input))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, "object_path"),
            other => panic!("expected invalid object-path, got {other:?}"),
        }
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn denial_names_the_tagging_permission_of_what_was_asked() {
        for (version, permission) in [
            (None, "s3:DeleteObjectTagging"),
            (Some("v1"), "s3:DeleteObjectVersionTagging"),
        ] {
            let mut transport = FakeTransport::default();
            transport.answer(
                403,
                &[],
                b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            );
            let input = object("k", version);
            match with_client(&mut transport, Operation::DeleteObjectTagging, |c| run(c, &input))
                .map_err(Error::into_kind)
            {
                Err(ErrorKind::Service(error)) => {
                    assert_eq!(error.code, ErrorCode::AccessDenied);
                    assert_eq!(error.required_permission.as_deref(), Some(permission));
                }
                other => panic!("expected AccessDenied, got {other:?}"),
            }
        }
    }
}
