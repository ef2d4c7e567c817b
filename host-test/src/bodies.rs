//! Bodies held by the host: the source of an upload and the sink of a
//! download (the WIT `body-source` and `body-sink` resources).
//!
//! Their bytes go between these and the network in the host, a chunk at a
//! time: an object of any size costs the component nothing and the host
//! one buffer. On the CLI a source is the file given with `--file`
//! ([`FileSource`]), and a sink is a temporary file beside `--output`
//! ([`FileSink`]) that becomes the output file only when the whole object
//! arrived ([`FileSink::commit`]), so a failed download never leaves a file
//! that looks complete.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The bytes of an upload: random access, fixed size, and readable from
/// several threads at once (the parts of an upload go in parallel).
pub trait BodySource: Send + Sync {
    /// The size in bytes.
    fn size(&self) -> u64;
    /// Reads into `buf` from `offset`; returns how many bytes were read,
    /// 0 only at the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize>;
}

/// Where a download goes: append, write in place (ranges arriving in
/// parallel, from several threads), and cut back.
pub trait BodySink: Send + Sync {
    /// Its length: one past the furthest byte written.
    fn written(&self) -> u64;
    /// Appends `bytes`.
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Writes `bytes` from `offset`, growing the sink when needed.
    fn write_at(&self, offset: u64, bytes: &[u8]) -> std::io::Result<()>;
    /// Drops the bytes past `length`.
    fn truncate(&mut self, length: u64) -> std::io::Result<()>;
}

/// The host type behind the WIT `body-source`: the body, and the digests
/// of the spans after the last one asked for, computed ahead.
pub struct Source {
    body: Arc<dyn BodySource>,
    ahead: DigestsAhead,
}

impl Source {
    /// The resource for `body`.
    pub fn new(body: Box<dyn BodySource>) -> Self {
        let body: Arc<dyn BodySource> = Arc::from(body);
        Self {
            ahead: DigestsAhead::new(Arc::clone(&body)),
            body,
        }
    }

    /// The body.
    pub fn body(&self) -> &dyn BodySource {
        self.body.as_ref()
    }

    /// The digest of `length` bytes from `offset`, as [`digest`] computes
    /// it; see [`DigestsAhead`].
    pub fn digest(
        &self,
        offset: u64,
        length: u64,
        algorithm: crate::wit::DigestAlgorithm,
    ) -> Result<Vec<u8>, crate::wit::BodyError> {
        self.ahead.digest(offset, length, algorithm)
    }
}

/// How many spans after the one asked for are hashed ahead.
const DIGESTS_AHEAD: u64 = 8;

/// One span's digest: offset, length and algorithm (0 SHA-256, 1 MD5).
type Span = (u64, u64, u8);

/// Digests of a source's spans computed ahead, in a background thread.
///
/// An upload whose payload is signed asks the host for the SHA-256 of each
/// part before it sends the part, one part after the other, while the
/// parts themselves go in parallel: hashing would otherwise stop the
/// transfer for a whole window of parts at a time. When the digest of a
/// span is asked for, the next [`DIGESTS_AHEAD`] spans of the same length
/// are queued, and one thread hashes them while the parts before them are
/// sent; the component finds them done. Only digests (a few bytes each)
/// are kept, and no more than the spans queued; a span never asked for
/// (the upload failed, or resumed elsewhere) costs only its hashing.
struct DigestsAhead {
    body: Arc<dyn BodySource>,
    shared: Arc<(std::sync::Mutex<Ahead>, std::sync::Condvar)>,
}

/// What the thread hashing ahead and the callers share.
#[derive(Default)]
struct Ahead {
    queued: std::collections::VecDeque<Span>,
    running: Option<Span>,
    done: std::collections::HashMap<Span, Result<Vec<u8>, crate::wit::BodyError>>,
    worker: bool,
    stopped: bool,
}

fn algorithm_code(algorithm: crate::wit::DigestAlgorithm) -> u8 {
    match algorithm {
        crate::wit::DigestAlgorithm::Sha256 => 0,
        crate::wit::DigestAlgorithm::Md5 => 1,
    }
}

fn algorithm_of(code: u8) -> crate::wit::DigestAlgorithm {
    if code == 0 {
        crate::wit::DigestAlgorithm::Sha256
    } else {
        crate::wit::DigestAlgorithm::Md5
    }
}

