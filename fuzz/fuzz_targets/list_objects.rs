//! A List Bucket Objects (V2) page, URL-encoded or not: any body parses or
//! is refused, without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s3_connector::http::HttpResponse;
use s3_connector::ops::list_objects;

fuzz_target!(|body: &[u8]| {
    let response = HttpResponse {
        status: 200,
        headers: Default::default(),
        body: body.to_vec(),
    };
    let _ = list_objects::parse(&response);
});
