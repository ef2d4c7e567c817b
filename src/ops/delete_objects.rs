//! Delete Multiple Objects: one result per key, in input order.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html>
//!
//! S3 takes at most 1000 keys per request, so longer lists are sent in
//! batches of 1000; a call takes at most [`MAX_KEYS`] keys and
//! [`MAX_KEY_BYTES`] bytes of them. Every key is checked before the first
//! batch is sent.
//! The request is not quiet, so S3 names every key in its answer; a key it
//! leaves out is reported as failed (`MissingFromResponse`) rather than
//! assumed deleted.
//!
//! When the first batch fails as a whole (no such bucket, access denied),
//! the call fails. When a later batch fails, the keys of earlier batches
//! have been dealt with already, so the call returns their results, the
//! failed batch's keys with the error's code, and the keys not sent yet as
//! `NotAttempted`.

use crate::client::Client;
use crate::encode::Encode;
use crate::error::{Error, ErrorCode, ErrorKind};
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{DeleteObjectsInput, DeleteOutcome, DeleteResult, ObjectIdentifier};
use crate::quote::Quoted;
use crate::validate;
use crate::xml::{self, Path, Visitor};

/// The most keys S3 takes in one request.
pub const MAX_BATCH: usize = 1000;

/// The most keys one call takes. A call holds each key a few times over
/// (the input, each result, the output's text), so a longer list could
/// exhaust the component's memory: it is refused before anything is sent,
/// and goes in several calls (or, for a whole prefix, `delete-folder`).
pub const MAX_KEYS: usize = 100_000;

/// The most bytes of keys and version ids one call takes, for the same
/// reason: 100,000 keys of 168 bytes.
pub const MAX_KEY_BYTES: usize = 16 * 1024 * 1024;

/// What is wrong with a list of `count` keys whose keys and version ids
/// are `bytes` long in all, if it is longer than one call takes.
pub fn over_limits(count: usize, bytes: usize) -> Option<String> {
    let what = if count > MAX_KEYS {
        format!("has {count} keys")
    } else if bytes > MAX_KEY_BYTES {
        format!("has {bytes} bytes of keys and version ids")
    } else {
        return None;
    };
    Some(format!(
        "{what}; one call takes at most {MAX_KEYS} keys and {MAX_KEY_BYTES} bytes of them: split the \
         list over several calls, or delete a whole prefix with delete-folder"
    ))
}

/// The bytes of keys and version ids of `keys`, each a key and its
/// version id if it has one: what [`MAX_KEY_BYTES`] bounds (the host counts
/// a typed call's list with it too, before copying it in).
pub fn key_bytes<'a>(keys: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> usize {
    keys.into_iter()
        .map(|(key, version_id)| key.len() + version_id.map_or(0, str::len))
        .sum()
}

/// A key to delete as [`key_bytes`] takes it.
fn key_and_version(object: &ObjectIdentifier) -> (&str, Option<&str>) {
    (&object.key, object.version_id.as_deref())
}

/// The input field the keys come from, in WIT spelling.
const FIELD: &str = "object_keys";

/// One `<Deleted>` or `<Error>` entry of a `<DeleteResult>`, as S3 sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteEntry {
    /// `<Key>`
    pub key: String,
    /// `<VersionId>`: the version deleted or that failed.
    pub version_id: Option<String>,
    /// `<DeleteMarker>`: a delete marker was created or deleted.
    pub delete_marker: bool,
    /// `<DeleteMarkerVersionId>`: the version id of that marker.
    pub delete_marker_version_id: Option<String>,
    /// Deleted, or the `<Code>` and `<Message>` of the failure.
    pub outcome: DeleteOutcome,
}

