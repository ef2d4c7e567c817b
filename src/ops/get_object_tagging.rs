//! Get Object Tagging: the tags of an object (or of one version of it).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html>
//!
//! S3 answers `<Tagging><TagSet><Tag><Key>..</Key><Value>..</Value></Tag>..`
//! and names the version it read in `x-amz-version-id`. The tags are
//! returned in S3's order. Tags belong to a version: without a version id
//! they are the current version's.

use crate::client::Client;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{pairs_as_object, ObjectRef};
use crate::ops::object::object_request;
use crate::xml::{self, Path, Visitor};

/// Output of Get Object Tagging.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetObjectTaggingOutput {
    /// The tags, key to value, in S3's order; empty when there are none.
    #[serde(with = "pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub tags: Vec<(String, String)>,
    /// The version whose tags these are, on a versioned bucket.
    pub version_id: Option<String>,
}

/// A request on the `?tagging` sub-resource of one object (or version):
/// `METHOD /bucket/key?tagging[&versionId=...]`. Shared by the three
/// tagging operations.
pub(crate) fn tagging_request(method: Method, object: &ObjectRef) -> Result<OpRequest, Error> {
    let mut request = object_request(method, object)?;
    // `?tagging` is a bare sub-resource: an empty value.
    request.query.insert(0, ("tagging".to_owned(), String::new()));
    Ok(request)
}

/// Builds `GET /bucket/key?tagging[&versionId=...]`.
pub fn request(input: &ObjectRef) -> Result<OpRequest, Error> {
    tagging_request(Method::Get, input)
}

/// Parses a `<Tagging>` answer.
pub fn parse(response: &HttpResponse) -> Result<GetObjectTaggingOutput, Error> {
    let mut visitor = TaggingVisitor::default();
    xml::walk(&response.body, "Tagging", &mut visitor)?;
    Ok(GetObjectTaggingOutput {
        tags: visitor.tags,
        version_id: response.header("x-amz-version-id").map(str::to_owned),
    })
}

/// Runs Get Object Tagging.
pub fn run(client: &mut Client<'_>, input: &ObjectRef) -> Result<GetObjectTaggingOutput, Error> {
    let request = request(input)?;
    let response = client.send(&request)?;
    parse(&response)
}

#[derive(Default)]
struct TaggingVisitor {
    tags: Vec<(String, String)>,
    key: Option<String>,
    value: Option<String>,
}

impl Visitor for TaggingVisitor {
    fn open(&mut self, path: &Path) -> Result<(), Error> {
        if path.is(&["TagSet", "Tag"]) {
            self.key = None;
            self.value = None;
        }
        Ok(())
    }

    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        match path.names() {
            [set, tag] if set == "TagSet" && tag == "Tag" => {
                let key = self
                    .key
                    .take()
                    .ok_or_else(|| Error::invalid_response("a <Tag> in <Tagging> has no <Key>"))?;
                // An empty value may come as `<Value/>` or not at all.
                self.tags.push((key, self.value.take().unwrap_or_default()));
            }
            [set, tag, field] if set == "TagSet" && tag == "Tag" => match field.as_str() {
                "Key" => self.key = Some(text.to_owned()),
                "Value" => self.value = Some(text.to_owned()),
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }
}

/// Get Object Tagging.
pub struct GetObjectTagging;

impl crate::ops::Op for GetObjectTagging {
    type Input = ObjectRef;
    type Output = GetObjectTaggingOutput;
    const NAME: &'static str = "get-object-tagging";
    const TITLE: &'static str = "Get Object Tagging";
    const DESCRIPTION: &'static str = "The tags of an object (or of one version), key to value.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:GetObjectTagging", "s3:GetObjectVersionTagging"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "object_path": "reports/2026.csv"}"#;

    fn permission(request: &OpRequest) -> &'static str {
        crate::ops::versioned(request, "s3:GetObjectTagging", "s3:GetObjectVersionTagging")
    }

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{invalid_response, local_connection, with_client, FakeTransport, Fixtures};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::Operation;

    const FIXTURES: Fixtures = Fixtures("object_tagging");

