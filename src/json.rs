//! The JSON face: every operation behind one entry point that takes and
//! returns JSON, for platforms that pass each step's input as a JSON object.
//!
//! Field names are those of the connector this replaces (`bucket_name`,
//! `object_path`, `expires_seconds`, ...), which are the model's field names.
//! Every input error, from the JSON parser, from decoding or from the
//! operation's own validation, is an [`ErrorKind::InvalidInput`] whose
//! `field` is the JSON path of the field at fault (`bucket_name`,
//! `range.to`, `object_keys[2].key`), so a caller can point at it.
//!
//! [`ErrorKind::InvalidInput`]: crate::error::ErrorKind::InvalidInput

use std::borrow::Cow;

use crate::encode::to_json;
use crate::json_value::{Map, Value};
use time::OffsetDateTime;

use crate::client::{Client, InstanceState};
use crate::connection::Connection;
use crate::error::Error;
use crate::http::Transport;
use crate::ops::{Bodies, Invocation, Op, Operation};

/// What [`invoke`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvokeOutput {
    /// The result as a JSON object.
    pub json: String,
    /// Bytes that do not belong in JSON: the object read by `get-object`.
    pub body: Option<Vec<u8>>,
}

/// Runs `operation` (a name such as `list-objects`) with `input`, a JSON
/// object of that operation's fields; `body` is the content of
/// `put-object-file` and is refused by every other operation.
///
/// A blank `input` is taken as `{}`, for the operations that have no fields.
pub fn invoke(
    connection: &Connection,
    transport: &mut dyn Transport,
    state: &mut InstanceState,
    now: OffsetDateTime,
    operation: &str,
    input: &str,
    body: Option<Vec<u8>>,
) -> Result<InvokeOutput, Error> {
    let call = Call {
        operation,
        input: Cow::Borrowed(input),
        body,
        bodies: Attached::default(),
    };
    invoke_streamed(connection, transport, state, now, call)
}

/// Which host-held bodies a call has: the transport reads and writes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attached {
    /// An upload's source (`put-object-file`).
    pub source: bool,
    /// A download's sink (`get-object`).
    pub sink: bool,
}

/// One call of the JSON face.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    /// The operation's name.
    pub operation: &'a str,
    /// Its JSON input: the caller's text, or text handed over, which is
    /// freed as soon as it is parsed, so that a long one is not held beside
    /// the value read from it (and the body made from that) for the whole
    /// call.
    pub input: Cow<'a, str>,
    /// `put-object-file`'s bytes, in memory.
    pub body: Option<Vec<u8>>,
    /// The host-held bodies.
    pub bodies: Attached,
}

/// [`invoke`], where `put-object-file` may read its content from the
/// call's host-held source (one PUT or a multipart upload) and `get-object`
/// may write the object into its sink (the output then has no `body`).
pub fn invoke_streamed(
    connection: &Connection,
    transport: &mut dyn Transport,
    state: &mut InstanceState,
    now: OffsetDateTime,
    call: Call<'_>,
) -> Result<InvokeOutput, Error> {
    let Call {
        operation,
        input,
        body,
        bodies,
    } = call;
    let operation = Operation::from_name(operation.trim()).ok_or_else(|| unknown_operation(operation))?;
    let parsed = parse_object(&input)?;
    drop(input);
    let input = parsed;
    let mut client = Client {
        connection,
        transport,
        state,
        now,
        operation,
    };
    let mut invocation = Invocation {
        client: &mut client,
        body,
        source: bodies.source,
        sink: bodies.sink,
        returned: None,
    };
    // Every bucket operation says which region it was signed for: found by
    // itself with region `auto`, or corrected from a wrong one. One that
    // decides the region itself (Create Bucket) says it in its own output.
    let bucket = match input.get("bucket_name") {
        Some(Value::String(bucket)) if !operation.reports_region() => Some(bucket.clone()),
        _ => None,
    };
    // The output goes straight from its type to text, once: no `Value` in
    // between, for a 1000-key listing is a thousand objects. The input's
    // value is dropped once decoded.
    let mut json = operation.run_json(&mut invocation, input)?;
    let body = invocation.returned.take();
    if let Some(bucket) = bucket {
        append_field(&mut json, "region", &client.region_for(Some(&bucket)))?;
    }
    Ok(InvokeOutput { json, body })
}

