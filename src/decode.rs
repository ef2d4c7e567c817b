//! Decodes a JSON value into an operation's input, and says exactly what
//! was wrong when it cannot: the path of the field at fault (`bucket_name`,
//! `range.to`, `object_keys[2].key`) and the problem as data (a field
//! missing, a field unknown with the valid ones, a value of the wrong type).
//!
//! Each input implements [`Decode`], derived by `#[derive(Decode)]`
//! (`s3-connector-derive`) from the same `#[serde(...)]` attributes its
//! schema is made from. A field goes through its type's one non-generic
//! `decode`, shared by every input that has a field of that type, and each
//! error is prefixed with the path it came up through. The errors are
//! serde's, word for word: the tests hold every input's decoding to what
//! serde's `Deserialize` derive makes of the same value (through the small
//! serde `Deserializer` kept here for them), errors included. serde's
//! derived visitors, one generic copy per input and field type, made about
//! a tenth of the component.

use std::fmt;

use crate::json_value::{Map, Value};
#[cfg(test)]
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
#[cfg(test)]
use serde::Deserialize;

use crate::ops::put_object::{over_memory, MAX_IN_MEMORY_BODY};
use crate::quote::Quoted;

pub use s3_connector_derive::Decode;

/// The most items a list in an input holds: no operation takes more (Delete
/// Multiple Objects takes 100,000 keys).
pub const MAX_ITEMS: usize = 100_000;

/// A type an input is made of, decoded from a JSON value.
pub trait Decode: Sized {
    /// Decodes `value`, or says what is wrong with it (the path is that
    /// of the value's own fields and items, which callers prefix). Texts
    /// are taken out of `value`, not copied (a text can be as long as the
    /// largest body): what is left of it is only for dropping.
    fn decode(value: &mut Value) -> Result<Self, DecodeError>;

    /// The value of a field `name` that the input leaves out and that has
    /// no default: an error (`None` for an `Option`, as serde has it).
    fn missing(name: &str) -> Result<Self, DecodeError> {
        Err(DecodeError::missing(name))
    }

    /// The value a field takes when decoding it failed, while the input is
    /// built to the end (and then dropped) for its first error.
    fn placeholder() -> Self;
}

impl Decode for String {
    fn placeholder() -> Self {
        String::new()
    }

    /// A text longer than the largest body a call takes in memory is
    /// refused: no field needs more. The text is moved out, not copied.
    fn decode(value: &mut Value) -> Result<Self, DecodeError> {
        match value {
            Value::String(s) if s.len() > MAX_IN_MEMORY_BODY => {
                Err(DecodeError::invalid(over_memory(s.len())))
            }
            Value::String(s) => Ok(std::mem::take(s)),
            other => Err(invalid_type(other, "a string")),
        }
    }
}

impl Decode for bool {
    fn placeholder() -> Self {
        false
    }

    fn decode(value: &mut Value) -> Result<Self, DecodeError> {
        match value {
            Value::Bool(b) => Ok(*b),
            other => Err(invalid_type(other, "a boolean")),
        }
    }
}

impl Decode for u64 {
    fn placeholder() -> Self {
        0
    }

    fn decode(value: &mut Value) -> Result<Self, DecodeError> {
        unsigned(value, "u64")
    }
}

impl Decode for u32 {
    fn placeholder() -> Self {
        0
    }

    fn decode(value: &mut Value) -> Result<Self, DecodeError> {
        let wide = unsigned(value, "u32")?;
        u32::try_from(wide).map_err(|_| invalid_value(&format!("integer `{wide}`"), "u32"))
    }
}

impl<T: Decode> Decode for Option<T> {
    fn placeholder() -> Self {
        Self::default()
    }

    fn decode(value: &mut Value) -> Result<Self, DecodeError> {
        match value {
            Value::Null => Ok(None),
            other => T::decode(other).map(Some),
        }
    }

