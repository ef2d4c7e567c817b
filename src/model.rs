//! The operations' inputs and outputs: the core's mirror of `wit/types.wit`.
//!
//! The records and enums that cross the WIT boundary are also the WIT
//! bindings' own types: the component glue maps each WIT type of the same
//! name onto these (wit-bindgen's `with`), so a typed call hands them over
//! as they are, with no conversion. A field of another name or type than
//! the WIT's does not compile.
//!
//! Field names are the WIT names in snake case, which are also the JSON names
//! of the connector this replaces (`bucket_name`, `object_path`, ...). Inputs
//! refuse unknown fields so that a mistyped field is reported, not ignored.

use crate::encode::Encode;

use crate::decode::Decode;

/// Calls `$m!` with the unit enums that cross the WIT boundary, declared
/// here once: the core's types are made from it, and the component glue
/// lifts them from the case numbers of the WIT `enum`s of the same names
/// (and lowers them to those numbers), in the order declared here, which a
/// test holds to `wit/types.wit`'s.
macro_rules! wit_enums {
    ($m:ident) => {
        $m! {
        /// The canned ACLs S3 defines.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode)]
        #[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(rename_all = "kebab-case")]
        pub enum CannedAcl {
            /// `private`
            Private,
            /// `public-read`
            PublicRead,
            /// `public-read-write`
            PublicReadWrite,
            /// `authenticated-read`
            AuthenticatedRead,
            /// `aws-exec-read`
            AwsExecRead,
            /// `bucket-owner-read`
            BucketOwnerRead,
            /// `bucket-owner-full-control`
            BucketOwnerFullControl,
        }

        /// The method a presigned URL is for.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Decode, Encode)]
        #[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(rename_all = "UPPERCASE")]
        pub enum PresignMethod {
            /// GET
            #[default]
            #[serde(alias = "get")]
            Get,
            /// PUT
            #[serde(alias = "put")]
            Put,
        }

        /// How an upload's payload is covered by the signature.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Decode, Encode)]
        #[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(rename_all = "kebab-case")]
        pub enum PayloadSigning {
            /// Unsigned over HTTPS, signed over plain HTTP.
            #[default]
            Auto,
            /// The SHA-256 of each body is signed.
            Signed,
            /// `UNSIGNED-PAYLOAD`.
            Unsigned,
        }
        }
    };
}
#[allow(unused_imports)] // the component glue's
pub(crate) use wit_enums;

/// An inclusive byte range (`Range: bytes=from-to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ByteRange {
    /// First byte, from 0.
    pub from: u64,
    /// Last byte, inclusive; `None` means to the end.
    pub to: Option<u64>,
}

/// An object's metadata from GET or HEAD response headers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectMetadata {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Length`.
    pub content_length: u64,
    /// `ETag`, quotes included.
    pub etag: Option<String>,
    /// `Last-Modified` as RFC 3339.
    pub last_modified: Option<String>,
    /// `x-amz-version-id`.
    pub version_id: Option<String>,
    /// `Content-Range`.
    pub content_range: Option<String>,
    /// `x-amz-storage-class`.
    pub storage_class: Option<String>,
    /// `x-amz-meta-*` headers, prefix removed, names in lower case.
    #[serde(with = "pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub metadata: Vec<(String, String)>,
}

/// A bucket from List Buckets.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Bucket {
    /// Name.
    pub name: String,
    /// Creation date, RFC 3339.
    pub creation_date: Option<String>,
    /// Region, when the server reports it.
    pub region: Option<String>,
}

/// A dropdown entry.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DropdownItem {
    /// Shown to the user.
    pub text: String,
    /// Stored when chosen.
    pub value: String,
}

