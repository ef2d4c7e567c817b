//! A `<DeleteResult>` answer: any body parses or is refused, and its entries
//! are matched to a fixed batch of keys, without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use s3_connector::http::HttpResponse;
use s3_connector::model::ObjectIdentifier;
use s3_connector::ops::delete_objects;

/// Keys that the seed answers name, with and without versions, an empty
/// version (the current object) and a key twice.
fn batch() -> Vec<ObjectIdentifier> {
    let object = |key: &str, version: Option<&str>| ObjectIdentifier {
        key: key.to_owned(),
        version_id: version.map(str::to_owned),
    };
    vec![
        object("a", None),
        object("b", None),
        object("dir/c.txt", Some("v1")),
        object("dir/c.txt", Some("v2")),
        object("d", Some("")),
        object("a", None),
        object("", None),
    ]
}

fuzz_target!(|body: &[u8]| {
    let response = HttpResponse {
        status: 200,
        headers: Default::default(),
        body: body.to_vec(),
    };
    if let Ok(entries) = delete_objects::parse(&response) {
        let batch = batch();
        let results = delete_objects::match_results(&batch, &entries);
        // One result per key, in input order.
        assert_eq!(results.len(), batch.len());
        for (result, object) in results.iter().zip(&batch) {
            assert_eq!(result.key, object.key);
        }
    }
});
