//! One instance of the component, and a typed call for each operation.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use wasmtime::component::{ComponentNamedList, InstancePre, Lift, Lower, Resource, ResourceTable};
use wasmtime::{ResourceLimiter, Store, StoreLimits, Trap, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::s3_connector::s3 as wit_host;
use crate::bodies::{BodySink, BodySource, Progress, Sink, Source, SpanReader};
use crate::error::{CallError, ConnectorError, HostError};
use crate::exports::{Export, Exports, Json, Operations, Signature};
use crate::footprint::Footprint;
use crate::outgoing::{Outgoing, UreqOutgoing};
use crate::runtime::{Ticker, EPOCH_TICK};
use crate::sandbox;
use crate::wit::{
    AbortMultipartUploadInput, BodyError, Bucket, Connection, DeleteObjectOutput, DeleteObjectsInput,
    DeleteResult, DigestAlgorithm, DropdownItem, GetObjectInput, GetObjectOutput, InvokeOutput,
    ListMultipartUploadsInput, ListObjectsInput, ListObjectsOutput, MultipartUpload, ObjectMetadata,
    ObjectRef, PlacedRequest, PlacedResponse, PutObjectAclInput, PutObjectFileInput, PutObjectOutput,
    PutObjectStreamInput, PutObjectTextInput, Request, Response, SignedUrl, SignedUrlInput, SpanRequest,
    TransportError,
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

/// The most bytes one `body-source.read` returns, so that the host's
/// memory stays bounded whatever the component asks for.
pub const MAX_SOURCE_READ: u64 = 8 * 1024 * 1024;

/// What the store of an instance holds: the WASI sandbox, the limits and
/// the transport behind `http-outgoing`.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: Limits,
    outgoing: Mutex<Box<dyn Outgoing>>,
    // When the running call must end (`None`: no deadline).
    deadline: Option<Instant>,
    // How long a call may go without a streamed request completing.
    call_timeout: Duration,
    progress: Progress,
    renewal: Renewal,
}

/// When a progress report starts a call's deadline again: after a request
/// was answered, for more bytes than the last report that did.
#[derive(Debug, Default)]
struct Renewal {
    /// Whether a `send` was answered since the last renewal.
    answered: bool,
    /// The bytes the last renewing report gave.
    renewed_at: u64,
}

impl Renewal {
    /// Whether a report of `transferred` bytes renews the deadline (and,
    /// when it does, takes it as the new mark).
    fn renews(&mut self, transferred: u64) -> bool {
        let renews = self.answered && transferred > self.renewed_at;
        if renews {
            *self = Renewal {
                answered: false,
                renewed_at: transferred,
            };
        }
        renews
    }
}

/// The store's limits, and the largest linear memory the component reached.
struct Limits {
    inner: StoreLimits,
    memory_peak: usize,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        if allowed {
            self.memory_peak = self.memory_peak.max(desired);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

impl HostState {
    /// A streamed request completed: the call's deadline starts again, so
    /// that a transfer of any size may take as long as it makes progress.
    fn transfer_made_progress(&mut self) {
        if self.deadline.is_some() {
            self.deadline = Instant::now().checked_add(self.call_timeout);
            lock(&self.outgoing).set_deadline(self.deadline);
        }
    }

    /// The component reports `transferred` done (bytes of a transfer, keys
    /// of a deletion). When a request was answered since the last such
    /// report and the count grew, that is progress too (a part copied or a
    /// page of keys deleted on the server's side, whose bytes never pass
    /// through here): the deadline starts again. A report
    /// alone, with no answered request behind it or no more bytes, does not
    /// move the deadline.
    fn reported_progress(&mut self, transferred: u64) {
        if self.renewal.renews(transferred) {
            self.transfer_made_progress();
        }
    }

    /// A new call starts: its deadline from now, no progress yet.
    fn start_call(&mut self) {
        self.deadline = Instant::now().checked_add(self.call_timeout);
        self.renewal = Renewal::default();
        self.progress.reset(None);
        lock(&self.outgoing).set_deadline(self.deadline);
    }
}

/// Writes into a sink, counting progress.
struct SinkWriter<'a> {
    sink: &'a mut dyn BodySink,
    progress: &'a Progress,
}

impl std::io::Write for SinkWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sink.write_all(buf)?;
        self.progress.add(buf.len() as u64);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn body_error(error: std::io::Error) -> BodyError {
    if error.kind() == std::io::ErrorKind::InvalidInput {
        BodyError::OutOfRange
    } else {
        BodyError::Io(error.to_string())
    }
}

impl wit_host::bodies::HostBodySource for HostState {
    fn size(&mut self, source: Resource<Source>) -> u64 {
        self.table.get(&source).map(|s| s.body().size()).unwrap_or(0)
    }

    fn read(&mut self, source: Resource<Source>, offset: u64, max: u32) -> Result<Vec<u8>, BodyError> {
        let source = self
            .table
            .get_mut(&source)
            .map_err(|e| BodyError::Io(format!("no such body source: {e}")))?;
        // The component reads to hash. One read is bounded by what is left
        // and by MAX_SOURCE_READ, whatever it asks for.
        let left = source.body().size().saturating_sub(offset);
        let want = left.min(u64::from(max)).min(MAX_SOURCE_READ);
        let mut buffer = vec![0u8; usize::try_from(want).unwrap_or(0)];
        let mut filled = 0;
        while filled < buffer.len() {
            match source
                .body()
                .read_at(offset + filled as u64, &mut buffer[filled..])
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) => return Err(body_error(e)),
            }
        }
        buffer.truncate(filled);
        Ok(buffer)
    }

    fn digest(
        &mut self,
        source: Resource<Source>,
        offset: u64,
        length: u64,
        algorithm: DigestAlgorithm,
    ) -> Result<Option<Vec<u8>>, BodyError> {
        let source = self
            .table
            .get(&source)
            .map_err(|e| BodyError::Io(format!("no such body source: {e}")))?;
        source.digest(offset, length, algorithm).map(Some)
    }

    fn drop(&mut self, source: Resource<Source>) -> wasmtime::Result<()> {
        self.table.delete(source)?;
        Ok(())
    }
}

