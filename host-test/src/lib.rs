//! A wasmtime host for the s3-connector component.
//!
//! [`Runtime`] loads and compiles the component once (the machine code is
//! cached on disk); [`Runtime::instance`] makes an [`Instance`] whose calls
//! share one copy of the component's state. Every operation has a typed
//! call, and [`Instance::invoke`] is the JSON face used by the CLI.
//!
//! The component runs sandboxed ([`sandbox`]): no environment, files or
//! sockets, a memory limit and a per-call deadline; a trap is a
//! [`HostError`], never a panic. Its only way out is `http-outgoing`,
//! implemented by [`UreqOutgoing`] (or [`DryRun`], which prints instead),
//! which reaches only public addresses unless told otherwise
//! ([`policy`]): loopback for the connection's own endpoint, private
//! networks on request, `--connect-to` routes ([`connect_to`]) and extra
//! root certificates ([`CaBundle`]) from [`HttpConfig`].
//! [`LocalServer`] is an S3 server on 127.0.0.1 for demos and tests.
//!
//! Objects of any size go through host-held bodies ([`bodies`]): a
//! [`bodies::BodySource`] that an upload reads from
//! ([`Instance::put_object_stream`], or [`Instance::invoke_streamed`] for
//! the JSON face) and a [`bodies::BodySink`] that a download writes to
//! ([`Instance::get_object_to`]). Their bytes go between the host and the
//! network in chunks, never whole through the component;
//! [`Instance::memory_peak`] tells how much linear memory it used.
//!
//! ```no_run
//! use s3_connector_host::{InstanceOptions, Runtime};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = Runtime::load(std::path::Path::new("s3_connector.wasm"))?;
//! let mut instance = runtime.instance(InstanceOptions::default())?;
//! let conn = s3_connector_host::wit::Connection {
//!     access_key: std::env::var("AWS_ACCESS_KEY_ID")?,
//!     secret_key: std::env::var("AWS_SECRET_ACCESS_KEY")?,
//!     session_token: None,
//!     region: None, // `auto`: each bucket's region is found by itself
//!     endpoint: None,
//!     path_style: false,
//!     credentials_expire: None,
//! };
//! let buckets = instance.list_buckets(&conn)?;
//! # Ok(()) }
//! ```

#![deny(clippy::unwrap_used)]
#![warn(missing_docs)]

pub mod aws_config;
pub mod batch;
#[allow(missing_docs)]
mod bindings;
pub mod bodies;
pub mod ca_bundle;
pub mod cli;
mod code_cache;
pub mod command;
pub mod connect_to;
pub mod describe;
pub mod dry_run;
pub mod error;
mod exports;
mod footprint;
pub mod guarded_send;
pub mod instance;
pub mod local_server;
pub mod outgoing;
pub mod policy;
pub mod progress;
pub mod redact;
pub mod runtime;
pub mod sandbox;
mod secret_forms;
pub mod serve;
mod socket_timeouts;

pub use ca_bundle::CaBundle;
pub use connect_to::ConnectTo;
pub use dry_run::{DryRun, DryRunLine};
pub use error::{CallError, ConnectorError, HostError};
pub use instance::{Instance, InstanceOptions};
pub use local_server::LocalServer;
pub use outgoing::{HttpConfig, Outgoing, UreqOutgoing};
pub use policy::AddressPolicy;
pub use runtime::{CodeCache, Runtime, RuntimeConfig};

/// The WIT types, as generated from `wit/`.
///
/// Beware: the generated `Debug` of [`wit::Connection`] prints the secret
/// key; never log a connection.
pub mod wit {
    pub use crate::bindings::exports::s3_connector::s3::json::InvokeOutput;
    pub use crate::bindings::s3_connector::s3::bodies::{BodyError, DigestAlgorithm};
    pub use crate::bindings::s3_connector::s3::http_outgoing::{
        Body, Header, PlacedRequest, PlacedResponse, Request, Response, SpanRequest, TransportError,
    };
    pub use crate::bindings::s3_connector::s3::types::*;
}