/// Input of List Bucket Objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListObjectsInput {
    /// The bucket.
    pub bucket_name: String,
    /// Key prefix.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Delimiter, usually `/`.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Keys per page, 1..=1000.
    #[serde(default)]
    pub max_keys: Option<u32>,
    /// Token from a previous page.
    #[serde(default)]
    pub continuation_token: Option<String>,
    /// List keys after this one.
    #[serde(default)]
    pub start_after: Option<String>,
    /// Follow pages until done or `max_total`.
    #[serde(default)]
    pub fetch_all: bool,
    /// With `fetch_all`, the most entries to gather (default 10000).
    #[serde(default)]
    pub max_total: Option<u32>,
}

/// One object in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectSummary {
    /// Key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modified, RFC 3339.
    pub last_modified: Option<String>,
    /// ETag, quotes included.
    pub etag: Option<String>,
    /// Storage class.
    pub storage_class: Option<String>,
}

/// Output of List Bucket Objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListObjectsOutput {
    /// Objects, in key order.
    pub objects: Vec<ObjectSummary>,
    /// Prefixes rolled up by the delimiter.
    pub common_prefixes: Vec<String>,
    /// More entries follow.
    pub is_truncated: bool,
    /// Token for the next page.
    pub next_continuation_token: Option<String>,
    /// Pages read.
    pub pages: u32,
}

/// Names one object (or one version).
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    /// Bucket.
    pub bucket_name: String,
    /// Key.
    pub object_path: String,
    /// Version.
    #[serde(default)]
    pub version_id: Option<String>,
}

/// Input of Get Object.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GetObjectInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key.
    pub object_path: String,
    /// Version.
    #[serde(default)]
    pub version_id: Option<String>,
    /// Only these bytes.
    #[serde(default)]
    pub range: Option<ByteRange>,
}

/// Output of Get Object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetObjectOutput {
    /// The bytes.
    pub body: Vec<u8>,
    /// The metadata.
    pub metadata: ObjectMetadata,
}

/// Input of Get Object's Signed URL.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignedUrlInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key.
    pub object_path: String,
    /// Validity, 1..=604800 seconds.
    pub expires_seconds: u32,
    /// First byte of a signed range.
    #[serde(default)]
    pub range_from: Option<u64>,
    /// Last byte (inclusive) of a signed range.
    #[serde(default)]
    pub range_to: Option<u64>,
    /// GET (default) or PUT.
    #[serde(default)]
    pub method: Option<PresignMethod>,
    /// `response-content-type` override.
    #[serde(default)]
    pub response_content_type: Option<String>,
    /// `response-content-disposition` override.
    #[serde(default)]
    pub response_content_disposition: Option<String>,
    /// Version.
    #[serde(default)]
    pub version_id: Option<String>,
}

/// A presigned URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignedUrl {
    /// Last segment of the key.
    pub name: String,
    /// The URL.
    pub url: String,
    /// Unix time at which it expires.
    pub expires: u64,
    /// Method it is signed for.
    pub method: PresignMethod,
    /// Headers the fetcher must send (e.g. `range`).
    #[serde(with = "pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub signed_headers: Vec<(String, String)>,
}

/// Input of Put Object (Text).
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PutObjectTextInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key.
    pub object_path: String,
    /// The text.
    pub content: String,
    /// Mime type (default `text/plain`).
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Canned ACL.
    #[serde(default)]
    pub acl: Option<CannedAcl>,
    /// User metadata.
    #[serde(default, with = "pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub metadata: Vec<(String, String)>,
}

/// Input of Put Object (File).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutObjectFileInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key; the file name when `None`.
    pub object_path: Option<String>,
    /// The file's name.
    pub file_name: String,
    /// Mime type (default `application/octet-stream`).
    pub mime_type: Option<String>,
    /// The bytes.
    pub content: Vec<u8>,
    /// Canned ACL.
    pub acl: Option<CannedAcl>,
    /// User metadata.
    pub metadata: Vec<(String, String)>,
}

