//! Test connection: whether the credentials, region and endpoint work,
//! and, for a bucket, which permissions the credentials have, as far as
//! that can be learnt without changing anything. For a platform's "Test
//! connection" button: it always answers with a report, never with an
//! error of S3's.
//!
//! Each probe is a read: List Buckets (`s3:ListAllMyBuckets`), and for a
//! bucket Head Bucket, one key of ListObjectsV2 (`s3:ListBucket`), Get
//! Bucket Location (`s3:GetBucketLocation`), one upload of List Multipart
//! Uploads (`s3:ListBucketMultipartUploads`), and a HEAD of a key that does
//! not exist (`s3:GetObject`: S3 answers 404 when reading is allowed, and
//! 403 when it is not, provided listing is allowed). Permissions that only
//! a write could show are reported `untested`.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html>

use crate::encode::Encode;

use crate::decode::Decode;

use crate::client::Client;
use crate::error::{Error, ErrorCode, ErrorKind};
use crate::http::{Method, OpRequest};
use crate::ops::{Invocation, Op, Operation};
use crate::validate;

/// The key a probe reads: one no object is expected to have.
pub const PROBE_KEY: &str = "s3-connector-test-connection/probe-of-a-missing-key";

/// The JSON input of Test connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TestConnectionInput {
    /// A bucket to check too: that it exists, and what the credentials may
    /// do in it.
    #[serde(default)]
    pub bucket_name: Option<String>,
}

/// What a permission's probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Finding {
    /// S3 allowed the probe.
    Allowed,
    /// S3 denied it.
    Denied,
    /// No probe without side effects can tell.
    Untested,
}

/// One permission and what its probe found.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PermissionCheck {
    /// The IAM action.
    pub permission: String,
    /// What the probe found.
    pub status: Finding,
}

/// The JSON output of Test connection.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TestConnectionOutput {
    /// The endpoint answered, the credentials were accepted and the bucket
    /// (when given) exists.
    pub ok: bool,
    /// What failed, when something did: `endpoint` (no answer),
    /// `credentials` (refused), `bucket` (does not exist).
    pub problem: Option<String>,
    /// What went wrong, in words.
    pub message: Option<String>,
    /// The bucket exists (when one was given and it could be told).
    pub bucket_exists: Option<bool>,
    /// Every permission the connector's operations use, and what its probe
    /// found (with a bucket; without one, `s3:ListAllMyBuckets` only).
    pub permissions: Vec<PermissionCheck>,
}

/// Test connection.
pub struct TestConnection;

impl Op for TestConnection {
    type Input = TestConnectionInput;
    type Output = TestConnectionOutput;
    const NAME: &'static str = "test-connection";
    const TITLE: &'static str = "Test connection";
    const DESCRIPTION: &'static str = "Whether the credentials, region and endpoint work, and for a \
        bucket which permissions the credentials have, learnt from reads only: a report, never an \
        error of S3's.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html";
    const PERMISSIONS: &'static [&'static str] = &[
        "s3:ListAllMyBuckets",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:ListBucketMultipartUploads",
        "s3:GetObject",
    ];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket"}"#;

    fn run(call: &mut Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        if let Some(bucket) = &input.bucket_name {
            validate::bucket_name(bucket)?;
        }
        Ok(run(call.client, input.bucket_name.as_deref()))
    }
}