impl wit_host::bodies::HostBodySink for HostState {
    fn written(&mut self, sink: Resource<Sink>) -> u64 {
        self.table.get(&sink).map(|s| s.0.written()).unwrap_or(0)
    }

    fn write(&mut self, sink: Resource<Sink>, bytes: Vec<u8>) -> Result<(), BodyError> {
        let sink = self
            .table
            .get_mut(&sink)
            .map_err(|e| BodyError::Io(format!("no such body sink: {e}")))?;
        sink.0.write_all(&bytes).map_err(body_error)
    }

    fn truncate(&mut self, sink: Resource<Sink>, length: u64) -> Result<(), BodyError> {
        let sink = self
            .table
            .get_mut(&sink)
            .map_err(|e| BodyError::Io(format!("no such body sink: {e}")))?;
        sink.0.truncate(length).map_err(body_error)
    }

    fn drop(&mut self, sink: Resource<Sink>) -> wasmtime::Result<()> {
        self.table.delete(sink)?;
        Ok(())
    }
}

impl wit_host::bodies::Host for HostState {
    fn progress(&mut self, transferred: u64, total: Option<u64>) {
        self.progress.confirm(transferred, total);
        self.reported_progress(transferred);
    }
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
    /// As the transport answers ([`Outgoing::digest`]: natively by default).
    fn digest(&mut self, bytes: Vec<u8>, algorithm: DigestAlgorithm) -> Option<Vec<u8>> {
        lock(&self.outgoing).digest(&bytes, algorithm)
    }

