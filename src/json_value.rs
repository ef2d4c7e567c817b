//! JSON text (RFC 8259) read into a tree of values: what the JSON face
//! makes of an operation's input before [`crate::decode`] takes its fields.
//!
//! It exists for its size. serde_json's parser and `Value`, with the
//! ordered map behind it, serde's visitor machinery, the float parser's
//! tables and the I/O error descriptions its errors reach weighed some
//! 25 KB of the component, to read inputs of a few hundred bytes.
//!
//! The reader is strict, as serde_json is: one value, whitespace around it,
//! no comments, no trailing commas, no control characters or lone
//! surrogates in strings, nesting at most [`MAX_DEPTH`] deep, and at most
//! [`MAX_VALUES`] values taking at most [`MAX_HELD`] bytes in all. It
//! differs on purpose in two ways:
//! - **A key given twice in one object is an error** naming it, where
//!   serde_json keeps the last value: an input that says two things about
//!   one field is a mistake to report, not to settle silently (I-JSON,
//!   RFC 7493, the profile of JSON for interchange, forbids it too).
//! - **A number keeps its text** unless it is a whole number that fits 64
//!   bits. No input takes a fraction, so such a number is only ever named
//!   in an error message, as the caller wrote it; nothing parses floats.

use std::borrow::Cow;
use std::fmt;

use crate::quote::Quoted;

/// How deep arrays and objects may nest (serde_json's limit too): neither
/// reading nor dropping a value recurses further, whatever the input.
pub const MAX_DEPTH: usize = 128;

/// The most values one text may hold (every null, boolean, number, string,
/// array and object counts). A value takes 32 bytes in its array or object,
/// and a short string or an object as much again or more, so a text of
/// small values (`[0,0,...]`, two bytes each) makes a tree many times its
/// size: this bounds it, whatever the text's length. The longest input an
/// operation takes, Delete Multiple Objects' 100,000 keys each with a
/// version id, is 300,003 values.
pub const MAX_VALUES: usize = 400_000;

/// The message of the error for a text of more than [`MAX_VALUES`] values
/// (see [`ParseError::is_too_large`]).
pub const TOO_MANY_VALUES: &str = "more than 400000 JSON values";

/// The most bytes the values read from one text may take, counted as the
/// component's allocator hands them out: 32 for each value, and each string
/// (an object's keys too) in a block of the next power of two up to 4 KiB,
/// as it is. Strings of a few hundred bytes take up to twice their text
/// (decoding moves them into the input rather than copying them), so this,
/// with the text itself, bounds what reading an input takes. The largest
/// input an operation takes, 32 MiB of `put-object-text` content or 16 MiB
/// of keys to delete, is well within it.
pub const MAX_HELD: usize = 64 * 1024 * 1024;

/// The message of the error for a text whose values take more than
/// [`MAX_HELD`] bytes (see [`ParseError::is_too_large`]).
pub const TOO_MUCH_HELD: &str = "values that take more than 67108864 bytes once read";

/// The bytes the component's allocator takes for a string of `len` bytes
/// (see [`MAX_HELD`]); an empty string takes none.
fn held_by_string(len: usize) -> usize {
    match len {
        0 => 0,
        _ => s3_connector_wire::heap::block_size(len),
    }
}

/// A JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, its fields in the order of the text.
    Object(Map),
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// The field `key` of an object; `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(key),
            _ => None,
        }
    }

    /// The number, if this is a whole number from 0 to `u64::MAX`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
}

/// A JSON number: a whole number of 64 bits, or its text as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number(Repr);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    /// A whole number from 0 to `u64::MAX`.
    Unsigned(u64),
    /// A whole number from `i64::MIN` to -1.
    Negative(i64),
    /// Any other number (a fraction, an exponent, `-0`, beyond 64 bits), as
    /// written.
    Text(Box<str>),
}

