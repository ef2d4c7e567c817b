//! The JSON face end to end: an operation picked from all of them, its JSON
//! input, and a transport that answers whatever the fuzzer says. JSON
//! decoding, validation, request building, addressing, signing, the
//! client's retries and redirects, and every response parser run; nothing
//! may panic.

#![no_main]

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use s3_connector::client::InstanceState;
use s3_connector::connection::{Connection, Credentials, Endpoint, Region};
use s3_connector::http::{HttpRequest, HttpResponse, Transport, TransportError};
use s3_connector::json::invoke;
use s3_connector::ops::Operation;
use serde_json::{Map, Number, Value};
use time::macros::datetime;

/// Where the calls go. The custom parts go through the same parsers as a
/// connection given by a caller; one that does not parse ends the run.
#[derive(Arbitrary, Debug)]
enum Conn {
    /// A path-style local endpoint, as the tests use.
    Local,
    /// AWS with the region `auto`: redirects are followed.
    AwsAuto { path_style: bool },
    /// AWS in one region.
    AwsNamed { path_style: bool },
    /// Anything a caller could give.
    Custom {
        endpoint: Option<String>,
        region: Option<String>,
        access_key: String,
        secret_key: String,
        session_token: Option<String>,
        path_style: bool,
    },
}

impl Conn {
    fn connection(self) -> Option<Connection> {
        let credentials =
            || Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None);
        Some(match self {
            Conn::Local => Connection {
                credentials: credentials(),
                region: Region::Named("us-east-1".into()),
                endpoint: Endpoint::parse("http://127.0.0.1:9000").ok(),
                path_style: true,
            },
            Conn::AwsAuto { path_style } => Connection {
                credentials: credentials(),
                region: Region::Auto,
                endpoint: None,
                path_style,
            },
            Conn::AwsNamed { path_style } => Connection {
                credentials: credentials(),
                region: Region::Named("eu-west-1".into()),
                endpoint: None,
                path_style,
            },
            Conn::Custom {
                endpoint,
                region,
                access_key,
                secret_key,
                session_token,
                path_style,
            } => Connection {
                credentials: Credentials::new(&access_key, &secret_key, session_token.as_deref()),
                region: Region::parse(region.as_deref()).ok()?,
                endpoint: match endpoint {
                    Some(url) => Some(Endpoint::parse(&url).ok()?),
                    None => None,
                },
                path_style,
            },
        })
    }
}

/// The operation's input: any text, a JSON object built from the
/// operations' field names and values, or (most often valid) the fields the
/// operation takes, with fuzzed values of the right JSON types.
#[derive(Arbitrary, Debug)]
enum Input {
    Text(String),
    Object(Vec<(Key, Json)>),
    Fields(Box<Fields>),
}

impl Input {
    fn into_text(self, operation: Operation) -> String {
        match self {
            Input::Text(text) => text,
            Input::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(key, value)| (key.into_string(), value.into_value()))
                    .collect::<Map<String, Value>>(),
            )
            .to_string(),
            Input::Fields(fields) => fields.into_value(operation).to_string(),
        }
    }
}

/// Every operation's fields; those of the operation called are sent.
#[derive(Arbitrary, Debug)]
struct Fields {
    bucket_name: Text,
    object_path: Option<Text>,
    version_id: Option<Text>,
    range: Option<(u64, Option<u64>)>,
    prefix: Option<Text>,
    delimiter: Option<Text>,
    max_keys: Option<Count>,
    continuation_token: Option<Text>,
    start_after: Option<Text>,
    fetch_all: bool,
    max_total: Option<Count>,
    expires_seconds: Count,
    range_from: Option<u64>,
    range_to: Option<u64>,
    method: Option<Text>,
    response_content_type: Option<Text>,
    response_content_disposition: Option<Text>,
    content: Text,
    mime_type: Option<Text>,
    acl: Option<Text>,
    metadata: Vec<(Text, Text)>,
    file_name: Option<Text>,
    file: Option<(Option<Text>, Option<Text>)>,
    object_keys: Vec<(Text, Option<Text>)>,
    upload_id: Option<Text>,
}

