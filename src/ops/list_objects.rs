//! List Bucket Objects (ListObjectsV2): one page or, with `fetch_all`,
//! every page up to `max_total` entries.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>
//!
//! Every request asks for `encoding-type=url`: a key may hold characters
//! that XML 1.0 cannot carry (such as U+0001), and S3 would otherwise send a
//! listing no XML parser accepts. S3 then URL-encodes `Key`, `Prefix`,
//! `StartAfter` and `Delimiter` in the answer. Some S3-compatible servers
//! ignore the parameter, so values are decoded only when the answer says
//! `<EncodingType>url</EncodingType>`.

use std::borrow::Cow;

use crate::client::Client;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{ListObjectsInput, ListObjectsOutput, ObjectSummary};
use crate::validate;
use crate::xml::{self, Path, Visitor};

/// The most keys S3 returns in one page, and the default page size.
pub const MAX_KEYS: u32 = 1000;

/// How many entries `fetch_all` gathers when `max_total` is not given.
pub const DEFAULT_MAX_TOTAL: u32 = 10_000;

/// The most entries `fetch_all` may be asked to gather (`max_total`).
pub const MAX_TOTAL: u32 = 100_000;

/// The most pages `fetch_all` reads in one call. A listing that is still
/// truncated then is returned as truncated, with the token to resume from.
pub const MAX_PAGES: u32 = 10_000;

/// How many bytes of entries (keys, prefixes, ETags and the like) `fetch_all`
/// gathers in one call: 100,000 entries with 1024-byte keys would not fit in
/// the component's memory once written out as JSON. A listing that reaches
/// it is returned as truncated, with the token to resume from.
pub const MAX_GATHERED_BYTES: usize = 24 * 1024 * 1024;

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListObjectsPage {
    /// Objects, in key order.
    pub objects: Vec<ObjectSummary>,
    /// Prefixes rolled up by the delimiter.
    pub common_prefixes: Vec<String>,
    /// More entries follow.
    pub is_truncated: bool,
    /// The token of the next page.
    pub next_continuation_token: Option<String>,
    /// `<KeyCount>`: keys plus common prefixes in this page, when given.
    pub key_count: Option<u64>,
}

impl ListObjectsPage {
    /// Keys plus common prefixes.
    pub fn entries(&self) -> usize {
        self.objects.len() + self.common_prefixes.len()
    }

    /// About how many bytes the page's entries hold: their strings, and a
    /// little for each entry's other fields.
    pub fn bytes(&self) -> usize {
        let objects: usize = self
            .objects
            .iter()
            .map(|o| {
                64 + o.key.len()
                    + o.etag.as_ref().map_or(0, String::len)
                    + o.last_modified.as_ref().map_or(0, String::len)
                    + o.storage_class.as_ref().map_or(0, String::len)
            })
            .sum();
        objects + self.common_prefixes.iter().map(|p| 32 + p.len()).sum::<usize>()
    }
}

/// Checks the input; nothing is sent when this fails.
pub fn validate(input: &ListObjectsInput) -> Result<(), Error> {
    validate::bucket_name(&input.bucket_name)?;
    check_limits(input.max_keys, input.max_total, "next_continuation_token")
}

/// Checks a listing's page size (`max_keys`) and, for `fetch_all`, how
/// many entries to gather (`max_total`); `resume` names the output fields
/// a caller goes on from once `max_total` entries are gathered.
pub fn check_limits(max_keys: Option<u32>, max_total: Option<u32>, resume: &str) -> Result<(), Error> {
    if let Some(max_keys) = max_keys {
        if !(1..=MAX_KEYS).contains(&max_keys) {
            return Err(Error::invalid_input(
                "max_keys",
                format!("is {max_keys}; give 1 to {MAX_KEYS} (S3 returns at most {MAX_KEYS} keys per page)"),
            ));
        }
    }
    match max_total {
        Some(0) => Err(Error::invalid_input(
            "max_total",
            format!("is 0; give at least 1, or leave it out for the default of {DEFAULT_MAX_TOTAL}"),
        )),
        Some(total) if total > MAX_TOTAL => Err(Error::invalid_input(
            "max_total",
            format!("is {total}; one call gathers at most {MAX_TOTAL} entries (go on from the {resume} of its answer)"),
        )),
        _ => Ok(()),
    }
}

