//! Presign POST: a browser upload form. The form posts a file straight to
//! S3, under a policy the connector signs: which key (or key prefix), how
//! large, which content type, until when.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>
//! and <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html>:
//! the policy is JSON, sent Base64-encoded in the form's `policy` field;
//! the signature is the HMAC of that Base64 text with the day's signing
//! key. Nothing is sent to S3 (but the probe that finds a bucket's region
//! on AWS, as for presigned URLs).

use crate::encode::Encode;

use crate::decode::Decode;

use crate::error::Error;
use crate::http::{Method, OpRequest};
use crate::model::{pairs_as_object, CannedAcl};
use crate::ops::{Invocation, Op};
use crate::sigv4::string_to_sign::{amz_date, scope};
use crate::validate;

/// The JSON input of Presign POST.
#[derive(Clone, Debug, Default, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PresignPostInput {
    /// The bucket.
    pub bucket_name: String,
    /// The exact key the upload is stored under. Give this or `key_prefix`.
    #[serde(default)]
    pub object_path: Option<String>,
    /// Any key starting with this; the form's `key` is the prefix followed
    /// by `${filename}`, which S3 replaces with the uploaded file's name.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Validity, 1 to 604800 seconds (seven days).
    pub expires_seconds: u32,
    /// The exact `Content-Type` the upload must have (sent as a form field).
    #[serde(default)]
    pub content_type: Option<String>,
    /// A prefix the upload's `Content-Type` must start with (`image/`).
    #[serde(default)]
    pub content_type_prefix: Option<String>,
    /// The smallest upload accepted, in bytes (default 0).
    #[serde(default)]
    pub min_size: Option<u64>,
    /// The largest upload accepted, in bytes.
    #[serde(default)]
    pub max_size: Option<u64>,
    /// The canned ACL the object gets.
    #[serde(default)]
    pub acl: Option<CannedAcl>,
}

/// The JSON output of Presign POST: post `fields`, then the file as the
/// last field named `file`, as `multipart/form-data` to `url`.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PresignPostOutput {
    /// Where the form posts: the bucket's URL.
    pub url: String,
    /// The form's fields, in order.
    #[serde(with = "pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub fields: Vec<(String, String)>,
    /// Unix time at which the policy expires.
    pub expires: u64,
}

/// Presign POST.
pub struct PresignPost;

impl Op for PresignPost {
    type Input = PresignPostInput;
    type Output = PresignPostOutput;
    const NAME: &'static str = "presign-post";
    const TITLE: &'static str = "Presign POST";
    const DESCRIPTION: &'static str = "A browser upload form: a URL and signed fields that let a browser \
        post one file straight to S3, under a key or key prefix, with size and content-type limits.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:PutObject", "s3:PutObjectAcl"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "key_prefix": "uploads/", "expires_seconds": 600, "content_type_prefix": "image/", "max_size": 10485760}"#;

    fn run(call: &mut Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        let key = validate_input(&input)?;
        let client = &mut *call.client;
        let probe_key = input
            .object_path
            .as_deref()
            .or(input.key_prefix.as_deref())
            .unwrap_or("");
        let region = client.presign_region(&input.bucket_name, probe_key);
        let url = client
            .connection
            .address(
                &OpRequest::new(Method::Post, Some(&input.bucket_name), None),
                &region,
            )
            .url();
        let context = client.signing_context(&region);
        let signing_key = client.state.signing_key(&context);
        let now = client.now;
        let unix_now = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        // Never valid longer than the credentials that sign it.
        let seconds = client
            .connection
            .credentials
            .validity(unix_now, input.expires_seconds)?;
        let cannot_be_written = || Error::invalid_input("expires_seconds", "cannot be written as a date");
        let expires_at = now
            .checked_add(time::Duration::seconds(i64::from(seconds)))
            .ok_or_else(cannot_be_written)?;
        let credential = format!(
            "{}/{}",
            client.connection.credentials.access_key,
            scope(now, &region, "s3")
        );
        let token = client
            .connection
            .credentials
            .session_token
            .as_ref()
            .map(|t| t.expose().to_owned());
        let date = amz_date(now);
        let (fields, policy) = form(&input, &key, &credential, &date, token.as_deref());
        // ISO 8601 with milliseconds, as AWS's own policies write it.
        let expiration = crate::date::policy_expiration(expires_at).ok_or_else(cannot_be_written)?;
        let policy = policy_document(&expiration, &policy);
        let encoded = crate::base64::encode(policy.as_bytes());
        let signature = signing_key.sign(&encoded);
        let mut fields = fields;
        fields.push(("policy".to_owned(), encoded));
        fields.push(("x-amz-signature".to_owned(), signature));
        Ok(PresignPostOutput {
            url,
            fields,
            expires: u64::try_from(expires_at.unix_timestamp()).unwrap_or(0),
        })
    }
}