/// Appends the field `name: value` to `object`, the compact text of a JSON
/// object, after its last field.
fn append_field(object: &mut String, name: &str, value: &str) -> Result<(), Error> {
    if !object.ends_with('}') {
        return Err(Error::invalid_response(format!(
            "output is not a JSON object, so it cannot take `{name}`"
        )));
    }
    object.pop();
    if object.len() > 1 {
        object.push(',');
    }
    for (text, end) in [(name, ':'), (value, '}')] {
        crate::encode::string(object, text);
        object.push(end);
    }
    Ok(())
}

/// Decodes `input` for `O`, checks the bodies the call brings against
/// those `O` takes, runs it and returns its output as JSON.
pub(crate) fn run_op<O: Op>(call: &mut Invocation<'_, '_>, mut input: Value) -> Result<String, Error> {
    check_bodies(O::NAME, O::BODIES, call)?;
    // The input's texts are moved out of the value, not copied; what is
    // left is not held beside the input for the run (100,000 keys to
    // delete are some 30 MB of values).
    let decoded: O::Input = decode(&mut input)?;
    drop(input);
    written(O::run(call, decoded))
}

/// `output` as JSON text, then dropped: not inlined, so that each output's
/// drop, and the match on its result, is not written out again in the JSON
/// face's dispatch.
#[inline(never)]
fn written<T: crate::encode::Output>(output: Result<T, Error>) -> Result<String, Error> {
    output.map(|output| to_json(&output))
}

/// Refuses the bodies a call brings that `operation` (which takes those of
/// `takes`) does not. Not generic, so that it is not written out once per
/// operation.
#[inline(never)]
fn check_bodies(operation: &str, takes: Bodies, call: &Invocation<'_, '_>) -> Result<(), Error> {
    let named = |pick: fn(Bodies) -> bool| -> String {
        let names: Vec<&str> = Operation::ALL
            .iter()
            .filter(|op| pick(op.bodies()))
            .map(|op| op.name())
            .collect();
        names.join("`, `")
    };
    if !takes.upload && call.body.as_ref().is_some_and(|b| !b.is_empty()) {
        let message = format!("`{operation}` takes no body; only `{}` does", named(|b| b.upload));
        return Err(Error::invalid_input("body", message));
    }
    if !takes.upload && call.source {
        let message = format!(
            "`{operation}` reads no source; only `{}` does",
            named(|b| b.upload)
        );
        return Err(Error::invalid_input("source", message));
    }
    if !takes.download && call.sink {
        let message = format!(
            "`{operation}` writes no sink; only `{}` does",
            named(|b| b.download)
        );
        return Err(Error::invalid_input("sink", message));
    }
    Ok(())
}

fn unknown_operation(name: &str) -> Error {
    let valid: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
    Error::invalid_input(
        "operation",
        format!(
            "`{name}` is not an operation; valid operations: {}",
            valid.join(", ")
        ),
    )
}

/// Parses the input text, which must be a JSON object (blank is `{}`).
fn parse_object(input: &str) -> Result<Value, Error> {
    if input.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let value = crate::json_value::parse(input).map_err(|e| {
        let message = if e.is_too_large() {
            format!(
                "holds {}, more than one call takes in memory: split it over several calls, or send \
                 an object's bytes from a host-held source",
                e.message
            )
        } else {
            format!("is not valid JSON: {e}")
        };
        Error::invalid_input("input", message)
    })?;
    if !value.is_object() {
        return Err(Error::invalid_input(
            "input",
            format!(
                "must be a JSON object of the operation's fields, not {}",
                kind_of(&value)
            ),
        ));
    }
    Ok(value)
}

/// How a JSON value is called in an error message.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes `input` into `T`; an error names the field at fault by its path.
fn decode<T: crate::decode::Decode>(input: &mut Value) -> Result<T, Error> {
    T::decode(input).map_err(input_error)
}

