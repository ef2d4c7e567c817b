//! `s3-connector serve`: the HTTP face (the composed
//! `s3_connector_http.wasm`: face, connector and wasi-http adapter) on
//! wasmtime's standard `wasi:http` implementation, as `wasmtime serve` runs
//! it: a hyper HTTP/1.1 server, and one fresh instance of a shared
//! pre-instantiated component per request, from a pool of
//! `POOLED_REQUESTS` (128) slots reserved up front.
//!
//! The component sees, through `wasi:cli/environment`, the connection's
//! variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_DEFAULT_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, `S3_CONNECTOR_PATH_STYLE`),
//! those the flags set (`--endpoint`, `--region`, `--path-style`, `--local`)
//! and the adapter's allowances (`S3_CONNECTOR_ALLOW_LOOPBACK` with
//! `--local` or an explicit loopback endpoint,
//! `S3_CONNECTOR_ALLOW_PRIVATE_NETWORK` with `--allow-private-network`).
//! Nothing else of the host's environment, no files and no sockets of its
//! own; its way out is `wasi:http/outgoing-handler`, which sends through
//! [`GuardedSend`]: every host name resolved here and each address checked
//! with the same allowances, the connection made to a checked address.
//!
//! Each request's instance yields to the server's other requests at every
//! epoch tick it spends computing, and is stopped once it has computed for
//! `--stall-timeout` (120 s) without any I/O: without reading its request's
//! body, writing its answer's or sending a request to S3 (see
//! [`Watchdog`]). A component that loops never holds a server thread.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{
    Error, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

use crate::ca_bundle::CaBundle;
use crate::cli::{start_local, Args};
use crate::error::{CallError, HostError};
use crate::guarded_send::{GuardedSend, Sending};
use crate::instance::deadline_ticks;
use crate::local_server::{self, LocalServer};
use crate::runtime::Ticker;

/// The command that serves the HTTP face.
pub const SERVE: &str = "serve";

/// The address `serve` listens on when `--listen` is not given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The environment variables passed through to the component as they are.
pub const PASSED_VARS: [&str; 8] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "S3_CONNECTOR_PATH_STYLE",
];

/// Lets the adapter reach loopback addresses.
pub const ALLOW_LOOPBACK: &str = "S3_CONNECTOR_ALLOW_LOOPBACK";
/// Lets the adapter reach private networks.
pub const ALLOW_PRIVATE_NETWORK: &str = "S3_CONNECTOR_ALLOW_PRIVATE_NETWORK";

/// How long a request's instance may compute without any I/O when
/// `--stall-timeout` does not say.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(120);

/// The linear memory one request's instance may use (the adapter keeps up
/// to 64 MiB of an upload for re-reads).
const MEMORY_LIMIT: usize = 512 * 1024 * 1024;

/// How many requests' instances may be alive at once: the slots of the
/// pooling allocator they are taken from. A request beyond them waits for
/// one to be free.
const POOLED_REQUESTS: u32 = 128;

/// The most core instances, memories and tables one instance of the HTTP
/// artifact holds (three components, their modules and glue), with room
/// to spare.
const PER_REQUEST: u32 = 16;

/// Writes `{"error": {"kind": "host", "message": ...}}` on stderr for a
/// request whose instance failed after its answer began: the failure's
/// cause (a trap's, or the stall timeout's), which carries no request data.
fn report_failure_after_answer(error: &wasmtime::Error) {
    let message = format!(
        "a request's component failed after its answer began (the answer is broken off): {}",
        error.root_cause()
    );
    let line = serde_json::json!({"error": {"kind": "host", "message": message}});
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Where the HTTP artifact is looked for when neither `--http-wasm` nor
/// `S3_CONNECTOR_HTTP_WASM` says: beside the connector's default.
pub fn default_http_wasm_path() -> PathBuf {
    crate::cli::default_wasm_path().with_file_name("s3_connector_http.wasm")
}

/// Runs `serve` until the process is stopped; returns the exit code.
pub fn main(args: &Args, env: &[(String, String)]) -> i32 {
    match run(args, env) {
        Ok(()) => 0,
        Err(error) => {
            let line = serde_json::json!({"error": {"kind": "host", "message": error.to_string()}});
            let _ = writeln!(std::io::stderr().lock(), "{line}");
            1
        }
    }
}

fn run(args: &Args, env: &[(String, String)]) -> Result<(), HostError> {
    let wasm = args.http_wasm.clone().unwrap_or_else(default_http_wasm_path);
    let local = match &args.local {
        // A host error already says the server could not start, and where.
        Some(dir) => Some(start_local(dir, args).map_err(|e| match e {
            CallError::Host(error) => error,
            other => HostError::Config(format!("cannot start the local S3 server: {other}")),
        })?),
        None => None,
    };
    let guest_env = guest_env(args, env, local.as_ref());
    let send = guarded_send(args, &guest_env)?;
    let stall = args
        .stall_timeout
        .map_or(DEFAULT_STALL_TIMEOUT, Duration::from_secs);
    let server = Server::load(&wasm, guest_env, send, stall)?;
    let listen = args.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| HostError::Config(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| HostError::Config(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| HostError::Config(format!("cannot read the bound address: {e}")))?;
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on http://{addr}").and_then(|()| out.flush());
        }
        server.serve(listener).await;
        drop(local);
        Ok(())
    })
}

