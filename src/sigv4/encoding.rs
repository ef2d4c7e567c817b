//! S3's percent-encoding rules, in one place for paths, queries and URLs.
//!
//! Every byte but the unreserved `A-Z a-z 0-9 - . _ ~` is encoded as `%XX`
//! with upper-case hex; in a path `/` is kept as well. Nothing is
//! normalised: `//`, `./` and `../` stay as they are, because in S3 they are
//! part of the key.

use std::borrow::Cow;

#[cfg(test)]
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::sigv4::canonical::{sort_pairs, Pair};

/// Bytes encoded in a query name or value: all but the unreserved set (the
/// `percent_encoding` crate's set, the tests' reference).
#[cfg(test)]
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Bytes encoded in a path: as [`QUERY`], but `/` is kept.
#[cfg(test)]
const PATH: &AsciiSet = &QUERY.remove(b'/');

/// Encodes an object key (raw, as the user gave it) into a URL path segment
/// sequence, once. `a b/c+d` -> `a%20b/c%2Bd`. Borrows the key when nothing
/// in it needs encoding.
pub fn encode_path(key: &str) -> Cow<'_, str> {
    encode(key, &KEPT_IN_PATH)
}

/// The bytes left as they are in a path, the unreserved set and `/`, by
/// byte value: a load per byte where tests of ranges cost a dozen
/// instructions.
const KEPT_IN_PATH: [bool; 256] = kept_with(b'/');

/// The bytes left as they are in a query name or value: the unreserved set.
const KEPT_IN_QUERY: [bool; 256] = kept_with(b'~');

/// The unreserved set, and `also`, by byte value.
const fn kept_with(also: u8) -> [bool; 256] {
    let mut kept = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        kept[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || b == also;
        byte += 1;
    }
    kept
}

/// `text` with every byte but those `kept` keeps ([`KEPT_IN_PATH`],
/// [`KEPT_IN_QUERY`]) as `%XX` in upper-case hex; borrowed when
/// nothing needs encoding, which a plain scan says for less than building
/// anything (every request encodes its key). Written here rather than with
/// the `percent_encoding` crate's encoder, whose table of the 256 `%XX`
/// texts and iterator of pieces took 0.8 KB more of the component.
fn encode<'a>(text: &'a str, kept: &[bool; 256]) -> Cow<'a, str> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let kept = |byte: u8| kept[usize::from(byte)];
    let bytes = text.as_bytes();
    let Some(first) = bytes.iter().position(|&byte| !kept(byte)) else {
        return Cow::Borrowed(text);
    };
    let mut out = Vec::with_capacity(bytes.len() + 2 * (bytes.len() - first));
    out.extend_from_slice(bytes.get(..first).unwrap_or_default());
    for &byte in bytes.get(first..).unwrap_or_default() {
        if kept(byte) {
            out.push(byte);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]]);
        }
    }
    // Only ASCII was written: the kept bytes and the escapes.
    Cow::Owned(String::from_utf8(out).unwrap_or_default())
}

/// Encodes a query name or value strictly: space is `%20`, `+` is `%2B`,
/// `/` is `%2F`.
pub fn encode_query_component(value: &str) -> String {
    encode_query_cow(value).into_owned()
}

/// As [`encode_query_component`], borrowing when nothing needs encoding.
fn encode_query_cow(value: &str) -> Cow<'_, str> {
    encode(value, &KEPT_IN_QUERY)
}

/// The canonical query string: each name and value encoded, sorted by
/// encoded name then value, joined as `a=1&b=`. It is also the query sent
/// on the wire, so the bytes signed are the bytes sent.
pub fn canonical_query_string(query: &[(String, String)]) -> String {
    canonical_query_from(query.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// [`canonical_query_string`] of raw `(name, value)` pairs.
pub fn canonical_query_from<'a, I>(query: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    canonical_query_of(
        query
            .into_iter()
            .map(|(name, value)| (encode_query_cow(name), encode_query_cow(value)))
            .collect(),
    )
}