/// Checks the whole input; nothing is sent when this fails.
pub fn validate(input: &DeleteObjectsInput) -> Result<(), Error> {
    validate::bucket_name(&input.bucket_name)?;
    if input.object_keys.is_empty() {
        return Err(Error::invalid_input(
            FIELD,
            "is empty; give at least one key to delete",
        ));
    }
    let bytes = key_bytes(input.object_keys.iter().map(key_and_version));
    if let Some(message) = over_limits(input.object_keys.len(), bytes) {
        return Err(Error::invalid_input(FIELD, message));
    }
    for (index, object) in input.object_keys.iter().enumerate() {
        validate_object(index, object)?;
    }
    Ok(())
}

fn validate_object(index: usize, object: &ObjectIdentifier) -> Result<(), Error> {
    let key = &object.key;
    validate::object_key(FIELD, key).map_err(|mut error| {
        if let ErrorKind::InvalidInput { message, .. } = error.kind_mut() {
            *message = format!("key {} (entry {index}) {message}", Quoted(key));
        }
        error
    })?;
    let mut scratch = String::new();
    if let Err(c) = xml::escape_text_into(&mut scratch, key) {
        return Err(Error::invalid_input(
            FIELD,
            format!(
                "key {} (entry {index}) has the character U+{:04X}, which XML 1.0 cannot carry, \
                 so Delete Multiple Objects cannot name it; delete it with Delete Object instead",
                Quoted(key),
                c as u32
            ),
        ));
    }
    if let Some(version) = &object.version_id {
        if let Err(c) = xml::escape_text_into(&mut scratch, version) {
            return Err(Error::invalid_input(
                FIELD,
                format!(
                    "the version id of key {} (entry {index}) has the character U+{:04X}, \
                     which XML 1.0 cannot carry",
                    Quoted(key),
                    c as u32
                ),
            ));
        }
    }
    Ok(())
}

/// An empty version id means "no version" (the current object).
fn version_of(object: &ObjectIdentifier) -> Option<&str> {
    object.version_id.as_deref().filter(|v| !v.is_empty())
}

/// The `<Delete>` document for one batch.
pub fn body(batch: &[ObjectIdentifier]) -> Result<String, Error> {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    for (index, object) in batch.iter().enumerate() {
        body.push_str("<Object><Key>");
        xml::escape_text_into(&mut body, &object.key).map_err(|_| unescapable(index, object))?;
        body.push_str("</Key>");
        if let Some(version) = version_of(object) {
            body.push_str("<VersionId>");
            xml::escape_text_into(&mut body, version).map_err(|_| unescapable(index, object))?;
            body.push_str("</VersionId>");
        }
        body.push_str("</Object>");
    }
    // Not quiet: S3 then names every key, so a key it leaves out is noticed.
    body.push_str("<Quiet>false</Quiet></Delete>");
    Ok(body)
}

fn unescapable(index: usize, object: &ObjectIdentifier) -> Error {
    validate_object(index, object).err().unwrap_or_else(|| {
        Error::invalid_input(
            FIELD,
            format!("key {} cannot be written as XML", Quoted(&object.key)),
        )
    })
}

/// Builds `POST /{bucket}?delete` for one batch of 1 to 1000 keys, with
/// the `Content-MD5` S3 requires for this call.
pub fn request(bucket_name: &str, batch: &[ObjectIdentifier]) -> Result<OpRequest, Error> {
    validate::bucket_name(bucket_name)?;
    if batch.is_empty() {
        return Err(Error::invalid_input(
            FIELD,
            "is empty; give at least one key to delete",
        ));
    }
    if batch.len() > MAX_BATCH {
        return Err(Error::invalid_input(
            FIELD,
            format!("has {} keys; one request takes at most {MAX_BATCH}", batch.len()),
        ));
    }
    for (index, object) in batch.iter().enumerate() {
        validate_object(index, object)?;
    }
    let body = body(batch)?.into_bytes();
    let md5 = crate::ops::put_object::content_md5(&body);
    let mut request = OpRequest::new(Method::Post, Some(bucket_name), None)
        .with_query("delete", "")
        .with_header("content-type", "application/xml")
        .with_header("content-md5", &md5);
    request.body = body.into();
    // Deleting a key twice leaves the bucket as deleting it once.
    request.idempotent = true;
    Ok(request)
}