impl Fields {
    fn into_value(self, operation: Operation) -> Value {
        let text = |t: Option<Text>| t.map_or(Value::Null, Text::into_value);
        let all = [
            ("bucket_name", self.bucket_name.into_value()),
            ("object_path", text(self.object_path)),
            ("version_id", text(self.version_id)),
            (
                "range",
                self.range
                    .map_or(Value::Null, |(from, to)| serde_json::json!({ "from": from, "to": to })),
            ),
            ("prefix", text(self.prefix)),
            ("delimiter", text(self.delimiter)),
            ("max_keys", Value::from(self.max_keys.map(Count::get))),
            ("continuation_token", text(self.continuation_token)),
            ("start_after", text(self.start_after)),
            ("fetch_all", Value::from(self.fetch_all)),
            ("max_total", Value::from(self.max_total.map(Count::get))),
            ("expires_seconds", Value::from(self.expires_seconds.get())),
            ("range_from", Value::from(self.range_from)),
            ("range_to", Value::from(self.range_to)),
            ("method", text(self.method)),
            ("response_content_type", text(self.response_content_type)),
            ("response_content_disposition", text(self.response_content_disposition)),
            ("content", self.content.into_value()),
            ("mime_type", text(self.mime_type)),
            ("acl", text(self.acl)),
            (
                "metadata",
                Value::Object(
                    self.metadata
                        .into_iter()
                        .map(|(name, value)| (name.into_string(), value.into_value()))
                        .collect(),
                ),
            ),
            ("file_name", text(self.file_name)),
            ("upload_id", text(self.upload_id)),
            (
                "file",
                self.file.map_or(Value::Null, |(name, mime_type)| {
                    serde_json::json!({ "name": text(name), "mime_type": text(mime_type) })
                }),
            ),
            (
                "object_keys",
                Value::Array(
                    self.object_keys
                        .into_iter()
                        .map(|(key, version_id)| {
                            serde_json::json!({ "key": key.into_value(), "version_id": text(version_id) })
                        })
                        .collect(),
                ),
            ),
        ];
        let takes = fields_of(operation);
        Value::Object(
            all.into_iter()
                .filter(|(name, value)| takes.iter().any(|t| t == name) && !value.is_null())
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        )
    }
}

/// The JSON fields each operation takes, from the manifest's input schemas.
fn fields_of(operation: Operation) -> Vec<String> {
    static MANIFEST: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let manifest =
        MANIFEST.get_or_init(|| serde_json::from_str(s3_connector::manifest::MANIFEST).unwrap_or_default());
    manifest["operations"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|op| op["name"] == operation.name())
        .and_then(|op| op["input"]["properties"].as_object())
        .map(|fields| fields.keys().cloned().collect())
        .unwrap_or_default()
}

/// A count: mostly small, so that limits are met and pages followed.
#[derive(Arbitrary, Debug)]
enum Count {
    Small(u8),
    Any(u32),
}

impl Count {
    fn get(self) -> u32 {
        match self {
            Count::Small(n) => u32::from(n),
            Count::Any(n) => n,
        }
    }
}

/// A string value: mostly one the inputs accept, sometimes any.
#[derive(Arbitrary, Debug)]
enum Text {
    Known(u8),
    Any(String),
}

impl Text {
    fn into_string(self) -> String {
        match self {
            Text::Known(i) => STRINGS[usize::from(i) % STRINGS.len()].to_owned(),
            Text::Any(text) => text,
        }
    }

    fn into_value(self) -> Value {
        Value::String(self.into_string())
    }
}

/// Field names of the operations' inputs, and a few that are none.
const KEYS: &[&str] = &[
    "bucket_name",
    "object_path",
    "version_id",
    "range",
    "from",
    "to",
    "prefix",
    "delimiter",
    "max_keys",
    "continuation_token",
    "start_after",
    "fetch_all",
    "max_total",
    "expires_seconds",
    "range_from",
    "range_to",
    "method",
    "response_content_type",
    "response_content_disposition",
    "content",
    "mime_type",
    "acl",
    "metadata",
    "file",
    "name",
    "url",
    "file_name",
    "object_keys",
    "key",
    "Key",
    "VersionId",
    "bucket-name",
];

/// Values the inputs accept, so that validation is passed often enough for
/// requests to be built and answers parsed.
const STRINGS: &[&str] = &[
    "bkt",
    "my.bucket",
    "a.txt",
    "dir/a b+c%.txt",
    "dir/",
    "/",
    "",
    "public-read",
    "private",
    "bucket-owner-full-control",
    "GET",
    "PUT",
    "get",
    "text/plain",
    "attachment; filename=\"a.txt\"",
    "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
    "tok",
    "auto",
    "a",
    "b",
    "dir/c.txt",
    "v1",
    "GOVERNANCE",
    "text/csv",
    "owner",
];

