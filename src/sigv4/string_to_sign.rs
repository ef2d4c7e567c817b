//! Stage 2: the string to sign.

use std::fmt::Write;

use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset};

use super::{push_hex, ALGORITHM};

/// `time` in UTC. A time whose UTC date would fall outside the range `time`
/// supports (years beyond ±9999) is used as it is rather than panicking:
/// such a signature is wrong either way, but the guest must not trap.
pub(super) fn utc(time: OffsetDateTime) -> OffsetDateTime {
    time.checked_to_offset(UtcOffset::UTC).unwrap_or(time)
}

/// `value` (below 100) as two ASCII digits.
fn two_digits(value: u8) -> [u8; 2] {
    [b'0' + value / 10 % 10, b'0' + value % 10]
}

/// Appends ASCII digits written on the stack. Signing formats dates on
/// every request: written into one array and appended once, they skip the
/// formatting machinery and a copy per pair of digits.
fn push_ascii(out: &mut String, digits: &[u8]) {
    // Only ASCII was written, so this cannot fail.
    out.push_str(std::str::from_utf8(digits).unwrap_or_default());
}

/// `YYYYMMDD` of `t` as digits, for the years `YYYY` can write.
fn date_digits(t: OffsetDateTime) -> Option<[u8; 8]> {
    let year = u16::try_from(t.year()).ok().filter(|year| *year <= 9999)?;
    // Both halves are below 100, so neither truncates.
    let [c0, c1] = two_digits((year / 100) as u8);
    let [y0, y1] = two_digits((year % 100) as u8);
    let [m0, m1] = two_digits(u8::from(t.month()));
    let [d0, d1] = two_digits(t.day());
    Some([c0, c1, y0, y1, m0, m1, d0, d1])
}

/// Appends `YYYYMMDD`.
fn push_date(out: &mut String, t: OffsetDateTime) {
    match date_digits(t) {
        Some(digits) => push_ascii(out, &digits),
        // Negative years and the like: rare, and never a valid signature.
        // Writing to a `String` cannot fail.
        None => {
            let _ = write!(out, "{:04}", t.year());
            let [m0, m1] = two_digits(u8::from(t.month()));
            let [d0, d1] = two_digits(t.day());
            push_ascii(out, &[m0, m1, d0, d1]);
        }
    }
}

/// `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` format.
pub fn amz_date(time: OffsetDateTime) -> String {
    let t = utc(time);
    let [h0, h1] = two_digits(t.hour());
    let [m0, m1] = two_digits(t.minute());
    let [s0, s1] = two_digits(t.second());
    let clock = [b'T', h0, h1, m0, m1, s0, s1, b'Z'];
    let mut out = String::with_capacity(16);
    match date_digits(t) {
        // The usual case, appended at once.
        Some([a, b, c, d, e, f, g, h]) => {
            let [i, j, k, l, m, n, o, p] = clock;
            push_ascii(&mut out, &[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]);
        }
        None => {
            push_date(&mut out, t);
            push_ascii(&mut out, &clock);
        }
    }
    out
}

/// `YYYYMMDD`, the date of the credential scope.
pub fn date_stamp(time: OffsetDateTime) -> String {
    let mut out = String::with_capacity(8);
    push_date(&mut out, utc(time));
    out
}

/// The credential scope: `date/region/service/aws4_request`.
pub fn scope(time: OffsetDateTime, region: &str, service: &str) -> String {
    scope_at(&date_stamp(time), region, service)
}

/// The credential scope for an [`amz_date`] (or a [`date_stamp`]) already
/// formatted: its date is the part before the `T`, so the date is not
/// formatted again.
pub fn scope_at(amz_date: &str, region: &str, service: &str) -> String {
    let mut out = String::with_capacity(amz_date.len() + region.len() + service.len() + 15);
    push_scope(&mut out, amz_date, region, service);
    out
}

/// Appends the credential scope for an [`amz_date`] to `out`.
fn push_scope(out: &mut String, amz_date: &str, region: &str, service: &str) {
    // Up to the `T`, found by a plain loop: the library's search for a
    // character sets up a word-at-a-time scan that costs more than these
    // eight bytes.
    let date = amz_date
        .bytes()
        .position(|b| b == b'T')
        .and_then(|at| amz_date.get(..at))
        .unwrap_or(amz_date);
    out.push_str(date);
    out.push('/');
    out.push_str(region);
    out.push('/');
    out.push_str(service);
    out.push_str("/aws4_request");
}

