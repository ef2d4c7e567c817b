//! JSON text written: the face's own answers (errors, refusals) and the
//! inputs it passes on, compact and with fields in the order given, as
//! serde_json writes them. Values are read with the connector's reader
//! ([`crate::json_value`]) and strings and numbers written with the
//! connector's writer (`s3_connector_wire::json_text`), so that the face
//! carries no JSON library of its own.

use std::fmt::Write;

use s3_connector_wire::json_text::{separator, string as write_str, unsigned};

use crate::json_value::Value;

/// Appends `value` as JSON text.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// `value` as JSON text.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// A JSON object written field by field, in the order of the calls.
#[derive(Debug)]
pub struct Object(String);

impl Default for Object {
    fn default() -> Self {
        Self::new()
    }
}

impl Object {
    /// An object without fields yet.
    pub fn new() -> Self {
        Object(String::from("{"))
    }

    /// Starts the field `key`.
    fn key(&mut self, key: &str) {
        separator(&mut self.0);
        write_str(&mut self.0, key);
        self.0.push(':');
    }

    /// The field `key`, a string.
    pub fn str(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        write_str(&mut self.0, value);
        self
    }

    /// The field `key`, a string or `null`.
    pub fn opt_str(mut self, key: &str, value: Option<&str>) -> Self {
        self.key(key);
        match value {
            Some(value) => write_str(&mut self.0, value),
            None => self.0.push_str("null"),
        }
        self
    }

    /// The field `key`, a whole number.
    pub fn num(mut self, key: &str, value: impl Into<u64>) -> Self {
        self.key(key);
        unsigned(&mut self.0, value.into());
        self
    }

    /// The field `key`, `true` or `false`.
    pub fn bool(mut self, key: &str, value: bool) -> Self {
        self.key(key);
        self.0.push_str(if value { "true" } else { "false" });
        self
    }

    /// The field `key`, whose value is JSON text already written.
    pub fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key);
        self.0.push_str(json);
        self
    }

    /// The object's text.
    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::json_value::parse;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let every: String = (0u8..0x80).map(char::from).chain("é\u{2028}😀".chars()).collect();
        let mut out = String::new();
        write_str(&mut out, &every);
        assert_eq!(out, serde_json::to_string(&every).unwrap());
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let text = r#"{"b": [1, -2, 3.5, true, null, "x\ny"], "a": {"k": {}}, "e": []}"#;
        let written = to_string(&parse(text).unwrap());
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(written, theirs.to_string());
    }

    #[test]
    fn objects_are_written_in_the_order_of_the_calls() {
        let text = Object::new()
            .str("kind", "service")
            .num("status", 404u16)
            .opt_str("request_id", None)
            .opt_str("resource", Some("/b/k"))
            .bool("aborted", false)
            .raw("error", &Object::new().finish())
            .finish();
        assert_eq!(
            text,
            r#"{"kind":"service","status":404,"request_id":null,"resource":"/b/k","aborted":false,"error":{}}"#
        );
        assert_eq!(Object::new().finish(), "{}");
    }
}
