//! One module per operation. Each builds its unsigned [`OpRequest`]
//! (`request`, which validates the input first) and parses a successful
//! [`HttpResponse`] (`parse`). Errors answered by S3 are handled by the
//! client, not here.
//!
//! [`OpRequest`]: crate::http::OpRequest
//! [`HttpResponse`]: crate::http::HttpResponse

pub mod get_object_to;
pub mod multipart;
pub mod object;
pub mod put_object;
pub mod put_object_stream;
pub mod write_options;

use crate::decode::Decode;
use crate::encode::Encode;

use crate::client::Client;
use crate::error::Error;
use crate::http::OpRequest;

/// The derive a JSON input or output needs for the manifest's schemas:
/// `schemars::JsonSchema` where the `schema` feature builds them (natively,
/// never in the component), nothing otherwise.
#[cfg(feature = "schema")]
pub use schemars::JsonSchema as Schema;

/// The derive a JSON input or output needs for the manifest's schemas
/// (none without the `schema` feature).
#[cfg(not(feature = "schema"))]
pub trait Schema {}
#[cfg(not(feature = "schema"))]
impl<T: ?Sized> Schema for T {}

/// The bodies that travel beside an operation's JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bodies {
    /// Bytes to send: in memory (the call's `body`) or a host-held source.
    pub upload: bool,
    /// Bytes received: returned beside the JSON, or into a host-held sink.
    pub download: bool,
}

/// One call of an operation through the JSON face: the client, and the
/// bodies that travel beside the JSON.
pub struct Invocation<'c, 'a> {
    /// Runs the operation's requests.
    pub client: &'c mut Client<'a>,
    /// The upload's bytes, when the caller passed them in memory.
    pub body: Option<Vec<u8>>,
    /// The call has a host-held source to upload from.
    pub source: bool,
    /// The call has a host-held sink to download into.
    pub sink: bool,
    /// Bytes returned beside the JSON output (an object read into memory).
    pub returned: Option<Vec<u8>>,
}

/// An operation of the connector: what the manifest says of it, its JSON
/// input and output, and how it runs. Each module under `ops/` that is an
/// operation implements it for a unit struct named after the operation, and
/// the `registry!` line for that struct derives the rest: the
/// [`Operation`] case, its name, the JSON dispatch, the IAM permissions and
/// the manifest entry.
pub trait Op {
    /// The JSON input: snake-case fields, unknown ones refused.
    type Input: Decode + Schema;
    /// The JSON output (the face adds `region` where the input names a bucket).
    type Output: crate::encode::Output + Schema;
    /// The WIT and CLI name: `list-objects`.
    const NAME: &'static str;
    /// The display name, as the connector this replaces called it.
    const TITLE: &'static str;
    /// What it does, in a sentence or two, for a platform's UI.
    const DESCRIPTION: &'static str;
    /// Its page in the Amazon S3 API Reference.
    const REFERENCE: &'static str;
    /// Every IAM permission it may need, the usual one first.
    const PERMISSIONS: &'static [&'static str];
    /// Running it twice with the same input has the effect of running it once.
    const IDEMPOTENT: bool;
    /// An example input (JSON), valid against the input's schema.
    const EXAMPLE: &'static str;
    /// The bodies it takes; every other operation refuses them.
    const BODIES: Bodies = Bodies {
        upload: false,
        download: false,
    };
    /// Its output has a `region` field of its own. Every other bucket
    /// operation's output gets the region its requests were signed for
    /// added by the JSON face. (A test checks this against the output's
    /// schema.)
    const REPORTS_REGION: bool = false;

    /// The permission `request`, sent for this operation, needs: what an
    /// access-denied error names. The first of [`Op::PERMISSIONS`] unless
    /// the request says otherwise (a version id, an ACL header).
    fn permission(request: &OpRequest) -> &'static str {
        let _ = request;
        Self::PERMISSIONS.first().copied().unwrap_or("")
    }

    /// Runs it.
    fn run(call: &mut Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error>;
}

/// The input of an operation that has no fields: `{}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