/// The string to sign for a canonical request: the algorithm, the
/// timestamp, the scope and the hex SHA-256 of the canonical request, one
/// per line.
pub fn string_to_sign(time: OffsetDateTime, scope: &str, canonical_request: &str) -> String {
    string_to_sign_at(&amz_date(time), scope, canonical_request)
}

/// [`string_to_sign`] for an [`amz_date`] already formatted.
pub fn string_to_sign_at(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut out = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 64 + 3);
    let hash = Sha256::digest(canonical_request.as_bytes());
    push_string_to_sign(&mut out, amz_date, |out| out.push_str(scope), &hash);
    out
}

/// Replaces `text`, a canonical request, by its string to sign, the scope
/// for `region` and `service` written into it: the buffer of one serves
/// the other. Returns where in `text` the scope is.
pub(super) fn into_string_to_sign(
    text: &mut String,
    amz_date: &str,
    region: &str,
    service: &str,
) -> std::ops::Range<usize> {
    let hash = Sha256::digest(text.as_bytes());
    text.clear();
    let mut scope = 0..0;
    push_string_to_sign(
        text,
        amz_date,
        |out| {
            scope.start = out.len();
            push_scope(out, amz_date, region, service);
            scope.end = out.len();
        },
        &hash,
    );
    scope
}

/// Appends the string to sign, its scope written by `scope`, for the
/// canonical request whose SHA-256 is `hash`.
fn push_string_to_sign(out: &mut String, amz_date: &str, scope: impl FnOnce(&mut String), hash: &[u8]) {
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    scope(out);
    out.push('\n');
    push_hex(out, hash);
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn amz_date_is_basic_iso8601_in_utc() {
        assert_eq!(amz_date(datetime!(2015-08-30 12:36:00 UTC)), "20150830T123600Z");
        assert_eq!(
            amz_date(datetime!(2013-05-24 02:00:00 +02:00)),
            "20130524T000000Z"
        );
    }

    #[test]
    fn date_stamp_uses_the_utc_date() {
        assert_eq!(date_stamp(datetime!(2013-05-24 01:00:00 +02:00)), "20130523");
    }

    #[test]
    fn scope_joins_date_region_service() {
        let t = datetime!(2015-08-30 12:36:00 UTC);
        assert_eq!(
            scope(t, "us-east-1", "service"),
            "20150830/us-east-1/service/aws4_request"
        );
    }

    #[test]
    fn every_two_digit_field_is_padded() {
        for (t, want) in [
            (datetime!(2001-02-03 04:05:06 UTC), "20010203T040506Z"),
            (datetime!(0009-10-11 12:13:14 UTC), "00091011T121314Z"),
            (datetime!(1999-12-31 23:59:59 UTC), "19991231T235959Z"),
            (datetime!(2000-01-01 00:00:00 UTC), "20000101T000000Z"),
        ] {
            assert_eq!(amz_date(t), want);
        }
    }

    #[test]
    fn the_scope_of_a_formatted_date_is_the_scope_of_its_time() {
        for t in [
            datetime!(2015-08-30 12:36:00 UTC),
            datetime!(2013-05-24 01:00:00 +02:00),
            datetime!(-9999-01-01 00:00:00 +01:00),
            datetime!(9999-12-31 23:59:59 -01:00),
        ] {
            assert_eq!(
                scope_at(&amz_date(t), "eu-west-1", "s3"),
                scope(t, "eu-west-1", "s3")
            );
            let canonical = "GET\n/\n\n\n\nx";
            let s = scope(t, "eu-west-1", "s3");
            assert_eq!(
                string_to_sign_at(&amz_date(t), &s, canonical),
                string_to_sign(t, &s, canonical)
            );
        }
    }

    #[test]
    fn time_at_the_edge_of_the_supported_range_does_not_panic() {
        // Converting this to UTC leaves the range `time` supports.
        let t = datetime!(-9999-01-01 00:00:00 +01:00);
        assert_eq!(amz_date(t).len(), "-9999".len() + 12);
        let t = datetime!(9999-12-31 23:59:59 -01:00);
        assert_eq!(date_stamp(t), "99991231");
    }
}
