//! The component's memory allocator: size classes in front of rlsf's TLSF
//! allocator.
//!
//! A call allocates and frees some fifty small strings and vectors (the
//! host lowers every string it passes in as one, and a request is built
//! from many). Through wasi-libc's dlmalloc an allocation and its free
//! cost about 300 instructions once wasmtime has compiled them (`malloc`
//! 200 of them, `free` 90: its bins do work that a short-lived string does
//! not need); here about 130, most of it the two calls' own entry and exit
//! (`make bench-instructions`: 10k fewer per HEAD). Here a request of at
//! most [`LARGEST`] bytes aligned to at most [`ALIGN`] is rounded up to a
//! power of two (a size class) and served from that class's free list, a
//! singly linked list threaded through the free blocks themselves:
//! allocating pops, freeing pushes. An empty list is refilled one block at
//! a time from a chunk of [`CHUNK`] bytes taken from the backing allocator.
//! Larger and over-aligned requests go to the backing allocator.
//!
//! The backing allocator is, in the component, [`Pool`]: the `rlsf` crate's
//! TLSF (two-level segregated fit: constant-time allocation and free,
//! adjacent free blocks merged, a block grown in place when the memory
//! after it is free) over one pool that ends where linear memory ends and
//! is extended in place each time memory grows, so that what one large
//! input freed merges with the memory the next one takes. Until it has
//! memory, chunks are pages of their own, first those set aside in the
//! component's data (`SPARE_PAGES`), so that a small call never grows
//! memory. Its code is
//! about 1.3 KB, where wasi-libc's dlmalloc, which served before, was
//! 9.5 KB; with it no code of the component calls `malloc`, and dlmalloc
//! is no longer linked. Natively (the tests) it is the system allocator,
//! and [`Pool`] is tested over a stand-in for linear memory.
//!
//! Memory is never given back: a block freed goes to its class's list, not
//! to the backing allocator, and a chunk is never freed. An instance is
//! short-lived and its working set small, so the high-water mark of its
//! small blocks (plus at most one partly carved chunk and what is left over
//! at the end of each exhausted chunk, under [`LARGEST`] bytes each) is
//! what it keeps. (Linear memory never shrinks either: what the backing
//! allocator frees is reused, not returned to the host.)
//!
//! The allocator is a plain type, [`Heap`], tested natively; only the
//! `#[global_allocator]` static is the component's (wasm32, the `heap`
//! feature, which `component` turns on). The benchmark component turns it
//! on too, so that the signing it times, the connector's and rusty-s3's
//! alike, allocates as the component does.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ptr;

/// Where chunks and large blocks come from: in the component, rlsf's TLSF
/// allocator over one pool that memory grows under ([`Pool`]).
#[cfg(all(target_arch = "wasm32", feature = "heap"))]
static BACKING: Pool<WasmMemory> = Pool::new(WasmMemory);

/// Where chunks and large blocks come from: natively, the system allocator.
#[cfg(not(all(target_arch = "wasm32", feature = "heap")))]
static BACKING: std::alloc::System = std::alloc::System;

/// The alignment every class block has, and the largest alignment a
/// request may ask for and still be served from a class (Rust's scalars
/// need at most 16; beyond that is rare enough for the backing allocator).
pub const ALIGN: usize = 16;

/// The smallest class: `ALIGN`, so that every class size is a multiple of
/// it and blocks carved one after another stay aligned. It also holds the
/// free list's link on a 64-bit host.
const SMALLEST: usize = ALIGN;

/// The largest request served from a class: a 1 KiB object's body and the
/// request around it fit; anything larger is rare per call and goes to
/// the backing allocator.
pub const LARGEST: usize = 4096;

/// How many classes: `SMALLEST`, twice that, and so on up to `LARGEST`.
const CLASSES: usize = (LARGEST / SMALLEST).trailing_zeros() as usize + 1;

/// The bytes taken at a time from the backing allocator to carve new blocks
/// from: fifteen of the largest blocks, so that the tail wasted when a chunk
/// cannot fit the next block is a small share of it, and so that a chunk,
/// its header and the pool's end fit in one page of linear memory (64 KiB
/// chunks from the pool took two pages at a time).
pub const CHUNK: usize = 60 * 1024;

/// A new chunk of [`CHUNK`] bytes from the backing allocator, or null when
/// it has no memory: in the component, [`Pool::chunk`].
#[cfg(all(target_arch = "wasm32", feature = "heap"))]
fn new_chunk() -> *mut u8 {
    BACKING.chunk(CHUNK)
}

/// A new chunk of [`CHUNK`] bytes from the system allocator (natively, the
/// tests), or null. (Chunks are never freed.)
#[cfg(not(all(target_arch = "wasm32", feature = "heap")))]
fn new_chunk() -> *mut u8 {
    // SAFETY: `CHUNK` is non-zero and `ALIGN` a power of two that does not
    // overflow it: the layout is valid.
    unsafe { BACKING.alloc(Layout::from_size_align_unchecked(CHUNK, ALIGN)) }
}

/// A size-class allocator over the backing allocator for one thread (see the
/// module docs). Its state is in [`Cell`]s: it is `Sync` only where there are
/// no threads, the single-threaded wasm32 targets.
pub struct Heap {
    /// The first free block of each class (null when empty); each free
    /// block holds the address of the next in its first bytes.
    free: [Cell<*mut u8>; CLASSES],
    /// The next unused byte of the current chunk.
    next: Cell<*mut u8>,
    /// How many bytes of the current chunk are left from `next`.
    left: Cell<usize>,
}

// SAFETY: `Heap` is `Cell`s that nothing synchronises, so two threads using
// one would race. This impl exists only for wasm32 without the `atomics`
// feature, where a program has exactly one thread (wasm32-wasip2 has no
// thread support without it); a target with threads does not compile it,
// and there the static below cannot exist.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl Sync for Heap {}

