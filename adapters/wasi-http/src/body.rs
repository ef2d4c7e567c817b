//! The bodies the adapter holds for the connector: sources an upload is
//! read from and sinks a download is written into, in memory or on
//! standard streams.
//!
//! The connector reads a source at offsets (a part is read to hash it, then
//! again to send it, and again if it is retried), which a forward-only
//! stream cannot do; a [`Window`] keeps the last [`WINDOW`] bytes read so
//! that those reads find their bytes. A sink on a stream is written in
//! order and cannot be cut back.

use std::cell::RefCell;

/// How many bytes a stream-backed source keeps behind the furthest byte
/// read: enough for the parts a multipart upload reads again (four 8 MiB
/// parts at a time by default, each read to hash it and to send it).
pub const WINDOW: u64 = 64 * 1024 * 1024;

/// How far past [`WINDOW`] the kept bytes may grow before the oldest are
/// dropped: dropping moves the rest, so it is done in steps this large.
const TRIM_STEP: u64 = 8 * 1024 * 1024;

/// The most a stream is asked for at once.
const STREAM_CHUNK: u64 = 1024 * 1024;

/// Why a body could not be read or written; the WIT `body-error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Reading or writing failed, described.
    Io(String),
    /// A truncation past the end.
    OutOfRange,
}

/// A stream read forward, a chunk at a time.
pub trait ForwardRead {
    /// Up to `max` more bytes (at least one), or `None` at the end.
    fn read_forward(&mut self, max: u64) -> Result<Option<Vec<u8>>, String>;
}

impl<R: ForwardRead + ?Sized> ForwardRead for Box<R> {
    fn read_forward(&mut self, max: u64) -> Result<Option<Vec<u8>>, String> {
        (**self).read_forward(max)
    }
}

/// A stream written forward.
pub trait ForwardWrite {
    /// Writes all of `bytes`, flushed before it returns.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), String>;
}

/// A source of `size` bytes read forward from a stream, keeping the last
/// [`WINDOW`] bytes read so that they can be read again.
pub struct Window<R> {
    reader: R,
    size: u64,
    /// The offset of `kept[0]`.
    start: u64,
    /// The bytes from `start` to the furthest byte read.
    kept: Vec<u8>,
}

impl<R: ForwardRead> Window<R> {
    /// A source of `size` bytes from `reader`.
    pub fn new(reader: R, size: u64) -> Self {
        Self {
            reader,
            size,
            start: 0,
            kept: Vec::new(),
        }
    }

    /// One past the furthest byte read from the stream.
    fn furthest(&self) -> u64 {
        self.start + self.kept.len() as u64
    }

    /// Up to `max` bytes from `offset`, read from the stream as far as
    /// needed; none at or past the end.
    pub fn read(&mut self, offset: u64, max: u32) -> Result<Vec<u8>, BodyError> {
        if offset >= self.size || max == 0 {
            return Ok(Vec::new());
        }
        if offset < self.start {
            return Err(BodyError::Io(format!(
                "offset {offset} is before the {} MiB kept of a stream read up to byte {}: \
                 a stream-backed source cannot be read again that far back",
                WINDOW >> 20,
                self.furthest()
            )));
        }
        let end = offset.saturating_add(u64::from(max)).min(self.size);
        while self.furthest() < end {
            let want = (end - self.furthest()).min(STREAM_CHUNK);
            match self.reader.read_forward(want).map_err(BodyError::Io)? {
                Some(bytes) if !bytes.is_empty() => {
                    let room = self.size - self.furthest();
                    let take = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
                    self.kept.extend_from_slice(&bytes[..take]);
                }
                _ => {
                    return Err(BodyError::Io(format!(
                        "the stream ended after {} of its {} bytes",
                        self.furthest(),
                        self.size
                    )))
                }
            }
        }
        let from = usize::try_from(offset - self.start).map_err(|e| BodyError::Io(e.to_string()))?;
        let to = usize::try_from(end - self.start).map_err(|e| BodyError::Io(e.to_string()))?;
        let bytes = self.kept[from..to].to_vec();
        let kept = self.kept.len() as u64;
        if kept > WINDOW + TRIM_STEP {
            let drop = usize::try_from(kept - WINDOW).map_err(|e| BodyError::Io(e.to_string()))?;
            self.kept.drain(..drop);
            self.start += drop as u64;
        }
        Ok(bytes)
    }
}

/// The bytes of an upload: what the WIT `body-source` holds.
pub struct Source(RefCell<SourceKind>);

enum SourceKind {
    Bytes(Vec<u8>),
    Stream {
        window: Box<Window<Box<dyn ForwardRead>>>,
        size: u64,
    },
}