impl DigestsAhead {
    fn new(body: Arc<dyn BodySource>) -> Self {
        Self {
            body,
            shared: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ahead> {
        self.shared
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The digest of the span: hashed ahead, being hashed (then awaited),
    /// or computed now; then the spans after it are queued.
    fn digest(
        &self,
        offset: u64,
        length: u64,
        algorithm: crate::wit::DigestAlgorithm,
    ) -> Result<Vec<u8>, crate::wit::BodyError> {
        let span = (offset, length, algorithm_code(algorithm));
        let mut state = self.lock();
        let ahead = loop {
            if let Some(result) = state.done.remove(&span) {
                break Some(result);
            }
            if state.running != Some(span) && !state.queued.contains(&span) {
                break None;
            }
            state = self
                .shared
                .1
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        };
        // Digests of spans before this one will not be asked for.
        state.done.retain(|(at, _, _), _| *at > offset);
        state.queued.retain(|(at, _, _)| *at > offset);
        drop(state);
        let result = match ahead {
            Some(result) => result,
            None => digest(self.body.as_ref(), offset, length, algorithm),
        };
        if result.is_ok() && length > 0 {
            self.queue_after(span);
        }
        result
    }

    /// Queues the spans of `length` after `span`, and starts the thread.
    fn queue_after(&self, (offset, length, code): Span) {
        let size = self.body.size();
        let mut state = self.lock();
        for k in 1..=DIGESTS_AHEAD {
            let Some(start) = length.checked_mul(k).and_then(|step| offset.checked_add(step)) else {
                break;
            };
            if start >= size {
                break;
            }
            let next = (start, length.min(size - start), code);
            if state.running != Some(next) && !state.queued.contains(&next) && !state.done.contains_key(&next)
            {
                state.queued.push_back(next);
            }
        }
        if state.worker || state.queued.is_empty() {
            return;
        }
        let body = Arc::clone(&self.body);
        let shared = Arc::clone(&self.shared);
        let started = std::thread::Builder::new()
            .name("digests-ahead".to_owned())
            .spawn(move || hash_queued(body.as_ref(), &shared));
        state.worker = started.is_ok();
        if !state.worker {
            // No thread: the spans are hashed when asked for.
            state.queued.clear();
        }
    }
}

/// The background thread: hashes the queued spans until none is left.
fn hash_queued(body: &dyn BodySource, shared: &(std::sync::Mutex<Ahead>, std::sync::Condvar)) {
    /// Whatever way the thread ends, no caller waits for it any more.
    struct Ended<'a>(&'a (std::sync::Mutex<Ahead>, std::sync::Condvar));
    impl Drop for Ended<'_> {
        fn drop(&mut self) {
            let mut state = self
                .0
                 .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.queued.clear();
            state.running = None;
            state.worker = false;
            self.0 .1.notify_all();
        }
    }
    let _ended = Ended(shared);
    let lock = || shared.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let span = {
            let mut state = lock();
            match state.queued.pop_front() {
                Some(span) if !state.stopped => {
                    state.running = Some(span);
                    span
                }
                _ => return,
            }
        };
        let (offset, length, code) = span;
        let result = digest(body, offset, length, algorithm_of(code));
        let mut state = lock();
        state.running = None;
        state.done.insert(span, result);
        shared.1.notify_all();
    }
}

impl Drop for DigestsAhead {
    fn drop(&mut self) {
        self.lock().stopped = true;
    }
}

/// The host type behind the WIT `body-sink`.
pub struct Sink(pub Box<dyn BodySink>);

/// A file, read in place.
pub struct FileSource {
    file: File,
    size: u64,
}

impl FileSource {
    /// Opens `path`; its size is taken now and must not change during the call.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(Self {
            file,
            size: metadata.len(),
        })
    }
}

impl BodySource for FileSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        if offset >= self.size {
            return Ok(0);
        }
        // A file that grew since it was opened is read as it was.
        let left = usize::try_from(self.size - offset).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        positional_read(&self.file, &mut buf[..want], offset)
    }
}

