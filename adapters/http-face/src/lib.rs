//! The s3-connector's HTTP face: a component that exports
//! `wasi:http/incoming-handler` and runs the connector's JSON operations
//! (`s3-connector:s3/json`), which it imports.
//!
//! Composed with the connector and the wasi-http adapter it is one
//! component whose imports are only `wasi:*`, which any standard HTTP host
//! runs (`wasmtime serve`, Spin, wasmCloud, `s3-connector serve`):
//!
//! - `GET /v1/operations`: the manifest (`json.describe`);
//! - `POST /v1/{operation}` with `{"connection": {...}, "input": {...}}`:
//!   the operation's JSON output, or `{"error": {...}}` with a status that
//!   fits it ([`status`]);
//! - `POST /v1/put-object-file`: the request body is the object, streamed
//!   into the upload; `POST /v1/get-object`: the response body is the
//!   object, read in one request when small and streamed from S3 when not
//!   ([`download`]).
//!
//! Everything a native test would want to reach (routing, the request's
//! envelope, the connection from the environment, statuses, masking) lives
//! outside `component.rs`, which holds the WIT glue alone.

#![cfg_attr(not(target_arch = "wasm32"), forbid(unsafe_code))]
#![cfg_attr(target_arch = "wasm32", deny(unsafe_code))]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]

#[cfg(target_arch = "wasm32")]
mod component;
pub mod download;
pub mod envelope;
pub mod json;
/// JSON text read into values: the connector's own reader, shared rather
/// than copied (strict, fields in the order of the text, a key given twice
/// refused).
#[path = "../../../src/json_value.rs"]
pub mod json_value;
/// How error messages quote what the user gave (the JSON reader's).
#[path = "../../../src/quote.rs"]
pub mod quote;
/// The host's masking, shared rather than copied: the same forms (either
/// hex case of percent-encoding), and a presigned URL's token left whole.
#[path = "../../../host-test/src/secret_forms.rs"]
pub mod redact;
pub mod route;
pub mod status;
