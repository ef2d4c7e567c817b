//! Byte scans on the hot path, eight bytes at a time.
//!
//! Every header value of every request is checked for blanks before it is
//! signed, and every credential and endpoint for control characters. A
//! byte-by-byte loop costs the guest some 35 instructions per byte at
//! `-Os`; these look at a `u64` word per step (the "has less" test of
//! <https://graphics.stanford.edu/~seander/bithacks.html#HasLessInWord>)
//! and finish the tail byte by byte.

/// `0x01` in every byte.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
/// The high bit of every byte.
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether a byte of `word` is below `n` (at most 128). Exact as to
/// whether there is one (not as to which).
fn word_has_below(word: u64, n: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS != 0
}

/// Whether a byte of `word` is `0x7f` or above. A carry out of a byte
/// only comes from `0xff`, which is found by its own high bit.
fn word_has_at_least_7f(word: u64) -> bool {
    (word | word.wrapping_add(ONES)) & HIGHS != 0
}

/// Runs `word_test` over each whole eight-byte word of `bytes` and
/// `byte_test` over the rest: whether either found something.
fn any(bytes: &[u8], word_test: impl Fn(u64) -> bool, byte_test: impl Fn(u8) -> bool) -> bool {
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        // Every chunk has eight bytes; were one short, "found" only sends
        // the caller down its careful path.
        let found = <[u8; 8]>::try_from(chunk).map_or(true, |word| word_test(u64::from_ne_bytes(word)));
        if found {
            return true;
        }
    }
    for &b in words.remainder() {
        if byte_test(b) {
            return true;
        }
    }
    false
}

/// Whether `bytes` hold a byte of at most `max` (which must be below 128),
/// such as a blank or a control character for `max = b' '`.
pub fn has_byte_at_most(bytes: &[u8], max: u8) -> bool {
    let below = max.saturating_add(1).min(128);
    any(bytes, |w| word_has_below(w, below), |b| b < below)
}

/// Whether a byte of `word` is an ASCII capital (`A` to `Z`). The high bits
/// are cleared first, so that no byte carries into the next; a byte whose
/// own high bit is set is not ASCII and is left out at the end.
fn word_has_upper(word: u64) -> bool {
    let low = word & !HIGHS;
    let from_a = low.wrapping_add(ONES * u64::from(0x80 - b'A'));
    let past_z = low.wrapping_add(ONES * u64::from(0x80 - b'Z' - 1));
    from_a & !past_z & !word & HIGHS != 0
}

/// `word` with its ASCII capitals made small: the high bit that
/// [`word_has_upper`]'s test leaves in each capital's byte, moved down to
/// `0x20`, is the difference between the two cases.
fn word_to_lower(word: u64) -> u64 {
    let low = word & !HIGHS;
    let from_a = low.wrapping_add(ONES * u64::from(0x80 - b'A'));
    let past_z = low.wrapping_add(ONES * u64::from(0x80 - b'Z' - 1));
    word | ((from_a & !past_z & !word & HIGHS) >> 2)
}

/// Whether `bytes` hold an ASCII capital: every header name is checked
/// before it is signed, and the operations write them in lower case.
pub fn has_upper(bytes: &[u8]) -> bool {
    any(bytes, word_has_upper, |b| b.is_ascii_uppercase())
}

/// Whether `bytes` hold `needle`: an XML element's name is searched for
/// the `:` of a namespace prefix with it.
pub fn contains(bytes: &[u8], needle: u8) -> bool {
    let spread = ONES.wrapping_mul(u64::from(needle));
    // A byte of `word ^ spread` is zero exactly where `needle` is.
    let found = |w: u64| word_has_below(w ^ spread, 1);
    match cover(bytes) {
        Some((first, last)) => found(first) || found(last),
        None => any(bytes, found, |b| b == needle),
    }
}

