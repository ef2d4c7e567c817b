//! Dates as S3 and HTTP write them, read and written by hand for exactly
//! the formats the connector meets: RFC 3339 timestamps in S3's XML
//! (`2024-05-01T12:00:00.500Z`), HTTP dates in `Last-Modified`
//! (`Wed, 21 Oct 2015 07:28:00 GMT`, or RFC 2822 with a numeric zone), and
//! the expiration of a POST policy (`2015-12-30T12:00:00.000Z`). The
//! `X-Amz-Date` and scope dates are written in `sigv4::string_to_sign`.
//!
//! `time` stays the date type (its calendar arithmetic and range checks are
//! used as they are), but its format-description, parsing and formatting
//! machinery is not built into the component: it weighed some 70 KB there,
//! for four formats. The parsers accept what `time`'s `Rfc3339`, `Rfc2822`
//! and the connector's IMF-fixdate description accepted, with the same
//! results, quirks included; the tests check that against `time` itself.

use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

/// Why a date could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// A component is missing or is not the digits or name expected there.
    #[error("the {0} is missing or malformed")]
    Component(&'static str),
    /// A separator (`-`, `:`, `,`, white space) is missing.
    #[error("`{0}` expected")]
    Separator(&'static str),
    /// Characters follow the date.
    #[error("characters follow the date")]
    Trailing,
    /// Every component reads, but they make no date: February 30th, hour
    /// 24, a zone beyond ±25 hours, a leap second that is not the last
    /// second of a month in UTC, or a year outside ±9999 once in UTC.
    #[error("the {0} is out of range")]
    Range(&'static str),
}

/// The months' short names, as both RFC 2822 and HTTP spell them.
const MONTHS: [(&[u8; 3], Month); 12] = [
    (b"Jan", Month::January),
    (b"Feb", Month::February),
    (b"Mar", Month::March),
    (b"Apr", Month::April),
    (b"May", Month::May),
    (b"Jun", Month::June),
    (b"Jul", Month::July),
    (b"Aug", Month::August),
    (b"Sep", Month::September),
    (b"Oct", Month::October),
    (b"Nov", Month::November),
    (b"Dec", Month::December),
];

/// The weekdays' short names.
const WEEKDAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];

/// Reads an RFC 3339 timestamp (RFC 3339 section 5.6, `date-time`), as S3
/// writes `LastModified` and `Initiated`: `2015-10-21T07:28:00Z`, with or
/// without a fraction of any length (digits past the ninth are ignored),
/// `Z`, `z` or a `+hh:mm`/`-hh:mm` offset. The date and time may be
/// separated by any one character (section 5.6 allows a space for `T`).
/// A leap second (`23:59:60`, allowed by the RFC) reads as the last
/// nanosecond of the second before it, and only where one can fall: at the
/// end of a month in UTC.
pub fn parse_rfc3339(value: &str) -> Result<OffsetDateTime, DateError> {
    let input = value.as_bytes();
    let (year, input) = four_digits(input).ok_or(DateError::Component("year"))?;
    let input = separator(input, b'-')?;
    let (month, input) = two_digits(input).ok_or(DateError::Component("month"))?;
    let input = separator(input, b'-')?;
    let (day, input) = two_digits(input).ok_or(DateError::Component("day"))?;
    let input = input.get(1..).ok_or(DateError::Component("separator"))?;
    let (hour, input) = two_digits(input).ok_or(DateError::Component("hour"))?;
    let input = separator(input, b':')?;
    let (minute, input) = two_digits(input).ok_or(DateError::Component("minute"))?;
    let input = separator(input, b':')?;
    let (second, input) = two_digits(input).ok_or(DateError::Component("second"))?;
    let (nanosecond, input) = match input {
        [b'.', rest @ ..] => fraction(rest).ok_or(DateError::Component("fraction of a second"))?,
        _ => (0, input),
    };
    let (offset, input) = match input {
        [b'Z' | b'z', rest @ ..] => (UtcOffset::UTC, rest),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hours, rest) = two_digits(rest)
                .filter(|(hours, _)| *hours <= 23)
                .ok_or(DateError::Component("offset hour"))?;
            let rest = separator(rest, b':')?;
            let (minutes, rest) = two_digits(rest).ok_or(DateError::Component("offset minute"))?;
            (offset(*sign, hours, minutes)?, rest)
        }
        _ => return Err(DateError::Component("offset")),
    };
    if !input.is_empty() {
        return Err(DateError::Trailing);
    }
    let month = Month::try_from(month).map_err(|_| DateError::Range("month"))?;
    date_time(
        i32::from(year),
        month,
        day,
        (hour, minute, second, nanosecond),
        offset,
    )
}

/// Reads an HTTP date as S3 and S3-compatible servers write
/// `Last-Modified`: the IMF-fixdate of RFC 9110 section 5.6.7
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, here with a one-digit day accepted, as
/// in the S3 documentation's own examples), or else any RFC 2822 section
/// 3.3 date, which also admits numeric zones (`+0200`), the obsolete named
/// zones of section 4.3, two-digit years, comments and folding white space.
/// The weekday is not checked against the date.
pub fn parse_http_date(value: &str) -> Result<OffsetDateTime, DateError> {
    let input = value.as_bytes();
    imf_fixdate(input).or_else(|_| rfc2822(input))
}

