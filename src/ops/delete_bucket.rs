//! Delete Bucket: remove an empty bucket or, with `force`, empty it first.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html>
//!
//! S3 deletes only an empty bucket: one that still holds an object, an
//! object version or a delete marker answers 409 `BucketNotEmpty`. With
//! `force` the bucket is emptied first:
//! 1. every unfinished multipart upload is aborted (its parts are stored
//!    apart from the objects, and an upload completed meanwhile would put
//!    an object back);
//! 2. every version and delete marker is deleted, 1000 per Delete Multiple
//!    Objects request, page after page of List Object Versions. Each page
//!    is listed from the start again, as what came before it is gone (a
//!    marker naming a version just deleted is not understood by every
//!    server). A server without List Object Versions (501, such as one that
//!    has no versioning) is emptied through List Bucket Objects instead;
//! 3. the bucket is deleted.
//!
//! A key S3 does not delete stops the call with a `bucket-not-empty`
//! service error naming the keys and S3's reason for each; the bucket is
//! left in place, without what was deleted up to then.

use crate::client::Client;

use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::{Error, ErrorCode, ErrorKind, ServiceError};
use crate::http::{Method, OpRequest};
use crate::model::{DeleteOutcome, ListMultipartUploadsInput, ListObjectsInput, ObjectIdentifier, ObjectRef};
use crate::ops::list_object_versions::{self, ListObjectVersionsInput};
use crate::ops::{delete_object, delete_objects, list_multipart_uploads, list_objects, multipart};
use crate::validate;
use crate::xml;

/// The JSON input of Delete Bucket.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteBucketInput {
    /// The bucket.
    pub bucket_name: String,
    /// Empty the bucket first: abort its unfinished multipart uploads and
    /// delete every object version and delete marker. Irreversible.
    #[serde(default)]
    pub force: bool,
}

/// The JSON output of Delete Bucket.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeleteBucketOutput {
    /// Always true: a failure is an error instead.
    pub success: bool,
    /// With `force`: the object versions and delete markers deleted
    /// (objects, on a server without versions). 0 without `force`.
    pub deleted_objects: u64,
}

/// How many keys a failure names before it counts the rest.
const NAMED_FAILURES: usize = 10;

/// Builds `DELETE /{bucket}`.
pub fn request(bucket_name: &str) -> Result<OpRequest, Error> {
    validate::bucket_name(bucket_name)?;
    Ok(OpRequest::new(Method::Delete, Some(bucket_name), None))
}

/// Runs Delete Bucket.
pub fn run(client: &mut Client<'_>, input: &DeleteBucketInput) -> Result<DeleteBucketOutput, Error> {
    let request = request(&input.bucket_name)?;
    let deleted_objects = if input.force {
        let aborted = abort_uploads(client, &input.bucket_name)?;
        empty(client, &input.bucket_name, aborted)?
    } else {
        0
    };
    match client.send(&request) {
        Ok(_) => {}
        // A retry after a lost answer finds the bucket it deleted gone.
        Err(error)
            if matches!(error.kind(), ErrorKind::Service(e)
                if e.code == ErrorCode::NoSuchBucket && e.attempts > 1) => {}
        Err(error) => return Err(error),
    }
    Ok(DeleteBucketOutput {
        success: true,
        deleted_objects,
    })
}

/// Whether S3's answer means the server has no such operation.
fn not_implemented(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Service(e) if e.code == ErrorCode::NotImplemented || e.status == 501)
}

/// Reports the uploads aborted and the versions deleted so far as the
/// call's progress: emptying a bucket of any size may take as long as its
/// steps complete, whatever a host's per-call deadline.
fn report(client: &mut Client<'_>, removed: u64) {
    client.transport.progress(removed, None);
}

