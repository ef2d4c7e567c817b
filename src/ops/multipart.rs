//! The S3 actions of a multipart upload, each a request builder and a
//! response parser: create, upload a part, copy a part, complete, abort,
//! list parts. The loops that drive them are `put_object_stream`'s and
//! `copy_object`'s; this module holds no state.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>
//!
//! S3's limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most
//! 10,000 parts, objects of at most 5 TiB.

use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::quote::QuotedChar;
use crate::validate;
use crate::xml::{self, Path, Visitor};

/// 1 MiB.
const MIB: u64 = 1024 * 1024;

/// The smallest part S3 accepts, but for the last.
pub const MIN_PART_SIZE: u64 = 5 * MIB;

/// The largest part S3 accepts.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;

/// The most parts an upload may have.
pub const MAX_PARTS: u64 = 10_000;

/// The largest object S3 stores: 5 TiB.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;

/// The part size when none is given.
pub const DEFAULT_PART_SIZE: u64 = 8 * MIB;

/// How a body of `size` bytes is cut into parts: equal parts of
/// `part_size`, the last one ragged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartPlan {
    /// The size of the whole object.
    pub size: u64,
    /// The size of every part but the last.
    pub part_size: u64,
    /// How many parts (at least 1).
    pub parts: u32,
}

impl PartPlan {
    /// The plan for `size` bytes with the requested part size (default
    /// [`DEFAULT_PART_SIZE`]), raised to the next MiB that fits the object in
    /// [`MAX_PARTS`] parts. An object over 5 TiB, or a requested part size
    /// outside S3's bounds, is refused.
    pub fn new(size: u64, requested: Option<u64>) -> Result<Self, Error> {
        if size > MAX_OBJECT_SIZE {
            return Err(Error::invalid_input(
                "content",
                format!("is {size} bytes; S3 stores objects of at most 5 TiB ({MAX_OBJECT_SIZE} bytes)"),
            ));
        }
        if let Some(part_size) = requested {
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
        let fitting = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        let part_size = requested.unwrap_or(DEFAULT_PART_SIZE).max(fitting);
        let parts = size.div_ceil(part_size).max(1);
        Ok(PartPlan {
            size,
            part_size,
            parts: u32::try_from(parts).unwrap_or(u32::MAX),
        })
    }

    /// The offset and length of part `number` (1-based).
    pub fn part(&self, number: u32) -> (u64, u64) {
        let offset = u64::from(number.saturating_sub(1)) * self.part_size;
        (offset, self.part_size.min(self.size.saturating_sub(offset)))
    }
}

/// `POST /bucket/key?uploads`: starts an upload. `headers` are the object's
/// (content type, ACL, metadata), which S3 takes here, not on the parts.
pub fn create_request(bucket: &str, key: &str, headers: Vec<(String, String)>) -> OpRequest {
    let mut request = OpRequest::new(Method::Post, Some(bucket), Some(key)).with_query("uploads", "");
    request.headers = headers;
    request
}

/// The upload id from `<InitiateMultipartUploadResult>`.
pub fn parse_create(response: &HttpResponse) -> Result<String, Error> {
    let mut visitor = LeafVisitor::new("UploadId");
    xml::walk(&response.body, "InitiateMultipartUploadResult", &mut visitor)?;
    visitor
        .value
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Error::invalid_response("<InitiateMultipartUploadResult> has no <UploadId>"))
}

/// `PUT /bucket/key?partNumber=N&uploadId=ID`, whose body (sent from the
/// source) has the SHA-256 `payload_hash` (or `UNSIGNED-PAYLOAD`).
pub fn upload_part_request(
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: u32,
    payload_hash: &str,
    content_md5: Option<&str>,
) -> OpRequest {
    let mut request = OpRequest::new(Method::Put, Some(bucket), Some(key))
        .with_query("partNumber", &number.to_string())
        .with_query("uploadId", upload_id)
        .with_header("x-amz-content-sha256", payload_hash);
    if let Some(md5) = content_md5 {
        request = request.with_header("content-md5", md5);
    }
    request
}

