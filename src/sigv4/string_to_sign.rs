//! Stage 2: the string to sign.

use time::OffsetDateTime;

use super::{sha256_hex, ALGORITHM};

/// `YYYYMMDDTHHMMSSZ`
pub fn amz_date(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `YYYYMMDD`
pub fn date_stamp(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
}

/// The credential scope: `date/region/service/aws4_request`.
pub fn scope(time: OffsetDateTime, region: &str, service: &str) -> String {
    format!("{}/{region}/{service}/aws4_request", date_stamp(time))
}

/// The string to sign for a canonical request.
pub fn string_to_sign(time: OffsetDateTime, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        amz_date(time),
        sha256_hex(canonical_request.as_bytes())
    )
}
