//! The path every request of the connector takes, whatever its operation:
//! the connection and its credentials ([`connection`]), the HTTP request
//! and response ([`http`]), SigV4 ([`sigv4`]), the XML reader ([`xml`]),
//! the dates S3 and HTTP write ([`date`]: Head Object and Get Object read
//! one per call), the JSON writer's primitives ([`json_text`]), Base64 for
//! an upload's `Content-MD5` ([`base64`]), the errors ([`error`]), byte
//! scans ([`ascii`]) and the component's allocator ([`heap`]).
//!
//! These files sit in `src/` beside the rest of the core, and the
//! `s3-connector` crate re-exports each module under its own name
//! (`s3_connector::sigv4`). They are compiled as a crate of their own,
//! `s3-connector-wire` (`wire/Cargo.toml`), because a crate is the unit an
//! optimisation level applies to: the component builds this one for speed
//! (`opt-level = "s"`: every call signs, and a listing reads a page of
//! XML), and the operations, each of which a call runs once, for size
//! (`"z"`).

// One module needs `unsafe`, by an `allow`: the allocator in `heap`, which
// hands out raw memory; everything else has none.
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod ascii;
pub mod base64;
pub mod connection;
pub mod date;
pub mod error;
#[allow(unsafe_code)]
pub mod heap;
pub mod http;
pub mod json_text;
pub mod sigv4;
pub mod xml;