/// Writes `time` in UTC as RFC 3339 (`2015-10-21T07:28:00Z`), with a
/// fraction of a second only when there is one, trailing zeros dropped
/// (`.5`, `.999999999`). RFC 3339 has four-digit years: a time whose UTC
/// year is before 0 or after 9999 cannot be written.
pub fn rfc3339_utc(time: OffsetDateTime) -> Result<String, DateError> {
    let utc = in_utc(time)
        .filter(|t| (0..=9999).contains(&t.year()))
        .ok_or(DateError::Range("year"))?;
    let mut out = String::with_capacity(30);
    push_date_time(&mut out, utc);
    let nanosecond = utc.nanosecond();
    if nanosecond != 0 {
        out.push('.');
        let mut digits = 9;
        let mut value = nanosecond;
        while value % 10 == 0 {
            value /= 10;
            digits -= 1;
        }
        push_digits(&mut out, value, digits);
    }
    out.push('Z');
    Ok(out)
}

/// Writes `time` in UTC the way AWS's own POST policies write their
/// expiration (`2015-12-30T12:00:00.000Z`: ISO 8601 with milliseconds,
/// which are always written as `000`), or `None` if its UTC date is out of
/// range. A negative year is written with a `-` before four digits.
pub fn policy_expiration(time: OffsetDateTime) -> Option<String> {
    let utc = in_utc(time)?;
    let mut out = String::with_capacity(25);
    push_date_time(&mut out, utc);
    out.push_str(".000Z");
    Some(out)
}

/// `time` in UTC, unless that is out of `time`'s range (years beyond
/// ±9999). Not inlined: its three callers share one copy.
#[inline(never)]
fn in_utc(time: OffsetDateTime) -> Option<OffsetDateTime> {
    time.checked_to_offset(UtcOffset::UTC)
}

/// Appends `YYYY-MM-DDTHH:MM:SS` (the year's last four digits, after a `-`
/// when it is negative). The calendar date is computed once (`time` keeps a
/// date as a year and a day of the year, so each of `month()` and `day()`
/// would compute it again) and the digits are written into one array and
/// appended at once: a `Last-Modified` is converted on every Get and Head
/// Object.
fn push_date_time(out: &mut String, t: OffsetDateTime) {
    let (year, month, day) = t.to_calendar_date();
    let (hour, minute, second) = t.to_hms();
    if year < 0 {
        out.push('-');
    }
    let year = year.unsigned_abs() % 10_000;
    // Each part is below 100 (the year's two halves too), so none truncates.
    let [y0, y1] = digit_pair((year / 100) as u8);
    let [y2, y3] = digit_pair((year % 100) as u8);
    let [mo0, mo1] = digit_pair(u8::from(month));
    let [d0, d1] = digit_pair(day);
    let [h0, h1] = digit_pair(hour);
    let [mi0, mi1] = digit_pair(minute);
    let [s0, s1] = digit_pair(second);
    let text = [
        y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0, s1,
    ];
    // Only ASCII was written, so this cannot fail.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// `value` (below 100) as two ASCII digits.
fn digit_pair(value: u8) -> [u8; 2] {
    [b'0' + value / 10 % 10, b'0' + value % 10]
}

/// Appends the last `width` decimal digits of `value`, zero padded.
fn push_digits(out: &mut String, value: u32, width: u32) {
    let mut digits = [b'0'; 10];
    let used = &mut digits[..width.min(10) as usize];
    let mut rest = value;
    for d in used.iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(used).unwrap_or_default());
}

/// The IMF-fixdate, exactly: one space between fields, the names' case as
/// written, `GMT`. The year may carry a sign and be before 1900 here,
/// unlike in RFC 2822.
fn imf_fixdate(input: &[u8]) -> Result<OffsetDateTime, DateError> {
    let input = WEEKDAYS
        .iter()
        .find_map(|name| input.strip_prefix(name.as_slice()))
        .ok_or(DateError::Component("weekday"))?;
    let input = input.strip_prefix(b", ").ok_or(DateError::Separator(", "))?;
    let (day, input) = one_or_two_digits(input).ok_or(DateError::Component("day"))?;
    let input = separator(input, b' ')?;
    let (month, input) = month_name(input, true).ok_or(DateError::Component("month"))?;
    let input = separator(input, b' ')?;
    let (negative, input) = match input {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, input),
    };
    let (year, input) = four_digits(input).ok_or(DateError::Component("year"))?;
    let year = if negative {
        -i32::from(year)
    } else {
        i32::from(year)
    };
    let input = separator(input, b' ')?;
    let (hour, input) = two_digits(input).ok_or(DateError::Component("hour"))?;
    let input = separator(input, b':')?;
    let (minute, input) = two_digits(input).ok_or(DateError::Component("minute"))?;
    let input = separator(input, b':')?;
    let (second, input) = two_digits(input).ok_or(DateError::Component("second"))?;
    let input = input.strip_prefix(b" GMT").ok_or(DateError::Component("zone"))?;
    if !input.is_empty() {
        return Err(DateError::Trailing);
    }
    // No leap second in an HTTP date.
    if second == 60 {
        return Err(DateError::Range("time"));
    }
    date_time(year, month, day, (hour, minute, second, 0), UtcOffset::UTC)
}