impl Number {
    /// The number as a `u64`, if it is a whole number in its range.
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            Repr::Unsigned(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `i64`, if it is a whole number in its range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Unsigned(n) => i64::try_from(n).ok(),
            Repr::Negative(n) => Some(n),
            Repr::Text(_) => None,
        }
    }
}

impl From<u64> for Value {
    /// A whole number.
    fn from(n: u64) -> Self {
        Value::Number(Number(Repr::Unsigned(n)))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Unsigned(n) => write!(f, "{n}"),
            Repr::Negative(n) => write!(f, "{n}"),
            Repr::Text(text) => f.write_str(text),
        }
    }
}

/// An object's fields in the order of the text, each key once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    /// An object without fields.
    pub fn new() -> Self {
        Map(Vec::new())
    }

    /// The value of the field `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// The fields, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, (String, Value)> {
        self.0.iter()
    }

    /// The fields, in order, their values to change.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, (String, Value)> {
        self.0.iter_mut()
    }

    /// The fields' names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_str())
    }

    /// Sets the field `key` to `value`: in its place if the object has it,
    /// else last.
    pub fn insert(&mut self, key: String, value: Value) {
        match self.0.iter_mut().find(|(name, _)| *name == key) {
            Some((_, old)) => *old = value,
            None => self.0.push((key, value)),
        }
    }

    /// Takes the field `key` out, keeping the others' order.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.0.iter().position(|(name, _)| name == key)?;
        Some(self.0.remove(at).1)
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = &'a (String, Value);
    type IntoIter = std::slice::Iter<'a, (String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Why a text is not one JSON value: what was wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What was wrong, in serde_json's words where it has them.
    pub message: Cow<'static, str>,
    /// The line of the byte at fault, from 1.
    pub line: usize,
    /// Its column on that line, in characters, from 1.
    pub column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {} column {}", self.message, self.line, self.column)
    }
}

impl ParseError {
    /// Whether the text is refused for what reading it would take
    /// ([`MAX_VALUES`], [`MAX_HELD`]) rather than for its syntax: its
    /// `message` then says which limit ([`TOO_MANY_VALUES`],
    /// [`TOO_MUCH_HELD`]), and a caller answers that the input is too
    /// large, not that it is not JSON.
    pub fn is_too_large(&self) -> bool {
        self.message == TOO_MANY_VALUES || self.message == TOO_MUCH_HELD
    }
}

impl std::error::Error for ParseError {}

/// Reads `text`, which must be one JSON value with nothing but whitespace
/// around it.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut reader = Reader {
        text,
        at: 0,
        values: 0,
        held: 0,
    };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.at < text.len() {
        return Err(reader.error_at(reader.at, "trailing characters"));
    }
    Ok(value)
}

/// How many bytes at the start of `bytes` a string holds as they are: up to
/// the first `"`, `\\` or control character (below 0x20), or the end.
///
/// Eight bytes at a time, in a `u64`: a byte-by-byte loop costs the
/// component some 40 instructions a byte, with the deadline's check on each
/// turn, and a put's whole content is one string. `x - ONES & !x & HIGHS`
/// is non-zero when a byte of `x` is zero, and `x - 0x20 * ONES & !x &
/// HIGHS` when one is below 0x20; a word that has one is read again byte by
/// byte, to find where.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut n = 0;
    while let Some((word, _)) = bytes.get(n..).and_then(<[u8]>::split_first_chunk::<8>) {
        let word = u64::from_le_bytes(*word);
        let control = word.wrapping_sub(0x20 * ONES) & !word & HIGHS;
        let quote = has_zero(word ^ (u64::from(b'"') * ONES));
        let backslash = has_zero(word ^ (u64::from(b'\\') * ONES));
        if control | quote | backslash != 0 {
            break;
        }
        n += 8;
    }
    while let Some(&byte) = bytes.get(n) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            break;
        }
        n += 1;
    }
    n
}

/// A position in the text being read.
struct Reader<'a> {
    text: &'a str,
    at: usize,
    /// How many values have been begun.
    values: usize,
    /// The bytes the values read so far take (see [`MAX_HELD`]).
    held: usize,
}

