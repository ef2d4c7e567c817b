//! Get bucket location: the region a bucket lives in, normalised.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html>
//!
//! With the region `auto` the call is signed for us-east-1; S3 answers it
//! for a bucket of any region, so no redirect is needed.

use crate::client::Client;

use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::validate;
use crate::xml::{self, Path, Visitor};

/// Builds `GET /{bucket}?location`.
pub fn request(bucket_name: &str) -> Result<OpRequest, Error> {
    validate::bucket_name(bucket_name)?;
    Ok(OpRequest::new(Method::Get, Some(bucket_name), None).with_query("location", ""))
}

/// Parses a `<LocationConstraint>` into a region name.
pub fn parse(response: &HttpResponse) -> Result<String, Error> {
    let mut visitor = LocationVisitor::default();
    xml::walk(&response.body, "LocationConstraint", &mut visitor)?;
    Ok(normalise(visitor.constraint.trim()).to_owned())
}

/// The region a location constraint names.
///
/// S3 answers an empty constraint for us-east-1 (the original region), and
/// `EU` for buckets created in Ireland with the legacy constraint.
pub fn normalise(constraint: &str) -> &str {
    match constraint {
        "" => "us-east-1",
        "EU" => "eu-west-1",
        region => region,
    }
}

/// Runs Get bucket location.
pub fn run(client: &mut Client<'_>, bucket_name: &str) -> Result<String, Error> {
    let response = client.send(&request(bucket_name)?)?;
    let region = parse(&response)?;
    // S3 answers `?location` from any region; what it says is where later
    // calls on this bucket should go.
    if client.connection.endpoint.is_none() {
        client.state.learn_region(bucket_name, &region);
    }
    Ok(region)
}

#[derive(Default)]
struct LocationVisitor {
    constraint: String,
}

impl Visitor for LocationVisitor {
    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        if path.depth() == 0 {
            self.constraint = text.to_owned();
        }
        Ok(())
    }
}

/// The JSON input of Get bucket location.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BucketInput {
    /// The bucket.
    pub bucket_name: String,
}

/// The JSON output of Get bucket location.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LocationOutput {
    /// The region, normalised (`us-east-1` for S3's empty answer).
    pub result: String,
}

/// Get bucket location.
pub struct GetBucketLocation;

impl crate::ops::Op for GetBucketLocation {
    type Input = BucketInput;
    type Output = LocationOutput;
    const NAME: &'static str = "get-bucket-location";
    const TITLE: &'static str = "Get bucket location";
    const DESCRIPTION: &'static str = "The bucket's region, normalised: S3's empty answer is `us-east-1`, \
        its legacy `EU` is `eu-west-1`.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:GetBucketLocation"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket"}"#;

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        Ok(LocationOutput {
            result: run(call.client, &input.bucket_name)?,
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

    const FIXTURES: Fixtures = Fixtures("get_bucket_location");

    #[test]
    fn request_is_get_bucket_with_location_subresource() {
        let request = request("my-bucket").unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.bucket.as_deref(), Some("my-bucket"));
        assert_eq!(request.key, None);
        assert_eq!(request.query, [("location".to_owned(), String::new())]);
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn bad_bucket_name_is_refused_before_sending() {
        let mut transport = FakeTransport::default();
        let result = with_client(&mut transport, Operation::GetBucketLocation, |c| {
            run(c, "Bad_Bucket")
        });
        assert!(matches!(
            result.map_err(Error::into_kind),
            Err(ErrorKind::InvalidInput { ref field, .. }) if field == "bucket_name"
        ));
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn empty_constraint_is_us_east_1() {
        assert_eq!(parse(&FIXTURES.ok("us-east-1.xml")).unwrap(), "us-east-1");
        assert_eq!(
            parse(&xml_ok(b"<LocationConstraint></LocationConstraint>")).unwrap(),
            "us-east-1"
        );
    }

    #[test]
    fn legacy_eu_is_eu_west_1() {
        assert_eq!(parse(&FIXTURES.ok("eu.xml")).unwrap(), "eu-west-1");
    }

    #[test]
    fn region_is_given_as_named() {
        assert_eq!(parse(&FIXTURES.ok("eu-west-2.xml")).unwrap(), "eu-west-2");
    }

    #[test]
    fn truncated_document_is_an_invalid_response() {
        let message = invalid_response(parse(&FIXTURES.ok("truncated.xml")));
        assert!(message.contains("</LocationConstraint>"), "{message}");
    }

    #[test]
    fn doctype_is_refused() {
        let message = invalid_response(parse(&FIXTURES.ok("doctype.xml")));
        assert!(message.contains("DOCTYPE"), "{message}");
    }

    #[test]
    fn empty_body_is_an_invalid_response() {
        invalid_response(parse(&xml_ok(b"")));
    }

    #[test]
    fn run_sends_the_location_request_and_parses_the_answer() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("eu-west-2.xml"));
        let region = with_client(&mut transport, Operation::GetBucketLocation, |c| {
            run(c, "my-bucket")
        })
        .unwrap();
        assert_eq!(region, "eu-west-2");
        assert_eq!(transport.sent.len(), 1);
        assert_eq!(transport.sent[0].path, "/my-bucket");
        assert_eq!(transport.sent[0].canonical_query(), "location=");
    }

    #[test]
    fn run_maps_a_missing_bucket() {
        let mut transport = FakeTransport::default();
        transport.answer(404, &[], &FIXTURES.bytes("error-no-such-bucket.xml"));
        match with_client(&mut transport, Operation::GetBucketLocation, |c| {
            run(c, "missing-bucket")
        })
        .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::NoSuchBucket);
                assert_eq!(error.status, 404);
            }
            other => panic!("expected no such bucket, got {other:?}"),
        }
    }

    #[test]
    fn run_on_aws_remembers_the_answer_for_later_calls() {
        use crate::client::{Client, InstanceState};
        use crate::connection::{Connection, Credentials, Region};
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], &FIXTURES.bytes("eu-west-2.xml"));
        let connection = Connection {
            credentials: Credentials::new("AKIDEXAMPLE", "secret", None),
            region: Region::Auto,
            endpoint: None,
            path_style: false,
        };
        let mut state = InstanceState::default();
        let mut client = Client {
            connection: &connection,
            transport: &mut transport,
            state: &mut state,
            now: crate::client::fake::example_time(),
            operation: Operation::GetBucketLocation,
        };
        assert_eq!(run(&mut client, "my-bucket").unwrap(), "eu-west-2");
        assert_eq!(client.region_for(Some("my-bucket")), "eu-west-2");
    }
}