/// Parses a `<DeleteResult>` into its entries, in S3's order.
pub fn parse(response: &HttpResponse) -> Result<Vec<DeleteEntry>, Error> {
    let mut visitor = ResultVisitor::default();
    xml::walk(&response.body, "DeleteResult", &mut visitor)?;
    Ok(visitor.entries)
}

/// One result per key of `batch`, in its order, matched to S3's entries by
/// key and version id.
pub fn match_results(batch: &[ObjectIdentifier], entries: &[DeleteEntry]) -> Vec<DeleteResult> {
    // A batch is at most 1000 keys: a search through the entries costs
    // less than a hash map's code in the component. The first entry for a
    // key (and version) answers it.
    batch
        .iter()
        .map(|object| {
            let version = version_of(object);
            let for_key = |entry: &&DeleteEntry| entry.key == object.key;
            let found = entries
                .iter()
                .find(|entry| for_key(entry) && entry.version_id.as_deref() == version)
                .or_else(|| {
                    // Asked without a version: S3 may still echo the version it
                    // removed, so any entry for the key answers it.
                    version.is_none().then(|| entries.iter().find(for_key)).flatten()
                });
            match found {
                Some(entry) => DeleteResult {
                    key: object.key.clone(),
                    version_id: entry
                        .version_id
                        .clone()
                        .or_else(|| entry.delete_marker_version_id.clone())
                        .or_else(|| version.map(str::to_owned)),
                    delete_marker: entry.delete_marker,
                    outcome: entry.outcome.clone(),
                },
                None => failed(
                    object,
                    ErrorCode::Other("MissingFromResponse".into()),
                    "S3's answer did not mention this key, so whether it was deleted is unknown".into(),
                ),
            }
        })
        .collect()
}

fn failed(object: &ObjectIdentifier, code: ErrorCode, message: String) -> DeleteResult {
    DeleteResult {
        key: object.key.clone(),
        version_id: version_of(object).map(str::to_owned),
        delete_marker: false,
        outcome: DeleteOutcome::Failed { code, message },
    }
}

/// The per-key code and message for a batch that failed as a whole.
fn batch_failure(error: &Error) -> (ErrorCode, String) {
    let code = match error.kind() {
        ErrorKind::Service(service) => service.code.clone(),
        ErrorKind::Transport { .. } => ErrorCode::Other("TransportError".into()),
        ErrorKind::InvalidResponse(_) => ErrorCode::Other("InvalidResponse".into()),
        ErrorKind::InvalidInput { .. } => ErrorCode::Other("InvalidInput".into()),
        ErrorKind::Body(_) | ErrorKind::UploadIncomplete(_) => ErrorCode::Other("Body".into()),
    };
    (code, format!("the batch with this key failed: {error}"))
}

/// Runs Delete Multiple Objects, 1000 keys per request. A call of more than
/// one batch reports the keys dealt with after each batch as its progress,
/// so that a host's per-call deadline holds for each batch rather than for
/// the whole list.
pub fn run(client: &mut Client<'_>, input: &DeleteObjectsInput) -> Result<Vec<DeleteResult>, Error> {
    validate(input)?;
    let total = input.object_keys.len();
    let mut results = Vec::with_capacity(total);
    let mut batches = input.object_keys.chunks(MAX_BATCH);
    while let Some(batch) = batches.next() {
        let outcome = request(&input.bucket_name, batch)
            .and_then(|request| client.send(&request))
            .and_then(|response| parse(&response));
        match outcome {
            Ok(entries) => results.extend(match_results(batch, &entries)),
            // Nothing was deleted yet: the call fails as a whole.
            Err(error) if results.is_empty() => return Err(error),
            Err(error) => {
                let (code, message) = batch_failure(&error);
                results.extend(batch.iter().map(|o| failed(o, code.clone(), message.clone())));
                let skipped = "not sent: an earlier batch of this call failed";
                for object in batches.by_ref().flatten() {
                    results.push(failed(
                        object,
                        ErrorCode::Other("NotAttempted".into()),
                        skipped.into(),
                    ));
                }
            }
        }
        if total > MAX_BATCH {
            client
                .transport
                .progress(results.len() as u64, Some(total as u64));
        }
    }
    Ok(results)
}