/// The component's allocator.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics"), feature = "heap"))]
#[global_allocator]
static HEAP: Heap = Heap::new();

impl Heap {
    /// An allocator with empty lists and no chunk (the first allocation
    /// takes one).
    pub const fn new() -> Self {
        Heap {
            free: [const { Cell::new(ptr::null_mut()) }; CLASSES],
            next: Cell::new(ptr::null_mut()),
            left: Cell::new(0),
        }
    }

    /// Takes a block of class `class` (an index that [`class_of`] gave):
    /// the head of its list, else a new one from the chunk. Null when
    /// the backing allocator has no memory for a new chunk.
    #[inline]
    fn take(&self, class: usize) -> *mut u8 {
        let Some(head) = self.free.get(class) else {
            return ptr::null_mut();
        };
        let block = head.get();
        if block.is_null() {
            return self.carve(SMALLEST << class);
        }
        // SAFETY: a block on a free list is one this allocator handed out,
        // at least `SMALLEST` bytes and aligned to `ALIGN`, whose first
        // bytes `give` wrote the next link into, and no one else uses it.
        head.set(unsafe { block.cast::<*mut u8>().read() });
        block
    }

    /// Puts back a block of class `class` (an index that [`class_of`]
    /// gave), which must be one [`Heap::take`] handed out for that class.
    #[inline]
    fn give(&self, class: usize, block: *mut u8) {
        if let Some(head) = self.free.get(class) {
            // SAFETY: the caller gives back a block of this class, aligned
            // to `ALIGN` and at least `SMALLEST` bytes, which it no longer
            // uses: its first bytes can hold the link.
            unsafe { block.cast::<*mut u8>().write(head.get()) };
            head.set(block);
        }
    }

    /// A new block of `size` bytes (a class size) from the current chunk,
    /// or from a new one when it has too few bytes left (the rest of the
    /// old one is abandoned). Null when the backing allocator has no memory.
    #[cold]
    #[inline(never)]
    fn carve(&self, size: usize) -> *mut u8 {
        if self.left.get() < size {
            let chunk = new_chunk();
            if chunk.is_null() {
                return chunk;
            }
            self.next.set(chunk);
            self.left.set(CHUNK);
        }
        let block = self.next.get();
        // `size` <= `left`, so the new `next` is at most the chunk's end.
        self.next.set(block.wrapping_add(size));
        self.left.set(self.left.get() - size);
        block
    }
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

/// The bytes a block of `size` bytes (aligned to at most [`ALIGN`]) takes:
/// its class's size, or its own beyond [`LARGEST`] (the backing allocator's
/// few bytes of header aside).
pub fn block_size(size: usize) -> usize {
    match class_of(size, 1) {
        Some(class) => SMALLEST << class,
        None => size,
    }
}

/// The class of a request of `size` bytes aligned to `align`: the index
/// of the smallest class size that holds it, or `None` for the backing
/// allocator's requests (larger than [`LARGEST`] or aligned to more than
/// [`ALIGN`]). A block is freed with the layout it was allocated with, so it
/// goes back to the class it came from.
#[inline]
fn class_of(size: usize, align: usize) -> Option<usize> {
    if size > LARGEST || align > ALIGN {
        return None;
    }
    // At most `LARGEST`, so the power of two does not overflow. (A count
    // of leading zeros is a few instructions shorter, but it made `dealloc`
    // small enough for LLVM to inline it at each of the 300-odd places
    // that free: 14 KB more component.)
    Some((size.max(SMALLEST).next_power_of_two() / SMALLEST).trailing_zeros() as usize)
}

// SAFETY: every block handed out is `ALIGN`-aligned and at least its
// layout's size (its class size is), or comes from the backing allocator with
// the layout itself; a block is in at most one place at a time (handed out, on
// one list, or in the backing allocator's hands), so live blocks never overlap;
// and the layout a block is freed or reallocated with names the class it was
// taken from, which is how it goes back to the right place.
unsafe impl GlobalAlloc for Heap {
    // `alloc`, `dealloc` and `realloc` are inlined into the entry points
    // that std's code calls (`__rust_alloc` and the others), so that an
    // allocation is one call, not two (out of line, each took some 30 more
    // instructions). LLVM does not inline those entry points again into the
    // places in this crate that allocate or free, as it would a pop or a
    // push alone (see `class_of`).
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout.size(), layout.align()) {
            Some(class) => self.take(class),
            // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
            None => unsafe { BACKING.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout.size(), layout.align()) {
            Some(class) => self.give(class, ptr),
            // SAFETY: a block of this layout not served from a class came
            // from the backing allocator with this layout.
            None => unsafe { BACKING.dealloc(ptr, layout) },
        }
    }

    // `alloc_zeroed` is the trait's own: `alloc`, then the whole size
    // zeroed, which a recycled block needs, whether from a class or from
    // the backing allocator.

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = class_of(layout.size(), layout.align());
        let new = class_of(new_size, layout.align());
        if old.is_some() && old == new {
            // The block is as large as the class: the new size fits.
            return ptr;
        }
        if old.is_none() && new.is_none() {
            // SAFETY: the caller's arguments, as `GlobalAlloc::realloc`
            // requires; the block came from the backing allocator with
            // `layout`.
            return unsafe { BACKING.realloc(ptr, layout, new_size) };
        }
        // SAFETY: `GlobalAlloc::realloc` requires `new_size`, rounded up
        // to `layout.align()`, not to overflow `isize`: a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_size` is non-zero (`realloc`'s contract).
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            // SAFETY: both blocks are live, distinct and at least this
            // long; the old one is freed with the layout it had.
            unsafe {
                ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        moved
    }
}

