//! S3's `<Error>` body: recognised and parsed from any bytes without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s3_connector::xml::{is_error_body, parse_error_body};

fuzz_target!(|body: &[u8]| {
    let is_error = is_error_body(body);
    let parsed = parse_error_body(body);
    // parse_error_body parses exactly the bodies is_error_body recognises.
    assert_eq!(is_error, parsed.is_some());
});