/// Output of the put operations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PutObjectOutput {
    /// Key written.
    pub key: String,
    /// ETag, quotes included.
    pub etag: Option<String>,
    /// Version id.
    pub version_id: Option<String>,
    /// Parts of a multipart upload; 0 (and left out of the JSON) for one PUT.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub parts: u32,
}

/// How a streamed upload is sent; every field has a default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadOptions {
    /// Above this size, a multipart upload (default 16 MiB).
    #[serde(default)]
    pub multipart_threshold: Option<u64>,
    /// Part size (default 8 MiB), raised to fit 10,000 parts.
    #[serde(default)]
    pub part_size: Option<u64>,
    /// Payload signing (default auto).
    #[serde(default)]
    pub payload_signing: Option<PayloadSigning>,
    /// Parts sent at the same time (default 4).
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Send `Content-MD5` with each request.
    #[serde(default)]
    pub content_md5: bool,
    /// Resume this multipart upload.
    #[serde(default)]
    pub resume_upload_id: Option<String>,
}

/// Input of Put Object from a host-held source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutObjectStreamInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key.
    pub object_path: String,
    /// Mime type.
    pub mime_type: Option<String>,
    /// Canned ACL.
    pub acl: Option<CannedAcl>,
    /// User metadata.
    pub metadata: Vec<(String, String)>,
    /// How to send it.
    pub options: UploadOptions,
}

/// A multipart upload in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MultipartUpload {
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// When it was started, RFC 3339.
    pub initiated: Option<String>,
    /// Storage class.
    pub storage_class: Option<String>,
}

/// Input of List Multipart Uploads.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListMultipartUploadsInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key prefix.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Stop after this many uploads (default 10000).
    #[serde(default)]
    pub max_total: Option<u32>,
}

/// Input of Abort Multipart Upload.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AbortMultipartUploadInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key.
    pub object_path: String,
    /// Upload id.
    pub upload_id: String,
}

/// Input of Put Object ACL.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PutObjectAclInput {
    /// Bucket.
    pub bucket_name: String,
    /// Key.
    pub object_path: String,
    /// The ACL.
    pub acl: CannedAcl,
    /// Version.
    #[serde(default)]
    pub version_id: Option<String>,
}

/// Output of Delete Object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeleteObjectOutput {
    /// Always true on success.
    pub success: bool,
    /// Version id of the marker or version removed.
    pub version_id: Option<String>,
    /// A delete marker was involved.
    pub delete_marker: bool,
}

/// One key to delete. JSON accepts the old connector's `Key`/`VersionId`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ObjectIdentifier {
    /// Key.
    #[serde(alias = "Key")]
    pub key: String,
    /// Version.
    #[serde(default, alias = "VersionId")]
    pub version_id: Option<String>,
}

/// Input of Delete Multiple Objects.
#[derive(Clone, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteObjectsInput {
    /// Bucket.
    pub bucket_name: String,
    /// Keys, one or more: at most 100,000, and 16 MiB of keys and version ids.
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = 100000)))]
    pub object_keys: Vec<ObjectIdentifier>,
}

/// Declares items as they are written.
macro_rules! declare {
    ($($item:item)*) => { $($item)* };
}

wit_enums!(declare);

impl CannedAcl {
    /// Every canned ACL, in the order S3 documents them.
    pub const ALL: [CannedAcl; 7] = [
        CannedAcl::Private,
        CannedAcl::PublicRead,
        CannedAcl::PublicReadWrite,
        CannedAcl::AuthenticatedRead,
        CannedAcl::AwsExecRead,
        CannedAcl::BucketOwnerRead,
        CannedAcl::BucketOwnerFullControl,
    ];