/// The size of a page of linear memory, the unit it grows by.
#[cfg(any(test, feature = "heap"))]
pub const PAGE: usize = 64 * 1024;

/// Where a [`Pool`] takes its memory: a region that grows at its end a page
/// at a time, as WebAssembly's linear memory does with `memory.grow`.
#[cfg(any(test, feature = "heap"))]
pub trait Memory {
    /// Grows the region by `pages` pages of [`PAGE`] bytes: the address
    /// the new pages start at (the region's old end), or `None` when it
    /// cannot grow.
    fn grow(&self, pages: usize) -> Option<ptr::NonNull<u8>>;

    /// Whole pages that the region already has and nothing else uses, for
    /// [`Pool::chunk`] to hand out before it grows the region: none unless
    /// a region says otherwise (in the component, `SPARE_PAGES`).
    fn unused(&self) -> core::ops::Range<usize> {
        0..0
    }
}

/// The component's linear memory (memory 0).
#[cfg(all(target_arch = "wasm32", feature = "heap"))]
pub struct WasmMemory;

#[cfg(all(target_arch = "wasm32", feature = "heap"))]
impl Memory for WasmMemory {
    fn grow(&self, pages: usize) -> Option<ptr::NonNull<u8>> {
        match core::arch::wasm32::memory_grow(0, pages) {
            usize::MAX => None,
            // Page 0 is never where memory ends: the stack and data are in it.
            old => ptr::NonNull::new(old.checked_mul(PAGE)? as *mut u8),
        }
    }

    /// [`SPARE_PAGES`].
    fn unused(&self) -> core::ops::Range<usize> {
        let start = SPARE_PAGES.0.get() as usize;
        start..start + SPARE_BYTES
    }
}

/// How many bytes of the component's initial memory are set aside for the
/// heap's first chunks ([`SPARE_PAGES`]): a small object's calls and a
/// presigned URL take one.
#[cfg(all(target_arch = "wasm32", feature = "heap"))]
const SPARE_BYTES: usize = 4 * PAGE;

/// Whole pages of the component's zero-initialised data, which
/// [`Pool::chunk`] hands out before it grows memory. Growing linear memory
/// costs a fresh instance more than the pages: in wasmtime's pooling
/// allocator the slot's pages beyond the initial size are made accessible
/// when it grows and inaccessible again when the next instance takes the
/// slot, two `mprotect` calls, each making every thread of the host flush
/// its TLB. A call whose small blocks fit in these pages never grows
/// memory. Being data, they are part of the initial memory the linker
/// sizes, and no one else's: nothing else names them (`malloc`, were it
/// ever linked, would take what follows the data), and the heap writes
/// them only through the pointer that `get` gives. Zeros take no room in
/// the `.wasm`, and pages no call writes are never resident.
#[cfg(all(target_arch = "wasm32", feature = "heap"))]
#[repr(C, align(65536))]
struct SparePages(core::cell::UnsafeCell<[u8; SPARE_BYTES]>);

// SAFETY: as for `Heap`: only for wasm32 without threads, and only the
// heap, through `Pool::chunk`, takes pointers into it.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics"), feature = "heap"))]
unsafe impl Sync for SparePages {}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics"), feature = "heap"))]
static SPARE_PAGES: SparePages = SparePages(core::cell::UnsafeCell::new([0; SPARE_BYTES]));

/// rlsf's TLSF with the parameters of its `GlobalTlsf`: pools and blocks of
/// any size a `usize` counts.
#[cfg(any(test, feature = "heap"))]
type Tlsf = rlsf::Tlsf<'static, usize, usize, { usize::BITS as usize }, { usize::BITS as usize }>;

/// rlsf's granularity: block sizes and headers are multiples of it.
#[cfg(any(test, feature = "heap"))]
const GRANULARITY: usize = 4 * core::mem::size_of::<usize>();

/// The backing allocator: rlsf's TLSF over one pool that ends where its
/// [`Memory`] ends, extended in place when memory grows. Adjacent free
/// blocks merge across growths, and a block at the pool's end grows where
/// it is, so that memory freed by one large input serves the next.
/// (rlsf's own `GlobalTlsf` cannot extend its last pool on wasm32, as its
/// check compares where the pool starts with where memory ends: each growth
/// of memory was a pool of its own, its free blocks never merged with the
/// next, and a vector doubling past the end took a new pool each time.)
///
/// Its state is in cells: like [`Heap`], it is `Sync` only where there are
/// no threads.
#[cfg(any(test, feature = "heap"))]
pub struct Pool<M> {
    /// The allocator; only this type's methods borrow it, one at a time.
    tlsf: core::cell::UnsafeCell<Tlsf>,
    /// Where the pool ends (null before it has memory): the end of memory
    /// when it last grew.
    end: Cell<*mut u8>,
    /// Where its memory comes from.
    memory: M,
    /// The memory's unused pages ([`Memory::unused`]) not yet handed out
    /// as chunks (`None` until first asked: in the component their address
    /// is not a constant).
    spare: Cell<Option<(usize, usize)>>,
}

// SAFETY: as for `Heap`: only for wasm32 without threads.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics"), feature = "heap"))]
unsafe impl<M> Sync for Pool<M> {}

#[cfg(any(test, feature = "heap"))]
impl<M: Memory> Pool<M> {
    /// An allocator with no memory yet (the first allocation grows it).
    pub const fn new(memory: M) -> Self {
        Pool {
            tlsf: core::cell::UnsafeCell::new(Tlsf::new()),
            end: Cell::new(ptr::null_mut()),
            memory,
            spare: Cell::new(None),
        }
    }

