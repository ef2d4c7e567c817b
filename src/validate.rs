//! Input checks made before anything is sent. Each failure names the field
//! (in WIT spelling) and the rule broken.

use crate::error::Error;
use crate::quote::{Escaped, QuotedChar};

/// Checks a bucket name against S3's naming rules.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>
pub fn bucket_name(name: &str) -> Result<(), Error> {
    let fail = |rule: &str| Err(Error::invalid_input("bucket_name", format!("`{name}` {rule}")));
    if name.is_empty() {
        return Err(Error::invalid_input(
            "bucket_name",
            "is empty; give the bucket's name",
        ));
    }
    if name.len() < 3 || name.len() > 63 {
        return fail("must be 3 to 63 characters long");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        let hint = if c.is_ascii_uppercase() {
            " (bucket names are lower case)"
        } else if c.is_whitespace() {
            " (check for stray spaces)"
        } else {
            ""
        };
        return fail(&format!(
            "has the character {}: only lower-case letters, digits, `.` and `-` are allowed{hint}",
            QuotedChar(c)
        ));
    }
    let bytes = name.as_bytes();
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return fail("must begin and end with a letter or digit");
    }
    // One pass over the pairs (three substring searches cost more, on
    // every call).
    let mut doubled = false;
    for pair in bytes.windows(2) {
        if matches!(pair, b".." | b".-" | b"-.") {
            doubled = true;
            break;
        }
    }
    if doubled {
        return fail("must not have two periods, or a period next to a hyphen, in a row");
    }
    if name.split('.').count() == 4
        && name
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return fail("must not be formatted as an IP address");
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") {
        return fail("must not start with `xn--` or `sthree-`");
    }
    if name.ends_with("-s3alias") || name.ends_with("--ol-s3") {
        return fail("must not end with `-s3alias` or `--ol-s3`");
    }
    Ok(())
}

/// Checks an object key: 1 to 1024 bytes of UTF-8.
pub fn object_key(field: &str, key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::invalid_input(
            field,
            "is empty; an object key needs 1 to 1024 bytes",
        ));
    }
    if key.len() > 1024 {
        return Err(Error::invalid_input(
            field,
            format!(
                "is {} bytes long; S3 keys are at most 1024 bytes of UTF-8",
                key.len()
            ),
        ));
    }
    Ok(())
}

/// The longest a presigned URL may live: 7 days, SigV4's limit.
pub const MAX_EXPIRES_SECONDS: u32 = 604_800;

/// S3's limit on user-defined metadata: the UTF-8 bytes of every name and
/// value, summed, at most 2 KB.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html>
pub const MAX_METADATA_BYTES: usize = 2048;

/// Checks how long a presigned URL is to live: 1 to 604800 seconds.
pub fn expires_seconds(seconds: u32) -> Result<(), Error> {
    if seconds == 0 || seconds > MAX_EXPIRES_SECONDS {
        return Err(Error::invalid_input(
            "expires_seconds",
            format!(
                "is {seconds}; a presigned URL lives 1 to {MAX_EXPIRES_SECONDS} seconds (7 days, the SigV4 limit)"
            ),
        ));
    }
    Ok(())
}

/// Whether `b` is an HTTP token character (RFC 9110 `tchar`).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Checks a mime type: `type/subtype` followed by optional `; name=value`
/// parameters (value a token or a quoted string), as in RFC 9110's
/// `media-type`. It becomes the `Content-Type` header, so CR and LF (which
/// would end the header) and other control characters are refused.
pub fn mime_type(value: &str) -> Result<(), Error> {
    let fail = |why: &str| {
        Err(Error::invalid_input(
            "mime_type",
            format!(
                "`{}` {why}; give `type/subtype` such as `text/csv` or `text/plain; charset=utf-8`",
                Escaped(value)
            ),
        ))
    };
    if value.trim().is_empty() {
        return fail("is empty");
    }
    if value.chars().any(|c| c.is_control()) {
        return fail("has a control character (CR, LF, tab, ...), which a header cannot carry");
    }
    if !value.is_ascii() {
        return fail("has a non-ASCII character");
    }
    let mut parts = split_parameters(value).into_iter();
    let essence = parts.next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return fail("has no `/` between type and subtype");
    };
    let is_token = |s: &str| !s.is_empty() && s.bytes().all(is_tchar);
    if !is_token(kind) || !is_token(subtype) {
        return fail("has a type or subtype that is empty or has characters other than letters, digits and `!#$%&'*+-.^_`|~`");
    }
    for parameter in parts {
        let parameter = parameter.trim();
        // RFC 9110 allows empty parameters (`text/plain;`).
        if parameter.is_empty() {
            continue;
        }
        let Some((name, param_value)) = parameter.split_once('=') else {
            return fail(&format!("has the parameter `{parameter}` without `=value`"));
        };
        let quoted = param_value.len() >= 2 && param_value.starts_with('"') && param_value.ends_with('"');
        if !is_token(name) || !(is_token(param_value) || quoted) {
            return fail(&format!(
                "has the parameter `{parameter}`, which is not `name=value` (value a token or a quoted string)"
            ));
        }
    }
    Ok(())
}

