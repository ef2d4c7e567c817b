//! Copy Object: copy an object (or one version of it) within a bucket or
//! across buckets, server-side: its bytes never pass through the connector.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html>
//!
//! The request goes to the destination bucket; S3 reads the source that the
//! `x-amz-copy-source` header names ([`copy_source`]: `bucket/key`, the key
//! percent-encoded), wherever its bucket is. With region `auto` the client
//! finds each bucket's region by itself: the source's on the HEAD, the
//! destination's on the copy.
//!
//! The source is headed first, for its size: S3 copies at most 5 GiB in one
//! CopyObject, and a larger source is copied in parts (UploadPartCopy,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html>),
//! one after the other, each pinned to the ETag the source had when the copy
//! began; a part that fails aborts the upload. A copy in parts carries what
//! a single copy would: with `COPY`, the source's content type, standard
//! headers, user metadata and tags (read with GetObjectTagging, as the AWS
//! CLI does); its ETag is a multipart one (`"…-N"`).
//!
//! S3 may send a copy's 200 before the copy is done (and whitespace while
//! it copies), so a copy that fails midway is an `<Error>` document in a
//! 200: [`parse`] returns the service error it names (the client already
//! does, before `parse` sees the answer). Copying an object onto itself without changing anything (its
//! metadata with `REPLACE`, its storage class or its encryption) is refused
//! by S3 with `InvalidRequest`, which is given back as it is.

use crate::encode::Encode;

use crate::decode::Decode;

use crate::client::{Client, Exchange};
use crate::error::{Error, ErrorKind, UploadFailure};
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{pairs_as_object, CannedAcl, ObjectRef};
use crate::ops::get_object_tagging;
use crate::ops::multipart::{self, PartPlan, MAX_PART_SIZE, MIN_PART_SIZE};
use crate::ops::object::{object_request, parse_metadata, META_PREFIX};
use crate::ops::put_object_stream::{abort_orphans, completed_meanwhile, may_have_completed};
use crate::ops::write_options::{quoted, Sse, StorageClass, WriteOptions};
use crate::sigv4::encoding::{encode_path, encode_query_component};
use crate::validate;
use crate::xml::{self, Path, Visitor};

/// The largest source S3 copies in one CopyObject: 5 GiB. A larger one is
/// copied in parts.
pub const MAX_SINGLE_COPY: u64 = MAX_PART_SIZE;

/// The size of the parts of a copy in parts when none is given. The parts
/// go one after the other and S3 copies each by itself, so fewer, larger
/// parts mean fewer round trips; 512 MiB also fits a 5 TiB object in 10,000
/// parts.
pub const DEFAULT_COPY_PART_SIZE: u64 = 512 * 1024 * 1024;

/// The headers of an object that a copy with `COPY` keeps, besides the
/// user metadata (`x-amz-meta-*`): what a copy in parts carries over from
/// the source's HEAD, as S3 does for a single copy.
const KEPT_HEADERS: [&str; 7] = [
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-amz-website-redirect-location",
];

/// Whether the copy keeps the source's metadata or takes the input's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum MetadataDirective {
    /// The source's content type, standard headers and user metadata.
    #[default]
    #[serde(rename = "COPY", alias = "copy")]
    Copy,
    /// `mime_type` (else the source's content type) and `metadata` (else
    /// none); the source's other headers (cache control, content encoding
    /// and disposition, ...) are dropped, as S3 does.
    #[serde(rename = "REPLACE", alias = "replace")]
    Replace,
}

/// Input of Copy Object.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CopyObjectInput {
    /// The bucket to copy from.
    pub source_bucket_name: String,
    /// The key to copy from.
    pub source_object_path: String,
    /// The version to copy (default: the latest); needs
    /// `s3:GetObjectVersion`.
    #[serde(default)]
    pub source_version_id: Option<String>,
    /// The bucket to copy to (the same one or another, in any region).
    pub bucket_name: String,
    /// The key to copy to.
    pub object_path: String,
    /// `COPY` (default) keeps the source's metadata; `REPLACE` takes
    /// `mime_type` and `metadata` instead.
    #[serde(default)]
    pub metadata_directive: Option<MetadataDirective>,
    /// With `REPLACE`: the copy's mime type (default: the source's).
    #[serde(default)]
    pub mime_type: Option<String>,
    /// With `REPLACE`: the copy's user metadata (default: none).
    #[serde(default, with = "pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub metadata: Vec<(String, String)>,
    /// Canned ACL of the copy (default `private`, whatever the source's);
    /// needs `s3:PutObjectAcl`.
    #[serde(default)]
    pub acl: Option<CannedAcl>,
    /// Storage class of the copy (default `STANDARD`, not the source's).
    #[serde(default)]
    pub storage_class: Option<StorageClass>,
    /// Server-side encryption of the copy: `AES256` (SSE-S3) or `aws:kms`
    /// (SSE-KMS); default: the bucket's.
    #[serde(default)]
    pub sse: Option<Sse>,
    /// With `sse` `aws:kms`: the KMS key's id or ARN (default: the
    /// account's S3 key).
    #[serde(default)]
    pub sse_kms_key_id: Option<String>,
    /// The copy's tags (at most 10), replacing the source's (`{}`: none);
    /// left out, the source's are kept. Needs `s3:PutObjectTagging`.
    #[serde(default, with = "crate::model::optional_pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<std::collections::BTreeMap<String, String>>")
    )]
    pub tags: Option<Vec<(String, String)>>,
    /// Copy only if the source's ETag is this one, quoted or not (else the
    /// service error `precondition-failed`).
    #[serde(default)]
    pub if_match: Option<String>,
    /// Sources larger than this many bytes are copied in parts (default and
    /// most: 5 GiB, the most S3 copies in one request).
    #[serde(default)]
    pub multipart_threshold: Option<u64>,
    /// The size of each part of a copy in parts: 5 MiB to 5 GiB (default
    /// 512 MiB), raised to fit the object in 10,000 parts.
    #[serde(default)]
    pub part_size: Option<u64>,
}

/// Output of Copy Object.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CopyObjectOutput {
    /// The key written.
    pub key: String,
    /// The copy's ETag, quotes included: the source's for a single copy of
    /// an unencrypted object, a multipart ETag (`"…-N"`) for a copy in parts.
    pub etag: Option<String>,
    /// When the copy was written (S3's ISO 8601 time); absent for a copy in
    /// parts, whose answer does not say.
    pub last_modified: Option<String>,
    /// The copy's version id, in a versioned bucket.
    pub version_id: Option<String>,
    /// The version that was copied, when the source's bucket is versioned.
    pub source_version_id: Option<String>,
    /// Parts of a copy in parts; 0 (and left out of the JSON) for one copy.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub parts: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The `x-amz-copy-source` value naming `key` of `bucket` (and
/// `version_id`): `bucket/key[?versionId=id]`. S3 decodes the value once,
/// so the key is percent-encoded as in a URL path: every byte but the
/// unreserved `A-Z a-z 0-9 - . _ ~` and `/` (`a b+c?` is `a%20b%2Bc%3F`).
/// A key sent raw would lose its `+` (read as a space), `%`, `?` (the start
/// of `versionId`) and `#`. The version id is encoded too, as the AWS SDK
/// for Java does. Bucket names need no encoding.
pub fn copy_source(bucket: &str, key: &str, version_id: Option<&str>) -> String {
    let mut source = format!("{bucket}/{}", encode_path(key));
    if let Some(version_id) = version_id {
        source.push_str("?versionId=");
        source.push_str(&encode_query_component(version_id));
    }
    source
}

