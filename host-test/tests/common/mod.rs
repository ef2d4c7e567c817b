//! Shared set-up of the end-to-end tests: the real component, the real
//! host, and an in-process s3s-fs server that verifies signatures.

#![allow(dead_code, clippy::unwrap_used)]

pub mod aws_fake;
pub mod fake_server;
pub mod fault_proxy;
pub mod schema;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use s3_connector_host::cli::default_wasm_path;
use s3_connector_host::wit::{Connection, Request, Response, TransportError};
use s3_connector_host::{InstanceOptions, LocalServer, Outgoing, Runtime, UreqOutgoing};
use tempfile::TempDir;

/// The bucket every fixture creates.
pub const BUCKET: &str = "test-bucket";

/// The component under test: `S3_CONNECTOR_WASM`, else the workspace's build.
pub fn wasm_path() -> PathBuf {
    let path = std::env::var_os("S3_CONNECTOR_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(default_wasm_path);
    assert!(
        path.is_file(),
        "the component is missing at {}: build it first with `make build` \
         (cargo build -p s3-connector --profile component --target wasm32-wasip2)",
        path.display()
    );
    path
}

/// One runtime per test binary: the component is compiled (or loaded from
/// the cache) once.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::load(&wasm_path()).unwrap())
}

/// A local S3 server on a fresh directory.
pub struct Local {
    /// The server (stops on drop, before the directory goes).
    pub server: LocalServer,
    /// Its root.
    pub dir: TempDir,
}

impl Local {
    /// A server with these buckets.
    pub fn with_buckets(buckets: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = LocalServer::start(dir.path()).unwrap();
        for bucket in buckets {
            server.create_bucket(bucket).unwrap();
        }
        Self { server, dir }
    }

    /// A server with [`BUCKET`].
    pub fn new() -> Self {
        Self::with_buckets(&[BUCKET])
    }

    /// The connection the server accepts.
    pub fn conn(&self) -> Connection {
        Connection {
            access_key: self.server.access_key().to_owned(),
            secret_key: self.server.secret_key().to_owned(),
            session_token: None,
            region: Some("us-east-1".to_owned()),
            endpoint: Some(self.server.endpoint().to_owned()),
            path_style: true,
            credentials_expire: None,
        }
    }
}

/// A new instance with the default options (real HTTP).
pub fn instance() -> s3_connector_host::Instance {
    runtime().instance(InstanceOptions::default()).unwrap()
}

pub mod moto;
pub mod tls;

/// The local server's transport, with each request that `slow` picks
/// answered `delay` late, as S3 answers a part copy or a batch of deletes
/// only once it is done.
pub struct SlowAnswers {
    /// Where the requests go.
    pub inner: UreqOutgoing,
    /// How late a picked request is answered.
    pub delay: Duration,
    /// Which requests are answered late.
    pub slow: fn(&Request) -> bool,
}

impl SlowAnswers {
    /// Requests picked by `slow` answered `delay` late.
    pub fn new(delay: Duration, slow: fn(&Request) -> bool) -> Self {
        Self {
            inner: UreqOutgoing::default(),
            delay,
            slow,
        }
    }
}

impl Outgoing for SlowAnswers {
    fn send(&mut self, request: Request) -> Result<Response, TransportError> {
        let slow = (self.slow)(&request);
        let answer = self.inner.send(request);
        if slow {
            std::thread::sleep(self.delay);
        }
        answer
    }

    fn set_explicit_endpoint(&mut self, endpoint: Option<&str>) {
        self.inner.set_explicit_endpoint(endpoint);
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.inner.set_deadline(deadline);
    }
}