/// Aborts every unfinished multipart upload of `bucket`, a page at a time;
/// returns how many.
fn abort_uploads(client: &mut Client<'_>, bucket: &str) -> Result<u64, Error> {
    let listing = ListMultipartUploadsInput {
        bucket_name: bucket.to_owned(),
        prefix: None,
        max_total: Some(delete_objects::MAX_BATCH as u32),
    };
    // At most a page (1000) of uploads: a list costs less code than a set.
    let mut aborted: Vec<(String, String)> = Vec::new();
    let mut count = 0u64;
    loop {
        let uploads = match list_multipart_uploads::run(client, &listing) {
            Ok(uploads) => uploads,
            // No uploads to be seen: the bucket's deletion says if any are left.
            Err(error) if not_implemented(&error) => return Ok(count),
            Err(error) => return Err(error),
        };
        if uploads.is_empty() {
            return Ok(count);
        }
        let mut round = Vec::new();
        for upload in uploads {
            let id = (upload.key, upload.upload_id);
            if aborted.contains(&id) {
                return Err(Error::invalid_response(format!(
                    "List Multipart Uploads still names upload `{}` of `{}` after it was aborted; \
                     stopping rather than looping",
                    id.1, id.0
                )));
            }
            match client.send(&multipart::abort_request(bucket, &id.0, &id.1)?) {
                Ok(_) => {}
                // Completed or aborted by someone else meanwhile: gone all the same.
                Err(error)
                    if matches!(error.kind(), ErrorKind::Service(e)
                        if e.code == ErrorCode::NoSuchUpload) => {}
                Err(error) => return Err(error),
            }
            round.push(id);
            count += 1;
            report(client, count);
        }
        aborted = round;
    }
}

/// Deletes every version and delete marker of `bucket` (every object, on a
/// server without List Object Versions); returns how many. `aborted`
/// uploads came before, for the progress reported.
fn empty(client: &mut Client<'_>, bucket: &str, aborted: u64) -> Result<u64, Error> {
    let listing = ListObjectVersionsInput {
        bucket_name: bucket.to_owned(),
        ..ListObjectVersionsInput::default()
    };
    let page_size = Some(delete_objects::MAX_BATCH as u32);
    let mut deleted = 0u64;
    let mut previous: Vec<ObjectIdentifier> = Vec::new();
    loop {
        let request = list_object_versions::page_request(&listing, None, page_size)?;
        let page = match client.send(&request) {
            Ok(response) => list_object_versions::parse(&response)?,
            Err(error) if deleted == 0 && not_implemented(&error) => {
                return empty_unversioned(client, bucket, aborted)
            }
            Err(error) => return Err(error),
        };
        let batch: Vec<ObjectIdentifier> = page
            .versions
            .into_iter()
            .map(|v| (v.key, v.version_id))
            .chain(page.delete_markers.into_iter().map(|m| (m.key, m.version_id)))
            .map(|(key, version_id)| ObjectIdentifier {
                key,
                version_id: Some(version_id),
            })
            .collect();
        if batch.is_empty() {
            return Ok(deleted);
        }
        stalled(&previous, &batch)?;
        deleted += delete_all(client, bucket, &batch)?;
        report(client, aborted + deleted);
        previous = batch;
    }
}

/// [`empty`] for a server without versions: every object, by key.
fn empty_unversioned(client: &mut Client<'_>, bucket: &str, aborted: u64) -> Result<u64, Error> {
    let listing = ListObjectsInput {
        bucket_name: bucket.to_owned(),
        ..ListObjectsInput::default()
    };
    let page_size = Some(delete_objects::MAX_BATCH as u32);
    let mut deleted = 0u64;
    let mut previous: Vec<ObjectIdentifier> = Vec::new();
    loop {
        let request = list_objects::page_request(&listing, None, page_size)?;
        let page = list_objects::parse(&client.send(&request)?)?;
        let batch: Vec<ObjectIdentifier> = page
            .objects
            .into_iter()
            .map(|object| ObjectIdentifier {
                key: object.key,
                version_id: None,
            })
            .collect();
        if batch.is_empty() {
            return Ok(deleted);
        }
        stalled(&previous, &batch)?;
        deleted += delete_all(client, bucket, &batch)?;
        report(client, aborted + deleted);
        previous = batch;
    }
}

/// Refuses a listing that names again what the last batch deleted: the
/// server did not delete it after all, and listing on would loop.
fn stalled(previous: &[ObjectIdentifier], batch: &[ObjectIdentifier]) -> Result<(), Error> {
    match batch.iter().find(|object| previous.contains(object)) {
        None => Ok(()),
        Some(object) => Err(Error::invalid_response(format!(
            "the listing still names `{}`{} after it was deleted; stopping rather than looping",
            object.key,
            object
                .version_id
                .as_ref()
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default()
        ))),
    }
}

/// One key that was not deleted, and why.
struct Failure {
    key: String,
    version_id: Option<String>,
    code: ErrorCode,
    message: String,
}

