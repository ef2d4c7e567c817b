//! The CLI's progress bar for long transfers: bytes, rate and time left,
//! redrawn on stderr a few times a second, only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::bodies::Progress;

/// How often the bar is redrawn.
const REDRAW: Duration = Duration::from_millis(200);

/// A progress bar drawn by its own thread until dropped; nothing at all
/// when stderr is not a terminal.
pub struct Bar {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Starts drawing `progress`.
    pub fn start(progress: Progress) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("progress".to_owned())
            .spawn(move || {
                let started = Instant::now();
                let mut drawn = false;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(REDRAW) {
                    let line = render(progress.moved(), progress.total(), started.elapsed());
                    let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
                    drawn = true;
                }
                if drawn {
                    let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
                }
            })
            .ok();
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One line of the bar: `[#####     ]  52.0 MiB / 100.0 MiB  41.6 MiB/s  ETA 1s`.
pub fn render(moved: u64, total: u64, elapsed: Duration) -> String {
    let rate = moved as f64 / elapsed.as_secs_f64().max(0.001);
    let mut line = String::new();
    if total > 0 {
        let done = (moved.min(total) as f64 / total as f64 * 30.0) as usize;
        line.push('[');
        line.push_str(&"#".repeat(done));
        line.push_str(&" ".repeat(30 - done.min(30)));
        line.push_str("] ");
        line.push_str(&format!("{} / {}", size(moved as f64), size(total as f64)));
    } else {
        line.push_str(&size(moved as f64));
    }
    line.push_str(&format!("  {}/s", size(rate)));
    if total > moved && rate > 0.0 {
        line.push_str(&format!("  ETA {:.0}s", (total - moved) as f64 / rate));
    }
    line
}

fn size(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_bytes_rate_and_time_left() {
        let line = render(50 * 1024 * 1024, 100 * 1024 * 1024, Duration::from_secs(2));
        assert!(
            line.starts_with("[###############               ] 50.0 MiB / 100.0 MiB"),
            "{line}"
        );
        assert!(line.contains("25.0 MiB/s"), "{line}");
        assert!(line.ends_with("ETA 2s"), "{line}");
        let unknown = render(1536, 0, Duration::from_secs(1));
        assert_eq!(unknown, "1.5 KiB  1.5 KiB/s");
    }
}