    /// Sends on this thread (a transport may rely on it: a dry run prints
    /// to a stdout its caller may hold locked). The epoch deadline stops the
    /// component only while it runs its own code, not while it waits here,
    /// so the transport is told the deadline, and no request starts after it.
    fn send(&mut self, request: Request) -> Result<Response, TransportError> {
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(TransportError::Timeout);
        }
        let answer = lock(&self.outgoing).send(request);
        self.renewal.answered |= answer.is_ok();
        answer
    }

    fn send_from(
        &mut self,
        request: Request,
        source: Resource<Source>,
        offset: u64,
        length: u64,
    ) -> Result<Response, TransportError> {
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(TransportError::Timeout);
        }
        let progress = self.progress.clone();
        let outgoing = &self.outgoing;
        let source = self
            .table
            .get(&source)
            .map_err(|e| TransportError::Other(format!("no such body source: {e}")))?;
        let mut reader = SpanReader::new(source.body(), offset, length, &progress);
        let sent = lock(outgoing).send_from(request, &mut reader, length);
        if sent.is_ok() {
            self.transfer_made_progress();
        }
        sent
    }

    fn send_from_each(
        &mut self,
        requests: Vec<SpanRequest>,
        source: Resource<Source>,
    ) -> Vec<Result<Response, TransportError>> {
        let refuse = |error: TransportError, n: usize| vec![Err(error); n];
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return refuse(TransportError::Timeout, requests.len());
        }
        let progress = self.progress.clone();
        let outgoing = &self.outgoing;
        let source = match self.table.get(&source) {
            Ok(source) => source,
            Err(e) => {
                return refuse(
                    TransportError::Other(format!("no such body source: {e}")),
                    requests.len(),
                )
            }
        };
        let spans = requests
            .into_iter()
            .map(|span| {
                let reader = SpanReader::new(source.body(), span.offset, span.length, &progress);
                (
                    span.request,
                    Box::new(reader) as Box<dyn std::io::Read + Send + '_>,
                    span.length,
                )
            })
            .collect();
        let sent = lock(outgoing).send_from_each(spans);
        if sent.iter().any(Result::is_ok) {
            self.transfer_made_progress();
        }
        sent
    }

    fn send_into_each(
        &mut self,
        requests: Vec<PlacedRequest>,
        sink: Resource<Sink>,
    ) -> Vec<Result<PlacedResponse, TransportError>> {
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return vec![Err(TransportError::Timeout); requests.len()];
        }
        let progress = self.progress.clone();
        let outgoing = &self.outgoing;
        let sink = match self.table.get(&sink) {
            Ok(sink) => sink,
            Err(e) => {
                return vec![Err(TransportError::Other(format!("no such body sink: {e}"))); requests.len()];
            }
        };
        let place = |offset: u64, bytes: &[u8]| {
            sink.0.write_at(offset, bytes)?;
            progress.add(bytes.len() as u64);
            Ok(())
        };
        let requests = requests
            .into_iter()
            .map(|placed| (placed.request, placed.at))
            .collect();
        let sent: Vec<_> = lock(outgoing)
            .send_into_each(requests, &place)
            .into_iter()
            .map(|answer| answer.map(|(response, received)| PlacedResponse { response, received }))
            .collect();
        if sent.iter().any(Result::is_ok) {
            self.transfer_made_progress();
        }
        sent
    }

    fn send_into(&mut self, request: Request, sink: Resource<Sink>) -> Result<Response, TransportError> {
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(TransportError::Timeout);
        }
        let progress = self.progress.clone();
        let outgoing = &self.outgoing;
        let sink = self
            .table
            .get_mut(&sink)
            .map_err(|e| TransportError::Other(format!("no such body sink: {e}")))?;
        let mut writer = SinkWriter {
            sink: sink.0.as_mut(),
            progress: &progress,
        };
        let sent = lock(outgoing).send_into(request, &mut writer);
        if sent.is_ok() {
            self.transfer_made_progress();
        }
        sent
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
    instance: wasmtime::component::Instance,
    exports: Arc<Exports>,
    stderr: MemoryOutputPipe,
    call_timeout: Duration,
    poisoned: bool,
    // Keeps the epoch advancing for as long as the instance lives.
    _ticker: Arc<Ticker>,
}