impl Reader<'_> {
    /// The byte at the position, if any.
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// The byte at the position, consumed.
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The error `message` at byte `at` of the text.
    #[cold]
    #[inline(never)]
    fn error_at(&self, at: usize, message: impl Into<Cow<'static, str>>) -> ParseError {
        let before = self.text.get(..at).unwrap_or(self.text);
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        ParseError {
            message: message.into(),
            line: 1 + before.matches('\n').count(),
            column: 1 + before.get(line_start..).map_or(0, |line| line.chars().count()),
        }
    }

    /// The error `message` at the byte just consumed.
    fn error(&self, message: &'static str) -> ParseError {
        self.error_at(self.at.saturating_sub(1), message)
    }

    /// A value and the whitespace before it; `depth` arrays and objects
    /// enclose it.
    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(self.error_at(self.at, TOO_MANY_VALUES));
        }
        self.hold(32)?;
        self.skip_whitespace();
        let Some(first) = self.next() else {
            return Err(self.error_at(self.at, "EOF while parsing a value"));
        };
        match first {
            b'n' => self.rest_of(b"ull", Value::Null),
            b't' => self.rest_of(b"rue", Value::Bool(true)),
            b'f' => self.rest_of(b"alse", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' | b'{' if depth >= MAX_DEPTH => Err(self.error("recursion limit exceeded")),
            b'[' => self.array(depth + 1),
            b'{' => self.object(depth + 1),
            _ => Err(self.error("expected value")),
        }
    }

    /// The rest of a literal whose first byte was read.
    fn rest_of(&mut self, rest: &[u8], value: Value) -> Result<Value, ParseError> {
        for &expected in rest {
            match self.next() {
                Some(byte) if byte == expected => {}
                Some(_) => return Err(self.error("expected ident")),
                None => return Err(self.error_at(self.at, "EOF while parsing a value")),
            }
        }
        Ok(value)
    }

    /// An array after its `[`.
    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.next() {
                Some(b',') => self.no_trailing_comma(b']')?,
                Some(b']') => {
                    // Vectors grow by doubling (and a first push makes room
                    // for four): without the slack, a list of small objects
                    // takes a quarter of the memory.
                    items.shrink_to_fit();
                    return Ok(Value::Array(items));
                }
                Some(_) => return Err(self.error("expected `,` or `]`")),
                None => return Err(self.error_at(self.at, "EOF while parsing a list")),
            }
        }
    }

    /// After a `,`: anything but the `close` of the array or object.
    fn no_trailing_comma(&mut self, close: u8) -> Result<(), ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some(byte) if byte == close => Err(self.error_at(self.at, "trailing comma")),
            _ => Ok(()),
        }
    }

    /// An object after its `{`.
    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        let mut fields = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(Map(fields)));
        }
        loop {
            self.skip_whitespace();
            match self.next() {
                Some(b'"') => {}
                Some(_) => return Err(self.error("key must be a string")),
                None => return Err(self.error_at(self.at, "EOF while parsing an object")),
            }
            let key = self.string()?;
            self.skip_whitespace();
            match self.next() {
                Some(b':') => {}
                Some(_) => return Err(self.error("expected `:`")),
                None => return Err(self.error_at(self.at, "EOF while parsing an object")),
            }
            let value = self.value(depth)?;
            fields.push((key, value));
            self.skip_whitespace();
            match self.next() {
                Some(b',') => self.no_trailing_comma(b'}')?,
                Some(b'}') => break,
                Some(_) => return Err(self.error("expected `,` or `}`")),
                None => return Err(self.error_at(self.at, "EOF while parsing an object")),
            }
        }
        // As an array's items: an object of one field held room for four.
        fields.shrink_to_fit();
        // A key given twice: sorted, equal keys are neighbours.
        if fields.len() > 1 {
            let mut keys: Vec<&str> = fields.iter().map(|(key, _)| key.as_str()).collect();
            keys.sort_unstable();
            if let Some(pair) = keys.windows(2).find(|pair| pair.first() == pair.get(1)) {
                let key = pair.first().copied().unwrap_or_default();
                return Err(self.error_at(
                    self.at.saturating_sub(1),
                    format!("the key {} is given twice in one object", Quoted(key)),
                ));
            }
        }
        Ok(Value::Object(Map(fields)))
    }

    /// Counts `bytes` more held, or refuses the text past [`MAX_HELD`].
    fn hold(&mut self, bytes: usize) -> Result<(), ParseError> {
        self.held = self.held.saturating_add(bytes);
        if self.held > MAX_HELD {
            return Err(self.error_at(self.at, TOO_MUCH_HELD));
        }
        Ok(())
    }

    /// A string after its opening quote, unescaped.
    fn string(&mut self) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            let start = self.at;
            self.at += plain_run(self.text.as_bytes().get(start..).unwrap_or_default());
            // The run ends before an ASCII byte or at the end: on a
            // character boundary.
            out.push_str(self.text.get(start..self.at).unwrap_or_default());
            match self.next() {
                Some(b'"') => {
                    self.hold(held_by_string(out.len()))?;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(_) => {
                    return Err(self.error("control character (\\u0000-\\u001F) found while parsing a string"))
                }
                None => return Err(self.error_at(self.at, "EOF while parsing a string")),
            }
        }
    }

    /// The character an escape after its `\` stands for.
    fn escape(&mut self) -> Result<char, ParseError> {
        let Some(byte) = self.next() else {
            return Err(self.error_at(self.at, "EOF while parsing a string"));
        };
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(),
            _ => return Err(self.error("invalid escape")),
        })
    }

    /// The character of a `\u` escape after its `u`, with the second half
    /// of a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.text.as_bytes().get(self.at..self.at + 2) != Some(b"\\u") {
                    return Err(self.error_at(self.at, "unexpected end of hex escape"));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone leading surrogate in hex escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("lone trailing surrogate in hex escape")),
            _ => first,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid unicode code point"))
    }

    /// Four hexadecimal digits.
    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = match self.next() {
                Some(byte @ b'0'..=b'9') => byte - b'0',
                Some(byte @ b'a'..=b'f') => byte - b'a' + 10,
                Some(byte @ b'A'..=b'F') => byte - b'A' + 10,
                Some(_) => return Err(self.error("invalid escape")),
                None => return Err(self.error_at(self.at, "EOF while parsing a string")),
            };
            code = code * 16 + u32::from(digit);
        }
        Ok(code)
    }

    /// A number whose first byte (`-` or a digit) was read.
    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.at - 1;
        let negative = self.text.as_bytes().get(start) == Some(&b'-');
        if negative {
            match self.next() {
                Some(b'0'..=b'9') => {}
                Some(_) => return Err(self.error("invalid number")),
                None => return Err(self.error_at(self.at, "EOF while parsing a value")),
            }
        }
        if self.text.as_bytes().get(self.at - 1) == Some(&b'0') {
            // After a leading zero comes no digit.
            if let Some(b'0'..=b'9') = self.peek() {
                return Err(self.error_at(self.at, "invalid number"));
            }
        } else {
            self.digits();
        }
        let mut whole = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            whole = false;
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            whole = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.required_digits()?;
        }
        let text = self.text.get(start..self.at).unwrap_or_default();
        let magnitude = if negative { text.get(1..) } else { Some(text) };
        let whole = magnitude
            .filter(|_| whole)
            .and_then(|digits| digits.parse::<u64>().ok());
        let repr = match (negative, whole) {
            (false, Some(n)) => Repr::Unsigned(n),
            (true, Some(n)) if n > 0 => match 0i64.checked_sub_unsigned(n) {
                Some(n) => Repr::Negative(n),
                None => Repr::Text(text.into()),
            },
            _ => Repr::Text(text.into()),
        };
        Ok(Value::Number(Number(repr)))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    /// One digit or more.
    fn required_digits(&mut self) -> Result<(), ParseError> {
        match self.next() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            Some(_) => Err(self.error("invalid number")),
            None => Err(self.error_at(self.at, "EOF while parsing a value")),
        }
    }
}

