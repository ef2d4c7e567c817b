//! List Object Versions: every version and delete marker of a bucket's
//! keys, one page or, with `fetch_all`, every page up to `max_total`
//! entries.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html>
//!
//! Pages follow each other by two markers, the key and the version id of
//! the last entry answered (`NextKeyMarker`, `NextVersionIdMarker`; the
//! second is absent when the page ended on a common prefix). The limits and
//! the loop guard are List Bucket Objects' ([`crate::ops::list_objects`]),
//! and so is the encoding: every request asks for `encoding-type=url`, and
//! keys, prefixes and the next key marker are decoded when the answer says
//! `<EncodingType>url</EncodingType>`.

use crate::client::Client;

use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::ops::list_objects::{
    check_limits, url_decode_in_place, DEFAULT_MAX_TOTAL, MAX_GATHERED_BYTES, MAX_KEYS, MAX_PAGES,
};
use crate::validate;
use crate::xml::{self, Path, Visitor};

/// The JSON input of List Object Versions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListObjectVersionsInput {
    /// The bucket.
    pub bucket_name: String,
    /// Key prefix.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Delimiter, usually `/`.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Entries (versions, delete markers and common prefixes) per page, 1..=1000.
    #[serde(default)]
    pub max_keys: Option<u32>,
    /// Start after this key (a previous answer's `next_key_marker`).
    #[serde(default)]
    pub key_marker: Option<String>,
    /// With `key_marker`: start after this version of it (a previous
    /// answer's `next_version_id_marker`).
    #[serde(default)]
    pub version_id_marker: Option<String>,
    /// Follow pages until done or `max_total`.
    #[serde(default)]
    pub fetch_all: bool,
    /// With `fetch_all`, the most entries to gather (default 10000).
    #[serde(default)]
    pub max_total: Option<u32>,
}

/// One version of an object.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectVersion {
    /// Key.
    pub key: String,
    /// Version id; `null` for the version written while versioning was off.
    pub version_id: String,
    /// The current version of the key.
    pub is_latest: bool,
    /// Last modified, RFC 3339.
    pub last_modified: Option<String>,
    /// ETag, quotes included.
    pub etag: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Storage class.
    pub storage_class: Option<String>,
}

/// A delete marker: the key reads as deleted while it is the latest.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeleteMarkerEntry {
    /// Key.
    pub key: String,
    /// The marker's version id.
    pub version_id: String,
    /// The marker is the key's current version.
    pub is_latest: bool,
    /// When it was made, RFC 3339.
    pub last_modified: Option<String>,
}

/// The JSON output of List Object Versions (and one page of it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListObjectVersionsOutput {
    /// Versions, in key order, newest first within a key.
    pub versions: Vec<ObjectVersion>,
    /// Delete markers, in key order, newest first within a key.
    pub delete_markers: Vec<DeleteMarkerEntry>,
    /// Prefixes rolled up by the delimiter.
    pub common_prefixes: Vec<String>,
    /// More entries follow.
    pub is_truncated: bool,
    /// The `key_marker` of the next page.
    pub next_key_marker: Option<String>,
    /// The `version_id_marker` of the next page.
    pub next_version_id_marker: Option<String>,
    /// Pages read.
    pub pages: u32,
}

impl ListObjectVersionsOutput {
    /// Versions, delete markers and common prefixes.
    pub fn entries(&self) -> usize {
        self.versions.len() + self.delete_markers.len() + self.common_prefixes.len()
    }

    /// About how many bytes the entries hold: their strings, and a little
    /// for each entry's other fields.
    pub fn bytes(&self) -> usize {
        let length = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let versions: usize = self
            .versions
            .iter()
            .map(|v| {
                64 + v.key.len()
                    + v.version_id.len()
                    + length(&v.last_modified)
                    + length(&v.etag)
                    + length(&v.storage_class)
            })
            .sum();
        let markers: usize = self
            .delete_markers
            .iter()
            .map(|m| 48 + m.key.len() + m.version_id.len() + length(&m.last_modified))
            .sum();
        versions + markers + self.common_prefixes.iter().map(|p| 32 + p.len()).sum::<usize>()
    }
}

