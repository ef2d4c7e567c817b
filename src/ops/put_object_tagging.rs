//! Put Object Tagging: replace the tags of an object (or of one version).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html>
//!
//! The tags given replace every tag the object had; `{}` removes them all.
//! They travel as `<Tagging><TagSet><Tag><Key>..</Key><Value>..</Value>`
//! with the `Content-MD5` S3 requires for this call. They are checked as S3
//! checks them (see [`validate::tags`]) before anything is sent.

use crate::client::Client;

use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{pairs_as_object, ObjectRef};
use crate::ops::get_object_tagging::tagging_request;
use crate::ops::put_object::content_md5;
use crate::validate;
use crate::xml;

/// Input of Put Object Tagging.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PutObjectTaggingInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key.
    pub object_path: String,
    /// The version to tag; the current one when left out.
    #[serde(default)]
    pub version_id: Option<String>,
    /// The tags, key to value, replacing the object's (`{}` removes them): at most 10.
    #[serde(with = "pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub tags: Vec<(String, String)>,
}

/// Output of Put Object Tagging and Delete Object Tagging.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaggingOutput {
    /// Always true: a failure is an error instead.
    pub success: bool,
    /// The version whose tags changed, on a versioned bucket.
    pub version_id: Option<String>,
}

/// Parses a successful answer of a tagging change: the version it changed.
pub fn parse(response: &HttpResponse) -> Result<TaggingOutput, Error> {
    Ok(TaggingOutput {
        success: true,
        version_id: response.header("x-amz-version-id").map(str::to_owned),
    })
}

/// The `<Tagging>` document of `tags` (already checked).
pub fn body(tags: &[(String, String)]) -> Result<String, Error> {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>",
    );
    for (key, value) in tags {
        let unescapable = |c: char| {
            Error::invalid_input(
                &format!("tags.{key}"),
                format!("has the character U+{:04X}, which XML 1.0 cannot carry", c as u32),
            )
        };
        body.push_str("<Tag><Key>");
        xml::escape_text_into(&mut body, key).map_err(unescapable)?;
        body.push_str("</Key><Value>");
        xml::escape_text_into(&mut body, value).map_err(unescapable)?;
        body.push_str("</Value></Tag>");
    }
    body.push_str("</TagSet></Tagging>");
    Ok(body)
}

/// Builds `PUT /bucket/key?tagging[&versionId=...]` with the `<Tagging>`
/// document and its `Content-MD5`.
pub fn request(input: &PutObjectTaggingInput) -> Result<OpRequest, Error> {
    let object = ObjectRef {
        bucket_name: input.bucket_name.clone(),
        object_path: input.object_path.clone(),
        version_id: input.version_id.clone(),
    };
    let mut request = tagging_request(Method::Put, &object)?;
    validate::tags(&input.tags)?;
    let body = body(&input.tags)?.into_bytes();
    request = request
        .with_header("content-type", "application/xml")
        .with_header("content-md5", &content_md5(&body));
    request.body = body.into();
    // Setting the same tags twice leaves them as setting them once.
    request.idempotent = true;
    Ok(request)
}

/// Runs Put Object Tagging.
pub fn run(client: &mut Client<'_>, input: &PutObjectTaggingInput) -> Result<TaggingOutput, Error> {
    let request = request(input)?;
    let response = client.send(&request)?;
    parse(&response)
}

/// Put Object Tagging.
pub struct PutObjectTagging;

impl crate::ops::Op for PutObjectTagging {
    type Input = PutObjectTaggingInput;
    type Output = TaggingOutput;
    const NAME: &'static str = "put-object-tagging";
    const TITLE: &'static str = "Put Object Tagging";
    const DESCRIPTION: &'static str = "Replaces the tags of an object (or of one version) with the ones \
        given: at most 10, checked as S3 checks them before anything is sent.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:PutObjectTagging", "s3:PutObjectVersionTagging"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "object_path": "reports/2026.csv", "tags": {"project": "blue", "classification": "internal"}}"#;

    fn permission(request: &OpRequest) -> &'static str {
        crate::ops::versioned(request, "s3:PutObjectTagging", "s3:PutObjectVersionTagging")
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
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::get_object_tagging;
    use crate::ops::Operation;

    const FIXTURES: Fixtures = Fixtures("object_tagging");

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn input(tags: &[(&str, &str)], version_id: Option<&str>) -> PutObjectTaggingInput {
        PutObjectTaggingInput {
            bucket_name: "my-bucket".into(),
            object_path: "reports/2026.csv".into(),
            version_id: version_id.map(str::to_owned),
            tags: pairs(tags),
        }
    }

