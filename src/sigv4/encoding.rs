//! S3's percent-encoding rules, in one place for paths, queries and URLs.
//!
//! Every byte but the unreserved `A-Z a-z 0-9 - . _ ~` is encoded as `%XX`
//! with upper-case hex; in a path `/` is kept as well. Nothing is
//! normalised: `//`, `./` and `../` stay as they are, because in S3 they are
//! part of the key.

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Bytes encoded in a query name or value: all but the unreserved set.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Bytes encoded in a path: as [`QUERY`], but `/` is kept.
const PATH: &AsciiSet = &QUERY.remove(b'/');

/// Encodes an object key (raw, as the user gave it) into a URL path segment
/// sequence, once. `a b/c+d` -> `a%20b/c%2Bd`.
pub fn encode_path(key: &str) -> String {
    utf8_percent_encode(key, PATH).to_string()
}

/// Encodes a query name or value strictly: space is `%20`, `+` is `%2B`,
/// `/` is `%2F`.
pub fn encode_query_component(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

/// As [`encode_query_component`], borrowing when nothing needs encoding.
fn encode_query_cow(value: &str) -> Cow<'_, str> {
    utf8_percent_encode(value, QUERY).into()
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
    let mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> = query
        .into_iter()
        .map(|(name, value)| (encode_query_cow(name), encode_query_cow(value)))
        .collect();
    // Sorted by name, then by value for a repeated name
    // (`get-vanilla-query-order-key`), comparing the encoded bytes. The pair
    // is compared, not `name=value`: `Param` sorts before `Param-3`.
    pairs.sort_unstable();
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
}
