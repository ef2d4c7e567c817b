//! One module per operation. Each builds its unsigned [`OpRequest`]
//! (`request`, which validates the input first) and parses a successful
//! [`HttpResponse`] (`parse`). Errors answered by S3 are handled by the
//! client, not here.
//!
//! [`OpRequest`]: crate::http::OpRequest
//! [`HttpResponse`]: crate::http::HttpResponse

pub mod delete_object;
pub mod delete_objects;
pub mod get_bucket_location;
pub mod get_object;
pub mod get_object_signed_url;
pub mod head_object;
pub mod list_buckets;
pub mod list_buckets_ddl;
pub mod list_objects;
pub mod put_object;
pub mod put_object_acl;

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
}

impl Operation {
    /// Every operation, in the order the README lists them.
    pub const ALL: [Operation; 12] = [
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
        }
    }

    /// Looks an operation up by its WIT name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The IAM permissions the operation needs (the README's table).
    pub fn required_permissions(self) -> &'static [&'static str] {
        match self {
            Operation::ListBuckets | Operation::ListBucketsDdl => &["s3:ListAllMyBuckets"],
            Operation::ListObjects => &["s3:ListBucket"],
            Operation::GetObject | Operation::GetObjectSignedUrl | Operation::HeadObject => &["s3:GetObject"],
            Operation::GetBucketLocation => &["s3:GetBucketLocation"],
            Operation::PutObjectText | Operation::PutObjectFile => &["s3:PutObject", "s3:PutObjectAcl"],
            Operation::PutObjectAcl => &["s3:PutObjectAcl"],
            Operation::DeleteObject | Operation::DeleteObjects => {
                &["s3:DeleteObject", "s3:DeleteObjectVersion"]
            }
        }
    }
}