/// Checks every field before anything is sent; errors name the field.
pub fn check(input: &CopyObjectInput) -> Result<(), Error> {
    renamed(
        "source_bucket_name",
        validate::bucket_name(&input.source_bucket_name),
    )?;
    validate::object_key("source_object_path", &input.source_object_path)?;
    if let Some(version_id) = &input.source_version_id {
        renamed("source_version_id", validate::version_id(version_id))?;
    }
    validate::bucket_name(&input.bucket_name)?;
    validate::object_key("object_path", &input.object_path)?;
    let replace = input.metadata_directive == Some(MetadataDirective::Replace);
    if let Some(mime) = &input.mime_type {
        if !replace {
            return Err(only_with_replace("mime_type"));
        }
        validate::mime_type(mime)?;
    }
    if !input.metadata.is_empty() && !replace {
        return Err(only_with_replace("metadata"));
    }
    validate::metadata(&input.metadata)?;
    write_options(input).validate()?;
    if let Some(etag) = &input.if_match {
        if etag.trim().trim_matches('"').is_empty() {
            return Err(Error::invalid_input(
                "if_match",
                "is empty; give the source's ETag",
            ));
        }
        validate::header_text("if_match", etag)?;
        if !etag.is_ascii() {
            return Err(Error::invalid_input(
                "if_match",
                format!("`{etag}` has a non-ASCII character; an ETag is ASCII"),
            ));
        }
    }
    if let Some(threshold) = input.multipart_threshold {
        if threshold > MAX_SINGLE_COPY {
            return Err(Error::invalid_input(
                "multipart_threshold",
                format!(
                    "is {threshold} bytes; S3 copies at most {MAX_SINGLE_COPY} bytes (5 GiB) in one \
                     request, and larger sources are always copied in parts"
                ),
            ));
        }
    }
    if let Some(part_size) = input.part_size {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return Err(Error::invalid_input(
                "part_size",
                format!(
                    "is {part_size} bytes; S3 takes parts of {MIN_PART_SIZE} (5 MiB) to \
                     {MAX_PART_SIZE} (5 GiB) bytes"
                ),
            ));
        }
    }
    Ok(())
}

/// The same error for another field: the shared checks name `bucket_name`
/// and `version_id`, and the source's fields are others.
fn renamed(field: &str, result: Result<(), Error>) -> Result<(), Error> {
    result.map_err(|error| match error.into_kind() {
        ErrorKind::InvalidInput { message, .. } => Error::invalid_input(field, message),
        other => other.into(),
    })
}

fn only_with_replace(field: &str) -> Error {
    Error::invalid_input(
        field,
        "is taken only with `metadata_directive` `REPLACE`; with `COPY` (the default) the copy keeps \
         the source's",
    )
}

/// How the copy is stored, as a put's: storage class, encryption and the
/// tags given. (`if_match` is the source's condition, not the copy's.)
fn write_options(input: &CopyObjectInput) -> WriteOptions {
    WriteOptions {
        storage_class: input.storage_class,
        sse: input.sse,
        sse_kms_key_id: input.sse_kms_key_id.clone(),
        tags: input.tags.clone().unwrap_or_default(),
        if_none_match: None,
        if_match: None,
    }
}

/// The source's HEAD request: its size decides how it is copied. With
/// `if_match`, S3 answers 412 at once when the ETag differs.
pub fn source_head_request(input: &CopyObjectInput) -> Result<OpRequest, Error> {
    let mut request = object_request(Method::Head, &source_ref(input))?;
    if let Some(etag) = &input.if_match {
        request = request.with_header("if-match", &quoted(etag));
    }
    Ok(request)
}

fn source_ref(input: &CopyObjectInput) -> ObjectRef {
    ObjectRef {
        bucket_name: input.source_bucket_name.clone(),
        object_path: input.source_object_path.clone(),
        version_id: input.source_version_id.clone(),
    }
}

fn source_header(input: &CopyObjectInput) -> String {
    copy_source(
        &input.source_bucket_name,
        &input.source_object_path,
        input.source_version_id.as_deref(),
    )
}

/// Builds the request: `PUT /bucket/key` with `x-amz-copy-source` and the
/// copy's headers. `source_content_type` is the source's, from its HEAD: a
/// `REPLACE` without `mime_type` keeps it (S3 would reset it to
/// `binary/octet-stream`).
pub fn request(input: &CopyObjectInput, source_content_type: Option<&str>) -> Result<OpRequest, Error> {
    check(input)?;
    let mut request = OpRequest::new(Method::Put, Some(&input.bucket_name), Some(&input.object_path))
        .with_header("x-amz-copy-source", &source_header(input));
    if input.metadata_directive == Some(MetadataDirective::Replace) {
        request = request.with_header("x-amz-metadata-directive", "REPLACE");
        request
            .headers
            .extend(replaced_metadata(input, source_content_type));
    }
    if let Some(acl) = input.acl {
        request = request.with_header("x-amz-acl", acl.as_str());
    }
    // Storage class, encryption, and `x-amz-tagging` for tags given.
    request.headers.extend(write_options(input).storage_headers());
    if input.tags.is_some() {
        // Without the directive S3 keeps the source's tags whatever
        // `x-amz-tagging` says; with it and no tags, the copy has none.
        request = request.with_header("x-amz-tagging-directive", "REPLACE");
    }
    if let Some(etag) = &input.if_match {
        request = request.with_header("x-amz-copy-source-if-match", &quoted(etag));
    }
    Ok(request)
}

/// The content type and user metadata of a copy with `REPLACE`.
fn replaced_metadata(input: &CopyObjectInput, source_content_type: Option<&str>) -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(1 + input.metadata.len());
    if let Some(content_type) = input.mime_type.as_deref().map(str::trim).or(source_content_type) {
        headers.push(("content-type".to_owned(), content_type.to_owned()));
    }
    for (name, value) in &input.metadata {
        headers.push((
            format!("{META_PREFIX}{}", name.to_ascii_lowercase()),
            value.clone(),
        ));
    }
    headers
}

/// Parses a successful answer: the `<CopyObjectResult>` body, the copy's
/// version id and the source's. A 200 whose body is an `<Error>` (a copy
/// that failed after S3 accepted it) is the service error it names.
pub fn parse(response: &HttpResponse, key: &str) -> Result<CopyObjectOutput, Error> {
    if let Some(error) = xml::error_in_success(response) {
        return Err(Error::service(error));
    }
    let mut visitor = ResultVisitor::default();
    xml::walk(&response.body, "CopyObjectResult", &mut visitor)?;
    Ok(CopyObjectOutput {
        key: key.to_owned(),
        etag: visitor.etag,
        last_modified: visitor.last_modified,
        version_id: response.header("x-amz-version-id").map(str::to_owned),
        source_version_id: response.header("x-amz-copy-source-version-id").map(str::to_owned),
        parts: 0,
    })
}

#[derive(Default)]
struct ResultVisitor {
    etag: Option<String>,
    last_modified: Option<String>,
}

impl Visitor for ResultVisitor {
    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        match path.names() {
            [name] if name == "ETag" => self.etag = xml::optional(text),
            [name] if name == "LastModified" => self.last_modified = xml::optional(text),
            _ => {}
        }
        Ok(())
    }
}

/// Runs Copy Object: a HEAD of the source, then one CopyObject, or a copy
/// in parts for a source over the threshold.
pub fn run(client: &mut Client<'_>, input: &CopyObjectInput) -> Result<CopyObjectOutput, Error> {
    check(input)?;
    let head = match client.send(&source_head_request(input)?) {
        Ok(head) => Some(head),
        // A HEAD answer has no body, so its 404 cannot tell a missing key
        // from a missing version or bucket: the copy's own answer names it.
        Err(error) if matches!(error.kind(), ErrorKind::Service(e) if e.status == 404) => None,
        Err(error) => return Err(error),
    };
    let size = head
        .as_ref()
        .map(parse_metadata)
        .transpose()?
        .map(|metadata| metadata.content_length);
    let threshold = input.multipart_threshold.unwrap_or(MAX_SINGLE_COPY);
    match (head, size) {
        (Some(head), Some(size)) if size > threshold => copy_in_parts(client, input, &head, size),
        (head, _) => {
            let content_type = head.as_ref().and_then(|h| h.header("content-type"));
            let response = client.send(&request(input, content_type)?)?;
            let output = parse(&response, &input.object_path)?;
            if let Some(size) = size {
                client.transport.progress(size, Some(size));
            }
            Ok(output)
        }
    }
}

