//! List Multipart Uploads: the uploads of a bucket that were started and
//! neither completed nor aborted. Their parts are stored (and billed) until
//! one or the other happens, so this is how a user finds what a failed
//! upload left behind.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html>

use crate::client::Client;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{ListMultipartUploadsInput, MultipartUpload};
use crate::validate;
use crate::xml::{self, Path, Visitor};

/// The most uploads gathered when no `max_total` is given.
pub const DEFAULT_MAX_TOTAL: u32 = 10_000;

/// The most uploads one call may be asked to gather (`max_total`).
pub const MAX_TOTAL: u32 = 100_000;

/// One page of the listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadsPage {
    /// The uploads, in key order.
    pub uploads: Vec<MultipartUpload>,
    /// Where the next page starts (key marker, upload id marker), when truncated.
    pub next: Option<(String, String)>,
}

/// Builds `GET /bucket?uploads[&prefix=..][&key-marker=..&upload-id-marker=..]`.
pub fn request(
    input: &ListMultipartUploadsInput,
    marker: Option<&(String, String)>,
) -> Result<OpRequest, Error> {
    validate::bucket_name(&input.bucket_name)?;
    match input.max_total {
        Some(0) => return Err(Error::invalid_input("max_total", "must be at least 1")),
        Some(total) if total > MAX_TOTAL => {
            return Err(Error::invalid_input(
                "max_total",
                format!("is {total}; one call gathers at most {MAX_TOTAL} uploads"),
            ))
        }
        _ => {}
    }
    let mut request = OpRequest::new(Method::Get, Some(&input.bucket_name), None).with_query("uploads", "");
    if let Some(prefix) = input.prefix.as_deref().filter(|p| !p.is_empty()) {
        validate::header_text("prefix", prefix)?;
        request = request.with_query("prefix", prefix);
    }
    if let Some((key, upload_id)) = marker {
        request = request
            .with_query("key-marker", key)
            .with_query("upload-id-marker", upload_id);
    }
    Ok(request)
}

/// Parses a `<ListMultipartUploadsResult>` page.
pub fn parse(response: &HttpResponse) -> Result<UploadsPage, Error> {
    let mut visitor = PageVisitor::default();
    xml::walk(&response.body, "ListMultipartUploadsResult", &mut visitor)?;
    let mut page = visitor.page;
    page.next = match (visitor.truncated, visitor.next_key, visitor.next_upload_id) {
        (true, Some(key), upload_id) => Some((key, upload_id.unwrap_or_default())),
        _ => None,
    };
    Ok(page)
}

/// Runs List Multipart Uploads, following pages until `max_total`.
pub fn run(
    client: &mut Client<'_>,
    input: &ListMultipartUploadsInput,
) -> Result<Vec<MultipartUpload>, Error> {
    let max_total = input.max_total.unwrap_or(DEFAULT_MAX_TOTAL) as usize;
    let mut uploads = Vec::new();
    let mut marker: Option<(String, String)> = None;
    // Every marker answered so far: one sent again would loop for ever.
    // A list searched through: a marker per page, each the cost of a
    // request, and less code in the component than a set of its own.
    let mut seen: Vec<(String, String)> = Vec::new();
    loop {
        let page = parse(&client.send(&request(input, marker.as_ref())?)?)?;
        uploads.extend(page.uploads);
        if uploads.len() >= max_total {
            uploads.truncate(max_total);
            return Ok(uploads);
        }
        match page.next {
            Some(next) if !seen.contains(&next) => {
                seen.push(next.clone());
                marker = Some(next);
            }
            Some(_) => return Err(Error::invalid_response(
                "List Multipart Uploads answered the same page marker twice; stopping rather than looping",
            )),
            None => return Ok(uploads),
        }
    }
}

#[derive(Default)]
struct PageVisitor {
    page: UploadsPage,
    current: Option<MultipartUpload>,
    truncated: bool,
    next_key: Option<String>,
    next_upload_id: Option<String>,
}