/// Reads at `offset` without moving a shared cursor, so that threads can
/// read one file at once.
#[cfg(unix)]
fn positional_read(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

/// Reads at `offset` (Windows moves the cursor, which no reader relies on).
#[cfg(windows)]
fn positional_read(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// Bytes in memory (tests, and platforms that hold small blobs).
pub struct BytesSource(pub Vec<u8>);

impl BodySource for BytesSource {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(self.0.len());
        let chunk = &self.0[start..];
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        Ok(n)
    }
}

/// Bytes in memory, shared so that the caller can read them afterwards.
#[derive(Clone, Default)]
pub struct SharedBytesSink(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBytesSink {
    /// The bytes held.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl BodySink for SharedBytesSink {
    fn written(&self) -> u64 {
        self.0.lock().map(|b| b.len() as u64).unwrap_or(0)
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(())
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        let mut held = self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?;
        let start = usize::try_from(offset).map_err(std::io::Error::other)?;
        let end = start + bytes.len();
        if held.len() < end {
            held.resize(end, 0);
        }
        held[start..end].copy_from_slice(bytes);
        Ok(())
    }

    fn truncate(&mut self, length: u64) -> std::io::Result<()> {
        let mut bytes = self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?;
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        if length > bytes.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "truncation past the end",
            ));
        }
        bytes.truncate(length);
        Ok(())
    }
}

/// A temporary file beside the destination, renamed onto it by
/// [`FileSink::commit`] and removed when dropped uncommitted.
pub struct FileSink {
    file: File,
    temporary: PathBuf,
    destination: PathBuf,
    // One past the furthest byte written; writes in place may come from
    // several threads.
    written: AtomicU64,
    committed: bool,
    // The first write that failed: the call fails on it, and the caller
    // reports it as the file's error rather than the transfer's.
    failure: std::sync::OnceLock<std::io::Error>,
    // Flushes what was written to disk while the download goes on; `None`
    // when the download need not be durable before it is renamed.
    flusher: Option<Flusher>,
}

/// How many bytes a download writes between two flushes to disk.
const FLUSH_EVERY: u64 = 64 * 1024 * 1024;