/// The component's environment: the connection's variables of the host's
/// environment, overridden by the flags (and by the local server), and the
/// adapter's allowances.
pub fn guest_env(
    args: &Args,
    env: &[(String, String)],
    local: Option<&LocalServer>,
) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = env
        .iter()
        .filter(|(name, value)| PASSED_VARS.contains(&name.as_str()) && !value.is_empty())
        .cloned()
        .collect();
    fn set(vars: &mut Vec<(String, String)>, name: &str, value: &str) {
        vars.retain(|(n, _)| n != name);
        if !value.is_empty() {
            vars.push((name.to_owned(), value.to_owned()));
        }
    }
    if let Some(server) = local {
        set(&mut vars, "AWS_ACCESS_KEY_ID", server.access_key());
        set(&mut vars, "AWS_SECRET_ACCESS_KEY", server.secret_key());
        set(&mut vars, "AWS_SESSION_TOKEN", "");
        set(&mut vars, "AWS_REGION", local_server::LOCAL_REGION);
        set(&mut vars, "AWS_ENDPOINT_URL", server.endpoint());
        set(&mut vars, "AWS_ENDPOINT_URL_S3", "");
        set(&mut vars, "S3_CONNECTOR_PATH_STYLE", "true");
    }
    if let Some(endpoint) = &args.endpoint {
        set(&mut vars, "AWS_ENDPOINT_URL", endpoint);
        set(&mut vars, "AWS_ENDPOINT_URL_S3", "");
    }
    if let Some(region) = &args.region {
        set(&mut vars, "AWS_REGION", region);
    }
    if args.path_style {
        set(&mut vars, "S3_CONNECTOR_PATH_STYLE", "true");
    }
    let endpoint = vars
        .iter()
        .find(|(n, _)| n == "AWS_ENDPOINT_URL_S3")
        .or_else(|| vars.iter().find(|(n, _)| n == "AWS_ENDPOINT_URL"))
        .map(|(_, v)| v.clone());
    if local.is_some() || endpoint.as_deref().is_some_and(is_loopback_url) {
        set(&mut vars, ALLOW_LOOPBACK, "1");
    }
    if args.allow_private_network {
        set(&mut vars, ALLOW_PRIVATE_NETWORK, "1");
    }
    vars
}

/// How the component's requests leave: to the addresses the guest's
/// allowances allow (the same as the adapter's, checked here on every
/// address a name resolves to), the deployment's endpoint among them, with
/// TLS trusting the public roots and `--ca-bundle` (or AWS_CA_BUNDLE).
fn guarded_send(args: &Args, guest_env: &[(String, String)]) -> Result<GuardedSend, HostError> {
    let config = crate::cli::http_config(args).map_err(|e| HostError::Config(e.to_string()))?;
    let var = |name: &str| guest_env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let endpoint = var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL"));
    Ok(GuardedSend::new(
        config.address_policy,
        var(ALLOW_LOOPBACK).is_some(),
        endpoint,
        CaBundle::root_store(config.ca_bundle.as_ref()),
    ))
}

/// Whether `url`'s host is a loopback address (or `localhost`).
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The compiled component and what every request's instance gets.
struct Server {
    pre: ProxyPre<RequestState>,
    /// A permit per slot of the engine's instance pool.
    slots: Arc<tokio::sync::Semaphore>,
    env: Vec<(String, String)>,
    send: GuardedSend,
    /// How long a request's instance may compute without I/O.
    stall: Duration,
    /// Advances the engine's epoch for as long as the server runs.
    _ticker: Ticker,
}