impl Instance {
    pub(crate) fn new(
        pre: &InstancePre<HostState>,
        exports: Arc<Exports>,
        ticker: Arc<Ticker>,
        options: InstanceOptions,
    ) -> Result<Self, HostError> {
        let (wasi, stderr) = sandbox::wasi_context(options.now);
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            limits: Limits {
                inner: sandbox::store_limits(options.memory_limit),
                memory_peak: 0,
            },
            outgoing: Mutex::new(options.outgoing),
            deadline: None,
            call_timeout: options.call_timeout,
            progress: Progress::default(),
            renewal: Renewal::default(),
        };
        let mut store = Store::new(pre.engine(), state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ticks(options.call_timeout));
        // The deadline moves on while streamed requests complete (see
        // `transfer_made_progress`): the epoch is then given the time left.
        store.epoch_deadline_callback(|context| {
            let left = context
                .data()
                .deadline
                .and_then(|deadline| deadline.checked_duration_since(Instant::now()))
                .filter(|left| !left.is_zero());
            Ok(match left {
                Some(left) => UpdateDeadline::Continue(deadline_ticks(left)),
                None => UpdateDeadline::Interrupt,
            })
        });
        // Exports are looked up (and typed) when called: see `crate::exports`.
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| HostError::Load(format!("cannot instantiate the component: {e:#}")))?;
        Ok(Self {
            store,
            instance,
            exports,
            stderr,
            call_timeout: options.call_timeout,
            poisoned: false,
            _ticker: ticker,
        })
    }

    /// Runs `export`, typed by its generated accessor `signature`, with the
    /// deadline set; a trap becomes a host error and poisons the instance.
    /// The transport learns the endpoint `conn` names, the one destination
    /// the caller gave explicitly.
    fn call<'a, G, P, T>(
        &mut self,
        conn: &Connection,
        export: Export,
        signature: Signature<'a, G, P, (Result<T, ConnectorError>,)>,
        params: P,
    ) -> Result<T, CallError>
    where
        P: ComponentNamedList + Lower + Footprint,
        (Result<T, ConnectorError>,): ComponentNamedList + Lift,
    {
        if self.poisoned {
            return Err(HostError::Poisoned.into());
        }
        lock(&self.store.data().outgoing).set_explicit_endpoint(conn.endpoint.as_deref());
        self.run_export(export, signature, params)?
            .map_err(CallError::from)
    }

    /// Runs `export`, typed by its generated accessor `signature`, with the
    /// deadline set; a trap becomes a host error and poisons the instance.
    /// Parameters that would copy more than [`MAX_CALL_INPUT`] bytes into
    /// the component are refused first.
    fn run_export<'a, G, P, R>(
        &mut self,
        export: Export,
        signature: Signature<'a, G, P, (R,)>,
        params: P,
    ) -> Result<R, CallError>
    where
        P: ComponentNamedList + Lower + Footprint,
        (R,): ComponentNamedList + Lift,
    {
        if self.poisoned {
            return Err(HostError::Poisoned.into());
        }
        refuse_large_call(params.footprint())?;
        let func = self
            .exports
            .typed(&mut self.store, &self.instance, export, signature)?;
        self.store.set_epoch_deadline(deadline_ticks(self.call_timeout));
        self.store.data_mut().start_call();
        match func.call(&mut self.store, params) {
            Ok((value,)) => Ok(value),
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
        self.call(conn, Export::ListBuckets, Operations::func_list_buckets, (conn,))
    }

    /// List buckets DDL.
    pub fn list_buckets_ddl(&mut self, conn: &Connection) -> Result<Vec<DropdownItem>, CallError> {
        self.call(
            conn,
            Export::ListBucketsDdl,
            Operations::func_list_buckets_ddl,
            (conn,),
        )
    }

    /// List Bucket Objects.
    pub fn list_objects(
        &mut self,
        conn: &Connection,
        input: &ListObjectsInput,
    ) -> Result<ListObjectsOutput, CallError> {
        self.call(
            conn,
            Export::ListObjects,
            Operations::func_list_objects,
            (conn, input),
        )
    }

    /// Get Object.
    pub fn get_object(
        &mut self,
        conn: &Connection,
        input: &GetObjectInput,
    ) -> Result<GetObjectOutput, CallError> {
        self.call(
            conn,
            Export::GetObject,
            Operations::func_get_object,
            (conn, input),
        )
    }

    /// Get Object's Signed URL.
    pub fn get_object_signed_url(
        &mut self,
        conn: &Connection,
        input: &SignedUrlInput,
    ) -> Result<SignedUrl, CallError> {
        self.call(
            conn,
            Export::GetObjectSignedUrl,
            Operations::func_get_object_signed_url,
            (conn, input),
        )
    }

    /// Get bucket location.
    pub fn get_bucket_location(&mut self, conn: &Connection, bucket_name: &str) -> Result<String, CallError> {
        self.call(
            conn,
            Export::GetBucketLocation,
            Operations::func_get_bucket_location,
            (conn, bucket_name),
        )
    }

    /// Head Object.
    pub fn head_object(&mut self, conn: &Connection, input: &ObjectRef) -> Result<ObjectMetadata, CallError> {
        self.call(
            conn,
            Export::HeadObject,
            Operations::func_head_object,
            (conn, input),
        )
    }

    /// Put Object (Text).
    pub fn put_object_text(
        &mut self,
        conn: &Connection,
        input: &PutObjectTextInput,
    ) -> Result<PutObjectOutput, CallError> {
        refuse_large_body("content", input.content.len())?;
        self.call(
            conn,
            Export::PutObjectText,
            Operations::func_put_object_text,
            (conn, input),
        )
    }

    /// Put Object (File).
    pub fn put_object_file(
        &mut self,
        conn: &Connection,
        input: &PutObjectFileInput,
    ) -> Result<PutObjectOutput, CallError> {
        refuse_large_body("content", input.content.len())?;
        self.call(
            conn,
            Export::PutObjectFile,
            Operations::func_put_object_file,
            (conn, input),
        )
    }

    /// Put Object ACL.
    pub fn put_object_acl(&mut self, conn: &Connection, input: &PutObjectAclInput) -> Result<(), CallError> {
        self.call(
            conn,
            Export::PutObjectAcl,
            Operations::func_put_object_acl,
            (conn, input),
        )
    }

    /// Delete Object.
    pub fn delete_object(
        &mut self,
        conn: &Connection,
        input: &ObjectRef,
    ) -> Result<DeleteObjectOutput, CallError> {
        self.call(
            conn,
            Export::DeleteObject,
            Operations::func_delete_object,
            (conn, input),
        )
    }

    /// Delete Multiple Objects.
    pub fn delete_objects(
        &mut self,
        conn: &Connection,
        input: &DeleteObjectsInput,
    ) -> Result<Vec<DeleteResult>, CallError> {
        refuse_long_key_list(input)?;
        self.call(
            conn,
            Export::DeleteObjects,
            Operations::func_delete_objects,
            (conn, input),
        )
    }

    /// Get Object into `sink`, of any size; see the WIT `get-object-to`.
    pub fn get_object_to(
        &mut self,
        conn: &Connection,
        input: &GetObjectInput,
        sink: Box<dyn BodySink>,
    ) -> Result<ObjectMetadata, CallError> {
        let sink = self.push(Sink(sink))?;
        let borrowed = Resource::<Sink>::new_borrow(sink.rep());
        let result = self.call(
            conn,
            Export::GetObjectTo,
            Operations::func_get_object_to,
            (conn, input, borrowed),
        );
        self.forget(sink);
        result
    }

    /// Put Object from `source`, of any size; see the WIT `put-object-stream`.
    pub fn put_object_stream(
        &mut self,
        conn: &Connection,
        input: &PutObjectStreamInput,
        source: Box<dyn BodySource>,
    ) -> Result<PutObjectOutput, CallError> {
        let source = self.push(Source::new(source))?;
        let borrowed = Resource::<Source>::new_borrow(source.rep());
        let result = self.call(
            conn,
            Export::PutObjectStream,
            Operations::func_put_object_stream,
            (conn, input, borrowed),
        );
        self.forget(source);
        result
    }

    /// List Multipart Uploads.
    pub fn list_multipart_uploads(
        &mut self,
        conn: &Connection,
        input: &ListMultipartUploadsInput,
    ) -> Result<Vec<MultipartUpload>, CallError> {
        self.call(
            conn,
            Export::ListMultipartUploads,
            Operations::func_list_multipart_uploads,
            (conn, input),
        )
    }

    /// Abort Multipart Upload.
    pub fn abort_multipart_upload(
        &mut self,
        conn: &Connection,
        input: &AbortMultipartUploadInput,
    ) -> Result<(), CallError> {
        self.call(
            conn,
            Export::AbortMultipartUpload,
            Operations::func_abort_multipart_upload,
            (conn, input),
        )
    }

    /// The JSON face with host-held bodies: `put-object-file` reads its
    /// content from `source`, `get-object` writes the object into `sink`.
    pub fn invoke_streamed(
        &mut self,
        conn: &Connection,
        operation: &str,
        input: &str,
        source: Option<Box<dyn BodySource>>,
        sink: Option<Box<dyn BodySink>>,
    ) -> Result<InvokeOutput, CallError> {
        refuse_large_input(input.len())?;
        let source = source.map(|source| self.push(Source::new(source))).transpose()?;
        let sink = match sink.map(|sink| self.push(Sink(sink))).transpose() {
            Ok(sink) => sink,
            Err(error) => {
                if let Some(source) = source {
                    self.forget(source);
                }
                return Err(error);
            }
        };
        let source_borrow = source.as_ref().map(|r| Resource::<Source>::new_borrow(r.rep()));
        let sink_borrow = sink.as_ref().map(|r| Resource::<Sink>::new_borrow(r.rep()));
        let result = self.call(
            conn,
            Export::InvokeStreamed,
            Json::func_invoke_streamed,
            (conn, operation, input, source_borrow, sink_borrow),
        );
        if let Some(source) = source {
            self.forget(source);
        }
        if let Some(sink) = sink {
            self.forget(sink);
        }
        result
    }

    /// The largest linear memory the component has had, in bytes.
    pub fn memory_peak(&self) -> usize {
        self.store.data().limits.memory_peak
    }

    /// Bytes moved by streamed requests of the running (or last) call (keys,
    /// for a deletion of many keys); a clone can be read from another thread
    /// while the call runs.
    pub fn progress(&self) -> Progress {
        self.store.data().progress.clone()
    }

    /// Puts a host-held body in the instance's table for one call.
    fn push<T: Send + 'static>(&mut self, value: T) -> Result<Resource<T>, CallError> {
        self.store
            .data_mut()
            .table
            .push(value)
            .map_err(|e| HostError::BadAnswer(format!("cannot hand a body to the component: {e}")).into())
    }

    /// Takes a host-held body out of the table after its call.
    fn forget<T: 'static>(&mut self, resource: Resource<T>) {
        let _ = self.store.data_mut().table.delete(resource);
    }

    /// The operations the component declares in its WIT (`operation-name`),
    /// by the names `invoke` takes.
    pub fn operations(&mut self) -> Result<Vec<String>, CallError> {
        let names = self.run_export(Export::Operations, Json::func_operations, ())?;
        // Its `Debug` says `OperationName::ListObjects`.
        Ok(names
            .iter()
            .map(|name| {
                let debug = format!("{name:?}");
                kebab(debug.rsplit("::").next().unwrap_or(&debug))
            })
            .collect())
    }

    /// The manifest (JSON): every operation's name, description, input and
    /// output schemas, IAM permissions, idempotence and example.
    pub fn describe(&mut self) -> Result<String, CallError> {
        self.run_export(Export::Describe, Json::func_describe, ())
    }

    /// The least-privilege IAM policy (JSON) for `operations` (all when
    /// empty) on `bucket` (every bucket when `None`).
    pub fn policy(&mut self, operations: &[String], bucket: Option<&str>) -> Result<String, CallError> {
        self.run_export(Export::Policy, Json::func_policy, (operations, bucket))?
            .map_err(CallError::from)
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
        refuse_large_input(input.len())?;
        refuse_large_body("content", body.map_or(0, <[u8]>::len))?;
        self.call(
            conn,
            Export::Invoke,
            Json::func_invoke,
            (conn, operation, input, body),
        )
    }
}

