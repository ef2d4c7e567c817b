//! Create Bucket: a new bucket in the region asked for.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html>
//!
//! A bucket outside us-east-1 is created with a
//! `CreateBucketConfiguration/LocationConstraint` naming its region, and the
//! request is signed for (and, on AWS, sent to) that region: S3 refuses a
//! constraint that differs from the region of the endpoint it reached
//! (`IllegalLocationConstraintException`). us-east-1 takes no constraint at
//! all: S3 refuses `<LocationConstraint>us-east-1</LocationConstraint>`.
//!
//! Creating a bucket that is already yours answers 409
//! `BucketAlreadyOwnedByYou` in every region but us-east-1, where S3
//! answers 200 for compatibility; a name taken by another account is 409
//! `BucketAlreadyExists`.

use crate::client::Client;

use crate::connection::Region;
use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::CannedAcl;
use crate::validate;

/// Who owns the objects written into the bucket, and whether ACLs apply
/// (`x-amz-object-ownership`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ObjectOwnership {
    /// The bucket owner owns every object and ACLs are disabled (S3's
    /// default for new buckets).
    BucketOwnerEnforced,
    /// The bucket owner owns objects written with the
    /// `bucket-owner-full-control` ACL; ACLs apply.
    BucketOwnerPreferred,
    /// The account that writes an object owns it; ACLs apply.
    ObjectWriter,
}

impl ObjectOwnership {
    /// The value of the `x-amz-object-ownership` header.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::ObjectWriter => "ObjectWriter",
        }
    }
}

/// The JSON input of Create Bucket.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateBucketInput {
    /// The new bucket's name.
    pub bucket_name: String,
    /// The region to create it in, such as `eu-west-1`. Absent (or `auto`):
    /// the connection's region, us-east-1 when that is `auto`.
    #[serde(default)]
    pub region: Option<String>,
    /// A canned ACL for the bucket. S3 refuses any but `private` while
    /// `object_ownership` is `BucketOwnerEnforced`, its default.
    #[serde(default)]
    pub acl: Option<CannedAcl>,
    /// Object ownership (`x-amz-object-ownership`); S3's default is
    /// `BucketOwnerEnforced`.
    #[serde(default)]
    pub object_ownership: Option<ObjectOwnership>,
}

/// The JSON output of Create Bucket.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreateBucketOutput {
    /// The bucket created.
    pub bucket_name: String,
    /// S3's `Location` header: `/name` in us-east-1, the bucket's URL elsewhere.
    pub location: Option<String>,
    /// The region the bucket was created in, and the request signed for.
    pub region: String,
}

/// The region the bucket goes to: the input's, else the connection's
/// (us-east-1 for `auto`).
pub fn bucket_region(input: &CreateBucketInput, connection: &Region) -> Result<String, Error> {
    Ok(match Region::parse(input.region.as_deref())? {
        Region::Named(region) => region,
        Region::Auto => connection.initial().to_owned(),
    })
}

/// Builds `PUT /{bucket}`, signed for `region`, with its location
/// constraint (none for us-east-1), ACL and object ownership.
pub fn request(input: &CreateBucketInput, region: &str) -> Result<OpRequest, Error> {
    validate::bucket_name(&input.bucket_name)?;
    if !Region::is_region_name(region) {
        return Err(Error::invalid_input(
            "region",
            format!("`{region}` is not a region name (like `eu-west-1`)"),
        ));
    }
    let mut request = OpRequest::new(Method::Put, Some(&input.bucket_name), None).with_region(region);
    if region != Region::DEFAULT {
        // The region is checked above: lower-case letters, digits and `-`,
        // nothing that XML would need escaped.
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateBucketConfiguration \
             xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{region}\
             </LocationConstraint></CreateBucketConfiguration>"
        );
        request = request.with_header("content-type", "application/xml");
        request.body = body.into();
    }
    if let Some(acl) = input.acl {
        request = request.with_header("x-amz-acl", acl.as_str());
    }
    if let Some(ownership) = input.object_ownership {
        request = request.with_header("x-amz-object-ownership", ownership.as_str());
    }
    // Sent again after a lost answer, it would find the bucket its own
    // (409 outside us-east-1): one attempt, and the caller decides.
    request.idempotent = false;
    Ok(request)
}

/// Parses a successful answer (200, no body of note).
pub fn parse(response: &HttpResponse, bucket_name: &str, region: &str) -> CreateBucketOutput {
    CreateBucketOutput {
        bucket_name: bucket_name.to_owned(),
        location: response.header("location").map(str::to_owned),
        region: region.to_owned(),
    }
}

/// Runs Create Bucket.
pub fn run(client: &mut Client<'_>, input: &CreateBucketInput) -> Result<CreateBucketOutput, Error> {
    let region = bucket_region(input, &client.connection.region)?;
    let request = request(input, &region)?;
    let response = client.send(&request)?;
    Ok(parse(&response, &input.bucket_name, &region))
}

