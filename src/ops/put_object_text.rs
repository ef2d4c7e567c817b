//! Put Object (Text): UTF-8 text with a mime type, in one PUT.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>
//!
//! The request itself is built by [`put_object`](crate::ops::put_object),
//! which Put Object (File) shares.

use crate::error::Error;
use crate::http::OpRequest;
use crate::model::{PutObjectOutput, PutObjectTextInput};
use crate::ops::{put_object, Invocation, Op};

/// Put Object (Text).
pub struct PutObjectText;

impl Op for PutObjectText {
    type Input = PutObjectTextInput;
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
        put_object::run_text(call.client, &input)
    }
}