/// Where a page starts: after this key, and after this version of it.
pub type Marker = (String, Option<String>);

/// Checks the input; nothing is sent when this fails.
pub fn validate(input: &ListObjectVersionsInput) -> Result<(), Error> {
    validate::bucket_name(&input.bucket_name)?;
    check_limits(
        input.max_keys,
        input.max_total,
        "next_key_marker and next_version_id_marker",
    )?;
    let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
    if given(&input.version_id_marker) && !given(&input.key_marker) {
        return Err(Error::invalid_input(
            "version_id_marker",
            "needs a key-marker: it names a version of that key (S3 refuses it alone)",
        ));
    }
    Ok(())
}

/// The marker `input` starts from.
fn first_marker(input: &ListObjectVersionsInput) -> Option<Marker> {
    let key = input.key_marker.clone().filter(|k| !k.is_empty())?;
    Some((key, input.version_id_marker.clone().filter(|v| !v.is_empty())))
}

/// Builds `GET /{bucket}?versions&encoding-type=url&...` for the page at
/// `marker`, asking for `max_keys` entries at most.
pub fn page_request(
    input: &ListObjectVersionsInput,
    marker: Option<&Marker>,
    max_keys: Option<u32>,
) -> Result<OpRequest, Error> {
    validate(input)?;
    let mut request = OpRequest::new(Method::Get, Some(&input.bucket_name), None)
        .with_query("versions", "")
        .with_query("encoding-type", "url");
    // Empty strings mean "not given", as for List Bucket Objects.
    let optional = [
        ("prefix", input.prefix.as_deref()),
        ("delimiter", input.delimiter.as_deref()),
        ("key-marker", marker.map(|(key, _)| key.as_str())),
        (
            "version-id-marker",
            marker.and_then(|(_, version)| version.as_deref()),
        ),
    ];
    for (name, value) in optional {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            request = request.with_query(name, value);
        }
    }
    if let Some(max_keys) = max_keys {
        request = request.with_query("max-keys", &max_keys.to_string());
    }
    Ok(request)
}

/// Builds the request for the first page `input` asks for.
pub fn request(input: &ListObjectVersionsInput) -> Result<OpRequest, Error> {
    page_request(input, first_marker(input).as_ref(), input.max_keys)
}

/// Parses a `<ListVersionsResult>` page (`pages` is 1), URL-decoding keys,
/// prefixes and the next key marker when the page says they are encoded.
pub fn parse(response: &HttpResponse) -> Result<ListObjectVersionsOutput, Error> {
    let mut visitor = PageVisitor::default();
    xml::walk(&response.body, "ListVersionsResult", &mut visitor)?;
    let mut page = visitor.page;
    page.pages = 1;
    // <EncodingType> may come after the entries: decoded once all is read.
    match visitor.encoding_type.as_deref() {
        None | Some("") => {}
        Some("url") => {
            for version in &mut page.versions {
                url_decode_in_place("Key", &mut version.key)?;
            }
            for marker in &mut page.delete_markers {
                url_decode_in_place("Key", &mut marker.key)?;
            }
            for prefix in &mut page.common_prefixes {
                url_decode_in_place("Prefix", prefix)?;
            }
            if let Some(next) = &mut page.next_key_marker {
                url_decode_in_place("NextKeyMarker", next)?;
            }
        }
        Some(other) => {
            return Err(Error::invalid_response(format!(
                "<EncodingType> is `{other}`; only `url` was asked for"
            )))
        }
    }
    Ok(page)
}

/// The marker a truncated page gives for the next one.
pub fn next_marker(page: &ListObjectVersionsOutput) -> Result<Marker, Error> {
    let key = page
        .next_key_marker
        .clone()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            Error::invalid_response(
            "the listing is truncated (<IsTruncated>true</IsTruncated>) but has no <NextKeyMarker> to go on",
        )
        })?;
    Ok((key, page.next_version_id_marker.clone().filter(|v| !v.is_empty())))
}