    /// The allocator's state.
    ///
    /// # Safety
    /// No other borrow of it may be alive: each method of `Pool` takes it
    /// once and calls nothing that takes it again.
    #[allow(clippy::mut_from_ref)]
    unsafe fn tlsf(&self) -> &mut Tlsf {
        // SAFETY: the caller's promise; `Pool` is not shared between threads.
        unsafe { &mut *self.tlsf.get() }
    }

    /// A block of `size` bytes, aligned to [`ALIGN`], that is never freed
    /// (a chunk of [`Heap`]'s), or null when memory cannot grow (or `size`
    /// is 0). Until the
    /// pool has memory, whole pages of their own: the memory's unused pages
    /// ([`Memory::unused`]) while they last, so that an instance whose
    /// blocks all fit in its first chunks (a presigned URL, a small
    /// object's call) never grows memory, then new pages. Such an instance
    /// never touches the pool's bookkeeping (4 KiB of free-list heads) nor
    /// the ends of its pages, 8 KB resident per instance. Once the pool has
    /// memory, a block of the pool, so that no page taken apart separates
    /// two of its growths. (The pool itself only ever grows memory: its
    /// growths must follow one another, which the unused pages, wherever
    /// they lie, need not.)
    pub fn chunk(&self, size: usize) -> *mut u8 {
        if size == 0 {
            return ptr::null_mut();
        }
        if self.end.get().is_null() {
            let pages = size.div_ceil(PAGE);
            if let Some(unused) = self.take_unused(pages) {
                return unused;
            }
            return self
                .memory
                .grow(pages)
                .map_or(ptr::null_mut(), ptr::NonNull::as_ptr);
        }
        match Layout::from_size_align(size, ALIGN) {
            // SAFETY: a valid layout of a non-zero size.
            Ok(layout) => unsafe { self.alloc(layout) },
            Err(_) => ptr::null_mut(),
        }
    }

    /// `pages` of the memory's unused pages not yet taken, when that many
    /// are left.
    fn take_unused(&self, pages: usize) -> Option<*mut u8> {
        let (next, end) = self.spare.get().unwrap_or_else(|| {
            let unused = self.memory.unused();
            (unused.start, unused.end.max(unused.start))
        });
        let wanted = pages.checked_mul(PAGE)?;
        let taken = (end - next >= wanted).then_some(next);
        self.spare.set(Some((taken.map_or(next, |_| next + wanted), end)));
        taken.map(|at| at as *mut u8)
    }

    /// How large the free block at the end of the pool is, to a page, when
    /// it is the largest free block there is; else 0. TLSF tells only
    /// whether a block of a size can be had, so the largest is found by
    /// halving between 0 and `below` (a size it cannot give), then taken
    /// for a moment to see where it ends. Called only before memory grows.
    fn free_tail(&self, tlsf: &mut Tlsf, below: usize) -> usize {
        let take = |tlsf: &mut Tlsf, size: usize| {
            let block = tlsf.allocate(Layout::from_size_align(size, 1).ok()?)?;
            // SAFETY: just taken from this pool, with alignment 1.
            unsafe { tlsf.deallocate(block, 1) };
            Some(block.as_ptr() as usize + size)
        };
        let (mut fits, mut not) = (0, below);
        while not - fits > PAGE {
            let mid = fits + (not - fits) / 2;
            match take(tlsf, mid) {
                Some(_) => fits = mid,
                None => not = mid,
            }
        }
        if fits == 0 {
            return 0;
        }
        // Between the block's end and the pool's there is at most what
        // TLSF split off the free block for it (less than a step of its
        // list) and the pool's sentinel.
        match take(tlsf, fits) {
            Some(end) if (self.end.get() as usize).saturating_sub(end) <= fits / 16 + PAGE => fits,
            _ => 0,
        }
    }

    /// Grows memory by at least `bytes` and gives the new pages to the
    /// pool: appended to it when they start where it ends (merging with a
    /// free block at its end), else as a pool of their own. How many bytes
    /// it grew by; 0 when memory cannot grow.
    fn grow(&self, tlsf: &mut Tlsf, bytes: usize) -> usize {
        let pages = bytes.div_ceil(PAGE);
        let Some(start) = self.memory.grow(pages) else {
            return 0;
        };
        let len = pages * PAGE;
        let region = ptr::NonNull::slice_from_raw_parts(start, len);
        // SAFETY: the pages are new, so no one else uses them, and they last
        // as long as memory does; appended only where they start at the end
        // of the pool, whose length is a multiple of the granularity (page
        // multiples, from page-aligned starts).
        unsafe {
            if self.end.get() == start.as_ptr() {
                tlsf.append_free_block_ptr(region);
            } else if tlsf.insert_free_block_ptr(region).is_none() {
                return 0;
            }
        }
        self.end.set(start.as_ptr().wrapping_add(len));
        len
    }
}

/// Bytes of new memory that hold a block of `layout` whatever the free
/// memory beside them: its size, its alignment, a header and a sentinel,
/// and the fraction by which TLSF's free lists round a search up (a
/// second-level list spans at most a 32nd of its sizes).
#[cfg(any(test, feature = "heap"))]
fn room(layout: Layout) -> Option<usize> {
    layout
        .size()
        .checked_add(layout.size() / 16)?
        .checked_add(layout.align())?
        .checked_add(4 * GRANULARITY)
}