/// The output of an operation that returns nothing but success.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Success {
    /// Always true: a failure is an error instead.
    pub success: bool,
}

/// `versioned` when `request` names a version (`versionId`), else `plain`:
/// S3 checks a different permission for a version.
pub fn versioned(request: &OpRequest, plain: &'static str, versioned: &'static str) -> &'static str {
    if request.query.iter().any(|(name, _)| name == "versionId") {
        versioned
    } else {
        plain
    }
}

/// Sorts `names` (bucket names, permissions) byte-wise, with std's stable
/// sort: built from source with `optimize_for_size` (the Makefile), it is
/// smaller in the component than the merge sort the connector had of its
/// own.
pub fn sort_names(names: &mut [&str]) {
    names.sort();
}

/// Declares the operations, one line each (`module::Type,` where `Type`
/// implements [`Op`] in `ops/module.rs`), and derives the [`Operation`]
/// enum and its table of names, permissions and JSON dispatch.
macro_rules! registry {
    ($($module:ident :: $op:ident,)*) => {
        $(pub mod $module;)*

        /// The connector's operations, in the order the manifest and the
        /// README list them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Operation {
            $(
                #[doc = concat!("[`", stringify!($module), "::", stringify!($op), "`]")]
                $op,
            )*
        }

        impl Operation {
            /// Every operation, in the manifest's order.
            pub const ALL: &'static [Operation] = &[$(Operation::$op),*];

            /// The WIT (and CLI) name: `list-objects`.
            pub fn name(self) -> &'static str {
                match self { $(Operation::$op => <$module::$op as Op>::NAME,)* }
            }

            /// The display name: `List Bucket Objects`.
            pub fn title(self) -> &'static str {
                match self { $(Operation::$op => <$module::$op as Op>::TITLE,)* }
            }

            /// What it does.
            pub fn description(self) -> &'static str {
                match self { $(Operation::$op => <$module::$op as Op>::DESCRIPTION,)* }
            }

            /// Its page in the Amazon S3 API Reference.
            pub fn reference(self) -> &'static str {
                match self { $(Operation::$op => <$module::$op as Op>::REFERENCE,)* }
            }

            /// Every IAM permission it may need (the README's table).
            pub fn required_permissions(self) -> &'static [&'static str] {
                match self { $(Operation::$op => <$module::$op as Op>::PERMISSIONS,)* }
            }

            /// Running it twice has the effect of running it once.
            pub fn idempotent(self) -> bool {
                match self { $(Operation::$op => <$module::$op as Op>::IDEMPOTENT,)* }
            }

            /// An example input.
            pub fn example(self) -> &'static str {
                match self { $(Operation::$op => <$module::$op as Op>::EXAMPLE,)* }
            }

            /// The bodies it takes.
            pub fn bodies(self) -> Bodies {
                match self { $(Operation::$op => <$module::$op as Op>::BODIES,)* }
            }

            /// Its output has a `region` field of its own.
            pub fn reports_region(self) -> bool {
                match self { $(Operation::$op => <$module::$op as Op>::REPORTS_REGION,)* }
            }

            /// The IAM permission `request`, sent for this operation, needs:
            /// what an access-denied error names.
            pub fn required_permission(self, request: &OpRequest) -> String {
                match self { $(Operation::$op => <$module::$op as Op>::permission(request),)* }.to_owned()
            }

            /// Decodes `input` for this operation (and drops it), runs it and
            /// returns its output as JSON text (compact, fields in declaration
            /// order).
            pub(crate) fn run_json(
                self,
                call: &mut Invocation<'_, '_>,
                input: crate::json_value::Value,
            ) -> Result<String, Error> {
                match self { $(Operation::$op => crate::json::run_op::<$module::$op>(call, input),)* }
            }

            /// Where decoding `input` for this operation with [`Decode`]
            /// differs from serde's derive, the tests' reference.
            ///
            /// [`Decode`]: crate::decode::Decode
            #[cfg(test)]
            pub(crate) fn decodings_differ(self, input: &serde_json::Value) -> Option<String> {
                match self {
                    $(Operation::$op => crate::decode::tests::differ::<<$module::$op as Op>::Input>(input),)*
                }
            }

            /// Where [`Encode`] writes `output`, an output of this operation
            /// as serde's derive reads it, differently from serde_json's
            /// text of it; or why serde could not read it.
            ///
            /// [`Encode`]: crate::encode::Encode
            #[cfg(all(test, feature = "schema"))]
            pub(crate) fn encodings_differ(self, output: &serde_json::Value) -> Option<String> {
                match self {
                    $(Operation::$op => crate::encode::tests::differ::<<$module::$op as Op>::Output>(output),)*
                }
            }

            /// The error of decoding `input` for this operation, if any.
            #[cfg(test)]
            pub(crate) fn decode_error(self, input: &serde_json::Value) -> Option<crate::decode::DecodeError> {
                match self {
                    $(Operation::$op => {
                        <<$module::$op as Op>::Input as crate::decode::Decode>::decode(&mut input.into()).err()
                    })*
                }
            }

            /// The JSON Schemas (2020-12) of the input and the output.
            #[cfg(feature = "schema")]
            pub fn schemas(self) -> (schemars::Schema, schemars::Schema) {
                match self {
                    $(Operation::$op => (
                        schemars::schema_for!(<$module::$op as Op>::Input),
                        schemars::schema_for!(<$module::$op as Op>::Output),
                    ),)*
                }
            }
        }
    };
}