/// Runs List Object Versions.
pub fn run(
    client: &mut Client<'_>,
    input: &ListObjectVersionsInput,
) -> Result<ListObjectVersionsOutput, Error> {
    validate(input)?;
    if !input.fetch_all {
        return parse(&client.send(&request(input)?)?);
    }
    fetch_all(client, input)
}

/// Follows the markers until the listing ends, `max_total` entries are
/// gathered, [`MAX_PAGES`] pages were read or [`MAX_GATHERED_BYTES`] bytes
/// of entries are held.
fn fetch_all(
    client: &mut Client<'_>,
    input: &ListObjectVersionsInput,
) -> Result<ListObjectVersionsOutput, Error> {
    let limit = input.max_total.unwrap_or(DEFAULT_MAX_TOTAL) as usize;
    let page_size = input.max_keys.unwrap_or(MAX_KEYS);
    let mut output = ListObjectVersionsOutput::default();
    let mut marker = first_marker(input);
    // Every marker answered so far: one sent again would loop for ever.
    // A list searched through: at most `MAX_PAGES` markers, each the cost
    // of a request, and less code in the component than a set of its own.
    let mut seen: Vec<Marker> = marker.iter().cloned().collect();
    let mut gathered_bytes = 0usize;
    loop {
        // Never ask for more than is still wanted: a page cut short here
        // would leave entries between the cut and the next marker unseen.
        let remaining = u32::try_from(limit.saturating_sub(output.entries()))
            .unwrap_or(u32::MAX)
            .max(1);
        let request = page_request(input, marker.as_ref(), Some(page_size.min(remaining)))?;
        let page = parse(&client.send(&request)?)?;
        output.pages += 1;
        gathered_bytes += page.bytes();
        let next = page.is_truncated.then(|| next_marker(&page)).transpose()?;
        output.versions.extend(page.versions);
        output.delete_markers.extend(page.delete_markers);
        output.common_prefixes.extend(page.common_prefixes);
        let Some(next) = next else {
            output.is_truncated = false;
            output.next_key_marker = None;
            output.next_version_id_marker = None;
            return Ok(output);
        };
        if seen.contains(&next) {
            return Err(Error::invalid_response(format!(
                "the listing answered the same key and version id markers twice (after {} pages); \
                 stopping rather than looping",
                output.pages
            )));
        }
        seen.push(next.clone());
        if output.entries() >= limit || output.pages >= MAX_PAGES || gathered_bytes >= MAX_GATHERED_BYTES {
            output.is_truncated = true;
            output.next_key_marker = Some(next.0);
            output.next_version_id_marker = next.1;
            return Ok(output);
        }
        marker = Some(next);
    }
}

#[derive(Default)]
struct PageVisitor {
    page: ListObjectVersionsOutput,
    current: PartialEntry,
    encoding_type: Option<String>,
}

#[derive(Default)]
struct PartialEntry {
    key: Option<String>,
    version_id: Option<String>,
    is_latest: bool,
    last_modified: Option<String>,
    etag: Option<String>,
    size: Option<u64>,
    storage_class: Option<String>,
}