/// serde_json's values as this module's, for the tests, which write their
/// inputs with `serde_json::json!`.
#[cfg(test)]
impl From<&serde_json::Value> for Value {
    fn from(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Number(Repr::Unsigned(u)),
                (_, Some(i)) => Number(Repr::Negative(i)),
                _ => Number(Repr::Text(n.to_string().into())),
            }),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => Value::Array(items.iter().map(Value::from).collect()),
            // serde_json's keys are unique, as `parse` leaves them.
            serde_json::Value::Object(fields) => Value::Object(Map(fields
                .iter()
                .map(|(key, value)| (key.clone(), Value::from(value)))
                .collect())),
        }
    }
}

#[cfg(test)]
impl From<serde_json::Value> for Value {
    fn from(value: serde_json::Value) -> Self {
        Value::from(&value)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// serde_json's reading of `text` as this module's value, or its
    /// error's message without the position.
    fn serde_reading(text: &str) -> Result<Value, String> {
        serde_json::from_str::<serde_json::Value>(text)
            .map(Value::from)
            .map_err(|e| {
                let message = e.to_string();
                message
                    .rsplit_once(" at line ")
                    .map_or(message.clone(), |(message, _)| message.to_owned())
            })
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let texts = [
            "null",
            " true ",
            "false",
            "0",
            "-1",
            "18446744073709551615",
            "-9223372036854775808",
            "\"\"",
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\u20AC\ud83d\ude00""#,
            "\"é€😀\"",
            "[]",
            "[1, [2, [3]], {}]",
            r#"{"bucket_name": "b", "range": {"from": 0, "to": 9}, "keys": ["a", "b"]}"#,
            "\t\r\n{ \"a\" :\n1 }\n",
            r#"{"z": 1, "a": 2, "m": 3}"#,
        ];
        for text in texts {
            assert_eq!(
                parse(text).map_err(|e| e.to_string()),
                serde_reading(text),
                "{text}"
            );
        }
    }

    #[test]
    fn a_strings_plain_run_ends_where_a_byte_loop_ends_it() {
        let byte_loop = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(bytes.len())
        };
        // Every byte value at every place of a word, then and the next, and
        // in the tail, over plain ASCII and over bytes of UTF-8 characters
        // (at and above 0x80), with a second stop after the first.
        for fill in [b'a', 0xC3, 0xA9, 0xFF, 0x21, 0x5D] {
            for len in (0..=17).chain([31, 32, 33]) {
                for at in 0..len {
                    for value in 0..=u8::MAX {
                        let mut bytes = vec![fill; len];
                        bytes[at] = value;
                        if at + 3 < len {
                            bytes[at + 3] = b'"';
                        }
                        assert_eq!(plain_run(&bytes), byte_loop(&bytes), "{bytes:?}");
                    }
                }
            }
        }
        assert_eq!(plain_run(b""), 0);
        let long = "é".repeat(100_000) + "\"";
        assert_eq!(plain_run(long.as_bytes()), 200_000);
    }

