//! How error messages show a string or a character the user gave: quoted,
//! with what cannot be seen escaped, as `{:?}` and `escape_debug` show them.
//!
//! `{:?}` decides what to escape from std's Unicode tables (which code
//! points are printable, which extend a grapheme), about 5 KB of code and
//! data in the component for a handful of error messages. These escape the
//! same way for ASCII, for the C1 controls, for the spaces other than
//! U+0020 (no-break, em, ideographic, ...) and for the invisible format
//! characters a pasted key or header tends to carry (zero-width spaces and
//! joiners, direction marks and overrides, the byte-order mark, the line
//! and paragraph separators), each as `\u{...}`. Other code points are shown
//! as they are, where `{:?}` would also escape combining marks, private-use
//! and unassigned code points.

use std::fmt::{self, Write};

/// A string between double quotes, escaped: `"a\tb"`, as `{:?}` writes it.
pub struct Quoted<'a>(pub &'a str);

/// A character between single quotes, escaped: `'\n'`, as `{:?}` writes it.
pub struct QuotedChar(pub char);

/// A string escaped without quotes, as [`str::escape_debug`] writes it
/// (both quote characters escaped), for messages that quote it themselves.
pub struct Escaped<'a>(pub &'a str);

/// Whether `c` is written as `\u{...}`: the controls (C0, DEL, C1) but
/// those with a name of their own, the spaces but U+0020, and the
/// invisible format characters.
fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\0'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{a0}'
            | '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{1680}'
            | '\u{180e}'
            | '\u{2000}'..='\u{200f}'
            | '\u{2028}'..='\u{202f}'
            | '\u{205f}'..='\u{206f}'
            | '\u{3000}'
            | '\u{feff}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// Writes `c` escaped; `single` and `double` say which quotes to escape.
fn write_char(f: &mut fmt::Formatter<'_>, c: char, single: bool, double: bool) -> fmt::Result {
    let named = match c {
        '\0' => "\\0",
        '\t' => "\\t",
        '\r' => "\\r",
        '\n' => "\\n",
        '\\' => "\\\\",
        '\'' if single => "\\'",
        '"' if double => "\\\"",
        _ if is_hidden(c) => return write!(f, "\\u{{{:x}}}", u32::from(c)),
        _ => return f.write_char(c),
    };
    f.write_str(named)
}

/// Writes `text` escaped, runs of characters that need nothing in one go.
fn write_str(f: &mut fmt::Formatter<'_>, text: &str, single: bool, double: bool) -> fmt::Result {
    let mut plain = 0;
    for (at, c) in text.char_indices() {
        let escaped = matches!(c, '\\' | '\'' | '"') || is_hidden(c);
        if escaped {
            f.write_str(text.get(plain..at).unwrap_or_default())?;
            write_char(f, c, single, double)?;
            plain = at + c.len_utf8();
        }
    }
    f.write_str(text.get(plain..).unwrap_or_default())
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        write_str(f, self.0, false, true)?;
        f.write_char('"')
    }
}

impl fmt::Display for QuotedChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        write_char(f, self.0, true, false)?;
        f.write_char('\'')
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_str(f, self.0, true, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code point these escape, and printable ones from several
    /// scripts: ranges with no unassigned code point in them.
    fn agreed() -> impl Iterator<Item = char> {
        let ranges = [
            0..0x300,
            0x400..0x483,
            0x600..0x606,
            0x61c..0x61d,
            0x1680..0x1681,
            0x1800..0x180b,
            0x180e..0x180f,
            0x2000..0x2070,
            0x3000..0x3001,
            0x3041..0x3097,
            0x4e00..0x4e40,
            0xac00..0xac20,
            0xfeff..0xff00,
            0xfff0..0xfffe,
            0x1f300..0x1f340,
            0xe0001..0xe0002,
            0xe0020..0xe0080,
        ];
        ranges.into_iter().flatten().filter_map(char::from_u32)
    }

    #[test]
    fn characters_are_escaped_as_debug_escapes_them() {
        for c in agreed() {
            assert_eq!(
                QuotedChar(c).to_string(),
                format!("{c:?}"),
                "U+{:04X}",
                u32::from(c)
            );
            let text = format!("a{c}b{c}");
            assert_eq!(
                Quoted(&text).to_string(),
                format!("{text:?}"),
                "U+{:04X}",
                u32::from(c)
            );
            let escaped = text.escape_debug().to_string();
            assert_eq!(Escaped(&text).to_string(), escaped, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn the_invisible_ones_are_escaped() {
        // Zero-width joiner and space, a right-to-left override, the BOM, a
        // tag character: each would hide in a message shown as it is.
        let text = "a\u{200d}b\u{200b}c\u{202e}d\u{feff}e\u{e0041}";
        assert_eq!(
            Quoted(text).to_string(),
            r#""a\u{200d}b\u{200b}c\u{202e}d\u{feff}e\u{e0041}""#
        );
        assert_eq!(QuotedChar('\u{2028}').to_string(), r"'\u{2028}'");
    }

    #[test]
    fn printable_text_is_shown_as_it_is() {
        for text in ["", "plain", "photos/été 2026.jpg", "報告書.pdf", "🎉", "it's"] {
            assert_eq!(Quoted(text).to_string(), format!("{text:?}"));
        }
        assert_eq!(Escaped("it's \"x\"").to_string(), r#"it\'s \"x\""#);
    }
}