/// The canonical query string of encoded pairs: not generic, so that it is
/// built once however the pairs were given.
fn canonical_query_of(mut pairs: Vec<Pair<'_>>) -> String {
    // Sorted by name, then by value for a repeated name
    // (`get-vanilla-query-order-key`), comparing the encoded bytes. The pair
    // is compared, not `name=value`: `Param` sorts before `Param-3`.
    sort_pairs(&mut pairs, |a, b| a.cmp(b));
    let mut out = String::with_capacity(pairs.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_keeps_exactly_what_the_path_set_keeps() {
        for byte in 0..=u8::MAX {
            let kept =
                percent_encoding::percent_encode(&[byte], PATH).to_string() == char::from(byte).to_string();
            assert_eq!(KEPT_IN_PATH[usize::from(byte)], kept, "{byte:#04x}");
        }
    }

    /// The encoder gives what the `percent_encoding` crate gives with the
    /// same sets, byte for byte: every byte alone and after a plain prefix,
    /// and texts of random bytes and characters.
    #[test]
    fn the_encoder_matches_percent_encoding() {
        use percent_encoding::utf8_percent_encode;
        let check = |text: &str| {
            assert_eq!(
                encode_path(text),
                utf8_percent_encode(text, PATH).to_string(),
                "{text:?}"
            );
            assert_eq!(
                encode_query_component(text),
                utf8_percent_encode(text, QUERY).to_string(),
                "{text:?}"
            );
        };
        for c in (0..=0x7f_u8)
            .map(char::from)
            .chain(['é', '€', '😀', '\u{7ff}', '\u{ffff}'])
        {
            check(&c.to_string());
            check(&format!("plain/{c}"));
            check(&format!("{c}plain"));
        }
        check("");
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let alphabet: Vec<char> = " %+/=&?#~-._aZ09é€😀\t\u{0}".chars().collect();
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..(seed % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            check(&text);
        }
    }

    #[test]
    fn path_keeps_slashes_and_unreserved() {
        assert_eq!(encode_path("a-b_c.d~e/f"), "a-b_c.d~e/f");
    }

    #[test]
    fn path_is_never_normalised() {
        assert_eq!(encode_path("a//b/../c/./d"), "a//b/../c/./d");
    }

    #[test]
    fn space_in_path_is_percent_20_and_plus_is_encoded() {
        assert_eq!(encode_path("a b+c=d"), "a%20b%2Bc%3Dd");
    }

    #[test]
    fn percent_in_key_is_encoded_once() {
        assert_eq!(encode_path("100%"), "100%25");
    }

    #[test]
    fn utf8_is_encoded_with_upper_case_hex() {
        assert_eq!(encode_path("é"), "%C3%A9");
    }

    #[test]
    fn query_encodes_slash_plus_and_space() {
        assert_eq!(encode_query_component("a/b+c d"), "a%2Fb%2Bc%20d");
    }

    #[test]
    fn canonical_query_is_sorted_by_encoded_name() {
        let q = vec![
            ("prefix".to_owned(), "J".to_owned()),
            ("max-keys".to_owned(), "2".to_owned()),
            ("acl".to_owned(), String::new()),
        ];
        assert_eq!(canonical_query_string(&q), "acl=&max-keys=2&prefix=J");
    }

    /// Awkward keys and their path encoding (each expected value agrees with
    /// botocore's `percent_encode(key, safe='/~')`). Nothing is normalised:
    /// dot segments, doubled and trailing slashes and Unicode forms all
    /// stay as given.
    const AWKWARD_KEYS: &[(&str, &str)] = &[
        ("a b", "a%20b"),
        ("a+b", "a%2Bb"),
        ("100%", "100%25"),
        ("%20", "%2520"),
        ("a=b", "a%3Db"),
        ("a:b", "a%3Ab"),
        ("a@b", "a%40b"),
        ("a&b", "a%26b"),
        ("a?b", "a%3Fb"),
        ("a#b", "a%23b"),
        ("a~b", "a~b"),
        ("a*b", "a%2Ab"),
        ("it's \"q\"", "it%27s%20%22q%22"),
        ("<>&", "%3C%3E%26"),
        ("a,b;c$!()", "a%2Cb%3Bc%24%21%28%29"),
        ("[]{}|\\^`", "%5B%5D%7B%7D%7C%5C%5E%60"),
        ("\n\t\u{7f}", "%0A%09%7F"),
        ("-_.~09AZaz", "-_.~09AZaz"),
        ("a//b", "a//b"),
        ("//", "//"),
        ("/lead", "/lead"),
        ("trail/", "trail/"),
        ("a/../b", "a/../b"),
        ("./x", "./x"),
        ("..", ".."),
        // NFC and NFD spellings of `é` are different keys to S3.
        ("\u{e9}", "%C3%A9"),
        ("e\u{301}", "e%CC%81"),
        (
            "日本語/ファイル",
            "%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB",
        ),
        ("😀", "%F0%9F%98%80"),
    ];

    #[test]
    fn awkward_keys_are_encoded_once_and_never_normalised() {
        for (key, expected) in AWKWARD_KEYS {
            assert_eq!(encode_path(key), *expected, "key {key:?}");
        }
    }

    #[test]
    fn awkward_keys_are_signed_as_they_are_sent() {
        use crate::connection::Credentials;
        use crate::http::{HttpRequest, Method};
        use crate::sigv4::{sign, SigningContext};

        let credentials = Credentials::new("AKID", "secret", None);
        let ctx = SigningContext {
            credentials: &credentials,
            region: "us-east-1",
            service: "s3",
            time: time::macros::datetime!(2013-05-24 00:00:00 UTC),
        };
        for (key, expected) in AWKWARD_KEYS {
            let path = format!("/bucket/{}", encode_path(key));
            let mut request = HttpRequest {
                method: Method::Get,
                scheme: "https",
                host: "s3.us-east-1.amazonaws.com".to_owned(),
                path: path.clone(),
                query: Vec::new(),
                headers: Vec::new(),
                body: Default::default(),
            };
            sign(&mut request, &ctx);
            assert_eq!(request.path, path, "key {key:?}: the signer changed the path");
            assert_eq!(
                request.url(),
                format!("https://s3.us-east-1.amazonaws.com/bucket/{expected}")
            );
            let signed = crate::sigv4::header_signature(
                &request,
                &ctx,
                &crate::sigv4::key::SigningKey::from_bytes(&[0; 32]),
                crate::sigv4::EMPTY_SHA256,
            );
            let uri = signed.canonical_request.lines().nth(1);
            assert_eq!(
                uri,
                Some(path.as_str()),
                "key {key:?}: canonical URI is not the wire path"
            );
        }
    }

    #[test]
    fn a_1024_byte_key_is_encoded_whole() {
        let ascii = "k".repeat(1024);
        assert_eq!(encode_path(&ascii), ascii);
        let two_byte = "\u{e9}".repeat(512);
        assert_eq!(two_byte.len(), 1024);
        assert_eq!(encode_path(&two_byte), "%C3%A9".repeat(512));
        let mixed = "a b/".repeat(256);
        assert_eq!(mixed.len(), 1024);
        assert_eq!(encode_path(&mixed), "a%20b/".repeat(256));
    }

    #[test]
    fn query_components_encode_every_reserved_byte() {
        let cases = [
            ("a b", "a%20b"),
            ("a+b", "a%2Bb"),
            ("a/b", "a%2Fb"),
            ("a=b&c", "a%3Db%26c"),
            ("a;b", "a%3Bb"),
            ("~-._", "~-._"),
            ("\u{e9}", "%C3%A9"),
            ("%41", "%2541"),
        ];
        for (raw, expected) in cases {
            assert_eq!(encode_query_component(raw), expected, "value {raw:?}");
        }
    }

    #[test]
    fn repeated_query_names_sort_by_value() {
        let q = vec![("p".to_owned(), "b".to_owned()), ("p".to_owned(), "a".to_owned())];
        assert_eq!(canonical_query_string(&q), "p=a&p=b");
    }

    #[test]
    fn query_names_sort_by_name_before_value() {
        // `Param` < `Param-3` as names, although `Param=` > `Param-` as text.
        let q = vec![
            ("Param-3".to_owned(), "x".to_owned()),
            ("Param".to_owned(), "y".to_owned()),
        ];
        assert_eq!(canonical_query_string(&q), "Param=y&Param-3=x");
    }

    #[test]
    fn query_sorts_by_encoded_bytes() {
        // Raw, `é` (0xC3 0xA9) sorts after `~` (0x7E); encoded, `%C3%A9`
        // sorts before it. SigV4 sorts the encoded names.
        let q = vec![
            ("~".to_owned(), String::new()),
            ("\u{e9}".to_owned(), String::new()),
        ];
        assert_eq!(canonical_query_string(&q), "%C3%A9=&~=");
    }
}