/// Builds the request for the first page `input` asks for.
pub fn request(input: &ListObjectsInput) -> Result<OpRequest, Error> {
    page_request(input, input.continuation_token.as_deref(), input.max_keys)
}

/// Builds `GET /{bucket}?list-type=2&...` for the page at
/// `continuation_token`, asking for `max_keys` entries at most.
pub fn page_request(
    input: &ListObjectsInput,
    continuation_token: Option<&str>,
    max_keys: Option<u32>,
) -> Result<OpRequest, Error> {
    validate(input)?;
    let mut request = OpRequest::new(Method::Get, Some(&input.bucket_name), None)
        .with_query("list-type", "2")
        .with_query("encoding-type", "url");
    // Empty strings mean "not given": S3 treats `prefix=` as no prefix anyway.
    let optional = [
        ("prefix", input.prefix.as_deref()),
        ("delimiter", input.delimiter.as_deref()),
        ("continuation-token", continuation_token),
        ("start-after", input.start_after.as_deref()),
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

/// Parses a `<ListBucketResult>` page, URL-decoding keys and prefixes when
/// the page says they are encoded.
pub fn parse(response: &HttpResponse) -> Result<ListObjectsPage, Error> {
    let mut visitor = PageVisitor::default();
    xml::walk(&response.body, "ListBucketResult", &mut visitor)?;
    let mut page = visitor.page;
    // <EncodingType> comes after <Contents> in S3's answers, so the values
    // are decoded once the whole page has been read.
    match visitor.encoding_type.as_deref() {
        None | Some("") => {}
        Some("url") => {
            for object in &mut page.objects {
                url_decode_in_place("Key", &mut object.key)?;
            }
            for prefix in &mut page.common_prefixes {
                url_decode_in_place("Prefix", prefix)?;
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

/// Decodes a value S3 encoded for `encoding-type=url`.
///
/// S3 encodes as HTML forms do (as the AWS SDKs decode it): a space is `+`,
/// a literal `+` is `%2B`, other bytes are `%XX` of their UTF-8.
pub fn url_decode<'a>(element: &str, value: &'a str) -> Result<Cow<'a, str>, Error> {
    // Most keys have neither, which one SIMD search settles (a byte loop
    // cost about 430 instructions per key of a 1000-key page in the guest;
    // a `contains` of two `char`s, which decodes every character, 1.4k).
    if !crate::ascii::contains_either(value.as_bytes(), b'+', b'%') {
        return Ok(Cow::Borrowed(value));
    }
    let spaced = value.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map_err(|_| Error::invalid_response(format!("<{element}> `{value}` is not UTF-8 once URL-decoded")))?
        .into_owned();
    Ok(Cow::Owned(decoded))
}

/// Decodes `value` in place as [`url_decode`] does, leaving it as it is
/// (not copied) when nothing in it is encoded.
pub fn url_decode_in_place(element: &str, value: &mut String) -> Result<(), Error> {
    let decoded = match url_decode(element, value)? {
        Cow::Owned(decoded) => decoded,
        Cow::Borrowed(_) => return Ok(()),
    };
    *value = decoded;
    Ok(())
}

/// Runs List Bucket Objects.
pub fn run(client: &mut Client<'_>, input: &ListObjectsInput) -> Result<ListObjectsOutput, Error> {
    validate(input)?;
    if !input.fetch_all {
        let page = parse(&client.send(&request(input)?)?)?;
        return Ok(ListObjectsOutput {
            objects: page.objects,
            common_prefixes: page.common_prefixes,
            is_truncated: page.is_truncated,
            next_continuation_token: page.next_continuation_token,
            pages: 1,
        });
    }
    fetch_all(client, input)
}

/// Follows continuation tokens until the listing ends, `max_total` entries
/// are gathered, [`MAX_PAGES`] pages were read or [`MAX_GATHERED_BYTES`]
/// bytes of entries are held.
fn fetch_all(client: &mut Client<'_>, input: &ListObjectsInput) -> Result<ListObjectsOutput, Error> {
    let limit = input.max_total.unwrap_or(DEFAULT_MAX_TOTAL);
    let page_size = input.max_keys.unwrap_or(MAX_KEYS);
    let mut output = ListObjectsOutput::default();
    let mut token = input.continuation_token.clone().filter(|t| !t.is_empty());
    // Every token answered so far: a server that sends one again (even
    // between others, A B A B ...) would have the listing loop for ever.
    // A list searched through: a token per page, each the cost of a
    // request, and less code in the component than a set.
    let mut seen: Vec<String> = token.iter().cloned().collect();
    let mut gathered_bytes = 0usize;
    loop {
        let gathered = u32::try_from(output.objects.len() + output.common_prefixes.len()).unwrap_or(u32::MAX);
        // Never ask for more than is still wanted: a page cut short here
        // would leave entries between the cut and the next token unseen.
        let remaining = limit.saturating_sub(gathered).max(1);
        let request = page_request(input, token.as_deref(), Some(page_size.min(remaining)))?;
        let page = parse(&client.send(&request)?)?;
        output.pages += 1;
        gathered_bytes += page.bytes();
        output.objects.extend(page.objects);
        output.common_prefixes.extend(page.common_prefixes);
        if !page.is_truncated {
            output.is_truncated = false;
            output.next_continuation_token = None;
            return Ok(output);
        }
        let next = page.next_continuation_token.ok_or_else(|| {
            Error::invalid_response(
                "the listing is truncated (<IsTruncated>true</IsTruncated>) but has no <NextContinuationToken> to go on",
            )
        })?;
        if seen.contains(&next) {
            return Err(Error::invalid_response(format!(
                "the listing answered the same continuation token twice (after {} pages); stopping \
                 rather than looping",
                output.pages
            )));
        }
        seen.push(next.clone());
        let gathered = output.objects.len() + output.common_prefixes.len();
        if gathered >= limit as usize || output.pages >= MAX_PAGES || gathered_bytes >= MAX_GATHERED_BYTES {
            output.is_truncated = true;
            output.next_continuation_token = Some(next);
            return Ok(output);
        }
        token = Some(next);
    }
}

#[derive(Default)]
struct PageVisitor {
    page: ListObjectsPage,
    current: PartialObject,
    encoding_type: Option<String>,
}

#[derive(Default)]
struct PartialObject {
    key: Option<String>,
    size: Option<u64>,
    last_modified: Option<String>,
    etag: Option<String>,
    storage_class: Option<String>,
}

impl Visitor for PageVisitor {
    fn open(&mut self, path: &Path) -> Result<(), Error> {
        if path.is(&["Contents"]) {
            self.current = PartialObject::default();
        }
        Ok(())
    }

    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        // An entry's names are compared with `name_is` (a page has 6000),
        // the page's own fields with `match`.
        let is = xml::name_is;
        match path.names() {
            [contents] if is(contents, "Contents") => {
                let partial = std::mem::take(&mut self.current);
                let key = partial.key.ok_or_else(|| {
                    Error::invalid_response("a <Contents> in <ListBucketResult> has no <Key>")
                })?;
                let size = partial.size.ok_or_else(|| {
                    Error::invalid_response(format!("the <Contents> of `{key}` has no <Size>"))
                })?;
                self.page.objects.push(ObjectSummary {
                    key,
                    size,
                    last_modified: partial.last_modified,
                    etag: partial.etag,
                    storage_class: partial.storage_class,
                });
            }
            [contents, field] if is(contents, "Contents") => {
                let current = &mut self.current;
                if is(field, "Key") {
                    // Keys are taken verbatim: spaces and all.
                    current.key = Some(text.to_owned());
                } else if is(field, "Size") {
                    current.size = Some(xml::parse_u64("Size", text)?);
                } else if is(field, "LastModified") {
                    current.last_modified = xml::optional(text);
                } else if is(field, "ETag") {
                    current.etag = xml::optional(text);
                } else if is(field, "StorageClass") {
                    current.storage_class = xml::optional(text);
                }
            }
            [prefixes, prefix] if is(prefixes, "CommonPrefixes") && is(prefix, "Prefix") => {
                self.page.common_prefixes.push(text.to_owned());
            }
            [field] => match field.as_str() {
                "IsTruncated" => self.page.is_truncated = xml::parse_bool("IsTruncated", text)?,
                "NextContinuationToken" => self.page.next_continuation_token = xml::optional(text),
                "KeyCount" => self.page.key_count = Some(xml::parse_u64("KeyCount", text)?),
                "EncodingType" => self.encoding_type = Some(text.trim().to_owned()),
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }
}

/// List Bucket Objects.
pub struct ListObjects;

impl crate::ops::Op for ListObjects {
    type Input = ListObjectsInput;
    type Output = ListObjectsOutput;
    const NAME: &'static str = "list-objects";
    const TITLE: &'static str = "List Bucket Objects";
    const DESCRIPTION: &'static str = "One page of a bucket's objects (ListObjectsV2), or with `fetch_all` \
        every page up to `max_total` entries.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:ListBucket"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "prefix": "reports/", "delimiter": "/"}"#;

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
    use crate::ops::Operation;

    const FIXTURES: Fixtures = Fixtures("list_objects");

    fn input(bucket: &str) -> ListObjectsInput {
        ListObjectsInput {
            bucket_name: bucket.into(),
            ..ListObjectsInput::default()
        }
    }

    fn query_of(request: &OpRequest) -> Vec<(&str, &str)> {
        let mut query: Vec<_> = request
            .query
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        query.sort_unstable();
        query
    }

    fn keys(objects: &[ObjectSummary]) -> Vec<&str> {
        objects.iter().map(|o| o.key.as_str()).collect()
    }

    fn invalid_field(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    /// A page of `count` keys `{prefix}{n:05}`, each `n` bytes.
    fn generated_page(prefix: &str, count: usize, next_token: Option<&str>) -> Vec<u8> {
        let mut body = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>my-bucket</Name>",
        );
        body.push_str(&format!("<KeyCount>{count}</KeyCount><MaxKeys>1000</MaxKeys>"));
        match next_token {
            Some(token) => body.push_str(&format!(
                "<IsTruncated>true</IsTruncated><NextContinuationToken>{token}</NextContinuationToken>"
            )),
            None => body.push_str("<IsTruncated>false</IsTruncated>"),
        }
        for n in 0..count {
            body.push_str(&format!(
                "<Contents><Key>{prefix}{n:05}</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>\
                 <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>{n}</Size>\
                 <StorageClass>STANDARD</StorageClass></Contents>"
            ));
        }
        body.push_str("</ListBucketResult>");
        body.into_bytes()
    }

    #[test]
    fn request_asks_for_v2_and_url_encoding() {
        let request = request(&input("my-bucket")).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.bucket.as_deref(), Some("my-bucket"));
        assert_eq!(request.key, None);
        assert_eq!(query_of(&request), [("encoding-type", "url"), ("list-type", "2")]);
        assert!(request.headers.is_empty());
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn request_carries_every_option_raw() {
        let request = request(&ListObjectsInput {
            bucket_name: "my-bucket".into(),
            prefix: Some("photos/2024 q1+".into()),
            delimiter: Some("/".into()),
            max_keys: Some(50),
            continuation_token: Some("tok/en=".into()),
            start_after: Some("photos/a".into()),
            ..ListObjectsInput::default()
        })
        .unwrap();
        assert_eq!(
            query_of(&request),
            [
                ("continuation-token", "tok/en="),
                ("delimiter", "/"),
                ("encoding-type", "url"),
                ("list-type", "2"),
                ("max-keys", "50"),
                ("prefix", "photos/2024 q1+"),
                ("start-after", "photos/a"),
            ]
        );
    }

    #[test]
    fn request_leaves_out_empty_options() {
        let request = request(&ListObjectsInput {
            prefix: Some(String::new()),
            delimiter: Some(String::new()),
            continuation_token: Some(String::new()),
            ..input("my-bucket")
        })
        .unwrap();
        assert_eq!(query_of(&request), [("encoding-type", "url"), ("list-type", "2")]);
    }

    #[test]
    fn request_is_addressed_and_encoded_by_the_client() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("empty.xml"));
        let listing = ListObjectsInput {
            prefix: Some("a b+c".into()),
            ..input("my-bucket")
        };
        with_client(&mut transport, Operation::ListObjects, |c| run(c, &listing)).unwrap();
        assert_eq!(transport.sent[0].path, "/my-bucket");
        assert_eq!(
            transport.sent[0].canonical_query(),
            "encoding-type=url&list-type=2&prefix=a%20b%2Bc"
        );
    }

    #[test]
    fn max_keys_outside_1_to_1000_is_refused() {
        for max_keys in [0, 1001, u32::MAX] {
            let listing = ListObjectsInput {
                max_keys: Some(max_keys),
                ..input("my-bucket")
            };
            assert_eq!(invalid_field(request(&listing)), "max_keys");
        }
        for max_keys in [1, 1000] {
            let listing = ListObjectsInput {
                max_keys: Some(max_keys),
                ..input("my-bucket")
            };
            assert!(request(&listing).is_ok());
        }
    }

    #[test]
    fn zero_max_total_is_refused() {
        let listing = ListObjectsInput {
            max_total: Some(0),
            fetch_all: true,
            ..input("my-bucket")
        };
        assert_eq!(invalid_field(request(&listing)), "max_total");
    }

    #[test]
    fn bad_bucket_name_is_refused_before_sending() {
        let mut transport = FakeTransport::default();
        let result = with_client(&mut transport, Operation::ListObjects, |c| {
            run(c, &input("My_Bucket"))
        });
        assert_eq!(invalid_field(result), "bucket_name");
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn contents_parse_with_escapes_and_character_references() {
        let page = parse(&FIXTURES.ok("success.xml")).unwrap();
        assert_eq!(
            page.objects[0],
            ObjectSummary {
                key: "my-image.jpg".into(),
                size: 434234,
                last_modified: Some("2009-10-12T17:50:30.000Z".into()),
                etag: Some("\"fba9dede5f27731c9771645a39863328\"".into()),
                storage_class: Some("STANDARD".into()),
            }
        );
        assert_eq!(
            keys(&page.objects),
            [
                "my-image.jpg",
                "notes/a & b <draft> \"v2\" 'final'.txt",
                "  spaced key  ",
                "café/\u{1F600}\r.bin"
            ]
        );
        assert_eq!(page.objects[1].storage_class.as_deref(), Some("GLACIER"));
        assert_eq!(page.objects[2].size, u64::MAX);
        assert_eq!(page.objects[2].last_modified, None);
        assert_eq!(page.objects[2].etag, None);
        assert!(!page.is_truncated);
        assert_eq!(page.next_continuation_token, None);
        assert_eq!(page.key_count, Some(4));
    }

    #[test]
    fn empty_listing_parses() {
        let page = parse(&FIXTURES.ok("empty.xml")).unwrap();
        assert_eq!(
            page,
            ListObjectsPage {
                key_count: Some(0),
                ..ListObjectsPage::default()
            }
        );
        assert_eq!(
            parse(&xml_ok(b"<ListBucketResult/>")).unwrap(),
            ListObjectsPage::default()
        );
    }

    #[test]
    fn common_prefixes_parse() {
        let page = parse(&FIXTURES.ok("delimiter.xml")).unwrap();
        assert_eq!(keys(&page.objects), ["photos/index.html"]);
        assert_eq!(page.common_prefixes, ["photos/2023/", "photos/2024/"]);
        assert_eq!(page.entries(), 3);
    }

    #[test]
    fn truncated_page_gives_its_token() {
        let page = parse(&FIXTURES.ok("page-1.xml")).unwrap();
        assert!(page.is_truncated);
        assert_eq!(
            page.next_continuation_token.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
    }

    #[test]
    fn url_encoded_keys_and_prefixes_are_decoded() {
        let page = parse(&FIXTURES.ok("url-encoded.xml")).unwrap();
        assert_eq!(
            keys(&page.objects),
            [
                "dir/with space",
                "dir/with space",
                "dir/plus+sign",
                "dir/control\u{1}char\u{7F}",
                "dir/test_file(3).png",
                "dir/été%100",
            ]
        );
        assert_eq!(page.common_prefixes, ["dir/sub folder/"]);
    }

    #[test]
    fn keys_are_not_decoded_when_the_server_did_not_encode_them() {
        let body = b"<ListBucketResult><IsTruncated>false</IsTruncated>\
            <Contents><Key>a+b%20c</Key><Size>1</Size></Contents>\
            <CommonPrefixes><Prefix>x+y%2F</Prefix></CommonPrefixes></ListBucketResult>";
        let page = parse(&xml_ok(body)).unwrap();
        assert_eq!(keys(&page.objects), ["a+b%20c"]);
        assert_eq!(page.common_prefixes, ["x+y%2F"]);
    }

    #[test]
    fn url_decoding_to_invalid_utf8_is_an_invalid_response() {
        let body = b"<ListBucketResult><Contents><Key>%FF%FE</Key><Size>1</Size></Contents>\
            <EncodingType>url</EncodingType></ListBucketResult>";
        let message = invalid_response(parse(&xml_ok(body)));
        assert!(message.contains("<Key>"), "{message}");
    }

    #[test]
    fn unknown_encoding_type_is_an_invalid_response() {
        let body = b"<ListBucketResult><EncodingType>base64</EncodingType></ListBucketResult>";
        invalid_response(parse(&xml_ok(body)));
    }

    #[test]
    fn url_decode_treats_plus_as_space_and_percent_2b_as_plus() {
        assert_eq!(url_decode("Key", "a+b").unwrap(), "a b");
        assert_eq!(url_decode("Key", "a%20b").unwrap(), "a b");
        assert_eq!(url_decode("Key", "a%2Bb").unwrap(), "a+b");
        assert_eq!(url_decode("Key", "a%2bb").unwrap(), "a+b");
        assert_eq!(url_decode("Key", "%E2%82%AC").unwrap(), "€");
        assert_eq!(url_decode("Key", "plain/key.txt").unwrap(), "plain/key.txt");
        let mut value = "a+b%2B".to_owned();
        url_decode_in_place("Key", &mut value).unwrap();
        assert_eq!(value, "a b+");
        let mut value = "plain/key.txt".to_owned();
        url_decode_in_place("Key", &mut value).unwrap();
        assert_eq!(value, "plain/key.txt");
        assert!(url_decode_in_place("Key", &mut "%FF".to_owned()).is_err());
    }

    #[test]
    fn wrongly_typed_values_are_invalid_responses() {
        let message = invalid_response(parse(&FIXTURES.ok("bad-size.xml")));
        assert!(message.contains("<Size> is `abc`"), "{message}");
        let message = invalid_response(parse(&FIXTURES.ok("bad-is-truncated.xml")));
        assert!(message.contains("<IsTruncated>"), "{message}");
    }

    #[test]
    fn contents_without_a_key_is_an_invalid_response() {
        let message = invalid_response(parse(&FIXTURES.ok("contents-without-key.xml")));
        assert!(message.contains("<Key>"), "{message}");
        let body = b"<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>";
        let message = invalid_response(parse(&xml_ok(body)));
        assert!(message.contains("<Size>"), "{message}");
    }

    #[test]
    fn truncated_document_is_an_invalid_response() {
        let message = invalid_response(parse(&FIXTURES.ok("truncated.xml")));
        assert!(message.contains("ListBucketResult"), "{message}");
    }

    #[test]
    fn doctype_is_refused() {
        let message = invalid_response(parse(&FIXTURES.ok("doctype.xml")));
        assert!(message.contains("DOCTYPE"), "{message}");
    }

    #[test]
    fn a_full_page_of_1000_keys_parses() {
        let page = parse(&xml_ok(&generated_page("logs/2024/", 1000, Some("next")))).unwrap();
        assert_eq!(page.objects.len(), 1000);
        assert_eq!(page.objects[999].key, "logs/2024/00999");
        assert_eq!(page.objects[999].size, 999);
        assert_eq!(
            page.objects[0].etag.as_deref(),
            Some("\"d41d8cd98f00b204e9800998ecf8427e\"")
        );
        assert!(page.is_truncated);
    }

    #[test]
    fn run_reads_one_page_of_1000_keys() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &generated_page("k", 1000, Some("t1")));
        let output = with_client(&mut transport, Operation::ListObjects, |c| {
            run(c, &input("my-bucket"))
        })
        .unwrap();
        assert_eq!(output.objects.len(), 1000);
        assert!(output.is_truncated);
        assert_eq!(output.next_continuation_token.as_deref(), Some("t1"));
        assert_eq!(output.pages, 1);
        assert_eq!(transport.sent.len(), 1);
    }

    #[test]
    fn run_maps_no_such_bucket() {
        let mut transport = FakeTransport::default();
        transport.answer(404, &[], &FIXTURES.bytes("error-no-such-bucket.xml"));
        match with_client(&mut transport, Operation::ListObjects, |c| {
            run(c, &input("missing-bucket"))
        })
        .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::NoSuchBucket);
                assert_eq!(error.status, 404);
                assert_eq!(error.request_id.as_deref(), Some("A1B2C3D4E5F60718"));
            }
            other => panic!("expected no such bucket, got {other:?}"),
        }
    }

    #[test]
    fn fetch_all_follows_tokens_to_the_end() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("page-1.xml")).answer(
            200,
            &[],
            &FIXTURES.bytes("page-2.xml"),
        );
        let listing = ListObjectsInput {
            fetch_all: true,
            max_keys: Some(2),
            ..input("my-bucket")
        };
        let output = with_client(&mut transport, Operation::ListObjects, |c| run(c, &listing)).unwrap();
        assert_eq!(keys(&output.objects), ["a", "b", "c"]);
        assert!(!output.is_truncated);
        assert_eq!(output.next_continuation_token, None);
        assert_eq!(output.pages, 2);
        let first: Vec<_> = transport.sent[0].query.iter().map(|(n, _)| n.as_str()).collect();
        assert!(!first.contains(&"continuation-token"));
        assert!(transport.sent[1].query.contains(&(
            "continuation-token".into(),
            "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=".into()
        )));
        assert!(transport.sent[1].query.contains(&("max-keys".into(), "2".into())));
    }

    #[test]
    fn fetch_all_stops_at_max_total_with_the_token_to_resume() {
        let mut transport = FakeTransport::default();
        transport
            .answer(200, &[], &generated_page("a", 1000, Some("t1")))
            .answer(200, &[], &generated_page("b", 500, Some("t2")));
        let listing = ListObjectsInput {
            fetch_all: true,
            max_total: Some(1500),
            ..input("my-bucket")
        };
        let output = with_client(&mut transport, Operation::ListObjects, |c| run(c, &listing)).unwrap();
        assert_eq!(output.objects.len(), 1500);
        assert!(output.is_truncated);
        assert_eq!(output.next_continuation_token.as_deref(), Some("t2"));
        assert_eq!(output.pages, 2);
        // The second page asks only for what is still wanted, so the token
        // resumes exactly after the last entry returned.
        assert!(transport.sent[0]
            .query
            .contains(&("max-keys".into(), "1000".into())));
        assert!(transport.sent[1]
            .query
            .contains(&("max-keys".into(), "500".into())));
    }

    #[test]
    fn fetch_all_of_long_keys_stops_at_the_byte_budget_with_the_token_to_resume() {
        let mut transport = FakeTransport::default();
        let long = "k".repeat(1000);
        let pages = 40;
        for page in 0..pages {
            transport.answer(
                200,
                &[],
                &generated_page(&format!("{long}{page:02}/"), 1000, Some(&format!("t{page}"))),
            );
        }
        let listing = ListObjectsInput {
            fetch_all: true,
            max_total: Some(MAX_TOTAL),
            ..input("my-bucket")
        };
        let output = with_client(&mut transport, Operation::ListObjects, |c| run(c, &listing)).unwrap();
        assert!(output.is_truncated);
        let held: usize = output.objects.iter().map(|o| o.key.len()).sum();
        assert!(
            held <= MAX_GATHERED_BYTES && held > MAX_GATHERED_BYTES / 2,
            "{held}"
        );
        assert!(output.pages < pages, "{}", output.pages);
        let last = output.pages - 1;
        assert_eq!(output.next_continuation_token, Some(format!("t{last}")));
    }

    #[test]
    fn max_total_over_the_limit_is_refused_before_sending() {
        let listing = ListObjectsInput {
            fetch_all: true,
            max_total: Some(MAX_TOTAL + 1),
            ..input("my-bucket")
        };
        assert_eq!(invalid_field(request(&listing)), "max_total");
        assert!(request(&ListObjectsInput {
            max_total: Some(MAX_TOTAL),
            ..listing
        })
        .is_ok());
    }

    #[test]
    fn fetch_all_defaults_to_10000_entries() {
        let mut transport = FakeTransport::default();
        for page in 0..10 {
            let token = format!("t{page}");
            transport.answer(
                200,
                &[],
                &generated_page(&format!("p{page}/"), 1000, Some(&token)),
            );
        }
        let listing = ListObjectsInput {
            fetch_all: true,
            ..input("my-bucket")
        };
        let output = with_client(&mut transport, Operation::ListObjects, |c| run(c, &listing)).unwrap();
        assert_eq!(output.objects.len(), 10_000);
        assert_eq!(output.pages, 10);
        assert!(output.is_truncated);
        assert_eq!(output.next_continuation_token.as_deref(), Some("t9"));
        assert_eq!(transport.sent.len(), 10);
    }

    #[test]
    fn fetch_all_counts_common_prefixes_as_entries() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[],
            b"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>\
              <Contents><Key>a</Key><Size>1</Size></Contents>\
              <CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes></ListBucketResult>",
        );
        let listing = ListObjectsInput {
            fetch_all: true,
            max_total: Some(2),
            delimiter: Some("/".into()),
            ..input("my-bucket")
        };
        let output = with_client(&mut transport, Operation::ListObjects, |c| run(c, &listing)).unwrap();
        assert_eq!(output.pages, 1);
        assert!(output.is_truncated);
        assert_eq!(output.common_prefixes, ["d/"]);
    }

    #[test]
    fn fetch_all_refuses_truncation_without_a_token() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("truncated-without-token.xml"));
        let listing = ListObjectsInput {
            fetch_all: true,
            ..input("my-bucket")
        };
        let message = invalid_response(with_client(&mut transport, Operation::ListObjects, |c| {
            run(c, &listing)
        }));
        assert!(message.contains("<NextContinuationToken>"), "{message}");
        assert_eq!(transport.sent.len(), 1);
    }

    #[test]
    fn fetch_all_refuses_a_repeated_token() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("page-1.xml")).answer(
            200,
            &[],
            &FIXTURES.bytes("page-1.xml"),
        );
        let listing = ListObjectsInput {
            fetch_all: true,
            ..input("my-bucket")
        };
        let message = invalid_response(with_client(&mut transport, Operation::ListObjects, |c| {
            run(c, &listing)
        }));
        assert!(message.contains("same continuation token"), "{message}");
        assert_eq!(transport.sent.len(), 2);
    }

    #[test]
    fn fetch_all_refuses_tokens_that_alternate() {
        let mut transport = FakeTransport::default();
        let page = |token: &str| {
            format!(
                "<ListBucketResult><IsTruncated>true</IsTruncated>\
                 <NextContinuationToken>{token}</NextContinuationToken></ListBucketResult>"
            )
        };
        for token in ["A", "B", "A", "B"] {
            transport.answer(200, &[], page(token).as_bytes());
        }
        let listing = ListObjectsInput {
            fetch_all: true,
            ..input("my-bucket")
        };
        let message = invalid_response(with_client(&mut transport, Operation::ListObjects, |c| {
            run(c, &listing)
        }));
        assert!(
            message.contains("same continuation token twice (after 3 pages)"),
            "{message}"
        );
        assert_eq!(transport.sent.len(), 3, "no fourth request");
    }

    #[test]
    fn fetch_all_passes_a_service_error_on() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("page-1.xml")).answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        let listing = ListObjectsInput {
            fetch_all: true,
            ..input("my-bucket")
        };
        match with_client(&mut transport, Operation::ListObjects, |c| run(c, &listing))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:ListBucket"));
            }
            other => panic!("expected access denied, got {other:?}"),
        }
    }
}