impl Visitor for PageVisitor {
    fn open(&mut self, path: &Path) -> Result<(), Error> {
        if path.is(&["Version"]) || path.is(&["DeleteMarker"]) {
            self.current = PartialEntry::default();
        }
        Ok(())
    }

    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        match path.names() {
            [kind] if kind == "Version" || kind == "DeleteMarker" => {
                let partial = std::mem::take(&mut self.current);
                let key = partial.key.ok_or_else(|| {
                    Error::invalid_response(format!("a <{kind}> in <ListVersionsResult> has no <Key>"))
                })?;
                // S3 names the version written while versioning was off `null`.
                let version_id = partial.version_id.unwrap_or_else(|| "null".to_owned());
                if kind == "DeleteMarker" {
                    self.page.delete_markers.push(DeleteMarkerEntry {
                        key,
                        version_id,
                        is_latest: partial.is_latest,
                        last_modified: partial.last_modified,
                    });
                } else {
                    let size = partial.size.ok_or_else(|| {
                        Error::invalid_response(format!("the <Version> of `{key}` has no <Size>"))
                    })?;
                    self.page.versions.push(ObjectVersion {
                        key,
                        version_id,
                        is_latest: partial.is_latest,
                        last_modified: partial.last_modified,
                        etag: partial.etag,
                        size,
                        storage_class: partial.storage_class,
                    });
                }
            }
            [kind, field] if kind == "Version" || kind == "DeleteMarker" => match field.as_str() {
                // Keys are taken verbatim: spaces and all.
                "Key" => self.current.key = Some(text.to_owned()),
                "VersionId" => self.current.version_id = xml::optional(text),
                "IsLatest" => self.current.is_latest = xml::parse_bool("IsLatest", text)?,
                "LastModified" => self.current.last_modified = xml::optional(text),
                "ETag" => self.current.etag = xml::optional(text),
                "Size" => self.current.size = Some(xml::parse_u64("Size", text)?),
                "StorageClass" => self.current.storage_class = xml::optional(text),
                _ => {}
            },
            [prefixes, prefix] if prefixes == "CommonPrefixes" && prefix == "Prefix" => {
                self.page.common_prefixes.push(text.to_owned());
            }
            [field] => match field.as_str() {
                "IsTruncated" => self.page.is_truncated = xml::parse_bool("IsTruncated", text)?,
                "NextKeyMarker" => self.page.next_key_marker = xml::optional(text),
                "NextVersionIdMarker" => self.page.next_version_id_marker = xml::optional(text),
                "EncodingType" => self.encoding_type = Some(text.trim().to_owned()),
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }
}

/// List Object Versions.
pub struct ListObjectVersions;

impl crate::ops::Op for ListObjectVersions {
    type Input = ListObjectVersionsInput;
    type Output = ListObjectVersionsOutput;
    const NAME: &'static str = "list-object-versions";
    const TITLE: &'static str = "List Object Versions";
    const DESCRIPTION: &'static str = "The versions and delete markers of a bucket's keys: one page, or \
        with `fetch_all` every page up to `max_total` entries.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:ListBucketVersions"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "prefix": "reports/"}"#;

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{invalid_response, with_client, xml_ok, FakeTransport, Fixtures};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::list_objects::MAX_TOTAL;
    use crate::ops::Operation;

    const FIXTURES: Fixtures = Fixtures("list_object_versions");

    fn input() -> ListObjectVersionsInput {
        ListObjectVersionsInput {
            bucket_name: "my-bucket".into(),
            ..ListObjectVersionsInput::default()
        }
    }

    fn query_of(query: &[(String, String)]) -> Vec<(&str, &str)> {
        let mut query: Vec<_> = query.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        query.sort_unstable();
        query
    }

