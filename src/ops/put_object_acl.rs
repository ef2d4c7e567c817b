//! Put Object ACL: set a canned ACL on an existing object (or one version).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html>
//!
//! The canned ACL goes in the `x-amz-acl` header and the body is empty.
//! Buckets with Object Ownership set to "bucket owner enforced" (the default
//! since April 2023) have ACLs disabled: S3 then answers 400
//! `AccessControlListNotSupported`, kept verbatim as the error code.

use crate::client::Client;
use crate::error::Error;
use crate::http::{HttpResponse, Method, OpRequest};
use crate::model::{ObjectRef, PutObjectAclInput};
use crate::ops::object::object_request;

/// Builds the request: `PUT /bucket/key?acl[&versionId=...]` with `x-amz-acl`.
pub fn request(input: &PutObjectAclInput) -> Result<OpRequest, Error> {
    let object = ObjectRef {
        bucket_name: input.bucket_name.clone(),
        object_path: input.object_path.clone(),
        version_id: input.version_id.clone(),
    };
    let mut request = object_request(Method::Put, &object)?.with_header("x-amz-acl", input.acl.as_str());
    // `?acl` is a bare sub-resource: an empty value.
    request.query.insert(0, ("acl".to_owned(), String::new()));
    Ok(request)
}

/// Parses a successful answer: there is nothing in it.
pub fn parse(response: &HttpResponse) -> Result<(), Error> {
    let _ = response;
    Ok(())
}

/// Runs Put Object ACL.
pub fn run(client: &mut Client<'_>, input: &PutObjectAclInput) -> Result<(), Error> {
    let request = request(input)?;
    let response = client.send(&request)?;
    parse(&response)
}

/// Put Object ACL.
pub struct PutObjectAcl;

impl crate::ops::Op for PutObjectAcl {
    type Input = PutObjectAclInput;
    type Output = crate::ops::Success;
    const NAME: &'static str = "put-object-acl";
    const TITLE: &'static str = "Put Object ACL";
    const DESCRIPTION: &'static str = "Sets a canned ACL on an existing object.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:PutObjectAcl", "s3:PutObjectVersionAcl"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str =
        r#"{"bucket_name": "my-bucket", "object_path": "reports/2026.csv", "acl": "private"}"#;

    fn permission(request: &OpRequest) -> &'static str {
        crate::ops::versioned(request, "s3:PutObjectAcl", "s3:PutObjectVersionAcl")
    }

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        run(call.client, &input)?;
        Ok(crate::ops::Success { success: true })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{local_connection, with_client, FakeTransport};
    use crate::error::{ErrorCode, ErrorKind};
    use crate::model::CannedAcl;
    use crate::ops::Operation;

    fn input(key: &str, acl: CannedAcl, version_id: Option<&str>) -> PutObjectAclInput {
        PutObjectAclInput {
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            acl,
            version_id: version_id.map(str::to_owned),
        }
    }

    #[test]
    fn request_is_put_on_the_acl_sub_resource_without_body() {
        let request = request(&input("k", CannedAcl::PublicRead, None)).unwrap();
        assert_eq!(request.method, Method::Put);
        assert_eq!(request.key.as_deref(), Some("k"));
        assert_eq!(request.query, vec![("acl".to_owned(), String::new())]);
        assert_eq!(
            request.headers,
            vec![("x-amz-acl".to_owned(), "public-read".to_owned())]
        );
        assert!(request.body.is_empty());
        assert!(request.idempotent);
    }

    #[test]
    fn every_canned_acl_is_sent_by_its_s3_name() {
        for acl in CannedAcl::ALL {
            let request = request(&input("k", acl, None)).unwrap();
            assert_eq!(
                request.headers,
                vec![("x-amz-acl".to_owned(), acl.as_str().to_owned())]
            );
        }
    }

    #[test]
    fn version_and_awkward_key_are_encoded_once() {
        let cases = [
            ("a b+c", "/my-bucket/a%20b%2Bc"),
            ("x/../y", "/my-bucket/x/../y"),
            ("//z", "/my-bucket///z"),
            ("ü%", "/my-bucket/%C3%BC%25"),
        ];
        for (key, path) in cases {
            let request = request(&input(key, CannedAcl::Private, Some("v/1"))).unwrap();
            let http = local_connection().address(&request, "us-east-1");
            assert_eq!(
                http.url(),
                format!("http://127.0.0.1:9000{path}?acl=&versionId=v%2F1"),
                "{key:?}"
            );
        }
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let mut transport = FakeTransport::default();
        let bad = input("k", CannedAcl::Private, Some("\n"));
        let result = with_client(&mut transport, Operation::PutObjectAcl, |c| run(c, &bad));
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, "version_id"),
            other => panic!("expected invalid version-id, got {other:?}"),
        }
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn run_sends_signed_acl_header() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("x-amz-request-id", "R")], b"");
        let acl = input("docs/a.txt", CannedAcl::BucketOwnerRead, None);
        with_client(&mut transport, Operation::PutObjectAcl, |c| run(c, &acl)).unwrap();
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Put);
        assert_eq!(sent.url(), "http://127.0.0.1:9000/my-bucket/docs/a.txt?acl=");
        assert_eq!(sent.header("x-amz-acl"), Some("bucket-owner-read"));
        assert!(sent.body.is_empty());
        assert!(sent.header("authorization").unwrap().contains("x-amz-acl"));
    }

    #[test]
    fn acl_403_is_access_denied_naming_put_object_acl() {
        let mut transport = FakeTransport::default();
        transport.answer(403, &[], b"");
        let acl = input("k", CannedAcl::PublicRead, None);
        match with_client(&mut transport, Operation::PutObjectAcl, |c| run(c, &acl)).map_err(Error::into_kind)
        {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                assert_eq!(error.required_permission.as_deref(), Some("s3:PutObjectAcl"));
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }
}