    fn object(key: &str, version_id: Option<&str>) -> ObjectRef {
        ObjectRef {
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            version_id: version_id.map(str::to_owned),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn request_is_get_on_the_tagging_sub_resource() {
        let request = request(&object("reports/2026.csv", None)).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.key.as_deref(), Some("reports/2026.csv"));
        assert_eq!(request.query, [("tagging".to_owned(), String::new())]);
        assert!(request.headers.is_empty());
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn version_and_awkward_key_are_encoded_once() {
        let cases = [
            ("a b+c", "/my-bucket/a%20b%2Bc"),
            ("ü%", "/my-bucket/%C3%BC%25"),
            ("dir/", "/my-bucket/dir/"),
        ];
        for (key, path) in cases {
            let request = request(&object(key, Some("v/1"))).unwrap();
            let http = local_connection().address(&request, "us-east-1");
            assert_eq!(
                http.url(),
                format!("http://127.0.0.1:9000{path}?tagging=&versionId=v%2F1"),
                "{key:?}"
            );
        }
    }

    #[test]
    fn tags_parse_in_s3_order_with_escapes() {
        let mut answer = FIXTURES.ok("tags.xml");
        answer.headers.push("x-amz-version-id", "v2");
        assert_eq!(
            parse(&answer).unwrap(),
            GetObjectTaggingOutput {
                tags: pairs(&[
                    ("project", "blue"),
                    ("a&b <c>", "\"quoted\" 'too'"),
                    ("empty", ""),
                    ("no-value", ""),
                    ("Project", "Case matters"),
                ]),
                version_id: Some("v2".into()),
            }
        );
    }

    #[test]
    fn no_tags_is_an_empty_set() {
        for name in ["empty.xml", "empty-no-tag-set.xml"] {
            assert_eq!(
                parse(&FIXTURES.ok(name)).unwrap(),
                GetObjectTaggingOutput::default(),
                "{name}"
            );
        }
    }

    #[test]
    fn malformed_answers_are_invalid_responses() {
        let message = invalid_response(parse(&FIXTURES.ok("tag-without-key.xml")));
        assert!(message.contains("<Key>"), "{message}");
        invalid_response(parse(&FIXTURES.ok("truncated.xml")));
        let message = invalid_response(parse(&FIXTURES.ok("wrong-root.xml")));
        assert!(message.contains("<Tagging>"), "{message}");
    }

    #[test]
    fn run_reads_the_tags_of_a_version() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("x-amz-version-id", "v1")], &FIXTURES.bytes("tags.xml"));
        let input = object("k", Some("v1"));
        let output = with_client(&mut transport, Operation::GetObjectTagging, |c| run(c, &input)).unwrap();
        assert_eq!(output.tags.len(), 5);
        assert_eq!(output.version_id.as_deref(), Some("v1"));
        assert_eq!(
            transport.sent[0].url(),
            "http://127.0.0.1:9000/my-bucket/k?tagging=&versionId=v1"
        );
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        for (bad, expected) in [
            (object("", None), "object_path"),
            (object("k", Some("")), "version_id"),
            (
                ObjectRef {
                    bucket_name: "B".into(),
                    ..object("k", None)
                },
                "bucket_name",
            ),
        ] {
            let mut transport = FakeTransport::default();
            match with_client(&mut transport, Operation::GetObjectTagging, |c| run(c, &bad))
                .map_err(Error::into_kind)
            {
                Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, expected),
                other => panic!("expected invalid input, got {other:?}"),
            }
            assert!(transport.sent.is_empty());
        }
    }

    #[test]
    fn denial_names_the_tagging_permission_of_what_was_asked() {
        for (version, permission) in [
            (None, "s3:GetObjectTagging"),
            (Some("v1"), "s3:GetObjectVersionTagging"),
        ] {
            let mut transport = FakeTransport::default();
            transport.answer(
                403,
                &[],
                b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            );
            let input = object("k", version);
            match with_client(&mut transport, Operation::GetObjectTagging, |c| run(c, &input))
                .map_err(Error::into_kind)
            {
                Err(ErrorKind::Service(error)) => {
                    assert_eq!(error.code, ErrorCode::AccessDenied);
                    assert_eq!(error.required_permission.as_deref(), Some(permission));
                }
                other => panic!("expected AccessDenied, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_missing_key_is_no_such_key() {
        let mut transport = FakeTransport::default();
        transport.answer(
            404,
            &[],
            b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
        );
        let input = object("nope", None);
        match with_client(&mut transport, Operation::GetObjectTagging, |c| run(c, &input))
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => assert_eq!(error.code, ErrorCode::NoSuchKey),
            other => panic!("expected NoSuchKey, got {other:?}"),
        }
    }
}