    /// The value of the `x-amz-acl` header.
    pub fn as_str(self) -> &'static str {
        match self {
            CannedAcl::Private => "private",
            CannedAcl::PublicRead => "public-read",
            CannedAcl::PublicReadWrite => "public-read-write",
            CannedAcl::AuthenticatedRead => "authenticated-read",
            CannedAcl::AwsExecRead => "aws-exec-read",
            CannedAcl::BucketOwnerRead => "bucket-owner-read",
            CannedAcl::BucketOwnerFullControl => "bucket-owner-full-control",
        }
    }

    /// Parses an `x-amz-acl` value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|acl| acl.as_str() == value)
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What happened to one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Deleted (or absent).
    Deleted,
    /// Not deleted: code and message.
    Failed {
        /// S3's code for this key.
        code: crate::error::ErrorCode,
        /// S3's message.
        message: String,
    },
}

/// The result for one key, in input order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteResult {
    /// Key.
    pub key: String,
    /// Version id.
    pub version_id: Option<String>,
    /// A delete marker was involved.
    pub delete_marker: bool,
    /// Outcome.
    pub outcome: DeleteOutcome,
}

/// Decodes and encodes a list of name/value pairs as a JSON object, keeping
/// order. (serde's `serialize` and `deserialize` are the tests' reference.)
pub mod pairs_as_object {
    use crate::json_value::Value;
    #[cfg(test)]
    use serde::de::{MapAccess, Visitor};
    #[cfg(any(test, feature = "schema"))]
    use serde::ser::SerializeMap;
    #[cfg(test)]
    use serde::Deserializer;
    #[cfg(any(test, feature = "schema"))]
    use serde::Serializer;

    use crate::decode::DecodeError;

    /// Writes the pairs as a JSON object.
    pub fn encode(pairs: &[(String, String)], out: &mut String) {
        out.push('{');
        for (name, value) in pairs {
            crate::encode::separator(out);
            crate::encode::string(out, name);
            out.push(':');
            crate::encode::string(out, value);
        }
        out.push('}');
    }

    /// Writes the pairs as a JSON object (for the tests' reference, and for
    /// the schemas' defaults).
    #[cfg(any(test, feature = "schema"))]
    pub fn serialize<S: Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (name, value) in pairs {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }

    /// Decodes a JSON object of string values into pairs, in order; a value
    /// that is not a string is named by its key.
    pub fn decode(value: &mut Value) -> Result<Vec<(String, String)>, DecodeError> {
        let fields = match value {
            Value::Object(fields) => fields,
            other => return Err(crate::decode::invalid_type(other, "an object of string values")),
        };
        fields
            .iter_mut()
            .map(|(name, value)| {
                let value = crate::decode::field(name, value)?;
                Ok((std::mem::take(name), value))
            })
            .collect()
    }

    /// Reads a JSON object of string values into pairs.
    #[cfg(test)]
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Vec<(String, String)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    pairs.push((name, value));
                }
                Ok(pairs)
            }
        }
        d.deserialize_map(PairsVisitor)
    }
}

/// As [`pairs_as_object`], for an object that may be left out: absent or
/// `null` is `None`, and `{}` is an empty list, which says "none" rather
/// than "not given".
pub mod optional_pairs_as_object {
    use crate::json_value::Value;
    #[cfg(any(test, feature = "schema"))]
    use serde::Serializer;
    #[cfg(test)]
    use serde::{Deserialize, Deserializer};

    use crate::decode::DecodeError;

    /// Writes the pairs as a JSON object, or `null`.
    pub fn encode(pairs: &Option<Vec<(String, String)>>, out: &mut String) {
        match pairs {
            Some(pairs) => super::pairs_as_object::encode(pairs, out),
            None => out.push_str("null"),
        }
    }

    /// Writes the pairs as a JSON object, or `null` (for the tests'
    /// reference, and for the schemas' defaults).
    #[cfg(any(test, feature = "schema"))]
    pub fn serialize<S: Serializer>(pairs: &Option<Vec<(String, String)>>, s: S) -> Result<S::Ok, S::Error> {
        match pairs {
            Some(pairs) => super::pairs_as_object::serialize(pairs, s),
            None => s.serialize_none(),
        }
    }

