//! What the component may see of the host through WASI: nothing but a
//! clock, randomness and a captured stderr.
//!
//! No environment variables, no arguments, no preopened directories, no
//! stdin or stdout, no sockets and no name lookups: its only door to the
//! network is the `http-outgoing` import.

use std::time::{Duration, SystemTime};

use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder};

/// How much of the component's stderr (a debug build's panic message, say)
/// is kept.
pub const STDERR_CAPACITY: usize = 64 * 1024;

/// A wall clock stopped at one instant, for reproducible signatures.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock {
    since_epoch: Duration,
}

impl FixedClock {
    /// A clock that always reads `at`; instants before 1970 read 1970.
    pub fn new(at: SystemTime) -> Self {
        let since_epoch = at.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        Self { since_epoch }
    }
}

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        self.since_epoch
    }
}

/// The WASI context of one instance, and the pipe its stderr goes to.
pub fn wasi_context(now: Option<SystemTime>) -> (WasiCtx, MemoryOutputPipe) {
    let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
    let mut builder = WasiCtxBuilder::new();
    builder
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    if let Some(now) = now {
        builder.wall_clock(FixedClock::new(now));
    }
    (builder.build(), stderr)
}

/// Memory limits of one instance: `memory_bytes` of linear memory in all,
/// and a failed grow traps (a typed host error) rather than letting the
/// component carry on without memory.
pub fn store_limits(memory_bytes: usize) -> StoreLimits {
    StoreLimitsBuilder::new()
        .memory_size(memory_bytes)
        .instances(16)
        .memories(16)
        .tables(64)
        .trap_on_grow_failure(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_reads_the_same_instant() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600);
        let clock = FixedClock::new(at);
        assert_eq!(clock.now(), Duration::from_secs(1_369_353_600));
        assert_eq!(clock.now(), clock.now());
    }
}