/// An RFC 2822 section 3.3 date-time, with the obsolete forms of section
/// 4.3 that `time` reads: two-digit years (below 50 in the 2000s), the
/// named zones (`UT`, `GMT`, `EST`...; single-letter military zones other
/// than `J` read as UTC) and comments anywhere white space may be.
fn rfc2822(input: &[u8]) -> Result<OffsetDateTime, DateError> {
    let input = opt_cfws(input);
    let input = match input
        .get(..3)
        .filter(|name| WEEKDAYS.iter().any(|w| w.eq_ignore_ascii_case(name)))
    {
        Some(_) => opt_cfws(separator(input.get(3..).unwrap_or_default(), b',')?),
        None => input,
    };
    let (day, input) = one_or_two_digits(input).ok_or(DateError::Component("day"))?;
    let input = cfws(input).ok_or(DateError::Separator(" "))?;
    let (month, input) = month_name(input, false).ok_or(DateError::Component("month"))?;
    let input = cfws(input).ok_or(DateError::Separator(" "))?;
    let (year, input) = match four_digits(input) {
        Some((year, _)) if year < 1900 => return Err(DateError::Range("year")),
        Some((year, rest)) => (year, fws(rest).ok_or(DateError::Separator(" "))?),
        None => {
            let (year, rest) = two_digits(input).ok_or(DateError::Component("year"))?;
            let year = u16::from(year) + if year < 50 { 2000 } else { 1900 };
            (year, cfws(rest).ok_or(DateError::Separator(" "))?)
        }
    };
    let (hour, input) = two_digits(input).ok_or(DateError::Component("hour"))?;
    let input = cfws_colon(input).ok_or(DateError::Separator(":"))?;
    let (minute, input) = two_digits(input).ok_or(DateError::Component("minute"))?;
    // The seconds are optional.
    let (second, input) = match cfws_colon(input) {
        Some(rest) => {
            let (second, rest) = two_digits(rest).ok_or(DateError::Component("second"))?;
            (second, cfws(rest).ok_or(DateError::Separator(" "))?)
        }
        None => (0, cfws(input).ok_or(DateError::Separator(" "))?),
    };
    let (offset, input) = match input {
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hours, rest) = two_digits(rest).ok_or(DateError::Component("offset hour"))?;
            let (minutes, rest) = two_digits(rest).ok_or(DateError::Component("offset minute"))?;
            // As `time` reads it, the minutes take the sign of the hours,
            // and zero hours have none: `-0030` is half an hour east.
            let offset = UtcOffset::from_hms(signed(*sign, hours), signed(b'+', minutes), 0)
                .map_err(|_| DateError::Range("offset"))?;
            (offset, rest)
        }
        _ => {
            let (hours, rest) = zone_name(input).ok_or(DateError::Component("zone"))?;
            let offset = UtcOffset::from_hms(hours, 0, 0).map_err(|_| DateError::Range("zone"))?;
            (offset, rest)
        }
    };
    if !opt_cfws(input).is_empty() {
        return Err(DateError::Trailing);
    }
    date_time(i32::from(year), month, day, (hour, minute, second, 0), offset)
}

/// The date-time of checked components; a second of 60 (a leap second,
/// which RFC 3339 and RFC 2822 allow) stands for the last nanosecond of the
/// second before it, and only at the last second of a month in UTC.
fn date_time(
    year: i32,
    month: Month,
    day: u8,
    (hour, minute, second, nanosecond): (u8, u8, u8, u32),
    offset: UtcOffset,
) -> Result<OffsetDateTime, DateError> {
    let leap_second = second == 60;
    let (second, nanosecond) = if leap_second {
        (59, 999_999_999)
    } else {
        (second, nanosecond)
    };
    let date = Date::from_calendar_date(year, month, day).map_err(|_| DateError::Range("day"))?;
    let time = Time::from_hms_nano(hour, minute, second, nanosecond).map_err(|_| DateError::Range("time"))?;
    let at = OffsetDateTime::new_in_offset(date, time, offset);
    if leap_second && !is_last_second_of_a_month(at) {
        return Err(DateError::Range("second"));
    }
    Ok(at)
}

/// Whether `at` is 23:59:59 on the last day of a month, in UTC: where a
/// leap second can fall.
fn is_last_second_of_a_month(at: OffsetDateTime) -> bool {
    in_utc(at).is_some_and(|utc| {
        (utc.hour(), utc.minute(), utc.second()) == (23, 59, 59)
            && utc.day() == utc.month().length(utc.year())
    })
}

/// A `+hh:mm`/`-hh:mm` offset (RFC 3339 `time-numoffset`).
fn offset(sign: u8, hours: u8, minutes: u8) -> Result<UtcOffset, DateError> {
    UtcOffset::from_hms(signed(sign, hours), signed(sign, minutes), 0).map_err(|_| DateError::Range("offset"))
}

/// Two digits' value with a sign (`-` or else `+`).
fn signed(sign: u8, value: u8) -> i8 {
    // Two digits always fit; a larger value saturates and is out of range.
    let value = i8::try_from(value).unwrap_or(i8::MAX);
    if sign == b'-' {
        -value
    } else {
        value
    }
}

/// The nanoseconds of a fraction's digits (at least one; those past the
/// ninth are read and ignored), and what follows them.
fn fraction(input: &[u8]) -> Option<(u32, &[u8])> {
    let digits = input.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut nanosecond = 0;
    for position in 0..9 {
        let digit = input
            .get(position)
            .filter(|_| position < digits)
            .map_or(0, |b| b - b'0');
        nanosecond = nanosecond * 10 + u32::from(digit);
    }
    Some((nanosecond, input.get(digits..).unwrap_or_default()))
}

/// `literal`, or the error that names it.
fn separator(input: &[u8], literal: u8) -> Result<&[u8], DateError> {
    match input {
        [first, rest @ ..] if *first == literal => Ok(rest),
        _ => Err(DateError::Separator(match literal {
            b'-' => "-",
            b':' => ":",
            b',' => ",",
            _ => " ",
        })),
    }
}