/// The store of one request's instance.
struct RequestState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    send: CountedSend,
    limits: StoreLimits,
    watchdog: Watchdog,
}

/// Stops an instance that computes without I/O. It is asked at each epoch
/// tick at which the instance is found running (an instance waiting for
/// I/O is not running, and is not asked while it waits), and counts those
/// ticks since the request last moved: a frame of its body read, a frame of
/// its answer's body written, a request sent to S3 or its answer received.
struct Watchdog {
    /// Bumped by every movement of the request.
    moved: Arc<AtomicU64>,
    /// `moved` when last asked.
    seen: u64,
    /// Ticks found running since `moved` last changed.
    busy: u64,
    /// The most such ticks allowed.
    limit: u64,
}

impl Watchdog {
    fn new(moved: Arc<AtomicU64>, limit: u64) -> Self {
        Self {
            moved,
            seen: 0,
            busy: 0,
            limit,
        }
    }

    /// One more tick found running: whether the instance may go on.
    fn tick(&mut self) -> bool {
        let moved = self.moved.load(Ordering::Relaxed);
        if moved != self.seen {
            self.seen = moved;
            self.busy = 0;
        }
        self.busy = self.busy.saturating_add(1);
        self.busy <= self.limit
    }
}

/// [`GuardedSend`] for one request, counting each request sent and each
/// answer received as the request's movement (see [`Watchdog`]).
struct CountedSend {
    send: GuardedSend,
    moved: Arc<AtomicU64>,
}

impl WasiHttpHooks for CountedSend {
    fn send_request(
        &mut self,
        request: hyper::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Sending {
        self.moved.fetch_add(1, Ordering::Relaxed);
        let moved = Arc::clone(&self.moved);
        let sent = Box::into_pin(self.send.send_request(request, options, fut));
        Box::new(async move {
            let answered = sent.await;
            moved.fetch_add(1, Ordering::Relaxed);
            answered
        })
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.send,
        }
    }
}