/// Calls `$m!` with the registry: one line per operation, `module::Type,`
/// in the manifest's order. [`registry!`] makes the [`Operation`] enum and
/// its tables from it, and the component glue maps each case to the WIT
/// `operation-name` of the same name, so the compiler insists that the WIT
/// declares every operation.
macro_rules! for_each_operation {
    ($m:ident) => {
        $m! {
            list_buckets::ListBuckets,
            list_buckets_ddl::ListBucketsDdl,
            list_objects::ListObjects,
            list_object_versions::ListObjectVersions,
            get_object::GetObject,
            get_object_signed_url::GetObjectSignedUrl,
            get_bucket_location::GetBucketLocation,
            create_bucket::CreateBucket,
            head_bucket::HeadBucket,
            delete_bucket::DeleteBucket,
            head_object::HeadObject,
            put_object_text::PutObjectText,
            put_object_file::PutObjectFile,
            put_object_acl::PutObjectAcl,
            copy_object::CopyObject,
            get_object_tagging::GetObjectTagging,
            put_object_tagging::PutObjectTagging,
            delete_object_tagging::DeleteObjectTagging,
            delete_object::DeleteObject,
            delete_objects::DeleteObjects,
            create_folder::CreateFolder,
            list_folders::ListFolders,
            delete_folder::DeleteFolder,
            list_multipart_uploads::ListMultipartUploads,
            abort_multipart_upload::AbortMultipartUpload,
            presign_post::PresignPost,
            test_connection::TestConnection,
        }
    };
}
#[allow(unused_imports)] // the component glue's
pub(crate) use for_each_operation;

for_each_operation!(registry);

impl Operation {
    /// Looks an operation up by its WIT name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|op| op.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::{sort_names, Operation};

    #[test]
    fn names_sort_as_the_standard_sort_sorts_them() {
        let words: Vec<String> = (0..300).map(|i| format!("b{}", (i * 7919) % 211)).collect();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for length in (0..40).chain([299, 300]) {
            // Shuffled (with repeats), sorted and reversed.
            let mut shuffled: Vec<&str> = words[..length].iter().map(String::as_str).collect();
            for at in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(at, (state % (at as u64 + 1)) as usize);
            }
            let mut expected = shuffled.clone();
            expected.sort_unstable();
            let mut reversed = expected.clone();
            reversed.reverse();
            for mut names in [shuffled, expected.clone(), reversed] {
                sort_names(&mut names);
                assert_eq!(names, expected, "{length} names");
            }
        }
        let mut mixed = vec!["é", "Z", "a", "", "a", "A", "😀", "aa"];
        sort_names(&mut mixed);
        assert_eq!(mixed, ["", "A", "Z", "a", "a", "aa", "é", "😀"]);
    }
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