/// Copies a source of `size` bytes in parts: create the upload with the
/// copy's headers, copy each part (pinned to the source's ETag), complete.
/// Any failure aborts the upload, so that no parts are left billed.
fn copy_in_parts(
    client: &mut Client<'_>,
    input: &CopyObjectInput,
    head: &HttpResponse,
    size: u64,
) -> Result<CopyObjectOutput, Error> {
    if copies_onto_itself_unchanged(input) {
        // S3 refuses this of a single copy (400 InvalidRequest); a copy in
        // parts would rewrite the whole object for nothing.
        return Err(Error::invalid_input(
            "object_path",
            "is the source itself: an object is copied onto itself only to change something \
             (`metadata_directive` `REPLACE`, `storage_class` or `sse`), or to restore a \
             `source_version_id`",
        ));
    }
    let plan = PartPlan::new(size, Some(input.part_size.unwrap_or(DEFAULT_COPY_PART_SIZE)))?;
    let tags = match &input.tags {
        Some(tags) => tags.clone(),
        None if tagging_count(head) > 0 => source_tags(client, input)?,
        None => Vec::new(),
    };
    let mut headers = match input.metadata_directive.unwrap_or_default() {
        MetadataDirective::Copy => kept_metadata(head),
        MetadataDirective::Replace => replaced_metadata(input, head.header("content-type")),
    };
    if let Some(acl) = input.acl {
        headers.push(("x-amz-acl".to_owned(), acl.as_str().to_owned()));
    }
    let write = WriteOptions {
        tags,
        ..write_options(input)
    };
    headers.extend(write.storage_headers());
    let (bucket, key) = (input.bucket_name.as_str(), input.object_path.as_str());
    let create = multipart::create_request(bucket, key, headers);
    let (response, attempts) = client.exchange_counted(&create, Exchange::InMemory)?;
    let upload_id = multipart::parse_create(&response)?;
    if attempts > 1 {
        abort_orphans(client, bucket, key, &upload_id);
    }
    let upload = CopyUpload {
        bucket,
        key,
        upload_id: &upload_id,
        parts_total: plan.parts,
    };
    let source = source_header(input);
    // Every part from the object headed: one overwritten meanwhile fails
    // the part (412) instead of stitching two objects together.
    let pin = head.header("etag").filter(|etag| !etag.is_empty());
    let mut parts: Vec<(u32, String)> = Vec::with_capacity(plan.parts as usize);
    let mut source_version_id = None;
    client.transport.progress(0, Some(size));
    for number in 1..=plan.parts {
        let (offset, length) = plan.part(number);
        let range = (offset, offset + length.saturating_sub(1));
        let request =
            multipart::upload_part_copy_request(bucket, key, &upload_id, number, &source, range, pin);
        match client
            .send(&request)
            .and_then(|response| multipart::parse_upload_part_copy(&response))
        {
            Ok((etag, version)) => {
                parts.push((number, etag));
                source_version_id = source_version_id.or(version);
                client.transport.progress(offset + length, Some(size));
            }
            Err(cause) => return Err(upload.abandon(client, parts.len(), cause)),
        }
    }
    let completed = multipart::complete_request(bucket, key, &upload_id, &parts)
        .and_then(|request| client.send(&request))
        .and_then(|response| multipart::parse_complete(&response));
    let completed = match completed {
        // An attempt whose answer was lost may have completed the upload.
        Err(error) if may_have_completed(&error) => match completed_meanwhile(client, bucket, key, &parts) {
            Some(etag) => Ok((Some(etag), None)),
            None => Err(error),
        },
        other => other,
    };
    match completed {
        Ok((etag, version_id)) => Ok(CopyObjectOutput {
            key: key.to_owned(),
            etag,
            last_modified: None,
            version_id,
            source_version_id,
            parts: plan.parts,
        }),
        Err(cause) => Err(upload.abandon(client, parts.len(), cause)),
    }
}

/// Whether the copy names its own source and changes nothing S3 counts.
fn copies_onto_itself_unchanged(input: &CopyObjectInput) -> bool {
    input.source_bucket_name == input.bucket_name
        && input.source_object_path == input.object_path
        && input.source_version_id.is_none()
        && input.metadata_directive != Some(MetadataDirective::Replace)
        && input.storage_class.is_none()
        && input.sse.is_none()
}

/// The source's headers that a copy with `COPY` keeps, from its HEAD.
fn kept_metadata(head: &HttpResponse) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    for (name, value) in &head.headers {
        let name = name.to_ascii_lowercase();
        if KEPT_HEADERS.contains(&name.as_str()) || name.starts_with(META_PREFIX) {
            kept.push((name, value.to_owned()));
        }
    }
    kept
}

/// How many tags the source has (`x-amz-tagging-count`; 0 when not said).
fn tagging_count(head: &HttpResponse) -> u64 {
    head.header("x-amz-tagging-count")
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or(0)
}

/// The source's tags (GetObjectTagging), for a copy in parts to carry over.
fn source_tags(client: &mut Client<'_>, input: &CopyObjectInput) -> Result<Vec<(String, String)>, Error> {
    let response = client.send(&get_object_tagging::request(&source_ref(input))?)?;
    Ok(get_object_tagging::parse(&response)?.tags)
}

/// A copy in parts under way.
struct CopyUpload<'u> {
    bucket: &'u str,
    key: &'u str,
    upload_id: &'u str,
    parts_total: u32,
}

impl CopyUpload<'_> {
    /// Aborts the upload (there is nothing to resume: a copy starts again
    /// from the source) and returns the error for `cause`.
    fn abandon(&self, client: &mut Client<'_>, parts_done: usize, cause: Error) -> Error {
        let aborted = multipart::abort_request(self.bucket, self.key, self.upload_id)
            .and_then(|request| client.send(&request))
            .is_ok();
        Error::upload_incomplete(UploadFailure {
            upload_id: self.upload_id.to_owned(),
            parts_done: u32::try_from(parts_done).unwrap_or(u32::MAX),
            parts_total: self.parts_total,
            aborted,
            cause,
        })
    }
}

/// The permissions a request that writes the copy needs: reading the
/// source (the latest version or a given one) when it names one, writing
/// the destination, its ACL and its tags as the headers say.
fn write_permission(source: Option<bool>, acl: bool, tags: bool) -> &'static str {
    match (source, acl, tags) {
        (None, false, false) => "s3:PutObject",
        (None, true, false) => "s3:PutObject, s3:PutObjectAcl",
        (None, false, true) => "s3:PutObject, s3:PutObjectTagging",
        (None, true, true) => "s3:PutObject, s3:PutObjectAcl, s3:PutObjectTagging",
        (Some(false), false, false) => "s3:GetObject, s3:PutObject",
        (Some(false), true, false) => "s3:GetObject, s3:PutObject, s3:PutObjectAcl",
        (Some(false), false, true) => "s3:GetObject, s3:PutObject, s3:PutObjectTagging",
        (Some(false), true, true) => "s3:GetObject, s3:PutObject, s3:PutObjectAcl, s3:PutObjectTagging",
        (Some(true), false, false) => "s3:GetObjectVersion, s3:PutObject",
        (Some(true), true, false) => "s3:GetObjectVersion, s3:PutObject, s3:PutObjectAcl",
        (Some(true), false, true) => "s3:GetObjectVersion, s3:PutObject, s3:PutObjectTagging",
        (Some(true), true, true) => "s3:GetObjectVersion, s3:PutObject, s3:PutObjectAcl, s3:PutObjectTagging",
    }
}