impl Server {
    /// Compiles (or loads from the code cache) and links the component.
    fn load(
        wasm: &Path,
        env: Vec<(String, String)>,
        send: GuardedSend,
        stall: Duration,
    ) -> Result<Arc<Self>, HostError> {
        if !wasm.is_file() {
            return Err(HostError::Config(format!(
                "the HTTP component is not at {}: build it with `make http` (or give --http-wasm)",
                wasm.display()
            )));
        }
        let load = |e: wasmtime::Error| HostError::Load(format!("{e:#}"));
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        // The watchdog's ticks (see `Watchdog`).
        config.epoch_interruption(true);
        // Each request's instance comes from a pool reserved up front and
        // is wiped when it ends, rather than mapping and unmapping memories
        // of its own (about a seventh of a small request's time). Where the
        // pool's address space cannot be reserved (a limit on virtual
        // memory), instances map their own.
        config.allocation_strategy(crate::runtime::pooling(
            POOLED_REQUESTS,
            PER_REQUEST,
            MEMORY_LIMIT,
        ));
        let engine = Engine::new(&config).or_else(|_| {
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::OnDemand);
            Engine::new(&config)
        });
        let engine = engine.map_err(load)?;
        let cache = wasm.parent().map(|dir| dir.join(".wasmtime-cache"));
        let component = crate::code_cache::load(&engine, wasm, cache.as_deref()).map_err(load)?;
        let mut linker = Linker::<RequestState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(load)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(load)?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(ProxyPre::new)
            .map_err(load)?;
        let ticker = Ticker::start(engine);
        Ok(Arc::new(Self {
            pre,
            slots: Arc::new(tokio::sync::Semaphore::new(POOLED_REQUESTS as usize)),
            env,
            send,
            stall,
            _ticker: ticker,
        }))
    }

    /// Accepts connections until the process stops, each on its own task.
    async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(_) => continue,
            };
            // Small answers must not wait for the client's delayed ACK.
            let _ = stream.set_nodelay(true);
            let server = Arc::clone(&self);
            tokio::task::spawn(async move {
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(
                        TokioIo::new(stream),
                        hyper::service::service_fn(move |request| {
                            let server = Arc::clone(&server);
                            async move { Ok::<_, Infallible>(server.handle(request).await) }
                        }),
                    )
                    .await;
            });
        }
    }

    /// One request on a fresh instance; a failure of the host or a trap
    /// before the response head is a 500 naming it.
    async fn handle(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<HyperOutgoingBody> {
        match self.run(request).await {
            Ok(response) => response,
            Err(error) => {
                let body = serde_json::json!({"error": {"kind": "host", "message": format!("{error:#}")}});
                let mut response = hyper::Response::new(
                    Full::new(bytes::Bytes::from(body.to_string()))
                        .map_err(|never: Infallible| match never {})
                        .boxed_unsync(),
                );
                *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                response.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/json"),
                );
                response
            }
        }
    }

    async fn run(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>> {
        let mut wasi = WasiCtx::builder();
        wasi.envs(&self.env).inherit_stderr();
        let moved = Arc::new(AtomicU64::new(0));
        let mut store = Store::new(
            self.pre.engine(),
            RequestState {
                table: ResourceTable::new(),
                wasi: wasi.build(),
                http: WasiHttpCtx::new(),
                send: CountedSend {
                    send: self.send.clone(),
                    moved: Arc::clone(&moved),
                },
                limits: crate::sandbox::store_limits(MEMORY_LIMIT),
                watchdog: Watchdog::new(Arc::clone(&moved), deadline_ticks(self.stall)),
            },
        );
        store.limiter(|state| &mut state.limits);
        // Asked at every tick the instance computes: it yields to the other
        // requests each time, and is stopped past its stall timeout.
        store.set_epoch_deadline(1);
        let stall_seconds = self.stall.as_secs();
        store.epoch_deadline_callback(move |mut context| {
            if context.data_mut().watchdog.tick() {
                Ok(UpdateDeadline::Yield(1))
            } else {
                Err(wasmtime::Error::msg(format!(
                    "stopped: the component computed for {stall_seconds} s without reading, writing or sending anything (--stall-timeout)"
                )))
            }
        });
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let read = Arc::clone(&moved);
        let request = request.map(|body| {
            body.map_frame(move |frame| {
                read.fetch_add(1, Ordering::Relaxed);
                frame
            })
        });
        let req = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        let slots = Arc::clone(&self.slots);
        // The instance runs on its own task, so that it goes on writing the
        // body after the head has been answered. It holds a slot of the
        // pool from before it is made until its store is gone.
        let task = tokio::task::spawn(async move {
            let _slot = slots.acquire_owned().await?;
            let result = match pre.instantiate_async(&mut store).await {
                Ok(proxy) => {
                    proxy
                        .wasi_http_incoming_handler()
                        .call_handle(&mut store, req, out)
                        .await
                }
                Err(error) => Err(error),
            };
            drop(store);
            result
        });
        match receiver.await {
            Ok(Ok(response)) => {
                // Once the head is out, a failure of the instance (a trap,
                // the stall timeout) can only break the body: it is said on
                // stderr, as `wasmtime serve` does, rather than lost.
                tokio::task::spawn(async move {
                    if let Ok(Err(error)) = task.await {
                        report_failure_after_answer(&error);
                    }
                });
                Ok(response.map(|body| {
                    body.map_frame(move |frame| {
                        moved.fetch_add(1, Ordering::Relaxed);
                        frame
                    })
                    .boxed_unsync()
                }))
            }
            Ok(Err(code)) => Err(wasmtime::Error::msg(format!(
                "the component answered an error: {code:?}"
            ))),
            Err(_) => {
                let error = match task.await {
                    Ok(Ok(())) => wasmtime::Error::msg("the component set no response"),
                    Ok(Err(e)) => e,
                    Err(e) => wasmtime::Error::msg(e.to_string()),
                };
                Err(error.context("the component set no response"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_counts_ticks_since_the_request_last_moved() {
        let moved = Arc::new(AtomicU64::new(0));
        let mut watchdog = Watchdog::new(Arc::clone(&moved), 3);
        assert!(watchdog.tick() && watchdog.tick() && watchdog.tick());
        // A movement starts the count again, however long it ran before.
        moved.fetch_add(1, Ordering::Relaxed);
        assert!(watchdog.tick() && watchdog.tick() && watchdog.tick());
        assert!(!watchdog.tick(), "a fourth tick without movement");
        assert!(!watchdog.tick());
        moved.fetch_add(1, Ordering::Relaxed);
        assert!(watchdog.tick());
    }

    #[test]
    fn loopback_urls() {
        for url in [
            "http://127.0.0.1:9000",
            "http://localhost/x",
            "http://[::1]:80",
            "http://u@127.0.0.2",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "https://s3.amazonaws.com",
            "http://10.0.0.1",
            "http://127.0.0.1.example.com",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }
}
