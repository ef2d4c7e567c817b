//! An AWS S3 connector built as one sandboxed WebAssembly component.
//!
//! The crate has a sans-IO core that runs under native `cargo test`:
//! [`sigv4`] signs, [`ops`] builds each operation's request and parses its
//! response, [`client`] runs them through a [`http::Transport`]. The
//! component glue (`component.rs`, wasm only) maps the WIT interface onto
//! the core, reads the clock and implements the transport with the host's
//! `http-outgoing` import.

// One module needs `unsafe`, by an `allow`: the WIT bindings generated in
// `component` (wasm only), which are FFI (the allocator, the other, is in
// the wire crate); everything else has none.
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod client;
#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
pub mod decode;
pub mod encode;
pub mod inflate;
pub mod json;
pub mod json_value;
pub mod manifest;
pub mod model;
pub mod ops;
pub mod policy;
pub mod quote;
pub mod validate;

// The modules every request runs through, compiled as a crate of their own
// (`src/wire.rs`) so that the component builds them for speed and the rest
// for size; re-exported here under their own names.
pub use s3_connector_wire::{ascii, base64, connection, date, error, heap, http, sigv4, xml};
