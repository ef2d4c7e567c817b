//! What the operations on one object share: the request on a key (or a
//! version), and the metadata its answer's headers carry (Head Object, Get
//! Object, the checks of a multipart upload).

use crate::ascii::same_ignoring_case;
use crate::date;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{ObjectMetadata, ObjectRef};
use crate::validate;

/// The prefix of user metadata headers.
pub const META_PREFIX: &str = "x-amz-meta-";

/// A request on one object (or one version of it), after checking the
/// bucket, key and version id. Shared by the operations on one object.
pub(crate) fn object_request(method: Method, input: &ObjectRef) -> Result<OpRequest, Error> {
    validate::bucket_name(&input.bucket_name)?;
    validate::object_key("object_path", &input.object_path)?;
    let mut request = OpRequest::new(method, Some(&input.bucket_name), Some(&input.object_path));
    if let Some(version_id) = &input.version_id {
        validate::version_id(version_id)?;
        request = request.with_query("versionId", version_id);
    }
    Ok(request)
}

/// Reads an object's metadata from GET or HEAD response headers.
///
/// A missing `Content-Length` counts the body (0 for HEAD); one that is not
/// a number is an invalid response. A `Last-Modified` that cannot be read is
/// left out rather than failing the call: the bytes matter more than the
/// date. User metadata values are kept verbatim (S3 may return non-ASCII
/// values RFC 2047-encoded, `=?UTF-8?B?...?=`; they are not decoded).
pub fn parse_metadata(response: &HttpResponse) -> Result<ObjectMetadata, Error> {
    let mut fields = MetadataHeaders::default();
    let mut metadata = Vec::new();
    // One pass over the headers, rather than a search of them all for each
    // of the seven: a response carries a dozen or so.
    for (name, value) in &response.headers {
        if let Some(short) = name
            .get(..META_PREFIX.len())
            .filter(|prefix| same_ignoring_case(prefix.as_bytes(), META_PREFIX.as_bytes()))
            .and_then(|_| name.get(META_PREFIX.len()..))
        {
            metadata.push((short.to_ascii_lowercase(), value.to_owned()));
        } else if let Some(slot) = fields.slot(name) {
            // The first of a repeated header counts, as `header` finds it.
            slot.get_or_insert(value);
        }
    }
    let content_length = match fields.content_length {
        Some(value) => value.trim().parse::<u64>().map_err(|_| {
            Error::invalid_response(format!("Content-Length `{value}` is not a number of bytes"))
        })?,
        None => u64::try_from(response.body.len()).unwrap_or(u64::MAX),
    };
    let owned = |value: Option<&str>| value.map(str::to_owned);
    Ok(ObjectMetadata {
        content_type: owned(fields.content_type),
        content_length,
        etag: owned(fields.etag),
        last_modified: fields.last_modified.and_then(http_date_to_rfc3339),
        version_id: owned(fields.version_id),
        content_range: owned(fields.content_range),
        storage_class: owned(fields.storage_class),
        metadata,
    })
}

/// The headers [`parse_metadata`] reads, as the response holds them.
#[derive(Default)]
struct MetadataHeaders<'a> {
    content_length: Option<&'a str>,
    content_type: Option<&'a str>,
    etag: Option<&'a str>,
    last_modified: Option<&'a str>,
    version_id: Option<&'a str>,
    content_range: Option<&'a str>,
    storage_class: Option<&'a str>,
}

impl<'a> MetadataHeaders<'a> {
    /// Where the header called `name` (in any case) goes, if it is one of
    /// these. Each name is compared with the one or two of its length, a
    /// word at a time ([`same_ignoring_case`]: `str::eq_ignore_ascii_case`
    /// goes a byte at a time, some 400 instructions for a name this long).
    fn slot(&mut self, name: &str) -> Option<&mut Option<&'a str>> {
        let is = |wanted: &str| same_ignoring_case(name.as_bytes(), wanted.as_bytes());
        match name.len() {
            4 if is("etag") => Some(&mut self.etag),
            12 if is("content-type") => Some(&mut self.content_type),
            13 if is("last-modified") => Some(&mut self.last_modified),
            13 if is("content-range") => Some(&mut self.content_range),
            14 if is("content-length") => Some(&mut self.content_length),
            16 if is("x-amz-version-id") => Some(&mut self.version_id),
            19 if is("x-amz-storage-class") => Some(&mut self.storage_class),
            _ => None,
        }
    }
}

/// Converts an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) to RFC 3339
/// (`2015-10-21T07:28:00Z`); `None` when it cannot be read.
///
/// HTTP's IMF-fixdate is tried first (with a one-digit day accepted, as in
/// the S3 documentation's own examples), then RFC 2822, which also admits
/// numeric zones that some S3-compatible servers send.
pub fn http_date_to_rfc3339(value: &str) -> Option<String> {
    // A date near the end of year 9999 with a negative zone is past the
    // last date `time` can hold once in UTC: `None`, not a panic.
    date::rfc3339_utc(date::parse_http_date(value.trim()).ok()?).ok()
}

