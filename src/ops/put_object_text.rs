//! Put Object (Text): UTF-8 text with a mime type, in one PUT.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>
//!
//! The request itself is built by [`crate::ops::put_object`],
//! which Put Object (File) shares.

use crate::encode::Encode;

use crate::decode::Decode;

use crate::error::Error;
use crate::http::OpRequest;
use crate::model::{pairs_as_object, CannedAcl, PutObjectOutput, PutObjectTextInput};
use crate::ops::write_options::put_input;
use crate::ops::{put_object, Invocation, Op};

put_input! {
    /// The JSON input of Put Object (Text): the text and how to store it.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Decode, Encode)]
    #[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    #[serde(deny_unknown_fields)]
    pub struct PutObjectTextJson {
        /// The bucket.
        pub bucket_name: String,
        /// The key.
        pub object_path: String,
        /// The text, stored as UTF-8.
        pub content: String,
        /// Mime type (default `text/plain`; `charset=utf-8` is added when no
        /// charset is given).
        #[serde(default)]
        pub mime_type: Option<String>,
        /// Canned ACL.
        #[serde(default)]
        pub acl: Option<CannedAcl>,
        /// User metadata (`x-amz-meta-*`), printable ASCII.
        #[serde(default, with = "pairs_as_object")]
        #[cfg_attr(feature = "schema", schemars(with = "std::collections::BTreeMap<String, String>"))]
        pub metadata: Vec<(String, String)>,
    }
}

/// Put Object (Text).
pub struct PutObjectText;

impl Op for PutObjectText {
    type Input = PutObjectTextJson;
    type Output = PutObjectOutput;
    const NAME: &'static str = "put-object-text";
    const TITLE: &'static str = "Put Object (Text)";
    const DESCRIPTION: &'static str = "Writes UTF-8 text as an object, with a mime type \
        (`text/plain` by default), an optional canned ACL and user metadata.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:PutObject", "s3:PutObjectAcl"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str =
        r#"{"bucket_name": "my-bucket", "object_path": "notes/hello.txt", "content": "Hello, world"}"#;

    fn permission(request: &OpRequest) -> &'static str {
        put_object::put_permission(request)
    }

    fn run(call: &mut Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        let write = input.write_options();
        let text = PutObjectTextInput {
            bucket_name: input.bucket_name,
            object_path: input.object_path,
            content: input.content,
            mime_type: input.mime_type,
            acl: input.acl,
            metadata: input.metadata,
        };
        put_object::run_text(call.client, text, &write)
    }
}
