//! List Folders: the folders directly under a folder (or at the bucket's
//! root), as the S3 console shows them.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>
//!
//! A folder is a prefix ending in `/` (see [`create_folder`]), so this is a
//! List Bucket Objects with the parent as prefix and `/` as delimiter:
//! S3 rolls every key below the parent up to its next `/`, and those
//! common prefixes are the folders, whether a marker object makes them or
//! only the keys inside them do. Pages, `fetch_all` and `max_total` are
//! those of [`list_objects`], which runs the listing: `max_total` counts
//! what S3 counts, the objects directly in the parent as well as the
//! folders, though only the folders are returned.
//!
//! [`create_folder`]: crate::ops::create_folder
//! [`list_objects`]: crate::ops::list_objects

use crate::client::Client;

use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::Error;
use crate::model::{ListObjectsInput, ListObjectsOutput};
use crate::ops::list_objects;
use crate::validate;

/// Input of List Folders.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListFoldersInput {
    /// Bucket.
    pub bucket_name: String,
    /// The folder whose folders to list (`reports`); empty or left out for the root.
    #[serde(default)]
    pub parent: Option<String>,
    /// Token from a previous answer's `next_continuation_token`.
    #[serde(default)]
    pub continuation_token: Option<String>,
    /// Follow pages until done or `max_total`.
    #[serde(default)]
    pub fetch_all: bool,
    /// With `fetch_all`, the most entries (folders and files) to gather (default 10000).
    #[serde(default)]
    pub max_total: Option<u32>,
}

/// Output of List Folders.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListFoldersOutput {
    /// The folders, full paths ending in `/` (`reports/2026/`), in key order.
    pub folders: Vec<String>,
    /// More folders may follow.
    pub is_truncated: bool,
    /// The token to go on from (`continuation_token`), when truncated.
    pub next_continuation_token: Option<String>,
}

/// The listing that answers `input`: the parent as prefix, `/` as delimiter.
pub fn listing(input: &ListFoldersInput) -> Result<ListObjectsInput, Error> {
    let prefix = match input.parent.as_deref() {
        None | Some("") => None,
        Some(parent) => Some(validate::folder_path("parent", parent)?),
    };
    Ok(ListObjectsInput {
        bucket_name: input.bucket_name.clone(),
        prefix,
        delimiter: Some("/".to_owned()),
        max_keys: None,
        continuation_token: input.continuation_token.clone(),
        start_after: None,
        fetch_all: input.fetch_all,
        max_total: input.max_total,
    })
}

/// The folders of a listing: its common prefixes.
pub fn folders(listing: ListObjectsOutput) -> ListFoldersOutput {
    ListFoldersOutput {
        folders: listing.common_prefixes,
        is_truncated: listing.is_truncated,
        next_continuation_token: listing.next_continuation_token,
    }
}

/// Runs List Folders.
pub fn run(client: &mut Client<'_>, input: &ListFoldersInput) -> Result<ListFoldersOutput, Error> {
    let listing = listing(input)?;
    Ok(folders(list_objects::run(client, &listing)?))
}

/// List Folders.
pub struct ListFolders;