/// `ListObjects` as `list-objects`: a WIT case's name from its Rust one.
fn kebab(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (index, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The largest body a call takes in memory; the component refuses larger
/// ones too, but copying one into it first could exhaust its memory, so
/// the host refuses it before the call. Larger objects go through a
/// [`BodySource`] ([`Instance::put_object_stream`], [`Instance::invoke_streamed`]).
pub const MAX_IN_MEMORY_BODY: usize = s3_connector::ops::put_object::MAX_IN_MEMORY_BODY;

fn refuse_large_body(field: &str, len: usize) -> Result<(), CallError> {
    refuse_over(
        field,
        len,
        MAX_IN_MEMORY_BODY,
        s3_connector::ops::put_object::over_memory,
    )
}

/// Refuses `len` bytes of `field` over `max`, with the message `over` makes
/// of `len`, before the call.
fn refuse_over(
    field: &str,
    len: usize,
    max: usize,
    over: impl FnOnce(usize) -> String,
) -> Result<(), CallError> {
    if len <= max {
        Ok(())
    } else {
        Err(invalid_input(field, over(len)))
    }
}

/// The longest JSON input a call of the JSON face takes, in bytes: one and
/// a half times [`MAX_IN_MEMORY_BODY`], so that the largest body given in
/// an input (`put-object-text`'s `content`) fits with its escapes, up to a
/// third of it line breaks (two bytes of JSON each; most other control
/// characters are six). The component holds the text and the values read
/// from it at once, and those can take twice the text (a short string is
/// held in a block of the next power of two), so a longer text could
/// exhaust its memory (the default limit, [`DEFAULT_MEMORY_LIMIT`], holds
/// the largest taken with room to spare); the host refuses it before the
/// call, as it does a body.
pub const MAX_INPUT_TEXT: usize = MAX_IN_MEMORY_BODY / 2 * 3;

fn refuse_large_input(len: usize) -> Result<(), CallError> {
    refuse_over("input", len, MAX_INPUT_TEXT, |len| {
        format!(
            "is {len} bytes of JSON, over the {MAX_INPUT_TEXT} bytes a call's input takes in memory; \
             send an object's bytes from a body source instead (put-object-stream, invoke-streamed, \
             the CLI's --file), which takes objects of any size"
        )
    })
}

/// The most a call copies into the component, in bytes, counted by
/// [`Footprint`]: the longest JSON input beside the largest body, and a MiB
/// for the rest. Larger parameters could exhaust the component's memory on
/// the way in (copied before it could refuse them, which traps it and
/// poisons the instance); each field's own limit is far below (an object
/// key 1024 bytes, metadata 2 KB), and the component refuses those itself.
pub const MAX_CALL_INPUT: usize = MAX_INPUT_TEXT + MAX_IN_MEMORY_BODY + (1 << 20);

fn refuse_large_call(bytes: usize) -> Result<(), CallError> {
    refuse_over("input", bytes, MAX_CALL_INPUT, |bytes| {
        format!(
            "copies {bytes} bytes of text and lists into the component, over the {MAX_CALL_INPUT} \
             bytes a call takes in memory"
        )
    })
}

/// Refuses a list of keys to delete longer than one call takes (the
/// component's limits, `s3_connector::ops::delete_objects::MAX_KEYS` and
/// `MAX_KEY_BYTES`, counted as the component counts them) before it is
/// copied into the component, whose memory a list of millions of keys could
/// exhaust on the way in.
fn refuse_long_key_list(input: &DeleteObjectsInput) -> Result<(), CallError> {
    use s3_connector::ops::delete_objects::{key_bytes, over_limits};
    let bytes = key_bytes(
        input
            .object_keys
            .iter()
            .map(|o| (o.key.as_str(), o.version_id.as_deref())),
    );
    match over_limits(input.object_keys.len(), bytes) {
        None => Ok(()),
        Some(message) => Err(invalid_input("object_keys", message)),
    }
}

/// The component's `invalid-input` error for `field`, raised by the host
/// before a call.
pub(crate) fn invalid_input(field: &str, message: impl Into<String>) -> CallError {
    ConnectorError::InvalidInput(crate::wit::InvalidInput {
        field: field.to_owned(),
        message: message.into(),
    })
    .into()
}

/// A deadline in epoch ticks: at least one.
pub(crate) fn deadline_ticks(timeout: Duration) -> u64 {
    let ticks = timeout.as_millis() / EPOCH_TICK.as_millis().max(1);
    u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_renews_the_deadline_only_after_an_answer_and_for_more_bytes() {
        let mut renewal = Renewal::default();
        assert!(!renewal.renews(10), "no request answered yet");
        renewal.answered = true;
        assert!(renewal.renews(10));
        assert!(!renewal.renews(20), "the answer was used");
        renewal.answered = true;
        assert!(!renewal.renews(10), "no more bytes than before");
        assert!(!renewal.renews(0));
        assert!(renewal.renews(11));
    }

    #[test]
    fn deadline_is_never_zero_ticks() {
        assert_eq!(deadline_ticks(Duration::ZERO), 1);
        assert_eq!(deadline_ticks(Duration::from_secs(1)), 100);
    }

    /// An export's type is checked once per runtime (see `crate::exports`):
    /// what is remembered is the Rust types it matched, so other types for
    /// the same export are still checked, and refused, on any instance.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn an_export_checked_once_still_refuses_other_types() {
        let runtime = crate::Runtime::load(&crate::cli::default_wasm_path()).unwrap();
        for _ in 0..2 {
            let mut instance = runtime.instance(InstanceOptions::default()).unwrap();
            let exports = Arc::clone(&instance.exports);
            let mut typed = |signature| {
                exports
                    .typed(
                        &mut instance.store,
                        &instance.instance,
                        Export::HeadObject,
                        signature,
                    )
                    .map(drop)
            };
            // The first time checked, then remembered.
            typed(Operations::func_head_object).unwrap();
            typed(Operations::func_head_object).unwrap();
            let other = exports
                .typed(
                    &mut instance.store,
                    &instance.instance,
                    Export::HeadObject,
                    Operations::func_delete_object,
                )
                .map(drop)
                .unwrap_err();
            assert!(other.to_string().contains("does not match this host"), "{other}");
        }
    }
}
