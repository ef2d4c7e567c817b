//! Head Bucket: whether a bucket exists, whether these credentials may use
//! it, and its region.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html>
//!
//! A HEAD answer has no body, so S3's answer is its status: 200 (the
//! bucket exists and may be listed), 403 (it exists, or S3 will not say,
//! and these credentials may not use it) or 404 (no such bucket). The
//! client turns the last two into service errors (`access-denied`, and
//! `no-such-key` from the bare status); this operation turns them back into
//! answers. S3 names the bucket's region in `x-amz-bucket-region`, on a 403
//! too.
//!
//! A HEAD's 403 cannot say why: S3 answers it alike to credentials it
//! refuses (an unknown key, a wrong secret, a skewed clock) and to a bucket
//! these credentials may not list. So a 403 is asked again as a listing of
//! no keys (`GET /{bucket}?list-type=2&max-keys=0`, the same permission,
//! `s3:ListBucket`), whose error has a body: `AccessDenied` is the answer
//! `access: denied`; any other error (`invalid-access-key-id`,
//! `signature-does-not-match`, ...) is the call's error, since nothing is
//! then known of the bucket.

use crate::client::Client;
use crate::connection::Region;
use crate::encode::Encode;
use crate::error::{Error, ErrorCode, ErrorKind};
use crate::http::{HttpResponse, Method, OpRequest};
use crate::ops::get_bucket_location::BucketInput;
use crate::validate;

/// Whether the credentials may use the bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum BucketAccess {
    /// S3 answered (200, or 404 for a bucket that does not exist).
    Allowed,
    /// S3 answered 403: the credentials may not list the bucket.
    Denied,
}

/// The JSON output of Head Bucket.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HeadBucketOutput {
    /// The bucket exists: false only for a 404. A 403 counts as existing
    /// (S3 may answer 403 for a name it will not say more about).
    pub exists: bool,
    /// The bucket's region as S3 named it (`x-amz-bucket-region`), else
    /// the region the request was signed for.
    pub region: String,
    /// `denied` when S3 answered 403, else `allowed`.
    pub access: BucketAccess,
}

/// Builds `HEAD /{bucket}`.
pub fn request(bucket_name: &str) -> Result<OpRequest, Error> {
    validate::bucket_name(bucket_name)?;
    Ok(OpRequest::new(Method::Head, Some(bucket_name), None))
}

/// The region `x-amz-bucket-region` names, when it names one.
fn named_region(response: &HttpResponse) -> Option<String> {
    response
        .header("x-amz-bucket-region")
        .filter(|hint| Region::is_region_name(hint))
        .map(str::to_owned)
}

/// Runs Head Bucket: a 404 and a 403 are answers, not errors.
pub fn run(client: &mut Client<'_>, bucket_name: &str) -> Result<HeadBucketOutput, Error> {
    let request = request(bucket_name)?;
    let (exists, access, named) = match client.send(&request).map_err(Error::into_kind) {
        Ok(response) => (true, BucketAccess::Allowed, named_region(&response)),
        // Bodiless, a 404 is `NoSuchKey` by its status alone; a 404 with
        // another code in a body (from an S3-compatible server) is an error.
        Err(ErrorKind::Service(error))
            if error.status == 404
                && matches!(error.code, ErrorCode::NoSuchBucket | ErrorCode::NoSuchKey) =>
        {
            (false, BucketAccess::Allowed, error.region)
        }
        // A 403 that says more than the status (a wrong signature, an
        // unknown key) is about the credentials, not the bucket; a bare one
        // is asked again (see the module docs).
        Err(ErrorKind::Service(error)) if error.status == 403 && error.code == ErrorCode::AccessDenied => {
            match probe(client, bucket_name)? {
                Some(missing) => (false, BucketAccess::Allowed, missing.region),
                None => (true, BucketAccess::Denied, error.region),
            }
        }
        Err(error) => return Err(error.into()),
    };
    Ok(HeadBucketOutput {
        exists,
        region: named.unwrap_or_else(|| client.region_of(&request)),
        access,
    })
}

