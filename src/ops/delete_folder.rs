//! Delete Folder: every object whose key starts with the folder's path,
//! its marker included.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html>
//!
//! S3 has no folders (see [`create_folder`]), so deleting one is deleting
//! every key under its prefix: the keys are listed a page (1000 keys) at a
//! time with [`list_objects`] and each page is deleted in one Delete
//! Multiple Objects request with [`delete_objects`]. A key that XML 1.0
//! cannot carry (one holding U+0001, say) cannot be named in that request's
//! body, so it is deleted alone with Delete Object. Only the current
//! objects are deleted: on a versioned bucket each gets a delete marker and
//! its older versions stay, as when the S3 console deletes a folder.
//!
//! A key S3 does not delete is reported with S3's code and message. When
//! no key of a page could be deleted (no permission, say), the call stops
//! there rather than list the rest only to fail again: `failed` then counts
//! the keys tried. A request that fails as a whole (the listing, or a
//! batch S3 refuses) ends the call with its error; what earlier pages
//! deleted stays deleted, and running the call again carries on, since
//! deleting is idempotent.
//!
//! [`create_folder`]: crate::ops::create_folder

use crate::client::Client;

use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::{Error, ErrorKind};
use crate::http::{Method, OpRequest};
use crate::model::{DeleteObjectsInput, DeleteOutcome, ListObjectsInput, ObjectIdentifier, ObjectRef};
use crate::ops::{delete_object, delete_objects, list_objects};
use crate::validate;
use crate::xml;

/// Input of Delete Folder.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteFolderInput {
    /// Bucket.
    pub bucket_name: String,
    /// The folder to delete with everything in it (`reports/2026`); never empty.
    pub folder_path: String,
}

/// Output of Delete Folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeleteFolderOutput {
    /// Keys deleted.
    pub deleted: usize,
    /// Keys not deleted.
    pub failed: usize,
    /// The keys not deleted, and why; empty when every key was deleted.
    pub results: Vec<FailedKey>,
}

/// A key that was not deleted.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FailedKey {
    /// Key.
    pub key: String,
    /// S3's code (`AccessDenied`).
    pub code: String,
    /// S3's message.
    pub message: String,
}

/// The folder's prefix, after checking the input.
pub fn prefix(input: &DeleteFolderInput) -> Result<String, Error> {
    validate::bucket_name(&input.bucket_name)?;
    if input.folder_path.is_empty() {
        return Err(Error::invalid_input(
            "folder_path",
            "is empty, which would name every key of the bucket; give the folder to delete, such as \
             `reports/2026`",
        ));
    }
    validate::folder_path("folder_path", &input.folder_path)
}

/// The listing of the page of keys under `prefix` at `continuation_token`.
pub fn listing(bucket_name: &str, prefix: &str, continuation_token: Option<String>) -> ListObjectsInput {
    ListObjectsInput {
        bucket_name: bucket_name.to_owned(),
        prefix: Some(prefix.to_owned()),
        continuation_token,
        ..ListObjectsInput::default()
    }
}

/// Runs Delete Folder.
pub fn run(client: &mut Client<'_>, input: &DeleteFolderInput) -> Result<DeleteFolderOutput, Error> {
    let prefix = prefix(input)?;
    let mut output = DeleteFolderOutput::default();
    let mut token: Option<String> = None;
    // Every token answered so far: one sent again would loop for ever.
    // A list searched through: a token per page, each the cost of a
    // request, and less code in the component than a set.
    let mut seen: Vec<String> = Vec::new();
    loop {
        let listing = listing(&input.bucket_name, &prefix, token.take());
        let page = list_objects::parse(&client.send(&list_objects::request(&listing)?)?)?;
        let (deleted_before, failed_before) = (output.deleted, output.failed);
        let keys: Vec<String> = page.objects.into_iter().map(|object| object.key).collect();
        delete_page(client, &input.bucket_name, keys, &mut output)?;
        // The keys dealt with so far: a folder of any size may take as long
        // as its pages are deleted, whatever a host's per-call deadline.
        client
            .transport
            .progress((output.deleted + output.failed) as u64, None);
        let stuck = output.deleted == deleted_before && output.failed > failed_before;
        if !page.is_truncated || stuck {
            return Ok(output);
        }
        let next = page.next_continuation_token.ok_or_else(|| {
            Error::invalid_response(
                "the listing is truncated (<IsTruncated>true</IsTruncated>) but has no \
                 <NextContinuationToken> to go on",
            )
        })?;
        if seen.contains(&next) {
            return Err(Error::invalid_response(
                "the listing answered the same continuation token twice; stopping rather than looping",
            ));
        }
        seen.push(next.clone());
        token = Some(next);
    }
}

