//! One instance of the component, and a typed call for each operation.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use wasmtime::component::ResourceTable;
use wasmtime::{Store, StoreLimits, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::{s3_connector::s3 as wit_host, Connector, ConnectorPre};
use crate::error::{CallError, ConnectorError, HostError};
use crate::outgoing::{Outgoing, UreqOutgoing};
use crate::runtime::{Ticker, EPOCH_TICK};
use crate::sandbox;
use crate::wit::{
    Bucket, Connection, DeleteObjectOutput, DeleteObjectsInput, DeleteResult, DropdownItem, GetObjectInput,
    GetObjectOutput, InvokeOutput, ListObjectsInput, ListObjectsOutput, ObjectMetadata, ObjectRef,
    PutObjectAclInput, PutObjectFileInput, PutObjectOutput, PutObjectTextInput, Request, Response, SignedUrl,
    SignedUrlInput, TransportError,
};

/// The default limit of an instance's linear memory.
pub const DEFAULT_MEMORY_LIMIT: usize = 256 * 1024 * 1024;

/// The default time one call may take, HTTP requests included.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Settings of one [`Instance`].
pub struct InstanceOptions {
    /// Where the component's requests go.
    pub outgoing: Box<dyn Outgoing>,
    /// A fixed wall clock for the component (`None`: the real clock).
    pub now: Option<SystemTime>,
    /// The most linear memory the component may have, in bytes.
    pub memory_limit: usize,
    /// How long one call may run, HTTP requests included, before it is
    /// stopped and fails with [`HostError::Timeout`].
    pub call_timeout: Duration,
}

impl InstanceOptions {
    /// Defaults, with requests sent to `outgoing`.
    pub fn new(outgoing: impl Outgoing + 'static) -> Self {
        Self {
            outgoing: Box::new(outgoing),
            now: None,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// With the component's wall clock stopped at `now`.
    pub fn with_now(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// With another per-call deadline.
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// With another memory limit.
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }
}

impl Default for InstanceOptions {
    /// Real HTTP with [`UreqOutgoing`]'s default limits, the real clock.
    fn default() -> Self {
        Self::new(UreqOutgoing::default())
    }
}

/// What the store of an instance holds: the WASI sandbox, the limits and
/// the transport behind `http-outgoing`.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    outgoing: Mutex<Box<dyn Outgoing>>,
    // When the running call must end (`None`: no deadline).
    deadline: Option<Instant>,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wit_host::http_outgoing::Host for HostState {
    /// Sends on this thread (a transport may rely on it: a dry run prints
    /// to a stdout its caller may hold locked). The epoch deadline stops the
    /// component only while it runs its own code, not while it waits here,
    /// so the transport is told the deadline, and no request starts after it.
    fn send(&mut self, request: Request) -> Result<Response, TransportError> {
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(TransportError::Timeout);
        }
        lock(&self.outgoing).send(request)
    }
}

impl wit_host::types::Host for HostState {}

/// The transport, even if a send panicked while holding it.
fn lock(outgoing: &Mutex<Box<dyn Outgoing>>) -> std::sync::MutexGuard<'_, Box<dyn Outgoing>> {
    outgoing.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One instance of the component. Calls on it share its state (the bucket
/// region cache, for one); after a trap it refuses further calls with
/// [`HostError::Poisoned`].
pub struct Instance {
    store: Store<HostState>,
    connector: Connector,
    stderr: MemoryOutputPipe,
    call_timeout: Duration,
    poisoned: bool,
    // Keeps the epoch advancing for as long as the instance lives.
    _ticker: Arc<Ticker>,
}

impl Instance {
    pub(crate) fn new(
        pre: &ConnectorPre<HostState>,
        ticker: Arc<Ticker>,
        options: InstanceOptions,
    ) -> Result<Self, HostError> {
        let (wasi, stderr) = sandbox::wasi_context(options.now);
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            limits: sandbox::store_limits(options.memory_limit),
            outgoing: Mutex::new(options.outgoing),
            deadline: None,
        };
        let mut store = Store::new(pre.engine(), state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ticks(options.call_timeout));
        let connector = pre
            .instantiate(&mut store)
            .map_err(|e| HostError::Load(format!("cannot instantiate the component: {e:#}")))?;
        Ok(Self {
            store,
            connector,
            stderr,
            call_timeout: options.call_timeout,
            poisoned: false,
            _ticker: ticker,
        })
    }

    /// Runs one export with the deadline set; a trap becomes a host error
    /// and poisons the instance. The transport learns the endpoint `conn`
    /// names, the one destination the caller gave explicitly.
    fn call<R>(
        &mut self,
        conn: &Connection,
        f: impl FnOnce(&Connector, &mut Store<HostState>) -> wasmtime::Result<Result<R, ConnectorError>>,
    ) -> Result<R, CallError> {
        if self.poisoned {
            return Err(HostError::Poisoned.into());
        }
        lock(&self.store.data().outgoing).set_explicit_endpoint(conn.endpoint.as_deref());
        self.store.set_epoch_deadline(deadline_ticks(self.call_timeout));
        let deadline = Instant::now().checked_add(self.call_timeout);
        self.store.data_mut().deadline = deadline;
        lock(&self.store.data().outgoing).set_deadline(deadline);
        match f(&self.connector, &mut self.store) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(error.into()),
            Err(trap) => {
                self.poisoned = true;
                Err(self.trap_error(&trap).into())
            }
        }
    }

    fn trap_error(&self, error: &wasmtime::Error) -> HostError {
        if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return HostError::Timeout(self.call_timeout);
        }
        // The root cause says what happened ("wasm trap: unreachable",
        // "forcing trap when growing memory to N bytes"); the wasm backtrace
        // around it names only function indices.
        HostError::Trap {
            message: error.root_cause().to_string(),
            stderr: String::from_utf8_lossy(&self.stderr.contents()).into_owned(),
        }
    }

    /// List Buckets.
    pub fn list_buckets(&mut self, conn: &Connection) -> Result<Vec<Bucket>, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations().call_list_buckets(s, conn)
        })
    }

    /// List buckets DDL.
    pub fn list_buckets_ddl(&mut self, conn: &Connection) -> Result<Vec<DropdownItem>, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations().call_list_buckets_ddl(s, conn)
        })
    }

    /// List Bucket Objects.
    pub fn list_objects(
        &mut self,
        conn: &Connection,
        input: &ListObjectsInput,
    ) -> Result<ListObjectsOutput, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations().call_list_objects(s, conn, input)
        })
    }

    /// Get Object.
    pub fn get_object(
        &mut self,
        conn: &Connection,
        input: &GetObjectInput,
    ) -> Result<GetObjectOutput, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations().call_get_object(s, conn, input)
        })
    }

    /// Get Object's Signed URL.
    pub fn get_object_signed_url(
        &mut self,
        conn: &Connection,
        input: &SignedUrlInput,
    ) -> Result<SignedUrl, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations()
                .call_get_object_signed_url(s, conn, input)
        })
    }

    /// Get bucket location.
    pub fn get_bucket_location(&mut self, conn: &Connection, bucket_name: &str) -> Result<String, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations()
                .call_get_bucket_location(s, conn, bucket_name)
        })
    }

    /// Head Object.
    pub fn head_object(&mut self, conn: &Connection, input: &ObjectRef) -> Result<ObjectMetadata, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations().call_head_object(s, conn, input)
        })
    }

    /// Put Object (Text).
    pub fn put_object_text(
        &mut self,
        conn: &Connection,
        input: &PutObjectTextInput,
    ) -> Result<PutObjectOutput, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations()
                .call_put_object_text(s, conn, input)
        })
    }

    /// Put Object (File).
    pub fn put_object_file(
        &mut self,
        conn: &Connection,
        input: &PutObjectFileInput,
    ) -> Result<PutObjectOutput, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations()
                .call_put_object_file(s, conn, input)
        })
    }

    /// Put Object ACL.
    pub fn put_object_acl(&mut self, conn: &Connection, input: &PutObjectAclInput) -> Result<(), CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations().call_put_object_acl(s, conn, input)
        })
    }

    /// Delete Object.
    pub fn delete_object(
        &mut self,
        conn: &Connection,
        input: &ObjectRef,
    ) -> Result<DeleteObjectOutput, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations().call_delete_object(s, conn, input)
        })
    }

    /// Delete Multiple Objects.
    pub fn delete_objects(
        &mut self,
        conn: &Connection,
        input: &DeleteObjectsInput,
    ) -> Result<Vec<DeleteResult>, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_operations().call_delete_objects(s, conn, input)
        })
    }

    /// The JSON face: runs `operation` (`list-objects`, ...) with `input`, a
    /// JSON object of its fields; `body` is put-object-file's content.
    pub fn invoke(
        &mut self,
        conn: &Connection,
        operation: &str,
        input: &str,
        body: Option<&[u8]>,
    ) -> Result<InvokeOutput, CallError> {
        self.call(conn, |c, s| {
            c.s3_connector_s3_json()
                .call_invoke(s, conn, operation, input, body)
        })
    }
}

/// A deadline in epoch ticks: at least one.
fn deadline_ticks(timeout: Duration) -> u64 {
    let ticks = timeout.as_millis() / EPOCH_TICK.as_millis().max(1);
    u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_is_never_zero_ticks() {
        assert_eq!(deadline_ticks(Duration::ZERO), 1);
        assert_eq!(deadline_ticks(Duration::from_secs(1)), 100);
    }
}
