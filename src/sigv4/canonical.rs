//! Stage 1: the canonical request.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html#canonical-request>

use std::borrow::Cow;
use std::cmp::Ordering;

/// Headers as signed: names lower case, values trimmed with inner runs of
/// whitespace folded to one space, repeated names joined with `,` in the
/// order given, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalHeaders<'a> {
    entries: Vec<Pair<'a>>,
    /// The signed header list, written once: it goes into the canonical
    /// request and into the `Authorization` header or the presigned URL.
    signed: String,
}

impl<'a> CanonicalHeaders<'a> {
    /// Canonicalises `headers` (every one of them is signed).
    pub fn new(headers: &'a [(String, String)]) -> Self {
        Self::from_pairs(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }

    /// Canonicalises `(name, value)` pairs (every one of them is signed).
    pub fn from_pairs<I>(headers: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        Self::from_entries(
            headers
                .into_iter()
                .map(|(name, value)| (lower_case(name), trim_all(value)))
                .collect(),
        )
    }

    /// Sorts and joins canonicalised entries: not generic, so that the sort
    /// is built once however the pairs were given.
    fn from_entries(mut entries: Vec<Pair<'a>>) -> Self {
        // A stable sort keeps repeated headers in the order they were given:
        // `get-header-value-order` signs `value4,value1,value3,value2`.
        sort_pairs(&mut entries, |a, b| a.0.cmp(&b.0));
        // Headers of one name, next to each other after the sort, become one
        // whose values are joined in that order (in place: `dedup_by` hands
        // the later entry first, then the one it is kept in).
        entries.dedup_by(|(name, value), (kept, joined)| {
            let same = *kept == *name;
            if same {
                let joined = joined.to_mut();
                joined.push(',');
                joined.push_str(value);
            }
            same
        });
        let mut signed = String::with_capacity(entries.iter().map(|(n, _)| n.len() + 1).sum());
        for (i, (name, _)) in entries.iter().enumerate() {
            if i > 0 {
                signed.push(';');
            }
            signed.push_str(name);
        }
        CanonicalHeaders { entries, signed }
    }

    /// The signed header list, `name;name;...`.
    pub fn signed_headers(&self) -> &str {
        &self.signed
    }

    /// The signed header list, taken out.
    pub fn into_signed_headers(self) -> String {
        self.signed
    }

    /// `name:value\n` for each header.
    pub fn canonical_block(&self) -> String {
        let mut out = String::with_capacity(self.block_len());
        self.write_canonical_block(&mut out);
        out
    }

    /// Appends the canonical header block to `out`.
    pub fn write_canonical_block(&self, out: &mut String) {
        for (name, value) in &self.entries {
            out.push_str(name);
            out.push(':');
            out.push_str(value);
            out.push('\n');
        }
    }

    fn block_len(&self) -> usize {
        self.entries.iter().map(|(n, v)| n.len() + v.len() + 2).sum()
    }
}

/// A pair of canonical strings: a header or a query parameter.
pub(crate) type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// How [`sort_pairs`] orders two pairs.
pub(crate) type Order = fn(&Pair<'_>, &Pair<'_>) -> Ordering;

/// Sorts `pairs` stably by `order`. Headers (by name) and query parameters
/// (by name, then value) share one sort: through a function pointer it is
/// built once into the component, where each closure would build its own.
pub(crate) fn sort_pairs(pairs: &mut [Pair<'_>], order: Order) {
    pairs.sort_by(order);
}

/// `name` in lower case, borrowed when it already is (the usual case: the
/// operations write header names in lower case).
fn lower_case(name: &str) -> Cow<'_, str> {
    if crate::ascii::has_upper(name.as_bytes()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Whitespace as SigV4's `Trimall` sees it: the HTTP blanks (space, tab) and
/// the line breaks of an obs-folded value. Non-ASCII spaces (U+00A0, U+3000)
/// are data and are signed as they are sent.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// SigV4's `Trimall`: removes leading and trailing whitespace and folds every
/// inner run of it to one space (`"a   b"` -> `"a b"`, as in
/// `get-header-value-trim`). Borrows when there is nothing to change.
fn trim_all(value: &str) -> Cow<'_, str> {
    // The usual value has no blank at all (nor any byte below one): a scan
    // of eight bytes at a time settles it.
    if !crate::ascii::has_byte_at_most(value.as_bytes(), b' ') {
        return Cow::Borrowed(value);
    }
    let trimmed = value.trim_matches(is_blank);
    // One pass: only a blank other than a space, or two blanks in a row,
    // need a copy.
    let mut previous_blank = false;
    let clean = trimmed.bytes().all(|b| {
        let blank = is_blank(char::from(b));
        let fine = !blank || (b == b' ' && !previous_blank);
        previous_blank = blank;
        fine
    });
    if clean {
        return Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut in_blank = false;
    for c in trimmed.chars() {
        if is_blank(c) {
            if !in_blank {
                out.push(' ');
            }
            in_blank = true;
        } else {
            out.push(c);
            in_blank = false;
        }
    }
    Cow::Owned(out)
}

/// The canonical request: method, encoded path (`/` when empty), canonical
/// query, canonical headers, signed header list and payload hash, one per
/// line.
pub fn canonical_request(
    method: &str,
    encoded_path: &str,
    canonical_query: &str,
    headers: &CanonicalHeaders<'_>,
    payload_hash: &str,
) -> String {
    let path = if encoded_path.is_empty() {
        "/"
    } else {
        encoded_path
    };
    let capacity = method.len()
        + path.len()
        + canonical_query.len()
        + headers.block_len()
        + headers.signed.len()
        + payload_hash.len()
        + 5;
    let mut out = String::with_capacity(capacity);
    out.push_str(method);
    out.push('\n');
    out.push_str(path);
    out.push('\n');
    out.push_str(canonical_query);
    out.push('\n');
    headers.write_canonical_block(&mut out);
    out.push('\n');
    out.push_str(&headers.signed);
    out.push('\n');
    out.push_str(payload_hash);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn names_are_lower_cased_and_sorted() {
        let h = pairs(&[("X-Amz-Date", "1"), ("Host", "h"), ("content-type", "t")]);
        let c = CanonicalHeaders::new(&h);
        assert_eq!(c.signed_headers(), "content-type;host;x-amz-date");
        assert_eq!(c.canonical_block(), "content-type:t\nhost:h\nx-amz-date:1\n");
    }

    #[test]
    fn values_are_trimmed_and_inner_runs_folded() {
        let h = pairs(&[
            ("a", "  x  "),
            ("b", "\"a   b   c\""),
            ("c", "p\t\tq"),
            ("d", "1\r\n  2"),
        ]);
        assert_eq!(
            CanonicalHeaders::new(&h).canonical_block(),
            "a:x\nb:\"a b c\"\nc:p q\nd:1 2\n"
        );
    }

    #[test]
    fn a_single_tab_inside_a_value_becomes_a_space() {
        let h = pairs(&[("a", "x\ty")]);
        assert_eq!(CanonicalHeaders::new(&h).canonical_block(), "a:x y\n");
    }

    #[test]
    fn non_ascii_spaces_are_kept() {
        let h = pairs(&[("x-amz-meta-a", "a\u{a0}\u{a0}b\u{3000}")]);
        assert_eq!(
            CanonicalHeaders::new(&h).canonical_block(),
            "x-amz-meta-a:a\u{a0}\u{a0}b\u{3000}\n"
        );
    }

    #[test]
    fn repeated_names_are_joined_in_the_order_given() {
        let h = pairs(&[
            ("My-Header1", "value4"),
            ("host", "h"),
            ("my-header1", " value1 "),
        ]);
        let c = CanonicalHeaders::new(&h);
        assert_eq!(c.canonical_block(), "host:h\nmy-header1:value4,value1\n");
        assert_eq!(c.signed_headers(), "host;my-header1");
    }

    #[test]
    fn empty_value_is_signed_as_empty() {
        let h = pairs(&[("x-empty", "   ")]);
        assert_eq!(CanonicalHeaders::new(&h).canonical_block(), "x-empty:\n");
    }

    #[test]
    fn canonical_request_has_six_parts() {
        let h = pairs(&[("host", "h")]);
        let c = CanonicalHeaders::new(&h);
        assert_eq!(
            canonical_request("GET", "/k", "a=", &c, "UNSIGNED-PAYLOAD"),
            "GET\n/k\na=\nhost:h\n\nhost\nUNSIGNED-PAYLOAD"
        );
    }

    #[test]
    fn empty_path_is_slash() {
        let c = CanonicalHeaders::new(&[]);
        assert_eq!(canonical_request("GET", "", "", &c, "x"), "GET\n/\n\n\n\nx");
    }
}
