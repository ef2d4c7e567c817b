//! The s3-connector's network and bodies on standard WASI 0.2: a component
//! that exports `s3-connector:s3/http-outgoing` and `s3-connector:s3/bodies`
//! on top of `wasi:http/outgoing-handler` and `wasi:io`, so that the
//! connector, composed with it, runs on any host that offers standard WASI.
//!
//! A generic host has none of the connector's own host's network policy,
//! so the adapter keeps what it can inside the sandbox ([`policy`]): only
//! `http` and `https`, and no IP-literal destination in a loopback, private
//! or link-local range unless the environment allows it. Bodies live in the
//! adapter ([`body`]): in memory, or read from and written to standard
//! streams, which another component hands over through the adapter's
//! `streams` export. The WIT glue (`component.rs`, wasm only) is the only
//! file that sees WASI or WIT types.

// The WIT bindings generated in `component` (wasm only) are FFI and need
// `unsafe`, confined there by an `allow`; everything else has none.
#![cfg_attr(not(target_arch = "wasm32"), forbid(unsafe_code))]
#![cfg_attr(target_arch = "wasm32", deny(unsafe_code))]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]

/// The host's classification of IP addresses (loopback, private,
/// link-local, ...), shared word for word so that the adapter refuses what
/// the connector's own host refuses; only `classify` and the kinds' names
/// are used here.
#[allow(dead_code)]
#[path = "../../../host-test/src/policy.rs"]
mod address;

pub mod body;
#[cfg(target_arch = "wasm32")]
mod component;
pub mod policy;
