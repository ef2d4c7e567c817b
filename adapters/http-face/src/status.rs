//! The HTTP status that fits an error, read from the error's JSON (the
//! shape the CLI prints: `{"kind": "service", "code": "no-such-key", ...}`).
//!
//! | error | status |
//! | --- | --- |
//! | `invalid-input`, and a request body that cannot be read | 400 |
//! | `access-denied`, signature, key and token errors | 403 |
//! | `no-such-bucket`, `no-such-key`, `no-such-version`, `no-such-upload` | 404 |
//! | bucket conflicts (`bucket-already-exists`, `-owned-by-you`, `-not-empty`) | 409 |
//! | `precondition-failed` | 412 |
//! | `EntityTooLarge` | 413 |
//! | `invalid-range` | 416 |
//! | S3's other 4xx codes | S3's status |
//! | `transport`, `invalid-response`, S3's 5xx and redirects | 502 |
//! | anything else | 500 |

use crate::json_value::Value;

/// The status for the error object `error` (the value of `"error"`).
pub fn for_error(error: &Value) -> u16 {
    match text(error, "kind").unwrap_or_default() {
        "invalid-input" => 400,
        "service" => for_service(error),
        "transport" | "invalid-response" => 502,
        // A host-held body that cannot be read is the request's body
        // ending early (a client that stopped sending).
        "body" => 400,
        "upload-incomplete" => match error.get("cause").and_then(|cause| text(cause, "kind")) {
            Some("service") => error.get("cause").map_or(500, for_service),
            Some("body") => 400,
            Some(_) => 502,
            None => 500,
        },
        _ => 500,
    }
}

/// The string field `key` of `value`.
fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The status for a service error: by its code, else S3's own 4xx.
fn for_service(error: &Value) -> u16 {
    let code = text(error, "code").unwrap_or_default();
    match code {
        "access-denied"
        | "signature-does-not-match"
        | "invalid-access-key-id"
        | "request-time-too-skewed"
        | "expired-token"
        | "invalid-token" => 403,
        "no-such-bucket" | "no-such-key" | "no-such-version" | "no-such-upload" => 404,
        "bucket-already-exists" | "bucket-already-owned-by-you" | "bucket-not-empty" => 409,
        "precondition-failed" => 412,
        "EntityTooLarge" => 413,
        "invalid-range" => 416,
        "invalid-argument"
        | "invalid-bucket-name"
        | "invalid-request"
        | "malformed-xml"
        | "authorization-header-malformed" => 400,
        _ => match error.get("status").and_then(Value::as_u64) {
            Some(status @ 400..=499) => status as u16,
            _ => 502,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(code: &str, status: u16) -> serde_json::Value {
        json!({"kind": "service", "status": status, "code": code})
    }

    #[test]
    fn each_kind_has_its_status() {
        let cases = [
            (json!({"kind": "invalid-input", "field": "x"}), 400),
            (service("access-denied", 403), 403),
            (service("signature-does-not-match", 403), 403),
            (service("no-such-key", 404), 404),
            (service("no-such-bucket", 404), 404),
            (service("bucket-not-empty", 409), 409),
            (service("precondition-failed", 412), 412),
            (service("EntityTooLarge", 400), 413),
            (service("invalid-range", 416), 416),
            (service("internal-error", 500), 502),
            (service("slow-down", 503), 502),
            (service("permanent-redirect", 301), 502),
            (service("SomethingNew", 422), 422),
            (json!({"kind": "transport", "error": {"kind": "dns"}}), 502),
            (json!({"kind": "invalid-response", "message": "x"}), 502),
            (json!({"kind": "body", "error": {"kind": "io"}}), 400),
            (
                json!({"kind": "upload-incomplete", "cause": service("access-denied", 403)}),
                403,
            ),
            (
                json!({"kind": "upload-incomplete", "cause": {"kind": "transport"}}),
                502,
            ),
            (json!({"kind": "host"}), 500),
        ];
        for (error, status) in cases {
            assert_eq!(for_error(&Value::from(&error)), status, "{error}");
        }
    }
}
