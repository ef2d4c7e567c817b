//! An AWS S3 connector built as one sandboxed WebAssembly component.
//!
//! The crate has a sans-IO core that runs under native `cargo test`:
//! [`sigv4`] signs, [`ops`] builds each operation's request and parses its
//! response, [`client`] runs them through a [`http::Transport`]. The
//! component glue (`component.rs`, wasm only) maps the WIT interface onto
//! the core, reads the clock and implements the transport with the host's
//! `http-outgoing` import.

// The WIT bindings generated in `component` (wasm only) are FFI and need
// `unsafe`, confined there by an `allow`; everything else has none.
#![cfg_attr(not(target_arch = "wasm32"), forbid(unsafe_code))]
#![cfg_attr(target_arch = "wasm32", deny(unsafe_code))]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod ascii;
pub mod client;
#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
pub mod connection;
pub mod date;
pub mod decode;
pub mod error;
pub mod http;
pub mod json;
pub mod manifest;
pub mod model;
pub mod ops;
pub mod policy;
pub mod sigv4;
pub mod validate;
pub mod xml;
