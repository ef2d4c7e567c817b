//! What a request carries: the operation's input and, optionally, the
//! connection; and the connection a deployment keeps in its environment.
//!
//! A JSON operation's body is `{"connection": {...}, "input": {...}}`
//! (both optional: the input defaults to `{}`). The streamed upload's body
//! is the object, so its input comes in the `x-s3-input` header or the
//! `input` query parameter, and its connection in the `x-s3-connection`
//! header (never in the URL, which proxies log).
//!
//! A request with a connection uses it alone; one without uses the
//! environment's ([`connection_from_env`]), so that a deployment holds the
//! credentials and callers send inputs only. The two are never mixed: a
//! caller who names an endpoint cannot have the deployment's credentials
//! sign requests to it.

use crate::json::{self, Object};
use crate::json_value::{self, Map, Value};

/// The header holding the input of a streamed upload (a JSON object).
pub const INPUT_HEADER: &str = "x-s3-input";
/// The header holding the connection of a streamed upload (a JSON object).
pub const CONNECTION_HEADER: &str = "x-s3-connection";
/// The query parameter that may hold the input instead of the header.
pub const INPUT_PARAM: &str = "input";

/// The environment variable that turns on path-style addressing
/// (`true` or `1`) for the environment's connection.
pub const PATH_STYLE_VAR: &str = "S3_CONNECTOR_PATH_STYLE";

/// A connection, field for field the WIT `connection` record. Its `Debug`
/// masks the secret key and the session token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
    /// The region, or `auto` when `None`.
    pub region: Option<String>,
    /// An S3-compatible endpoint; `None` is AWS.
    pub endpoint: Option<String>,
    /// Path-style addressing.
    pub path_style: bool,
    /// When the credentials expire, Unix seconds.
    pub credentials_expire: Option<u64>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("access_key", &self.access_key)
            .field("secret_key", &"****")
            .field("session_token", &self.session_token.as_ref().map(|_| "****"))
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("path_style", &self.path_style)
            .field("credentials_expire", &self.credentials_expire)
            .finish()
    }
}

/// A request refused before the connector is called: answered as an
/// `invalid-input` error naming `field`, with `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status to answer.
    pub status: u16,
    /// The field at fault, by its JSON name (`connection.region`, `input`).
    pub field: String,
    /// What is wrong. Never holds a value the caller sent.
    pub message: String,
}

impl Refusal {
    /// A 400 naming `field`.
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The error as the face answers it: `{"error": {"kind": "invalid-input", ...}}`.
    pub fn to_json(&self) -> String {
        let error = Object::new()
            .str("kind", "invalid-input")
            .str("field", &self.field)
            .str("message", &self.message)
            .finish();
        Object::new().raw("error", &error).finish()
    }
}

/// A request's input (a JSON object, as text) and its connection, if any.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The operation's input: a JSON object, as text.
    pub input: String,
    /// The connection the request gave, if it gave one.
    pub connection: Option<Connection>,
}

/// Parses a JSON operation's body: `{"connection": {...}, "input": {...}}`.
/// An empty body is `{}`. Any other top-level field is refused, naming it.
pub fn parse_body(body: &[u8]) -> Result<Envelope, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Envelope {
            input: "{}".to_owned(),
            connection: None,
        });
    }
    let not_json = |why: &str| {
        Refusal::bad_request(
            "body",
            format!("the body is not JSON ({why}): send {{\"connection\": {{...}}, \"input\": {{...}}}}"),
        )
    };
    let text = std::str::from_utf8(body).map_err(|e| {
        not_json(&format!(
            "invalid UTF-8 after its first {} bytes",
            e.valid_up_to()
        ))
    })?;
    let value = json_value::parse(text).map_err(|e| {
        if e.is_too_large() {
            // JSON, but more than one call reads.
            Refusal {
                status: 413,
                field: "body".to_owned(),
                message: format!("the body holds {}: split it over several calls", e.message),
            }
        } else {
            not_json(&e.to_string())
        }
    })?;
    let Value::Object(mut fields) = value else {
        return Err(Refusal::bad_request(
            "body",
            "the body must be a JSON object {\"connection\": {...}, \"input\": {...}}",
        ));
    };
    let connection = match fields.remove("connection") {
        None | Some(Value::Null) => None,
        Some(value) => Some(parse_connection(value)?),
    };
    let input = match fields.remove("input") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Object(input)) => Value::Object(input),
        Some(_) => return Err(Refusal::bad_request("input", "must be a JSON object")),
    };
    if let Some(name) = fields.keys().next() {
        return Err(Refusal::bad_request(
            name,
            "unknown field: the body holds `connection` and `input` only",
        ));
    }
    Ok(Envelope {
        input: json::to_string(&input),
        connection,
    })
}

