//! Decodes a JSON value into an operation's input, and says exactly what
//! was wrong when it cannot: the path of the field at fault (`bucket_name`,
//! `range.to`, `object_keys[2].key`) and the problem as data (a field
//! missing, a field unknown with the valid ones, a value of the wrong type).
//!
//! A small serde `Deserializer` over `&Value` whose error type records
//! those as serde reports them (`missing_field`, `unknown_field`,
//! `invalid_type`), and that prefixes each error with the path it came up
//! through. Nothing here reads serde's English messages back.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// What was wrong with the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A required field is absent.
    Missing,
    /// A field the input does not take; the names it does take.
    Unknown {
        /// The fields the object takes.
        expected: &'static [&'static str],
    },
    /// A value of the wrong type or outside its range, in serde's words.
    Invalid(String),
}

/// A decoding failure: where and what ([`Fault`], behind one pointer).
///
/// Boxed because every field of every input passes its result up through
/// each derived visitor: a one-word error keeps those results small (the
/// component was 18 KB smaller for it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(Box<Fault>);

/// Where decoding failed and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The path of the field at fault; empty for the input itself.
    pub path: String,
    /// The problem.
    pub problem: Problem,
}

impl std::ops::Deref for DecodeError {
    type Target = Fault;

    fn deref(&self) -> &Fault {
        &self.0
    }
}

impl DecodeError {
    /// The error `problem` at `path`.
    fn new(path: String, problem: Problem) -> Self {
        DecodeError(Box::new(Fault { path, problem }))
    }

    /// The error as it comes up through the field `name` of an object.
    fn in_field(mut self, name: &str) -> Self {
        self.0.path = if self.path.is_empty() {
            name.to_owned()
        } else if self.path.starts_with('[') {
            format!("{name}{}", self.path)
        } else {
            format!("{name}.{}", self.path)
        };
        self
    }

    /// The error as it comes up through item `index` of an array.
    fn in_item(mut self, index: usize) -> Self {
        self.0.path = if self.path.is_empty() || self.path.starts_with('[') {
            format!("[{index}]{}", self.path)
        } else {
            format!("[{index}].{}", self.path)
        };
        self
    }

    /// The human sentence, without the path.
    pub fn message(&self) -> String {
        match &self.problem {
            Problem::Missing => "is missing".to_owned(),
            Problem::Unknown { expected: [] } => "is not a field: this operation takes no fields".to_owned(),
            Problem::Unknown { expected } => format!(
                "is not a field of this input; valid fields: {}",
                expected.join(", ")
            ),
            Problem::Invalid(text) => text.clone(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.path, self.message())
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        DecodeError::new(String::new(), Problem::Invalid(message.to_string()))
    }

    fn missing_field(field: &'static str) -> Self {
        DecodeError::new(field.to_owned(), Problem::Missing)
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DecodeError::new(field.to_owned(), Problem::Unknown { expected })
    }

    // Written once: serde's default builds its message in place, at every
    // field of every derived visitor. (The input is a parsed object, whose
    // keys are unique, so this is never reached.)
    #[cold]
    #[inline(never)]
    fn duplicate_field(field: &'static str) -> Self {
        DecodeError::new(
            String::new(),
            Problem::Invalid(format!("duplicate field `{field}`")),
        )
    }

    // serde's own `invalid_type` and `invalid_value` print the unexpected
    // value with `Unexpected`'s `Display`, whose float arm links core's
    // float printing (some 20 KB of the component) though no input reaches
    // it: the same sentences, with a float named as serde_json writes it.

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        de::Error::custom(format_args!(
            "invalid type: {}, expected {expected}",
            Unexpected(unexpected)
        ))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        de::Error::custom(format_args!(
            "invalid value: {}, expected {expected}",
            Unexpected(unexpected)
        ))
    }
}

/// serde's `Unexpected` in serde's words, but a float in serde_json's.
struct Unexpected<'a>(de::Unexpected<'a>);