/// The part's ETag, from the response header.
pub fn parse_upload_part(response: &HttpResponse) -> Result<String, Error> {
    response
        .header("etag")
        .filter(|etag| !etag.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid_response("the answer to an UploadPart has no ETag header"))
}

/// `PUT /bucket/key?partNumber=N&uploadId=ID` whose part is copied by S3
/// from bytes `first..=last` of `copy_source` (an `x-amz-copy-source`
/// value): UploadPartCopy. `if_match` pins the source to the ETag it had
/// when the copy began, so that every part comes from the same object.
///
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html>
pub fn upload_part_copy_request(
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: u32,
    copy_source: &str,
    (first, last): (u64, u64),
    if_match: Option<&str>,
) -> OpRequest {
    let mut request = OpRequest::new(Method::Put, Some(bucket), Some(key))
        .with_query("partNumber", &number.to_string())
        .with_query("uploadId", upload_id)
        .with_header("x-amz-copy-source", copy_source)
        .with_header("x-amz-copy-source-range", &format!("bytes={first}-{last}"));
    if let Some(etag) = if_match {
        request = request.with_header("x-amz-copy-source-if-match", etag);
    }
    request
}

/// The part's ETag from `<CopyPartResult>`, and the source's version id
/// from the header. S3 answers 200 before it copies, so a copy that failed
/// is an `<Error>` in that 200's body: it is the service error it names.
pub fn parse_upload_part_copy(response: &HttpResponse) -> Result<(String, Option<String>), Error> {
    if let Some(error) = xml::error_in_success(response) {
        return Err(Error::service(error));
    }
    let mut visitor = LeafVisitor::new("ETag");
    xml::walk(&response.body, "CopyPartResult", &mut visitor)?;
    let etag = visitor
        .value
        .filter(|etag| !etag.is_empty())
        .ok_or_else(|| Error::invalid_response("<CopyPartResult> has no <ETag>"))?;
    let source_version = response.header("x-amz-copy-source-version-id").map(str::to_owned);
    Ok((etag, source_version))
}

/// `POST /bucket/key?uploadId=ID` with the parts' numbers and ETags, in order.
pub fn complete_request(
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(u32, String)],
) -> Result<OpRequest, Error> {
    let mut body = String::with_capacity(64 + parts.len() * 80);
    body.push_str("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (number, etag) in parts {
        body.push_str("<Part><PartNumber>");
        body.push_str(&number.to_string());
        body.push_str("</PartNumber><ETag>");
        xml::escape_text_into(&mut body, etag).map_err(|c| {
            Error::invalid_response(format!(
                "part {number}'s ETag holds {}, which XML cannot carry",
                QuotedChar(c)
            ))
        })?;
        body.push_str("</ETag></Part>");
    }
    body.push_str("</CompleteMultipartUpload>");
    let mut request = OpRequest::new(Method::Post, Some(bucket), Some(key))
        .with_query("uploadId", upload_id)
        .with_header("content-type", "application/xml");
    request.body = body.into();
    Ok(request)
}

/// The object's ETag from `<CompleteMultipartUploadResult>`, and its
/// version id from the header.
pub fn parse_complete(response: &HttpResponse) -> Result<(Option<String>, Option<String>), Error> {
    let mut visitor = LeafVisitor::new("ETag");
    xml::walk(&response.body, "CompleteMultipartUploadResult", &mut visitor)?;
    let version = response.header("x-amz-version-id").map(str::to_owned);
    Ok((visitor.value.and_then(|v| xml::optional(&v)), version))
}

/// `DELETE /bucket/key?uploadId=ID`: drops the upload and its parts.
pub fn abort_request(bucket: &str, key: &str, upload_id: &str) -> Result<OpRequest, Error> {
    validate::bucket_name(bucket)?;
    validate::object_key("object_path", key)?;
    upload_id_field(upload_id)?;
    Ok(OpRequest::new(Method::Delete, Some(bucket), Some(key)).with_query("uploadId", upload_id))
}

/// Checks an upload id given as input.
pub fn upload_id_field(upload_id: &str) -> Result<(), Error> {
    if upload_id.trim().is_empty() || upload_id.len() > 1024 {
        return Err(Error::invalid_input(
            "upload_id",
            "must be the non-empty id of a multipart upload, as S3 gave it",
        ));
    }
    Ok(())
}