/// Deletes `objects` of `bucket`, 1000 per Delete Multiple Objects
/// request; a key that XML 1.0 cannot carry goes alone through Delete
/// Object. Returns how many were deleted, or the error naming those that
/// were not.
fn delete_all(client: &mut Client<'_>, bucket: &str, objects: &[ObjectIdentifier]) -> Result<u64, Error> {
    let (batchable, awkward): (Vec<&ObjectIdentifier>, Vec<&ObjectIdentifier>) =
        objects.iter().partition(|object| xml_can_carry(object));
    let mut failures = Vec::new();
    let batchable: Vec<ObjectIdentifier> = batchable.into_iter().cloned().collect();
    for batch in batchable.chunks(delete_objects::MAX_BATCH) {
        let request = delete_objects::request(bucket, batch)?;
        let entries = delete_objects::parse(&client.send(&request)?)?;
        for result in delete_objects::match_results(batch, &entries) {
            if let DeleteOutcome::Failed { code, message } = result.outcome {
                failures.push(Failure {
                    key: result.key,
                    version_id: result.version_id,
                    code,
                    message,
                });
            }
        }
    }
    for object in awkward {
        let one = ObjectRef {
            bucket_name: bucket.to_owned(),
            object_path: object.key.clone(),
            version_id: object.version_id.clone(),
        };
        match client
            .send(&delete_object::request(&one)?)
            .map_err(Error::into_kind)
        {
            Ok(_) => {}
            Err(ErrorKind::Service(error)) => failures.push(Failure {
                key: object.key.clone(),
                version_id: object.version_id.clone(),
                code: error.code,
                message: error.message,
            }),
            Err(error) => return Err(error.into()),
        }
    }
    if failures.is_empty() {
        Ok(objects.len() as u64)
    } else {
        Err(not_emptied(bucket, &failures))
    }
}

/// Whether Delete Multiple Objects can name `object`: XML 1.0 has no way to
/// write some characters (U+0001, say) that a key may hold.
fn xml_can_carry(object: &ObjectIdentifier) -> bool {
    let mut scratch = String::new();
    xml::escape_text_into(&mut scratch, &object.key).is_ok()
        && object
            .version_id
            .as_deref()
            .is_none_or(|version| xml::escape_text_into(&mut scratch, version).is_ok())
}

/// The error for keys that were not deleted: the bucket is not empty.
fn not_emptied(bucket: &str, failures: &[Failure]) -> Error {
    // Written out in one string rather than joined: the component's only
    // join of `String`s would be code of its own.
    let mut named = String::new();
    for f in failures.iter().take(NAMED_FAILURES) {
        if !named.is_empty() {
            named.push_str("; ");
        }
        let version = f
            .version_id
            .as_ref()
            .map(|v| format!(" (version {v})"))
            .unwrap_or_default();
        named.push_str(&format!(
            "`{}`{version}: {} {}",
            f.key,
            f.code.as_str(),
            f.message
        ));
    }
    let more = match failures.len().saturating_sub(NAMED_FAILURES) {
        0 => String::new(),
        n => format!("; and {n} more"),
    };
    Error::service(ServiceError {
        status: 409,
        code: ErrorCode::BucketNotEmpty,
        message: format!(
            "the bucket was not deleted: {} of its keys could not be deleted: {}{more}",
            failures.len(),
            named
        ),
        request_id: None,
        resource: Some(format!("/{bucket}")),
        region: None,
        required_permission: None,
        attempts: 1,
    })
}

/// Delete Bucket.
pub struct DeleteBucket;