/// Splits a mime type at each `;` that is not inside a quoted string.
fn split_parameters(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

/// The value of parameter `name` (case-insensitive) of a mime type, quotes
/// kept: `mime_parameter("text/plain; charset=utf-8", "charset")` is
/// `Some("utf-8")`.
pub fn mime_parameter<'a>(mime: &'a str, name: &str) -> Option<&'a str> {
    split_parameters(mime)
        .into_iter()
        .skip(1)
        .filter_map(|parameter| parameter.split_once('='))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// Checks user metadata: each name and value (see [`metadata_name`] and
/// [`metadata_value`]), no name twice (names are case-insensitive), and
/// S3's 2 KB limit on the whole.
pub fn metadata(pairs: &[(String, String)]) -> Result<(), Error> {
    let mut seen: Vec<String> = Vec::new();
    let mut size = 0usize;
    for (name, value) in pairs {
        metadata_name(name)?;
        metadata_value(name, value)?;
        // Counted before the search for the name among those before it: a
        // name is at least a byte, so no more than the limit's bytes of
        // names are searched, however many the input holds.
        size = size.saturating_add(name.len()).saturating_add(value.len());
        if size > MAX_METADATA_BYTES {
            let size = pairs
                .iter()
                .map(|(name, value)| name.len() + value.len())
                .sum::<usize>();
            return Err(Error::invalid_input(
                "metadata",
                format!("is {size} bytes (names plus values); S3 allows at most {MAX_METADATA_BYTES} bytes of user metadata"),
            ));
        }
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(Error::invalid_input(
                "metadata",
                format!("names `{lower}` twice; metadata names are case-insensitive, give each once"),
            ));
        }
        seen.push(lower);
    }
    Ok(())
}

/// Checks a metadata name: it becomes part of the header name
/// `x-amz-meta-<name>`, so it must be a non-empty HTTP token.
pub fn metadata_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::invalid_input(
            "metadata",
            "has an empty name; give each entry a name such as `author`",
        ));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii() && is_tchar(*c as u8))) {
        return Err(Error::invalid_input(
            "metadata",
            format!(
                "has the name `{}` with the character {}; names become `x-amz-meta-<name>` headers: use letters, digits and `-` (or ``!#$%&'*+.^_`|~``)",
                Escaped(name),
                QuotedChar(c)
            ),
        ));
    }
    Ok(())
}

/// Checks a metadata value: printable ASCII only. A header ends at CR or LF,
/// and a non-ASCII header value is not sent or signed the same way by every
/// HTTP stack, so it is refused rather than risk a `SignatureDoesNotMatch`.
pub fn metadata_value(name: &str, value: &str) -> Result<(), Error> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(Error::invalid_input(
            "metadata",
            format!(
                "`{name}` has the control character {} in its value; a header value cannot hold CR, LF, tab or other control characters",
                QuotedChar(c)
            ),
        ));
    }
    if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
        return Err(Error::invalid_input(
            "metadata",
            format!(
                "`{name}` has the non-ASCII character {} in its value; metadata travels as HTTP headers, which carry printable ASCII only: encode the value first (percent-encoding, Base64 or RFC 2047 `=?UTF-8?B?...?=`)",
                QuotedChar(c)
            ),
        ));
    }
    Ok(())
}

