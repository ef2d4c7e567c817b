//! One module per operation. Each builds its unsigned [`OpRequest`]
//! (`request`, which validates the input first) and parses a successful
//! [`HttpResponse`] (`parse`). Errors answered by S3 are handled by the
//! client, not here.
//!
//! [`OpRequest`]: crate::http::OpRequest
//! [`HttpResponse`]: crate::http::HttpResponse

pub mod abort_multipart_upload;
pub mod delete_object;
pub mod delete_objects;
pub mod get_bucket_location;
pub mod get_object;
pub mod get_object_signed_url;
pub mod get_object_to;
pub mod head_object;
pub mod list_buckets;
pub mod list_buckets_ddl;
pub mod list_multipart_uploads;
pub mod list_objects;
pub mod multipart;
pub mod put_object;
pub mod put_object_acl;
pub mod put_object_stream;

use crate::http::OpRequest;

/// The connector's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// List Buckets
    ListBuckets,
    /// List buckets DDL
    ListBucketsDdl,
    /// List Bucket Objects
    ListObjects,
    /// Get Object
    GetObject,
    /// Get Object's Signed URL
    GetObjectSignedUrl,
    /// Get bucket location
    GetBucketLocation,
    /// Head Object
    HeadObject,
    /// Put Object (Text)
    PutObjectText,
    /// Put Object (File)
    PutObjectFile,
    /// Put Object ACL
    PutObjectAcl,
    /// Delete Object
    DeleteObject,
    /// Delete Multiple Objects
    DeleteObjects,
    /// List Multipart Uploads
    ListMultipartUploads,
    /// Abort Multipart Upload
    AbortMultipartUpload,
}

impl Operation {
    /// Every operation, in the order the README lists them.
    pub const ALL: [Operation; 14] = [
        Operation::ListBuckets,
        Operation::ListBucketsDdl,
        Operation::ListObjects,
        Operation::GetObject,
        Operation::GetObjectSignedUrl,
        Operation::GetBucketLocation,
        Operation::HeadObject,
        Operation::PutObjectText,
        Operation::PutObjectFile,
        Operation::PutObjectAcl,
        Operation::DeleteObject,
        Operation::DeleteObjects,
        Operation::ListMultipartUploads,
        Operation::AbortMultipartUpload,
    ];

    /// The WIT (and CLI) name: `list-objects`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::ListBuckets => "list-buckets",
            Operation::ListBucketsDdl => "list-buckets-ddl",
            Operation::ListObjects => "list-objects",
            Operation::GetObject => "get-object",
            Operation::GetObjectSignedUrl => "get-object-signed-url",
            Operation::GetBucketLocation => "get-bucket-location",
            Operation::HeadObject => "head-object",
            Operation::PutObjectText => "put-object-text",
            Operation::PutObjectFile => "put-object-file",
            Operation::PutObjectAcl => "put-object-acl",
            Operation::DeleteObject => "delete-object",
            Operation::DeleteObjects => "delete-objects",
            Operation::ListMultipartUploads => "list-multipart-uploads",
            Operation::AbortMultipartUpload => "abort-multipart-upload",
        }
    }

    /// Looks an operation up by its WIT name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The IAM permission(s) that `request`, sent for this operation, needs:
    /// what an access-denied error names. A version id or an ACL header
    /// changes it, as S3 documents (a versioned read needs
    /// `s3:GetObjectVersion`, not `s3:GetObject`).
    pub fn required_permission(self, request: &OpRequest) -> String {
        let versioned = request.query.iter().any(|(name, _)| name == "versionId");
        let with_acl = request.headers.iter().any(|(name, _)| name == "x-amz-acl");
        let upload = request.query.iter().any(|(name, _)| name == "uploadId");
        let permission = match self {
            // The actions of a multipart upload: parts and completion are
            // covered by s3:PutObject, listing and aborting are not.
            Operation::PutObjectFile if upload && request.method == crate::http::Method::Get => {
                "s3:ListMultipartUploadParts"
            }
            Operation::PutObjectFile if upload && request.method == crate::http::Method::Delete => {
                "s3:AbortMultipartUpload"
            }
            Operation::GetObject | Operation::GetObjectSignedUrl | Operation::HeadObject if versioned => {
                "s3:GetObjectVersion"
            }
            Operation::PutObjectText | Operation::PutObjectFile if with_acl => {
                "s3:PutObject, s3:PutObjectAcl"
            }
            Operation::PutObjectText | Operation::PutObjectFile => "s3:PutObject",
            Operation::PutObjectAcl if versioned => "s3:PutObjectVersionAcl",
            Operation::DeleteObject if versioned => "s3:DeleteObjectVersion",
            Operation::DeleteObject | Operation::DeleteObjects => "s3:DeleteObject",
            other => other.required_permissions()[0],
        };
        permission.to_owned()
    }

    /// The IAM permissions the operation needs (the README's table).
    pub fn required_permissions(self) -> &'static [&'static str] {
        match self {
            Operation::ListBuckets | Operation::ListBucketsDdl => &["s3:ListAllMyBuckets"],
            Operation::ListObjects => &["s3:ListBucket"],
            Operation::GetObject | Operation::GetObjectSignedUrl | Operation::HeadObject => {
                &["s3:GetObject", "s3:GetObjectVersion"]
            }
            Operation::GetBucketLocation => &["s3:GetBucketLocation"],
            Operation::PutObjectText | Operation::PutObjectFile => &["s3:PutObject", "s3:PutObjectAcl"],
            Operation::PutObjectAcl => &["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
            Operation::DeleteObject | Operation::DeleteObjects => {
                &["s3:DeleteObject", "s3:DeleteObjectVersion"]
            }
            Operation::ListMultipartUploads => &["s3:ListBucketMultipartUploads"],
            Operation::AbortMultipartUpload => &["s3:AbortMultipartUpload"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Operation;
    use crate::http::{Method, OpRequest};

    fn request(version: bool, acl: bool) -> OpRequest {
        let mut r = OpRequest::new(Method::Get, Some("b"), Some("k"));
        if version {
            r = r.with_query("versionId", "v1");
        }
        if acl {
            r = r.with_header("x-amz-acl", "private");
        }
        r
    }

    #[test]
    fn versioned_reads_name_get_object_version() {
        assert_eq!(
            Operation::GetObject.required_permission(&request(false, false)),
            "s3:GetObject"
        );
        assert_eq!(
            Operation::GetObject.required_permission(&request(true, false)),
            "s3:GetObjectVersion"
        );
        assert_eq!(
            Operation::HeadObject.required_permission(&request(true, false)),
            "s3:GetObjectVersion"
        );
    }

    #[test]
    fn put_names_the_acl_permission_only_with_an_acl() {
        assert_eq!(
            Operation::PutObjectText.required_permission(&request(false, false)),
            "s3:PutObject"
        );
        assert_eq!(
            Operation::PutObjectFile.required_permission(&request(false, true)),
            "s3:PutObject, s3:PutObjectAcl"
        );
    }

    #[test]
    fn versioned_writes_name_their_version_permissions() {
        assert_eq!(
            Operation::DeleteObject.required_permission(&request(true, false)),
            "s3:DeleteObjectVersion"
        );
        assert_eq!(
            Operation::DeleteObject.required_permission(&request(false, false)),
            "s3:DeleteObject"
        );
        assert_eq!(
            Operation::PutObjectAcl.required_permission(&request(true, false)),
            "s3:PutObjectVersionAcl"
        );
        assert_eq!(
            Operation::ListBuckets.required_permission(&request(false, false)),
            "s3:ListAllMyBuckets"
        );
    }
}