impl fmt::Display for Unexpected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            de::Unexpected::Float(float) => match serde_json::Number::from_f64(float) {
                Some(number) => write!(f, "floating point `{number}`"),
                None => f.write_str("floating point"),
            },
            de::Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            de::Unexpected::Unsigned(u) => write!(f, "integer `{u}`"),
            de::Unexpected::Signed(i) => write!(f, "integer `{i}`"),
            de::Unexpected::Char(c) => write!(f, "character `{c}`"),
            de::Unexpected::Str(s) => write!(f, "string {s:?}"),
            de::Unexpected::Bytes(_) => f.write_str("byte array"),
            de::Unexpected::Unit => f.write_str("unit value"),
            de::Unexpected::Option => f.write_str("Option value"),
            de::Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            de::Unexpected::Seq => f.write_str("sequence"),
            de::Unexpected::Map => f.write_str("map"),
            de::Unexpected::Enum => f.write_str("enum"),
            de::Unexpected::UnitVariant => f.write_str("unit variant"),
            de::Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            de::Unexpected::TupleVariant => f.write_str("tuple variant"),
            de::Unexpected::StructVariant => f.write_str("struct variant"),
            de::Unexpected::Other(other) => f.write_str(other),
        }
    }
}

/// Decodes `value` into a `T`.
pub fn decode<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T, DecodeError> {
    T::deserialize(ValueDeserializer(value))
}

/// A deserializer over one JSON value.
struct ValueDeserializer<'de>(&'de Value);

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    // No input takes a fraction, so a float is always the
                    // wrong type: said here, with the number as serde_json
                    // writes it, rather than by serde through core's float
                    // printing, which would cost the component 20 KB.
                    Err(invalid_type(self.0, &visitor))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Items {
                items: items.iter(),
                index: 0,
            }),
            Value::Object(fields) => visitor.visit_map(Fields::new(fields)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.0 {
            // The connector's enums are all plain names (`public-read`).
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => Err(invalid_type(other, &"a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    // The kinds the inputs are made of go straight to the one visit that
    // can succeed: through `deserialize_any`, every derived visitor would
    // carry a copy of each arm, all but one ending in an error (serde's
    // default `visit_*`), and there is a visitor per input type and field
    // type. The errors are the ones those defaults give.

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Object(fields) => visitor.visit_map(Fields::new(fields)),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items {
                items: items.iter(),
                index: 0,
            }),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::String(s) => visitor.visit_borrowed_str(s),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Bool(b) => visitor.visit_bool(*b),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct tuple tuple_struct
        identifier ignored_any
    }
}

/// serde's `invalid type` error for `value` where `expected` was wanted,
/// naming the value as serde does (a float as serde_json writes it).
fn invalid_type(value: &Value, expected: &dyn de::Expected) -> DecodeError {
    let float;
    let unexpected = match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => de::Unexpected::Unsigned(u),
            (_, Some(i)) => de::Unexpected::Signed(i),
            _ => {
                float = format!("floating point `{n}`");
                de::Unexpected::Other(&float)
            }
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    };
    de::Error::invalid_type(unexpected, expected)
}