    fn missing(_: &str) -> Result<Self, DecodeError> {
        Ok(None)
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn placeholder() -> Self {
        Self::default()
    }

    /// A list longer than any operation takes is refused before its items
    /// are decoded.
    fn decode(value: &mut Value) -> Result<Self, DecodeError> {
        match value {
            Value::Array(items) if items.len() > MAX_ITEMS => Err(DecodeError::invalid(format!(
                "has {} items; a list in an input holds at most {MAX_ITEMS}: split it over several calls",
                items.len()
            ))),
            Value::Array(items) => items
                .iter_mut()
                .enumerate()
                .map(|(index, item)| T::decode(item).map_err(|e| e.in_item(index)))
                .collect(),
            other => Err(invalid_type(other, "a sequence")),
        }
    }
}

/// A whole number that is not negative, or serde's error naming `expected`.
fn unsigned(value: &Value, expected: &str) -> Result<u64, DecodeError> {
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Ok(u),
            (None, Some(i)) => Err(invalid_value(&format!("integer `{i}`"), expected)),
            // No input takes a fraction: a float is always the wrong type.
            (None, None) => Err(invalid_type(value, expected)),
        },
        other => Err(invalid_type(other, expected)),
    }
}

/// Sorts an object's `fields` into `slots`, one per field of the input in
/// declaration order, by the names each answers to (`keys`). A field no
/// key names is an error listing `unknown`'s names when the input refuses
/// unknown fields, else ignored. An input with more than one fault reports
/// an unknown field first, then the first of its fields in declaration
/// order (serde's derive reports the first in the object's order).
pub fn gather<'v>(
    fields: &'v mut Map,
    keys: &[&[&str]],
    unknown: Option<&'static [&'static str]>,
    slots: &mut [Option<&'v mut Value>],
) -> Result<(), DecodeError> {
    for (name, value) in fields.iter_mut() {
        match keys.iter().position(|names| names.contains(&name.as_str())) {
            Some(index) => {
                if let Some(slot) = slots.get_mut(index) {
                    *slot = Some(value);
                }
            }
            None => {
                if let Some(listed) = unknown {
                    return Err(DecodeError::unknown(name, listed));
                }
            }
        }
    }
    Ok(())
}

/// The field `name` from its slot: decoded, or [`Decode::missing`] when
/// absent. On an error (prefixed with the field's name) the field takes its
/// placeholder, and `error` keeps the input's first.
#[inline(never)]
pub fn required<T: Decode>(slot: Option<&mut Value>, name: &str, error: &mut Option<DecodeError>) -> T {
    let decoded = match slot {
        Some(value) => T::decode(value).map_err(|e| e.in_field(name)),
        None => T::missing(name),
    };
    kept(decoded, error).unwrap_or_else(T::placeholder)
}

/// As [`required`], with the type's default when absent.
#[inline(never)]
pub fn or_default<T: Decode + Default>(
    slot: Option<&mut Value>,
    name: &str,
    error: &mut Option<DecodeError>,
) -> T {
    match slot {
        Some(value) => {
            kept(T::decode(value).map_err(|e| e.in_field(name)), error).unwrap_or_else(T::placeholder)
        }
        None => T::default(),
    }
}

/// As [`required`], decoded by `decode` (a field's `#[serde(with = ...)]`
/// module's); absent, the type's default with `default`, else an error.
pub fn with<T: Default>(
    slot: Option<&mut Value>,
    name: &str,
    default: bool,
    decode: fn(&mut Value) -> Result<T, DecodeError>,
    error: &mut Option<DecodeError>,
) -> T {
    let decoded = match slot {
        Some(value) => decode(value).map_err(|e| e.in_field(name)),
        None if default => Ok(T::default()),
        None => Err(DecodeError::missing(name)),
    };
    kept(decoded, error).unwrap_or_default()
}

/// `decoded`'s value, or `None` with its error kept in `error` unless an
/// earlier one is there.
fn kept<T>(decoded: Result<T, DecodeError>, error: &mut Option<DecodeError>) -> Option<T> {
    match decoded {
        Ok(value) => Some(value),
        Err(e) => {
            error.get_or_insert(e);
            None
        }
    }
}

/// The field `name` of an object: its value decoded, an error prefixed
/// with the field's name.
pub fn field<T: Decode>(name: &str, value: &mut Value) -> Result<T, DecodeError> {
    T::decode(value).map_err(|e| e.in_field(name))
}

/// `value`'s fields, or the error of a struct (`expecting`: `struct Name`)
/// given something else.
pub fn object<'v>(value: &'v mut Value, expecting: &str) -> Result<&'v mut Map, DecodeError> {
    match value {
        Value::Object(fields) => Ok(fields),
        other => Err(invalid_type(other, expecting)),
    }
}