/// Two words that hold every byte of `bytes` when it has 1 to 16, with no
/// loop: from 8 bytes on its first eight and its last eight (which overlap
/// below 16), from 4 its first four and its last four in one word, below 4
/// its first, middle and last bytes repeated. `None` when it is empty or
/// longer.
///
/// Two byte strings of one length are equal exactly when their covers
/// are, and one holds a byte exactly when its cover does: so a short
/// string (an element or header name) is compared or searched in one or
/// two steps. Each loop iteration in the component also pays the
/// runtime's interruption check; with a length known where it is inlined,
/// one arm is left.
#[inline(always)]
fn cover(bytes: &[u8]) -> Option<(u64, u64)> {
    let n = bytes.len();
    let at = |i: usize| bytes.get(i).copied();
    let quad = |from: usize| -> Option<[u8; 4]> { bytes.get(from..from + 4)?.try_into().ok() };
    let eight =
        |from: usize| -> Option<u64> { bytes.get(from..from + 8)?.try_into().ok().map(u64::from_ne_bytes) };
    match n {
        1..=3 => {
            let (f, m, l) = (at(0)?, at(n / 2)?, at(n - 1)?);
            let word = u64::from_ne_bytes([f, m, l, f, m, l, f, m]);
            Some((word, word))
        }
        4..=7 => {
            let (f, l) = (quad(0)?, quad(n - 4)?);
            let word = u64::from_ne_bytes([f[0], f[1], f[2], f[3], l[0], l[1], l[2], l[3]]);
            Some((word, word))
        }
        8..=16 => Some((eight(0)?, eight(n - 8)?)),
        _ => None,
    }
}

/// Whether `bytes` hold `one` or `other`, searched 16 bytes a step
/// (`memchr2`, SIMD in the component): a listing's keys are searched for
/// the `+` and `%` of URL encoding with it.
pub fn contains_either(bytes: &[u8], one: u8, other: u8) -> bool {
    memchr::memchr2(one, other, bytes).is_some()
}

/// Where `needle` first starts in `text`: a short ASCII needle such as
/// `://` in a URL, searched byte by byte. The standard library's search for
/// a `&str` needle (a two-way searcher, 3 KB of the component) is built for
/// long texts and needles that the connector never searches.
pub fn find(text: &str, needle: &str) -> Option<usize> {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    if needle.is_empty() {
        return Some(0);
    }
    text.windows(needle.len()).position(|window| window == needle)
}

/// Whether `bytes` hold a byte that a JSON string escapes: `"`, `\` or a
/// control character below `0x20`. Every string of every output is
/// checked with it (a 1000-key listing writes some 44 KB of them), and
/// nearly none holds one.
pub fn has_json_escape(bytes: &[u8]) -> bool {
    const QUOTES: u64 = ONES.wrapping_mul(b'"' as u64);
    const BACKSLASHES: u64 = ONES.wrapping_mul(b'\\' as u64);
    any(
        bytes,
        // A byte of `word ^ QUOTES` is zero exactly where `"` is.
        |w| word_has_below(w, 0x20) || word_has_below(w ^ QUOTES, 1) || word_has_below(w ^ BACKSLASHES, 1),
        |b| b < 0x20 || b == b'"' || b == b'\\',
    )
}

/// Whether `bytes` are all printable ASCII (`0x20` to `0x7e`).
pub fn is_printable(bytes: &[u8]) -> bool {
    !any(
        bytes,
        |w| word_has_below(w, 0x20) || word_has_at_least_7f(w),
        |b| !(0x20..0x7f).contains(&b),
    )
}

/// Whether `a` and `b` are the same bytes but for ASCII case, as
/// `eq_ignore_ascii_case`, compared a `u64` word per step: header names are
/// looked up this way on every request and response.
pub fn same_ignoring_case(a: &[u8], b: &[u8]) -> bool {
    equal_by(
        a,
        b,
        |x, y| word_to_lower(x) == word_to_lower(y),
        |x, y| x.eq_ignore_ascii_case(y),
    )
}

/// Whether `a` and `b` are the same bytes, compared a `u64` word per step.
/// `==` on byte strings calls the C library's `memcmp`, a loop over single
/// bytes in the guest: comparing a connection and a signing key's scope
/// with it cost some 4k instructions per call.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    equal_by(a, b, |x, y| x == y, |x, y| x.iter().zip(y).all(|(p, q)| p == q))
}

/// [`same`], inlined where it is called, for the hot loops (an XML page's
/// element names): up to 16 bytes it is one or two compares of words with
/// no loop (`cover`), and against a literal the literal's words are
/// constants and its length leaves one arm, so that a name is compared in
/// a few instructions and no call.
#[inline(always)]
pub fn same_inline(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match (cover(a), cover(b)) {
        (Some(x), Some(y)) => x == y,
        _ => same(a, b),
    }
}