/// Exactly two ASCII digits.
fn two_digits(input: &[u8]) -> Option<(u8, &[u8])> {
    match input {
        [a @ b'0'..=b'9', b @ b'0'..=b'9', rest @ ..] => Some(((a - b'0') * 10 + (b - b'0'), rest)),
        _ => None,
    }
}

/// One ASCII digit, or two.
fn one_or_two_digits(input: &[u8]) -> Option<(u8, &[u8])> {
    match input {
        [a @ b'0'..=b'9', rest @ ..] => match two_digits(input) {
            Some(two) => Some(two),
            None => Some((a - b'0', rest)),
        },
        _ => None,
    }
}

/// Exactly four ASCII digits.
fn four_digits(input: &[u8]) -> Option<(u16, &[u8])> {
    let (high, rest) = two_digits(input)?;
    let (low, rest) = two_digits(rest)?;
    Some((u16::from(high) * 100 + u16::from(low), rest))
}

/// A month's short name, its case as written (`exact`) or any case.
fn month_name(input: &[u8], exact: bool) -> Option<(Month, &[u8])> {
    let name = input.get(..3)?;
    let (_, month) = MONTHS.iter().find(|(short, _)| {
        if exact {
            short.as_slice() == name
        } else {
            short.eq_ignore_ascii_case(name)
        }
    })?;
    Some((*month, input.get(3..).unwrap_or_default()))
}

/// An RFC 2822 section 4.3 zone name, as hours east of UTC. As `time` reads
/// them: three letters are one of the US zones or `GMT`; `UT` and one
/// letter (the military zones, which RFC 2822 says to read as -0000, less
/// `J`, which is not a zone) only at the end of the input or one byte
/// before it.
fn zone_name(input: &[u8]) -> Option<(i8, &[u8])> {
    match input {
        [a, b, c, rest @ ..] => {
            let hours = match [a, b, c].map(u8::to_ascii_lowercase) {
                [b'g', b'm', b't'] => 0,
                [b'e', b'd', b't'] => -4,
                [b'e', b's', b't'] | [b'c', b'd', b't'] => -5,
                [b'c', b's', b't'] | [b'm', b'd', b't'] => -6,
                [b'm', b's', b't'] | [b'p', b'd', b't'] => -7,
                [b'p', b's', b't'] => -8,
                _ => return None,
            };
            Some((hours, rest))
        }
        [a, b] if a.eq_ignore_ascii_case(&b'u') && b.eq_ignore_ascii_case(&b't') => Some((0, &[])),
        [a, rest @ ..] if a.is_ascii_alphabetic() && !a.eq_ignore_ascii_case(&b'j') => Some((0, rest)),
        _ => None,
    }
}

/// RFC 2822 `FWS` (folding white space) as `time` reads it: spaces and
/// tabs, folded by CRLF followed by more of them. One CR before anything
/// but white space counts as white space too (a quirk of `time`'s, kept so
/// that the same dates read).
fn fws(input: &[u8]) -> Option<&[u8]> {
    let (first, rest) = input.split_first()?;
    if !matches!(first, b'\r' | b' ' | b'\t') {
        return None;
    }
    if !matches!(rest.first(), Some(b' ' | b'\r' | b'\n' | b'\t')) {
        return Some(rest);
    }
    if let [b'\r', b'\n', rest @ ..] = input {
        return wsp(rest);
    }
    let mut input = wsp(input)?;
    while let [b'\r', b'\n', rest @ ..] = input {
        input = wsp(rest)?;
    }
    Some(input)
}

/// One or more spaces and tabs.
fn wsp(input: &[u8]) -> Option<&[u8]> {
    let count = input.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
    (count > 0).then(|| input.get(count..).unwrap_or_default())
}

/// RFC 2822 `CFWS`: white space and comments, at least one of them.
fn cfws(input: &[u8]) -> Option<&[u8]> {
    if input.first() != Some(&b'(') {
        if !matches!(input.first(), Some(b'\r' | b' ' | b'\t')) {
            return None;
        }
        if !matches!(input.get(1), Some(b'(' | b' ' | b'\r' | b'\n' | b'\t')) {
            return input.get(1..);
        }
    }
    let mut input = fws(input).or_else(|| comment(input, 1))?;
    while let Some(rest) = fws(input).or_else(|| comment(input, 1)) {
        input = rest;
    }
    Some(input)
}

/// Optional `CFWS`.
fn opt_cfws(input: &[u8]) -> &[u8] {
    cfws(input).unwrap_or(input)
}

/// A colon with optional `CFWS` on either side.
fn cfws_colon(input: &[u8]) -> Option<&[u8]> {
    let input = opt_cfws(input).strip_prefix(b":")?;
    Some(opt_cfws(input))
}

/// How deep comments may nest: deeper ones do not read (as in `time`),
/// and the recursion stays bounded whatever the input.
const COMMENT_DEPTH_LIMIT: u8 = 32;

/// An RFC 2822 `comment`: parentheses around text, quoted pairs and
/// comments.
fn comment(input: &[u8], depth: u8) -> Option<&[u8]> {
    if depth == COMMENT_DEPTH_LIMIT {
        return None;
    }
    let mut input = skip_fws(input.strip_prefix(b"(")?);
    while let Some(rest) = comment_text(input)
        .or_else(|| quoted_pair(input))
        .or_else(|| comment(input, depth + 1))
    {
        input = skip_fws(rest);
    }
    input.strip_prefix(b")")
}

/// Zero or more `FWS`.
fn skip_fws(mut input: &[u8]) -> &[u8] {
    while let Some(rest) = fws(input) {
        input = rest;
    }
    input
}