    /// Decodes a JSON object of string values, or `null`, into pairs.
    pub fn decode(value: &mut Value) -> Result<Option<Vec<(String, String)>>, DecodeError> {
        match value {
            Value::Null => Ok(None),
            other => super::pairs_as_object::decode(other).map(Some),
        }
    }

    /// Reads a JSON object of string values, or `null`, into pairs.
    #[cfg(test)]
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<(String, String)>>, D::Error> {
        #[derive(Deserialize)]
        struct Pairs(#[serde(with = "super::pairs_as_object")] Vec<(String, String)>);
        Ok(Option::<Pairs>::deserialize(d)?.map(|pairs| pairs.0))
    }
}

#[cfg(test)]
mod tests {
    /// The cases of each enum of [`wit_enums!`], in order: `(name, cases)`.
    macro_rules! enum_cases {
        ($(
            $(#[$meta:meta])*
            pub enum $name:ident { $( $(#[$case_meta:meta])* $case:ident ),* $(,)? }
        )*) => {
            [$( (stringify!($name), &[$(stringify!($case)),*][..]) ),*]
        };
    }

    /// `UpperCamel` as WIT writes names: `kebab-case`.
    fn kebab(name: &str) -> String {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    /// The cases of `enum name { ... }` in `wit`, in order (`%` escapes
    /// dropped, doc comments skipped).
    fn wit_cases(wit: &str, name: &str) -> Vec<String> {
        let head = format!("enum {name} {{");
        let start = wit
            .find(&head)
            .unwrap_or_else(|| panic!("no `{head}` in wit/types.wit"));
        wit[start + head.len()..]
            .lines()
            .map(str::trim)
            .take_while(|line| *line != "}")
            .filter(|line| !line.is_empty() && !line.starts_with("//"))
            .map(|line| line.trim_end_matches(',').trim_start_matches('%').to_owned())
            .collect()
    }

    /// The component lowers each enum to the number of its case in the
    /// order declared here, and lifts it back the same way: that order must
    /// be `wit/types.wit`'s, or a typed call would read `public-read` as
    /// another ACL without any error.
    #[test]
    fn enums_have_the_cases_of_the_wit_in_its_order() {
        let wit = include_str!("../wit/types.wit");
        for (name, cases) in wit_enums!(enum_cases) {
            let ours: Vec<String> = cases.iter().map(|case| kebab(case)).collect();
            assert_eq!(ours, wit_cases(wit, &kebab(name)), "enum {name}");
        }
    }

    /// Every item of the WIT (interface, world, type, field, case, function)
    /// has a `///` doc: the WIT is the contract hosts are written against,
    /// and its docs are their reference.
    #[test]
    fn every_wit_item_has_a_doc() {
        let files = [
            ("bodies.wit", include_str!("../wit/bodies.wit")),
            ("http-outgoing.wit", include_str!("../wit/http-outgoing.wit")),
            ("types.wit", include_str!("../wit/types.wit")),
            ("world.wit", include_str!("../wit/world.wit")),
        ];
        let mut undocumented = Vec::new();
        for (file, wit) in files {
            let mut documented = false;
            // Inside `use a.{...}` spread over several lines.
            let mut in_use = false;
            for (number, line) in wit.lines().enumerate() {
                let line = line.trim();
                let plain = line.is_empty()
                    || in_use
                    || line == "}"
                    || ["package ", "use ", "import ", "export ", "include "]
                        .iter()
                        .any(|keyword| line.starts_with(keyword));
                if line.starts_with("use ") || in_use {
                    in_use = !line.ends_with(';');
                }
                if line.starts_with("///") {
                    documented = true;
                    continue;
                }
                if !plain && !line.starts_with("//") && !documented {
                    undocumented.push(format!("{file}:{}: {line}", number + 1));
                }
                documented = false;
            }
        }
        assert!(
            undocumented.is_empty(),
            "items without a doc:\n{}",
            undocumented.join("\n")
        );
    }
}
