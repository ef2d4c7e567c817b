//! Writes an operation's output as compact JSON text, straight from its
//! type: fields in the order the type declares them, strings escaped as
//! serde_json escapes them.
//!
//! Each output implements [`Encode`], derived by `#[derive(Encode)]`
//! (`s3-connector-derive`) from the same `#[serde(...)]` attributes its
//! schema is made from (`rename`, `rename_all`, `with`,
//! `skip_serializing_if`, `skip_serializing`). A struct's fields go through
//! one small non-generic [`key`] each and their type's one `encode`, so an
//! output costs a few calls per field where serde's derive instantiated a
//! serializer per field type and output. The text is the same: in the
//! tests, every output the JSON face writes is checked against
//! `serde_json::to_string` of the same value (serde's `Serialize` derive
//! is kept there as the reference), and its tests check every output type
//! on values that fill each field with awkward text.

pub use s3_connector_derive::Encode;
/// The writers every `encode` ends in, in the wire crate (built for speed:
/// a listing writes a thousand entries through them).
pub use s3_connector_wire::json_text::{key, separator, string, unsigned};

/// A type an output is made of, written as JSON text.
pub trait Encode {
    /// Appends `self` as JSON to `out`.
    fn encode(&self, out: &mut String);
}

/// What the JSON face writes: [`Encode`], and in the tests serde's
/// `Serialize` too, the reference that every text written is checked
/// against.
#[cfg(not(test))]
pub trait Output: Encode {}
#[cfg(not(test))]
impl<T: Encode + ?Sized> Output for T {}

/// What the JSON face writes: [`Encode`], and in the tests serde's
/// `Serialize` too, the reference that every text written is checked
/// against.
#[cfg(test)]
pub trait Output: Encode + serde::Serialize {}
#[cfg(test)]
impl<T: Encode + serde::Serialize + ?Sized> Output for T {}

/// `value` as compact JSON text. In the tests, checked against
/// serde_json's text of the same value.
pub fn to_json<T: Output + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.encode(&mut out);
    #[cfg(test)]
    assert_eq!(
        Some(&out),
        serde_json::to_string(value).ok().as_ref(),
        "Encode and serde_json write {} differently",
        std::any::type_name::<T>()
    );
    out
}

impl Encode for str {
    fn encode(&self, out: &mut String) {
        string(out, self);
    }
}