/// Deletes one page of keys: those XML can carry in one Delete Multiple
/// Objects request, the others one by one.
fn delete_page(
    client: &mut Client<'_>,
    bucket_name: &str,
    keys: Vec<String>,
    output: &mut DeleteFolderOutput,
) -> Result<(), Error> {
    let mut scratch = String::new();
    let (batch, alone): (Vec<String>, Vec<String>) = keys.into_iter().partition(|key| {
        scratch.clear();
        xml::escape_text_into(&mut scratch, key).is_ok()
    });
    if !batch.is_empty() {
        let batch = DeleteObjectsInput {
            bucket_name: bucket_name.to_owned(),
            object_keys: batch
                .into_iter()
                .map(|key| ObjectIdentifier {
                    key,
                    version_id: None,
                })
                .collect(),
        };
        for result in delete_objects::run(client, &batch)? {
            match result.outcome {
                DeleteOutcome::Deleted => output.deleted += 1,
                DeleteOutcome::Failed { code, message } => output.results.push(FailedKey {
                    key: result.key,
                    code: code.name(),
                    message,
                }),
            }
        }
    }
    for key in alone {
        let object = ObjectRef {
            bucket_name: bucket_name.to_owned(),
            object_path: key,
            version_id: None,
        };
        match delete_object::run(client, &object) {
            Ok(_) => output.deleted += 1,
            Err(error) => {
                let (code, message) = failure_of(error);
                output.results.push(FailedKey {
                    key: object.object_path,
                    code,
                    message,
                });
            }
        }
    }
    output.failed = output.results.len();
    Ok(())
}

/// The code and message a key's failed Delete Object is reported with:
/// S3's, as for a key of a batch, or the kind of failure and its text.
fn failure_of(error: Error) -> (String, String) {
    let code = match error.kind() {
        ErrorKind::Service(service) => return (service.code.name(), service.message.clone()),
        ErrorKind::Transport { .. } => "TransportError",
        ErrorKind::InvalidResponse(_) => "InvalidResponse",
        ErrorKind::InvalidInput { .. } => "InvalidInput",
        ErrorKind::Body(_) | ErrorKind::UploadIncomplete(_) => "Body",
    };
    (code.to_owned(), error.to_string())
}

/// Delete Folder.
pub struct DeleteFolder;

impl crate::ops::Op for DeleteFolder {
    type Input = DeleteFolderInput;
    type Output = DeleteFolderOutput;
    const NAME: &'static str = "delete-folder";
    const TITLE: &'static str = "Delete Folder";
    const DESCRIPTION: &'static str = "Deletes a folder and everything in it: every object whose key \
        starts with the folder's path, its marker included, 1000 keys per request. Reports the keys S3 \
        did not delete.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:ListBucket", "s3:DeleteObject"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "folder_path": "reports/2026"}"#;

    /// Listing needs `s3:ListBucket`; deleting, `s3:DeleteObject`.
    fn permission(request: &OpRequest) -> &'static str {
        match request.method {
            Method::Get => "s3:ListBucket",
            _ => "s3:DeleteObject",
        }
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
    use crate::error::ErrorCode;
    use crate::ops::Operation;
    use crate::xml::{Path, Visitor};

    fn input(path: &str) -> DeleteFolderInput {
        DeleteFolderInput {
            bucket_name: "my-bucket".into(),
            folder_path: path.into(),
        }
    }