    #[test]
    fn keeps_fields_in_the_order_of_the_text() {
        let value = parse(r#"{"z": 1, "a": 2, "m": 3}"#).unwrap();
        let Value::Object(map) = value else {
            panic!("not an object")
        };
        let keys: Vec<&str> = map.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert_eq!(
            map.get("a").and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                _ => None,
            }),
            Some(2)
        );
    }

    #[test]
    fn refuses_what_serde_json_refuses_with_its_words() {
        let cases = [
            ("", "EOF while parsing a value"),
            ("   ", "EOF while parsing a value"),
            ("nul", "EOF while parsing a value"),
            ("nulx", "expected ident"),
            ("[1 2]", "expected `,` or `]`"),
            ("[1,", "EOF while parsing a value"),
            ("[1", "EOF while parsing a list"),
            ("{\"a\" 1}", "expected `:`"),
            ("{\"a\": 1 \"b\": 2}", "expected `,` or `}`"),
            ("{1: 2}", "key must be a string"),
            ("{\"a\": 1", "EOF while parsing an object"),
            ("\"abc", "EOF while parsing a string"),
            (
                "\"a\u{1}b\"",
                "control character (\\u0000-\\u001F) found while parsing a string",
            ),
            (r#""\x""#, "invalid escape"),
            (r#""\u12G4""#, "invalid escape"),
            (r#""\ud83dx""#, "unexpected end of hex escape"),
            (r#""\ud83d""#, "unexpected end of hex escape"),
            ("-", "EOF while parsing a value"),
            ("[1,]", "trailing comma"),
            ("[1, ]", "trailing comma"),
            ("{\"a\": 1,}", "trailing comma"),
            ("01", "invalid number"),
            ("-01", "invalid number"),
            ("[00]", "invalid number"),
            ("-a", "invalid number"),
            ("1.", "EOF while parsing a value"),
            ("1.x", "invalid number"),
            ("1e", "EOF while parsing a value"),
            ("1e+", "EOF while parsing a value"),
            ("{} x", "trailing characters"),
            ("x", "expected value"),
        ];
        for (text, message) in cases {
            let error = parse(text).unwrap_err();
            assert_eq!(error.message, message, "{text:?}");
            assert_eq!(
                serde_reading(text).unwrap_err(),
                message,
                "serde_json on {text:?}"
            );
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses_in_its_own_words() {
        // Refused by both, worded otherwise: a lone trailing surrogate
        // (serde_json calls it a leading one).
        for text in [r#""\udc00""#, r#""\ud83d\u0041""#] {
            assert!(parse(text).is_err(), "{text}");
            assert!(serde_reading(text).is_err(), "serde_json on {text}");
        }
    }

    #[test]
    fn says_where_the_fault_is() {
        let error = parse("{\n  \"a\": 1,\n  \"é\": x\n}").unwrap_err();
        assert_eq!((error.line, error.column), (3, 8), "{error}");
        assert_eq!(error.to_string(), "expected value at line 3 column 8");
        let error = parse("[1").unwrap_err();
        assert_eq!((error.line, error.column), (1, 3));
    }

    #[test]
    fn a_key_given_twice_is_an_error_naming_it() {
        let error = parse(r#"{"bucket_name": "a", "prefix": "", "bucket_name": "b"}"#).unwrap_err();
        assert_eq!(
            error.message,
            r#"the key "bucket_name" is given twice in one object"#
        );
        assert!(
            parse(r#"{"a": {"k": 1}, "b": {"k": 2}}"#).is_ok(),
            "keys repeat across objects"
        );
    }

    #[test]
    fn whole_numbers_are_numbers_and_others_keep_their_text() {
        let number = |text: &str| match parse(text).unwrap() {
            Value::Number(n) => n,
            other => panic!("{other:?}"),
        };
        assert_eq!(number("42").as_u64(), Some(42));
        assert_eq!(Value::from(42), Value::Number(number("42")));
        assert_eq!(Value::from(u64::MAX).as_u64(), Some(u64::MAX));
        assert_eq!(number("42").as_i64(), Some(42));
        assert_eq!(number("18446744073709551615").as_i64(), None);
        assert_eq!(number("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(number("-7").as_u64(), None);
        for text in [
            "1.5",
            "1e3",
            "-0",
            "0.0",
            "18446744073709551616",
            "-9223372036854775809",
            "1E-7",
        ] {
            let n = number(text);
            assert_eq!((n.as_u64(), n.as_i64()), (None, None), "{text}");
            assert_eq!(n.to_string(), text);
        }
    }

    #[test]
    fn the_limits_messages_name_them() {
        assert!(TOO_MANY_VALUES.contains(&format!(" {MAX_VALUES} ")));
        assert!(TOO_MUCH_HELD.contains(&format!(" {MAX_HELD} ")));
    }

    #[test]
    fn values_are_bounded() {
        let list = |n: usize| format!("[{}]", vec!["0"; n].join(","));
        // The array and its numbers.
        assert!(parse(&list(MAX_VALUES - 1)).is_ok());
        let error = parse(&list(MAX_VALUES)).unwrap_err();
        assert_eq!(error.message, TOO_MANY_VALUES);
        assert!(error.is_too_large());
        assert_eq!(error.column, 2 * MAX_VALUES, "{error}");
        let objects = format!("{{\"a\":[{}]}}", vec!["{}"; MAX_VALUES].join(","));
        assert_eq!(parse(&objects).unwrap_err().message, TOO_MANY_VALUES);
    }

    #[test]
    fn what_the_values_take_is_bounded() {
        assert_eq!(
            (held_by_string(1), held_by_string(257), held_by_string(5000)),
            (16, 512, 5000)
        );
        // 512 bytes for a string of 257 and 32 for its value (and 32 for the array).
        let one = format!("\"{}\"", "x".repeat(257));
        let strings = |n: usize| format!("[{}]", vec![one.as_str(); n].join(","));
        let per = 512 + 32;
        assert!(parse(&strings((MAX_HELD - 32) / per)).is_ok());
        let error = parse(&strings((MAX_HELD - 32) / per + 1)).unwrap_err();
        assert_eq!(error.message, TOO_MUCH_HELD);
        assert!(error.is_too_large() && !parse("[0,]").unwrap_err().is_too_large());
        // One string as long as the limit, less its value's 32 bytes.
        let long = format!("\"{}\"", "y".repeat(MAX_HELD - 32));
        assert!(parse(&long).is_ok());
        let longer = format!("\"{}\"", "y".repeat(MAX_HELD - 31));
        assert_eq!(parse(&longer).unwrap_err().message, TOO_MUCH_HELD);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(
            parse(&deep(MAX_DEPTH + 1)).unwrap_err().message,
            "recursion limit exceeded"
        );
        assert_eq!(
            serde_reading(&deep(MAX_DEPTH + 1)).unwrap_err(),
            "recursion limit exceeded",
            "the same limit as serde_json's"
        );
        let objects = format!(
            "{}1{}",
            "{\"a\":".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&objects).is_err());
        // Far deeper input is refused as quickly, without a deep stack.
        assert!(parse(&deep(1_000_000)).is_err());
    }

    #[test]
    fn every_prefix_of_a_valid_text_is_refused_or_read_as_serde_json_reads_it() {
        let text = r#"{"bucket_name": "b\u00e9", "n": [1, -2, 3.5e-1, true, null], "m": {"k": "v\n"}}"#;
        for end in 0..=text.len() {
            let Some(prefix) = text.get(..end) else { continue };
            assert_eq!(parse(prefix).is_ok(), serde_reading(prefix).is_ok(), "{prefix}");
        }
    }

    #[test]
    fn a_map_is_changed_in_place_and_keeps_its_order() {
        let Ok(Value::Object(mut map)) = parse(r#"{"a": 1, "b": 2, "c": 3}"#) else {
            panic!("not an object")
        };
        map.insert("b".to_owned(), Value::Null);
        map.insert("d".to_owned(), Value::Bool(true));
        assert_eq!(map.remove("a"), Some(Value::from(serde_json::json!(1))));
        assert_eq!(map.remove("a"), None);
        assert_eq!(map.keys().collect::<Vec<_>>(), ["b", "c", "d"]);
        assert_eq!(map.get("b"), Some(&Value::Null));
        assert_eq!(map.get("c").and_then(Value::as_u64), Some(3));
        assert_eq!(Value::Bool(true).as_u64(), None);
    }
}