    fn invalid_field(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    fn run_with(
        answers: &[&[u8]],
        given: &ListObjectVersionsInput,
    ) -> (Result<ListObjectVersionsOutput, Error>, FakeTransport) {
        let mut t = FakeTransport::default();
        for body in answers {
            t.answer(200, &[], body);
        }
        let result = with_client(&mut t, Operation::ListObjectVersions, |c| run(c, given));
        (result, t)
    }

    /// A page of `count` versions of keys `{prefix}{n:05}`, truncated at
    /// `next` (key and version) when given.
    fn generated_page(prefix: &str, count: usize, next: Option<(&str, &str)>) -> Vec<u8> {
        let mut body = String::from("<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
        match next {
            Some((key, version)) => body.push_str(&format!(
                "<IsTruncated>true</IsTruncated><NextKeyMarker>{key}</NextKeyMarker>\
                 <NextVersionIdMarker>{version}</NextVersionIdMarker>"
            )),
            None => body.push_str("<IsTruncated>false</IsTruncated>"),
        }
        for n in 0..count {
            body.push_str(&format!(
                "<Version><Key>{prefix}{n:05}</Key><VersionId>v{n}</VersionId><IsLatest>true</IsLatest>\
                 <Size>{n}</Size></Version>"
            ));
        }
        body.push_str("</ListVersionsResult>");
        body.into_bytes()
    }

    #[test]
    fn request_asks_for_versions_url_encoded_with_every_option_given() {
        let given = ListObjectVersionsInput {
            prefix: Some("photos/".into()),
            delimiter: Some("/".into()),
            max_keys: Some(7),
            key_marker: Some("photos/a b".into()),
            version_id_marker: Some("v+1".into()),
            ..input()
        };
        let request = request(&given).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.key, None);
        assert_eq!(
            query_of(&request.query),
            [
                ("delimiter", "/"),
                ("encoding-type", "url"),
                ("key-marker", "photos/a b"),
                ("max-keys", "7"),
                ("prefix", "photos/"),
                ("version-id-marker", "v+1"),
                ("versions", ""),
            ]
        );
        let bare = super::request(&input()).unwrap();
        assert_eq!(
            query_of(&bare.query),
            [("encoding-type", "url"), ("versions", "")]
        );
    }

    #[test]
    fn bad_limits_and_a_lone_version_marker_are_refused() {
        let cases = [
            (
                ListObjectVersionsInput {
                    max_keys: Some(0),
                    ..input()
                },
                "max_keys",
            ),
            (
                ListObjectVersionsInput {
                    max_keys: Some(1001),
                    ..input()
                },
                "max_keys",
            ),
            (
                ListObjectVersionsInput {
                    max_total: Some(0),
                    ..input()
                },
                "max_total",
            ),
            (
                ListObjectVersionsInput {
                    max_total: Some(MAX_TOTAL + 1),
                    ..input()
                },
                "max_total",
            ),
            (
                ListObjectVersionsInput {
                    version_id_marker: Some("v1".into()),
                    ..input()
                },
                "version_id_marker",
            ),
            (
                ListObjectVersionsInput {
                    bucket_name: "B".into(),
                    ..input()
                },
                "bucket_name",
            ),
        ];
        for (given, field) in cases {
            let (result, t) = run_with(&[], &given);
            assert_eq!(invalid_field(result), field, "{given:?}");
            assert!(t.sent.is_empty());
        }
        assert!(request(&ListObjectVersionsInput {
            max_keys: Some(1000),
            max_total: Some(MAX_TOTAL),
            ..input()
        })
        .is_ok());
    }

    #[test]
    fn versions_and_delete_markers_parse() {
        let page = parse(&FIXTURES.ok("versions.xml")).unwrap();
        assert_eq!(
            page.versions,
            [
                ObjectVersion {
                    key: "my-image.jpg".into(),
                    version_id: "3/L4kqtJl40Nr8X8gdRQBpUMLUo".into(),
                    is_latest: true,
                    last_modified: Some("2009-10-12T17:50:30.000Z".into()),
                    etag: Some("\"fba9dede5f27731c9771645a39863328\"".into()),
                    size: 434234,
                    storage_class: Some("STANDARD".into()),
                },
                ObjectVersion {
                    key: "my-second-image.jpg".into(),
                    version_id: "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893".into(),
                    is_latest: false,
                    last_modified: Some("2009-10-10T17:50:30.000Z".into()),
                    etag: Some("\"9b2cf535f27731c974343645a3985328\"".into()),
                    size: 166434,
                    storage_class: Some("STANDARD".into()),
                },
                ObjectVersion {
                    key: "unversioned.txt".into(),
                    version_id: "null".into(),
                    is_latest: true,
                    last_modified: None,
                    etag: None,
                    size: 0,
                    storage_class: None,
                },
            ]
        );
        assert_eq!(
            page.delete_markers,
            [DeleteMarkerEntry {
                key: "my-second-image.jpg".into(),
                version_id: "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892".into(),
                is_latest: true,
                last_modified: Some("2009-11-12T17:50:30.000Z".into()),
            }]
        );
        assert!(!page.is_truncated);
        assert_eq!(page.pages, 1);
        assert_eq!(page.entries(), 4);
    }

    #[test]
    fn empty_listing_parses() {
        let page = parse(&FIXTURES.ok("empty.xml")).unwrap();
        assert_eq!(
            page,
            ListObjectVersionsOutput {
                pages: 1,
                ..ListObjectVersionsOutput::default()
            }
        );
    }

    #[test]
    fn url_encoded_keys_prefixes_and_next_marker_are_decoded() {
        let page = parse(&FIXTURES.ok("url-encoded.xml")).unwrap();
        let keys: Vec<&str> = page.versions.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["dir/with space", "dir/plus+sign", "dir/control\u{1}char"]);
        assert_eq!(page.delete_markers[0].key, "dir/été%100");
        assert_eq!(page.common_prefixes, ["dir/sub folder/"]);
        assert_eq!(page.next_key_marker.as_deref(), Some("dir/control\u{1}char"));
        assert_eq!(page.next_version_id_marker.as_deref(), Some("v+3"));
    }