/// The name of an enum's variant: the connector's enums are all plain
/// names (`public-read`).
pub fn variant(value: &Value) -> Result<&str, DecodeError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(invalid_type(other, "a string")),
    }
}

/// serde's `invalid type` error for `value` where `expected` was wanted.
pub fn invalid_type(value: &Value, expected: &str) -> DecodeError {
    DecodeError::invalid(format!("invalid type: {}, expected {expected}", described(value)))
}

/// serde's `invalid value` error for `unexpected` (already described, as
/// [`described`] does) where `expected` was wanted.
fn invalid_value(unexpected: &str, expected: &str) -> DecodeError {
    DecodeError::invalid(format!("invalid value: {unexpected}, expected {expected}"))
}

/// A value in serde's words (`integer `5``, `string "x"`, `map`), a float
/// as serde_json writes it.
fn described(value: &Value) -> String {
    match value {
        Value::Null => "unit value".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => format!("integer `{u}`"),
            (_, Some(i)) => format!("integer `{i}`"),
            _ => format!("floating point `{n}`"),
        },
        Value::String(s) => format!("string {}", Quoted(s)),
        Value::Array(_) => "sequence".to_owned(),
        Value::Object(_) => "map".to_owned(),
    }
}

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

    /// A value of the wrong type or out of range: serde's `message`.
    #[cold]
    #[inline(never)]
    fn invalid(message: String) -> Self {
        DecodeError::new(String::new(), Problem::Invalid(message))
    }

    /// The required field `name` is absent.
    #[cold]
    #[inline(never)]
    pub fn missing(name: &str) -> Self {
        DecodeError::new(name.to_owned(), Problem::Missing)
    }

    /// The field `name` is not one of `expected`.
    #[cold]
    #[inline(never)]
    pub fn unknown(name: &str, expected: &'static [&'static str]) -> Self {
        DecodeError::new(name.to_owned(), Problem::Unknown { expected })
    }

    /// `name` is not one of an enum's `variants`: serde's words.
    #[cold]
    #[inline(never)]
    pub fn unknown_variant(name: &str, variants: &[&str]) -> Self {
        let expected = match variants {
            [] => "there are no variants".to_owned(),
            [one] => format!("expected `{one}`"),
            [a, b] => format!("expected `{a}` or `{b}`"),
            more => format!("expected one of `{}`", more.join("`, `")),
        };
        DecodeError::invalid(format!("unknown variant `{name}`, {expected}"))
    }

    /// The error as it comes up through the field `name` of an object.
    pub(crate) fn in_field(mut self, name: &str) -> Self {
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
    pub(crate) fn in_item(mut self, index: usize) -> Self {
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

// serde's side, for the tests' reference decoding (see the module's doc).
#[cfg(test)]
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

#[cfg(test)]
/// serde's `Unexpected` in serde's words, but a float in serde_json's.
struct Unexpected<'a>(de::Unexpected<'a>);

#[cfg(test)]
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
            de::Unexpected::Str(s) => write!(f, "string {}", Quoted(s)),
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

/// Decodes `value` into a `T` through serde's `Deserialize` derive: the
/// reference the tests hold [`Decode`] to.
#[cfg(test)]
pub fn decode_with_serde<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T, DecodeError> {
    T::deserialize(ValueDeserializer(value))
}

#[cfg(test)]
/// A deserializer over one JSON value.
struct ValueDeserializer<'de>(&'de Value);

