//! The multipart answers: any body (and ETag header) given to the parsers
//! of CreateMultipartUpload, UploadPart, CompleteMultipartUpload, ListParts
//! and ListMultipartUploads parses or is refused, without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s3_connector::http::HttpResponse;
use s3_connector::ops::{list_multipart_uploads, multipart};

fuzz_target!(|input: (u8, &str, &[u8])| {
    let (which, etag, body) = input;
    let response = HttpResponse {
        status: 200,
        headers: [("etag", etag)].into_iter().collect(),
        body: body.to_vec(),
    };
    match which % 5 {
        0 => {
            if let Ok(id) = multipart::parse_create(&response) {
                assert!(!id.is_empty(), "an upload id is never empty");
            }
        }
        1 => {
            let _ = multipart::parse_upload_part(&response);
        }
        2 => {
            let _ = multipart::parse_complete(&response);
        }
        3 => {
            let _ = multipart::parse_list_parts(&response);
        }
        _ => {
            let _ = list_multipart_uploads::parse(&response);
        }
    }
});