/// Checks the input; the form's `key` field.
fn validate_input(input: &PresignPostInput) -> Result<String, Error> {
    validate::bucket_name(&input.bucket_name)?;
    validate::expires_seconds(input.expires_seconds)?;
    let key = match (&input.object_path, &input.key_prefix) {
        (Some(path), None) => {
            validate::object_key("object_path", path)?;
            path.clone()
        }
        (None, Some(prefix)) => {
            validate::header_text("key_prefix", prefix)?;
            format!("{prefix}${{filename}}")
        }
        (Some(_), Some(_)) => {
            return Err(Error::invalid_input(
                "key_prefix",
                "cannot be given with `object_path`: give the exact key or a prefix",
            ))
        }
        (None, None) => {
            return Err(Error::invalid_input(
                "object_path",
                "is missing: give the exact key, or `key_prefix` for any key under it",
            ))
        }
    };
    if input.content_type.is_some() && input.content_type_prefix.is_some() {
        return Err(Error::invalid_input(
            "content_type_prefix",
            "cannot be given with `content_type`: give the exact type or a prefix",
        ));
    }
    if let Some(mime) = &input.content_type {
        validate::mime_type(mime).map_err(|_| Error::invalid_input("content_type", "is not a mime type"))?;
    }
    if let Some(prefix) = &input.content_type_prefix {
        validate::header_text("content_type_prefix", prefix)?;
    }
    if let (Some(min), Some(max)) = (input.min_size, input.max_size) {
        if min > max {
            return Err(Error::invalid_input(
                "min_size",
                format!("is {min}, over `max_size` ({max})"),
            ));
        }
    }
    Ok(key)
}

/// One condition of the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Condition<'a> {
    /// `{"name": "value"}`: the field is exactly this.
    Equals(&'a str, &'a str),
    /// `["starts-with", "$name", "prefix"]`: the field starts with this.
    StartsWith(&'a str, &'a str),
    /// `["content-length-range", min, max]`: the file's size, inclusive.
    LengthRange(u64, u64),
}

/// The form's fields (before the policy and signature) and the policy's
/// conditions, each field matched by a condition.
fn form<'a>(
    input: &'a PresignPostInput,
    key: &'a str,
    credential: &'a str,
    date: &'a str,
    token: Option<&'a str>,
) -> (Vec<(String, String)>, Vec<Condition<'a>>) {
    use Condition::{Equals, LengthRange, StartsWith};
    let mut fields: Vec<(String, String)> = vec![("key".to_owned(), key.to_owned())];
    let mut conditions = vec![Equals("bucket", &input.bucket_name)];
    match &input.key_prefix {
        Some(prefix) => conditions.push(StartsWith("$key", prefix)),
        None => conditions.push(Equals("key", key)),
    }
    if let Some(acl) = input.acl {
        fields.push(("acl".to_owned(), acl.as_str().to_owned()));
        conditions.push(Equals("acl", acl.as_str()));
    }
    if let Some(mime) = &input.content_type {
        fields.push(("Content-Type".to_owned(), mime.clone()));
        conditions.push(Equals("Content-Type", mime));
    }
    if let Some(prefix) = &input.content_type_prefix {
        conditions.push(StartsWith("$Content-Type", prefix));
    }
    if input.min_size.is_some() || input.max_size.is_some() {
        let min = input.min_size.unwrap_or(0);
        let max = input.max_size.unwrap_or(crate::ops::multipart::MAX_PART_SIZE);
        conditions.push(LengthRange(min, max));
    }
    let signing = [
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", credential),
        ("x-amz-date", date),
    ];
    for (name, value) in signing {
        fields.push((name.to_owned(), value.to_owned()));
        conditions.push(Equals(name, value));
    }
    if let Some(token) = token {
        fields.push(("x-amz-security-token".to_owned(), token.to_owned()));
        conditions.push(Equals("x-amz-security-token", token));
    }
    (fields, conditions)
}