impl crate::ops::Op for DeleteBucket {
    type Input = DeleteBucketInput;
    type Output = DeleteBucketOutput;
    const NAME: &'static str = "delete-bucket";
    const TITLE: &'static str = "Delete Bucket";
    const DESCRIPTION: &'static str = "Deletes a bucket. One that is not empty is the service error \
        `bucket-not-empty`, unless `force` empties it first: every unfinished multipart upload aborted, \
        every object version and delete marker deleted.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html";
    const PERMISSIONS: &'static [&'static str] = &[
        "s3:DeleteBucket",
        "s3:ListBucketVersions",
        "s3:ListBucket",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:ListBucketMultipartUploads",
        "s3:AbortMultipartUpload",
    ];
    const IDEMPOTENT: bool = false;
    // The bucket the Create Bucket example makes: deleting `my-bucket`
    // would take the other examples' keys with it.
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-new-bucket"}"#;

    fn permission(request: &OpRequest) -> &'static str {
        let has = |name: &str| request.query.iter().any(|(n, _)| n == name);
        match request.method {
            Method::Get if has("versions") => "s3:ListBucketVersions",
            Method::Get if has("uploads") => "s3:ListBucketMultipartUploads",
            Method::Get => "s3:ListBucket",
            Method::Post => "s3:DeleteObject, s3:DeleteObjectVersion",
            Method::Delete if has("uploadId") => "s3:AbortMultipartUpload",
            Method::Delete if request.key.is_some() => {
                crate::ops::versioned(request, "s3:DeleteObject", "s3:DeleteObjectVersion")
            }
            _ => "s3:DeleteBucket",
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
    use crate::http::HttpRequest;
    use crate::ops::Operation;

    const NOT_EMPTY: &[u8] = b"<Error><Code>BucketNotEmpty</Code><Message>The bucket you tried to \
        delete is not empty</Message></Error>";
    const NO_UPLOADS: &[u8] = b"<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
        </ListMultipartUploadsResult>";
    const NO_VERSIONS: &[u8] = b"<ListVersionsResult><IsTruncated>false</IsTruncated></ListVersionsResult>";
    const NOT_IMPLEMENTED: &[u8] = b"<Error><Code>NotImplemented</Code><Message>not here</Message></Error>";

    fn input(force: bool) -> DeleteBucketInput {
        DeleteBucketInput {
            bucket_name: "my-bucket".into(),
            force,
        }
    }

    fn delete(t: &mut FakeTransport, force: bool) -> Result<DeleteBucketOutput, Error> {
        with_client(t, Operation::DeleteBucket, |c| run(c, &input(force)))
    }

    /// Method and URL of each request sent.
    fn sent(t: &FakeTransport) -> Vec<String> {
        t.sent
            .iter()
            .map(|r: &HttpRequest| format!("{} {}", r.method.as_str(), r.url()))
            .collect()
    }

    fn versions_page(entries: &[(&str, &str, bool)]) -> Vec<u8> {
        let mut body = String::from("<ListVersionsResult><IsTruncated>true</IsTruncated>");
        for (key, version, marker) in entries {
            if *marker {
                body.push_str(&format!(
                    "<DeleteMarker><Key>{key}</Key><VersionId>{version}</VersionId></DeleteMarker>"
                ));
            } else {
                body.push_str(&format!(
                    "<Version><Key>{key}</Key><VersionId>{version}</VersionId><Size>1</Size></Version>"
                ));
            }
        }
        body.push_str("</ListVersionsResult>");
        body.into_bytes()
    }

    fn deleted(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut body = String::from("<DeleteResult>");
        for (key, version) in entries {
            body.push_str(&format!(
                "<Deleted><Key>{key}</Key><VersionId>{version}</VersionId></Deleted>"
            ));
        }
        body.push_str("</DeleteResult>");
        body.into_bytes()
    }

    #[test]
    fn without_force_it_is_one_delete() {
        let mut t = FakeTransport::default();
        t.answer(204, &[], b"");
        let output = delete(&mut t, false).unwrap();
        assert_eq!(
            output,
            DeleteBucketOutput {
                success: true,
                deleted_objects: 0,
            }
        );
        assert_eq!(sent(&t), ["DELETE http://127.0.0.1:9000/my-bucket"]);
    }

    #[test]
    fn a_bucket_not_empty_is_its_typed_error() {
        let mut t = FakeTransport::default();
        t.answer(409, &[], NOT_EMPTY);
        match delete(&mut t, false).map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::BucketNotEmpty);
                assert_eq!(error.status, 409);
            }
            other => panic!("expected BucketNotEmpty, got {other:?}"),
        }
        assert_eq!(t.sent.len(), 1);
    }

    #[test]
    fn a_retry_that_finds_the_bucket_gone_is_a_success() {
        let mut t = FakeTransport::default();
        t.answer(500, &[], b"").answer(
            404,
            &[],
            b"<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>",
        );
        assert!(delete(&mut t, false).unwrap().success);
        // A bucket missing at the first attempt stays an error.
        let mut t = FakeTransport::default();
        t.answer(
            404,
            &[],
            b"<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>",
        );
        assert!(matches!(
            delete(&mut t, false).map_err(Error::into_kind),
            Err(ErrorKind::Service(ref e)) if e.code == ErrorCode::NoSuchBucket
        ));
    }

    #[test]
    fn force_aborts_uploads_deletes_versions_and_markers_then_the_bucket() {
        let mut t = FakeTransport::default();
        t.answer(
            200,
            &[],
            b"<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
              <Upload><Key>big/a b</Key><UploadId>U1</UploadId></Upload></ListMultipartUploadsResult>",
        )
        .answer(204, &[], b"")
        .answer(200, &[], NO_UPLOADS)
        .answer(
            200,
            &[],
            &versions_page(&[
                ("a.txt", "v2", true),
                ("a.txt", "v1", false),
                ("b.txt", "v3", false),
            ]),
        )
        .answer(
            200,
            &[],
            &deleted(&[("a.txt", "v2"), ("a.txt", "v1"), ("b.txt", "v3")]),
        )
        .answer(200, &[], NO_VERSIONS)
        .answer(204, &[], b"");
        let output = delete(&mut t, true).unwrap();
        assert_eq!(output.deleted_objects, 3);
        // Each upload aborted, then each page of versions deleted, counted
        // together: a host's per-call deadline holds for each step.
        assert_eq!(t.progress, [(1, None), (4, None)]);
        assert_eq!(
            sent(&t),
            [
                "GET http://127.0.0.1:9000/my-bucket?uploads=",
                "DELETE http://127.0.0.1:9000/my-bucket/big/a%20b?uploadId=U1",
                "GET http://127.0.0.1:9000/my-bucket?uploads=",
                "GET http://127.0.0.1:9000/my-bucket?encoding-type=url&max-keys=1000&versions=",
                "POST http://127.0.0.1:9000/my-bucket?delete=",
                "GET http://127.0.0.1:9000/my-bucket?encoding-type=url&max-keys=1000&versions=",
                "DELETE http://127.0.0.1:9000/my-bucket",
            ]
        );
        let body = String::from_utf8(t.sent[4].body.to_vec()).unwrap();
        for part in [
            "<Object><Key>a.txt</Key><VersionId>v2</VersionId></Object>",
            "<Object><Key>a.txt</Key><VersionId>v1</VersionId></Object>",
            "<Object><Key>b.txt</Key><VersionId>v3</VersionId></Object>",
        ] {
            assert!(body.contains(part), "{body}");
        }
        assert!(t.sent[4].header("content-md5").is_some());
    }

    #[test]
    fn a_key_not_deleted_stops_the_call_naming_it() {
        let mut t = FakeTransport::default();
        t.answer(200, &[], NO_UPLOADS)
            .answer(
                200,
                &[],
                &versions_page(&[("a.txt", "v1", false), ("locked.txt", "v2", false)]),
            )
            .answer(
                200,
                &[],
                b"<DeleteResult><Deleted><Key>a.txt</Key><VersionId>v1</VersionId></Deleted>\
                  <Error><Key>locked.txt</Key><VersionId>v2</VersionId><Code>AccessDenied</Code>\
                  <Message>Access Denied</Message></Error></DeleteResult>",
            );
        match delete(&mut t, true).map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::BucketNotEmpty);
                assert!(
                    error.message.contains("`locked.txt` (version v2): AccessDenied"),
                    "{}",
                    error.message
                );
                assert!(!error.message.contains("a.txt"), "{}", error.message);
            }
            other => panic!("expected BucketNotEmpty, got {other:?}"),
        }
        assert_eq!(t.sent.len(), 3, "the bucket is not deleted");
    }

    #[test]
    fn many_failures_are_counted_past_the_first_ten() {
        let failures: Vec<Failure> = (0..25)
            .map(|n| Failure {
                key: format!("k{n}"),
                version_id: None,
                code: ErrorCode::AccessDenied,
                message: "no".into(),
            })
            .collect();
        let ErrorKind::Service(error) = not_emptied("b", &failures).into_kind() else {
            panic!("a service error");
        };
        assert!(error.message.contains("25 of its keys"), "{}", error.message);
        assert!(error.message.contains("`k9`") && !error.message.contains("`k10`"));
        assert!(error.message.ends_with("and 15 more"), "{}", error.message);
    }

    #[test]
    fn a_server_without_versions_is_emptied_by_key() {
        let mut t = FakeTransport::default();
        t.answer(200, &[], NO_UPLOADS)
            .answer(501, &[], NOT_IMPLEMENTED)
            .answer(
                200,
                &[],
                b"<ListBucketResult><IsTruncated>false</IsTruncated>\
                  <Contents><Key>a.txt</Key><Size>1</Size></Contents></ListBucketResult>",
            )
            .answer(
                200,
                &[],
                b"<DeleteResult><Deleted><Key>a.txt</Key></Deleted></DeleteResult>",
            )
            .answer(
                200,
                &[],
                b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
            )
            .answer(204, &[], b"");
        assert_eq!(delete(&mut t, true).unwrap().deleted_objects, 1);
        assert_eq!(t.progress, [(1, None)]);
        assert_eq!(
            sent(&t)[2],
            "GET http://127.0.0.1:9000/my-bucket?encoding-type=url&list-type=2&max-keys=1000"
        );
        let body = String::from_utf8(t.sent[3].body.to_vec()).unwrap();
        assert!(body.contains("<Object><Key>a.txt</Key></Object>"), "{body}");
    }

    #[test]
    fn a_server_without_upload_listing_is_still_emptied() {
        let mut t = FakeTransport::default();
        t.answer(501, &[], NOT_IMPLEMENTED)
            .answer(200, &[], NO_VERSIONS)
            .answer(204, &[], b"");
        assert_eq!(delete(&mut t, true).unwrap().deleted_objects, 0);
        assert_eq!(t.sent.len(), 3);
    }

    #[test]
    fn a_listing_that_names_deleted_versions_again_is_an_error_not_a_loop() {
        let page = versions_page(&[("a.txt", "v1", false)]);
        let mut t = FakeTransport::default();
        t.answer(200, &[], NO_UPLOADS)
            .answer(200, &[], &page)
            .answer(200, &[], &deleted(&[("a.txt", "v1")]))
            .answer(200, &[], &page);
        let error = delete(&mut t, true).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidResponse(m) if m.contains("`a.txt` (version v1)")),
            "{error:?}"
        );
        assert_eq!(t.sent.len(), 4);
    }

    #[test]
    fn a_key_xml_cannot_carry_is_deleted_alone() {
        let mut t = FakeTransport::default();
        t.answer(200, &[], NO_UPLOADS)
            .answer(
                200,
                &[],
                b"<ListVersionsResult><IsTruncated>false</IsTruncated>\
                  <Version><Key>odd%01key</Key><VersionId>v1</VersionId><Size>1</Size></Version>\
                  <EncodingType>url</EncodingType></ListVersionsResult>",
            )
            .answer(204, &[], b"")
            .answer(200, &[], NO_VERSIONS)
            .answer(204, &[], b"");
        assert_eq!(delete(&mut t, true).unwrap().deleted_objects, 1);
        assert_eq!(
            sent(&t)[2],
            "DELETE http://127.0.0.1:9000/my-bucket/odd%01key?versionId=v1"
        );
    }

    #[test]
    fn access_denied_names_the_permission_of_the_step() {
        let denied = b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
        let steps: [(&[&[u8]], &str); 4] = [
            (&[], "s3:ListBucketMultipartUploads"),
            (&[NO_UPLOADS], "s3:ListBucketVersions"),
            (
                &[NO_UPLOADS, &versions_page(&[("a", "v1", false)])],
                "s3:DeleteObject, s3:DeleteObjectVersion",
            ),
            (&[NO_UPLOADS, NO_VERSIONS], "s3:DeleteBucket"),
        ];
        for (before, permission) in steps {
            let mut t = FakeTransport::default();
            for body in before {
                t.answer(200, &[], body);
            }
            t.answer(403, &[], denied);
            match delete(&mut t, true).map_err(Error::into_kind) {
                Err(ErrorKind::Service(error)) => {
                    assert_eq!(error.required_permission.as_deref(), Some(permission));
                }
                other => panic!("{permission}: expected access denied, got {other:?}"),
            }
        }
        let abort = multipart::abort_request("b-1", "k", "U").unwrap();
        assert_eq!(
            Operation::DeleteBucket.required_permission(&abort),
            "s3:AbortMultipartUpload"
        );
        let list = list_objects::page_request(
            &ListObjectsInput {
                bucket_name: "b-1".into(),
                ..ListObjectsInput::default()
            },
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            Operation::DeleteBucket.required_permission(&list),
            "s3:ListBucket"
        );
    }

    #[test]
    fn a_bad_name_is_refused_before_sending() {
        let mut t = FakeTransport::default();
        let result = with_client(&mut t, Operation::DeleteBucket, |c| {
            run(
                c,
                &DeleteBucketInput {
                    bucket_name: "UPPER".into(),
                    force: true,
                },
            )
        });
        assert!(matches!(
            result.map_err(Error::into_kind),
            Err(ErrorKind::InvalidInput { ref field, .. }) if field == "bucket_name"
        ));
        assert!(t.sent.is_empty());
    }
}