impl Source {
    /// A source over `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(RefCell::new(SourceKind::Bytes(bytes)))
    }

    /// A source of `size` bytes read forward from `reader`.
    pub fn from_stream(reader: Box<dyn ForwardRead>, size: u64) -> Self {
        Self(RefCell::new(SourceKind::Stream {
            window: Box::new(Window::new(reader, size)),
            size,
        }))
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        match &*self.0.borrow() {
            SourceKind::Bytes(bytes) => bytes.len() as u64,
            SourceKind::Stream { size, .. } => *size,
        }
    }

    /// Up to `max` bytes from `offset`; none at or past the end.
    pub fn read(&self, offset: u64, max: u32) -> Result<Vec<u8>, BodyError> {
        match &mut *self.0.borrow_mut() {
            SourceKind::Bytes(bytes) => {
                let from = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
                let to = from.saturating_add(max as usize).min(bytes.len());
                Ok(bytes[from..to].to_vec())
            }
            SourceKind::Stream { window, .. } => window.read(offset, max),
        }
    }
}

/// Where a download goes: what the WIT `body-sink` holds.
pub struct Sink(RefCell<SinkKind>);

enum SinkKind {
    Memory(Vec<u8>),
    Stream {
        writer: Box<dyn ForwardWrite>,
        written: u64,
    },
}

impl Sink {
    /// A sink held in memory.
    pub fn memory() -> Self {
        Self(RefCell::new(SinkKind::Memory(Vec::new())))
    }

    /// A sink that writes, in order, to `writer`.
    pub fn to_stream(writer: Box<dyn ForwardWrite>) -> Self {
        Self(RefCell::new(SinkKind::Stream { writer, written: 0 }))
    }

    /// One past the furthest byte written.
    pub fn written(&self) -> u64 {
        match &*self.0.borrow() {
            SinkKind::Memory(bytes) => bytes.len() as u64,
            SinkKind::Stream { written, .. } => *written,
        }
    }

    /// Appends `bytes`.
    pub fn write(&self, bytes: &[u8]) -> Result<(), BodyError> {
        let at = self.written();
        self.write_at(at, bytes)
    }

    /// Writes `bytes` at `at`: anywhere in memory (a gap before it reads as
    /// zeros until it is written), only at the end on a stream.
    pub fn write_at(&self, at: u64, bytes: &[u8]) -> Result<(), BodyError> {
        match &mut *self.0.borrow_mut() {
            SinkKind::Memory(held) => {
                let at = usize::try_from(at).map_err(|e| BodyError::Io(e.to_string()))?;
                let end = at
                    .checked_add(bytes.len())
                    .ok_or_else(|| BodyError::Io("a write past the addressable memory".to_owned()))?;
                if held.len() < end {
                    held.resize(end, 0);
                }
                held[at..end].copy_from_slice(bytes);
                Ok(())
            }
            SinkKind::Stream { writer, written } => {
                if at != *written {
                    return Err(BodyError::Io(format!(
                        "a stream sink is written in order: a write at byte {at} after {written} bytes"
                    )));
                }
                writer.write_all(bytes).map_err(BodyError::Io)?;
                *written += bytes.len() as u64;
                Ok(())
            }
        }
    }