/// One part S3 holds for an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Its number.
    pub number: u32,
    /// Its ETag.
    pub etag: String,
    /// Its size in bytes.
    pub size: u64,
}

/// One page of List Parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartsPage {
    /// The parts, by number.
    pub parts: Vec<Part>,
    /// Where the next page starts, when truncated.
    pub next_marker: Option<u32>,
}

/// `GET /bucket/key?uploadId=ID[&part-number-marker=N]`.
pub fn list_parts_request(bucket: &str, key: &str, upload_id: &str, marker: Option<u32>) -> OpRequest {
    let mut request = OpRequest::new(Method::Get, Some(bucket), Some(key)).with_query("uploadId", upload_id);
    if let Some(marker) = marker {
        request = request.with_query("part-number-marker", &marker.to_string());
    }
    request
}

/// Parses `<ListPartsResult>`.
pub fn parse_list_parts(response: &HttpResponse) -> Result<PartsPage, Error> {
    let mut visitor = PartsVisitor::default();
    xml::walk(&response.body, "ListPartsResult", &mut visitor)?;
    let mut page = visitor.page;
    if !visitor.truncated {
        page.next_marker = None;
    } else if page.next_marker.is_none() {
        page.next_marker = page.parts.last().map(|p| p.number);
    }
    Ok(page)
}

#[derive(Default)]
struct PartsVisitor {
    page: PartsPage,
    current: Option<Part>,
    truncated: bool,
}

impl Visitor for PartsVisitor {
    fn open(&mut self, path: &Path) -> Result<(), Error> {
        if path.is(&["Part"]) {
            self.current = Some(Part {
                number: 0,
                etag: String::new(),
                size: 0,
            });
        }
        Ok(())
    }

    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        let names = path.names();
        match names.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["Part"] => {
                if let Some(part) = self.current.take() {
                    if part.number == 0 {
                        return Err(Error::invalid_response(
                            "a <Part> of <ListPartsResult> has no <PartNumber>",
                        ));
                    }
                    self.page.parts.push(part);
                }
            }
            ["Part", "PartNumber"] => {
                if let Some(part) = &mut self.current {
                    part.number = parse_u32("PartNumber", text)?;
                }
            }
            ["Part", "ETag"] => {
                if let Some(part) = &mut self.current {
                    part.etag = text.to_owned();
                }
            }
            ["Part", "Size"] => {
                if let Some(part) = &mut self.current {
                    part.size = xml::parse_u64("Size", text)?;
                }
            }
            ["IsTruncated"] => self.truncated = xml::parse_bool("IsTruncated", text)?,
            ["NextPartNumberMarker"] if !text.is_empty() => {
                self.page.next_marker = Some(parse_u32("NextPartNumberMarker", text)?);
            }
            _ => {}
        }
        Ok(())
    }
}

fn parse_u32(element: &str, text: &str) -> Result<u32, Error> {
    u32::try_from(xml::parse_u64(element, text)?)
        .map_err(|_| Error::invalid_response(format!("<{element}> is out of range: {text}")))
}

/// Takes the text of one leaf directly below the root.
struct LeafVisitor {
    name: &'static str,
    value: Option<String>,
}

impl LeafVisitor {
    fn new(name: &'static str) -> Self {
        LeafVisitor { name, value: None }
    }
}

