//! Head Object and Get Object answers: any status, headers and body give
//! metadata or are refused, without a panic.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use s3_connector::http::HttpResponse;
use s3_connector::ops::{get_object, head_object, object};

/// A header name: mostly the ones the parsers read, so that their values
/// are what gets fuzzed, sometimes any name at all.
#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Meta(String),
    Any(String),
}

const KNOWN: &[&str] = &[
    "content-length",
    "Content-Length",
    "content-type",
    "etag",
    "last-modified",
    "Last-Modified",
    "x-amz-version-id",
    "content-range",
    "x-amz-storage-class",
    "content-encoding",
    "x-amz-meta-",
    "X-AMZ-META-Owner",
];

impl Name {
    fn into_string(self) -> String {
        match self {
            Name::Known(i) => KNOWN[usize::from(i) % KNOWN.len()].to_owned(),
            Name::Meta(rest) => format!("x-amz-meta-{rest}"),
            Name::Any(name) => name,
        }
    }
}

/// A header value: any text, or an HTTP date with fuzzed parts, so that
/// the date parsing and conversion meet the edges of the calendar.
#[derive(Arbitrary, Debug)]
enum Value {
    Any(String),
    Date {
        weekday: u8,
        day: u8,
        month: u8,
        year: Year,
        hour: u8,
        minute: u8,
        second: u8,
        zone: Zone,
    },
}

#[derive(Arbitrary, Debug)]
enum Year {
    /// Near the last year `time` holds (9999).
    Last(u8),
    /// Near the first year RFC 2822 allows (1900).
    First(u8),
    Any(u16),
}

#[derive(Arbitrary, Debug)]
enum Zone {
    Gmt,
    Offset { east: bool, hours: u8, minutes: u8 },
    Any(String),
}

const WEEKDAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Value {
    fn into_string(self) -> String {
        match self {
            Value::Any(value) => value,
            Value::Date {
                weekday,
                day,
                month,
                year,
                hour,
                minute,
                second,
                zone,
            } => {
                let year = match year {
                    Year::Last(back) => 9999 - i32::from(back % 4),
                    Year::First(on) => 1900 + i32::from(on % 4),
                    Year::Any(year) => i32::from(year),
                };
                let zone = match zone {
                    Zone::Gmt => String::from("GMT"),
                    Zone::Offset { east, hours, minutes } => format!(
                        "{}{:02}{:02}",
                        if east { '+' } else { '-' },
                        hours % 25,
                        minutes % 61
                    ),
                    Zone::Any(zone) => zone,
                };
                format!(
                    "{}, {} {} {year} {:02}:{:02}:{:02} {zone}",
                    WEEKDAYS[usize::from(weekday) % WEEKDAYS.len()],
                    day % 33,
                    MONTHS[usize::from(month) % MONTHS.len()],
                    hour % 25,
                    minute % 61,
                    second % 62,
                )
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    headers: Vec<(Name, Value)>,
    body: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let response = HttpResponse {
        status: input.status,
        headers: input
            .headers
            .into_iter()
            .map(|(name, value)| (name.into_string(), value.into_string()))
            .collect(),
        body: input.body,
    };
    for (_, value) in &response.headers {
        let _ = object::http_date_to_rfc3339(value);
    }
    let metadata = object::parse_metadata(&response);
    let _ = head_object::parse(&response);
    if let Ok(object) = get_object::parse(response.clone()) {
        // Get Object keeps the body as received and reads the same metadata.
        assert_eq!(object.body, response.body);
        assert_eq!(Some(&object.metadata), metadata.as_ref().ok());
    }
});
