//! List Buckets: every bucket the credentials can see, zero or more.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html>
//!
//! We never send `max-buckets`, so AWS answers in one page for accounts with
//! up to 10,000 buckets; a `<ContinuationToken>` in the answer is followed
//! all the same, so that no bucket is missed.

use crate::client::Client;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::Bucket;
use crate::xml::{self, Path, Visitor};

/// The most pages followed before giving up on a server that keeps
/// answering with a continuation token.
pub const MAX_PAGES: u32 = 1000;

/// The most buckets gathered in one call (S3 allows an account up to
/// 1,000,000 on request): more would not fit in the component's memory as
/// JSON, and are refused with an error rather than a trap.
pub const MAX_BUCKETS: usize = 100_000;

/// One page of List Buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListBucketsPage {
    /// The buckets, in the server's order.
    pub buckets: Vec<Bucket>,
    /// The token of the next page, when there is one.
    pub continuation_token: Option<String>,
}

/// Builds `GET /` (service level), resuming at `continuation_token` when given.
pub fn request(continuation_token: Option<&str>) -> Result<OpRequest, Error> {
    let request = OpRequest::new(Method::Get, None, None);
    Ok(match continuation_token {
        Some(token) => request.with_query("continuation-token", token),
        None => request,
    })
}

/// Parses a `<ListAllMyBucketsResult>` page.
pub fn parse(response: &HttpResponse) -> Result<ListBucketsPage, Error> {
    let mut visitor = PageVisitor::default();
    xml::walk(&response.body, "ListAllMyBucketsResult", &mut visitor)?;
    Ok(visitor.page)
}

/// Runs List Buckets, following continuation tokens.
pub fn run(client: &mut Client<'_>) -> Result<Vec<Bucket>, Error> {
    let mut buckets = Vec::new();
    let mut token: Option<String> = None;
    // Every token answered so far: one answered again, even between
    // others, would have the listing loop for ever.
    // A list searched through: a token per page, each the cost of a
    // request, and less code in the component than a set.
    let mut seen: Vec<String> = Vec::new();
    for pages in 1..=MAX_PAGES {
        let response = client.send(&request(token.as_deref())?)?;
        let page = parse(&response)?;
        buckets.extend(page.buckets);
        if buckets.len() > MAX_BUCKETS {
            return Err(Error::invalid_response(format!(
                "List Buckets gave more than {MAX_BUCKETS} buckets in {pages} pages, more than one call \
                 returns"
            )));
        }
        match page.continuation_token {
            None => return Ok(buckets),
            Some(next) if seen.contains(&next) => {
                return Err(Error::invalid_response(format!(
                    "List Buckets answered a continuation token it had already given (after {pages} \
                     pages); stopping rather than looping"
                )));
            }
            Some(next) => {
                seen.push(next.clone());
                token = Some(next);
            }
        }
    }
    Err(Error::invalid_response(format!(
        "List Buckets still had more pages after {MAX_PAGES}; stopping rather than looping"
    )))
}

#[derive(Default)]
struct PageVisitor {
    page: ListBucketsPage,
    current: Option<PartialBucket>,
}

#[derive(Default)]
struct PartialBucket {
    name: Option<String>,
    creation_date: Option<String>,
    region: Option<String>,
}

impl Visitor for PageVisitor {
    fn open(&mut self, path: &Path) -> Result<(), Error> {
        if path.is(&["Buckets", "Bucket"]) {
            self.current = Some(PartialBucket::default());
        }
        Ok(())
    }

    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        match path.names() {
            [buckets, bucket] if buckets == "Buckets" && bucket == "Bucket" => {
                let partial = self.current.take().unwrap_or_default();
                let name = partial.name.ok_or_else(|| {
                    Error::invalid_response("a <Bucket> in <ListAllMyBucketsResult> has no <Name>")
                })?;
                self.page.buckets.push(Bucket {
                    name,
                    creation_date: partial.creation_date,
                    region: partial.region,
                });
            }
            [buckets, bucket, field] if buckets == "Buckets" && bucket == "Bucket" => {
                if let Some(current) = self.current.as_mut() {
                    match field.as_str() {
                        "Name" => current.name = xml::optional(text),
                        // Kept as sent: S3 writes RFC 3339 (`2006-02-03T16:45:09.000Z`).
                        "CreationDate" => current.creation_date = xml::optional(text),
                        "BucketRegion" => current.region = xml::optional(text),
                        _ => {}
                    }
                }
            }
            [token] if token == "ContinuationToken" => self.page.continuation_token = xml::optional(text),
            _ => {}
        }
        Ok(())
    }
}