/// Builds the listing of no keys that asks again after a bare 403.
pub fn probe_request(bucket_name: &str) -> OpRequest {
    OpRequest::new(Method::Get, Some(bucket_name), None)
        .with_query("list-type", "2")
        .with_query("max-keys", "0")
}

/// Asks again why a HEAD was refused: `Ok(None)` when the bucket is
/// refused (`AccessDenied`, or a listing that now succeeds), `Ok(Some)`
/// with the error when it turns out not to exist, and the error itself
/// when S3 refuses the credentials.
fn probe(client: &mut Client<'_>, bucket_name: &str) -> Result<Option<crate::error::ServiceError>, Error> {
    match client.send(&probe_request(bucket_name)).map_err(Error::into_kind) {
        Ok(_) => Ok(None),
        Err(ErrorKind::Service(error)) if error.code == ErrorCode::AccessDenied => Ok(None),
        Err(ErrorKind::Service(error)) if error.status == 404 && error.code == ErrorCode::NoSuchBucket => {
            Ok(Some(error))
        }
        Err(error) => Err(error.into()),
    }
}

/// Head Bucket.
pub struct HeadBucket;

impl crate::ops::Op for HeadBucket {
    type Input = BucketInput;
    type Output = HeadBucketOutput;
    const NAME: &'static str = "head-bucket";
    const TITLE: &'static str = "Head Bucket";
    const DESCRIPTION: &'static str = "Whether a bucket exists and these credentials may use it, and its \
        region. A missing bucket (404) is `exists: false` and a refused one (403) `access: denied`, not \
        errors; credentials S3 refuses (an unknown key, a wrong secret) are errors.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:ListBucket"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket"}"#;
    const REPORTS_REGION: bool = true;

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input.bucket_name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{example_time, with_client, FakeTransport};
    use crate::client::InstanceState;
    use crate::connection::{Connection, Credentials};
    use crate::ops::Operation;

    /// A status, headers and a body to answer.
    type Answer<'a> = (u16, &'a [(&'a str, &'a str)], &'a [u8]);