/// An array's items, each error marked with its index.
struct Items<'de> {
    items: std::slice::Iter<'de, Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(ValueDeserializer(item))
            .map(Some)
            .map_err(|e| e.in_item(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// An object's fields, each error marked with the field's name.
struct Fields<'de> {
    fields: serde_json::map::Iter<'de>,
    value: Option<(&'de str, &'de Value)>,
}

impl<'de> Fields<'de> {
    fn new(fields: &'de Map<String, Value>) -> Self {
        Fields {
            fields: fields.iter(),
            value: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for Fields<'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        let Some((name, value)) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some((name, value));
        // An unknown field's error already names the field; its parents'
        // names come before it on the way up.
        seed.deserialize(de::value::BorrowedStrDeserializer::<DecodeError>::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        let Some((name, value)) = self.value.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        seed.deserialize(ValueDeserializer(value))
            .map_err(|e| e.in_field(name))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{DeleteObjectsInput, GetObjectInput, ListObjectsInput, ObjectMetadata};

    fn error<T: for<'de> Deserialize<'de> + fmt::Debug>(value: Value) -> DecodeError {
        decode::<T>(&value).unwrap_err()
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = error::<ListObjectsInput>(json!({}));
        assert_eq!((e.path.as_str(), &e.problem), ("bucket_name", &Problem::Missing));
    }

    #[test]
    fn an_unknown_field_is_named_with_the_valid_ones() {
        let e = error::<ListObjectsInput>(json!({"bucket_name": "b", "prefx": "a/"}));
        assert_eq!(e.path, "prefx");
        assert!(matches!(e.problem, Problem::Unknown { expected } if expected.contains(&"prefix")));
    }

    #[test]
    fn nested_paths_name_fields_and_items() {
        let e =
            error::<GetObjectInput>(json!({"bucket_name": "b", "object_path": "k", "range": {"from": "x"}}));
        assert_eq!(e.path, "range.from");
        let e = error::<DeleteObjectsInput>(
            json!({"bucket_name": "b", "object_keys": [{"key": "a"}, {"kee": "b"}]}),
        );
        assert_eq!(e.path, "object_keys[1].kee");
        let e = error::<DeleteObjectsInput>(json!({"bucket_name": "b", "object_keys": [{"key": "a"}, {}]}));
        assert_eq!(
            (e.path.as_str(), &e.problem),
            ("object_keys[1].key", &Problem::Missing)
        );
    }

    #[test]
    fn wrong_types_and_ranges_say_what_was_expected() {
        let e = error::<ListObjectsInput>(json!({"bucket_name": 5}));
        assert_eq!(e.path, "bucket_name");
        assert!(e.message().contains("expected a string"), "{}", e.message());
        let e = error::<ListObjectsInput>(json!({"bucket_name": "b", "max_keys": 5_000_000_000u64}));
        assert_eq!(e.path, "max_keys");
        assert!(e.message().contains("u32"), "{}", e.message());
    }

    #[test]
    fn each_kind_refuses_the_others_as_serde_would() {
        // An object wanted, an array given: refused, as the schema says
        // (serde_json alone would take the array as the fields in order).
        let e = error::<GetObjectInput>(json!({"bucket_name": "b", "object_path": "k", "range": [0, 10]}));
        assert_eq!(e.path, "range");
        assert_eq!(e.message(), "invalid type: sequence, expected struct ByteRange");
        let e = error::<ListObjectsInput>(json!({"bucket_name": ["b"]}));
        assert_eq!(e.message(), "invalid type: sequence, expected a string");
        let e = error::<ListObjectsInput>(json!({"bucket_name": "b", "fetch_all": "yes"}));
        assert_eq!(e.message(), "invalid type: string \"yes\", expected a boolean");
        let e = error::<DeleteObjectsInput>(json!({"bucket_name": "b", "object_keys": {"key": "a"}}));
        assert_eq!(e.path, "object_keys");
        assert_eq!(e.message(), "invalid type: map, expected a sequence");
        let e = error::<ListObjectsInput>(json!(null));
        assert_eq!(
            e.message(),
            "invalid type: unit value, expected struct ListObjectsInput"
        );
    }

    #[test]
    fn a_float_is_the_wrong_type_named_as_written() {
        let e = error::<ListObjectsInput>(json!({"bucket_name": "b", "max_keys": 1.5}));
        assert_eq!(e.path, "max_keys");
        assert_eq!(e.message(), "invalid type: floating point `1.5`, expected u32");
        let e = error::<ListObjectsInput>(json!({"bucket_name": 2.5}));
        assert!(
            e.message().contains("floating point `2.5`, expected a string"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn unexpected_values_are_named_in_serdes_words() {
        use de::Unexpected as U;
        let all = [
            U::Bool(true),
            U::Unsigned(7),
            U::Signed(-7),
            U::Char('c'),
            U::Str("a \"b\"\n"),
            U::Bytes(b"x"),
            U::Unit,
            U::Option,
            U::NewtypeStruct,
            U::Seq,
            U::Map,
            U::Enum,
            U::UnitVariant,
            U::NewtypeVariant,
            U::TupleVariant,
            U::StructVariant,
            U::Other("something else"),
        ];
        for unexpected in all {
            assert_eq!(Unexpected(unexpected).to_string(), unexpected.to_string());
        }
        assert_eq!(Unexpected(U::Float(1.5)).to_string(), "floating point `1.5`");
        let serdes = <de::value::Error as de::Error>::duplicate_field("name").to_string();
        let e = <DecodeError as de::Error>::duplicate_field("name");
        assert_eq!((e.path.as_str(), e.message()), ("", serdes));
        let e = <DecodeError as de::Error>::invalid_value(U::Str("x"), &"a digit");
        assert_eq!(e.message(), "invalid value: string \"x\", expected a digit");
    }

    #[test]
    fn values_decode_as_serde_json_would() {
        let value = json!({"bucket_name": "b", "prefix": null, "max_keys": 10, "fetch_all": true});
        assert_eq!(
            decode::<ListObjectsInput>(&value).unwrap(),
            serde_json::from_value::<ListObjectsInput>(value).unwrap()
        );
        let meta = json!({"content_length": 3, "metadata": {"a": "1", "b": "2"}, "content_type": null,
                          "etag": null, "last_modified": null, "version_id": null, "content_range": null,
                          "storage_class": null});
        let decoded: ObjectMetadata = decode(&meta).unwrap();
        assert_eq!(
            decoded.metadata,
            [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]
        );
    }
}
