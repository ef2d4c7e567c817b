//! A `<LocationConstraint>` answer: any body gives a region or is refused,
//! without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s3_connector::http::HttpResponse;
use s3_connector::ops::get_bucket_location;

fuzz_target!(|body: &[u8]| {
    let response = HttpResponse {
        status: 200,
        headers: Default::default(),
        body: body.to_vec(),
    };
    if let Ok(region) = get_bucket_location::parse(&response) {
        // An empty constraint means us-east-1, so a region is never blank.
        assert!(!region.is_empty());
    }
});
