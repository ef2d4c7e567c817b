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

/// Appends `value` as `width` (at most 9) decimal digits, zero padded.
/// Signing formats dates on every request, so the usual case skips the
/// formatting machinery.
fn push_padded(out: &mut String, value: i32, width: u32) {
    let limit = 10u32.saturating_pow(width);
    match u32::try_from(value) {
        Ok(v) if v < limit && (1..=9).contains(&width) => {
            let mut digits = [b'0'; 9];
            let used = &mut digits[..width as usize];
            let mut rest = v;
            for d in used.iter_mut().rev() {
                *d = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            out.push_str(std::str::from_utf8(used).unwrap_or_default());
        }
        // Negative years and the like: rare, and never a valid signature.
        _ => {
            // Writing to a `String` cannot fail.
            let _ = write!(out, "{value:0w$}", w = width as usize);
        }
    }
}

/// Appends `YYYYMMDD`.
fn push_date(out: &mut String, t: OffsetDateTime) {
    push_padded(out, t.year(), 4);
    push_padded(out, i32::from(u8::from(t.month())), 2);
    push_padded(out, i32::from(t.day()), 2);
}

/// `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` format.
pub fn amz_date(time: OffsetDateTime) -> String {
    let t = utc(time);
    let mut out = String::with_capacity(16);
    push_date(&mut out, t);
    out.push('T');
    push_padded(&mut out, i32::from(t.hour()), 2);
    push_padded(&mut out, i32::from(t.minute()), 2);
    push_padded(&mut out, i32::from(t.second()), 2);
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
    let mut out = String::with_capacity(8 + region.len() + service.len() + 15);
    push_date(&mut out, utc(time));
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
    let hash = sha256_hex(canonical_request.as_bytes());
    let mut out = String::with_capacity(ALGORITHM.len() + 16 + scope.len() + hash.len() + 3);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(&amz_date(time));
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
    fn time_at_the_edge_of_the_supported_range_does_not_panic() {
        // Converting this to UTC leaves the range `time` supports.
        let t = datetime!(-9999-01-01 00:00:00 +01:00);
        assert_eq!(amz_date(t).len(), "-9999".len() + 12);
        let t = datetime!(9999-12-31 23:59:59 -01:00);
        assert_eq!(date_stamp(t), "99991231");
    }
}