    /// Drops every byte past `length`.
    pub fn truncate(&self, length: u64) -> Result<(), BodyError> {
        match &mut *self.0.borrow_mut() {
            SinkKind::Memory(held) => {
                let length = usize::try_from(length).map_err(|_| BodyError::OutOfRange)?;
                if length > held.len() {
                    return Err(BodyError::OutOfRange);
                }
                held.truncate(length);
                Ok(())
            }
            SinkKind::Stream { written, .. } => {
                if length > *written {
                    Err(BodyError::OutOfRange)
                } else if length < *written {
                    Err(BodyError::Io(format!(
                        "a stream sink cannot be cut back: {written} bytes have left, {length} asked to keep"
                    )))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The bytes of a memory sink; none for a stream sink, whose bytes left.
    pub fn bytes(&self) -> Vec<u8> {
        match &*self.0.borrow() {
            SinkKind::Memory(held) => held.clone(),
            SinkKind::Stream { .. } => Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::rc::Rc;

    use super::*;

    /// A stream over `bytes`, giving at most `chunk` bytes per read and
    /// counting the bytes it gave.
    struct Chunks {
        bytes: Vec<u8>,
        at: usize,
        chunk: usize,
    }

    impl ForwardRead for Chunks {
        fn read_forward(&mut self, max: u64) -> Result<Option<Vec<u8>>, String> {
            if self.at == self.bytes.len() {
                return Ok(None);
            }
            let n = self.chunk.min(max as usize).min(self.bytes.len() - self.at);
            self.at += n;
            Ok(Some(self.bytes[self.at - n..self.at].to_vec()))
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn window(bytes: &[u8], chunk: usize) -> Window<Chunks> {
        Window::new(
            Chunks {
                bytes: bytes.to_vec(),
                at: 0,
                chunk,
            },
            bytes.len() as u64,
        )
    }

    #[test]
    fn stream_source_reads_again_within_the_window() {
        let bytes = pattern(100_000);
        let mut source = window(&bytes, 333);
        assert_eq!(source.read(10, 50).unwrap(), &bytes[10..60]);
        assert_eq!(source.read(0, 100).unwrap(), &bytes[..100]);
        assert_eq!(source.read(50_000, 60_000).unwrap(), &bytes[50_000..]);
        assert_eq!(source.read(20_000, 10).unwrap(), &bytes[20_000..20_010]);
        assert!(source.read(100_000, 10).unwrap().is_empty());
        assert!(source.read(200_000, 10).unwrap().is_empty());
    }

    #[test]
    fn stream_source_refuses_a_read_before_its_window() {
        let size = (WINDOW + TRIM_STEP + 2 * STREAM_CHUNK) as usize;
        let bytes = pattern(size);
        let mut source = window(&bytes, STREAM_CHUNK as usize);
        let last = source.read(size as u64 - 10, 10).unwrap();
        assert_eq!(last, &bytes[size - 10..]);
        let kept_from = size as u64 - WINDOW;
        assert_eq!(
            source.read(kept_from, 4).unwrap(),
            &bytes[kept_from as usize..kept_from as usize + 4]
        );
        let error = source.read(0, 4).unwrap_err();
        assert!(
            matches!(&error, BodyError::Io(m) if m.contains("cannot be read again")),
            "{error:?}"
        );
    }

    #[test]
    fn stream_that_ends_early_is_an_io_error() {
        let bytes = pattern(1000);
        let mut source = Window::new(
            Chunks {
                bytes: bytes.clone(),
                at: 0,
                chunk: 100,
            },
            2000,
        );
        assert_eq!(source.read(0, 500).unwrap(), &bytes[..500]);
        let error = source.read(900, 500).unwrap_err();
        assert_eq!(
            error,
            BodyError::Io("the stream ended after 1000 of its 2000 bytes".to_owned())
        );
    }

    #[test]
    fn stream_longer_than_its_size_is_cut_at_the_size() {
        let bytes = pattern(1000);
        let mut source = Window::new(
            Chunks {
                bytes: bytes.clone(),
                at: 0,
                chunk: 1000,
            },
            600,
        );
        assert_eq!(source.read(500, 1000).unwrap(), &bytes[500..600]);
    }

    #[test]
    fn memory_source_reads_any_span() {
        let source = Source::from_bytes(pattern(10));
        assert_eq!(source.size(), 10);
        assert_eq!(source.read(3, 4).unwrap(), &pattern(10)[3..7]);
        assert_eq!(source.read(8, 100).unwrap(), &pattern(10)[8..]);
        assert!(source.read(u64::MAX, 100).unwrap().is_empty());
    }

    #[test]
    fn memory_sink_writes_anywhere_and_cuts_back() {
        let sink = Sink::memory();
        sink.write(b"hello").unwrap();
        sink.write_at(8, b"xyz").unwrap();
        assert_eq!(sink.bytes(), b"hello\0\0\0xyz");
        sink.write_at(5, b"abc").unwrap();
        assert_eq!(sink.bytes(), b"helloabcxyz");
        assert_eq!(sink.written(), 11);
        sink.truncate(5).unwrap();
        assert_eq!(sink.bytes(), b"hello");
        assert_eq!(sink.truncate(6), Err(BodyError::OutOfRange));
    }

    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl ForwardWrite for Shared {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), String> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(())
        }
    }

    #[test]
    fn stream_sink_is_written_in_order_and_never_cut_back() {
        let out = Rc::new(RefCell::new(Vec::new()));
        let sink = Sink::to_stream(Box::new(Shared(out.clone())));
        sink.write(b"abc").unwrap();
        sink.write_at(3, b"def").unwrap();
        assert_eq!(*out.borrow(), b"abcdef");
        assert_eq!(sink.written(), 6);
        assert!(matches!(sink.write_at(10, b"x"), Err(BodyError::Io(_))));
        assert!(matches!(sink.write_at(2, b"x"), Err(BodyError::Io(_))));
        assert!(matches!(sink.truncate(3), Err(BodyError::Io(m)) if m.contains("cannot be cut back")));
        assert_eq!(sink.truncate(7), Err(BodyError::OutOfRange));
        sink.truncate(6).unwrap();
        assert!(sink.bytes().is_empty());
    }
}