    fn head(answers: &[Answer<'_>]) -> (Result<HeadBucketOutput, Error>, FakeTransport) {
        let mut t = FakeTransport::default();
        for (status, headers, body) in answers {
            t.answer(*status, headers, body);
        }
        let result = with_client(&mut t, Operation::HeadBucket, |c| run(c, "my-bucket"));
        (result, t)
    }

    #[test]
    fn request_is_a_head_of_the_bucket() {
        let (result, t) = head(&[(200, &[], b"")]);
        result.unwrap();
        assert_eq!(t.sent[0].method, Method::Head);
        assert_eq!(t.sent[0].url(), "http://127.0.0.1:9000/my-bucket");
    }

    #[test]
    fn statuses_are_answers() {
        let region = [("x-amz-bucket-region", "eu-west-1")];
        // Status and headers answered; exists, access and region expected.
        type Case<'a> = (u16, &'a [(&'a str, &'a str)], bool, BucketAccess, &'a str);
        let cases: [Case<'_>; 4] = [
            (200, &region, true, BucketAccess::Allowed, "eu-west-1"),
            (200, &[], true, BucketAccess::Allowed, "us-east-1"),
            (404, &[], false, BucketAccess::Allowed, "us-east-1"),
            // A hint that names no region is no answer.
            (
                200,
                &[("x-amz-bucket-region", "auto")],
                true,
                BucketAccess::Allowed,
                "us-east-1",
            ),
        ];
        for (status, headers, exists, access, region) in cases {
            let (result, t) = head(&[(status, headers, b"")]);
            assert_eq!(
                result.unwrap(),
                HeadBucketOutput {
                    exists,
                    region: region.into(),
                    access,
                },
                "{status} {headers:?}"
            );
            assert_eq!(t.sent.len(), 1);
        }
    }

    const DENIED: &[u8] = b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>";

    #[test]
    fn a_bare_403_is_asked_again_as_an_empty_listing() {
        let region = [("x-amz-bucket-region", "eu-west-1")];
        let (result, t) = head(&[(403, &region, b""), (403, &[], DENIED)]);
        assert_eq!(
            result.unwrap(),
            HeadBucketOutput {
                exists: true,
                region: "eu-west-1".into(),
                access: BucketAccess::Denied,
            }
        );
        assert_eq!(t.sent.len(), 2);
        assert_eq!(t.sent[1].method, Method::Get);
        assert_eq!(
            t.sent[1].url(),
            "http://127.0.0.1:9000/my-bucket?list-type=2&max-keys=0"
        );
        // A listing that goes through leaves the HEAD's refusal standing.
        let (result, _) = head(&[(403, &[], b""), (200, &[], b"<ListBucketResult/>")]);
        assert_eq!(result.unwrap().access, BucketAccess::Denied);
        // A bucket that turns out not to exist is the answer `exists: false`.
        let missing = b"<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>";
        let (result, _) = head(&[(403, &[], b""), (404, &[], missing)]);
        let output = result.unwrap();
        assert!(!output.exists);
        assert_eq!(output.access, BucketAccess::Allowed);
    }

    #[test]
    fn credentials_s3_refuses_are_errors_not_a_denied_bucket() {
        for code in ["InvalidAccessKeyId", "SignatureDoesNotMatch"] {
            let body = format!("<Error><Code>{code}</Code><Message>no</Message></Error>");
            match head(&[(403, &[], b""), (403, &[], body.as_bytes())])
                .0
                .map_err(Error::into_kind)
            {
                Err(ErrorKind::Service(error)) => {
                    assert_eq!(error.code, ErrorCode::from_code(code), "{code}");
                    assert_eq!(error.status, 403);
                }
                other => panic!("{code}: expected a service error, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_404_with_a_body_naming_no_such_bucket_is_an_answer_too() {
        let body = b"<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>";
        let (result, _) = head(&[(404, &[], body)]);
        assert!(!result.unwrap().exists);
    }

    #[test]
    fn other_failures_stay_errors() {
        let bad_signature = b"<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>";
        let cases: [(u16, &[u8], ErrorCode); 3] = [
            (403, bad_signature, ErrorCode::SignatureDoesNotMatch),
            (400, b"", ErrorCode::InvalidRequest),
            (405, b"", ErrorCode::MethodNotAllowed),
        ];
        for (status, body, code) in cases {
            match head(&[(status, &[], body)]).0.map_err(Error::into_kind) {
                Err(ErrorKind::Service(error)) => assert_eq!(error.code, code, "{status}"),
                other => panic!("{status}: expected a service error, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_name_is_refused_before_sending() {
        let mut t = FakeTransport::default();
        let result = with_client(&mut t, Operation::HeadBucket, |c| run(c, "a"));
        assert!(matches!(
            result.map_err(Error::into_kind),
            Err(ErrorKind::InvalidInput { ref field, .. }) if field == "bucket_name"
        ));
        assert!(t.sent.is_empty());
    }

    #[test]
    fn with_region_auto_a_bucket_elsewhere_is_found_through_the_redirect() {
        let connection = Connection {
            credentials: Credentials::new("AKIDEXAMPLE", "secret", None),
            region: Region::Auto,
            endpoint: None,
            path_style: false,
        };
        let mut t = FakeTransport::default();
        t.answer(301, &[("x-amz-bucket-region", "sa-east-1")], b"")
            .answer(403, &[("x-amz-bucket-region", "sa-east-1")], b"")
            .answer(403, &[], DENIED);
        let mut state = InstanceState::default();
        let mut client = Client {
            connection: &connection,
            transport: &mut t,
            state: &mut state,
            now: example_time(),
            operation: Operation::HeadBucket,
        };
        let output = run(&mut client, "elsewhere").unwrap();
        assert_eq!(
            output,
            HeadBucketOutput {
                exists: true,
                region: "sa-east-1".into(),
                access: BucketAccess::Denied,
            }
        );
        assert_eq!(t.sent[1].host, "elsewhere.s3.sa-east-1.amazonaws.com");
    }
}