impl Visitor for LeafVisitor {
    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        if path.is(&[self.name]) {
            self.value = Some(text.to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::xml_ok;
    use crate::error::ErrorKind;

    #[test]
    fn plan_cuts_equal_parts_and_a_ragged_last_one() {
        let plan = PartPlan::new(12 * MIB + 3, Some(5 * MIB)).unwrap();
        assert_eq!(plan.parts, 3);
        assert_eq!(plan.part(1), (0, 5 * MIB));
        assert_eq!(plan.part(2), (5 * MIB, 5 * MIB));
        assert_eq!(plan.part(3), (10 * MIB, 2 * MIB + 3));
    }

    #[test]
    fn plan_raises_the_part_size_so_that_5_tib_fits_in_10000_parts() {
        let plan = PartPlan::new(MAX_OBJECT_SIZE, None).unwrap();
        assert!(u64::from(plan.parts) <= MAX_PARTS, "{plan:?}");
        assert!(plan.part_size <= MAX_PART_SIZE);
        assert_eq!(plan.part_size % MIB, 0);
        let (offset, length) = plan.part(plan.parts);
        assert_eq!(offset + length, MAX_OBJECT_SIZE);
    }

    #[test]
    fn plan_of_an_empty_body_is_one_empty_part() {
        let plan = PartPlan::new(0, None).unwrap();
        assert_eq!(plan.parts, 1);
        assert_eq!(plan.part(1), (0, 0));
    }

    #[test]
    fn plan_refuses_what_s3_would() {
        let too_big = PartPlan::new(MAX_OBJECT_SIZE + 1, None).unwrap_err();
        assert!(matches!(too_big.kind(), ErrorKind::InvalidInput { field, .. } if field == "content"));
        let small = PartPlan::new(100, Some(MIN_PART_SIZE - 1)).unwrap_err();
        assert!(matches!(small.kind(), ErrorKind::InvalidInput { field, .. } if field == "part_size"));
        let large = PartPlan::new(100, Some(MAX_PART_SIZE + 1)).unwrap_err();
        assert!(matches!(large.kind(), ErrorKind::InvalidInput { field, .. } if field == "part_size"));
    }

    #[test]
    fn create_and_part_requests_carry_the_upload_id() {
        let create = create_request("b", "k", vec![("content-type".into(), "text/plain".into())]);
        assert_eq!(create.method, Method::Post);
        assert_eq!(create.query, vec![("uploads".to_owned(), String::new())]);
        let part = upload_part_request("b", "k", "ID", 7, "UNSIGNED-PAYLOAD", None);
        assert_eq!(
            part.query,
            vec![
                ("partNumber".to_owned(), "7".to_owned()),
                ("uploadId".to_owned(), "ID".to_owned())
            ]
        );
        assert_eq!(
            part.headers,
            vec![("x-amz-content-sha256".to_owned(), "UNSIGNED-PAYLOAD".to_owned())]
        );
        assert!(part.body.is_empty());
    }

    #[test]
    fn create_answer_gives_the_upload_id() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>"#;
        assert_eq!(parse_create(&xml_ok(body)).unwrap(), "VXBsb2FkIElE");
        let empty = b"<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>";
        assert!(matches!(
            parse_create(&xml_ok(empty)).map_err(Error::into_kind),
            Err(ErrorKind::InvalidResponse(_))
        ));
    }

    #[test]
    fn complete_body_lists_the_parts_in_order_with_escaped_etags() {
        let parts = [(1, "\"a\"".to_owned()), (2, "\"b&c\"".to_owned())];
        let request = complete_request("b", "k", "ID", &parts).unwrap();
        let body = String::from_utf8(request.body.to_vec()).unwrap();
        assert!(body.contains(
            "<Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>&quot;b&amp;c&quot;</ETag></Part>"
        ));
    }

    #[test]
    fn list_parts_pages_follow_the_marker() {
        let body = b"<ListPartsResult><IsTruncated>true</IsTruncated>\
            <NextPartNumberMarker>2</NextPartNumberMarker>\
            <Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag><Size>5242880</Size></Part>\
            <Part><PartNumber>2</PartNumber><ETag>\"y\"</ETag><Size>5242880</Size></Part>\
            </ListPartsResult>";
        let page = parse_list_parts(&xml_ok(body)).unwrap();
        assert_eq!(page.parts.len(), 2);
        assert_eq!(
            page.parts[1],
            Part {
                number: 2,
                etag: "\"y\"".into(),
                size: 5 * MIB
            }
        );
        assert_eq!(page.next_marker, Some(2));
        let last = b"<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>";
        assert_eq!(parse_list_parts(&xml_ok(last)).unwrap(), PartsPage::default());
    }

    #[test]
    fn abort_checks_its_input() {
        assert!(abort_request("b", "k", "").is_err());
        let request = abort_request("bucket", "k", "ID").unwrap();
        assert_eq!(request.method, Method::Delete);
        assert_eq!(request.query, vec![("uploadId".to_owned(), "ID".to_owned())]);
    }
}