/// Flushes a sink's file to disk in the background every [`FLUSH_EVERY`]
/// bytes written, so that the flush that makes a download durable before
/// it is renamed into place (`commit`) finds little left to write: the disk
/// works while the network does, rather than after it.
struct Flusher {
    unflushed: AtomicU64,
    running: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Flusher {
    fn new() -> Self {
        Self {
            unflushed: AtomicU64::new(0),
            running: std::sync::Mutex::new(None),
        }
    }

    /// Counts `bytes` written to `file`, and starts a flush when enough
    /// are waiting and none is running.
    fn wrote(&self, file: &File, bytes: u64) {
        if self.unflushed.fetch_add(bytes, Ordering::SeqCst) + bytes < FLUSH_EVERY {
            return;
        }
        let Ok(mut running) = self.running.try_lock() else {
            return;
        };
        if running.as_ref().is_some_and(|flush| !flush.is_finished()) {
            return;
        }
        let Ok(clone) = file.try_clone() else {
            return;
        };
        self.unflushed.store(0, Ordering::SeqCst);
        // A flush that fails is only early work lost: `commit` flushes all.
        *running = std::thread::Builder::new()
            .name("sink-flush".to_owned())
            .spawn(move || {
                let _ = clone.sync_data();
            })
            .ok();
    }

    /// Waits for a flush under way.
    fn finish(&self) {
        let flush = self.running.lock().ok().and_then(|mut running| running.take());
        if let Some(flush) = flush {
            let _ = flush.join();
        }
    }
}

impl FileSink {
    /// A new, empty temporary file beside `destination` (same directory, so
    /// that the rename is atomic), named `.NAME.partial-PID-N`. With
    /// `durable`, what is written is flushed to disk (in the background as
    /// it arrives, and all of it before the rename), so that the file
    /// cannot be found empty or partial under its final name after the
    /// machine stops; without it the rename is as atomic but the bytes may
    /// still be in the page cache, as with aws-cli, boto3 and curl.
    pub fn create(destination: &Path, durable: bool) -> std::io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = destination.file_name().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "the output path names no file")
        })?;
        let dir = destination.parent().filter(|d| !d.as_os_str().is_empty());
        let temporary_name = format!(
            ".{}.partial-{}-{}",
            name.to_string_lossy(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let temporary = match dir {
            Some(dir) => dir.join(temporary_name),
            None => PathBuf::from(temporary_name),
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        Ok(Self {
            file,
            temporary,
            destination: destination.to_path_buf(),
            written: AtomicU64::new(0),
            committed: false,
            failure: std::sync::OnceLock::new(),
            flusher: durable.then(Flusher::new),
        })
    }

    /// The first write to the temporary file that failed, if any.
    pub fn failure(&self) -> Option<std::io::Error> {
        self.failure.get().map(copy_error)
    }

    /// The destination the sink is renamed onto.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Keeps the first failed write's error, and returns it.
    fn note(&self, result: std::io::Result<()>) -> std::io::Result<()> {
        if let Err(error) = &result {
            let _ = self.failure.set(copy_error(error));
        }
        result
    }

    /// Renames the temporary file onto the destination, once its length is
    /// `expected` (flushed to disk first). Any other length is an error and
    /// the destination is left alone.
    pub fn commit(mut self, expected: u64) -> std::io::Result<PathBuf> {
        let written = self.written.load(Ordering::SeqCst);
        if written != expected {
            return Err(std::io::Error::other(format!(
                "the download holds {written} bytes, not the {expected} announced; {} was not written",
                self.destination.display()
            )));
        }
        if let Some(flusher) = &self.flusher {
            flusher.finish();
            self.file.sync_all()?;
        }
        std::fs::rename(&self.temporary, &self.destination)?;
        self.committed = true;
        Ok(self.destination.clone())
    }

    /// Where the bytes go until committed.
    pub fn temporary_path(&self) -> &Path {
        &self.temporary
    }
}

impl BodySink for FileSink {
    fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let end = self.written() + bytes.len() as u64;
        let result = self.file.write_all(bytes);
        self.note(result)?;
        self.written.fetch_max(end, Ordering::SeqCst);
        if let Some(flusher) = &self.flusher {
            flusher.wrote(&self.file, bytes.len() as u64);
        }
        Ok(())
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        self.note(positional_write(&self.file, bytes, offset))?;
        if let Some(flusher) = &self.flusher {
            flusher.wrote(&self.file, bytes.len() as u64);
        }
        self.written
            .fetch_max(offset + bytes.len() as u64, Ordering::SeqCst);
        Ok(())
    }

    fn truncate(&mut self, length: u64) -> std::io::Result<()> {
        if length > self.written() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "truncation past the end",
            ));
        }
        self.file.set_len(length)?;
        self.file.seek(SeekFrom::Start(length))?;
        self.written.store(length, Ordering::SeqCst);
        Ok(())
    }
}

/// A copy of `error` (`io::Error` is not `Clone`): the same OS error, or the
/// same kind and message.
fn copy_error(error: &std::io::Error) -> std::io::Error {
    match error.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(error.kind(), error.to_string()),
    }
}

/// Writes all of `bytes` at `offset` without moving a shared cursor.
#[cfg(unix)]
fn positional_write(file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

/// Writes all of `bytes` at `offset`.
#[cfg(windows)]
fn positional_write(file: &File, mut bytes: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, bytes, offset)?;
        bytes = &bytes[n..];
        offset += n as u64;
    }
    Ok(())
}

impl Drop for FileSink {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// A shared [`FileSink`], so that the caller can commit it after the call
/// that wrote it (the component's handle to it is gone by then). Writes in
/// place take the lock shared, so that the ranges of a download arriving
/// in parallel are written at the same time; appending, cutting back and
/// committing take it alone.
pub struct SharedFileSink(pub Arc<std::sync::RwLock<Option<FileSink>>>);

impl SharedFileSink {
    /// Shares `sink`; the second value is the caller's handle.
    pub fn new(sink: FileSink) -> (Self, Arc<std::sync::RwLock<Option<FileSink>>>) {
        let shared = Arc::new(std::sync::RwLock::new(Some(sink)));
        (Self(Arc::clone(&shared)), shared)
    }

    fn with<R>(&self, f: impl FnOnce(&FileSink) -> std::io::Result<R>) -> std::io::Result<R> {
        let guard = self.0.read().map_err(|_| std::io::Error::other("poisoned"))?;
        match guard.as_ref() {
            Some(sink) => f(sink),
            None => Err(std::io::Error::other("the sink was already committed")),
        }
    }