/// The envelope of a streamed upload: its input from the header (else the
/// query parameter, else `{}`), its connection from the header.
pub fn parse_parts(input: Option<&str>, connection: Option<&str>) -> Result<Envelope, Refusal> {
    let input = match input {
        None => "{}".to_owned(),
        Some(text) => match json_value::parse(text) {
            Ok(input @ Value::Object(_)) => json::to_string(&input),
            Ok(_) => return Err(Refusal::bad_request("input", "must be a JSON object")),
            Err(e) => {
                return Err(Refusal::bad_request(
                    "input",
                    format!("not JSON ({e}): the input is a JSON object"),
                ))
            }
        },
    };
    let connection = match connection {
        None => None,
        Some(text) => {
            let value = json_value::parse(text).map_err(|_| {
                Refusal::bad_request(
                    "connection",
                    format!("the {CONNECTION_HEADER} header is not JSON"),
                )
            })?;
            Some(parse_connection(value)?)
        }
    };
    Ok(Envelope { input, connection })
}

/// The connection object of a request, field by field. Messages name the
/// field and never repeat its value (it may be a secret).
pub fn parse_connection(value: Value) -> Result<Connection, Refusal> {
    let Value::Object(mut fields) = value else {
        return Err(Refusal::bad_request("connection", "must be a JSON object"));
    };
    let mut text = |name: &str, required: bool| -> Result<Option<String>, Refusal> {
        match fields.remove(name) {
            None | Some(Value::Null) if required => Err(Refusal::bad_request(
                format!("connection.{name}"),
                "missing: a connection needs access_key and secret_key",
            )),
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Refusal::bad_request(
                format!("connection.{name}"),
                "must be a string",
            )),
        }
    };
    let access_key = text("access_key", true)?.unwrap_or_default();
    let secret_key = text("secret_key", true)?.unwrap_or_default();
    let session_token = text("session_token", false)?;
    let region = text("region", false)?;
    let endpoint = text("endpoint", false)?;
    let path_style = match fields.remove("path_style") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => {
            return Err(Refusal::bad_request(
                "connection.path_style",
                "must be true or false",
            ))
        }
    };
    let credentials_expire = match fields.remove("credentials_expire") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(_) => {
            return Err(Refusal::bad_request(
                "connection.credentials_expire",
                "must be Unix seconds",
            ))
        }
    };
    if let Some(name) = fields.keys().next() {
        return Err(Refusal::bad_request(
            format!("connection.{name}"),
            "unknown field: a connection has access_key, secret_key, session_token, region, \
             endpoint, path_style and credentials_expire",
        ));
    }
    Ok(Connection {
        access_key,
        secret_key,
        session_token,
        region,
        endpoint,
        path_style,
        credentials_expire,
    })
}

/// The connection the environment holds, as the AWS SDKs read it:
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
/// `AWS_REGION` (else `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL_S3` (else
/// `AWS_ENDPOINT_URL`), and [`PATH_STYLE_VAR`]. `None` without both keys.
pub fn connection_from_env(vars: &[(String, String)]) -> Option<Connection> {
    let var = |name: &str| {
        vars.iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    Some(Connection {
        access_key: var("AWS_ACCESS_KEY_ID")?,
        secret_key: var("AWS_SECRET_ACCESS_KEY")?,
        session_token: var("AWS_SESSION_TOKEN"),
        region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
        endpoint: var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL")),
        path_style: var(PATH_STYLE_VAR).is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        credentials_expire: None,
    })
}

/// The operations the connector runs, by name, in the order of its
/// manifest (`src/manifest.json`, which `json.operations` follows), read
/// from it when the face is built.
pub const OPERATIONS: &[&str] = include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// The input fields of `get-object`, in the order of the connector's
/// manifest (`src/manifest.json`), read from it when the face is built.
pub const GET_OBJECT_FIELDS: &[&str] = include!(concat!(env!("OUT_DIR"), "/get_object_fields.rs"));

/// Checks a `get-object` input before its answer begins: every field is
/// one of `fields` ([`GET_OBJECT_FIELDS`]), and a `range` is `{"from": N,
/// "to": N or null}`. The connector checks the rest (names, lengths) on the
/// head that goes first, whose refusal still has its own status.
pub fn check_get_object_input(input: &Map, fields: &[&str]) -> Result<(), Refusal> {
    if let Some(name) = input.keys().find(|name| !fields.iter().any(|f| f == name)) {
        return Err(Refusal::bad_request(
            name,
            format!("unknown field: get-object takes {}", fields.join(", ")),
        ));
    }
    match input.get("range") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(range)) => {
            if let Some(name) = range.keys().find(|k| *k != "from" && *k != "to") {
                return Err(Refusal::bad_request(
                    format!("range.{name}"),
                    "unknown field: a range has from and to",
                ));
            }
            if range.get("from").and_then(Value::as_u64).is_none() {
                return Err(Refusal::bad_request(
                    "range.from",
                    "must be a byte offset (0 or more)",
                ));
            }
            match range.get("to") {
                None | Some(Value::Null) => Ok(()),
                Some(to) if to.as_u64().is_some() => Ok(()),
                Some(_) => Err(Refusal::bad_request("range.to", "must be a byte offset or null")),
            }
        }
        Some(_) => Err(Refusal::bad_request("range", "must be {\"from\": N, \"to\": N}")),
    }
}