    #[test]
    fn keys_are_not_decoded_when_the_server_did_not_encode_them() {
        let body = b"<ListVersionsResult><IsTruncated>false</IsTruncated>\
            <Version><Key>a+b%20c</Key><VersionId>1</VersionId><Size>1</Size></Version>\
            </ListVersionsResult>";
        let page = parse(&xml_ok(body)).unwrap();
        assert_eq!(page.versions[0].key, "a+b%20c");
    }

    #[test]
    fn malformed_pages_are_invalid_responses() {
        let cases: [(&[u8], &str); 5] = [
            (b"<ListVersionsResult><Version><VersionId>1</VersionId><Size>1</Size></Version></ListVersionsResult>", "<Key>"),
            (b"<ListVersionsResult><DeleteMarker><VersionId>1</VersionId></DeleteMarker></ListVersionsResult>", "<Key>"),
            (b"<ListVersionsResult><Version><Key>k</Key></Version></ListVersionsResult>", "<Size>"),
            (b"<ListVersionsResult><Version><Key>k</Key><Size>1</Size><IsLatest>maybe</IsLatest></Version></ListVersionsResult>", "<IsLatest>"),
            (b"<ListVersionsResult><EncodingType>base64</EncodingType></ListVersionsResult>", "base64"),
        ];
        for (body, expected) in cases {
            let message = invalid_response(parse(&xml_ok(body)));
            assert!(message.contains(expected), "{message}");
        }
        invalid_response(parse(&FIXTURES.ok("truncated.xml")));
        invalid_response(parse(&xml_ok(b"<ListBucketResult/>")));
    }

    #[test]
    fn one_page_is_returned_as_is_with_its_markers() {
        let (result, t) = run_with(&[&FIXTURES.bytes("page-1.xml")], &input());
        let output = result.unwrap();
        assert!(output.is_truncated);
        assert_eq!(output.next_key_marker.as_deref(), Some("b.txt"));
        assert_eq!(output.next_version_id_marker.as_deref(), Some("v2"));
        assert_eq!(output.pages, 1);
        assert_eq!(t.sent.len(), 1);
    }

    #[test]
    fn fetch_all_follows_both_markers_to_the_end() {
        let given = ListObjectVersionsInput {
            fetch_all: true,
            max_keys: Some(2),
            ..input()
        };
        let (result, t) = run_with(
            &[&FIXTURES.bytes("page-1.xml"), &FIXTURES.bytes("page-2.xml")],
            &given,
        );
        let output = result.unwrap();
        let keys: Vec<(&str, &str)> = output
            .versions
            .iter()
            .map(|v| (v.key.as_str(), v.version_id.as_str()))
            .collect();
        assert_eq!(keys, [("a.txt", "v1"), ("c.txt", "v4")]);
        assert_eq!(output.delete_markers[0].version_id, "v2");
        assert_eq!(output.delete_markers[1].version_id, "v3");
        assert!(!output.is_truncated);
        assert_eq!(output.next_key_marker, None);
        assert_eq!(output.pages, 2);
        let second = query_of(&t.sent[1].query);
        assert!(second.contains(&("key-marker", "b.txt")), "{second:?}");
        assert!(second.contains(&("version-id-marker", "v2")), "{second:?}");
        assert!(second.contains(&("max-keys", "2")), "{second:?}");
    }