/// Response fixtures for the object operations' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::http::HttpResponse;

    /// Reads a response head as captured from the wire: a status line
    /// (`HTTP/1.1 200 OK`), then `Name: value` lines. `#` lines are comments.
    pub(crate) fn response(head: &str, body: &[u8]) -> HttpResponse {
        let mut lines = head
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .map(|line| {
                let (name, value) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad header {line:?}"));
                (name.trim().to_owned(), value.trim().to_owned())
            })
            .collect();
        HttpResponse {
            status,
            headers,
            body: body.to_vec(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::fixtures::response;
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn metadata_is_read_from_a_head_answer() {
        let answer = response(
            include_str!("../../testdata/headers/head_object_versioned.http"),
            b"",
        );
        let metadata = parse_metadata(&answer).unwrap();
        assert_eq!(
            metadata,
            ObjectMetadata {
                content_type: Some("text/plain; charset=utf-8".into()),
                content_length: 434234,
                etag: Some("\"fba9dede5f27731c9771645a39863328\"".into()),
                last_modified: Some("2015-10-21T07:28:00Z".into()),
                version_id: Some("3HL4kqtJlcpXroDTDmjVBH40Nr8X8gdRQBpUMLUo".into()),
                content_range: None,
                storage_class: Some("STANDARD_IA".into()),
                metadata: vec![
                    ("author".into(), "Jane Doe".into()),
                    ("project-id".into(), "42".into()),
                    ("title".into(), "=?UTF-8?B?w6l0w6k=?=".into()),
                ],
            }
        );
    }

    #[test]
    fn each_header_is_found_whatever_its_case_and_the_first_of_a_repeat_counts() {
        // The one-pass reading gives what a search for each header gives
        // (`HttpResponse::header`: case-insensitive, the first one), among
        // names of the same lengths that are not the ones read.
        let answer = response(
            "HTTP/1.1 206 Partial Content\n\
             ETAG: \"first\"\n\
             etah: no\n\
             Content-Range: bytes 0-1/9\n\
             Content-Rangf: no\n\
             LAST-MODIFIED: Wed, 21 Oct 2015 07:28:00 GMT\n\
             Last-Modifiee: no\n\
             content-type: text/csv\n\
             Content-Length: 2\n\
             X-Amz-Version-Id: v1\n\
             x-amz-storage-class: GLACIER\n\
             X-AMZ-META-Colour: blue\n\
             x-amz-meta: no\n\
             etag: \"second\"\n\
             Content-Length: 5\n\
             x-amz-meta-colour: green\n",
            b"",
        );
        let metadata = parse_metadata(&answer).unwrap();
        let found = |name: &str| answer.header(name).map(str::to_owned);
        assert_eq!(
            metadata,
            ObjectMetadata {
                content_type: found("content-type"),
                content_length: 2,
                etag: found("etag"),
                last_modified: Some("2015-10-21T07:28:00Z".into()),
                version_id: found("x-amz-version-id"),
                content_range: found("content-range"),
                storage_class: found("x-amz-storage-class"),
                metadata: vec![
                    ("colour".into(), "blue".into()),
                    ("colour".into(), "green".into()),
                ],
            }
        );
        assert_eq!(metadata.etag.as_deref(), Some("\"first\""));
        assert_eq!(metadata.content_range.as_deref(), Some("bytes 0-1/9"));
    }

    #[test]
    fn minimal_answer_has_defaults() {
        let answer = response(
            include_str!("../../testdata/headers/head_object_minimal.http"),
            b"",
        );
        let metadata = parse_metadata(&answer).unwrap();
        assert_eq!(metadata, ObjectMetadata::default());
    }

    #[test]
    fn non_numeric_content_length_is_an_invalid_response() {
        let answer = response("HTTP/1.1 200 OK\nContent-Length: lots\n", b"");
        match parse_metadata(&answer).map_err(Error::into_kind) {
            Err(ErrorKind::InvalidResponse(message)) => assert!(message.contains("lots"), "{message}"),
            other => panic!("expected invalid response, got {other:?}"),
        }
    }

    #[test]
    fn unreadable_last_modified_is_left_out() {
        let answer = response(
            "HTTP/1.1 200 OK\nLast-Modified: yesterday-ish\nContent-Length: 3\n",
            b"",
        );
        let metadata = parse_metadata(&answer).unwrap();
        assert_eq!(metadata.last_modified, None);
        assert_eq!(metadata.content_length, 3);
    }

    #[test]
    fn http_dates_become_rfc3339_in_utc() {
        let cases = [
            ("Wed, 21 Oct 2015 07:28:00 GMT", Some("2015-10-21T07:28:00Z")),
            ("Sun, 1 Jan 2006 12:00:00 GMT", Some("2006-01-01T12:00:00Z")),
            ("Thu, 29 Feb 2024 23:59:59 GMT", Some("2024-02-29T23:59:59Z")),
            ("Wed, 21 Oct 2015 09:28:00 +0200", Some("2015-10-21T07:28:00Z")),
            ("2015-10-21T07:28:00Z", None),
            ("Wed, 32 Oct 2015 07:28:00 GMT", None),
            ("", None),
        ];
        for (http, rfc3339) in cases {
            assert_eq!(http_date_to_rfc3339(http).as_deref(), rfc3339, "{http:?}");
        }
    }

    #[test]
    fn a_date_past_year_9999_in_utc_is_left_out_not_a_panic() {
        // 9999-12-31 23:59:59 at -23:59 is in year 10000 in UTC.
        assert_eq!(http_date_to_rfc3339("Fri, 31 Dec 9999 23:59:59 -2359"), None);
        assert_eq!(
            http_date_to_rfc3339("Fri, 31 Dec 9999 23:59:59 +0000").as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
    }
}
