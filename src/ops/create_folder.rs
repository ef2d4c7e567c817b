//! Create Folder: the empty marker object a folder is in S3.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>
//!
//! S3 has no folders, only keys; a `/` in a key is a character like any
//! other. The S3 console (and the tools that follow it) show a folder for
//! every prefix ending in `/`, and make an empty one by writing a
//! zero-byte object whose key is the folder's path with a trailing `/`:
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-folders.html>.
//! This writes that marker, typed `application/x-directory` as other S3
//! tools (s3fs, rclone) do. Writing it again leaves the folder as it was,
//! and the keys under the folder are not touched.

use crate::client::Client;

use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::ops::put_object::content_md5;
use crate::validate;

/// The content type of a folder marker.
pub const FOLDER_CONTENT_TYPE: &str = "application/x-directory";

/// Input of Create Folder.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateFolderInput {
    /// Bucket.
    pub bucket_name: String,
    /// The folder's path from the bucket's root (`reports/2026`); a trailing `/` is added.
    pub folder_path: String,
}

/// Output of Create Folder.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreateFolderOutput {
    /// The marker's key: the folder's path with its trailing `/`.
    pub key: String,
    /// The marker's ETag, quotes included.
    pub etag: Option<String>,
    /// The marker's version id, on a versioned bucket.
    pub version_id: Option<String>,
}

/// Builds `PUT /bucket/folder/` with an empty body.
pub fn request(input: &CreateFolderInput) -> Result<OpRequest, Error> {
    validate::bucket_name(&input.bucket_name)?;
    let key = validate::folder_path("folder_path", &input.folder_path)?;
    // Content-MD5 as every put sends it (see `put_object`): the MD5 of no bytes.
    Ok(OpRequest::new(Method::Put, Some(&input.bucket_name), Some(&key))
        .with_header("content-type", FOLDER_CONTENT_TYPE)
        .with_header("content-md5", &content_md5(b"")))
}

/// Parses a successful answer: the marker's ETag and version id.
pub fn parse(response: &HttpResponse, key: &str) -> Result<CreateFolderOutput, Error> {
    Ok(CreateFolderOutput {
        key: key.to_owned(),
        etag: response.header("etag").map(str::to_owned),
        version_id: response.header("x-amz-version-id").map(str::to_owned),
    })
}

/// Runs Create Folder.
pub fn run(client: &mut Client<'_>, input: &CreateFolderInput) -> Result<CreateFolderOutput, Error> {
    let request = request(input)?;
    let response = client.send(&request)?;
    parse(&response, request.key.as_deref().unwrap_or_default())
}

/// Create Folder.
pub struct CreateFolder;

impl crate::ops::Op for CreateFolder {
    type Input = CreateFolderInput;
    type Output = CreateFolderOutput;
    const NAME: &'static str = "create-folder";
    const TITLE: &'static str = "Create Folder";
    const DESCRIPTION: &'static str = "Creates a folder as the S3 console does: an empty object whose key \
        is the folder's path with a trailing `/`. What the folder holds is not touched.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:PutObject"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "folder_path": "reports/2026"}"#;

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

    fn input(path: &str) -> CreateFolderInput {
        CreateFolderInput {
            bucket_name: "my-bucket".into(),
            folder_path: path.into(),
        }
    }

    #[test]
    fn request_puts_an_empty_directory_object_ending_in_slash() {
        for path in ["reports/2026", "reports/2026/"] {
            let request = request(&input(path)).unwrap();
            assert_eq!(request.method, Method::Put);
            assert_eq!(request.bucket.as_deref(), Some("my-bucket"));
            assert_eq!(request.key.as_deref(), Some("reports/2026/"), "{path:?}");
            assert!(request.query.is_empty());
            assert!(request.body.is_empty());
            assert_eq!(
                request.headers,
                [
                    ("content-type".to_owned(), "application/x-directory".to_owned()),
                    ("content-md5".to_owned(), "1B2M2Y8AsgTpgAmY7PhCfg==".to_owned()),
                ]
            );
            assert!(request.idempotent);
        }
    }

    #[test]
    fn run_sends_the_marker_and_returns_its_key_etag_and_version() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[
                ("etag", "\"d41d8cd98f00b204e9800998ecf8427e\""),
                ("x-amz-version-id", "v1"),
            ],
            b"",
        );
        let output = with_client(&mut transport, Operation::CreateFolder, |c| {
            run(c, &input("a b/ü"))
        })
        .unwrap();
        assert_eq!(
            output,
            CreateFolderOutput {
                key: "a b/ü/".into(),
                etag: Some("\"d41d8cd98f00b204e9800998ecf8427e\"".into()),
                version_id: Some("v1".into()),
            }
        );
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Put);
        assert_eq!(sent.url(), "http://127.0.0.1:9000/my-bucket/a%20b/%C3%BC/");
        assert_eq!(sent.header("content-type"), Some("application/x-directory"));
        assert!(sent.body.is_empty());
    }

    #[test]
    fn an_answer_without_etag_or_version_still_succeeds() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], b"");
        let output = with_client(&mut transport, Operation::CreateFolder, |c| run(c, &input("x"))).unwrap();
        assert_eq!(output.key, "x/");
        assert_eq!((output.etag, output.version_id), (None, None));
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let cases = [
            ("my-bucket", "", "folder_path"),
            ("my-bucket", "/", "folder_path"),
            ("my-bucket", "a//b", "folder_path"),
            ("my-bucket", "/a", "folder_path"),
            ("Bad Bucket", "a", "bucket_name"),
        ];
        for (bucket, path, expected) in cases {
            let mut transport = FakeTransport::default();
            let bad = CreateFolderInput {
                bucket_name: bucket.into(),
                folder_path: path.into(),
            };
            match with_client(&mut transport, Operation::CreateFolder, |c| run(c, &bad))
                .map_err(Error::into_kind)
            {
                Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, expected, "{path:?}"),
                other => panic!("{path:?}: expected invalid input, got {other:?}"),
            }
            assert!(transport.sent.is_empty());
        }
    }

    #[test]
    fn denied_put_names_put_object() {
        let mut transport = FakeTransport::default();
        transport.answer(403, &[], b"");
        match with_client(&mut transport, Operation::CreateFolder, |c| run(c, &input("x")))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:PutObject"));
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }
}