#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8),
    Any(String),
}

impl Key {
    fn into_string(self) -> String {
        match self {
            Key::Known(i) => KEYS[usize::from(i) % KEYS.len()].to_owned(),
            Key::Any(name) => name,
        }
    }
}

/// A JSON value two levels deep (enough for `range`, `file` and
/// `object_keys[i]`); deeper input comes as [`Input::Text`]. Not recursive,
/// so that building it never runs deep.
#[derive(Arbitrary, Debug)]
enum Json {
    Scalar(Scalar),
    Array(Vec<Inner>),
    Object(Vec<(Key, Inner)>),
}

#[derive(Arbitrary, Debug)]
enum Inner {
    Scalar(Scalar),
    Array(Vec<Scalar>),
    Object(Vec<(Key, Scalar)>),
}

#[derive(Arbitrary, Debug)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Small(u16),
    UInt(u64),
    Float(f64),
    Known(u8),
    Str(String),
}

impl Json {
    fn into_value(self) -> Value {
        match self {
            Json::Scalar(s) => s.into_value(),
            Json::Array(items) => Value::Array(items.into_iter().map(Inner::into_value).collect()),
            Json::Object(fields) => object(fields),
        }
    }
}

impl Inner {
    fn into_value(self) -> Value {
        match self {
            Inner::Scalar(s) => s.into_value(),
            Inner::Array(items) => Value::Array(items.into_iter().map(Scalar::into_value).collect()),
            Inner::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(key, value)| (key.into_string(), value.into_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

impl Scalar {
    fn into_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(n) => Value::from(n),
            Scalar::Small(n) => Value::from(n),
            Scalar::UInt(n) => Value::from(n),
            Scalar::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Scalar::Known(i) => Value::from(STRINGS[usize::from(i) % STRINGS.len()]),
            Scalar::Str(s) => Value::String(s),
        }
    }
}

fn object(fields: Vec<(Key, Inner)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.into_string(), value.into_value()))
            .collect::<Map<String, Value>>(),
    )
}

/// One answer of the transport.
#[derive(Arbitrary, Debug)]
enum Answer {
    Response {
        status: Status,
        headers: Vec<(Header, String)>,
        body: Body,
    },
    Denied,
    Connection,
    Timeout,
    TooLarge(u64),
}

#[derive(Arbitrary, Debug)]
enum Status {
    Ok,
    NoContent,
    Partial,
    Moved,
    BadRequest,
    Forbidden,
    NotFound,
    RangeNotSatisfiable,
    Internal,
    Unavailable,
    Any(u16),
}

impl Status {
    fn code(&self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NoContent => 204,
            Status::Partial => 206,
            Status::Moved => 301,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::RangeNotSatisfiable => 416,
            Status::Internal => 500,
            Status::Unavailable => 503,
            Status::Any(code) => *code,
        }
    }
}

const HEADERS: &[&str] = &[
    "content-length",
    "content-type",
    "etag",
    "last-modified",
    "x-amz-version-id",
    "x-amz-delete-marker",
    "content-range",
    "x-amz-storage-class",
    "content-encoding",
    "x-amz-bucket-region",
    "x-amz-request-id",
    "x-amz-meta-owner",
];

#[derive(Arbitrary, Debug)]
enum Header {
    Known(u8),
    Any(String),
}

impl Header {
    fn into_string(self) -> String {
        match self {
            Header::Known(i) => HEADERS[usize::from(i) % HEADERS.len()].to_owned(),
            Header::Any(name) => name,
        }
    }
}

