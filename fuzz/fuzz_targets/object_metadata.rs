//! Head Object and Get Object answers: any status, headers and body give
//! metadata or are refused, without a panic.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use s3_connector::http::HttpResponse;
use s3_connector::ops::{get_object, head_object};

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

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    headers: Vec<(Name, String)>,
    body: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let response = HttpResponse {
        status: input.status,
        headers: input
            .headers
            .into_iter()
            .map(|(name, value)| (name.into_string(), value))
            .collect(),
        body: input.body,
    };
    for (_, value) in &response.headers {
        let _ = head_object::http_date_to_rfc3339(value);
    }
    let metadata = head_object::parse_metadata(&response);
    let _ = head_object::parse(&response);
    if let Ok(object) = get_object::parse(&response) {
        // Get Object keeps the body as received and reads the same metadata.
        assert_eq!(object.body, response.body);
        assert_eq!(Some(&object.metadata), metadata.as_ref().ok());
    }
});