/// What one probe's answer says.
enum Outcome {
    Allowed,
    Denied,
    /// The bucket or key is not there.
    Missing,
    /// The connection itself failed: `problem` and message.
    Broken(&'static str, String),
}

fn probe(client: &mut Client<'_>, request: &OpRequest) -> Outcome {
    match client.send(request).map_err(Error::into_kind) {
        Ok(_) => Outcome::Allowed,
        Err(ErrorKind::Service(error)) => match error.code {
            ErrorCode::AccessDenied => Outcome::Denied,
            ErrorCode::NoSuchBucket | ErrorCode::NoSuchKey => Outcome::Missing,
            ErrorCode::InvalidAccessKeyId
            | ErrorCode::SignatureDoesNotMatch
            | ErrorCode::InvalidToken
            | ErrorCode::ExpiredToken
            | ErrorCode::RequestTimeTooSkewed => Outcome::Broken("credentials", error.to_string()),
            _ => Outcome::Broken("endpoint", error.to_string()),
        },
        Err(error) => Outcome::Broken("endpoint", error.to_string()),
    }
}

/// Runs the probes; `bucket` already validated.
pub fn run(client: &mut Client<'_>, bucket: Option<&str>) -> TestConnectionOutput {
    let mut report = TestConnectionOutput {
        ok: true,
        problem: None,
        message: None,
        bucket_exists: None,
        permissions: Vec::new(),
    };
    let check = |report: &mut TestConnectionOutput, permission: &str, outcome: &Outcome| {
        let status = match outcome {
            Outcome::Allowed | Outcome::Missing => Finding::Allowed,
            Outcome::Denied => Finding::Denied,
            Outcome::Broken(..) => Finding::Untested,
        };
        report.permissions.push(PermissionCheck {
            permission: permission.to_owned(),
            status,
        });
    };
    let fail = |report: &mut TestConnectionOutput, problem: &str, message: String| {
        report.ok = false;
        report.problem = Some(problem.to_owned());
        report.message = Some(message);
    };
    let list_buckets = OpRequest::new(Method::Get, None, None);
    let outcome = probe(client, &list_buckets);
    if let Outcome::Broken(problem, message) = &outcome {
        fail(&mut report, problem, message.clone());
        return report;
    }
    check(&mut report, "s3:ListAllMyBuckets", &outcome);
    let Some(bucket) = bucket else {
        return report;
    };
    let head = OpRequest::new(Method::Head, Some(bucket), None);
    match probe(client, &head) {
        Outcome::Missing => {
            report.bucket_exists = Some(false);
            fail(
                &mut report,
                "bucket",
                format!("the bucket `{bucket}` does not exist"),
            );
            return report;
        }
        Outcome::Broken(problem, message) => {
            fail(&mut report, problem, message);
            return report;
        }
        Outcome::Allowed | Outcome::Denied => report.bucket_exists = Some(true),
    }
    let listing = OpRequest::new(Method::Get, Some(bucket), None)
        .with_query("list-type", "2")
        .with_query("max-keys", "1");
    let list = probe(client, &listing);
    check(&mut report, "s3:ListBucket", &list);
    let location = OpRequest::new(Method::Get, Some(bucket), None).with_query("location", "");
    let outcome = probe(client, &location);
    check(&mut report, "s3:GetBucketLocation", &outcome);
    let uploads = OpRequest::new(Method::Get, Some(bucket), None)
        .with_query("uploads", "")
        .with_query("max-uploads", "1");
    let outcome = probe(client, &uploads);
    check(&mut report, "s3:ListBucketMultipartUploads", &outcome);
    let read = OpRequest::new(Method::Head, Some(bucket), Some(PROBE_KEY));
    let outcome = probe(client, &read);
    // Without s3:ListBucket, S3 answers a missing key with 403 whether or
    // not reading is allowed: the probe tells nothing then.
    let outcome = match (&list, outcome) {
        (Outcome::Denied, Outcome::Denied) => Outcome::Broken("", String::new()),
        (_, outcome) => outcome,
    };
    check(&mut report, "s3:GetObject", &outcome);
    let probed: Vec<String> = report.permissions.iter().map(|c| c.permission.clone()).collect();
    let mut untested: Vec<&str> = Operation::ALL
        .iter()
        .flat_map(|op| op.required_permissions().iter().copied())
        .filter(|p| !probed.iter().any(|q| q == p))
        .collect();
    crate::ops::sort_names(&mut untested);
    untested.dedup();
    for permission in untested {
        report.permissions.push(PermissionCheck {
            permission: permission.to_owned(),
            status: Finding::Untested,
        });
    }
    report
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{with_client, FakeTransport};

    fn status(report: &TestConnectionOutput, permission: &str) -> Finding {
        report
            .permissions
            .iter()
            .find(|c| c.permission == permission)
            .map(|c| c.status)
            .unwrap()
    }

    fn denied() -> (u16, &'static [u8]) {
        (403, b"<Error><Code>AccessDenied</Code></Error>")
    }

    #[test]
    fn refused_credentials_are_the_problem() {
        let mut transport = FakeTransport::default();
        transport.answer(403, &[], b"<Error><Code>InvalidAccessKeyId</Code></Error>");
        let report = with_client(&mut transport, Operation::TestConnection, |c| run(c, Some("b")));
        assert!(!report.ok);
        assert_eq!(report.problem.as_deref(), Some("credentials"));
        assert_eq!(transport.sent.len(), 1);
    }

    #[test]
    fn a_missing_bucket_is_the_problem() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], b"<ListAllMyBucketsResult/>");
        transport.answer(404, &[], b"");
        let report = with_client(&mut transport, Operation::TestConnection, |c| run(c, Some("b")));
        assert_eq!((report.ok, report.bucket_exists), (false, Some(false)));
        assert_eq!(report.problem.as_deref(), Some("bucket"));
    }

    #[test]
    fn each_probe_reports_its_permission() {
        let mut transport = FakeTransport::default();
        let (code, body) = denied();
        transport.answer(code, &[], body); // list buckets
        transport.answer(200, &[], b""); // head bucket
        transport.answer(200, &[], b"<ListBucketResult/>");
        transport.answer(code, &[], body); // location
        transport.answer(200, &[], b"<ListMultipartUploadsResult/>");
        transport.answer(404, &[], b""); // the missing key: reading allowed
        let report = with_client(&mut transport, Operation::TestConnection, |c| run(c, Some("b")));
        assert!(report.ok, "{report:?}");
        assert_eq!(status(&report, "s3:ListAllMyBuckets"), Finding::Denied);
        assert_eq!(status(&report, "s3:ListBucket"), Finding::Allowed);
        assert_eq!(status(&report, "s3:GetBucketLocation"), Finding::Denied);
        assert_eq!(status(&report, "s3:ListBucketMultipartUploads"), Finding::Allowed);
        assert_eq!(status(&report, "s3:GetObject"), Finding::Allowed);
        assert_eq!(status(&report, "s3:PutObject"), Finding::Untested);
        assert!(transport.sent[5].path.ends_with("/probe-of-a-missing-key"));
    }

    #[test]
    fn a_read_denied_without_listing_is_untested() {
        let mut transport = FakeTransport::default();
        let (code, body) = denied();
        transport.answer(200, &[], b"<ListAllMyBucketsResult/>");
        transport.answer(200, &[], b"");
        transport.answer(code, &[], body); // listing denied
        transport.answer(200, &[], b"<LocationConstraint/>");
        transport.answer(code, &[], body);
        transport.answer(403, &[], b"");
        let report = with_client(&mut transport, Operation::TestConnection, |c| run(c, Some("b")));
        assert_eq!(status(&report, "s3:GetObject"), Finding::Untested);
    }
}