/// S3-shaped documents; `{}` is replaced by fuzzed text, so that tokens,
/// keys and regions the client acts on are the fuzzer's.
const DOCUMENTS: &[&str] = &[
    r#"<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets><Bucket><Name>{}</Name><CreationDate>2024-05-01T12:00:00.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket></Buckets><ContinuationToken>{}</ContinuationToken></ListAllMyBucketsResult>"#,
    r#"<ListAllMyBucketsResult><Buckets><Bucket><Name>{}</Name></Bucket></Buckets></ListAllMyBucketsResult>"#,
    r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>{}</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified><ETag>"abc"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes><NextContinuationToken>{}</NextContinuationToken><EncodingType>url</EncodingType></ListBucketResult>"#,
    r#"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>{}</Key><Size>{}</Size></Contents></ListBucketResult>"#,
    r#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{}</LocationConstraint>"#,
    r#"<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>{}</Key><VersionId>{}</VersionId><DeleteMarker>true</DeleteMarker></Deleted><Error><Key>{}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>"#,
    r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>Use the right endpoint.</Message><Region>{}</Region><RequestId>r</RequestId></Error>"#,
    r#"<Error><Code>AuthorizationHeaderMalformed</Code><Message>wrong region</Message><Region>{}</Region></Error>"#,
    r#"<Error><Code>{}</Code><Message>{}</Message><Resource>/bkt</Resource></Error>"#,
    r#"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"#,
];

#[derive(Arbitrary, Debug)]
enum Body {
    Empty,
    Raw(Vec<u8>),
    Document { which: u8, fill: Vec<String> },
}

impl Body {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Body::Empty => Vec::new(),
            Body::Raw(bytes) => bytes,
            Body::Document { which, fill } => {
                let template = DOCUMENTS[usize::from(which) % DOCUMENTS.len()];
                let mut fill = fill.into_iter();
                let mut out = String::new();
                let mut parts = template.split("{}");
                if let Some(first) = parts.next() {
                    out.push_str(first);
                }
                for part in parts {
                    out.push_str(&fill.next().unwrap_or_default());
                    out.push_str(part);
                }
                out.into_bytes()
            }
        }
    }
}

/// Answers in order, then fails every further request without a retry.
struct FuzzTransport {
    answers: VecDeque<Answer>,
    jitter: f64,
}

impl Transport for FuzzTransport {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        // What a real transport would do with the request.
        let _ = request.url();
        let _ = request.header("authorization");
        match self.answers.pop_front() {
            Some(Answer::Response {
                status,
                headers,
                body,
            }) => Ok(HttpResponse {
                status: status.code(),
                headers: headers
                    .into_iter()
                    .map(|(name, value)| (name.into_string(), value))
                    .collect(),
                body: body.into_bytes(),
            }),
            Some(Answer::Denied) => Err(TransportError::Denied("policy".into())),
            Some(Answer::Connection) => Err(TransportError::Connection("reset".into())),
            Some(Answer::Timeout) => Err(TransportError::Timeout),
            Some(Answer::TooLarge(limit)) => Err(TransportError::TooLarge(limit)),
            None => Err(TransportError::Other("no more answers".into())),
        }
    }

    fn random_fraction(&mut self) -> f64 {
        self.jitter
    }
}

#[derive(Arbitrary, Debug)]
struct Call {
    operation: u8,
    input: Input,
    body: Option<Vec<u8>>,
}

/// One or two calls on one instance (the second sees the regions and
/// signing keys the first left), answered from one queue.
#[derive(Arbitrary, Debug)]
struct Case {
    conn: Conn,
    first: Call,
    then: Option<Call>,
    jitter: u16,
    answers: Vec<Answer>,
}

fn call(connection: &Connection, transport: &mut FuzzTransport, state: &mut InstanceState, call: Call) {
    let operation = Operation::ALL[usize::from(call.operation) % Operation::ALL.len()];
    let input = call.input.into_text(operation);
    let now = datetime!(2013-05-24 00:00:00 UTC);
    let result = invoke(
        connection,
        transport,
        state,
        now,
        operation.name(),
        &input,
        call.body,
    );
    if let Ok(output) = result {
        // The output is always a JSON object.
        let json: Result<Value, _> = serde_json::from_str(&output.json);
        assert!(json.is_ok_and(|v| v.is_object()), "{}", output.json);
    }
}

fuzz_target!(|case: Case| {
    let Some(connection) = case.conn.connection() else {
        return;
    };
    let mut transport = FuzzTransport {
        answers: case.answers.into(),
        // The trait promises a fraction in [0, 1).
        jitter: f64::from(case.jitter) / 65536.0,
    };
    let mut state = InstanceState::default();
    call(&connection, &mut transport, &mut state, case.first);
    if let Some(then) = case.then {
        call(&connection, &mut transport, &mut state, then);
    }
});