    fn invalid_field(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn request_puts_the_tagging_document_with_its_md5() {
        let request = request(&input(&[("project", "blue"), ("a&b", "<x> \"y\"")], None)).unwrap();
        assert_eq!(request.method, Method::Put);
        assert_eq!(request.key.as_deref(), Some("reports/2026.csv"));
        assert_eq!(request.query, [("tagging".to_owned(), String::new())]);
        assert_eq!(request.body, FIXTURES.bytes("request-two-tags.xml"));
        assert_eq!(
            request.headers,
            [
                ("content-type".to_owned(), "application/xml".to_owned()),
                ("content-md5".to_owned(), content_md5(&request.body)),
            ]
        );
        assert!(request.idempotent);
    }

    #[test]
    fn the_body_reads_back_as_the_tags_given_in_their_order() {
        let tags = [
            ("z", "last?"),
            ("a<b>&c", "\"d\" 'e'\r\nf\tg]]>h"),
            ("empty", ""),
            ("ü", "😀"),
        ];
        let body = body(&pairs(&tags)).unwrap();
        let read = get_object_tagging::parse(&crate::client::fake::xml_ok(body.as_bytes())).unwrap();
        assert_eq!(read.tags, pairs(&tags));
    }

    #[test]
    fn no_tags_sends_an_empty_tag_set() {
        let request = request(&input(&[], None)).unwrap();
        let body = String::from_utf8(request.body.to_vec()).unwrap();
        assert!(body.ends_with("<TagSet></TagSet></Tagging>"), "{body}");
    }

    #[test]
    fn version_goes_in_the_query_after_tagging() {
        let request = request(&input(&[("k", "v")], Some("v 1"))).unwrap();
        let http = local_connection().address(&request, "us-east-1");
        assert_eq!(
            http.url(),
            "http://127.0.0.1:9000/my-bucket/reports/2026.csv?tagging=&versionId=v%201"
        );
    }

    #[test]
    fn invalid_tags_are_refused_before_sending() {
        let eleven: Vec<(String, String)> = (0..11).map(|n| (format!("k{n}"), "v".to_owned())).collect();
        let long_key = "k".repeat(129);
        let long_value = "v".repeat(257);
        let cases: Vec<(PutObjectTaggingInput, String)> = vec![
            (
                PutObjectTaggingInput {
                    tags: eleven,
                    ..input(&[], None)
                },
                "tags".into(),
            ),
            (input(&[("", "v")], None), "tags".into()),
            (input(&[(&long_key, "v")], None), format!("tags.{long_key}")),
            (
                input(&[("cost-centre", &long_value)], None),
                "tags.cost-centre".into(),
            ),
            (input(&[("aws:owner", "me")], None), "tags.aws:owner".into()),
            (input(&[("k", "1"), ("k", "2")], None), "tags.k".into()),
            (input(&[("k", "\u{1}")], None), "tags.k".into()),
            (input(&[("k", "v")], Some("")), "version_id".into()),
        ];
        for (bad, expected) in cases {
            let mut transport = FakeTransport::default();
            let field = invalid_field(with_client(&mut transport, Operation::PutObjectTagging, |c| {
                run(c, &bad)
            }));
            assert_eq!(field, expected);
            assert!(transport.sent.is_empty());
        }
    }

    #[test]
    fn run_returns_the_version_tagged() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("x-amz-version-id", "v7")], b"");
        let output = with_client(&mut transport, Operation::PutObjectTagging, |c| {
            run(c, &input(&[("k", "v")], Some("v7")))
        })
        .unwrap();
        assert_eq!(
            output,
            TaggingOutput {
                success: true,
                version_id: Some("v7".into()),
            }
        );
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Put);
        assert_eq!(sent.header("content-type"), Some("application/xml"));
        let md5 = content_md5(&sent.body);
        assert_eq!(sent.header("content-md5"), Some(md5.as_str()));
    }

    #[test]
    fn denial_names_the_tagging_permission_of_what_was_asked() {
        for (version, permission) in [
            (None, "s3:PutObjectTagging"),
            (Some("v1"), "s3:PutObjectVersionTagging"),
        ] {
            let mut transport = FakeTransport::default();
            transport.answer(
                403,
                &[],
                b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            );
            match with_client(&mut transport, Operation::PutObjectTagging, |c| {
                run(c, &input(&[("k", "v")], version))
            })
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
    fn s3_refusing_a_tag_keeps_its_code() {
        let mut transport = FakeTransport::default();
        transport.answer(
            400,
            &[],
            b"<Error><Code>InvalidTag</Code><Message>The TagValue you have provided is invalid</Message></Error>",
        );
        match with_client(&mut transport, Operation::PutObjectTagging, |c| {
            run(c, &input(&[("k", "v!")], None))
        })
        .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => assert_eq!(error.code.as_str(), "InvalidTag"),
            other => panic!("expected InvalidTag, got {other:?}"),
        }
    }
}
