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
pub fn separator(out: &mut String) {
    if !out.ends_with('{') {
        out.push(',');
    }
}

/// Appends `text` as a JSON string, escaped as serde_json escapes it: `"`,
/// `\` and the control characters below U+0020 (`\b`, `\t`, `\n`, `\f`,
/// `\r` by name, the others as `\u00xx`); everything else as it is.
pub fn string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
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
