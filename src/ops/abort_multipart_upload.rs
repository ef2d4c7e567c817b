//! Abort Multipart Upload: S3 drops the upload and every part of it.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html>
//!
//! S3 answers 204; an upload that does not exist, or was completed, is 404
//! `NoSuchUpload`. Aborting twice has the effect of aborting once.

use crate::client::Client;
use crate::error::Error;
use crate::http::OpRequest;
use crate::model::AbortMultipartUploadInput;
use crate::ops::multipart;

/// Builds `DELETE /bucket/key?uploadId=ID`.
pub fn request(input: &AbortMultipartUploadInput) -> Result<OpRequest, Error> {
    multipart::abort_request(&input.bucket_name, &input.object_path, &input.upload_id)
}

/// Runs Abort Multipart Upload.
pub fn run(client: &mut Client<'_>, input: &AbortMultipartUploadInput) -> Result<(), Error> {
    client.send(&request(input)?)?;
    Ok(())
}

/// Abort Multipart Upload.
pub struct AbortMultipartUpload;

impl crate::ops::Op for AbortMultipartUpload {
    type Input = AbortMultipartUploadInput;
    type Output = crate::ops::Success;
    const NAME: &'static str = "abort-multipart-upload";
    const TITLE: &'static str = "Abort Multipart Upload";
    const DESCRIPTION: &'static str = "Drops every part of an upload. An upload that does not exist (or \
        was completed) is the service error `no-such-upload`.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:AbortMultipartUpload"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str =
        r#"{"bucket_name": "my-bucket", "object_path": "backups/db.dump", "upload_id": "EXAMPLE-UPLOAD-ID"}"#;

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input)?;
        Ok(crate::ops::Success { success: true })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{with_client, FakeTransport};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::Operation;

    fn input() -> AbortMultipartUploadInput {
        AbortMultipartUploadInput {
            bucket_name: "bucket".into(),
            object_path: "a b".into(),
            upload_id: "U+1".into(),
        }
    }

    #[test]
    fn request_is_a_delete_of_the_upload() {
        let mut t = FakeTransport::default();
        t.answer(204, &[], b"");
        with_client(&mut t, Operation::AbortMultipartUpload, |c| run(c, &input())).unwrap();
        assert_eq!(
            t.sent[0].url(),
            "http://127.0.0.1:9000/bucket/a%20b?uploadId=U%2B1"
        );
    }

    #[test]
    fn a_missing_upload_is_no_such_upload() {
        let mut t = FakeTransport::default();
        t.answer(
            404,
            &[],
            b"<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>",
        );
        let error = with_client(&mut t, Operation::AbortMultipartUpload, |c| run(c, &input())).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::Service(e) if e.code == ErrorCode::NoSuchUpload));
    }
}