#[cfg(test)]
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
                    Err(serde_invalid_type(self.0, &visitor))
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
            other => Err(serde_invalid_type(other, &"a string")),
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
            other => Err(serde_invalid_type(other, &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items {
                items: items.iter(),
                index: 0,
            }),
            other => Err(serde_invalid_type(other, &visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::String(s) => visitor.visit_borrowed_str(s),
            other => Err(serde_invalid_type(other, &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Bool(b) => visitor.visit_bool(*b),
            other => Err(serde_invalid_type(other, &visitor)),
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
#[cfg(test)]
fn serde_invalid_type(value: &Value, expected: &dyn de::Expected) -> DecodeError {
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

#[cfg(test)]
/// An array's items, each error marked with its index.
struct Items<'de> {
    items: std::slice::Iter<'de, Value>,
    index: usize,
}

#[cfg(test)]
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

#[cfg(test)]
/// An object's fields, each error marked with the field's name.
struct Fields<'de> {
    fields: std::slice::Iter<'de, (String, Value)>,
    value: Option<(&'de str, &'de Value)>,
}

#[cfg(test)]
impl<'de> Fields<'de> {
    fn new(fields: &'de Map) -> Self {
        Fields {
            fields: fields.iter(),
            value: None,
        }
    }
}

#[cfg(test)]
impl<'de> de::MapAccess<'de> for Fields<'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        let Some((name, value)) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some((name.as_str(), value));
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
pub(crate) mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::model::{DeleteObjectsInput, GetObjectInput, ListObjectsInput, ObjectMetadata};

    /// Where `T::decode` and serde's derive differ on `value`, if they do.
    pub(crate) fn differ<T>(json: &Value) -> Option<String>
    where
        T: Decode + for<'de> Deserialize<'de> + fmt::Debug + PartialEq,
    {
        let value = &crate::json_value::Value::from(json);
        let (ours, serdes) = (T::decode(&mut value.clone()), decode_with_serde::<T>(value));
        (ours != serdes).then(|| format!("{json}: {ours:?} against serde's {serdes:?}"))
    }

    #[test]
    fn every_input_decodes_as_serdes_derive_would_on_every_single_fault() {
        // Each operation's example, then with each of its fields (found from
        // the unknown-field error, aliases included) given each kind of
        // value, nested faults among them, or left out; and inputs that are
        // not objects. One fault at a time: with more than one, which is
        // reported first may differ (see `gather`).
        let kinds = [
            json!(null),
            json!(true),
            json!(0),
            json!(7),
            json!(-1),
            json!(1.5),
            json!(5_000_000_000u64),
            json!(""),
            json!("x"),
            json!("private"),
            json!("GET"),
            json!("put"),
            json!("COPY"),
            json!("aws:kms"),
            json!("BucketOwnerEnforced"),
            json!("unsigned"),
            json!([]),
            json!(["a"]),
            json!([{}]),
            json!([{"key": "a"}, {"key": 5}]),
            json!([{"Key": "a", "VersionId": "v"}]),
            json!([{"key": "a", "kee": "b"}]),
            json!({}),
            json!({"a": "b"}),
            json!({"a": 1}),
            json!({"from": 1}),
            json!({"from": 1, "to": "x"}),
            json!({"from": -1}),
            json!({"name": "a", "mime_type": 5}),
            json!({"url": [1, {"k": [1.5]}]}),
            json!({"url": {"a": null}}),
            json!({"nope": 1}),
        ];
        let mut cases = 0;
        for op in crate::ops::Operation::ALL {
            let example: Value = serde_json::from_str(op.example()).unwrap();
            // Every input refuses unknown fields, and the error lists them.
            let fields = match op.decode_error(&json!({"\u{0}": 0})).map(|e| e.problem.clone()) {
                Some(Problem::Unknown { expected }) => expected,
                other => panic!("{}: {other:?} for an unknown field", op.name()),
            };
            let mut inputs = vec![example.clone(), json!(null), json!([]), json!("x"), json!(5)];
            for field in fields {
                for kind in &kinds {
                    let mut input = example.clone();
                    input[*field] = kind.clone();
                    inputs.push(input);
                }
                let mut input = example.clone();
                if let Some(fields) = input.as_object_mut() {
                    fields.remove(*field);
                }
                inputs.push(input);
                // An enum's field: each of its names (the unknown-variant
                // error lists them, aliases included).
                let mut input = example.clone();
                input[*field] = json!("\u{1}");
                if let Some(Problem::Invalid(message)) = op.decode_error(&input).map(|e| e.problem.clone()) {
                    if let Some((_, names)) = message.split_once("expected") {
                        for name in names.split('`').skip(1).step_by(2) {
                            let mut input = example.clone();
                            input[*field] = json!(name);
                            assert!(op.decode_error(&input).is_none(), "{}: {input}", op.name());
                            inputs.push(input);
                        }
                    }
                }
            }
            for input in &inputs {
                if let Some(difference) = op.decodings_differ(input) {
                    panic!("{}: {difference}", op.name());
                }
                cases += 1;
            }
        }
        assert!(cases > 2000, "{cases} cases");
    }

    /// The product's error for `value`, which serde's derive must give too.
    fn error<T: Decode + for<'de> Deserialize<'de> + fmt::Debug + PartialEq>(json: Value) -> DecodeError {
        let value = crate::json_value::Value::from(&json);
        let ours = T::decode(&mut value.clone());
        assert_eq!(ours, decode_with_serde::<T>(&value), "{json}");
        ours.unwrap_err()
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

    /// No field takes a text longer than the largest body: it is refused
    /// for its length, with the field's path, and not copied.
    #[test]
    fn a_text_over_the_memory_limit_is_refused_for_its_length() {
        let at_most = json!("x".repeat(MAX_IN_MEMORY_BODY));
        assert_eq!(
            String::decode(&mut (&at_most).into()).map(|s| s.len()),
            Ok(MAX_IN_MEMORY_BODY)
        );
        let content = "x".repeat(MAX_IN_MEMORY_BODY + 1);
        let value = json!({"bucket_name": "b", "object_path": "k", "content": content});
        let error = crate::ops::put_object_text::PutObjectTextJson::decode(&mut (&value).into()).unwrap_err();
        assert_eq!(error.path, "content");
        assert_eq!(error.message(), over_memory(MAX_IN_MEMORY_BODY + 1));
        assert!(
            error.message().starts_with("is 33554433 bytes"),
            "{}",
            error.message()
        );
    }

    /// Decoding takes texts out of the value: a text moves into the input
    /// (a body held once is not copied on the way), in a field, in a
    /// list's item and in metadata alike.
    #[test]
    fn texts_move_into_the_input_and_are_not_copied() {
        use crate::json_value::{parse, Value as Parsed};
        fn at(value: Option<&Parsed>) -> *const u8 {
            match value {
                Some(Parsed::String(s)) => s.as_ptr(),
                other => panic!("{other:?}"),
            }
        }
        let text =
            r#"{"bucket_name": "b", "object_path": "k", "content": "the body", "metadata": {"a": "b"}}"#;
        let mut value = parse(text).unwrap();
        let Parsed::Object(fields) = &value else {
            panic!("an object")
        };
        let content = at(fields.get("content"));
        let key = at(fields.get("object_path"));
        let Some(Parsed::Object(metadata)) = fields.get("metadata") else {
            panic!("metadata")
        };
        let meta = at(metadata.get("a"));
        let input = crate::ops::put_object_text::PutObjectTextJson::decode(&mut value).unwrap();
        assert_eq!(input.content.as_ptr(), content);
        assert_eq!(input.object_path.as_ptr(), key);
        assert_eq!(input.metadata[0].1.as_ptr(), meta);

        let mut value = parse(r#"{"bucket_name": "b", "object_keys": [{"key": "first"}]}"#).unwrap();
        let Parsed::Object(fields) = &value else {
            panic!("an object")
        };
        let Some(Parsed::Array(items)) = fields.get("object_keys") else {
            panic!("keys")
        };
        let Some(Parsed::Object(item)) = items.first() else {
            panic!("an item")
        };
        let first = at(item.get("key"));
        let input = crate::model::DeleteObjectsInput::decode(&mut value).unwrap();
        assert_eq!(input.object_keys[0].key.as_ptr(), first);
    }

    #[test]
    fn a_list_longer_than_any_operation_takes_is_refused() {
        let keys = |n: usize| json!({"bucket_name": "b", "object_keys": vec![json!({"key": "k"}); n]});
        let decoded = crate::model::DeleteObjectsInput::decode(&mut (&keys(MAX_ITEMS)).into()).unwrap();
        assert_eq!(decoded.object_keys.len(), MAX_ITEMS);
        let error = crate::model::DeleteObjectsInput::decode(&mut (&keys(MAX_ITEMS + 1)).into()).unwrap_err();
        assert_eq!(error.path, "object_keys");
        assert!(
            error.message().starts_with("has 100001 items"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn values_decode_as_serde_json_would() {
        let value = json!({"bucket_name": "b", "prefix": null, "max_keys": 10, "fetch_all": true});
        assert_eq!(
            ListObjectsInput::decode(&mut (&value).into()).unwrap(),
            serde_json::from_value::<ListObjectsInput>(value).unwrap()
        );
        let meta = json!({"content_length": 3, "metadata": {"a": "1", "b": "2"}, "content_type": null,
                          "etag": null, "last_modified": null, "version_id": null, "content_range": null,
                          "storage_class": null});
        let decoded: ObjectMetadata = decode_with_serde(&meta.into()).unwrap();
        assert_eq!(
            decoded.metadata,
            [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]
        );
    }
}