    /// A listing page of `keys`, URL-encoded as S3 sends them, with the
    /// token of the next page when there is one.
    fn page(keys: &[String], next: Option<&str>) -> Vec<u8> {
        let mut body = String::from("<ListBucketResult><EncodingType>url</EncodingType>");
        match next {
            Some(token) => body.push_str(&format!(
                "<IsTruncated>true</IsTruncated><NextContinuationToken>{token}</NextContinuationToken>"
            )),
            None => body.push_str("<IsTruncated>false</IsTruncated>"),
        }
        for key in keys {
            let encoded = percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC);
            body.push_str(&format!(
                "<Contents><Key>{encoded}</Key><Size>1</Size></Contents>"
            ));
        }
        body.push_str("</ListBucketResult>");
        body.into_bytes()
    }

    /// The keys named in a `<Delete>` body.
    fn keys_in(body: &[u8]) -> Vec<String> {
        struct Keys(Vec<String>);
        impl Visitor for Keys {
            fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
                if path.is(&["Object", "Key"]) {
                    self.0.push(text.to_owned());
                }
                Ok(())
            }
        }
        let mut keys = Keys(Vec::new());
        xml::walk(body, "Delete", &mut keys).unwrap();
        keys.0
    }

    /// A `<DeleteResult>` deleting `keys`, except `refused` (AccessDenied).
    fn result(keys: &[String], refused: &[&str]) -> Vec<u8> {
        let mut body = String::from("<DeleteResult>");
        for key in keys {
            let mut escaped = String::new();
            xml::escape_text_into(&mut escaped, key).unwrap();
            if refused.contains(&key.as_str()) {
                body.push_str(&format!(
                    "<Error><Key>{escaped}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                ));
            } else {
                body.push_str(&format!("<Deleted><Key>{escaped}</Key></Deleted>"));
            }
        }
        body.push_str("</DeleteResult>");
        body.into_bytes()
    }

    fn keys(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|n| format!("{prefix}{n:04}.csv")).collect()
    }

    #[test]
    fn every_page_is_listed_under_the_prefix_and_deleted_in_one_batch() {
        let first: Vec<String> = std::iter::once("reports/2026/".to_owned())
            .chain(keys("reports/2026/", 0..999))
            .collect();
        // The marker and 999 keys, then 501 keys.
        let second = keys("reports/2026/", 999..1500);
        let mut transport = FakeTransport::default();
        transport
            .answer(200, &[], &page(&first, Some("token-1")))
            .answer(200, &[], &result(&first, &[]))
            .answer(200, &[], &page(&second, None))
            .answer(200, &[], &result(&second, &[]));
        let output = with_client(&mut transport, Operation::DeleteFolder, |c| {
            run(c, &input("reports/2026"))
        })
        .unwrap();
        assert_eq!(
            output,
            DeleteFolderOutput {
                deleted: 1501,
                failed: 0,
                results: vec![],
            }
        );
        // The keys dealt with after each page: a host's per-call deadline
        // holds for each page rather than for the whole folder.
        assert_eq!(transport.progress, [(1000, None), (1501, None)]);
        let sent = &transport.sent;
        assert_eq!(sent.len(), 4);
        assert_eq!(
            sent[0].canonical_query(),
            "encoding-type=url&list-type=2&prefix=reports%2F2026%2F"
        );
        assert_eq!(
            sent[2].canonical_query(),
            "continuation-token=token-1&encoding-type=url&list-type=2&prefix=reports%2F2026%2F"
        );
        for (request, page) in [(&sent[1], &first), (&sent[3], &second)] {
            assert_eq!(request.method, Method::Post);
            assert_eq!(request.canonical_query(), "delete=");
            assert!(request.header("content-md5").is_some());
            assert_eq!(&keys_in(&request.body), page);
        }
    }

    #[test]
    fn an_empty_folder_sends_one_listing_and_no_delete() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &page(&[], None));
        let output = with_client(&mut transport, Operation::DeleteFolder, |c| {
            run(c, &input("gone"))
        })
        .unwrap();
        assert_eq!(output, DeleteFolderOutput::default());
        assert_eq!(transport.sent.len(), 1);
    }

    #[test]
    fn keys_s3_refuses_are_reported_and_the_rest_go_on() {
        let first = keys("a/", 0..3);
        let second = keys("a/", 3..5);
        let mut transport = FakeTransport::default();
        transport
            .answer(200, &[], &page(&first, Some("t")))
            .answer(200, &[], &result(&first, &["a/0001.csv"]))
            .answer(200, &[], &page(&second, None))
            .answer(200, &[], &result(&second, &[]));
        let output = with_client(&mut transport, Operation::DeleteFolder, |c| run(c, &input("a"))).unwrap();
        assert_eq!(output.deleted, 4);
        assert_eq!(output.failed, 1);
        assert_eq!(
            output.results,
            [FailedKey {
                key: "a/0001.csv".into(),
                code: "access-denied".into(),
                message: "Access Denied".into(),
            }]
        );
    }

    #[test]
    fn a_page_where_nothing_is_deleted_stops_the_call() {
        let first = keys("locked/", 0..2);
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &page(&first, Some("t"))).answer(
            200,
            &[],
            &result(&first, &["locked/0000.csv", "locked/0001.csv"]),
        );
        let output = with_client(&mut transport, Operation::DeleteFolder, |c| {
            run(c, &input("locked"))
        })
        .unwrap();
        assert_eq!((output.deleted, output.failed), (0, 2));
        assert_eq!(transport.sent.len(), 2, "the next page is not listed");
    }

    #[test]
    fn a_key_xml_cannot_carry_is_deleted_alone() {
        let listed = vec!["x/ok.txt".to_owned(), "x/bell\u{7}.txt".to_owned()];
        let mut transport = FakeTransport::default();
        transport
            .answer(200, &[], &page(&listed, None))
            .answer(200, &[], &result(&listed[..1], &[]))
            .answer(204, &[], b"");
        let output = with_client(&mut transport, Operation::DeleteFolder, |c| run(c, &input("x"))).unwrap();
        assert_eq!((output.deleted, output.failed), (2, 0));
        assert_eq!(keys_in(&transport.sent[1].body), ["x/ok.txt"]);
        assert_eq!(transport.sent[2].method, Method::Delete);
        assert_eq!(transport.sent[2].path, "/my-bucket/x/bell%07.txt");
    }

    #[test]
    fn a_key_deleted_alone_that_fails_is_reported() {
        let listed = vec!["x/bell\u{7}.txt".to_owned()];
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &page(&listed, None)).answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        let output = with_client(&mut transport, Operation::DeleteFolder, |c| run(c, &input("x"))).unwrap();
        assert_eq!((output.deleted, output.failed), (0, 1));
        assert_eq!(output.results[0].key, "x/bell\u{7}.txt");
        assert_eq!(output.results[0].code, "access-denied");
        assert_eq!(output.results[0].message, "Access Denied");
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let cases = [
            (input(""), "folder_path", "whole bucket"),
            (input("/"), "folder_path", "names no folder"),
            (input("a//b"), "folder_path", "//"),
            (
                DeleteFolderInput {
                    bucket_name: "Bad Bucket".into(),
                    folder_path: "a".into(),
                },
                "bucket_name",
                "",
            ),
        ];
        for (bad, expected, hint) in cases {
            let mut transport = FakeTransport::default();
            match with_client(&mut transport, Operation::DeleteFolder, |c| run(c, &bad))
                .map_err(Error::into_kind)
            {
                Err(ErrorKind::InvalidInput { field, message }) => {
                    assert_eq!(field, expected, "{bad:?}");
                    let hint_found = hint == "whole bucket" && message.contains("every key of the bucket")
                        || message.contains(hint);
                    assert!(hint_found, "{bad:?}: {message}");
                }
                other => panic!("{bad:?}: expected invalid input, got {other:?}"),
            }
            assert!(transport.sent.is_empty());
        }
    }

    #[test]
    fn a_listing_error_fails_the_call_naming_list_bucket() {
        let mut transport = FakeTransport::default();
        transport.answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        match with_client(&mut transport, Operation::DeleteFolder, |c| run(c, &input("a")))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:ListBucket"));
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }

    #[test]
    fn a_refused_batch_fails_the_call_naming_delete_object() {
        let listed = keys("a/", 0..2);
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &page(&listed, None)).answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        match with_client(&mut transport, Operation::DeleteFolder, |c| run(c, &input("a")))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:DeleteObject"));
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }

    #[test]
    fn a_repeated_token_is_an_error_not_a_loop() {
        let first = keys("a/", 0..1);
        let mut transport = FakeTransport::default();
        transport
            .answer(200, &[], &page(&first, Some("same")))
            .answer(200, &[], &result(&first, &[]))
            .answer(200, &[], &page(&first, Some("same")))
            .answer(200, &[], &result(&first, &[]));
        let error =
            with_client(&mut transport, Operation::DeleteFolder, |c| run(c, &input("a"))).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidResponse(_)), "{error:?}");
    }
}