#[derive(Default)]
struct ResultVisitor {
    entries: Vec<DeleteEntry>,
    current: PartialEntry,
}

#[derive(Default)]
struct PartialEntry {
    key: Option<String>,
    version_id: Option<String>,
    delete_marker: bool,
    delete_marker_version_id: Option<String>,
    code: String,
    message: String,
}

impl Visitor for ResultVisitor {
    fn open(&mut self, path: &Path) -> Result<(), Error> {
        if path.is(&["Deleted"]) || path.is(&["Error"]) {
            self.current = PartialEntry::default();
        }
        Ok(())
    }

    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        match path.names() {
            [kind] if kind == "Deleted" || kind == "Error" => {
                let partial = std::mem::take(&mut self.current);
                let key = partial.key.ok_or_else(|| {
                    Error::invalid_response(format!("a <{kind}> in <DeleteResult> has no <Key>"))
                })?;
                let outcome = if kind == "Deleted" {
                    DeleteOutcome::Deleted
                } else {
                    DeleteOutcome::Failed {
                        code: ErrorCode::from_code(&partial.code),
                        message: partial.message,
                    }
                };
                self.entries.push(DeleteEntry {
                    key,
                    version_id: partial.version_id,
                    delete_marker: partial.delete_marker,
                    delete_marker_version_id: partial.delete_marker_version_id,
                    outcome,
                });
            }
            [kind, field] if kind == "Deleted" || kind == "Error" => match field.as_str() {
                "Key" => self.current.key = Some(text.to_owned()),
                "VersionId" => self.current.version_id = xml::optional(text),
                "DeleteMarker" => self.current.delete_marker = xml::parse_bool("DeleteMarker", text)?,
                "DeleteMarkerVersionId" => self.current.delete_marker_version_id = xml::optional(text),
                "Code" => self.current.code = text.to_owned(),
                "Message" => self.current.message = text.to_owned(),
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }
}

/// The JSON output of Delete Multiple Objects.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeleteObjectsJson {
    /// One entry per key, in input order.
    pub results: Vec<DeleteResultJson>,
    /// Keys deleted (or absent).
    pub deleted: usize,
    /// Keys not deleted.
    pub failed: usize,
}

/// The result for one key.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeleteResultJson {
    /// Key.
    pub key: String,
    /// Version id.
    pub version_id: Option<String>,
    /// A delete marker was involved.
    pub delete_marker: bool,
    /// The key is gone.
    pub deleted: bool,
    /// Why it is not, when it is not.
    pub error: Option<KeyError>,
}

/// Why one key was not deleted.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeyError {
    /// S3's code (`AccessDenied`).
    pub code: String,
    /// S3's message.
    pub message: String,
}

impl From<Vec<DeleteResult>> for DeleteObjectsJson {
    fn from(results: Vec<DeleteResult>) -> Self {
        let results: Vec<DeleteResultJson> = results
            .into_iter()
            .map(|result| {
                let error = match result.outcome {
                    DeleteOutcome::Deleted => None,
                    DeleteOutcome::Failed { code, message } => Some(KeyError {
                        code: code.name(),
                        message,
                    }),
                };
                DeleteResultJson {
                    key: result.key,
                    version_id: result.version_id,
                    delete_marker: result.delete_marker,
                    deleted: error.is_none(),
                    error,
                }
            })
            .collect();
        let deleted = results.iter().filter(|r| r.deleted).count();
        DeleteObjectsJson {
            failed: results.len() - deleted,
            deleted,
            results,
        }
    }
}

/// Delete Multiple Objects.
pub struct DeleteObjects;

