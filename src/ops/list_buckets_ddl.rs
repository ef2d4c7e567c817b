//! List buckets DDL: the buckets of List Buckets as dropdown items, `text`
//! and `value` both the bucket name, sorted by name.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html>

use crate::client::Client;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, OpRequest};
use crate::model::{Bucket, DropdownItem};
use crate::ops::list_buckets;

/// Builds the List Buckets request (the same call).
pub fn request() -> Result<OpRequest, Error> {
    list_buckets::request(None)
}

/// Parses one List Buckets page into dropdown items.
pub fn parse(response: &HttpResponse) -> Result<Vec<DropdownItem>, Error> {
    Ok(to_dropdown(list_buckets::parse(response)?.buckets))
}

/// The buckets as dropdown items sorted by name.
pub fn to_dropdown(buckets: Vec<Bucket>) -> Vec<DropdownItem> {
    // The names are sorted as `&str` by `sort_names`, as Test connection's
    // and the policy's lists are: a sort of their own would weigh some 3 KB.
    // Items of one name are equal, so an unstable sort gives the order a
    // stable one would.
    let mut names: Vec<&str> = buckets.iter().map(|bucket| bucket.name.as_str()).collect();
    crate::ops::sort_names(&mut names);
    names
        .into_iter()
        .map(|name| DropdownItem {
            text: name.to_owned(),
            value: name.to_owned(),
        })
        .collect()
}

/// Runs List buckets DDL (every page of List Buckets).
pub fn run(client: &mut Client<'_>) -> Result<Vec<DropdownItem>, Error> {
    Ok(to_dropdown(list_buckets::run(client)?))
}

/// The JSON output of List buckets DDL.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListBucketsDdlOutput {
    /// One entry per bucket, sorted by name.
    pub result: Vec<DropdownItem>,
}

/// List buckets DDL.
pub struct ListBucketsDdl;

impl crate::ops::Op for ListBucketsDdl {
    type Input = crate::ops::NoInput;
    type Output = ListBucketsDdlOutput;
    const NAME: &'static str = "list-buckets-ddl";
    const TITLE: &'static str = "List buckets DDL";
    const DESCRIPTION: &'static str =
        "The buckets as a dropdown list: `text` and `value` are both the bucket name, sorted by name.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:ListAllMyBuckets"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = "{}";

    fn run(call: &mut crate::ops::Invocation<'_, '_>, _: Self::Input) -> Result<Self::Output, Error> {
        Ok(ListBucketsDdlOutput {
            result: run(call.client)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{with_client, FakeTransport, Fixtures};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::http::Method;
    use crate::ops::Operation;

    const FIXTURES: Fixtures = Fixtures("list_buckets");

    fn item(name: &str) -> DropdownItem {
        DropdownItem {
            text: name.into(),
            value: name.into(),
        }
    }

    #[test]
    fn request_is_list_buckets() {
        let request = request().unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.bucket, None);
        assert!(request.query.is_empty());
    }

    #[test]
    fn items_are_named_after_buckets_and_sorted() {
        let response = FIXTURES.ok("many.xml");
        assert_eq!(
            parse(&response).unwrap(),
            [
                item("alpha.example.com"),
                item("middle-bucket"),
                item("zeta-logs")
            ]
        );
    }

    #[test]
    fn run_gives_zero_and_one_item() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("empty.xml"));
        assert_eq!(
            with_client(&mut transport, Operation::ListBucketsDdl, run).unwrap(),
            []
        );

        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("one.xml"));
        assert_eq!(
            with_client(&mut transport, Operation::ListBucketsDdl, run).unwrap(),
            [item("only-bucket")]
        );
    }

    #[test]
    fn run_sorts_across_pages() {
        let mut transport = FakeTransport::default();
        transport
            .answer(200, &[], b"<ListAllMyBucketsResult><Buckets><Bucket><Name>b-2</Name></Bucket></Buckets><ContinuationToken>t</ContinuationToken></ListAllMyBucketsResult>")
            .answer(200, &[], b"<ListAllMyBucketsResult><Buckets><Bucket><Name>a-1</Name></Bucket></Buckets></ListAllMyBucketsResult>");
        assert_eq!(
            with_client(&mut transport, Operation::ListBucketsDdl, run).unwrap(),
            [item("a-1"), item("b-2")]
        );
    }

    #[test]
    fn run_passes_service_errors_on() {
        let mut transport = FakeTransport::default();
        transport.answer(403, &[], &FIXTURES.bytes("error-access-denied.xml"));
        match with_client(&mut transport, Operation::ListBucketsDdl, run).map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => assert_eq!(error.code, ErrorCode::AccessDenied),
            other => panic!("expected access denied, got {other:?}"),
        }
    }
}
