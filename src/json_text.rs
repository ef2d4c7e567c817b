//! The JSON writer's primitives: a field's key, a string escaped as
//! serde_json escapes it, an unsigned number. Every output the JSON face
//! writes ends in these (a 1000-key listing calls them some ten thousand
//! times), so they are in the wire crate, built for speed; the `Encode`
//! trait and its derive, which call them, are the connector's
//! (`s3_connector::encode`, where the tests check every text against
//! serde_json's).

/// Starts the next field of an object begun with `{`: [`separator`], then
/// `quoted`, the field's name quoted with its colon (`"size":`, made at
/// compile time by the derive).
#[inline(never)]
pub fn key(out: &mut String, quoted: &str) {
    separator(out);
    out.push_str(quoted);
}

/// Writes the comma before a field of an object begun with `{`, unless the
/// field is its first.
///
/// The last byte is looked at as a byte: `ends_with('{')` encodes the
/// `char` and compares through the C library's `memcmp`, some 120
/// instructions a field in the component (0.6M of a 1000-key listing).
#[inline(always)]
pub fn separator(out: &mut String) {
    if out.as_bytes().last() != Some(&b'{') {
        out.push(',');
    }
}

/// Appends `text` as a JSON string, escaped as serde_json escapes it: `"`,
/// `\` and the control characters below U+0020 (`\b`, `\t`, `\n`, `\f`,
/// `\r` by name, the others as `\u00xx`); everything else as it is.
pub fn string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    // Nearly every text has nothing to escape, which a scan of eight bytes
    // a step settles (the loop below costs some 40 instructions a byte in
    // the component).
    if !crate::ascii::has_json_escape(text.as_bytes()) {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (index, &byte) in text.as_bytes().iter().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // `index` and `start` sit at ASCII bytes, so on char boundaries.
        out.push_str(text.get(start..index).unwrap_or_default());
        if escaped.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(escaped);
        }
        start = index + 1;
    }
    out.push_str(text.get(start..).unwrap_or_default());
    out.push('"');
}

/// Appends `value` in decimal.
pub fn unsigned(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        // A digit, so the cast keeps it.
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        // Every ASCII byte alone, and together with DEL, two- to four-byte
        // UTF-8, U+2028 and escapes at both ends.
        let mut every: String = (0u8..=0x7f).map(char::from).collect();
        every.insert(0, '\\');
        every.push_str("é€😀\u{2028}\"");
        let mut cases = vec![String::new(), every, "plain".to_owned(), "a\u{1}b".to_owned()];
        cases.extend((0u8..=0x7f).map(|byte| char::from(byte).to_string()));
        for text in cases {
            let mut out = String::new();
            string(&mut out, &text);
            assert_eq!(out, serde_json::to_string(&text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for value in [
            0,
            1,
            9,
            10,
            99,
            100,
            1_048_576,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = String::new();
            unsigned(&mut out, value);
            assert_eq!(out, value.to_string());
        }
    }

    #[test]
    fn a_key_has_a_comma_before_it_unless_it_is_the_first() {
        let mut out = "{".to_owned();
        key(&mut out, "\"a\":");
        out.push('1');
        key(&mut out, "\"b\":");
        out.push_str("{}");
        separator(&mut out);
        out.push_str("\"c\":2}");
        assert_eq!(out, r#"{"a":1,"b":{},"c":2}"#);
    }
}