impl crate::ops::Op for ListFolders {
    type Input = ListFoldersInput;
    type Output = ListFoldersOutput;
    const NAME: &'static str = "list-folders";
    const TITLE: &'static str = "List Folders";
    const DESCRIPTION: &'static str = "The folders directly under `parent` (or at the bucket's root), full \
        paths ending in `/`: one page, or with `fetch_all` every page up to `max_total` entries.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:ListBucket"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "parent": "reports"}"#;

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{with_client, FakeTransport, Fixtures};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::Operation;

    const FIXTURES: Fixtures = Fixtures("list_folders");

    fn input(parent: Option<&str>) -> ListFoldersInput {
        ListFoldersInput {
            bucket_name: "my-bucket".into(),
            parent: parent.map(str::to_owned),
            continuation_token: None,
            fetch_all: false,
            max_total: None,
        }
    }

    fn sent_query(parent: Option<&str>) -> String {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("root.xml"));
        with_client(&mut transport, Operation::ListFolders, |c| run(c, &input(parent))).unwrap();
        transport.sent[0].canonical_query()
    }

    #[test]
    fn the_parent_becomes_a_prefix_ending_in_slash_with_a_slash_delimiter() {
        let cases = [
            (None, "delimiter=%2F&encoding-type=url&list-type=2"),
            (Some(""), "delimiter=%2F&encoding-type=url&list-type=2"),
            (
                Some("reports"),
                "delimiter=%2F&encoding-type=url&list-type=2&prefix=reports%2F",
            ),
            (
                Some("reports/2026/"),
                "delimiter=%2F&encoding-type=url&list-type=2&prefix=reports%2F2026%2F",
            ),
            (
                Some("a b+c"),
                "delimiter=%2F&encoding-type=url&list-type=2&prefix=a%20b%2Bc%2F",
            ),
        ];
        for (parent, query) in cases {
            assert_eq!(sent_query(parent), query, "{parent:?}");
        }
    }

    #[test]
    fn folders_are_the_common_prefixes_not_the_objects() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("reports.xml"));
        let output = with_client(&mut transport, Operation::ListFolders, |c| {
            run(c, &input(Some("reports")))
        })
        .unwrap();
        // The fixture lists the parent's own marker and a file beside the folders.
        assert_eq!(
            output,
            ListFoldersOutput {
                folders: vec![
                    "reports/2025/".into(),
                    "reports/2026 q1+q2/".into(),
                    "reports/é/".into(),
                ],
                is_truncated: false,
                next_continuation_token: None,
            }
        );
    }

    #[test]
    fn a_truncated_page_gives_the_token_to_go_on_from() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("truncated.xml"));
        let output = with_client(&mut transport, Operation::ListFolders, |c| run(c, &input(None))).unwrap();
        assert_eq!(output.folders, ["a/", "b/"]);
        assert!(output.is_truncated);
        assert_eq!(
            output.next_continuation_token.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );

        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("root.xml"));
        let resumed = ListFoldersInput {
            continuation_token: output.next_continuation_token,
            ..input(None)
        };
        with_client(&mut transport, Operation::ListFolders, |c| run(c, &resumed)).unwrap();
        assert!(transport.sent[0]
            .canonical_query()
            .contains("continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D"));
    }

    #[test]
    fn fetch_all_follows_pages() {
        let mut transport = FakeTransport::default();
        transport
            .answer(200, &[], &FIXTURES.bytes("truncated.xml"))
            .answer(200, &[], &FIXTURES.bytes("root.xml"));
        let all = ListFoldersInput {
            fetch_all: true,
            ..input(None)
        };
        let output = with_client(&mut transport, Operation::ListFolders, |c| run(c, &all)).unwrap();
        assert_eq!(output.folders, ["a/", "b/", "c/", "reports/"]);
        assert!(!output.is_truncated);
        assert_eq!(output.next_continuation_token, None);
        assert_eq!(transport.sent.len(), 2);
        assert!(transport.sent[1]
            .canonical_query()
            .contains("continuation-token="));
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let cases = [
            (input(Some("/")), "parent"),
            (input(Some("a//b")), "parent"),
            (input(Some("/reports")), "parent"),
            (
                ListFoldersInput {
                    bucket_name: "Bad".into(),
                    ..input(None)
                },
                "bucket_name",
            ),
            (
                ListFoldersInput {
                    fetch_all: true,
                    max_total: Some(0),
                    ..input(None)
                },
                "max_total",
            ),
        ];
        for (bad, expected) in cases {
            let mut transport = FakeTransport::default();
            match with_client(&mut transport, Operation::ListFolders, |c| run(c, &bad))
                .map_err(Error::into_kind)
            {
                Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, expected, "{bad:?}"),
                other => panic!("{bad:?}: expected invalid input, got {other:?}"),
            }
            assert!(transport.sent.is_empty());
        }
    }

    #[test]
    fn denied_listing_names_list_bucket() {
        let mut transport = FakeTransport::default();
        transport.answer(
            403,
            &[],
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        match with_client(&mut transport, Operation::ListFolders, |c| run(c, &input(None)))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:ListBucket"));
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }
}