impl crate::ops::Op for DeleteObjects {
    type Input = DeleteObjectsInput;
    type Output = DeleteObjectsJson;
    const NAME: &'static str = "delete-objects";
    const TITLE: &'static str = "Delete Multiple Objects";
    const DESCRIPTION: &'static str = "Deletes many keys: one result per key, in input order; more than \
        1000 keys are sent in batches of 1000. A call takes at most 100,000 keys, and 16 MiB of keys \
        and version ids.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:DeleteObject", "s3:DeleteObjectVersion"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str =
        r#"{"bucket_name": "my-bucket", "object_keys": [{"key": "a.txt"}, {"key": "b.txt"}]}"#;

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        Ok(run(call.client, &input)?.into())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{invalid_response, with_client, xml_ok, FakeTransport, Fixtures};
    use crate::ops::Operation;
    use md5::Digest as _;

    const FIXTURES: Fixtures = Fixtures("delete_objects");

    fn object(key: &str) -> ObjectIdentifier {
        ObjectIdentifier {
            key: key.into(),
            version_id: None,
        }
    }

    fn versioned(key: &str, version: &str) -> ObjectIdentifier {
        ObjectIdentifier {
            key: key.into(),
            version_id: Some(version.into()),
        }
    }

    fn input(keys: Vec<ObjectIdentifier>) -> DeleteObjectsInput {
        DeleteObjectsInput {
            bucket_name: "my-bucket".into(),
            object_keys: keys,
        }
    }

    fn deleted(key: &str) -> DeleteResult {
        DeleteResult {
            key: key.into(),
            version_id: None,
            delete_marker: false,
            outcome: DeleteOutcome::Deleted,
        }
    }

    fn code_of(result: &DeleteResult) -> &str {
        match &result.outcome {
            DeleteOutcome::Failed { code, .. } => code.as_str(),
            DeleteOutcome::Deleted => "Deleted",
        }
    }

