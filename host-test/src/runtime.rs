//! Loading the component once: engine, compilation cache, linker.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::component::{HasSelf, InstancePre, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::Connector;
use crate::code_cache;
use crate::error::HostError;
use crate::exports::Exports;
use crate::instance::{HostState, Instance, InstanceOptions};

/// How often the epoch advances: the granularity of per-call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Where compiled machine code is kept between runs, so that a CLI call
/// does not compile the component again (seconds) when it has not changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CodeCache {
    /// In `.wasmtime-cache/` beside the `.wasm` file. Each entry is named
    /// by a hash of the component's bytes, of wasmtime's version and of the
    /// engine's settings, so a rebuilt component or host never loads stale
    /// code (see `crate::code_cache`).
    #[default]
    NextToWasm,
    /// In this directory (absolute).
    Dir(PathBuf),
    /// Compile every time.
    Off,
}

/// Settings of a [`Runtime`].
#[derive(Clone, Debug, Default)]
pub struct RuntimeConfig {
    /// The compiled-code cache.
    pub cache: CodeCache,
    /// Take instances from wasmtime's pooling allocator, with room for this
    /// many alive at once (one per tenant, say): their memories are
    /// reserved up front and reused, so that a new instance costs
    /// microseconds, and each is wiped when dropped. `None`: each instance
    /// maps its own memory on demand. An instance beyond the pool's size
    /// is a [`HostError::Load`] until one is dropped.
    pub pooled_instances: Option<u32>,
    /// Have wasmtime write its perf map (`/tmp/perf-PID.map`), which names
    /// the component's compiled functions by their addresses, so that a
    /// profiler (`perf`, or `make bench-instructions`' attribution of a
    /// call's instructions) can name the code it samples. For profiling
    /// only: the names are those a names-kept build carries.
    pub perf_map: bool,
}

/// The most core instances, memories and tables one instance of the
/// connector component holds (its module, the WASI adapter and their glue),
/// with room to spare.
const PER_COMPONENT: u32 = 8;

/// How much of a pooled linear memory may stay mapped when its instance is
/// dropped: the pages the instance wrote, up to this much, are put back to
/// their initial contents in place (a copy from the memory image, zeros
/// elsewhere) instead of being unmapped, so that the next instance in the
/// slot takes no page faults on them. A presigning call writes less than
/// 512 KiB (keeping 512 KiB did as well as 4 MiB); what an instance wrote
/// beyond this is unmapped as before.
const MEMORY_KEEP_RESIDENT: usize = 1024 * 1024;

/// The same for a pooled table (the component's function tables hold a few
/// thousand entries).
const TABLE_KEEP_RESIDENT: usize = 64 * 1024;

/// Wasmtime's pooling allocator with room for `instances` component
/// instances alive at once, each holding at most `per_component` core
/// instances, memories and tables, and memories of at most `max_memory`
/// bytes. Memories and tables are reserved up front and reused, and each
/// is wiped when its instance is dropped, so that a new instance costs
/// microseconds rather than the mappings of its own.
pub(crate) fn pooling(instances: u32, per_component: u32, max_memory: usize) -> InstanceAllocationStrategy {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(per_component))
        .total_memories(instances.saturating_mul(per_component))
        .total_tables(instances.saturating_mul(per_component))
        .max_core_instances_per_component(per_component)
        .max_memories_per_component(per_component)
        .max_tables_per_component(per_component)
        .max_memory_size(max_memory)
        .table_keep_resident(TABLE_KEEP_RESIDENT);
    // Keeping memory resident needs the kernel to say which pages were
    // written (PAGEMAP_SCAN, Linux 6.7); without it wasmtime would zero the
    // first MEMORY_KEEP_RESIDENT bytes whether written or not, which costs
    // more at every drop than the page faults it saves.
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(Enabled::Yes)
            .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT);
    }
    InstanceAllocationStrategy::Pooling(pool)
}

/// The component, compiled and linked once; it makes any number of
/// [`Instance`]s. Dropping the runtime (and every instance) stops its
/// epoch ticker thread.
pub struct Runtime {
    pre: InstancePre<HostState>,
    exports: Arc<Exports>,
    ticker: Arc<Ticker>,
}

impl Runtime {
    /// Loads the component at `wasm` with the default settings.
    pub fn load(wasm: &Path) -> Result<Self, HostError> {
        Self::load_with(wasm, &RuntimeConfig::default())
    }