/// Copy Object.
pub struct CopyObject;

impl crate::ops::Op for CopyObject {
    type Input = CopyObjectInput;
    type Output = CopyObjectOutput;
    const NAME: &'static str = "copy-object";
    const TITLE: &'static str = "Copy Object";
    const DESCRIPTION: &'static str = "Copies an object (or one version) within a bucket or across \
        buckets and regions, server-side: its metadata kept (`COPY`) or replaced (`REPLACE`), with an \
        optional ACL, storage class, encryption and tags. Sources over 5 GiB are copied in parts. A \
        missing source is the service error `no-such-key`.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html";
    const PERMISSIONS: &'static [&'static str] = &[
        "s3:GetObject",
        "s3:PutObject",
        "s3:GetObjectVersion",
        "s3:PutObjectAcl",
        "s3:PutObjectTagging",
        "s3:GetObjectTagging",
        "s3:GetObjectVersionTagging",
        "s3:AbortMultipartUpload",
    ];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"source_bucket_name": "my-bucket", "source_object_path": "reports/2026.csv", "bucket_name": "my-bucket", "object_path": "archive/reports/2026.csv"}"#;

    fn permission(request: &OpRequest) -> &'static str {
        let has = |name: &str| request.headers.iter().any(|(n, _)| n == name);
        match request.method {
            // The source's HEAD and its tags.
            Method::Head => crate::ops::versioned(request, "s3:GetObject", "s3:GetObjectVersion"),
            Method::Get => {
                crate::ops::versioned(request, "s3:GetObjectTagging", "s3:GetObjectVersionTagging")
            }
            Method::Delete => "s3:AbortMultipartUpload",
            // The copy, a part of it, or the upload's creation or completion.
            Method::Put | Method::Post => {
                let source = request
                    .headers
                    .iter()
                    .find(|(name, _)| name == "x-amz-copy-source")
                    // A `?` of the key is encoded: this one starts the query.
                    .map(|(_, value)| crate::ascii::find(value, "?versionId=").is_some());
                let tags = has("x-amz-tagging") || has("x-amz-tagging-directive");
                write_permission(source, has("x-amz-acl"), tags)
            }
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
    use crate::client::fake::{local_connection, with_client, FakeTransport, Fixtures};
    use crate::error::ErrorCode;
    use crate::ops::{Op, Operation};

    const FIXTURES: Fixtures = Fixtures("copy_object");
    const GIB: u64 = 1024 * 1024 * 1024;
    const MIB: u64 = 1024 * 1024;

    fn input(source_key: &str, key: &str) -> CopyObjectInput {
        CopyObjectInput {
            source_bucket_name: "src-bucket".into(),
            source_object_path: source_key.into(),
            source_version_id: None,
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            metadata_directive: None,
            mime_type: None,
            metadata: Vec::new(),
            acl: None,
            storage_class: None,
            sse: None,
            sse_kms_key_id: None,
            tags: None,
            if_match: None,
            multipart_threshold: None,
            part_size: None,
        }
    }

    fn header<'a>(request: &'a OpRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn field_of<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn copy_source_encodes_every_byte_but_unreserved_and_slash() {
        let cases = [
            ("plain.txt", "b/plain.txt"),
            ("a b  c.txt", "b/a%20b%20%20c.txt"),
            ("a+b.txt", "b/a%2Bb.txt"),
            ("100%.txt", "b/100%25.txt"),
            ("%2F", "b/%252F"),
            ("what?.txt", "b/what%3F.txt"),
            ("a?versionId=x", "b/a%3FversionId%3Dx"),
            ("#1.txt", "b/%231.txt"),
            ("k=v&x=y", "b/k%3Dv%26x%3Dy"),
            ("~home_-.", "b/~home_-."),
            ("caf\u{e9}/\u{1F4E6}", "b/caf%C3%A9/%F0%9F%93%A6"),
            ("文件", "b/%E6%96%87%E4%BB%B6"),
            ("a//b", "b/a//b"),
            ("//", "b///"),
            ("/lead", "b//lead"),
            ("dir/", "b/dir/"),
            ("a/../b", "b/a/../b"),
            ("say \"hi\"", "b/say%20%22hi%22"),
            ("tab\there", "b/tab%09here"),
        ];
        for (key, expected) in cases {
            assert_eq!(copy_source("b", key, None), expected, "{key:?}");
        }
    }

    #[test]
    fn copy_source_appends_the_version_encoded() {
        let cases = [
            ("v1", "b/k%20k?versionId=v1"),
            ("3HL4kqtJ+lcpX/ro=", "b/k%20k?versionId=3HL4kqtJ%2BlcpX%2Fro%3D"),
            ("null", "b/k%20k?versionId=null"),
        ];
        for (version, expected) in cases {
            assert_eq!(copy_source("b", "k k", Some(version)), expected, "{version:?}");
        }
    }

    #[test]
    fn plain_copy_is_a_put_with_only_the_copy_source() {
        let request = request(&input("docs/a b.txt", "copy/a b.txt"), Some("text/plain")).unwrap();
        assert_eq!(request.method, Method::Put);
        assert_eq!(request.bucket.as_deref(), Some("my-bucket"));
        assert_eq!(request.key.as_deref(), Some("copy/a b.txt"));
        assert!(request.query.is_empty());
        assert!(request.body.is_empty());
        assert!(request.idempotent);
        // COPY is S3's default: no directive, no content type, no metadata.
        assert_eq!(
            request.headers,
            pairs(&[("x-amz-copy-source", "src-bucket/docs/a%20b.txt")])
        );
        let http = local_connection().address(&request, "us-east-1");
        assert_eq!(http.url(), "http://127.0.0.1:9000/my-bucket/copy/a%20b.txt");
    }

    #[test]
    fn replace_sends_the_directive_the_mime_type_and_the_metadata() {
        let mut copy = input("a.txt", "b.txt");
        copy.metadata_directive = Some(MetadataDirective::Replace);
        copy.mime_type = Some(" text/csv ".into());
        copy.metadata = pairs(&[("Author", "Jane"), ("project-id", "42")]);
        let request = request(&copy, Some("text/plain")).unwrap();
        assert_eq!(
            request.headers,
            pairs(&[
                ("x-amz-copy-source", "src-bucket/a.txt"),
                ("x-amz-metadata-directive", "REPLACE"),
                ("content-type", "text/csv"),
                ("x-amz-meta-author", "Jane"),
                ("x-amz-meta-project-id", "42"),
            ])
        );
    }

    #[test]
    fn replace_without_a_mime_type_keeps_the_sources() {
        let mut copy = input("a.txt", "b.txt");
        copy.metadata_directive = Some(MetadataDirective::Replace);
        let kept = request(&copy, Some("image/png")).unwrap();
        assert_eq!(header(&kept, "content-type"), Some("image/png"));
        // Not known (the HEAD found nothing): S3 decides.
        let unknown = request(&copy, None).unwrap();
        assert_eq!(header(&unknown, "content-type"), None);
    }

    #[test]
    fn destination_options_become_headers() {
        let mut copy = input("a.txt", "b.txt");
        copy.acl = Some(CannedAcl::BucketOwnerFullControl);
        copy.storage_class = Some(StorageClass::StandardIa);
        copy.sse = Some(Sse::AwsKms);
        copy.sse_kms_key_id = Some("arn:aws:kms:eu-west-1:111122223333:key/abcd".into());
        copy.tags = Some(pairs(&[("project", "Q1 & Q2"), ("team", "a+b=c")]));
        copy.if_match = Some("\"9b2cf535f27731c974343645a3985328\"".into());
        let request = request(&copy, None).unwrap();
        assert_eq!(
            request.headers,
            pairs(&[
                ("x-amz-copy-source", "src-bucket/a.txt"),
                ("x-amz-acl", "bucket-owner-full-control"),
                ("x-amz-storage-class", "STANDARD_IA"),
                ("x-amz-server-side-encryption", "aws:kms"),
                (
                    "x-amz-server-side-encryption-aws-kms-key-id",
                    "arn:aws:kms:eu-west-1:111122223333:key/abcd"
                ),
                ("x-amz-tagging", "project=Q1%20%26%20Q2&team=a%2Bb%3Dc"),
                ("x-amz-tagging-directive", "REPLACE"),
                (
                    "x-amz-copy-source-if-match",
                    "\"9b2cf535f27731c974343645a3985328\""
                ),
            ])
        );
    }

    #[test]
    fn empty_tags_replace_the_sources_with_none() {
        let mut copy = input("a.txt", "b.txt");
        copy.tags = Some(Vec::new());
        let request = request(&copy, None).unwrap();
        assert_eq!(header(&request, "x-amz-tagging-directive"), Some("REPLACE"));
        assert_eq!(header(&request, "x-amz-tagging"), None);
    }

    #[test]
    fn tags_left_out_differ_from_an_empty_object() {
        let base = r#""source_bucket_name": "a-b", "source_object_path": "k", "bucket_name": "a-b", "object_path": "l""#;
        let parse =
            |extra: &str| -> CopyObjectInput { serde_json::from_str(&format!("{{{base}{extra}}}")).unwrap() };
        assert_eq!(parse("").tags, None);
        assert_eq!(parse(r#", "tags": null"#).tags, None);
        assert_eq!(parse(r#", "tags": {}"#).tags, Some(Vec::new()));
        assert_eq!(
            parse(r#", "tags": {"b": "2", "a": "1"}"#).tags,
            Some(pairs(&[("b", "2"), ("a", "1")]))
        );
        let round_trip: CopyObjectInput =
            serde_json::from_value(serde_json::to_value(parse(r#", "tags": {}"#)).unwrap()).unwrap();
        assert_eq!(round_trip.tags, Some(Vec::new()));
    }

    #[test]
    fn enums_read_s3s_spellings() {
        let base = r#""source_bucket_name": "a-b", "source_object_path": "k", "bucket_name": "a-b", "object_path": "l""#;
        let parse = |extra: &str| serde_json::from_str::<CopyObjectInput>(&format!("{{{base}, {extra}}}"));
        let copy =
            parse(r#""metadata_directive": "REPLACE", "storage_class": "GLACIER_IR", "sse": "AES256""#)
                .unwrap();
        assert_eq!(copy.metadata_directive, Some(MetadataDirective::Replace));
        assert_eq!(copy.storage_class, Some(StorageClass::GlacierIr));
        assert_eq!(copy.sse, Some(Sse::Aes256));
        assert_eq!(parse(r#""sse": "aws:kms""#).unwrap().sse, Some(Sse::AwsKms));
        assert_eq!(
            parse(r#""metadata_directive": "copy""#)
                .unwrap()
                .metadata_directive,
            Some(MetadataDirective::Copy)
        );
        for bad in [
            r#""storage_class": "standard""#,
            r#""sse": "aes256""#,
            r#""metadata_directive": "MOVE""#,
            r#""tagz": {}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        for class in [
            StorageClass::Standard,
            StorageClass::ReducedRedundancy,
            StorageClass::StandardIa,
            StorageClass::OnezoneIa,
            StorageClass::IntelligentTiering,
            StorageClass::Glacier,
            StorageClass::DeepArchive,
            StorageClass::GlacierIr,
        ] {
            // The header says what the JSON says.
            assert_eq!(serde_json::to_value(class).unwrap(), class.as_str());
        }
    }

    #[test]
    fn bad_input_names_its_field() {
        let with = |f: &dyn Fn(&mut CopyObjectInput)| {
            let mut copy = input("a.txt", "b.txt");
            f(&mut copy);
            copy
        };
        let long_key = "k".repeat(validate::MAX_TAG_KEY + 1);
        let long_value = "é".repeat(validate::MAX_TAG_VALUE + 1);
        let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), String::new())).collect();
        let cases: Vec<(CopyObjectInput, &str)> = vec![
            (
                with(&|c| c.source_bucket_name = "Src_Bucket".into()),
                "source_bucket_name",
            ),
            (
                with(&|c| c.source_bucket_name = String::new()),
                "source_bucket_name",
            ),
            (
                with(&|c| c.source_object_path = String::new()),
                "source_object_path",
            ),
            (
                with(&|c| c.source_object_path = "k".repeat(1025)),
                "source_object_path",
            ),
            (
                with(&|c| c.source_version_id = Some(String::new())),
                "source_version_id",
            ),
            (
                with(&|c| c.source_version_id = Some("v\n1".into())),
                "source_version_id",
            ),
            (with(&|c| c.bucket_name = "x".into()), "bucket_name"),
            (with(&|c| c.object_path = String::new()), "object_path"),
            (with(&|c| c.mime_type = Some("text/csv".into())), "mime_type"),
            (with(&|c| c.metadata = pairs(&[("a", "b")])), "metadata"),
            (
                with(&|c| {
                    c.metadata_directive = Some(MetadataDirective::Replace);
                    c.mime_type = Some("text/plain\r\nx-amz-acl: public-read".into());
                }),
                "mime_type",
            ),
            (
                with(&|c| {
                    c.metadata_directive = Some(MetadataDirective::Replace);
                    c.metadata = pairs(&[("title", "café")]);
                }),
                "metadata",
            ),
            (with(&|c| c.sse_kms_key_id = Some("key".into())), "sse_kms_key_id"),
            (
                with(&|c| {
                    c.sse = Some(Sse::Aes256);
                    c.sse_kms_key_id = Some("key".into());
                }),
                "sse_kms_key_id",
            ),
            (with(&|c| c.tags = Some(eleven.clone())), "tags"),
            (with(&|c| c.tags = Some(pairs(&[("", "v")]))), "tags"),
            (
                with(&|c| c.tags = Some(vec![(long_key.clone(), "v".into())])),
                "tags.kkkk",
            ),
            (
                with(&|c| c.tags = Some(vec![("k".into(), long_value.clone())])),
                "tags.k",
            ),
            (with(&|c| c.tags = Some(pairs(&[("aws:k", "v")]))), "tags.aws:k"),
            (
                with(&|c| c.tags = Some(pairs(&[("k", "1"), ("k", "2")]))),
                "tags.k",
            ),
            (with(&|c| c.if_match = Some(String::new())), "if_match"),
            (with(&|c| c.if_match = Some("\"e\"\r\nx: y".into())), "if_match"),
            (with(&|c| c.if_match = Some("\"é\"".into())), "if_match"),
            (
                with(&|c| c.multipart_threshold = Some(MAX_SINGLE_COPY + 1)),
                "multipart_threshold",
            ),
            (with(&|c| c.part_size = Some(MIN_PART_SIZE - 1)), "part_size"),
            (with(&|c| c.part_size = Some(MAX_PART_SIZE + 1)), "part_size"),
        ];
        for (copy, field) in cases {
            let mut transport = FakeTransport::default();
            let result = with_client(&mut transport, Operation::CopyObject, |c| run(c, &copy));
            let named = field_of(result);
            // A tag's field is `tags.<key>`; a long key is named in full.
            assert!(
                named == field || (field.ends_with("kkkk") && named.starts_with(field)),
                "{named} for {copy:?}"
            );
            assert!(
                transport.sent.is_empty(),
                "nothing is sent for bad input: {copy:?}"
            );
        }
    }

    #[test]
    fn result_is_parsed_with_both_version_ids() {
        let mut answer = FIXTURES.ok("result.xml");
        answer.headers.push("x-amz-version-id", "V2");
        answer.headers.push("x-amz-copy-source-version-id", "V1");
        assert_eq!(
            parse(&answer, "b.txt").unwrap(),
            CopyObjectOutput {
                key: "b.txt".into(),
                etag: Some("\"9b2cf535f27731c974343645a3985328\"".into()),
                last_modified: Some("2009-10-28T22:32:00.000Z".into()),
                version_id: Some("V2".into()),
                source_version_id: Some("V1".into()),
                parts: 0,
            }
        );
    }

    #[test]
    fn result_after_keepalive_whitespace_is_parsed() {
        let output = parse(&FIXTURES.ok("result-after-keepalive.xml"), "k").unwrap();
        assert_eq!(
            output.etag.as_deref(),
            Some("\"d41d8cd98f00b204e9800998ecf8427e\"")
        );
        assert_eq!(output.last_modified.as_deref(), Some("2026-01-05T10:11:12.000Z"));
    }

    #[test]
    fn an_error_in_a_200_is_the_service_error_it_names() {
        let cases = [
            (
                "error-in-200.xml",
                ErrorCode::InternalError,
                "We encountered an internal error",
            ),
            ("error-in-200-no-message.xml", ErrorCode::SlowDown, "slow down"),
        ];
        for (file, code, message) in cases {
            match parse(&FIXTURES.ok(file), "k").map_err(Error::into_kind) {
                Err(ErrorKind::Service(error)) => {
                    assert_eq!(error.code, code, "{file}");
                    assert_eq!(error.status, 200, "{file}");
                    assert!(error.message.contains(message), "{file}: {}", error.message);
                }
                other => panic!("{file}: expected a service error, got {other:?}"),
            }
        }
        let Err(ErrorKind::Service(error)) =
            parse(&FIXTURES.ok("error-in-200.xml"), "k").map_err(Error::into_kind)
        else {
            unreachable!()
        };
        assert_eq!(
            error.request_id.as_deref(),
            Some("656c76696e6727732072657175657374")
        );
    }

    #[test]
    fn a_body_that_is_no_result_is_an_invalid_response() {
        for body in [&b""[..], b"<Other/>", &FIXTURES.bytes("result-truncated.xml")] {
            let answer = crate::client::fake::xml_ok(body);
            let result = parse(&answer, "k");
            assert!(
                matches!(
                    result.as_ref().map_err(Error::kind),
                    Err(ErrorKind::InvalidResponse(_))
                ),
                "{:?}: {result:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    fn head_answer(t: &mut FakeTransport, size: u64, extra: &[(&str, &str)]) {
        let size = size.to_string();
        let mut headers = vec![
            ("Content-Length", size.as_str()),
            ("ETag", "\"source-etag\""),
            ("Content-Type", "text/csv"),
        ];
        headers.extend_from_slice(extra);
        t.answer(200, &headers, b"");
    }

    #[test]
    fn run_heads_the_source_then_copies_once() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 11, &[]);
        t.answer(
            200,
            &[("x-amz-copy-source-version-id", "V1")],
            &FIXTURES.bytes("result.xml"),
        );
        let copy = input("docs/a+b.txt", "b.txt");
        let output = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap();
        assert_eq!(output.source_version_id.as_deref(), Some("V1"));
        assert_eq!(output.parts, 0);
        assert_eq!(t.sent.len(), 2);
        assert_eq!(t.sent[0].method, Method::Head);
        assert_eq!(t.sent[0].url(), "http://127.0.0.1:9000/src-bucket/docs/a%2Bb.txt");
        assert_eq!(t.sent[1].method, Method::Put);
        assert_eq!(t.sent[1].url(), "http://127.0.0.1:9000/my-bucket/b.txt");
        assert_eq!(
            t.sent[1].header("x-amz-copy-source"),
            Some("src-bucket/docs/a%2Bb.txt")
        );
        // The header is signed like any other.
        let auth = t.sent[1].header("authorization").unwrap();
        assert!(auth.contains("x-amz-copy-source"), "{auth}");
        assert_eq!(t.progress.last(), Some(&(11, Some(11))));
    }

    #[test]
    fn a_version_is_headed_and_copied() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 3, &[]);
        t.answer(200, &[], &FIXTURES.bytes("result.xml"));
        let mut copy = input("k", "l");
        copy.source_version_id = Some("v+1".into());
        with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap();
        assert_eq!(
            t.sent[0].url(),
            "http://127.0.0.1:9000/src-bucket/k?versionId=v%2B1"
        );
        assert_eq!(
            t.sent[1].header("x-amz-copy-source"),
            Some("src-bucket/k?versionId=v%2B1")
        );
        assert_eq!(t.sent[1].url(), "http://127.0.0.1:9000/my-bucket/l");
    }

    #[test]
    fn if_match_is_checked_by_the_head_and_the_copy() {
        let mut t = FakeTransport::default();
        t.answer(412, &[], b"");
        let mut copy = input("k", "l");
        copy.if_match = Some("\"other\"".into());
        let result = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy));
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => assert_eq!(error.code, ErrorCode::PreconditionFailed),
            other => panic!("expected precondition failed, got {other:?}"),
        }
        assert_eq!(t.sent.len(), 1, "no copy after a failed precondition");
        assert_eq!(t.sent[0].header("if-match"), Some("\"other\""));
    }

    #[test]
    fn a_missing_source_is_named_by_the_copys_own_answer() {
        let cases = [
            ("error-no-such-key.xml", 404, ErrorCode::NoSuchKey),
            ("error-no-such-bucket.xml", 404, ErrorCode::NoSuchBucket),
        ];
        for (file, status, code) in cases {
            let mut t = FakeTransport::default();
            t.answer(404, &[], b"");
            t.answer(status, &[], &FIXTURES.bytes(file));
            let copy = input("missing.txt", "b.txt");
            let result = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy));
            match result.map_err(Error::into_kind) {
                Err(ErrorKind::Service(error)) => assert_eq!(error.code, code, "{file}"),
                other => panic!("{file}: expected {code:?}, got {other:?}"),
            }
            assert_eq!(t.sent.len(), 2, "{file}");
        }
    }

    #[test]
    fn a_denied_head_names_the_sources_permission_and_stops() {
        for (version, permission) in [(None, "s3:GetObject"), (Some("v1"), "s3:GetObjectVersion")] {
            let mut t = FakeTransport::default();
            t.answer(403, &[], b"");
            let mut copy = input("k", "l");
            copy.source_version_id = version.map(str::to_owned);
            match with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).map_err(Error::into_kind) {
                Err(ErrorKind::Service(error)) => {
                    assert_eq!(error.code, ErrorCode::AccessDenied);
                    assert_eq!(error.required_permission.as_deref(), Some(permission));
                }
                other => panic!("expected access denied, got {other:?}"),
            }
            assert_eq!(t.sent.len(), 1);
        }
    }

    #[test]
    fn a_denied_copy_names_read_and_write_permissions() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 1, &[]);
        t.answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        let mut copy = input("k", "l");
        copy.acl = Some(CannedAcl::Private);
        match with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => assert_eq!(
                error.required_permission.as_deref(),
                Some("s3:GetObject, s3:PutObject, s3:PutObjectAcl")
            ),
            other => panic!("expected access denied, got {other:?}"),
        }
    }

    #[test]
    fn a_copy_that_fails_midway_is_retried_then_reported() {
        // 200 with an <Error> body: the client sees through the status, and
        // InternalError is worth another attempt (copying again is safe).
        let mut t = FakeTransport::default();
        head_answer(&mut t, 1, &[]);
        let error = FIXTURES.bytes("error-in-200.xml");
        t.answer(200, &[], &error)
            .answer(200, &[], &error)
            .answer(200, &[], &error);
        let copy = input("k", "l");
        match with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::InternalError);
                assert_eq!(error.status, 200);
                assert_eq!(error.attempts, 3);
            }
            other => panic!("expected internal error, got {other:?}"),
        }
        let mut t = FakeTransport::default();
        head_answer(&mut t, 1, &[]);
        t.answer(200, &[], &error)
            .answer(200, &[], &FIXTURES.bytes("result.xml"));
        let output = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap();
        assert_eq!(
            output.etag.as_deref(),
            Some("\"9b2cf535f27731c974343645a3985328\"")
        );
    }

    #[test]
    fn copying_onto_itself_unchanged_is_refused_by_s3_as_it_is() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 1, &[]);
        t.answer(400, &[], &FIXTURES.bytes("error-copy-onto-itself.xml"));
        let mut copy = input("k", "k");
        copy.bucket_name = copy.source_bucket_name.clone();
        match with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::InvalidRequest);
                assert!(
                    error.message.contains("copy an object to itself"),
                    "{}",
                    error.message
                );
            }
            other => panic!("expected invalid request, got {other:?}"),
        }
    }

    /// Queues the answers of a copy in `parts` parts that succeeds.
    fn parts_answers(t: &mut FakeTransport, parts: u32) {
        t.answer(
            200,
            &[],
            b"<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>",
        );
        for n in 1..=parts {
            let body = format!(
                "<CopyPartResult><ETag>\"{n:032x}\"</ETag><LastModified>x</LastModified></CopyPartResult>"
            );
            t.answer(200, &[("x-amz-copy-source-version-id", "SV")], body.as_bytes());
        }
        t.answer(
            200,
            &[("x-amz-version-id", "DV")],
            b"<CompleteMultipartUploadResult><ETag>\"abc-3\"</ETag></CompleteMultipartUploadResult>",
        );
    }

    #[test]
    fn a_source_over_5_gib_is_copied_in_parts_pinned_to_its_etag() {
        let size = 6 * GIB;
        let mut t = FakeTransport::default();
        head_answer(
            &mut t,
            size,
            &[
                ("Cache-Control", "max-age=60"),
                ("x-amz-meta-Author", "Jane"),
                ("x-amz-storage-class", "GLACIER_IR"),
                ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ],
        );
        let plan = PartPlan::new(size, Some(DEFAULT_COPY_PART_SIZE)).unwrap();
        assert_eq!(plan.parts, 12);
        parts_answers(&mut t, plan.parts);
        let mut copy = input("big/a b.bin", "big/copy.bin");
        copy.acl = Some(CannedAcl::Private);
        let output = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap();
        assert_eq!(
            output,
            CopyObjectOutput {
                key: "big/copy.bin".into(),
                etag: Some("\"abc-3\"".into()),
                last_modified: None,
                version_id: Some("DV".into()),
                source_version_id: Some("SV".into()),
                parts: 12,
            }
        );
        let create = &t.sent[1];
        assert_eq!(create.method, Method::Post);
        assert_eq!(
            create.url(),
            "http://127.0.0.1:9000/my-bucket/big/copy.bin?uploads="
        );
        // What a single copy would keep, and the ACL asked for; not the
        // storage class or the dates.
        assert_eq!(
            create.headers[..4],
            pairs(&[
                ("content-type", "text/csv"),
                ("cache-control", "max-age=60"),
                ("x-amz-meta-author", "Jane"),
                ("x-amz-acl", "private"),
            ])[..]
        );
        assert!(create.header("x-amz-storage-class").is_none());
        assert!(create.header("last-modified").is_none());
        for n in 1..=plan.parts {
            let part = &t.sent[1 + n as usize];
            let (offset, length) = plan.part(n);
            assert_eq!(
                part.url(),
                format!("http://127.0.0.1:9000/my-bucket/big/copy.bin?partNumber={n}&uploadId=UP1")
            );
            assert_eq!(part.header("x-amz-copy-source"), Some("src-bucket/big/a%20b.bin"));
            assert_eq!(
                part.header("x-amz-copy-source-range"),
                Some(format!("bytes={}-{}", offset, offset + length - 1).as_str())
            );
            assert_eq!(part.header("x-amz-copy-source-if-match"), Some("\"source-etag\""));
        }
        assert_eq!(
            t.sent[2].header("x-amz-copy-source-range"),
            Some("bytes=0-536870911")
        );
        assert_eq!(
            t.sent[13].header("x-amz-copy-source-range"),
            Some("bytes=5905580032-6442450943")
        );
        let complete = t.sent.last().unwrap();
        assert_eq!(complete.method, Method::Post);
        assert!(complete.url().ends_with("?uploadId=UP1"));
        let body = String::from_utf8(complete.body.to_vec()).unwrap();
        assert!(body.contains(&format!(
            "<Part><PartNumber>12</PartNumber><ETag>&quot;{:032x}&quot;</ETag></Part>",
            12
        )));
        assert_eq!(t.progress.first(), Some(&(0, Some(size))));
        assert_eq!(t.progress.last(), Some(&(size, Some(size))));
    }

    #[test]
    fn the_threshold_and_part_size_may_be_lowered() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 12 * MIB + 1, &[]);
        parts_answers(&mut t, 3);
        let mut copy = input("k", "l");
        copy.multipart_threshold = Some(5 * MIB);
        copy.part_size = Some(5 * MIB);
        let output = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap();
        assert_eq!(output.parts, 3);
        let ranges: Vec<&str> = t.sent[2..5]
            .iter()
            .map(|r| r.header("x-amz-copy-source-range").unwrap())
            .collect();
        assert_eq!(
            ranges,
            [
                "bytes=0-5242879",
                "bytes=5242880-10485759",
                "bytes=10485760-12582912"
            ]
        );
    }

    #[test]
    fn at_the_threshold_one_copy_suffices_and_an_empty_source_never_goes_in_parts() {
        for (size, threshold) in [(MAX_SINGLE_COPY, None), (0, Some(0))] {
            let mut t = FakeTransport::default();
            head_answer(&mut t, size, &[]);
            t.answer(200, &[], &FIXTURES.bytes("result.xml"));
            let mut copy = input("k", "l");
            copy.multipart_threshold = threshold;
            let output = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap();
            assert_eq!(output.parts, 0, "{size}");
            assert_eq!(t.sent.len(), 2, "{size}");
        }
    }

    #[test]
    fn replace_in_parts_takes_the_inputs_metadata_and_tags() {
        let mut t = FakeTransport::default();
        head_answer(
            &mut t,
            12 * MIB,
            &[("x-amz-meta-old", "1"), ("x-amz-tagging-count", "2")],
        );
        parts_answers(&mut t, 3);
        let mut copy = input("k", "l");
        copy.multipart_threshold = Some(5 * MIB);
        copy.part_size = Some(5 * MIB);
        copy.metadata_directive = Some(MetadataDirective::Replace);
        copy.metadata = pairs(&[("New", "2")]);
        copy.storage_class = Some(StorageClass::Standard);
        copy.tags = Some(pairs(&[("a", "b c")]));
        with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap();
        // No GetObjectTagging: the tags are given.
        let create = &t.sent[1];
        assert_eq!(create.method, Method::Post);
        assert_eq!(
            create.headers[..4],
            pairs(&[
                ("content-type", "text/csv"),
                ("x-amz-meta-new", "2"),
                ("x-amz-storage-class", "STANDARD"),
                ("x-amz-tagging", "a=b%20c"),
            ])[..]
        );
        assert!(create.header("x-amz-meta-old").is_none());
    }

    #[test]
    fn tags_of_a_tagged_source_are_read_for_a_copy_in_parts() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 12 * MIB, &[("x-amz-tagging-count", "3")]);
        t.answers.push_back(Ok(FIXTURES.ok("tagging.xml")));
        parts_answers(&mut t, 3);
        let mut copy = input("k", "l");
        copy.source_version_id = Some("V7".into());
        copy.multipart_threshold = Some(5 * MIB);
        copy.part_size = Some(5 * MIB);
        with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap();
        let tagging = &t.sent[1];
        assert_eq!(tagging.method, Method::Get);
        assert_eq!(
            tagging.url(),
            "http://127.0.0.1:9000/src-bucket/k?tagging=&versionId=V7"
        );
        assert_eq!(
            t.sent[2].header("x-amz-tagging"),
            Some("project=Q1%20%26%20Q2&empty=&%C3%BCn%C3%AFcode=a%3Db%26c")
        );
        assert_eq!(
            t.sent[3].header("x-amz-copy-source"),
            Some("src-bucket/k?versionId=V7")
        );
    }

    #[test]
    fn a_part_that_fails_aborts_the_upload() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 12 * MIB, &[]);
        t.answer(
            200,
            &[],
            b"<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>",
        );
        t.answers.push_back(Ok(FIXTURES.ok("part-result.xml")));
        // The source changed since the HEAD.
        t.answer(
            412,
            &[],
            b"<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions \
              you specified did not hold</Message></Error>",
        );
        t.answer(204, &[], b"");
        let mut copy = input("k", "l");
        copy.multipart_threshold = Some(5 * MIB);
        copy.part_size = Some(5 * MIB);
        let error = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap_err();
        let error = error.into_kind();
        let ErrorKind::UploadIncomplete(failure) = error else {
            panic!("expected an incomplete upload, got {error:?}");
        };
        assert_eq!(failure.upload_id, "UP1");
        assert_eq!((failure.parts_done, failure.parts_total), (1, 3));
        assert!(failure.aborted);
        assert!(
            matches!(failure.cause.kind(), ErrorKind::Service(e) if e.code == ErrorCode::PreconditionFailed),
            "{:?}",
            failure.cause
        );
        let abort = t.sent.last().unwrap();
        assert_eq!(abort.method, Method::Delete);
        assert_eq!(abort.url(), "http://127.0.0.1:9000/my-bucket/l?uploadId=UP1");
    }

    #[test]
    fn a_part_that_fails_in_a_200_aborts_the_upload() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 12 * MIB, &[]);
        t.answer(
            200,
            &[],
            b"<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>",
        );
        let failure = b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
        t.answer(200, &[], failure);
        t.answer(204, &[], b"");
        let mut copy = input("k", "l");
        copy.multipart_threshold = Some(5 * MIB);
        copy.part_size = Some(5 * MIB);
        let error = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy)).unwrap_err();
        let error = error.into_kind();
        let ErrorKind::UploadIncomplete(failure) = error else {
            panic!("expected an incomplete upload, got {error:?}");
        };
        assert_eq!(failure.parts_done, 0);
        assert!(failure.aborted);
        assert!(matches!(failure.cause.kind(), ErrorKind::Service(e) if e.code == ErrorCode::AccessDenied));
        assert_eq!(t.sent.last().unwrap().method, Method::Delete);
    }

    #[test]
    fn a_part_copy_answer_is_parsed_or_its_error_returned() {
        let mut answer = FIXTURES.ok("part-result.xml");
        answer.headers.push("x-amz-copy-source-version-id", "SV");
        assert_eq!(
            multipart::parse_upload_part_copy(&answer).unwrap(),
            (
                "\"9b2cf535f27731c974343645a3985328\"".to_owned(),
                Some("SV".to_owned())
            )
        );
        let error = multipart::parse_upload_part_copy(&FIXTURES.ok("error-in-200.xml"));
        assert!(matches!(
            error.map_err(Error::into_kind),
            Err(ErrorKind::Service(ref e)) if e.code == ErrorCode::InternalError
        ));
        let no_etag = crate::client::fake::xml_ok(b"<CopyPartResult/>");
        assert!(matches!(
            multipart::parse_upload_part_copy(&no_etag).map_err(Error::into_kind),
            Err(ErrorKind::InvalidResponse(_))
        ));
    }

    #[test]
    fn a_copy_in_parts_onto_itself_unchanged_is_refused_before_the_upload() {
        let mut t = FakeTransport::default();
        head_answer(&mut t, 12 * MIB, &[]);
        let mut copy = input("k", "k");
        copy.bucket_name = copy.source_bucket_name.clone();
        copy.multipart_threshold = Some(5 * MIB);
        copy.part_size = Some(5 * MIB);
        let result = with_client(&mut t, Operation::CopyObject, |c| run(c, &copy));
        assert_eq!(field_of(result), "object_path");
        assert_eq!(t.sent.len(), 1, "only the HEAD");
        // A change makes it a copy S3 takes.
        copy.storage_class = Some(StorageClass::Glacier);
        assert!(!copies_onto_itself_unchanged(&copy));
        copy.storage_class = None;
        copy.source_version_id = Some("old".into());
        assert!(!copies_onto_itself_unchanged(&copy));
    }

    #[test]
    fn each_request_names_the_permissions_it_needs() {
        let put = |headers: &[(&str, &str)]| {
            let mut request = OpRequest::new(Method::Put, Some("b"), Some("k"));
            request.headers = pairs(headers);
            request
        };
        let source = ("x-amz-copy-source", "s/k%3FversionId%3Dx");
        let version = ("x-amz-copy-source", "s/k?versionId=x");
        let cases = [
            (OpRequest::new(Method::Head, Some("s"), Some("k")), "s3:GetObject"),
            (
                OpRequest::new(Method::Head, Some("s"), Some("k")).with_query("versionId", "v"),
                "s3:GetObjectVersion",
            ),
            (
                OpRequest::new(Method::Get, Some("s"), Some("k")).with_query("tagging", ""),
                "s3:GetObjectTagging",
            ),
            (
                OpRequest::new(Method::Get, Some("s"), Some("k"))
                    .with_query("tagging", "")
                    .with_query("versionId", "v"),
                "s3:GetObjectVersionTagging",
            ),
            (put(&[source]), "s3:GetObject, s3:PutObject"),
            (put(&[version]), "s3:GetObjectVersion, s3:PutObject"),
            (
                put(&[source, ("x-amz-acl", "private")]),
                "s3:GetObject, s3:PutObject, s3:PutObjectAcl",
            ),
            (
                put(&[version, ("x-amz-tagging-directive", "REPLACE")]),
                "s3:GetObjectVersion, s3:PutObject, s3:PutObjectTagging",
            ),
            (
                put(&[
                    source,
                    ("x-amz-acl", "private"),
                    ("x-amz-tagging-directive", "REPLACE"),
                ]),
                "s3:GetObject, s3:PutObject, s3:PutObjectAcl, s3:PutObjectTagging",
            ),
            (
                multipart::create_request("b", "k", pairs(&[("x-amz-tagging", "a=b")])),
                "s3:PutObject, s3:PutObjectTagging",
            ),
            (
                multipart::complete_request("b", "k", "U", &[]).unwrap(),
                "s3:PutObject",
            ),
            (
                multipart::abort_request("my-bucket", "k", "U").unwrap(),
                "s3:AbortMultipartUpload",
            ),
        ];
        for (request, permission) in cases {
            assert_eq!(CopyObject::permission(&request), permission, "{request:?}");
            assert!(
                permission
                    .split(", ")
                    .all(|p| CopyObject::PERMISSIONS.contains(&p)),
                "{permission} is declared"
            );
        }
    }

    #[test]
    fn the_example_is_a_valid_input() {
        let example: CopyObjectInput = serde_json::from_str(CopyObject::EXAMPLE).unwrap();
        assert!(request(&example, None).is_ok());
    }
}
