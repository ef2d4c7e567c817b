//! Stage 2: the string to sign.

use std::fmt::Write;

use time::{OffsetDateTime, UtcOffset};

use super::{sha256_hex, ALGORITHM};

/// `time` in UTC. A time whose UTC date would fall outside the range `time`
/// supports (years beyond ±9999) is used as it is rather than panicking:
/// such a signature is wrong either way, but the guest must not trap.
pub(super) fn utc(time: OffsetDateTime) -> OffsetDateTime {
    time.checked_to_offset(UtcOffset::UTC).unwrap_or(time)
}

/// The numbers 0 to 99 as two digits each, `"00"` to `"99"`, end to end.
const PAIRS: &str = "0001020304050607080910111213141516171819\
                     2021222324252627282930313233343536373839\
                     4041424344454647484950515253545556575859\
                     6061626364656667686970717273747576777879\
                     8081828384858687888990919293949596979899";

/// Appends `value` (below 100) as two digits. Signing formats dates on
/// every request: a slice of [`PAIRS`] skips the formatting machinery and
/// any UTF-8 check.
fn push_pair(out: &mut String, value: u8) {
    let at = usize::from(value % 100) * 2;
    out.push_str(PAIRS.get(at..at + 2).unwrap_or("00"));
}

/// Appends `YYYYMMDD`.
fn push_date(out: &mut String, t: OffsetDateTime) {
    match u16::try_from(t.year()) {
        Ok(year) if year <= 9999 => {
            // Both halves are below 100, so neither truncates.
            push_pair(out, (year / 100) as u8);
            push_pair(out, (year % 100) as u8);
        }
        // Negative years and the like: rare, and never a valid signature.
        // Writing to a `String` cannot fail.
        _ => {
            let _ = write!(out, "{:04}", t.year());
        }
    }
    push_pair(out, u8::from(t.month()));
    push_pair(out, t.day());
}

/// `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` format.
pub fn amz_date(time: OffsetDateTime) -> String {
    let t = utc(time);
    let mut out = String::with_capacity(16);
    push_date(&mut out, t);
    out.push('T');
    push_pair(&mut out, t.hour());
    push_pair(&mut out, t.minute());
    push_pair(&mut out, t.second());
    out.push('Z');
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
    let date = amz_date.split('T').next().unwrap_or(amz_date);
    let mut out = String::with_capacity(date.len() + region.len() + service.len() + 15);
    out.push_str(date);
    out.push('/');
    out.push_str(region);
    out.push('/');
    out.push_str(service);
    out.push_str("/aws4_request");
    out
}

/// The string to sign for a canonical request: the algorithm, the
/// timestamp, the scope and the hex SHA-256 of the canonical request, one
/// per line.
pub fn string_to_sign(time: OffsetDateTime, scope: &str, canonical_request: &str) -> String {
    string_to_sign_at(&amz_date(time), scope, canonical_request)
}

/// [`string_to_sign`] for an [`amz_date`] already formatted.
pub fn string_to_sign_at(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = sha256_hex(canonical_request.as_bytes());
    let mut out = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + hash.len() + 3);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    out.push_str(&hash);
    out
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