/// Whether `a` and `b`, of one length, are equal by `words` over each pair
/// of eight-byte words and by `bytes` over the rest.
fn equal_by(
    a: &[u8],
    b: &[u8],
    words: impl Fn(u64, u64) -> bool,
    bytes: impl Fn(&[u8], &[u8]) -> bool,
) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut left = a.chunks_exact(8);
    let mut right = b.chunks_exact(8);
    for (x, y) in (&mut left).zip(&mut right) {
        let word = |chunk: &[u8]| <[u8; 8]>::try_from(chunk).ok().map(u64::from_ne_bytes);
        let equal = match (word(x), word(y)) {
            (Some(x), Some(y)) => words(x, y),
            // Every chunk has eight bytes; were one short, compare it as is.
            _ => bytes(x, y),
        };
        if !equal {
            return false;
        }
    }
    bytes(left.remainder(), right.remainder())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find` agrees with `str::find` on needles at the start, the end, in
    /// between, overlapping themselves, absent, longer than the text, empty,
    /// and in non-ASCII text.
    #[test]
    fn find_agrees_with_the_library() {
        let texts = [
            "",
            "/",
            "//",
            "a//b",
            "https://h",
            "://",
            "h:/:/",
            "a:///b",
            "é://ü",
            "x?versionId=1",
            "?versionid=1",
            "a?versionId=",
            "aaaab",
        ];
        let needles = ["://", "//", "?versionId=", "", "aab", "é", "abcdefghijklmnop"];
        for text in texts {
            for needle in needles {
                assert_eq!(find(text, needle), text.find(needle), "{text:?} {needle:?}");
            }
        }
    }

    /// Every byte value at every position of words and tails, against a
    /// byte loop.
    #[test]
    fn has_json_escape_agrees_with_a_byte_loop() {
        let escaped = |b: &u8| *b < 0x20 || *b == b'"' || *b == b'\\';
        for len in [0usize, 1, 7, 8, 9, 15, 16, 17, 40] {
            let base: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(!has_json_escape(&base));
            for at in 0..len {
                for value in 0..=u8::MAX {
                    let mut bytes = base.clone();
                    bytes[at] = value;
                    assert_eq!(has_json_escape(&bytes), bytes.iter().any(escaped), "{bytes:?}");
                }
            }
        }
        // Neighbours of the three, and bytes with the high bit, side by side.
        for word in [
            *b"!#[]\x1f \x7f\xff",
            *b"\xa2\xdc\x9f\x80\x81!#]",
            *b"\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert_eq!(has_json_escape(&word), word.iter().any(escaped), "{word:?}");
        }
    }

    /// Every byte value at every position of words and tails, against a
    /// byte loop.
    #[test]
    fn has_upper_agrees_with_a_byte_loop() {
        for len in [0usize, 1, 7, 8, 9, 15, 16, 17, 40] {
            let base: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(!has_upper(&base));
            for at in 0..len {
                for value in 0..=u8::MAX {
                    let mut bytes = base.clone();
                    bytes[at] = value;
                    assert_eq!(
                        has_upper(&bytes),
                        bytes.iter().any(u8::is_ascii_uppercase),
                        "{bytes:?}"
                    );
                }
            }
        }
        // Neighbours of the range, and bytes with the high bit, side by side.
        for word in [
            *b"@[`{\xc1\xda\xff\x80",
            *b"@@@@@@@Z",
            *b"A\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert_eq!(
                has_upper(&word),
                word.iter().any(u8::is_ascii_uppercase),
                "{word:?}"
            );
        }
    }

    /// Every byte value at every position of words and tails, on either
    /// side, against `eq_ignore_ascii_case`.
    #[test]
    fn same_ignoring_case_agrees_with_the_library() {
        for len in [0usize, 1, 7, 8, 9, 15, 16, 17, 40] {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_ignoring_case(&a, &a.to_ascii_uppercase()));
            for at in 0..len {
                for value in 0..=u8::MAX {
                    let mut b = a.clone();
                    b[at] = value;
                    let expected = a.eq_ignore_ascii_case(&b);
                    assert_eq!(same_ignoring_case(&a, &b), expected, "{a:?} {b:?}");
                    assert_eq!(same_ignoring_case(&b, &a), expected, "{b:?} {a:?}");
                    let upper = a.to_ascii_uppercase();
                    assert_eq!(same_ignoring_case(&upper, &b), expected, "{upper:?} {b:?}");
                }
            }
            let mut longer = a.clone();
            longer.push(b'z');
            assert!(!same_ignoring_case(&a, &longer));
        }
        // Capitals against the bytes 0x20 above their neighbours' ranges,
        // and bytes past ASCII that differ as a capital and a small letter
        // do.
        assert!(!same_ignoring_case(b"@[`{@[`{", b"`{@[`{@["));
        assert!(!same_ignoring_case(&[0xc1; 8], &[0xe1; 8]));
        assert!(!same_ignoring_case(&[0xda; 9], &[0xfa; 9]));
        assert!(same_ignoring_case(b"X-AMZ-DATE", b"x-amz-date"));
    }

    /// Every pair of strings that differ in one byte, at every position of
    /// words and tails, and equal ones, against `==`.
    #[test]
    fn same_agrees_with_equality() {
        // Every length `cover` has an arm for, and past it.
        for len in (0usize..=18).chain([24, 40]) {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same(&a, &a.clone()) && same_inline(&a, &a.clone()));
            for at in 0..len {
                for value in [0u8, b'A', 0x80, 0xff] {
                    let mut b = a.clone();
                    b[at] = value;
                    assert_eq!(same(&a, &b), a == b, "{a:?} {b:?}");
                    assert_eq!(same_inline(&a, &b), a == b, "{a:?} {b:?}");
                    assert_eq!(same_inline(&b, &a), a == b, "{b:?} {a:?}");
                }
            }
            let mut longer = a.clone();
            longer.push(b'z');
            assert!(!same(&a, &longer) && !same(&longer, &a));
            assert!(!same_inline(&a, &longer) && !same_inline(&longer, &a));
        }
    }

    /// Every byte value at every position of words and tails, in strings of
    /// lengths around the word size, against the plain definition.
    #[test]
    fn the_word_scans_agree_with_byte_by_byte_ones() {
        for len in (0usize..=18).chain([24]) {
            for at in 0..len {
                for fill in [b'a', b'~', b' ' + 1] {
                    for value in 0..=255u8 {
                        let mut bytes = vec![fill; len];
                        bytes[at] = value;
                        assert_eq!(
                            is_printable(&bytes),
                            bytes.iter().all(|b| (0x20..0x7f).contains(b)),
                            "{bytes:?}"
                        );
                        for needle in [b':', 0, 0x80, 0xff] {
                            assert_eq!(
                                contains(&bytes, needle),
                                bytes.contains(&needle),
                                "{bytes:?} {needle}"
                            );
                        }
                        for max in [b' ', 0x1f, 0, 0x7e] {
                            assert_eq!(
                                has_byte_at_most(&bytes, max),
                                bytes.iter().any(|&b| b <= max),
                                "{bytes:?} {max}"
                            );
                        }
                    }
                }
            }
        }
        assert!(is_printable(b""));
        assert!(!has_byte_at_most(b"", b' '));
    }

    #[test]
    fn contains_either_finds_either_byte_anywhere() {
        for len in 0usize..40 {
            let plain = vec![b'k'; len];
            assert!(!contains_either(&plain, b'+', b'%'));
            for at in 0..len {
                for (byte, found) in [(b'+', true), (b'%', true), (b'*', false)] {
                    let mut bytes = plain.clone();
                    bytes[at] = byte;
                    assert_eq!(contains_either(&bytes, b'+', b'%'), found, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn two_special_bytes_in_one_word_are_found() {
        // Borrows and carries between bytes must not hide a byte.
        for (a, b) in [
            (0x00u8, 0xffu8),
            (0xff, 0x00),
            (0x7f, 0x1f),
            (0x20, 0x7f),
            (0xff, 0xff),
        ] {
            for at in 0..7 {
                let mut bytes = [b'x'; 8];
                bytes[at] = a;
                bytes[at + 1] = b;
                assert!(!is_printable(&bytes), "{bytes:?}");
            }
        }
    }
}