impl Encode for String {
    fn encode(&self, out: &mut String) {
        string(out, self);
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl Encode for u64 {
    fn encode(&self, out: &mut String) {
        unsigned(out, *self);
    }
}

impl Encode for u32 {
    fn encode(&self, out: &mut String) {
        unsigned(out, u64::from(*self));
    }
}

impl Encode for usize {
    fn encode(&self, out: &mut String) {
        unsigned(out, u64::try_from(*self).unwrap_or(u64::MAX));
    }
}

impl Encode for u16 {
    fn encode(&self, out: &mut String) {
        unsigned(out, u64::from(*self));
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self, out: &mut String) {
        (**self).encode(out);
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut String) {
        match self {
            Some(value) => value.encode(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: Encode> Encode for [T] {
    fn encode(&self, out: &mut String) {
        out.push('[');
        for (index, item) in self.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            item.encode(out);
        }
        out.push(']');
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut String) {
        self.as_slice().encode(out);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    #[cfg(feature = "schema")]
    use serde_json::Value;

    /// Where [`Encode`] writes `value`, read into `T` by serde's derive,
    /// differently from serde_json's text of the same `T`; or why serde
    /// could not read it.
    #[cfg(feature = "schema")]
    pub(crate) fn differ<T: Output + serde::de::DeserializeOwned>(value: &Value) -> Option<String> {
        let typed: T = match serde_json::from_value(value.clone()) {
            Ok(typed) => typed,
            Err(error) => return Some(format!("serde cannot read {value}: {error}")),
        };
        let mut ours = String::new();
        typed.encode(&mut ours);
        let serdes = serde_json::to_string(&typed).unwrap();
        (ours != serdes).then(|| format!("{value}:\n ours    {ours}\n serde's {serdes}"))
    }

    /// Text with every character class the escaping treats apart: each
    /// ASCII byte, DEL, two- to four-byte UTF-8, and escapes at both ends.
    #[cfg(feature = "schema")]
    fn awkward_text() -> String {
        let mut text: String = (0u8..=0x7f).map(char::from).collect();
        text.push_str("é€😀\u{2028}\"");
        text.insert(0, '\\');
        text
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        // Each integer type's impl; the digits are `json_text`'s tests'.
        assert_eq!(to_json(&u64::MAX), "18446744073709551615");
        assert_eq!(to_json(&u32::MAX), "4294967295");
        assert_eq!(to_json(&usize::MAX), usize::MAX.to_string());
        assert_eq!(to_json(&7u16), "7");
    }

    #[test]
    fn options_lists_and_booleans_are_written_as_serde_json_writes_them() {
        to_json(&Some("x".to_owned()));
        to_json(&None::<String>);
        to_json(&vec![Some(1u64), None]);
        to_json(&Vec::<String>::new());
        to_json(&vec![vec![true, false], vec![]]);
        to_json("text");
    }

    /// A value of `schema` (a JSON Schema as schemars writes an output's,
    /// its `$ref`s into `defs`): `full` gives every optional field a value,
    /// every list and map two entries, every string awkward text and every
    /// number its type's largest; otherwise `null`, empty and zero.
    #[cfg(feature = "schema")]
    fn sample(schema: &Value, defs: &Value, full: bool) -> Value {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.trim_start_matches("#/$defs/");
            return sample(&defs[name], defs, full);
        }
        if let Some(constant) = schema.get("const") {
            return constant.clone();
        }
        for choice in ["anyOf", "oneOf"] {
            if let Some(choices) = schema[choice].as_array() {
                let chosen = if full {
                    &choices[0]
                } else {
                    &choices[choices.len() - 1]
                };
                return sample(chosen, defs, full);
            }
        }
        if let Some(names) = schema["enum"].as_array() {
            return if full {
                names[names.len() - 1].clone()
            } else {
                names[0].clone()
            };
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            other => panic!("no type in {schema} ({other})"),
        };
        if types.contains(&"null") && !full {
            return Value::Null;
        }
        match types.iter().find(|t| **t != "null").copied() {
            Some("string") if full => Value::String(awkward_text()),
            Some("string") => Value::String(String::new()),
            Some("boolean") => Value::Bool(full),
            Some("integer") if !full => Value::from(0),
            Some("integer") => match schema["format"].as_str() {
                Some("uint64" | "uint") => Value::from(u64::MAX),
                Some("uint32") => Value::from(u32::MAX),
                Some("uint16") => Value::from(u16::MAX),
                other => panic!("integer format {other:?} in {schema}"),
            },
            Some("array") => {
                let items = if full { 2 } else { 0 };
                Value::Array((0..items).map(|_| sample(&schema["items"], defs, full)).collect())
            }
            Some("object") => {
                let mut object = serde_json::Map::new();
                if let Some(properties) = schema["properties"].as_object() {
                    for (name, property) in properties {
                        object.insert(name.clone(), sample(property, defs, full));
                    }
                }
                if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                    if full {
                        // Out of order, which the output must keep.
                        object.insert("zeta".to_owned(), sample(values, defs, full));
                        object.insert(awkward_text(), sample(values, defs, full));
                    }
                }
                Value::Object(object)
            }
            other => panic!("type {other:?} in {schema}"),
        }
    }

    #[test]
    #[cfg(feature = "schema")]
    fn every_output_is_written_as_serde_json_writes_it() {
        use crate::ops::Operation;
        for op in Operation::ALL {
            let schema = serde_json::to_value(op.schemas().1).unwrap();
            let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
            for full in [true, false] {
                let output = sample(&schema, &defs, full);
                if let Some(difference) = op.encodings_differ(&output) {
                    panic!("{}: {difference}", op.name());
                }
            }
        }
    }
}