    fn with_mut<R>(&self, f: impl FnOnce(&mut FileSink) -> std::io::Result<R>) -> std::io::Result<R> {
        let mut guard = self.0.write().map_err(|_| std::io::Error::other("poisoned"))?;
        match guard.as_mut() {
            Some(sink) => f(sink),
            None => Err(std::io::Error::other("the sink was already committed")),
        }
    }
}

impl BodySink for SharedFileSink {
    fn written(&self) -> u64 {
        self.with(|sink| Ok(sink.written())).unwrap_or(0)
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.with_mut(|sink| BodySink::write_all(sink, bytes))
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        self.with(|sink| sink.write_at(offset, bytes))
    }

    fn truncate(&mut self, length: u64) -> std::io::Result<()> {
        self.with_mut(|sink| sink.truncate(length))
    }
}

/// The digest of `length` bytes of `source` from `offset`, computed
/// natively: what `body-source.digest` answers.
pub fn digest(
    source: &dyn BodySource,
    offset: u64,
    length: u64,
    algorithm: crate::wit::DigestAlgorithm,
) -> Result<Vec<u8>, crate::wit::BodyError> {
    use crate::wit::{BodyError, DigestAlgorithm};
    use md5::Digest as _;
    let mut sha = sha2::Sha256::new();
    let mut md5 = md5::Md5::new();
    let mut buffer = vec![0u8; 1024 * 1024];
    let mut at = offset;
    let end = offset.checked_add(length).ok_or(BodyError::OutOfRange)?;
    while at < end {
        let want = usize::try_from((end - at).min(buffer.len() as u64)).unwrap_or(buffer.len());
        let n = source
            .read_at(at, &mut buffer[..want])
            .map_err(|e| BodyError::Io(e.to_string()))?;
        if n == 0 {
            return Err(BodyError::OutOfRange);
        }
        match algorithm {
            DigestAlgorithm::Sha256 => sha.update(&buffer[..n]),
            DigestAlgorithm::Md5 => md5.update(&buffer[..n]),
        }
        at += n as u64;
    }
    Ok(match algorithm {
        DigestAlgorithm::Sha256 => sha.finalize().to_vec(),
        DigestAlgorithm::Md5 => md5.finalize().to_vec(),
    })
}

/// The digest of `bytes`, computed natively: what `http-outgoing.digest`
/// answers.
pub fn digest_bytes(bytes: &[u8], algorithm: crate::wit::DigestAlgorithm) -> Vec<u8> {
    use md5::Digest as _;
    match algorithm {
        crate::wit::DigestAlgorithm::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
        crate::wit::DigestAlgorithm::Md5 => md5::Md5::digest(bytes).to_vec(),
    }
}

/// Bytes moved by the running call's streamed requests, for a progress bar
/// (for a deletion of many keys, the keys the component reports dealt with;
/// see `bodies.progress` in the WIT).
#[derive(Clone, Debug, Default)]
pub struct Progress {
    moved: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
}

impl Progress {
    /// Bytes moved so far.
    pub fn moved(&self) -> u64 {
        self.moved.load(Ordering::Relaxed)
    }