impl Visitor for PageVisitor {
    fn open(&mut self, path: &Path) -> Result<(), Error> {
        if path.is(&["Upload"]) {
            self.current = Some(MultipartUpload::default());
        }
        Ok(())
    }

    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        match path.names() {
            [upload] if upload == "Upload" => {
                let upload = self.current.take().unwrap_or_default();
                if upload.key.is_empty() || upload.upload_id.is_empty() {
                    return Err(Error::invalid_response(
                        "an <Upload> of <ListMultipartUploadsResult> has no <Key> or <UploadId>",
                    ));
                }
                self.page.uploads.push(upload);
            }
            [upload, field] if upload == "Upload" => {
                if let Some(current) = self.current.as_mut() {
                    match field.as_str() {
                        "Key" => current.key = text.to_owned(),
                        "UploadId" => current.upload_id = text.to_owned(),
                        "Initiated" => current.initiated = xml::optional(text),
                        "StorageClass" => current.storage_class = xml::optional(text),
                        _ => {}
                    }
                }
            }
            [field] if field == "IsTruncated" => self.truncated = xml::parse_bool("IsTruncated", text)?,
            [field] if field == "NextKeyMarker" => self.next_key = xml::optional(text),
            [field] if field == "NextUploadIdMarker" => self.next_upload_id = xml::optional(text),
            _ => {}
        }
        Ok(())
    }
}

/// The JSON output of List Multipart Uploads.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UploadsOutput {
    /// The uploads, in key order.
    pub uploads: Vec<MultipartUpload>,
}

/// List Multipart Uploads.
pub struct ListMultipartUploads;

impl crate::ops::Op for ListMultipartUploads {
    type Input = ListMultipartUploadsInput;
    type Output = UploadsOutput;
    const NAME: &'static str = "list-multipart-uploads";
    const TITLE: &'static str = "List Multipart Uploads";
    const DESCRIPTION: &'static str = "Uploads started and neither completed nor aborted (their parts are \
        billed until then), in key order.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:ListBucketMultipartUploads"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "prefix": "backups/"}"#;

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        Ok(UploadsOutput {
            uploads: run(call.client, &input)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{with_client, xml_ok, FakeTransport};
    use crate::error::ErrorKind;
    use crate::ops::Operation;

    fn input(max_total: Option<u32>) -> ListMultipartUploadsInput {
        ListMultipartUploadsInput {
            bucket_name: "bucket".into(),
            prefix: Some("big/".into()),
            max_total,
        }
    }

    const PAGE_1: &[u8] = b"<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>\
        <NextKeyMarker>big/a</NextKeyMarker><NextUploadIdMarker>U1</NextUploadIdMarker>\
        <Upload><Key>big/a</Key><UploadId>U1</UploadId><Initiated>2026-11-29T10:00:00.000Z</Initiated>\
        <StorageClass>STANDARD</StorageClass></Upload></ListMultipartUploadsResult>";
    const PAGE_2: &[u8] = b"<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
        <Upload><Key>big/b</Key><UploadId>U2</UploadId></Upload></ListMultipartUploadsResult>";

    #[test]
    fn pages_are_followed_with_both_markers() {
        let mut t = FakeTransport::default();
        t.answers.push_back(Ok(xml_ok(PAGE_1)));
        t.answers.push_back(Ok(xml_ok(PAGE_2)));
        let uploads = with_client(&mut t, Operation::ListMultipartUploads, |c| run(c, &input(None))).unwrap();
        assert_eq!(uploads.len(), 2);
        assert_eq!(uploads[0].initiated.as_deref(), Some("2026-11-29T10:00:00.000Z"));
        assert_eq!(uploads[1].upload_id, "U2");
        assert_eq!(
            t.sent[0].url(),
            "http://127.0.0.1:9000/bucket?prefix=big%2F&uploads="
        );
        assert!(t.sent[1]
            .url()
            .contains("key-marker=big%2Fa&prefix=big%2F&upload-id-marker=U1"));
    }

    #[test]
    fn max_total_stops_early() {
        let mut t = FakeTransport::default();
        t.answers.push_back(Ok(xml_ok(PAGE_1)));
        let uploads = with_client(&mut t, Operation::ListMultipartUploads, |c| {
            run(c, &input(Some(1)))
        })
        .unwrap();
        assert_eq!(uploads.len(), 1);
        assert_eq!(t.sent.len(), 1);
    }

    #[test]
    fn a_repeated_marker_is_an_error_not_a_loop() {
        let mut t = FakeTransport::default();
        t.answers.push_back(Ok(xml_ok(PAGE_1)));
        t.answers.push_back(Ok(xml_ok(PAGE_1)));
        let error =
            with_client(&mut t, Operation::ListMultipartUploads, |c| run(c, &input(None))).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidResponse(_)));
    }
}