/// The JSON output of List Buckets.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListBucketsOutput {
    /// Every bucket, in the order S3 lists them.
    pub buckets: Vec<Bucket>,
}

/// List Buckets.
pub struct ListBuckets;

impl crate::ops::Op for ListBuckets {
    type Input = crate::ops::NoInput;
    type Output = ListBucketsOutput;
    const NAME: &'static str = "list-buckets";
    const TITLE: &'static str = "List Buckets";
    const DESCRIPTION: &'static str = "Every bucket the credentials can see, with its creation date.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:ListAllMyBuckets"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = "{}";

    fn run(call: &mut crate::ops::Invocation<'_, '_>, _: Self::Input) -> Result<Self::Output, Error> {
        Ok(ListBucketsOutput {
            buckets: run(call.client)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{invalid_response, with_client, xml_ok, FakeTransport, Fixtures};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::Operation;

    const FIXTURES: Fixtures = Fixtures("list_buckets");

    fn bucket(name: &str, creation_date: Option<&str>, region: Option<&str>) -> Bucket {
        Bucket {
            name: name.into(),
            creation_date: creation_date.map(Into::into),
            region: region.map(Into::into),
        }
    }

    #[test]
    fn request_is_a_service_level_get_without_query() {
        let request = request(None).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.bucket, None);
        assert_eq!(request.key, None);
        assert!(request.query.is_empty());
        assert!(request.headers.is_empty());
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn request_resumes_with_the_continuation_token() {
        let request = request(Some("abc/+=")).unwrap();
        assert_eq!(
            request.query,
            [("continuation-token".to_owned(), "abc/+=".to_owned())]
        );
    }

    #[test]
    fn many_buckets_parse_with_dates_and_regions_in_server_order() {
        let page = parse(&FIXTURES.ok("many.xml")).unwrap();
        assert_eq!(
            page.buckets,
            [
                bucket("zeta-logs", Some("2019-12-11T23:32:47+00:00"), Some("eu-west-1")),
                bucket(
                    "alpha.example.com",
                    Some("2006-02-03T16:45:09.000Z"),
                    Some("us-east-1")
                ),
                bucket("middle-bucket", Some("2024-05-01T12:00:00.000Z"), None),
            ]
        );
        assert_eq!(page.continuation_token, None);
    }

    #[test]
    fn one_bucket_parses() {
        let page = parse(&FIXTURES.ok("one.xml")).unwrap();
        assert_eq!(
            page.buckets,
            [bucket("only-bucket", Some("2024-01-15T08:30:00.000Z"), None)]
        );
    }

    #[test]
    fn zero_buckets_parse_as_an_empty_list() {
        assert_eq!(
            parse(&FIXTURES.ok("empty.xml")).unwrap(),
            ListBucketsPage::default()
        );
        assert_eq!(
            parse(&FIXTURES.ok("empty-no-buckets-element.xml")).unwrap(),
            ListBucketsPage::default()
        );
        assert_eq!(
            parse(&xml_ok(
                b"<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>"
            ))
            .unwrap(),
            ListBucketsPage::default()
        );
    }

    #[test]
    fn continuation_token_is_read() {
        let page = parse(&FIXTURES.ok("page-1.xml")).unwrap();
        assert_eq!(
            page.continuation_token.as_deref(),
            Some("token/with+special=chars")
        );
    }

    #[test]
    fn truncated_document_is_an_invalid_response() {
        invalid_response(parse(&FIXTURES.ok("truncated.xml")));
    }

    #[test]
    fn doctype_is_refused() {
        let message = invalid_response(parse(&FIXTURES.ok("doctype.xml")));
        assert!(message.contains("DOCTYPE"), "{message}");
    }

    #[test]
    fn unknown_entity_is_an_invalid_response() {
        let message = invalid_response(parse(&FIXTURES.ok("unknown-entity.xml")));
        assert!(message.contains("&xxe;"), "{message}");
    }

    #[test]
    fn bucket_without_name_is_an_invalid_response() {
        let message = invalid_response(parse(&FIXTURES.ok("bucket-without-name.xml")));
        assert!(message.contains("<Name>"), "{message}");
    }

    #[test]
    fn another_document_is_an_invalid_response() {
        let message = invalid_response(parse(&xml_ok(b"<ListBucketResult/>")));
        assert!(message.contains("<ListAllMyBucketsResult>"), "{message}");
        invalid_response(parse(&xml_ok(b"")));
    }

    // The connector this replaces listed nothing unless the account had at
    // least two buckets; zero and one must list as they are.
    #[test]
    fn run_lists_zero_and_one_bucket() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("empty.xml"));
        let buckets = with_client(&mut transport, Operation::ListBuckets, run).unwrap();
        assert!(buckets.is_empty());

        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("one.xml"));
        let buckets = with_client(&mut transport, Operation::ListBuckets, run).unwrap();
        assert_eq!(buckets.len(), 1);
        assert_eq!(buckets[0].name, "only-bucket");
        assert_eq!(transport.sent.len(), 1);
        assert_eq!(transport.sent[0].path, "/");
        assert_eq!(transport.sent[0].method, Method::Get);
    }

