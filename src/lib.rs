//! An AWS S3 connector built as one sandboxed WebAssembly component.
//!
//! The crate has a sans-IO core that runs under native `cargo test`:
//! [`sigv4`] signs, [`ops`] builds each operation's request and parses its
//! response, [`client`] runs them through a [`http::Transport`]. The
//! component glue (`component.rs`, wasm only) maps the WIT interface onto
//! the core, reads the clock and implements the transport with the host's
//! `http-outgoing` import.

// Two modules need `unsafe`, each by an `allow`: the WIT bindings generated
// in `component` (wasm only), which are FFI, and the allocator in `heap`,
// which hands out raw memory; everything else has none.
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod ascii;
pub mod client;
#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
pub mod connection;
pub mod date;
pub mod decode;
pub mod encode;
pub mod error;
#[allow(unsafe_code)]
pub mod heap;
pub mod http;
pub mod json;
pub mod manifest;
pub mod model;
pub mod ops;
pub mod policy;
pub mod quote;
pub mod sigv4;
pub mod validate;
pub mod xml;