/// One `ctext` character (any visible character but `(`, `)` and `\`) or
/// one obsolete control character (`obs-ctext`).
fn comment_text(input: &[u8]) -> Option<&[u8]> {
    match input {
        [1..=8 | 11..=12 | 14..=31 | 33..=39 | 42..=91 | 93..=126 | 127, rest @ ..] => Some(rest),
        _ => None,
    }
}

/// A `quoted-pair`: a backslash and the character it quotes (or the
/// obsolete `obs-text` run that `time` lets stand for one).
fn quoted_pair(input: &[u8]) -> Option<&[u8]> {
    let input = input.strip_prefix(b"\\")?;
    Some(match input {
        [1..=9 | 11..=12 | 14..=127, rest @ ..] => rest,
        _ => obsolete_text(input),
    })
}

/// RFC 2822 `obs-text`: LFs, CRs and characters other than `)`.
fn obsolete_text(input: &[u8]) -> &[u8] {
    let mut input = skip_lf_cr(input);
    while let [0..=9 | 11..=12 | 14..=40 | 42..=127, rest @ ..] = input {
        input = skip_lf_cr(rest);
    }
    input
}

/// Any LFs, then any CRs.
fn skip_lf_cr(mut input: &[u8]) -> &[u8] {
    while let [b'\n', rest @ ..] = input {
        input = rest;
    }
    while let [b'\r', rest @ ..] = input {
        input = rest;
    }
    input
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::format_description::well_known::{Rfc2822, Rfc3339};
    use time::macros::{datetime, format_description};
    use time::PrimitiveDateTime;

    /// An HTTP date in RFC 3339, UTC, as the connector reports it.
    fn http(value: &str) -> Result<String, DateError> {
        rfc3339_utc(parse_http_date(value)?)
    }

    #[test]
    fn http_dates_in_every_accepted_form() {
        let cases = [
            // RFC 9110 section 5.6.7's example, and the one-digit day of the S3 docs.
            ("Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z"),
            ("Sun, 1 Jan 2006 12:00:00 GMT", "2006-01-01T12:00:00Z"),
            // Boundaries: the epoch, leap days, the last second of a year, year 9999.
            ("Thu, 01 Jan 1970 00:00:00 GMT", "1970-01-01T00:00:00Z"),
            ("Thu, 29 Feb 2024 23:59:59 GMT", "2024-02-29T23:59:59Z"),
            ("Tue, 29 Feb 2000 00:00:00 GMT", "2000-02-29T00:00:00Z"),
            ("Fri, 31 Dec 1999 23:59:59 GMT", "1999-12-31T23:59:59Z"),
            ("Fri, 31 Dec 9999 23:59:59 GMT", "9999-12-31T23:59:59Z"),
            // IMF-fixdate only: years before 1900, and a signed year.
            ("Mon, 01 Jan 0001 00:00:00 GMT", "0001-01-01T00:00:00Z"),
            ("Mon, 01 Jan +2018 00:00:00 GMT", "2018-01-01T00:00:00Z"),
            // RFC 2822: numeric zones, converted to UTC.
            ("Wed, 21 Oct 2015 09:28:00 +0200", "2015-10-21T07:28:00Z"),
            ("Wed, 21 Oct 2015 00:28:00 -0700", "2015-10-21T07:28:00Z"),
            ("Thu, 01 Jan 1970 00:00:00 +2359", "1969-12-31T00:01:00Z"),
            ("Wed, 31 Dec 2014 22:00:00 -0230", "2015-01-01T00:30:00Z"),
            // RFC 2822: no weekday, no seconds, any case, more white space.
            ("21 Oct 2015 07:28:00 GMT", "2015-10-21T07:28:00Z"),
            ("Wed, 21 Oct 2015 07:28 GMT", "2015-10-21T07:28:00Z"),
            ("wed, 21 oct 2015 07:28:00 gmt", "2015-10-21T07:28:00Z"),
            ("Wed,21 Oct 2015 07:28:00 GMT", "2015-10-21T07:28:00Z"),
            ("Wed,  21  Oct\t2015  07 : 28 : 00  GMT  ", "2015-10-21T07:28:00Z"),
            ("Wed, 21 Oct 2015\r\n 07:28:00 GMT", "2015-10-21T07:28:00Z"),
            // RFC 2822 section 4.3: two-digit years and named zones.
            ("Wed, 21 Oct 15 07:28:00 GMT", "2015-10-21T07:28:00Z"),
            ("Fri, 21 Oct 94 07:28:00 GMT", "1994-10-21T07:28:00Z"),
            ("Wed, 21 Oct 2015 02:28:00 EST", "2015-10-21T07:28:00Z"),
            ("Wed, 21 Oct 2015 00:28:00 PDT", "2015-10-21T07:28:00Z"),
            ("Wed, 21 Oct 2015 07:28:00 UT", "2015-10-21T07:28:00Z"),
            ("Wed, 21 Oct 2015 07:28:00 Z", "2015-10-21T07:28:00Z"),
            // Comments, nested and with a quoted parenthesis.
            ("Wed, 21 Oct 2015 07:28:00 GMT (UTC)", "2015-10-21T07:28:00Z"),
            (
                "(x) Wed, 21 (a (b) \\) c) Oct 2015 07:28:00 +0000",
                "2015-10-21T07:28:00Z",
            ),
            // A leap second, at the end of a month in UTC.
            ("Sat, 31 Dec 2016 23:59:60 GMT", "2016-12-31T23:59:59.999999999Z"),
            (
                "Sun, 01 Jan 2017 00:59:60 +0100",
                "2016-12-31T23:59:59.999999999Z",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(http(value).as_deref(), Ok(expected), "{value:?}");
        }
    }

    #[test]
    fn malformed_http_dates_are_typed_errors() {
        use DateError::*;
        let cases = [
            ("", Component("day")),
            ("yesterday-ish", Component("day")),
            ("2015-10-21T07:28:00Z", Separator(" ")),
            ("Wed 21 Oct 2015 07:28:00 GMT", Separator(",")),
            ("Wed, 21 Oct 2015 07:28:00", Separator(" ")),
            ("Wed, 21 Oct 2015 07:28:00 ", Component("zone")),
            ("Wed, 21 Oct 2015 07:28:00 GMT x", Trailing),
            ("Wed, 21 Okt 2015 07:28:00 GMT", Component("month")),
            ("Wed, 21 Oct 201 07:28:00 GMT", Separator(" ")),
            ("Wed, 21 Oct 1899 07:28:00 +0000", Range("year")),
            ("Wed, 32 Oct 2015 07:28:00 GMT", Range("day")),
            ("Sun, 29 Feb 2015 07:28:00 GMT", Range("day")),
            ("Sun, 00 Feb 2015 07:28:00 GMT", Range("day")),
            ("Wed, 21 Oct 2015 24:00:00 GMT", Range("time")),
            ("Wed, 21 Oct 2015 07:60:00 GMT", Range("time")),
            ("Wed, 21 Oct 2015 23:59:60 GMT", Range("second")),
            ("Wed, 21 Oct 2015 07:28:00 +2600", Range("offset")),
            ("Wed, 21 Oct 2015 07:28:00 +0060", Range("offset")),
            ("Wed, 21 Oct 2015 07:28:00 +02", Component("offset minute")),
            ("Wed, 21 Oct 2015 07:28:00 J", Component("zone")),
            ("Wed, 21 Oct 2015 07:28:00 GMT (unclosed", Trailing),
            ("Wed, 21 Oct 2015 07:28:\u{e9}0 GMT", Component("second")),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_http_date(value), Err(expected), "{value:?}");
        }
    }

    #[test]
    fn dates_beyond_year_9999_in_utc_cannot_be_written() {
        let late = parse_http_date("Fri, 31 Dec 9999 23:59:59 -2359").unwrap();
        assert_eq!(rfc3339_utc(late), Err(DateError::Range("year")));
        let early = parse_http_date("Mon, 01 Jan 0000 00:00:00 GMT").unwrap();
        assert_eq!(rfc3339_utc(early).as_deref(), Ok("0000-01-01T00:00:00Z"));
        let before = parse_rfc3339("0000-01-01T00:00:00+00:01").unwrap();
        assert_eq!(rfc3339_utc(before), Err(DateError::Range("year")));
        assert_eq!(
            policy_expiration(before).as_deref(),
            Some("-0001-12-31T23:59:00.000Z")
        );
    }

    #[test]
    fn comments_nest_at_most_31_deep() {
        let nested =
            |depth: usize| format!("1 Jan 2020 00:00 GMT {}{}", "(".repeat(depth), ")".repeat(depth));
        assert!(parse_http_date(&nested(31)).is_ok());
        assert_eq!(parse_http_date(&nested(32)), Err(DateError::Trailing));
        // Deep input never recurses past the limit.
        assert!(parse_http_date(&nested(100_000)).is_err());
    }

    #[test]
    fn rfc3339_timestamps_as_s3_writes_them() {
        let cases = [
            ("2015-10-21T07:28:00Z", datetime!(2015-10-21 07:28:00 UTC)),
            ("2015-10-21T07:28:00.000Z", datetime!(2015-10-21 07:28:00 UTC)),
            ("2024-05-01T12:00:00.5Z", datetime!(2024-05-01 12:00:00.5 UTC)),
            ("2024-05-01T12:00:00.500Z", datetime!(2024-05-01 12:00:00.5 UTC)),
            (
                "2024-05-01T12:00:00.123456Z",
                datetime!(2024-05-01 12:00:00.123456 UTC),
            ),
            (
                "2024-05-01T12:00:00.123456789Z",
                datetime!(2024-05-01 12:00:00.123456789 UTC),
            ),
            // Digits past the nanosecond are ignored, not rounded.
            (
                "2024-05-01T12:00:00.1234567899Z",
                datetime!(2024-05-01 12:00:00.123456789 UTC),
            ),
            ("1970-01-01T00:00:00Z", datetime!(1970-01-01 00:00:00 UTC)),
            ("2000-02-29T23:59:59z", datetime!(2000-02-29 23:59:59 UTC)),
            ("9999-12-31T23:59:59.999Z", datetime!(9999-12-31 23:59:59.999 UTC)),
            ("0000-01-01T00:00:00Z", datetime!(0000-01-01 00:00:00 UTC)),
            // Offsets (S3 writes `Z`; S3-compatible servers may not).
            ("2015-10-21T09:28:00+02:00", datetime!(2015-10-21 09:28:00 +02:00)),
            ("2015-10-21T00:28:00-07:00", datetime!(2015-10-21 00:28:00 -07:00)),
            ("2015-10-21T07:28:00-00:30", datetime!(2015-10-21 07:28:00 -00:30)),
            // RFC 3339 section 5.6: any separator, a space included.
            ("2015-10-21 07:28:00Z", datetime!(2015-10-21 07:28:00 UTC)),
            // A leap second (RFC 3339 section 5.7).
            (
                "2016-12-31T23:59:60Z",
                datetime!(2016-12-31 23:59:59.999999999 UTC),
            ),
            (
                "2016-12-31T15:59:60-08:00",
                datetime!(2016-12-31 15:59:59.999999999 -08:00),
            ),
        ];
        for (value, expected) in cases {
            let parsed = parse_rfc3339(value);
            assert_eq!(parsed, Ok(expected), "{value:?}");
            assert_eq!(parsed.unwrap().offset(), expected.offset(), "{value:?}");
        }
    }

    #[test]
    fn malformed_rfc3339_timestamps_are_typed_errors() {
        use DateError::*;
        let cases = [
            ("", Component("year")),
            ("15-10-21T07:28:00Z", Component("year")),
            ("2015/10/21T07:28:00Z", Separator("-")),
            ("2015-1-21T07:28:00Z", Component("month")),
            ("2015-13-21T07:28:00Z", Range("month")),
            ("2015-00-21T07:28:00Z", Range("month")),
            ("2015-02-29T07:28:00Z", Range("day")),
            ("2015-10-21", Component("separator")),
            ("2015-10-21T", Component("hour")),
            ("2015-10-21T7:28:00Z", Component("hour")),
            ("2015-10-21T24:00:00Z", Range("time")),
            ("2015-10-21T07:28Z", Separator(":")),
            ("2015-10-21T07:28:00", Component("offset")),
            ("2015-10-21T07:28:00.Z", Component("fraction of a second")),
            ("2015-10-21T07:28:00,5Z", Component("offset")),
            ("2015-10-21T07:28:00+24:00", Component("offset hour")),
            ("2015-10-21T07:28:00+02:60", Range("offset")),
            ("2015-10-21T07:28:00+0200", Separator(":")),
            ("2015-10-21T07:28:00ZZ", Trailing),
            ("2015-10-21T07:28:00Z ", Trailing),
            ("2015-10-21T23:59:60Z", Range("second")),
            ("2015-10-21T07:28:61Z", Range("time")),
            ("2015-10-21\u{e9}07:28:00Z", Component("hour")),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_rfc3339(value), Err(expected), "{value:?}");
        }
    }

    #[test]
    fn rfc3339_is_written_in_utc_with_the_fraction_trimmed() {
        let cases = [
            (datetime!(2015-10-21 07:28:00 UTC), "2015-10-21T07:28:00Z"),
            (datetime!(2015-10-21 09:28:00 +02:00), "2015-10-21T07:28:00Z"),
            (datetime!(1970-01-01 00:00:00.5 UTC), "1970-01-01T00:00:00.5Z"),
            (
                datetime!(2024-02-29 23:59:59.000000001 UTC),
                "2024-02-29T23:59:59.000000001Z",
            ),
            (datetime!(2024-12-31 23:59:59.12 UTC), "2024-12-31T23:59:59.12Z"),
            (
                datetime!(9999-12-31 23:59:59.999999999 UTC),
                "9999-12-31T23:59:59.999999999Z",
            ),
            (datetime!(0000-01-01 00:00:00 UTC), "0000-01-01T00:00:00Z"),
        ];
        for (time, expected) in cases {
            assert_eq!(rfc3339_utc(time).as_deref(), Ok(expected), "{time}");
        }
        assert_eq!(
            rfc3339_utc(datetime!(-0001-12-31 23:59:59 UTC)),
            Err(DateError::Range("year"))
        );
    }

    #[test]
    fn policy_expirations_have_whole_seconds_and_000_milliseconds() {
        let cases = [
            (datetime!(2015-12-30 12:00:00 UTC), "2015-12-30T12:00:00.000Z"),
            (datetime!(2015-12-30 12:00:00.75 UTC), "2015-12-30T12:00:00.000Z"),
            (datetime!(2016-01-01 01:00:00 +01:00), "2016-01-01T00:00:00.000Z"),
            (datetime!(1970-01-01 00:00:00 UTC), "1970-01-01T00:00:00.000Z"),
            (datetime!(2024-02-29 23:59:59 UTC), "2024-02-29T23:59:59.000Z"),
            (datetime!(9999-12-31 23:59:59 UTC), "9999-12-31T23:59:59.000Z"),
            (datetime!(-0044-03-15 12:00:00 UTC), "-0044-03-15T12:00:00.000Z"),
        ];
        for (time, expected) in cases {
            assert_eq!(policy_expiration(time).as_deref(), Some(expected), "{time}");
        }
        assert_eq!(policy_expiration(datetime!(9999-12-31 23:59:59 -01:00)), None);
    }

    /// `time`'s reading of an HTTP date, as the connector used it before
    /// `date` was written: the IMF-fixdate description, then `Rfc2822`.
    fn time_http(value: &str) -> Option<OffsetDateTime> {
        let imf = format_description!(
            "[weekday repr:short], [day padding:none] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        PrimitiveDateTime::parse(value, imf)
            .map(PrimitiveDateTime::assume_utc)
            .or_else(|_| OffsetDateTime::parse(value, &Rfc2822))
            .ok()
    }

    /// A small deterministic generator (xorshift64), for the comparisons.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }

        /// `value` with a few characters replaced, dropped or doubled.
        fn mutate(&mut self, value: String) -> String {
            let mut chars: Vec<char> = value.chars().collect();
            for _ in 0..self.below(3) {
                if chars.is_empty() {
                    break;
                }
                let at = self.below(chars.len());
                match self.below(3) {
                    0 => {
                        chars[at] = self
                            .pick(&[
                                "0", "9", " ", ":", "(", ")", "\\", "\r", "\n", "-", "+", "Z", "\u{e9}", "6",
                            ])
                            .chars()
                            .next()
                            .unwrap()
                    }
                    1 => {
                        chars.remove(at);
                    }
                    _ => chars.insert(at, chars[at]),
                }
            }
            chars.into_iter().collect()
        }
    }

    fn two(random: &mut Random, below: usize) -> String {
        format!("{:02}", random.below(below))
    }

    /// HTTP and RFC 2822 dates, well formed or nearly, read the same as
    /// `time` read them (and are written the same).
    #[test]
    fn http_dates_read_as_time_read_them() {
        let mut random = Random(0x5eed_1234_abcd_0001);
        let space = [
            " ", " ", " ", "  ", "\t", "\r\n ", "\r", " (c) ", "(a(b)c)", " (\\)) ", "(", " )", "",
        ];
        for _ in 0..200_000 {
            let mut value = String::new();
            value += random.pick(&["", "", " ", "(x)"]);
            value += random.pick(&["Wed, ", "Sun,", "wed, ", "WED ,", "Xyz, ", "", "Mon , "]);
            value += &random.below(34).to_string();
            value += random.pick(&space);
            value += random.pick(&["Jan", "Feb", "Dec", "oct", "OCT", "Okt"]);
            value += random.pick(&space);
            value += random.pick(&[
                "2015", "2016", "2024", "1900", "1899", "0001", "9999", "+2018", "-0001", "15", "49", "50",
                "99", "201",
            ]);
            value += random.pick(&space);
            value += &two(&mut random, 25);
            value += random.pick(&[":", ":", " : ", "(c):"]);
            value += &two(&mut random, 61);
            value += random.pick(&[":", ":", "", " :"]);
            value += random.pick(&["00", "59", "60", "61", "30"]);
            value += random.pick(&space);
            value += random.pick(&[
                "GMT", "GMT", "gmt", "UT", "ut", "Z", "j", "A", "EST", "edt", "CST", "CDT", "MST", "MDT",
                "PST", "pdt", "XYZ", "+0000", "-0000", "+0200", "-0030", "-2359", "+2359", "+2600", "+0060",
                "+02", "",
            ]);
            value += random.pick(&["", "", " ", "  (end)", "x", "\r\n", "\r\n x"]);
            let value = if random.below(4) == 0 {
                random.mutate(value)
            } else {
                value
            };
            let ours = parse_http_date(&value).ok();
            let theirs = time_http(&value);
            assert_eq!(ours, theirs, "{value:?}");
            assert_eq!(ours.map(|t| t.offset()), theirs.map(|t| t.offset()), "{value:?}");
            if let Some(t) = theirs {
                let theirs = t
                    .checked_to_offset(UtcOffset::UTC)
                    .and_then(|t| t.format(&Rfc3339).ok());
                assert_eq!(rfc3339_utc(t).ok(), theirs, "{value:?}");
            }
        }
    }

    /// RFC 3339 timestamps, well formed or nearly, read the same as `time`
    /// read them, and write the same.
    #[test]
    fn rfc3339_timestamps_read_as_time_read_them() {
        let mut random = Random(0x5eed_1234_abcd_0002);
        for _ in 0..200_000 {
            let mut value = String::new();
            value += random.pick(&["2015", "2016", "2024", "0000", "9999", "1970", "201"]);
            value += random.pick(&["-", "-", "/"]);
            value += &two(&mut random, 14);
            value += "-";
            value += &two(&mut random, 33);
            value += random.pick(&["T", "T", "t", " ", "", "\u{e9}"]);
            value += &two(&mut random, 25);
            value += ":";
            value += &two(&mut random, 61);
            value += random.pick(&[":", ":", ""]);
            value += random.pick(&["00", "59", "60", "61"]);
            value += random.pick(&[
                "",
                "",
                ".",
                ".0",
                ".5",
                ".500",
                ".123456",
                ".999999999",
                ".1234567891234",
                ",5",
            ]);
            value += random.pick(&[
                "Z", "Z", "z", "+00:00", "-00:00", "+02:00", "-00:30", "-23:59", "+24:00", "+02:60", "+0200",
                "",
            ]);
            value += random.pick(&["", "", " ", "Z"]);
            let value = if random.below(4) == 0 {
                random.mutate(value)
            } else {
                value
            };
            let ours = parse_rfc3339(&value).ok();
            let theirs = OffsetDateTime::parse(&value, &Rfc3339).ok();
            assert_eq!(ours, theirs, "{value:?}");
            assert_eq!(ours.map(|t| t.offset()), theirs.map(|t| t.offset()), "{value:?}");
        }
    }

    /// Any instant writes as `time` wrote it, in both formats.
    #[test]
    fn instants_write_as_time_wrote_them() {
        let expiration = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000Z");
        let mut random = Random(0x5eed_1234_abcd_0003);
        let first = datetime!(-9999-01-01 00:00:00 UTC).unix_timestamp();
        let last = datetime!(9999-12-31 23:59:59 UTC).unix_timestamp();
        let span = usize::try_from(last - first).unwrap();
        for round in 0..100_000 {
            let seconds = first + i64::try_from(random.below(span)).unwrap();
            let nanos = [0, 1, 500_000_000, 999_999_999, random.below(1_000_000_000)][round % 5];
            let t = OffsetDateTime::from_unix_timestamp(seconds).unwrap()
                + time::Duration::nanoseconds(i64::try_from(nanos).unwrap());
            assert_eq!(rfc3339_utc(t).ok(), t.format(&Rfc3339).ok(), "{t}");
            assert_eq!(policy_expiration(t), t.format(expiration).ok(), "{t}");
        }
    }
}