    #[test]
    fn run_follows_continuation_tokens() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("page-1.xml")).answer(
            200,
            &[],
            &FIXTURES.bytes("page-2.xml"),
        );
        let buckets = with_client(&mut transport, Operation::ListBuckets, run).unwrap();
        let names: Vec<_> = buckets.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["bucket-a", "bucket-b"]);
        assert_eq!(transport.sent.len(), 2);
        assert!(transport.sent[0].query.is_empty());
        assert_eq!(
            transport.sent[1].query,
            [(
                "continuation-token".to_owned(),
                "token/with+special=chars".to_owned()
            )]
        );
    }

    #[test]
    fn run_stops_when_the_same_token_comes_back() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("page-1.xml")).answer(
            200,
            &[],
            &FIXTURES.bytes("page-1.xml"),
        );
        let message = invalid_response(with_client(&mut transport, Operation::ListBuckets, run));
        assert!(message.contains("already given (after 2 pages)"), "{message}");
        assert_eq!(transport.sent.len(), 2);
    }

    #[test]
    fn run_stops_when_tokens_alternate() {
        let mut transport = FakeTransport::default();
        for token in ["a", "b", "a", "b"] {
            let body = format!(
                "<ListAllMyBucketsResult><Buckets/><ContinuationToken>{token}</ContinuationToken></ListAllMyBucketsResult>"
            );
            transport.answer(200, &[], body.as_bytes());
        }
        let message = invalid_response(with_client(&mut transport, Operation::ListBuckets, run));
        assert!(message.contains("already given (after 3 pages)"), "{message}");
        assert_eq!(transport.sent.len(), 3);
    }

    #[test]
    fn run_refuses_more_buckets_than_one_call_returns() {
        let mut transport = FakeTransport::default();
        let page = |first: usize, token: &str| {
            let buckets: String = (first..first + 10_000)
                .map(|n| format!("<Bucket><Name>bucket-{n:06}</Name></Bucket>"))
                .collect();
            format!(
                "<ListAllMyBucketsResult><Buckets>{buckets}</Buckets><ContinuationToken>{token}</ContinuationToken></ListAllMyBucketsResult>"
            )
        };
        for n in 0..11 {
            transport.answer(200, &[], page(n * 10_000, &format!("t{n}")).as_bytes());
        }
        let message = invalid_response(with_client(&mut transport, Operation::ListBuckets, run));
        assert!(
            message.contains(&format!("more than {MAX_BUCKETS} buckets in 11 pages")),
            "{message}"
        );
    }

    #[test]
    fn run_stops_after_the_page_limit() {
        let mut transport = FakeTransport::default();
        for page in 0..MAX_PAGES {
            let body = format!(
                "<ListAllMyBucketsResult><Buckets/><ContinuationToken>t{page}</ContinuationToken></ListAllMyBucketsResult>"
            );
            transport.answer(200, &[], body.as_bytes());
        }
        let message = invalid_response(with_client(&mut transport, Operation::ListBuckets, run));
        assert!(message.contains("after 1000"), "{message}");
        assert_eq!(transport.sent.len(), MAX_PAGES as usize);
    }

    #[test]
    fn run_maps_access_denied_with_the_permission_needed() {
        let mut transport = FakeTransport::default();
        transport.answer(
            403,
            &[("x-amz-request-id", "8A4DB6C2E7F3B5A1")],
            &FIXTURES.bytes("error-access-denied.xml"),
        );
        match with_client(&mut transport, Operation::ListBuckets, run).map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.status, 403);
                assert_eq!(error.required_permission.as_deref(), Some("s3:ListAllMyBuckets"));
            }
            other => panic!("expected access denied, got {other:?}"),
        }
    }
}