/// Checks an inclusive byte range `from..=to` (`to` `None`: to the end).
/// `field` names the input at fault (`range`, or `range-to` for a
/// presigned URL).
pub fn byte_range(field: &str, from: u64, to: Option<u64>) -> Result<(), Error> {
    match to {
        Some(to) if to < from => Err(Error::invalid_input(
            field,
            format!("ends at byte {to}, before it starts at byte {from}; both ends are inclusive, so the last byte must be at least the first"),
        )),
        _ => Ok(()),
    }
}

/// Checks a version id: not empty, no control characters. (S3 makes them;
/// beyond this the connector does not guess their shape.)
pub fn version_id(value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid_input(
            "version_id",
            "is empty; give a version id from a listing or a put, or leave it out for the latest version",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            "version_id",
            format!(
                "`{}` has a control character; version ids are printable text",
                Escaped(value)
            ),
        ));
    }
    Ok(())
}

/// Checks text that S3 echoes back as a response header
/// (`response-content-type`, `response-content-disposition`): no control
/// characters, which a header cannot carry.
pub fn header_text(field: &str, value: &str) -> Result<(), Error> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            field,
            format!(
                "`{}` has a control character (CR, LF, tab, ...); S3 returns it as a header, which cannot carry one",
                Escaped(value)
            ),
        ));
    }
    Ok(())
}

/// The most tags S3 keeps on one object.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html>
pub const MAX_TAGS: usize = 10;

/// The longest tag key, in UTF-16 units (see [`tags`]).
pub const MAX_TAG_KEY: usize = 128;

/// The longest tag value, in UTF-16 units (see [`tags`]).
pub const MAX_TAG_VALUE: usize = 256;

/// Checks a folder's path (`reports/2026`, or `reports/2026/`) and returns
/// its key prefix, which ends in `/`: the key of its marker object and the
/// prefix of everything in it. `field` names the input (`folder_path`,
/// `parent`).
///
/// A path that is empty, or has an empty segment (only `/`, a leading `/`,
/// or `//`), is refused: it would name a folder without a name, which the
/// S3 console shows as a folder called `/` that users cannot open.
pub fn folder_path(field: &str, path: &str) -> Result<String, Error> {
    if path.is_empty() {
        return Err(Error::invalid_input(
            field,
            "is empty; give a folder's path such as `reports/2026`",
        ));
    }
    if path.bytes().all(|b| b == b'/') {
        return Err(Error::invalid_input(
            field,
            format!("is `{path}`, which names no folder; give a folder's path such as `reports/2026`"),
        ));
    }
    if path.starts_with('/') {
        return Err(Error::invalid_input(
            field,
            format!(
                "`{}` starts with `/`, which would make a folder with an empty name; folder paths \
                 start at the bucket's root without one (`{}`)",
                Escaped(path),
                Escaped(path.trim_start_matches('/'))
            ),
        ));
    }
    if crate::ascii::find(path, "//").is_some() {
        return Err(Error::invalid_input(
            field,
            format!(
                "`{}` has `//`, an empty folder name between two `/`",
                Escaped(path)
            ),
        ));
    }
    let prefix = if path.ends_with('/') {
        path.to_owned()
    } else {
        format!("{path}/")
    };
    object_key(field, &prefix)?;
    Ok(prefix)
}