// SAFETY: blocks come from rlsf's TLSF, which keeps live blocks apart and
// aligned as their layouts ask, over memory that only this pool uses.
#[cfg(any(test, feature = "heap"))]
unsafe impl<M: Memory> GlobalAlloc for Pool<M> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the only borrow in this call.
        let tlsf = unsafe { self.tlsf() };
        if let Some(block) = tlsf.allocate(layout) {
            return block.as_ptr();
        }
        let Some(room) = room(layout) else {
            return ptr::null_mut();
        };
        // Memory grows first by what the block needs beyond the free block
        // at the pool's end, when there is one, which the new pages merge
        // with; then, if that was not enough, by the rest of what a new
        // block needs.
        let tail = self.free_tail(tlsf, layout.size());
        let mut grown = 0;
        if tail > 0 {
            grown = self.grow(tlsf, room.saturating_sub(tail).max(1));
            if let Some(block) = tlsf.allocate(layout) {
                return block.as_ptr();
            }
        }
        if room > grown && self.grow(tlsf, room - grown) == 0 {
            return ptr::null_mut();
        }
        tlsf.allocate(layout)
            .map_or(ptr::null_mut(), ptr::NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(block) = ptr::NonNull::new(ptr) {
            // SAFETY: the only borrow in this call; the block came from this
            // pool with this layout (`GlobalAlloc::dealloc`'s contract).
            unsafe { self.tlsf().deallocate(block, layout.align()) };
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(block) = ptr::NonNull::new(ptr) else {
            return ptr::null_mut();
        };
        // SAFETY: `GlobalAlloc::realloc` requires `new_size`, rounded up to
        // the alignment, not to overflow `isize`: a valid layout.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: the only borrow in this call.
        let tlsf = unsafe { self.tlsf() };
        // In place, or moved within the pool.
        // SAFETY: the block came from this pool with this alignment.
        if let Some(moved) = unsafe { tlsf.reallocate(block, new) } {
            return moved.as_ptr();
        }
        let Some(room) = room(new) else {
            return ptr::null_mut();
        };
        // Memory grows first by what the block needs to grow where it is,
        // which is enough when only free memory lies between it and the
        // pool's end (a vector growing at the end of memory, as a long input
        // read into one does), then, if it did not fit, by the rest of what
        // a new block needs: what the first growth added is free and at the
        // end, merged with the second.
        let in_place = (ptr as usize)
            .saturating_add(new_size)
            .saturating_add(4 * GRANULARITY)
            .saturating_sub(self.end.get() as usize);
        let mut grown = 0;
        if in_place > 0 && in_place < room {
            grown = self.grow(tlsf, in_place);
            // SAFETY: as above.
            if let Some(moved) = unsafe { tlsf.reallocate(block, new) } {
                return moved.as_ptr();
            }
        }
        if room > grown && self.grow(tlsf, room - grown) == 0 {
            return ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { tlsf.reallocate(block, new) }.map_or(ptr::null_mut(), ptr::NonNull::as_ptr)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    /// Allocates `size` bytes aligned to `align` and fills them with `byte`.
    fn filled(heap: &impl GlobalAlloc, size: usize, align: usize, byte: u8) -> *mut u8 {
        let block = unsafe { heap.alloc(layout(size, align)) };
        assert!(!block.is_null(), "{size} bytes aligned to {align}");
        unsafe { ptr::write_bytes(block, byte, size) };
        block
    }

    fn bytes<'a>(block: *mut u8, size: usize) -> &'a [u8] {
        unsafe { std::slice::from_raw_parts(block, size) }
    }

    #[test]
    fn sizes_round_up_to_their_class() {
        let cases = [
            (0, Some(0)),
            (1, Some(0)),
            (16, Some(0)),
            (17, Some(1)),
            (32, Some(1)),
            (33, Some(2)),
            (1024, Some(6)),
            (1025, Some(7)),
            (4095, Some(8)),
            (4096, Some(8)),
            (4097, None),
            (usize::MAX, None),
        ];
        for (size, class) in cases {
            assert_eq!(class_of(size, 1), class, "size {size}");
        }
        assert_eq!(CLASSES, 9);
        assert_eq!(SMALLEST << (CLASSES - 1), LARGEST);
        let blocks = [
            (1, 16),
            (16, 16),
            (17, 32),
            (257, 512),
            (4096, 4096),
            (4097, 4097),
        ];
        for (size, block) in blocks {
            assert_eq!(block_size(size), block, "size {size}");
        }
    }

    #[test]
    fn over_aligned_requests_are_not_classed() {
        assert_eq!(class_of(16, 16), Some(0));
        assert_eq!(class_of(32, 32), None);
        assert_eq!(class_of(4096, 4096), None);
    }

    #[test]
    fn every_class_and_alignment_is_aligned() {
        let heap = Heap::new();
        for class in 0..CLASSES {
            let size = SMALLEST << class;
            let mut align = 1;
            while align <= size {
                // Several of each, so that blocks carved after others are seen.
                for _ in 0..3 {
                    for size in [size / 2 + 1, size] {
                        let size = size.next_multiple_of(align);
                        let block = filled(&heap, size, align, 0x5a);
                        assert_eq!(block as usize % align, 0, "{size} bytes aligned to {align}");
                        if align <= ALIGN {
                            assert_eq!(block as usize % ALIGN, 0, "{size} bytes");
                        }
                    }
                }
                align *= 2;
            }
        }
    }

    #[test]
    fn a_freed_block_is_reused_by_its_class() {
        let heap = Heap::new();
        let first = filled(&heap, 100, 8, 1);
        unsafe { heap.dealloc(first, layout(100, 8)) };
        // 100 and 120 bytes are both in the 128-byte class.
        let second = filled(&heap, 120, 4, 2);
        assert_eq!(second, first);
        // Another class does not take it.
        let other = filled(&heap, 200, 8, 3);
        assert_ne!(other, first);
    }

    #[test]
    fn zeroed_allocations_clear_recycled_blocks() {
        let heap = Heap::new();
        for size in [1, 16, 48, 1000, 4096, 5000] {
            let block = filled(&heap, size, 8, 0xff);
            unsafe { heap.dealloc(block, layout(size, 8)) };
            let zeroed = unsafe { heap.alloc_zeroed(layout(size, 8)) };
            assert!(!zeroed.is_null());
            if size <= LARGEST {
                assert_eq!(zeroed, block, "{size} bytes: the recycled block");
            }
            assert!(bytes(zeroed, size).iter().all(|&b| b == 0), "{size} bytes");
            unsafe { heap.dealloc(zeroed, layout(size, 8)) };
        }
    }

    #[test]
    fn realloc_within_a_class_stays_in_place() {
        let heap = Heap::new();
        let block = filled(&heap, 40, 8, 7);
        let grown = unsafe { heap.realloc(block, layout(40, 8), 64) };
        assert_eq!(grown, block);
        let shrunk = unsafe { heap.realloc(grown, layout(64, 8), 33) };
        assert_eq!(shrunk, block);
        assert_eq!(bytes(shrunk, 33), [7; 33]);
    }

    #[test]
    fn realloc_moves_across_classes_and_to_system_and_back() {
        let heap = Heap::new();
        let mut block = filled(&heap, 10, 8, 9);
        let mut size = 10;
        // Up through every class into the backing allocator's sizes, then down
        // again.
        let sizes = [20, 100, 1000, 4096, 4097, 100_000, 5000, 4000, 17, 16, 1];
        for new_size in sizes {
            let moved = unsafe { heap.realloc(block, layout(size, 8), new_size) };
            assert!(!moved.is_null(), "{size} -> {new_size}");
            assert!(
                bytes(moved, size.min(new_size)).iter().all(|&b| b == 9),
                "{size} -> {new_size}"
            );
            unsafe { ptr::write_bytes(moved, 9, new_size) };
            block = moved;
            size = new_size;
        }
        unsafe { heap.dealloc(block, layout(size, 8)) };
    }

    #[test]
    fn large_and_over_aligned_requests_go_to_the_system() {
        let heap = Heap::new();
        for (size, align) in [(4097, 8), (1 << 20, 8), (64, 64), (8192, 4096)] {
            let block = filled(&heap, size, align, 0x33);
            assert_eq!(block as usize % align, 0);
            let grown = unsafe { heap.realloc(block, layout(size, align), size * 2) };
            assert!(!grown.is_null());
            assert_eq!(grown as usize % align, 0);
            assert!(bytes(grown, size).iter().all(|&b| b == 0x33));
            unsafe { heap.dealloc(grown, layout(size * 2, align)) };
        }
    }

    #[test]
    fn blocks_larger_than_what_is_left_of_a_chunk_take_a_new_one() {
        let heap = Heap::new();
        // Fill most of a chunk with small blocks, then ask for the largest
        // class several times: none may run past its chunk.
        let small: Vec<_> = (0..CHUNK / 32 - 10).map(|_| filled(&heap, 32, 8, 1)).collect();
        let large: Vec<_> = (0..20).map(|i| filled(&heap, LARGEST, 8, i)).collect();
        for block in &small {
            assert_eq!(bytes(*block, 32), [1; 32]);
        }
        for (i, block) in large.iter().enumerate() {
            assert!(bytes(*block, LARGEST).iter().all(|&b| usize::from(b) == i));
        }
    }

    /// A stand-in for linear memory: a reserved region that grows a page at
    /// a time up to its size, and can be grown by someone else too.
    struct FakeMemory {
        base: *mut u8,
        pages: usize,
        used: Cell<usize>,
        /// The pages it reports unused, as page numbers.
        unused: core::ops::Range<usize>,
    }

    impl FakeMemory {
        fn new(pages: usize) -> Self {
            Self::with_unused(pages, 0, 0..0)
        }

        /// Starting with `used` pages, those in `unused` reported unused.
        fn with_unused(pages: usize, used: usize, unused: core::ops::Range<usize>) -> Self {
            let base = unsafe { std::alloc::System.alloc(layout(pages * PAGE, PAGE)) };
            assert!(!base.is_null());
            FakeMemory {
                base,
                pages,
                used: Cell::new(used),
                unused,
            }
        }

        /// The address of page `n`.
        fn page(&self, n: usize) -> *mut u8 {
            self.base.wrapping_add(n * PAGE)
        }

        fn bytes(&self) -> usize {
            self.used.get() * PAGE
        }
    }

    impl Drop for FakeMemory {
        fn drop(&mut self) {
            unsafe { std::alloc::System.dealloc(self.base, layout(self.pages * PAGE, PAGE)) };
        }
    }

    impl Memory for &FakeMemory {
        fn grow(&self, pages: usize) -> Option<ptr::NonNull<u8>> {
            let used = self.used.get();
            if used + pages > self.pages {
                return None;
            }
            self.used.set(used + pages);
            ptr::NonNull::new(self.base.wrapping_add(used * PAGE))
        }

        fn unused(&self) -> core::ops::Range<usize> {
            self.page(self.unused.start) as usize..self.page(self.unused.end) as usize
        }
    }

    /// Until the pool has memory, chunks are the unused pages while they
    /// last (which lie before data that is not the heap's, as in the
    /// component), then new pages.
    #[test]
    fn the_first_chunks_are_the_unused_pages() {
        let memory = FakeMemory::with_unused(16, 4, 1..3);
        let pool = Pool::new(&memory);
        assert_eq!(pool.chunk(CHUNK), memory.page(1));
        assert_eq!(pool.chunk(CHUNK), memory.page(2));
        assert_eq!(memory.used.get(), 4, "memory grew while unused pages were left");
        assert_eq!(pool.chunk(CHUNK), memory.page(4));
        assert_eq!(memory.used.get(), 5);
        // None unused: only growth.
        let plain = FakeMemory::new(4);
        let pool = Pool::new(&plain);
        assert_eq!(pool.chunk(CHUNK), plain.page(0));
    }

    /// The pool grows memory, never into the unused pages, even with some
    /// left: its growths must follow one another (a block at its end grows
    /// in place), and the unused pages do not follow memory's end. (Taking
    /// them for the pool too made a block that the last of them and new
    /// memory were to hold together fail to allocate.)
    #[test]
    fn the_pool_takes_new_memory_not_the_unused_pages() {
        let memory = FakeMemory::with_unused(64, 4, 1..3);
        let pool = Pool::new(&memory);
        assert_eq!(pool.chunk(CHUNK), memory.page(1));
        let block = unsafe { pool.alloc(layout(70_000, 8)) };
        assert!(block >= memory.page(4), "the pool took an unused page");
        let grown = unsafe { pool.realloc(block, layout(70_000, 8), 300_000) };
        assert_eq!(grown, block, "moved instead of growing in place");
        assert!(
            memory.bytes() <= 4 * PAGE + 300_000 + 2 * PAGE,
            "{}",
            memory.bytes()
        );
        // Once the pool has memory, chunks are its blocks.
        let chunk = pool.chunk(CHUNK);
        assert!(chunk >= memory.page(4), "a chunk took an unused page");
    }

    const MIB: usize = 1 << 20;

    /// A vector doubling at the end of memory grows where it is, and memory
    /// by what it needs: before, each doubling took a pool of its own and
    /// the vector moved into it, memory reaching twice its size.
    #[test]
    fn a_block_at_the_end_of_memory_grows_in_place() {
        let memory = FakeMemory::new(64 * MIB / PAGE);
        let pool = Pool::new(&memory);
        let mut size = 5000;
        let block = unsafe { pool.alloc(layout(size, 8)) };
        assert!(!block.is_null());
        unsafe { ptr::write_bytes(block, 3, size) };
        while size < 16 * MIB {
            let grown = unsafe { pool.realloc(block, layout(size, 8), size * 2) };
            assert_eq!(grown, block, "{size} -> {}", size * 2);
            assert!(bytes(grown, size).iter().all(|&b| b == 3));
            unsafe { ptr::write_bytes(grown, 3, size * 2) };
            size *= 2;
            assert!(memory.bytes() <= size + 2 * PAGE, "{} for {size}", memory.bytes());
        }
        unsafe { pool.dealloc(block, layout(size, 8)) };
    }

    /// Blocks freed at the end of memory merge with the growth that the next
    /// larger block takes, and what one input freed serves the next: twenty
    /// rounds of inputs that grow by a tenth each time take memory for the
    /// largest, not for their sum.
    #[test]
    fn freed_memory_merges_with_new_memory() {
        let memory = FakeMemory::new(128 * MIB / PAGE);
        let pool = Pool::new(&memory);
        let mut size = 4 * MIB;
        for round in 0..20 {
            // An input arrives whole, then a vector built from it grows.
            let input = unsafe { pool.alloc(layout(size, 1)) };
            assert!(!input.is_null(), "round {round}");
            let mut built = unsafe { pool.alloc(layout(8192, 8)) };
            let mut len = 8192;
            while len < size / 2 {
                built = unsafe { pool.realloc(built, layout(len, 8), len * 2) };
                assert!(!built.is_null(), "round {round}");
                len *= 2;
            }
            unsafe {
                pool.dealloc(built, layout(len, 8));
                pool.dealloc(input, layout(size, 1));
            }
            size += size / 10;
        }
        let largest = size * 10 / 11;
        assert!(
            memory.bytes() <= largest * 2,
            "{} bytes of memory for inputs of at most {largest}",
            memory.bytes()
        );
    }

    /// A block larger than any free one grows memory by what it needs
    /// beyond the free block at the end of the pool, and starts where that
    /// block did: before, memory grew by the whole block, and an input a
    /// little larger than the one before took memory for both.
    #[test]
    fn a_new_block_takes_the_free_block_at_the_end_and_what_it_lacks() {
        let memory = FakeMemory::new(128 * MIB / PAGE);
        let pool = Pool::new(&memory);
        let first = unsafe { pool.alloc(layout(20 * MIB, 1)) };
        assert!(!first.is_null());
        unsafe { pool.dealloc(first, layout(20 * MIB, 1)) };
        let next = unsafe { pool.alloc(layout(24 * MIB, 1)) };
        assert_eq!(next, first);
        assert!(memory.bytes() <= 24 * MIB + 3 * MIB, "{}", memory.bytes());
        unsafe { ptr::write_bytes(next, 5, 24 * MIB) };
        // With a used block after the free one, memory grows by the whole
        // block, and the free one stays for what fits in it.
        let pin = unsafe { pool.alloc(layout(24 * MIB + 4096, 1)) };
        assert!(!pin.is_null() && pin > next);
        unsafe { pool.dealloc(next, layout(24 * MIB, 1)) };
        let before = memory.bytes();
        let larger = unsafe { pool.alloc(layout(30 * MIB, 1)) };
        assert!(!larger.is_null() && larger > pin);
        assert!(memory.bytes() >= before + 30 * MIB, "{}", memory.bytes());
        unsafe { ptr::write_bytes(larger, 6, 30 * MIB) };
        let again = unsafe { pool.alloc(layout(20 * MIB, 1)) };
        assert_eq!(again, next);
    }

    /// Chunks are pages of their own until the pool has memory, then blocks
    /// of the pool, next to what it grows.
    #[test]
    fn chunks_are_pages_until_the_pool_has_memory() {
        let memory = FakeMemory::new(64);
        let pool = Pool::new(&memory);
        let first = pool.chunk(CHUNK);
        let second = pool.chunk(CHUNK);
        assert_eq!(first, memory.base);
        assert_eq!(second, memory.base.wrapping_add(PAGE));
        assert_eq!(memory.bytes(), 2 * PAGE);
        let large = unsafe { pool.alloc(layout(100_000, 8)) };
        assert!(large as usize >= memory.base as usize + 2 * PAGE);
        let third = pool.chunk(CHUNK);
        assert!(third as usize > memory.base as usize + 2 * PAGE);
        assert_eq!(third as usize % ALIGN, 0);
        unsafe {
            ptr::write_bytes(first, 1, CHUNK);
            ptr::write_bytes(second, 2, CHUNK);
            ptr::write_bytes(third, 3, CHUNK);
            ptr::write_bytes(large, 4, 100_000);
        }
        assert!(bytes(first, CHUNK).iter().all(|&b| b == 1));
        assert!(bytes(second, CHUNK).iter().all(|&b| b == 2));
        assert!(bytes(large, 100_000).iter().all(|&b| b == 4));
        let fourth = pool.chunk(CHUNK);
        assert!(!fourth.is_null());
        assert!(bytes(third, CHUNK).iter().all(|&b| b == 3));
    }

    /// Memory that someone else grew in between starts a new pool, and
    /// memory that cannot grow is a null block, not a panic.
    #[test]
    fn a_gap_in_memory_starts_a_new_pool_and_no_memory_is_null() {
        let memory = FakeMemory::new(40);
        let pool = Pool::new(&memory);
        let first = unsafe { pool.alloc(layout(100_000, 8)) };
        assert!(!first.is_null());
        assert!((&memory).grow(3).is_some());
        let second = unsafe { pool.alloc(layout(200_000, 8)) };
        assert!(!second.is_null());
        assert!(second as usize >= memory.base as usize + 5 * PAGE);
        unsafe { ptr::write_bytes(first, 1, 100_000) };
        unsafe { ptr::write_bytes(second, 2, 200_000) };
        let grown = unsafe { pool.realloc(first, layout(100_000, 8), 400_000) };
        assert!(!grown.is_null());
        assert!(bytes(grown, 100_000).iter().all(|&b| b == 1));
        assert!(bytes(second, 200_000).iter().all(|&b| b == 2));
        assert!(unsafe { pool.alloc(layout(40 * PAGE, 8)) }.is_null());
        let too_far = unsafe { pool.realloc(grown, layout(400_000, 8), 40 * PAGE) };
        assert!(too_far.is_null());
        assert!(bytes(grown, 100_000).iter().all(|&b| b == 1));
    }

    /// A small, deterministic generator (xorshift64*) for the random run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// A random mix of allocations, frees and reallocations against a
    /// model of what is live: each block is filled with its own byte, and
    /// must still hold it (nothing else wrote over it) and not overlap any
    /// other live block.
    #[test]
    fn random_operations_keep_live_blocks_apart_and_intact() {
        random_operations(&Heap::new(), 1);
    }

    /// The same against the backing pool alone, with blocks twenty times
    /// larger (to 400 KB), over memory it grows.
    #[test]
    fn random_operations_in_the_pool_keep_live_blocks_apart_and_intact() {
        let memory = FakeMemory::new(2048);
        random_operations(&Pool::new(&memory), 20);
    }

    /// A random run of allocations, frees and reallocations on `heap`, of
    /// sizes `scale` times those of the small-block tests.
    fn random_operations(heap: &impl GlobalAlloc, scale: usize) {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        // (block, size, align, fill byte)
        let mut live: Vec<(*mut u8, usize, usize, u8)> = Vec::new();
        let mut fill = 0u8;
        for step in 0..20_000 {
            let size = match rng.below(10) {
                0 => 1 + rng.below(20_000 * scale),
                1 => 1 + rng.below(16 * scale),
                _ => 1 + rng.below((LARGEST + 64) * scale),
            };
            // Now and then over-aligned (32 to 128), which the backing
            // allocator serves.
            let shifts = if rng.below(20) == 0 { 8 } else { 5 };
            let align = 1 << rng.below(shifts);
            let size = size.next_multiple_of(align);
            fill = fill.wrapping_add(1);
            match rng.below(3) {
                0 if live.len() < 400 => {
                    let block = filled(heap, size, align, fill);
                    live.push((block, size, align, fill));
                }
                1 if !live.is_empty() => {
                    let (block, old, align, byte) = live.swap_remove(rng.below(live.len()));
                    assert!(bytes(block, old).iter().all(|&b| b == byte), "step {step}");
                    unsafe { heap.dealloc(block, layout(old, align)) };
                }
                _ if !live.is_empty() => {
                    let at = rng.below(live.len());
                    let (block, old, align, byte) = live[at];
                    let new = size.next_multiple_of(align);
                    let moved = unsafe { heap.realloc(block, layout(old, align), new) };
                    assert!(!moved.is_null());
                    assert_eq!(moved as usize % align, 0);
                    assert!(
                        bytes(moved, old.min(new)).iter().all(|&b| b == byte),
                        "step {step}"
                    );
                    unsafe { ptr::write_bytes(moved, fill, new) };
                    live[at] = (moved, new, align, fill);
                }
                _ => {}
            }
            if step % 500 == 0 {
                let mut spans: Vec<_> = live.iter().map(|&(b, s, _, _)| (b as usize, s)).collect();
                spans.sort_unstable();
                for pair in spans.windows(2) {
                    assert!(pair[0].0 + pair[0].1 <= pair[1].0, "step {step}: overlap");
                }
            }
        }
        for (block, size, align, byte) in live {
            assert!(bytes(block, size).iter().all(|&b| b == byte));
            unsafe { heap.dealloc(block, layout(size, align)) };
        }
    }
}