    /// Loads the component at `wasm`.
    pub fn load_with(wasm: &Path, config: &RuntimeConfig) -> Result<Self, HostError> {
        if !wasm.is_file() {
            return Err(HostError::WasmMissing {
                path: wasm.to_path_buf(),
            });
        }
        let load = |e: wasmtime::Error| HostError::Load(format!("{e:#}"));
        let mut engine_config = Config::new();
        engine_config.wasm_component_model(true);
        // A stuck component is stopped at its per-call deadline.
        engine_config.epoch_interruption(true);
        if config.perf_map {
            engine_config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        if let Some(instances) = config.pooled_instances {
            engine_config.allocation_strategy(pooling(
                instances,
                PER_COMPONENT,
                crate::instance::DEFAULT_MEMORY_LIMIT,
            ));
        }
        let engine = Engine::new(&engine_config).map_err(load)?;
        // A cache directory that cannot be made (read-only install) only
        // costs a compilation per run.
        let component =
            code_cache::load(&engine, wasm, cache_dir(wasm, &config.cache).as_deref()).map_err(load)?;

        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(load)?;
        Connector::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(load)?;
        let exports = Arc::new(Exports::find(&engine, &component)?);
        let pre = linker.instantiate_pre(&component).map_err(load)?;
        let ticker = Arc::new(Ticker::start(engine));
        Ok(Self { pre, exports, ticker })
    }

    /// A new instance: its own memory and state (such as the bucket region
    /// cache), shared by the calls made on it.
    pub fn instance(&self, options: InstanceOptions) -> Result<Instance, HostError> {
        Instance::new(
            &self.pre,
            Arc::clone(&self.exports),
            Arc::clone(&self.ticker),
            options,
        )
    }
}

fn cache_dir(wasm: &Path, cache: &CodeCache) -> Option<PathBuf> {
    match cache {
        CodeCache::Off => None,
        CodeCache::Dir(dir) => Some(dir.clone()),
        CodeCache::NextToWasm => {
            let wasm = std::path::absolute(wasm).ok()?;
            Some(wasm.parent()?.join(".wasmtime-cache"))
        }
    }
}

/// A thread that advances the engine's epoch every [`EPOCH_TICK`] until
/// dropped.
pub(crate) struct Ticker {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Starts advancing `engine`'s epoch.
    pub(crate) fn start(engine: Engine) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("epoch-ticker".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EPOCH_TICK) {
                    engine.increment_epoch();
                }
            })
            .ok();
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        // Dropping the sender disconnects the channel and ends the loop.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn missing_wasm_is_a_typed_error() {
        let result = Runtime::load(Path::new("/nonexistent/s3_connector.wasm"));
        assert!(matches!(result, Err(HostError::WasmMissing { .. })));
    }

    #[test]
    fn cache_sits_next_to_the_wasm() {
        assert_eq!(
            cache_dir(Path::new("/a/b/c.wasm"), &CodeCache::NextToWasm),
            Some(PathBuf::from("/a/b/.wasmtime-cache"))
        );
        assert_eq!(cache_dir(Path::new("/a/c.wasm"), &CodeCache::Off), None);
    }

    #[test]
    fn unusable_cache_directory_only_disables_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"").unwrap();
        let wasm = dir.path().join("bad.wasm");
        std::fs::write(&wasm, b"not wasm").unwrap();
        let config = RuntimeConfig {
            cache: CodeCache::Dir(blocker.join("cache")),
            ..RuntimeConfig::default()
        };
        // Reaches compilation (and fails there), not a cache error.
        match Runtime::load_with(&wasm, &config) {
            Err(HostError::Load(message)) => assert!(!message.contains("cache"), "{message}"),
            _ => panic!("expected a load error"),
        }
    }

    #[test]
    fn a_component_without_the_exports_is_a_load_error() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("empty.wasm");
        // The smallest valid component: its header (the `\0asm` magic,
        // version 0x0d, layer 1) and nothing else.
        std::fs::write(&wasm, b"\0asm\x0d\0\x01\0").unwrap();
        let config = RuntimeConfig {
            cache: CodeCache::Off,
            ..RuntimeConfig::default()
        };
        match Runtime::load_with(&wasm, &config) {
            Err(HostError::Load(message)) => assert!(
                message.contains("does not export `s3-connector:s3/operations#list-buckets`"),
                "{message}"
            ),
            Err(other) => panic!("expected a load error, got {other}"),
            Ok(_) => panic!("expected a load error"),
        }
    }

    #[test]
    fn garbage_is_a_load_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("bad.wasm");
        std::fs::write(&wasm, b"not wasm").unwrap();
        let config = RuntimeConfig {
            cache: CodeCache::Off,
            ..RuntimeConfig::default()
        };
        assert!(matches!(
            Runtime::load_with(&wasm, &config),
            Err(HostError::Load(_))
        ));
    }
}