    /// The total, when known (0: not known).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Counts `n` more bytes moved.
    pub fn add(&self, n: u64) {
        self.moved.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets what the component confirmed: `moved` of `total` (bytes, or keys
    /// of a deletion).
    pub fn confirm(&self, moved: u64, total: Option<u64>) {
        self.moved.store(moved, Ordering::Relaxed);
        if let Some(total) = total {
            self.total.store(total, Ordering::Relaxed);
        }
    }

    /// Starts again from nothing.
    pub fn reset(&self, total: Option<u64>) {
        self.confirm(0, total.or(Some(0)));
    }
}

/// Reads `length` bytes of a source from `offset`, for an HTTP body.
pub(crate) struct SpanReader<'a> {
    source: &'a dyn BodySource,
    offset: u64,
    left: u64,
    progress: &'a Progress,
}

impl<'a> SpanReader<'a> {
    pub(crate) fn new(source: &'a dyn BodySource, offset: u64, length: u64, progress: &'a Progress) -> Self {
        Self {
            source,
            offset,
            left: length,
            progress,
        }
    }
}

impl Read for SpanReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.source.read_at(self.offset, &mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the upload's source ended {} bytes early", self.left),
            ));
        }
        self.offset += n as u64;
        self.left -= n as u64;
        self.progress.add(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn file_source_reads_at_any_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let source = FileSource::open(&path).unwrap();
        assert_eq!(source.size(), 10);
        let mut buf = [0u8; 4];
        assert_eq!(source.read_at(8, &mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"89");
        assert_eq!(source.read_at(10, &mut buf).unwrap(), 0);
        assert!(
            FileSource::open(dir.path()).is_err(),
            "a directory is not a source"
        );
    }

    #[test]
    fn file_sink_is_renamed_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        let mut sink = FileSink::create(&out, true).unwrap();
        let temporary = sink.temporary_path().to_path_buf();
        BodySink::write_all(&mut sink, b"hello world").unwrap();
        sink.truncate(5).unwrap();
        assert!(sink.truncate(6).is_err());
        assert!(!out.exists());
        let sink = {
            let error = FileSink::create(&out, true).unwrap().commit(3).unwrap_err();
            assert!(error.to_string().contains("not the 3 announced"), "{error}");
            sink
        };
        sink.commit(5).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"hello");
        assert!(!temporary.exists());
    }

    #[test]
    fn a_sink_that_need_not_be_durable_commits_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        let sink = FileSink::create(&out, false).unwrap();
        assert!(sink.flusher.is_none());
        let chunk = vec![7u8; 1024 * 1024];
        for index in 0..70u64 {
            sink.write_at(index * chunk.len() as u64, &chunk).unwrap();
        }
        sink.commit(70 * chunk.len() as u64).unwrap();
        assert_eq!(std::fs::metadata(&out).unwrap().len(), 70 * 1024 * 1024);
        assert!(FileSink::create(&out, true).unwrap().flusher.is_some());
    }

    #[test]
    fn digests_hashed_ahead_are_the_spans_digests() {
        use crate::wit::DigestAlgorithm;
        let bytes: Vec<u8> = (0..10 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
        let reference = BytesSource(bytes.clone());
        let source = Source::new(Box::new(BytesSource(bytes)));
        let span = 1024 * 1024;
        // In order (the thread hashes ahead), then out of order (a resumed
        // upload), then a span asked for twice, and the other algorithm.
        let offsets = (0..11).chain([7, 3, 3]).map(|k| k * span);
        for offset in offsets {
            let length = span.min(reference.size() - offset);
            for algorithm in [DigestAlgorithm::Sha256, DigestAlgorithm::Md5] {
                assert_eq!(
                    source.digest(offset, length, algorithm).unwrap(),
                    digest(&reference, offset, length, algorithm).unwrap(),
                    "span at {offset}"
                );
            }
        }
        assert!(source
            .digest(reference.size(), 1, DigestAlgorithm::Sha256)
            .is_err());
    }

    #[test]
    fn digests_of_bytes_are_the_published_ones_and_a_sources() {
        use crate::wit::DigestAlgorithm;
        let hex = |bytes: Vec<u8>| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        // FIPS 180-2's and RFC 1321's vectors for "abc".
        assert_eq!(
            hex(digest_bytes(b"abc", DigestAlgorithm::Sha256)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(digest_bytes(b"abc", DigestAlgorithm::Md5)),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        let bytes: Vec<u8> = (0..100_000).map(|i| (i % 251) as u8).collect();
        for algorithm in [DigestAlgorithm::Sha256, DigestAlgorithm::Md5] {
            assert_eq!(
                digest_bytes(&bytes, algorithm),
                digest(&BytesSource(bytes.clone()), 0, bytes.len() as u64, algorithm).unwrap()
            );
        }
    }

    #[test]
    fn an_uncommitted_sink_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        let mut sink = FileSink::create(&out, true).unwrap();
        BodySink::write_all(&mut sink, b"partial").unwrap();
        drop(sink);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn span_reader_stops_at_the_span_and_refuses_a_short_source() {
        let source = BytesSource(b"abcdef".to_vec());
        let progress = Progress::default();
        let mut text = String::new();
        SpanReader::new(&source, 1, 3, &progress)
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "bcd");
        assert_eq!(progress.moved(), 3);
        let mut rest = Vec::new();
        let error = SpanReader::new(&source, 4, 5, &progress)
            .read_to_end(&mut rest)
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