    #[test]
    fn fetch_all_without_a_version_marker_sends_the_key_marker_alone() {
        let first = b"<ListVersionsResult><IsTruncated>true</IsTruncated>\
            <NextKeyMarker>photos/</NextKeyMarker>\
            <CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes></ListVersionsResult>";
        let given = ListObjectVersionsInput {
            fetch_all: true,
            delimiter: Some("/".into()),
            ..input()
        };
        let (result, t) = run_with(&[first, &FIXTURES.bytes("empty.xml")], &given);
        assert_eq!(result.unwrap().common_prefixes, ["photos/"]);
        let second = query_of(&t.sent[1].query);
        assert!(second.contains(&("key-marker", "photos/")), "{second:?}");
        assert!(
            !second.iter().any(|(n, _)| *n == "version-id-marker"),
            "{second:?}"
        );
    }

    #[test]
    fn fetch_all_stops_at_max_total_with_the_markers_to_resume() {
        let given = ListObjectVersionsInput {
            fetch_all: true,
            max_total: Some(1500),
            ..input()
        };
        let (result, t) = run_with(
            &[
                &generated_page("a", 1000, Some(("a00999", "v999"))),
                &generated_page("b", 500, Some(("b00499", "v499"))),
            ],
            &given,
        );
        let output = result.unwrap();
        assert_eq!(output.versions.len(), 1500);
        assert!(output.is_truncated);
        assert_eq!(output.next_key_marker.as_deref(), Some("b00499"));
        assert_eq!(output.next_version_id_marker.as_deref(), Some("v499"));
        assert_eq!(output.pages, 2);
        assert!(t.sent[1].query.contains(&("max-keys".into(), "500".into())));
    }

    #[test]
    fn fetch_all_of_long_keys_stops_at_the_byte_budget() {
        let long = "k".repeat(1000);
        let pages: Vec<Vec<u8>> = (0..40)
            .map(|page| {
                let next = format!("{long}{page:02}/00999");
                generated_page(&format!("{long}{page:02}/"), 1000, Some((&next, "v999")))
            })
            .collect();
        let answers: Vec<&[u8]> = pages.iter().map(Vec::as_slice).collect();
        let given = ListObjectVersionsInput {
            fetch_all: true,
            max_total: Some(MAX_TOTAL),
            ..input()
        };
        let (result, _) = run_with(&answers, &given);
        let output = result.unwrap();
        assert!(output.is_truncated);
        assert!(output.pages < 40, "{}", output.pages);
        assert!(
            output.bytes() <= MAX_GATHERED_BYTES + 2 * 1024 * 1024,
            "{}",
            output.bytes()
        );
    }

    #[test]
    fn fetch_all_refuses_repeated_markers_and_truncation_without_one() {
        let given = ListObjectVersionsInput {
            fetch_all: true,
            ..input()
        };
        let page_1 = FIXTURES.bytes("page-1.xml");
        let (result, t) = run_with(&[&page_1, &page_1], &given);
        let message = invalid_response(result);
        assert!(
            message.contains("same key and version id markers twice"),
            "{message}"
        );
        assert_eq!(t.sent.len(), 2);
        let lost = b"<ListVersionsResult><IsTruncated>true</IsTruncated></ListVersionsResult>";
        let (result, _) = run_with(&[lost], &given);
        assert!(invalid_response(result).contains("<NextKeyMarker>"));
    }

    #[test]
    fn a_missing_bucket_and_a_denial_are_service_errors() {
        let mut t = FakeTransport::default();
        t.answer(
            404,
            &[],
            b"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>",
        );
        let result = with_client(&mut t, Operation::ListObjectVersions, |c| run(c, &input()));
        assert!(matches!(
            result.map_err(Error::into_kind),
            Err(ErrorKind::Service(ref e)) if e.code == ErrorCode::NoSuchBucket
        ));
        let mut t = FakeTransport::default();
        t.answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
        );
        match with_client(&mut t, Operation::ListObjectVersions, |c| run(c, &input()))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(e)) => {
                assert_eq!(e.required_permission.as_deref(), Some("s3:ListBucketVersions"));
            }
            other => panic!("expected access denied, got {other:?}"),
        }
    }
}