/// Create Bucket.
pub struct CreateBucket;

impl crate::ops::Op for CreateBucket {
    type Input = CreateBucketInput;
    type Output = CreateBucketOutput;
    const NAME: &'static str = "create-bucket";
    const TITLE: &'static str = "Create Bucket";
    const DESCRIPTION: &'static str = "Creates a bucket in the region given (default: the connection's). \
        A bucket already yours is the service error `bucket-already-owned-by-you` (outside us-east-1), \
        a name taken by another account `bucket-already-exists`.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html";
    const PERMISSIONS: &'static [&'static str] = &[
        "s3:CreateBucket",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketAcl",
    ];
    const IDEMPOTENT: bool = false;
    // A bucket of its own: the examples' `my-bucket` exists already (the
    // Delete Bucket example removes this one again).
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-new-bucket", "region": "eu-west-1"}"#;
    const REPORTS_REGION: bool = true;

    fn permission(request: &OpRequest) -> &'static str {
        let has = |name: &str| request.headers.iter().any(|(n, _)| n == name);
        match (has("x-amz-object-ownership"), has("x-amz-acl")) {
            (false, false) => "s3:CreateBucket",
            (true, false) => "s3:CreateBucket, s3:PutBucketOwnershipControls",
            (false, true) => "s3:CreateBucket, s3:PutBucketAcl",
            (true, true) => "s3:CreateBucket, s3:PutBucketOwnershipControls, s3:PutBucketAcl",
        }
    }

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{example_time, with_client, FakeTransport};
    use crate::client::InstanceState;
    use crate::connection::{Connection, Credentials};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::ops::Operation;

    fn input(region: Option<&str>) -> CreateBucketInput {
        CreateBucketInput {
            bucket_name: "new-bucket".into(),
            region: region.map(str::to_owned),
            acl: None,
            object_ownership: None,
        }
    }

    fn body_of(request: &OpRequest) -> String {
        String::from_utf8(request.body.to_vec()).unwrap()
    }

    #[test]
    fn the_region_is_the_inputs_else_the_connections_else_us_east_1() {
        let named = Region::Named("ap-south-1".into());
        let cases = [
            (Some("eu-west-1"), &named, "eu-west-1"),
            (None, &named, "ap-south-1"),
            (Some("auto"), &named, "ap-south-1"),
            (Some(""), &named, "ap-south-1"),
            (None, &Region::Auto, "us-east-1"),
            (Some("us-east-1"), &named, "us-east-1"),
        ];
        for (given, connection, expected) in cases {
            assert_eq!(
                bucket_region(&input(given), connection).unwrap(),
                expected,
                "{given:?} {connection:?}"
            );
        }
    }

    #[test]
    fn a_region_outside_us_east_1_is_a_location_constraint() {
        let request = request(&input(None), "eu-west-1").unwrap();
        assert_eq!(request.method, Method::Put);
        assert_eq!(request.bucket.as_deref(), Some("new-bucket"));
        assert_eq!(request.key, None);
        assert!(request.query.is_empty());
        assert_eq!(request.region.as_deref(), Some("eu-west-1"));
        assert!(!request.idempotent);
        assert!(
            body_of(&request).contains("<LocationConstraint>eu-west-1</LocationConstraint>"),
            "{}",
            body_of(&request)
        );
        assert!(body_of(&request).contains("<CreateBucketConfiguration xmlns="));
        assert_eq!(
            request
                .headers
                .iter()
                .find(|(n, _)| n == "content-type")
                .map(|(_, v)| v.as_str()),
            Some("application/xml")
        );
    }

    #[test]
    fn us_east_1_takes_no_constraint_and_no_body() {
        let request = request(&input(None), "us-east-1").unwrap();
        assert!(request.body.is_empty());
        assert!(request.headers.is_empty());
        assert_eq!(request.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn acl_and_object_ownership_are_headers() {
        let with = CreateBucketInput {
            acl: Some(CannedAcl::PublicRead),
            object_ownership: Some(ObjectOwnership::ObjectWriter),
            ..input(None)
        };
        let request = request(&with, "us-east-1").unwrap();
        assert_eq!(
            request.headers,
            [
                ("x-amz-acl".to_owned(), "public-read".to_owned()),
                ("x-amz-object-ownership".to_owned(), "ObjectWriter".to_owned()),
            ]
        );
    }

    #[test]
    fn object_ownership_json_names_are_s3s() {
        for (ownership, name) in [
            (ObjectOwnership::BucketOwnerEnforced, "BucketOwnerEnforced"),
            (ObjectOwnership::BucketOwnerPreferred, "BucketOwnerPreferred"),
            (ObjectOwnership::ObjectWriter, "ObjectWriter"),
        ] {
            assert_eq!(ownership.as_str(), name);
            assert_eq!(serde_json::to_value(ownership).unwrap(), name);
        }
        let input: Result<CreateBucketInput, _> =
            serde_json::from_str(r#"{"bucket_name": "b-1", "object_ownership": "bucket-owner-enforced"}"#);
        assert!(input.is_err());
    }

    #[test]
    fn bad_names_and_regions_are_refused_before_sending() {
        let cases = [
            (
                CreateBucketInput {
                    bucket_name: "Bad_Name".into(),
                    ..input(None)
                },
                "bucket_name",
            ),
            (input(Some("EU West")), "region"),
            (input(Some("eu_west_1")), "region"),
        ];
        for (given, field) in cases {
            let mut t = FakeTransport::default();
            match with_client(&mut t, Operation::CreateBucket, |c| run(c, &given)).map_err(Error::into_kind) {
                Err(ErrorKind::InvalidInput { field: named, .. }) => assert_eq!(named, field, "{given:?}"),
                other => panic!("{given:?}: expected invalid {field}, got {other:?}"),
            }
            assert!(t.sent.is_empty());
        }
    }

    #[test]
    fn the_request_is_signed_for_the_buckets_region_not_the_connections() {
        let mut t = FakeTransport::default();
        t.answer(200, &[("location", "http://new-bucket.s3.amazonaws.com/")], b"");
        let output = with_client(&mut t, Operation::CreateBucket, |c| {
            run(c, &input(Some("eu-west-1")))
        })
        .unwrap();
        assert_eq!(
            output,
            CreateBucketOutput {
                bucket_name: "new-bucket".into(),
                location: Some("http://new-bucket.s3.amazonaws.com/".into()),
                region: "eu-west-1".into(),
            }
        );
        let sent = &t.sent[0];
        assert_eq!(sent.url(), "http://127.0.0.1:9000/new-bucket");
        let auth = sent.header("authorization").unwrap();
        assert!(auth.contains("/eu-west-1/s3/aws4_request"), "{auth}");
    }

    #[test]
    fn on_aws_it_goes_to_the_regions_endpoint_and_the_region_is_learnt() {
        let connection = Connection {
            credentials: Credentials::new("AKIDEXAMPLE", "secret", None),
            region: Region::Auto,
            endpoint: None,
            path_style: false,
        };
        let mut t = FakeTransport::default();
        t.answer(200, &[("location", "http://new-bucket.s3.amazonaws.com/")], b"");
        let mut state = InstanceState::default();
        let mut client = Client {
            connection: &connection,
            transport: &mut t,
            state: &mut state,
            now: example_time(),
            operation: Operation::CreateBucket,
        };
        run(&mut client, &input(Some("ap-southeast-2"))).unwrap();
        assert_eq!(client.region_for(Some("new-bucket")), "ap-southeast-2");
        assert_eq!(t.sent[0].host, "new-bucket.s3.ap-southeast-2.amazonaws.com");
    }

    #[test]
    fn a_bucket_already_yours_is_its_typed_error_and_not_retried() {
        let mut t = FakeTransport::default();
        t.answer(
            409,
            &[],
            b"<Error><Code>BucketAlreadyOwnedByYou</Code><Message>Your previous request to create \
              the named bucket succeeded and you already own it.</Message></Error>",
        );
        match with_client(&mut t, Operation::CreateBucket, |c| {
            run(c, &input(Some("eu-west-1")))
        })
        .map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::BucketAlreadyOwnedByYou);
                assert_eq!(error.status, 409);
            }
            other => panic!("expected BucketAlreadyOwnedByYou, got {other:?}"),
        }
        let mut t = FakeTransport::default();
        t.answer(503, &[], b"").answer(200, &[], b"");
        let result = with_client(&mut t, Operation::CreateBucket, |c| run(c, &input(None)));
        assert!(result.is_err());
        assert_eq!(t.sent.len(), 1, "a create is sent once");
    }

    #[test]
    fn access_denied_names_the_permissions_the_headers_need() {
        let cases: [(Option<CannedAcl>, Option<ObjectOwnership>, &str); 3] = [
            (None, None, "s3:CreateBucket"),
            (
                None,
                Some(ObjectOwnership::BucketOwnerPreferred),
                "s3:CreateBucket, s3:PutBucketOwnershipControls",
            ),
            (Some(CannedAcl::Private), None, "s3:CreateBucket, s3:PutBucketAcl"),
        ];
        for (acl, object_ownership, permission) in cases {
            let mut t = FakeTransport::default();
            t.answer(
                403,
                &[],
                b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
            );
            let given = CreateBucketInput {
                acl,
                object_ownership,
                ..input(None)
            };
            match with_client(&mut t, Operation::CreateBucket, |c| run(c, &given)).map_err(Error::into_kind) {
                Err(ErrorKind::Service(error)) => {
                    assert_eq!(error.required_permission.as_deref(), Some(permission));
                }
                other => panic!("expected AccessDenied, got {other:?}"),
            }
        }
    }
}
