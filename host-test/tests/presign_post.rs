//! `presign-post` end to end: a form made by the component, posted as a
//! browser would (`multipart/form-data`) to the embedded server, which
//! checks the policy's signature and every condition, as S3 does.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Local, BUCKET};
use serde_json::{json, Value};

/// Posts `fields` and then `file` (named `name`, of type `content_type`)
/// to `url`; the status and body of the answer.
fn post(
    url: &str,
    fields: &serde_json::Map<String, Value>,
    name: &str,
    content_type: &str,
    file: &[u8],
) -> (u16, String) {
    let boundary = "----s3connectorformboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    };
    for (name, value) in fields {
        field(name, value.as_str().unwrap());
    }
    // A content type held to a prefix goes as a field too (an empty one:
    // no such field, as the policy then has no condition on it).
    if !fields.contains_key("Content-Type") && !content_type.is_empty() {
        field("Content-Type", content_type);
    }
    let content_type = if content_type.is_empty() {
        "application/octet-stream"
    } else {
        content_type
    };
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        )
        .send(&body[..])
        .unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap_or_default())
}

fn form(local: &Local, input: Value) -> (String, serde_json::Map<String, Value>) {
    let mut instance = common::instance();
    let output = instance
        .invoke(&local.conn(), "presign-post", &input.to_string(), None)
        .unwrap();
    let json: Value = serde_json::from_str(&output.json).unwrap();
    common::schema::check_output("presign-post", &json);
    (
        json["url"].as_str().unwrap().to_owned(),
        json["fields"].as_object().unwrap().clone(),
    )
}

fn read(local: &Local, key: &str) -> Option<Vec<u8>> {
    let input = json!({"bucket_name": BUCKET, "object_path": key});
    common::instance()
        .invoke(&local.conn(), "get-object", &input.to_string(), None)
        .ok()
        .and_then(|output| output.body)
}

#[test]
fn a_browser_form_uploads_within_its_limits() {
    let local = Local::new();
    let (url, fields) = form(
        &local,
        json!({"bucket_name": BUCKET, "object_path": "uploads/photo.png", "expires_seconds": 600,
               "content_type_prefix": "image/", "max_size": 1024}),
    );
    let png = b"\x89PNG\r\n\x1a\nnot really a picture";
    let (status, body) = post(&url, &fields, "photo.png", "image/png", png);
    assert!((200..300).contains(&status), "{status}: {body}");
    assert_eq!(read(&local, "uploads/photo.png").as_deref(), Some(&png[..]));

    // The policy's conditions hold: too large, or of another type, is refused.
    let (status, _) = post(&url, &fields, "big.png", "image/png", &[0u8; 2048]);
    assert!(
        status >= 400,
        "a file over max_size must be refused, got {status}"
    );
    let (status, _) = post(&url, &fields, "notes.txt", "text/plain", b"text");
    assert!(
        status >= 400,
        "a type outside the prefix must be refused, got {status}"
    );
    assert_eq!(
        read(&local, "uploads/photo.png").as_deref(),
        Some(&png[..]),
        "nothing overwrote it"
    );
}

/// A prefix form's `key` is `prefix${filename}`: S3 puts the uploaded
/// file's name in its place. The embedded server (s3s) checks the policy
/// but stores the key as written, so only the policy is checked here.
#[test]
fn a_prefix_form_is_accepted_by_its_policy() {
    let local = Local::new();
    let (url, fields) = form(
        &local,
        json!({"bucket_name": BUCKET, "key_prefix": "uploads/", "expires_seconds": 600}),
    );
    assert_eq!(fields["key"], "uploads/${filename}");
    let (status, body) = post(&url, &fields, "a.txt", "", b"a");
    assert!((200..300).contains(&status), "{status}: {body}");
}

#[test]
fn a_tampered_form_is_refused() {
    let local = Local::new();
    let (url, mut fields) = form(
        &local,
        json!({"bucket_name": BUCKET, "object_path": "exact.txt", "expires_seconds": 600}),
    );
    fields.insert("key".into(), Value::from("elsewhere.txt"));
    let (status, _) = post(&url, &fields, "exact.txt", "text/plain", b"x");
    assert!(
        status >= 400,
        "a key outside the policy must be refused, got {status}"
    );
    assert_eq!(read(&local, "elsewhere.txt"), None);
}