/// The refusal of a request that has no connection, in an environment
/// that holds none either.
pub fn no_connection() -> Refusal {
    Refusal::bad_request(
        "connection",
        "no connection: send {\"connection\": {\"access_key\": ..., \"secret_key\": ...}} (or the \
         x-s3-connection header), or deploy with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn body_gives_connection_and_input() {
        let body = br#"{"connection": {"access_key": "AK", "secret_key": "SK", "path_style": true,
            "endpoint": "http://127.0.0.1:9000"}, "input": {"bucket_name": "b"}}"#;
        let envelope = parse_body(body).unwrap();
        assert_eq!(envelope.input, r#"{"bucket_name":"b"}"#);
        let conn = envelope.connection.unwrap();
        assert_eq!((conn.access_key.as_str(), conn.secret_key.as_str()), ("AK", "SK"));
        assert!(conn.path_style);
        assert_eq!(conn.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    }

    #[test]
    fn empty_body_is_an_empty_input_without_connection() {
        let envelope = parse_body(b" \n").unwrap();
        assert_eq!(envelope.input, "{}");
        assert_eq!(envelope.connection, None);
        assert_eq!(parse_body(b"{}").unwrap().input, "{}");
    }

    #[test]
    fn bad_bodies_are_refused_naming_the_field() {
        assert_eq!(parse_body(b"{not json").unwrap_err().field, "body");
        assert_eq!(parse_body(b"[1]").unwrap_err().field, "body");
        assert_eq!(parse_body(br#"{"input": 3}"#).unwrap_err().field, "input");
        assert_eq!(parse_body(br#"{"inptu": {}}"#).unwrap_err().field, "inptu");
        let missing = parse_body(br#"{"connection": {"access_key": "AK"}}"#).unwrap_err();
        assert_eq!(missing.field, "connection.secret_key");
        let unknown = parse_body(br#"{"connection": {"access_key": "AK", "secret_key": "S", "x": 1}}"#);
        assert_eq!(unknown.unwrap_err().field, "connection.x");
    }

    #[test]
    fn a_body_of_more_values_than_a_call_reads_is_too_large() {
        let keys = vec![r#"{"key":"k"}"#; json_value::MAX_VALUES / 2 + 1].join(",");
        let body = format!(r#"{{"input": {{"bucket_name": "b", "object_keys": [{keys}]}}}}"#);
        let refused = parse_body(body.as_bytes()).unwrap_err();
        assert_eq!((refused.status, refused.field.as_str()), (413, "body"));
        assert!(
            refused.message.contains("400000 JSON values"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_refused_saying_where() {
        let not_utf8 = parse_body(b"{\"input\":\n {\"\xc3\xa9\xff\"}}").unwrap_err();
        assert_eq!(not_utf8.field, "body");
        assert!(
            not_utf8
                .message
                .contains("invalid UTF-8 after its first 15 bytes"),
            "{}",
            not_utf8.message
        );
        let cut = parse_body(b"{\"input\": {").unwrap_err();
        assert!(cut.message.contains("line 1 column 12"), "{}", cut.message);
        // A field given twice says two things: refused, naming it.
        let twice = parse_body(br#"{"input": {}, "input": {"bucket_name": "b"}}"#).unwrap_err();
        assert_eq!(twice.field, "body");
        assert!(twice.message.contains("input"), "{}", twice.message);
    }

    #[test]
    fn a_mistyped_secret_is_named_without_its_value() {
        let refusal =
            parse_body(br#"{"connection": {"access_key": "AK", "secret_key": 12345}}"#).unwrap_err();
        assert_eq!(refusal.field, "connection.secret_key");
        assert!(!refusal.to_json().to_string().contains("12345"));
    }

    #[test]
    fn streamed_upload_parts() {
        let envelope = parse_parts(
            Some(r#"{"bucket_name": "b", "object_path": "k"}"#),
            Some(r#"{"access_key": "AK", "secret_key": "SK"}"#),
        )
        .unwrap();
        assert_eq!(envelope.input, r#"{"bucket_name":"b","object_path":"k"}"#);
        assert_eq!(envelope.connection.unwrap().access_key, "AK");
        assert_eq!(parse_parts(None, None).unwrap().input, "{}");
        assert_eq!(parse_parts(Some("[]"), None).unwrap_err().field, "input");
        assert_eq!(parse_parts(Some("{"), None).unwrap_err().field, "input");
        assert_eq!(parse_parts(None, Some("{")).unwrap_err().field, "connection");
    }

    #[test]
    fn get_object_inputs_are_checked_before_the_answer_begins() {
        let fields = ["bucket_name", "object_path", "version_id", "range"];
        let check = |input: serde_json::Value| {
            let Value::Object(map) = Value::from(input) else {
                panic!()
            };
            check_get_object_input(&map, &fields).map_err(|r| r.field)
        };
        let ok =
            serde_json::json!({"bucket_name": "b", "object_path": "k", "range": {"from": 1, "to": null}});
        assert_eq!(check(ok), Ok(()));
        let typo = serde_json::json!({"bucket_name": "b", "objectpath": "k"});
        assert_eq!(check(typo), Err("objectpath".to_owned()));
        let bad_from = serde_json::json!({"bucket_name": "b", "range": {"from": "x"}});
        assert_eq!(check(bad_from), Err("range.from".to_owned()));
        let bad_to = serde_json::json!({"bucket_name": "b", "range": {"from": 1, "to": -1}});
        assert_eq!(check(bad_to), Err("range.to".to_owned()));
        let extra = serde_json::json!({"bucket_name": "b", "range": {"from": 1, "length": 2}});
        assert_eq!(check(extra), Err("range.length".to_owned()));
    }

    #[test]
    fn operations_and_get_object_fields_are_the_manifests() {
        let manifest: serde_json::Value =
            serde_json::from_str(include_str!("../../../src/manifest.json")).unwrap();
        let op = manifest["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|op| op["name"] == "get-object")
            .unwrap();
        let names: Vec<&str> = op["input"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(GET_OBJECT_FIELDS, names.as_slice());
        let operations: Vec<&str> = manifest["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|op| op["name"].as_str().unwrap())
            .collect();
        assert_eq!(OPERATIONS, operations.as_slice());
        assert!(OPERATIONS.contains(&"get-object") && OPERATIONS.contains(&"put-object-file"));
        for field in ["bucket_name", "object_path", "version_id", "range"] {
            assert!(GET_OBJECT_FIELDS.contains(&field), "{field}");
        }
    }

    #[test]
    fn environment_connection() {
        assert_eq!(connection_from_env(&env(&[("AWS_ACCESS_KEY_ID", "AK")])), None);
        let conn = connection_from_env(&env(&[
            ("AWS_ACCESS_KEY_ID", "AK"),
            ("AWS_SECRET_ACCESS_KEY", "SK"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
            (PATH_STYLE_VAR, "true"),
        ]))
        .unwrap();
        assert_eq!(conn.region.as_deref(), Some("eu-west-1"));
        assert_eq!(conn.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(conn.path_style);
        let conn = connection_from_env(&env(&[
            ("AWS_ACCESS_KEY_ID", "AK"),
            ("AWS_SECRET_ACCESS_KEY", "SK"),
            ("AWS_REGION", "us-west-2"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
        ]))
        .unwrap();
        assert_eq!(conn.region.as_deref(), Some("us-west-2"));
        assert!(!conn.path_style);
    }

    #[test]
    fn debug_masks_secrets() {
        let conn = Connection {
            secret_key: "SECRETKEY".into(),
            session_token: Some("TOKEN".into()),
            ..Connection::default()
        };
        let text = format!("{conn:?}");
        assert!(!text.contains("SECRETKEY") && !text.contains("TOKEN"), "{text}");
    }
}