    fn invalid_input(result: Result<impl std::fmt::Debug, Error>) -> (String, String) {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, message }) => (field, message),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    /// `<DeleteResult>` saying every key of `keys` was deleted.
    fn all_deleted(keys: &[ObjectIdentifier]) -> Vec<u8> {
        let mut body = String::from("<DeleteResult>");
        for object in keys {
            body.push_str("<Deleted><Key>");
            xml::escape_text_into(&mut body, &object.key).unwrap();
            body.push_str("</Key></Deleted>");
        }
        body.push_str("</DeleteResult>");
        body.into_bytes()
    }

    fn two_keys() -> Vec<ObjectIdentifier> {
        vec![
            object("photos/a&b <1>.jpg"),
            versioned("docs/report.pdf", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
        ]
    }

    #[test]
    fn request_posts_the_delete_document_with_its_md5() {
        let request = request("my-bucket", &two_keys()).unwrap();
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.bucket.as_deref(), Some("my-bucket"));
        assert_eq!(request.key, None);
        assert_eq!(request.query, [("delete".to_owned(), String::new())]);
        assert_eq!(request.body, FIXTURES.bytes("request-two-keys.xml"));
        assert_eq!(
            request.headers,
            [
                ("content-type".to_owned(), "application/xml".to_owned()),
                ("content-md5".to_owned(), "UGJJ0Y3PPE7Va8uSBnEarw==".to_owned()),
            ]
        );
        assert!(request.idempotent);
    }

    #[test]
    fn keys_are_escaped_so_they_read_back_as_themselves() {
        let tricky = "a<b>&c\"d'e\r\nf\tg]]>h";
        let body = body(&[object(tricky)]).unwrap();
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
        xml::walk(body.as_bytes(), "Delete", &mut keys).unwrap();
        assert_eq!(keys.0, [tricky]);
    }

    #[test]
    fn empty_version_id_means_the_current_object() {
        let body = body(&[versioned("k", "")]).unwrap();
        assert!(!body.contains("VersionId"), "{body}");
    }

    #[test]
    fn empty_list_is_invalid_input() {
        let mut transport = FakeTransport::default();
        let (field, _) = invalid_input(with_client(&mut transport, Operation::DeleteObjects, |c| {
            run(c, &input(Vec::new()))
        }));
        assert_eq!(field, "object_keys");
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn lists_longer_than_a_call_takes_are_refused_before_anything_is_sent() {
        let mut transport = FakeTransport::default();
        let mut keys: Vec<_> = (0..=MAX_KEYS).map(|n| object(&format!("k{n}"))).collect();
        let (field, message) = invalid_input(with_client(&mut transport, Operation::DeleteObjects, |c| {
            run(c, &input(keys.clone()))
        }));
        assert_eq!(field, "object_keys");
        assert!(
            message.starts_with("has 100001 keys; one call takes at most 100000"),
            "{message}"
        );
        assert!(message.contains("delete-folder"), "{message}");
        keys.pop();
        assert!(validate(&input(keys)).is_ok(), "the most keys a call takes");
        // 16 MiB of keys and version ids, and a byte more.
        let long = |n: usize| versioned(&format!("{n:04}{}", "k".repeat(1020)), &"v".repeat(1024));
        let mut keys: Vec<_> = (0..MAX_KEY_BYTES / 2048).map(long).collect();
        assert_eq!(key_bytes(keys.iter().map(key_and_version)), MAX_KEY_BYTES);
        assert!(validate(&input(keys.clone())).is_ok());
        keys.push(object("k"));
        let (_, message) = invalid_input(with_client(&mut transport, Operation::DeleteObjects, |c| {
            run(c, &input(keys))
        }));
        assert!(
            message.starts_with("has 16777217 bytes of keys and version ids"),
            "{message}"
        );
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn bad_keys_are_refused_naming_the_key_before_anything_is_sent() {
        let mut keys: Vec<_> = (0..1500).map(|n| object(&format!("k{n}"))).collect();
        keys.push(object("bad\u{1}key"));
        let mut transport = FakeTransport::default();
        let (field, message) = invalid_input(with_client(&mut transport, Operation::DeleteObjects, |c| {
            run(c, &input(keys))
        }));
        assert_eq!(field, "object_keys");
        assert!(message.contains("bad\\u{1}key"), "{message}");
        assert!(message.contains("U+0001"), "{message}");
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn empty_and_overlong_keys_are_refused() {
        let (field, message) = invalid_input(request("my-bucket", &[object("ok"), object("")]));
        assert_eq!(field, "object_keys");
        assert!(message.contains("entry 1"), "{message}");
        invalid_input(request("my-bucket", &[object(&"x".repeat(1025))]));
    }

    #[test]
    fn bad_version_id_characters_are_refused() {
        let (_, message) = invalid_input(request("my-bucket", &[versioned("k", "v\u{2}")]));
        assert!(message.contains("version id"), "{message}");
    }

    #[test]
    fn bad_bucket_name_is_refused() {
        let (field, _) = invalid_input(request("Bad Bucket", &[object("k")]));
        assert_eq!(field, "bucket_name");
    }

    #[test]
    fn more_than_1000_keys_in_one_request_are_refused() {
        let keys: Vec<_> = (0..1001).map(|n| object(&format!("k{n}"))).collect();
        invalid_input(request("my-bucket", &keys));
    }

    #[test]
    fn results_parse_deleted_and_error_entries() {
        let entries = parse(&FIXTURES.ok("result-mixed.xml")).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].key, "locked/report.pdf");
        assert_eq!(
            entries[0].outcome,
            DeleteOutcome::Failed {
                code: ErrorCode::AccessDenied,
                message: "Access Denied".into()
            }
        );
        assert_eq!(entries[1].key, "photos/a&b <1>.jpg");
        assert_eq!(entries[1].outcome, DeleteOutcome::Deleted);
    }

    #[test]
    fn results_come_back_in_input_order() {
        let keys = vec![
            object("never-existed.txt"),
            object("photos/a&b <1>.jpg"),
            object("locked/report.pdf"),
        ];
        let entries = parse(&FIXTURES.ok("result-mixed.xml")).unwrap();
        let results = match_results(&keys, &entries);
        assert_eq!(results[0], deleted("never-existed.txt"));
        assert_eq!(results[1], deleted("photos/a&b <1>.jpg"));
        assert_eq!(results[2].key, "locked/report.pdf");
        assert_eq!(code_of(&results[2]), "AccessDenied");
    }

    #[test]
    fn versions_are_matched_by_key_and_version_id() {
        let keys = vec![
            versioned("docs/report.pdf", "missing-version"),
            object("docs/report.pdf"),
            versioned("docs/report.pdf", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
        ];
        let entries = parse(&FIXTURES.ok("result-versioned.xml")).unwrap();
        let results = match_results(&keys, &entries);
        assert_eq!(code_of(&results[0]), "NoSuchVersion");
        assert_eq!(results[0].version_id.as_deref(), Some("missing-version"));
        assert_eq!(
            results[1],
            DeleteResult {
                key: "docs/report.pdf".into(),
                version_id: Some("NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s".into()),
                delete_marker: true,
                outcome: DeleteOutcome::Deleted,
            }
        );
        assert_eq!(
            results[2].version_id.as_deref(),
            Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
        );
        assert_eq!(results[2].outcome, DeleteOutcome::Deleted);
        assert!(!results[2].delete_marker);
    }

    #[test]
    fn a_key_s3_does_not_mention_is_failed_not_assumed_deleted() {
        let keys = vec![object("first.txt"), object("second.txt")];
        let entries = parse(&FIXTURES.ok("result-missing.xml")).unwrap();
        let results = match_results(&keys, &entries);
        assert_eq!(results[0], deleted("first.txt"));
        assert_eq!(code_of(&results[1]), "MissingFromResponse");
        match &results[1].outcome {
            DeleteOutcome::Failed { message, .. } => {
                assert!(message.contains("did not mention"), "{message}")
            }
            DeleteOutcome::Deleted => unreachable!(),
        }
        let results = match_results(&keys, &parse(&FIXTURES.ok("result-empty.xml")).unwrap());
        assert!(results.iter().all(|r| code_of(r) == "MissingFromResponse"));
    }

    #[test]
    fn a_versioned_key_is_not_answered_by_another_version() {
        let entries = parse(&xml_ok(
            b"<DeleteResult><Deleted><Key>k</Key><VersionId>v1</VersionId></Deleted></DeleteResult>",
        ))
        .unwrap();
        let results = match_results(&[versioned("k", "v2")], &entries);
        assert_eq!(code_of(&results[0]), "MissingFromResponse");
    }

    #[test]
    fn a_duplicated_key_gets_the_same_answer_twice() {
        let keys = vec![object("first.txt"), object("first.txt")];
        let entries = parse(&FIXTURES.ok("result-missing.xml")).unwrap();
        assert_eq!(
            match_results(&keys, &entries),
            [deleted("first.txt"), deleted("first.txt")]
        );
    }

    #[test]
    fn malformed_results_are_invalid_responses() {
        invalid_response(parse(&FIXTURES.ok("truncated.xml")));
        let message = invalid_response(parse(&FIXTURES.ok("doctype.xml")));
        assert!(message.contains("DOCTYPE"), "{message}");
        let message = invalid_response(parse(&FIXTURES.ok("bad-delete-marker.xml")));
        assert!(message.contains("<DeleteMarker>"), "{message}");
        let message = invalid_response(parse(&FIXTURES.ok("entry-without-key.xml")));
        assert!(message.contains("<Key>"), "{message}");
    }

    #[test]
    fn run_sends_one_request_and_returns_results_in_order() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("result-mixed.xml"));
        let keys = vec![
            object("locked/report.pdf"),
            object("photos/a&b <1>.jpg"),
            object("never-existed.txt"),
        ];
        let results =
            with_client(&mut transport, Operation::DeleteObjects, |c| run(c, &input(keys))).unwrap();
        let codes: Vec<_> = results.iter().map(code_of).collect();
        assert_eq!(codes, ["AccessDenied", "Deleted", "Deleted"]);
        assert_eq!(transport.sent.len(), 1);
        assert!(transport.progress.is_empty(), "one batch has no progress to tell");
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Post);
        assert_eq!(sent.path, "/my-bucket");
        assert_eq!(sent.canonical_query(), "delete=");
        assert_eq!(sent.header("content-type"), Some("application/xml"));
        assert!(sent.header("content-md5").is_some());
    }

    #[test]
    fn run_sends_2500_keys_in_batches_of_1000() {
        let keys: Vec<_> = (0..2500).map(|n| object(&format!("dir/key-{n:04}"))).collect();
        let mut transport = FakeTransport::default();
        for batch in keys.chunks(MAX_BATCH) {
            transport.answer(200, &[], &all_deleted(batch));
        }
        let results = with_client(&mut transport, Operation::DeleteObjects, |c| {
            run(c, &input(keys.clone()))
        })
        .unwrap();
        assert_eq!(results.len(), 2500);
        assert!(results
            .iter()
            .zip(&keys)
            .all(|(r, k)| r.key == k.key && r.outcome == DeleteOutcome::Deleted));
        assert_eq!(transport.sent.len(), 3);
        let objects_in = |n: usize| {
            String::from_utf8_lossy(&transport.sent[n].body)
                .matches("<Object>")
                .count()
        };
        assert_eq!([objects_in(0), objects_in(1), objects_in(2)], [1000, 1000, 500]);
        // Each batch carries the MD5 of its own body.
        for sent in &transport.sent {
            let expected = ::base64::Engine::encode(
                &::base64::engine::general_purpose::STANDARD,
                md5::Md5::digest(&sent.body),
            );
            assert_eq!(sent.header("content-md5"), Some(expected.as_str()));
        }
        // The keys dealt with after each batch, so that a host's per-call
        // deadline holds for each batch.
        assert_eq!(
            transport.progress,
            [(1000, Some(2500)), (2000, Some(2500)), (2500, Some(2500))]
        );
    }

    #[test]
    fn run_retries_a_throttled_batch_since_deleting_is_idempotent() {
        let keys = vec![object("a.txt"), object("b.txt")];
        let mut transport = FakeTransport::default();
        transport
            .answer(
                503,
                &[],
                b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
            )
            .answer(200, &[], &all_deleted(&keys));
        let results = with_client(&mut transport, Operation::DeleteObjects, |c| {
            run(c, &input(keys.clone()))
        })
        .unwrap();
        assert!(results.iter().all(|r| r.outcome == DeleteOutcome::Deleted));
        assert_eq!(transport.sent.len(), 2);
        assert_eq!(transport.sent[0].body, transport.sent[1].body);
    }

    #[test]
    fn run_fails_when_the_first_batch_fails() {
        let mut transport = FakeTransport::default();
        transport.answer(404, &[], &FIXTURES.bytes("error-no-such-bucket.xml"));
        match with_client(&mut transport, Operation::DeleteObjects, |c| {
            run(c, &input(two_keys()))
        })
        .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::NoSuchBucket);
                assert_eq!(error.status, 404);
            }
            other => panic!("expected no such bucket, got {other:?}"),
        }
    }

    #[test]
    fn a_later_batch_failing_keeps_the_earlier_results() {
        let keys: Vec<_> = (0..2500).map(|n| object(&format!("k{n}"))).collect();
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &all_deleted(&keys[..1000])).answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        let results =
            with_client(&mut transport, Operation::DeleteObjects, |c| run(c, &input(keys))).unwrap();
        assert_eq!(results.len(), 2500);
        assert!(results[..1000]
            .iter()
            .all(|r| r.outcome == DeleteOutcome::Deleted));
        assert!(results[1000..2000].iter().all(|r| code_of(r) == "AccessDenied"));
        assert!(results[2000..].iter().all(|r| code_of(r) == "NotAttempted"));
        assert_eq!(transport.sent.len(), 2);
        assert_eq!(transport.progress, [(1000, Some(2500)), (2500, Some(2500))]);
    }
}