/// Checks an object's tags as S3 does: at most [`MAX_TAGS`], each key
/// given once, 1 to [`MAX_TAG_KEY`] characters and not starting with
/// `aws:` (reserved for AWS), each value at most [`MAX_TAG_VALUE`]
/// characters. S3 counts characters in UTF-16 units, so a character
/// outside the Basic Multilingual Plane (most emoji) counts twice.
/// Characters XML 1.0 cannot carry are refused too: the tags travel in an
/// XML body. A failure names the field `tags.<key>` when it is about one
/// tag.
pub fn tags(pairs: &[(String, String)]) -> Result<(), Error> {
    if pairs.len() > MAX_TAGS {
        return Err(Error::invalid_input(
            "tags",
            format!(
                "has {} tags; S3 keeps at most {MAX_TAGS} on an object",
                pairs.len()
            ),
        ));
    }
    let mut scratch = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        let field = format!("tags.{key}");
        if key.is_empty() {
            return Err(Error::invalid_input(
                "tags",
                "has a tag with an empty key; a tag key is 1 to 128 characters",
            ));
        }
        if pairs[..index].iter().any(|(earlier, _)| earlier == key) {
            return Err(Error::invalid_input(
                &field,
                "is given twice; each tag key may appear once (keys are case-sensitive)",
            ));
        }
        let key_units = key.encode_utf16().count();
        if key_units > MAX_TAG_KEY {
            return Err(Error::invalid_input(
                &field,
                format!(
                    "has a key of {key_units} characters (counted as S3 does, in UTF-16 units); \
                     a tag key is at most {MAX_TAG_KEY}"
                ),
            ));
        }
        if key.starts_with("aws:") {
            return Err(Error::invalid_input(
                &field,
                "starts with `aws:`, a prefix S3 reserves for the tags AWS sets",
            ));
        }
        let value_units = value.encode_utf16().count();
        if value_units > MAX_TAG_VALUE {
            return Err(Error::invalid_input(
                &field,
                format!(
                    "has a value of {value_units} characters (counted as S3 does, in UTF-16 units); \
                     a tag value is at most {MAX_TAG_VALUE}"
                ),
            ));
        }
        for (what, text) in [("key", key), ("value", value)] {
            scratch.clear();
            if let Err(c) = crate::xml::escape_text_into(&mut scratch, text) {
                return Err(Error::invalid_input(
                    &field,
                    format!(
                        "has the character U+{:04X} in its {what}, which XML 1.0 (the request's body) \
                         cannot carry",
                        c as u32
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn field_of(r: Result<(), Error>) -> String {
        match r.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn good_bucket_names_pass() {
        for name in ["abc", "my-bucket", "my.bucket.1", "a".repeat(63).as_str()] {
            assert!(bucket_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn bad_bucket_names_name_the_field() {
        for name in [
            "",
            "ab",
            "My-Bucket",
            "my_bucket",
            "-abc",
            "abc-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--abc",
            "my bucket",
        ] {
            assert_eq!(field_of(bucket_name(name)), "bucket_name", "{name}");
        }
        assert_eq!(field_of(bucket_name(&"a".repeat(64))), "bucket_name");
    }

    #[test]
    fn key_lengths_are_checked_in_bytes() {
        assert!(object_key("object_path", &"é".repeat(512)).is_ok());
        assert_eq!(
            field_of(object_key("object_path", &"é".repeat(513))),
            "object_path"
        );
        assert_eq!(field_of(object_key("object_path", "")), "object_path");
    }

    fn message_of(r: Result<(), Error>) -> String {
        match r.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { message, .. }) => message,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn expires_seconds_must_be_one_second_to_seven_days() {
        for (seconds, ok) in [
            (0, false),
            (1, true),
            (3600, true),
            (604_800, true),
            (604_801, false),
            (u32::MAX, false),
        ] {
            match expires_seconds(seconds) {
                Ok(()) => assert!(ok, "{seconds} passed"),
                Err(e) => {
                    assert!(!ok, "{seconds} failed: {e}");
                    assert_eq!(field_of(Err(e)), "expires_seconds");
                }
            }
        }
    }

    #[test]
    fn good_mime_types_pass() {
        for mime in [
            "text/plain",
            "application/octet-stream",
            "image/svg+xml",
            "application/vnd.ms-excel",
            "text/plain; charset=utf-8",
            "text/plain;charset=UTF-8",
            "multipart/form-data; boundary=\"a;b c\"",
            "text/plain;",
            "Text/HTML; Charset=ISO-8859-1; format=flowed",
        ] {
            assert!(mime_type(mime).is_ok(), "{mime}: {:?}", mime_type(mime));
        }
    }

    #[test]
    fn bad_mime_types_name_the_field() {
        for mime in [
            "",
            "  ",
            "text",
            "/plain",
            "text/",
            "text plain/x",
            "text/plain\r\nx-amz-acl: public-read",
            "text/plain\n",
            "text/plain; charset",
            "text/plain; =utf-8",
            "text/plain; charset=",
            "text/plain; charset=\"utf-8",
            "texte/plaín",
            "text/plain\t; charset=utf-8",
        ] {
            assert_eq!(field_of(mime_type(mime)), "mime_type", "{mime:?}");
        }
    }

    #[test]
    fn mime_error_says_what_would_be_right() {
        let message = message_of(mime_type("text"));
        assert!(message.contains("type/subtype"), "{message}");
    }

    #[test]
    fn mime_parameter_is_found_case_insensitively_outside_quotes() {
        let cases = [
            ("text/plain", "charset", None),
            ("text/plain; charset=utf-8", "charset", Some("utf-8")),
            ("text/plain;CHARSET=latin1", "charset", Some("latin1")),
            ("text/plain; format=\"charset=x;y\"", "charset", None),
            (
                "text/plain; format=flowed; charset=\"us-ascii\"",
                "charset",
                Some("\"us-ascii\""),
            ),
        ];
        for (mime, name, expected) in cases {
            assert_eq!(mime_parameter(mime, name), expected, "{mime}");
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn good_metadata_passes() {
        for list in [
            vec![],
            vec![("author", "Jane Doe")],
            vec![
                ("Project-Id", "42"),
                ("x_y.z~!", "a=b; c, d (e) \"f\" =?UTF-8?B?w6k=?="),
            ],
            vec![("empty", "")],
        ] {
            assert!(metadata(&pairs(&list)).is_ok(), "{list:?}");
        }
    }

    #[test]
    fn bad_metadata_names_the_field_and_the_fault() {
        let long = "v".repeat(MAX_METADATA_BYTES);
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("", "v")], "empty name"),
            (vec![("my name", "v")], "' '"),
            (vec![("a:b", "v")], "':'"),
            (vec![("naïve", "v")], "'ï'"),
            (vec![("x", "line\r\nx-amz-acl: public-read")], "control character"),
            (vec![("x", "tab\there")], "control character"),
            (vec![("x", "café")], "non-ASCII"),
            (vec![("Author", "a"), ("author", "b")], "twice"),
            (vec![("k", long.as_str())], "2048 bytes"),
        ];
        for (list, expected) in cases {
            let result = metadata(&pairs(&list));
            let message = message_of(result.clone());
            assert_eq!(field_of(result), "metadata", "{list:?}");
            assert!(message.contains(expected), "{list:?}: {message}");
        }
    }

    /// Names are searched for twice among no more than the limit's bytes
    /// of them: half a million names are refused for their size, as S3
    /// would, not searched pairwise (which took the component past a call's
    /// deadline).
    #[test]
    fn many_metadata_names_are_refused_for_their_size() {
        let list: Vec<(String, String)> = (0..500_000).map(|n| (format!("m{n}"), "v".to_owned())).collect();
        let message = message_of(metadata(&list));
        assert!(
            message.starts_with("is 3888890 bytes (names plus values)"),
            "{message}"
        );
        let mut list: Vec<(String, String)> = (0..400).map(|n| (format!("m{n}"), String::new())).collect();
        list.push(("M7".to_owned(), String::new()));
        assert!(message_of(metadata(&list)).contains("names `m7` twice"));
    }

    #[test]
    fn byte_range_must_not_end_before_it_starts() {
        for (from, to, ok) in [
            (0, None, true),
            (0, Some(0), true),
            (5, Some(9), true),
            (u64::MAX, None, true),
            (10, Some(9), false),
            (1, Some(0), false),
        ] {
            match byte_range("range", from, to) {
                Ok(()) => assert!(ok, "{from}-{to:?} passed"),
                Err(e) => {
                    assert!(!ok, "{from}-{to:?} failed: {e}");
                    assert_eq!(field_of(Err(e)), "range");
                }
            }
        }
        assert_eq!(field_of(byte_range("range_to", 3, Some(2))), "range_to");
    }

    #[test]
    fn version_ids_are_non_empty_printable_text() {
        for (id, ok) in [
            (
                "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
                true,
            ),
            ("null", true),
            ("", false),
            ("abc\n", false),
            ("a\u{0}b", false),
        ] {
            assert_eq!(version_id(id).is_ok(), ok, "{id:?}");
            if !ok {
                assert_eq!(field_of(version_id(id)), "version_id");
            }
        }
    }

    #[test]
    fn header_text_refuses_control_characters() {
        assert!(header_text("response-content-disposition", "attachment; filename=\"ü.txt\"").is_ok());
        assert_eq!(
            field_of(header_text("response-content-type", "text/plain\r\nx: y")),
            "response-content-type"
        );
    }

    #[test]
    fn file_names_are_checked_as_keys() {
        assert_eq!(field_of(object_key("file_name", "")), "file_name");
    }

    #[test]
    fn folder_paths_become_prefixes_ending_in_one_slash() {
        for (path, prefix) in [
            ("reports", "reports/"),
            ("reports/", "reports/"),
            ("reports/2026", "reports/2026/"),
            ("a b/ü+c", "a b/ü+c/"),
            ("x", "x/"),
        ] {
            assert_eq!(
                folder_path("folder_path", path).ok().as_deref(),
                Some(prefix),
                "{path:?}"
            );
        }
    }

    #[test]
    fn folder_paths_without_a_name_are_refused() {
        for path in ["", "/", "///", "a//b", "a//", "/reports", "//x"] {
            match folder_path("folder_path", path).map_err(Error::into_kind) {
                Err(ErrorKind::InvalidInput { field, message }) => {
                    assert_eq!(field, "folder_path", "{path:?}");
                    assert!(!message.is_empty());
                }
                other => panic!("{path:?}: expected invalid input, got {other:?}"),
            }
        }
        // The marker's key, slash included, is at most 1024 bytes.
        assert!(folder_path("parent", &"a".repeat(1023)).is_ok());
        assert_eq!(
            field_of(folder_path("parent", &"a".repeat(1024)).map(drop)),
            "parent"
        );
    }

    fn tag(key: &str, value: &str) -> (String, String) {
        (key.to_owned(), value.to_owned())
    }

    #[test]
    fn tags_within_s3_limits_pass() {
        let ten: Vec<_> = (0..10).map(|n| tag(&format!("k{n}"), "v")).collect();
        assert!(tags(&ten).is_ok());
        assert!(tags(&[]).is_ok());
        assert!(tags(&[tag("empty-value", "")]).is_ok());
        assert!(tags(&[tag(&"k".repeat(128), &"v".repeat(256))]).is_ok());
        // 128 characters of two UTF-8 bytes each are 128 UTF-16 units.
        assert!(tags(&[tag(&"é".repeat(128), &"é".repeat(256))]).is_ok());
        assert!(tags(&[tag("Project", "Blue"), tag("project", "x")]).is_ok());
        assert!(tags(&[tag("awsome", "x"), tag("AWS:x", "y"), tag("a&b<c>", "\"q\"")]).is_ok());
    }

    #[test]
    fn tags_outside_s3_limits_are_refused_naming_the_tag() {
        let eleven: Vec<_> = (0..11).map(|n| tag(&format!("k{n}"), "v")).collect();
        assert_eq!(field_of(tags(&eleven)), "tags");
        assert_eq!(field_of(tags(&[tag("", "v")])), "tags");
        let cases = [
            (vec![tag(&"k".repeat(129), "v")], "k".repeat(129)),
            (vec![tag("long", &"v".repeat(257))], "long".to_owned()),
            // An emoji is two UTF-16 units: 65 of them are 130.
            (vec![tag(&"😀".repeat(65), "v")], "😀".repeat(65)),
            (vec![tag("emoji", &"😀".repeat(129))], "emoji".to_owned()),
            (vec![tag("aws:createdBy", "me")], "aws:createdBy".to_owned()),
            (
                vec![tag("dup", "1"), tag("x", "2"), tag("dup", "3")],
                "dup".to_owned(),
            ),
            (vec![tag("bell", "\u{7}")], "bell".to_owned()),
            (vec![tag("nul\u{0}", "v")], "nul\u{0}".to_owned()),
        ];
        for (pairs, key) in cases {
            assert_eq!(field_of(tags(&pairs)), format!("tags.{key}"), "{pairs:?}");
        }
    }

    #[test]
    fn tag_lengths_are_counted_in_utf16_units() {
        let message = match tags(&[tag(&"😀".repeat(65), "v")]).map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { message, .. }) => message,
            other => panic!("expected invalid input, got {other:?}"),
        };
        assert!(message.contains("130"), "{message}");
        assert!(message.contains("UTF-16"), "{message}");
    }
}