/// The invalid-input error for a decoding failure. Not inlined, so that it
/// is written once rather than in every operation's `decode`.
#[inline(never)]
fn input_error(error: crate::decode::DecodeError) -> Error {
    let field = if error.path.is_empty() {
        "input"
    } else {
        &error.path
    };
    Error::invalid_input(field, error.message())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{example_time, local_connection, FakeTransport};
    use crate::error::ErrorKind;
    use serde_json::{json, Value};

    /// Calls `invoke` over `transport` with the local test connection.
    fn call(
        transport: &mut FakeTransport,
        operation: &str,
        input: &str,
        body: Option<Vec<u8>>,
    ) -> Result<InvokeOutput, Error> {
        let mut state = InstanceState::default();
        invoke(
            &local_connection(),
            transport,
            &mut state,
            example_time(),
            operation,
            input,
            body,
        )
    }

    /// The field and message of the invalid-input error `operation` gives for
    /// `input`; asserts that nothing was sent.
    fn refused(operation: &str, input: &str, body: Option<Vec<u8>>) -> (String, String) {
        let mut transport = FakeTransport::default();
        let error = call(&mut transport, operation, input, body).unwrap_err();
        assert!(transport.sent.is_empty(), "a refused input must send nothing");
        match error.into_kind() {
            ErrorKind::InvalidInput { field, message } => (field, message),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    /// Runs `operation` against queued answers and parses the JSON output.
    /// Checks, then removes, the `region` that every bucket operation adds,
    /// so that each test below sees the operation's own fields.
    fn output(transport: &mut FakeTransport, operation: &str, input: &str, body: Option<Vec<u8>>) -> Value {
        let out = call(transport, operation, input, body).unwrap();
        let mut json: Value = serde_json::from_str(&out.json).unwrap();
        let region = json.as_object_mut().unwrap().remove("region");
        if input.contains("bucket_name") {
            assert_eq!(
                region,
                Some(json!("us-east-1")),
                "{operation} reports the region used"
            );
        } else {
            assert_eq!(region, None, "{operation} has no bucket, so no region");
        }
        json
    }

    /// The sorted field names of a JSON object.
    fn fields(value: &Value) -> Vec<&str> {
        let mut names: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn a_field_is_appended_after_the_last_escaped_and_to_an_empty_object() {
        let mut text = r#"{"a":"}\""}"#.to_owned();
        append_field(&mut text, "region", "eu-\"west").unwrap();
        assert_eq!(text, r#"{"a":"}\"","region":"eu-\"west"}"#);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["region"], "eu-\"west");
        let mut empty = "{}".to_owned();
        append_field(&mut empty, "region", "us-east-1").unwrap();
        assert_eq!(empty, r#"{"region":"us-east-1"}"#);
        let mut list = "[1]".to_owned();
        assert!(matches!(
            append_field(&mut list, "region", "x").map_err(Error::into_kind),
            Err(ErrorKind::InvalidResponse { .. })
        ));
    }

    #[test]
    fn unknown_operation_names_the_field_and_lists_the_valid_names() {
        let (field, message) = refused("list-object", "{}", None);
        assert_eq!(field, "operation");
        assert!(message.contains("`list-object`"), "{message}");
        assert!(
            message.contains("list-objects") && message.contains("delete-objects"),
            "{message}"
        );
    }

    #[test]
    fn a_field_given_twice_is_refused_by_name() {
        let input = r#"{"bucket_name": "bkt", "object_path": "a", "object_path": "b"}"#;
        let (field, message) = refused("head-object", input, None);
        assert_eq!(field, "input");
        assert_eq!(
            message,
            r#"is not valid JSON: the key "object_path" is given twice in one object at line 1 column 62"#
        );
    }

    #[test]
    fn malformed_json_is_refused_as_input_with_its_position() {
        let (field, message) = refused("list-objects", r#"{"bucket_name": "bkt",}"#, None);
        assert_eq!(field, "input");
        assert!(
            message.contains("not valid JSON") && message.contains("column"),
            "{message}"
        );
    }

    #[test]
    fn input_that_is_not_an_object_is_refused() {
        let (field, message) = refused("list-objects", r#"["b"]"#, None);
        assert_eq!(field, "input");
        assert!(message.contains("an array"), "{message}");
    }

    #[test]
    fn missing_field_is_named() {
        assert_eq!(refused("list-objects", "{}", None).0, "bucket_name");
        assert_eq!(refused("get-bucket-location", "{}", None).0, "bucket_name");
        let (field, _) = refused(
            "get-object-signed-url",
            r#"{"bucket_name": "bkt", "object_path": "k"}"#,
            None,
        );
        assert_eq!(field, "expires_seconds");
    }

    #[test]
    fn unknown_field_is_named_and_the_valid_ones_listed() {
        let (field, message) = refused("list-objects", r#"{"bucket_name": "bkt", "prefx": "a/"}"#, None);
        assert_eq!(field, "prefx");
        assert!(
            message.contains("prefix") && message.contains("max_keys"),
            "{message}"
        );
    }

    #[test]
    fn field_on_an_operation_without_fields_is_refused() {
        let (field, message) = refused("list-buckets", r#"{"bucket_name": "bkt"}"#, None);
        assert_eq!(field, "bucket_name");
        assert!(message.contains("no fields"), "{message}");
    }

    #[test]
    fn mistyped_field_is_named() {
        let input = r#"{"bucket_name": "bkt", "object_path": "k", "expires_seconds": "60"}"#;
        let (field, message) = refused("get-object-signed-url", input, None);
        assert_eq!(field, "expires_seconds");
        assert!(message.contains("u32"), "{message}");
        let (field, _) = refused("list-objects", r#"{"bucket_name": 7}"#, None);
        assert_eq!(field, "bucket_name");
    }

    #[test]
    fn nested_field_is_named_by_its_path() {
        let input = r#"{"bucket_name": "bkt", "object_path": "k", "range": {"from": 0, "too": 9}}"#;
        assert_eq!(refused("get-object", input, None).0, "range.too");
        let input = r#"{"bucket_name": "bkt", "object_path": "k", "range": {"to": 9}}"#;
        assert_eq!(refused("get-object", input, None).0, "range.from");
        let input = r#"{"bucket_name": "bkt", "object_keys": [{"key": "a"}, {"key": 5}]}"#;
        assert_eq!(refused("delete-objects", input, None).0, "object_keys[1].key");
    }

    #[test]
    fn unknown_acl_is_named() {
        let input = r#"{"bucket_name": "bkt", "object_path": "k", "acl": "world-writable"}"#;
        let (field, message) = refused("put-object-acl", input, None);
        assert_eq!(field, "acl");
        assert!(message.contains("public-read"), "{message}");
    }

    #[test]
    fn put_object_file_without_body_is_refused_as_content() {
        let (field, _) = refused(
            "put-object-file",
            r#"{"bucket_name": "bkt", "file_name": "a.txt"}"#,
            None,
        );
        assert_eq!(field, "content");
    }

    #[test]
    fn put_object_file_refuses_a_file_url() {
        let input =
            r#"{"bucket_name": "bkt", "file": {"name": "a.txt", "url": "https://example.com/a.txt"}}"#;
        let (field, message) = refused("put-object-file", input, Some(b"x".to_vec()));
        assert_eq!(field, "file.url");
        assert!(message.contains("body"), "{message}");
    }

    #[test]
    fn put_object_file_needs_a_name_or_a_path() {
        let (field, _) = refused(
            "put-object-file",
            r#"{"bucket_name": "bkt"}"#,
            Some(b"x".to_vec()),
        );
        assert_eq!(field, "file_name");
    }

    #[test]
    fn put_object_file_refuses_two_different_names() {
        let input = r#"{"bucket_name": "bkt", "file_name": "a.txt", "file": {"name": "b.txt"}}"#;
        assert_eq!(
            refused("put-object-file", input, Some(b"x".to_vec())).0,
            "file_name"
        );
    }

    #[test]
    fn body_is_refused_by_operations_that_take_none() {
        let input = r#"{"bucket_name": "bkt", "object_path": "k"}"#;
        assert_eq!(refused("head-object", input, Some(b"x".to_vec())).0, "body");
    }

    #[test]
    fn blank_input_is_an_empty_object() {
        assert_eq!(parse_object("  ").unwrap(), json!({}).into());
    }

    #[test]
    fn operation_validation_errors_use_json_field_names() {
        let (field, _) = refused(
            "head-object",
            r#"{"bucket_name": "Bad_Bucket", "object_path": "k"}"#,
            None,
        );
        assert_eq!(field, "bucket_name");
    }

    #[test]
    fn a_path_keeps_the_callers_text_after_the_field_name() {
        let long = "v".repeat(257);
        let input = json!({"bucket_name": "bkt", "object_path": "k", "tags": {"cost-centre": long}});
        let (field, _) = refused("put-object-tagging", &input.to_string(), None);
        assert_eq!(field, "tags.cost-centre");
        let input = r#"{"bucket_name": "bkt", "folder_path": "a//b"}"#;
        assert_eq!(refused("create-folder", input, None).0, "folder_path");
        let input = r#"{"bucket_name": "bkt", "folder_path": ""}"#;
        assert_eq!(refused("delete-folder", input, None).0, "folder_path");
    }

    // The output shapes below follow the old connector's published outputs.

    #[test]
    fn list_buckets_output_shape() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[],
            br#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>owner</ID><DisplayName>me</DisplayName></Owner>
  <Buckets>
    <Bucket><Name>alpha</Name><CreationDate>2024-05-01T12:00:00.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket>
  </Buckets>
</ListAllMyBucketsResult>"#,
        );
        let json = output(&mut transport, "list-buckets", "{}", None);
        assert_eq!(fields(&json), ["buckets"]);
        let bucket = &json["buckets"][0];
        assert_eq!(fields(bucket), ["creation_date", "name", "region"]);
        assert_eq!(bucket["name"], "alpha");
    }

    #[test]
    fn list_buckets_ddl_output_shape() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[],
            br#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Buckets><Bucket><Name>alpha</Name><CreationDate>2024-05-01T12:00:00.000Z</CreationDate></Bucket></Buckets>
</ListAllMyBucketsResult>"#,
        );
        let json = output(&mut transport, "list-buckets-ddl", "", None);
        assert_eq!(json, json!({ "result": [{ "text": "alpha", "value": "alpha" }] }));
    }

    #[test]
    fn list_objects_output_shape() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[],
            br#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix></Prefix><Delimiter>/</Delimiter><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Contents><Key>a.txt</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified><ETag>"abc"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>
  <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
</ListBucketResult>"#,
        );
        let json = output(
            &mut transport,
            "list-objects",
            r#"{"bucket_name": "bkt", "delimiter": "/"}"#,
            None,
        );
        assert_eq!(
            fields(&json),
            [
                "common_prefixes",
                "is_truncated",
                "next_continuation_token",
                "objects",
                "pages"
            ]
        );
        assert_eq!(
            fields(&json["objects"][0]),
            ["etag", "key", "last_modified", "size", "storage_class"]
        );
        assert_eq!(json["objects"][0]["key"], "a.txt");
        assert_eq!(json["objects"][0]["size"], 3);
        assert_eq!(json["common_prefixes"], json!(["dir/"]));
        assert_eq!(json["is_truncated"], false);
        assert_eq!(json["pages"], 1);
    }

    #[test]
    fn get_object_returns_metadata_a_presigned_file_and_the_bytes() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("etag", "\"5d41402abc4b2a76b9719d911017c592\""),
                ("last-modified", "Wed, 01 May 2024 12:00:00 GMT"),
            ],
            b"hello",
        );
        let out = call(
            &mut transport,
            "get-object",
            r#"{"bucket_name": "bkt", "object_path": "dir/a.txt"}"#,
            None,
        )
        .unwrap();
        assert_eq!(out.body.as_deref(), Some(&b"hello"[..]));
        assert_eq!(transport.sent.len(), 1, "the URL is made locally");
        let json: Value = serde_json::from_str(&out.json).unwrap();
        assert_eq!(fields(&json), ["file", "metadata", "region"]);
        assert_eq!(json["metadata"]["content_type"], "text/plain");
        assert_eq!(fields(&json["file"]), ["expires", "mime_type", "name", "url"]);
        assert_eq!(json["file"]["name"], "a.txt");
        assert_eq!(json["file"]["mime_type"], "text/plain");
        let expires = example_time().unix_timestamp() + i64::from(crate::ops::get_object::URL_SECONDS);
        assert_eq!(json["file"]["expires"], expires);
        let url = json["file"]["url"].as_str().unwrap();
        assert!(url.starts_with("http://127.0.0.1:9000/bkt/dir/a.txt?"), "{url}");
        assert!(url.contains("X-Amz-Expires=3600"), "{url}");
    }

    #[test]
    fn get_object_signed_url_output_shape() {
        let mut transport = FakeTransport::default();
        let input = r#"{"bucket_name": "bkt", "object_path": "a.txt", "expires_seconds": 60,
                        "response_content_type": "text/csv"}"#;
        let json = output(&mut transport, "get-object-signed-url", input, None);
        assert!(transport.sent.is_empty(), "a presigned URL is made locally");
        assert_eq!(fields(&json), ["file"]);
        let file = &json["file"];
        assert_eq!(
            fields(file),
            ["expires", "method", "mime_type", "name", "signed_headers", "url"]
        );
        assert_eq!(file["name"], "a.txt");
        assert_eq!(file["mime_type"], "text/csv");
        assert_eq!(file["method"], "GET");
        assert_eq!(file["expires"], example_time().unix_timestamp() + 60);
        assert!(file["signed_headers"].is_object());
    }

    #[test]
    fn get_bucket_location_output_shape() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[],
            br#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">us-west-2</LocationConstraint>"#,
        );
        let json = output(
            &mut transport,
            "get-bucket-location",
            r#"{"bucket_name": "bkt"}"#,
            None,
        );
        assert_eq!(json, json!({ "result": "us-west-2" }));
    }

    #[test]
    fn an_operation_that_decides_the_region_says_it_itself() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("location", "http://new-bucket.s3.amazonaws.com/")], b"");
        let input = r#"{"bucket_name": "new-bucket", "region": "eu-west-1"}"#;
        let out = call(&mut transport, "create-bucket", input, None).unwrap();
        let json: Value = serde_json::from_str(&out.json).unwrap();
        assert_eq!(
            json,
            json!({
                "bucket_name": "new-bucket",
                "location": "http://new-bucket.s3.amazonaws.com/",
                "region": "eu-west-1"
            })
        );
    }

    #[test]
    fn head_bucket_answers_a_missing_bucket() {
        let mut transport = FakeTransport::default();
        transport.answer(404, &[], b"");
        let json = output(&mut transport, "head-bucket", r#"{"bucket_name": "bkt"}"#, None);
        assert_eq!(json, json!({ "exists": false, "access": "allowed" }));
    }

    #[test]
    fn head_object_output_is_the_metadata() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("x-amz-meta-owner", "ann"),
            ],
            b"",
        );
        let json = output(
            &mut transport,
            "head-object",
            r#"{"bucket_name": "bkt", "object_path": "a.txt"}"#,
            None,
        );
        assert_eq!(
            fields(&json),
            [
                "content_length",
                "content_range",
                "content_type",
                "etag",
                "last_modified",
                "metadata",
                "storage_class",
                "version_id"
            ]
        );
        assert_eq!(json["content_length"], 5);
        assert_eq!(json["metadata"], json!({ "owner": "ann" }));
    }

    #[test]
    fn put_object_text_output_shape() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("etag", "\"abc\"")], b"");
        let input = r#"{"bucket_name": "bkt", "object_path": "a.txt", "content": "hello"}"#;
        let json = output(&mut transport, "put-object-text", input, None);
        assert_eq!(
            json,
            json!({ "key": "a.txt", "etag": "\"abc\"", "version_id": null })
        );
    }

    #[test]
    fn put_object_file_sends_the_body_and_returns_the_key() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("etag", "\"abc\"")], b"");
        let input = r#"{"bucket_name": "bkt", "file": {"name": "a.bin", "mime_type": "application/x-demo"}}"#;
        let json = output(&mut transport, "put-object-file", input, Some(vec![0, 1, 2]));
        assert_eq!(
            json,
            json!({ "key": "a.bin", "etag": "\"abc\"", "version_id": null })
        );
        let sent = &transport.sent[0];
        assert_eq!(sent.body, [0, 1, 2]);
        assert_eq!(sent.header("content-type"), Some("application/x-demo"));
    }

    #[test]
    fn put_object_acl_output_is_success() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[], b"");
        let input = r#"{"bucket_name": "bkt", "object_path": "a.txt", "acl": "public-read"}"#;
        assert_eq!(
            output(&mut transport, "put-object-acl", input, None),
            json!({ "success": true })
        );
    }

    #[test]
    fn delete_object_output_shape() {
        let mut transport = FakeTransport::default();
        transport.answer(204, &[], b"");
        let input = r#"{"bucket_name": "bkt", "object_path": "a.txt"}"#;
        let json = output(&mut transport, "delete-object", input, None);
        assert_eq!(
            json,
            json!({ "success": true, "version_id": null, "delete_marker": false })
        );
    }

    #[test]
    fn delete_objects_reports_each_key_and_the_counts() {
        let mut transport = FakeTransport::default();
        transport.answer(
            200,
            &[],
            br#"<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted><Key>a</Key></Deleted>
  <Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
</DeleteResult>"#,
        );
        let input = r#"{"bucket_name": "bkt", "object_keys": [{"key": "a"}, {"Key": "b"}]}"#;
        let json = output(&mut transport, "delete-objects", input, None);
        assert_eq!(json["deleted"], 1);
        assert_eq!(json["failed"], 1);
        assert_eq!(
            json["results"],
            json!([
                { "key": "a", "version_id": null, "delete_marker": false, "deleted": true, "error": null },
                { "key": "b", "version_id": null, "delete_marker": false, "deleted": false,
                  "error": { "code": "access-denied", "message": "Access Denied" } },
            ])
        );
    }

    /// Calls `invoke_streamed` with the host-held bodies the transport has.
    fn call_streamed(
        transport: &mut FakeTransport,
        operation: &str,
        input: &str,
    ) -> Result<InvokeOutput, Error> {
        let bodies = Attached {
            source: transport.source.is_some(),
            sink: transport.sink.is_some(),
        };
        let mut state = InstanceState::default();
        invoke_streamed(
            &local_connection(),
            transport,
            &mut state,
            example_time(),
            Call {
                operation,
                input: input.into(),
                body: None,
                bodies,
            },
        )
    }

    #[test]
    fn put_object_file_streams_from_the_source_with_its_upload_options() {
        let mut t = FakeTransport::with_source(b"streamed".to_vec());
        t.answer(200, &[("etag", "\"e\"")], b"");
        let input = r#"{"bucket_name": "bucket", "file_name": "a.bin", "payload_signing": "unsigned",
            "content_md5": true}"#;
        let out = call_streamed(&mut t, "put-object-file", input).unwrap();
        let json: Value = serde_json::from_str(&out.json).unwrap();
        assert_eq!(json["key"], "a.bin");
        assert!(json.get("parts").is_none(), "one PUT has no parts: {json}");
        assert_eq!(t.sent_from, vec![Some((0, 8))]);
        assert_eq!(
            t.sent[0].header("x-amz-content-sha256"),
            Some(crate::sigv4::UNSIGNED_PAYLOAD)
        );
        assert!(t.sent[0].header("content-md5").is_some());
    }

    #[test]
    fn get_object_streams_into_the_sink_and_returns_no_body() {
        let mut t = FakeTransport::with_sink();
        t.answer(200, &[("content-length", "5"), ("etag", "\"e\"")], b"hello");
        let out = call_streamed(
            &mut t,
            "get-object",
            r#"{"bucket_name": "bucket", "object_path": "k"}"#,
        )
        .unwrap();
        assert_eq!(out.body, None);
        assert_eq!(t.sink.as_deref(), Some(&b"hello"[..]));
        let json: Value = serde_json::from_str(&out.json).unwrap();
        assert_eq!(json["metadata"]["content_length"], 5);
    }

    #[test]
    fn bodies_are_refused_by_operations_that_take_none() {
        let mut t = FakeTransport::with_source(b"x".to_vec());
        let error = call_streamed(
            &mut t,
            "head-object",
            r#"{"bucket_name": "bucket", "object_path": "k"}"#,
        );
        assert!(matches!(
            error.map_err(Error::into_kind),
            Err(ErrorKind::InvalidInput { ref field, .. }) if field == "source"
        ));
        let mut t = FakeTransport::with_sink();
        let error = call_streamed(
            &mut t,
            "put-object-text",
            r#"{"bucket_name": "bucket", "object_path": "k", "content": "x"}"#,
        );
        assert!(matches!(
            error.map_err(Error::into_kind),
            Err(ErrorKind::InvalidInput { ref field, .. }) if field == "sink"
        ));
        assert!(t.sent.is_empty());
    }

    #[test]
    fn upload_option_errors_use_json_field_names() {
        let mut t = FakeTransport::with_source(b"x".to_vec());
        let input = r#"{"bucket_name": "bucket", "file_name": "a", "part_size": 1}"#;
        let error = call_streamed(&mut t, "put-object-file", input).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidInput { field, .. } if field == "part_size"),
            "{error:?}"
        );
        let input = r#"{"bucket_name": "bucket", "file_name": "a", "payload_signing": "sometimes"}"#;
        let error = call_streamed(&mut t, "put-object-file", input).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidInput { field, .. } if field == "payload_signing"),
            "{error:?}"
        );
        // Without a source the options have no meaning, and are refused as unknown.
        let (field, _) = refused(
            "put-object-file",
            r#"{"bucket_name": "bucket", "file_name": "a", "part_size": 5242880}"#,
            Some(vec![1]),
        );
        assert_eq!(field, "part_size");
    }
}