/// The policy document as compact JSON text:
/// `{"expiration":"...","conditions":[...]}`, written straight to text
/// (strings quoted by [`crate::encode::string`]).
fn policy_document(expiration: &str, conditions: &[Condition<'_>]) -> String {
    use crate::encode::{string, unsigned};
    let mut out = "{\"expiration\":".to_owned();
    string(&mut out, expiration);
    out.push_str(",\"conditions\":[");
    for (index, condition) in conditions.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        match *condition {
            Condition::Equals(name, value) => {
                out.push('{');
                string(&mut out, name);
                out.push(':');
                string(&mut out, value);
                out.push('}');
            }
            Condition::StartsWith(name, prefix) => {
                out.push_str("[\"starts-with\",");
                string(&mut out, name);
                out.push(',');
                string(&mut out, prefix);
                out.push(']');
            }
            Condition::LengthRange(min, max) => {
                out.push_str("[\"content-length-range\",");
                unsigned(&mut out, min);
                out.push(',');
                unsigned(&mut out, max);
                out.push(']');
            }
        }
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{example_time, local_connection, FakeTransport};
    use crate::client::{Client, InstanceState};
    use crate::error::ErrorKind;
    use crate::ops::Operation;
    use ::base64::engine::general_purpose::STANDARD as BASE64;
    use ::base64::Engine as _;
    use serde_json::{json, Value};

    fn input() -> PresignPostInput {
        PresignPostInput {
            bucket_name: "examplebucket".into(),
            key_prefix: Some("user/user1/".into()),
            expires_seconds: 3600,
            content_type_prefix: Some("image/".into()),
            max_size: Some(1_048_576),
            acl: Some(CannedAcl::PublicRead),
            ..PresignPostInput::default()
        }
    }

    fn run(input: PresignPostInput) -> Result<PresignPostOutput, Error> {
        let connection = local_connection();
        let mut transport = FakeTransport::default();
        let mut state = InstanceState::default();
        let mut client = Client {
            connection: &connection,
            transport: &mut transport,
            state: &mut state,
            now: example_time(),
            operation: Operation::PresignPost,
        };
        let mut call = Invocation {
            client: &mut client,
            body: None,
            source: false,
            sink: false,
            returned: None,
        };
        let output = PresignPost::run(&mut call, input);
        assert!(transport.sent.is_empty(), "a custom endpoint needs no probe");
        output
    }

    fn field<'a>(output: &'a PresignPostOutput, name: &str) -> &'a str {
        output
            .fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    }

    #[test]
    fn the_policy_text_is_serde_jsons_compact_text() {
        let conditions = [
            Condition::Equals("bucket", "b"),
            Condition::StartsWith("$key", "a \"quoted\" \\ key\u{1}\u{e9}/"),
            Condition::LengthRange(0, 5_368_709_120),
            Condition::Equals("x-amz-security-token", "t+/="),
        ];
        let expected = json!({
            "expiration": "2026-01-02T03:04:05.000Z",
            "conditions": [
                {"bucket": "b"},
                ["starts-with", "$key", "a \"quoted\" \\ key\u{1}\u{e9}/"],
                ["content-length-range", 0, 5_368_709_120u64],
                {"x-amz-security-token": "t+/="},
            ],
        });
        let text = policy_document("2026-01-02T03:04:05.000Z", &conditions);
        assert_eq!(text, expected.to_string());
        assert_eq!(policy_document("x", &[]), r#"{"expiration":"x","conditions":[]}"#);
    }

    #[test]
    fn the_policy_holds_a_condition_for_every_field_and_limit() {
        let output = run(input()).unwrap();
        assert_eq!(field(&output, "key"), "user/user1/${filename}");
        let policy: Value =
            serde_json::from_slice(&BASE64.decode(field(&output, "policy")).unwrap()).unwrap();
        let conditions = policy["conditions"].as_array().unwrap();
        for condition in [
            json!({"bucket": "examplebucket"}),
            json!(["starts-with", "$key", "user/user1/"]),
            json!({"acl": "public-read"}),
            json!(["starts-with", "$Content-Type", "image/"]),
            json!(["content-length-range", 0, 1_048_576]),
            json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
        ] {
            assert!(conditions.contains(&condition), "{condition} in {conditions:?}");
        }
        for (name, value) in &output.fields {
            if name == "key" || name == "policy" || name == "x-amz-signature" {
                continue;
            }
            assert!(
                conditions.contains(&json!({ name: value })),
                "{name} has no condition"
            );
        }
        assert_eq!(output.url, "http://127.0.0.1:9000/examplebucket");
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_encoded_policy() {
        let output = run(input()).unwrap();
        let connection = local_connection();
        let key = crate::sigv4::key::SigningKey::derive(
            connection.credentials.secret_key.expose(),
            example_time(),
            "us-east-1",
            "s3",
        );
        assert_eq!(
            field(&output, "x-amz-signature"),
            key.sign(field(&output, "policy"))
        );
    }

    #[test]
    fn bad_input_names_its_field() {
        type Change = fn(&mut PresignPostInput);
        let cases: [(Change, &str); 4] = [
            (|i| i.object_path = Some("k".into()), "key_prefix"),
            (|i| i.key_prefix = None, "object_path"),
            (
                |i| i.content_type = Some("image/png".into()),
                "content_type_prefix",
            ),
            (|i| i.min_size = Some(2_000_000), "min_size"),
        ];
        for (change, expected) in cases {
            let mut bad = input();
            change(&mut bad);
            match run(bad).map_err(Error::into_kind) {
                Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, expected),
                other => panic!("{expected}: {other:?}"),
            }
        }
    }
}
