//! Socket timeouts rounded up to whole milliseconds, so that a kept-alive
//! connection has its timeouts set once rather than before every read and
//! write.
//!
//! ureq gives each read and write the time left of the budget it falls
//! under (a phase's, or the call's), and sets the socket's timeout again
//! whenever that value differs from the one set before. The time left is
//! measured in nanoseconds, so it differs on every request: two or three
//! `setsockopt` calls per small request, which a client without timeouts
//! does not make. A fresh phase starts with its whole budget, less the few
//! microseconds before its first read or write; rounded up to the
//! millisecond that is the budget itself, the same on every request, and
//! the socket keeps the timeout it has. A timeout then fires at most a
//! millisecond after its budget ends, and a budget that has run out (none
//! left) stays at zero, which ureq refuses before any I/O.

use std::time::Duration as StdDuration;

use ureq::unversioned::transport::time::Duration;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// The last connector of a chain: wraps the transport it is given in
/// [`Rounded`].
#[derive(Debug)]
pub(crate) struct WholeMillis;

impl<In: Transport> Connector<In> for WholeMillis {
    type Out = Rounded<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(Rounded))
    }
}

/// A transport whose every timeout is rounded up to whole milliseconds
/// before it reaches the transport underneath (TLS, then TCP).
#[derive(Debug)]
pub(crate) struct Rounded<T>(T);

impl<T: Transport> Transport for Rounded<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.0.transmit_output(amount, rounded(timeout))
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.maybe_await_input(rounded(timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.await_input(rounded(timeout))
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

/// `timeout` with its time left, and its per-read and per-write limits,
/// rounded up to whole milliseconds.
fn rounded(timeout: NextTimeout) -> NextTimeout {
    NextTimeout {
        after: up(timeout.after),
        per_read: timeout.per_read.map(up),
        per_write: timeout.per_write.map(up),
        ..timeout
    }
}

/// ureq's `duration` rounded up to whole milliseconds (never stays never).
fn up(duration: Duration) -> Duration {
    match duration {
        Duration::Exact(left) => Duration::Exact(up_to_millis(left)),
        Duration::NotHappening => Duration::NotHappening,
    }
}

/// `duration` rounded up to whole milliseconds (zero stays zero).
fn up_to_millis(duration: StdDuration) -> StdDuration {
    const MILLI: u32 = 1_000_000;
    let nanos = duration.subsec_nanos();
    let whole = nanos.div_ceil(MILLI) * MILLI;
    if whole == nanos {
        return duration;
    }
    let (secs, nanos) = if whole == 1_000_000_000 {
        (duration.as_secs().saturating_add(1), 0)
    } else {
        (duration.as_secs(), whole)
    };
    StdDuration::new(secs, nanos)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ureq::Timeout;

    #[test]
    fn time_left_is_rounded_up_to_whole_milliseconds() {
        let ms = StdDuration::from_millis;
        assert_eq!(
            up_to_millis(ms(60_000) - StdDuration::from_nanos(37_123)),
            ms(60_000)
        );
        assert_eq!(up_to_millis(ms(60_000)), ms(60_000));
        assert_eq!(up_to_millis(StdDuration::from_nanos(1)), ms(1));
        assert_eq!(up_to_millis(StdDuration::ZERO), StdDuration::ZERO);
        assert_eq!(
            up_to_millis(StdDuration::new(4, 999_000_001)),
            StdDuration::from_secs(5)
        );
        assert_eq!(
            up_to_millis(StdDuration::new(u64::MAX, 999_999_999)),
            StdDuration::new(u64::MAX, 0)
        );
    }

    #[test]
    fn every_limit_of_a_timeout_is_rounded_and_its_reason_kept() {
        let timeout = NextTimeout {
            after: Duration::Exact(StdDuration::from_micros(59_999_950)),
            reason: Timeout::RecvResponse,
            per_read: Some(Duration::Exact(StdDuration::from_micros(1_500))),
            per_write: None,
        };
        let rounded = rounded(timeout);
        assert_eq!(rounded.after, Duration::Exact(StdDuration::from_secs(60)));
        assert_eq!(rounded.reason, Timeout::RecvResponse);
        assert_eq!(rounded.per_read, Some(Duration::from_millis(2)));
        assert_eq!(rounded.per_write, None);
        let never = NextTimeout {
            after: Duration::NotHappening,
            ..timeout
        };
        assert_eq!(super::rounded(never).after, Duration::NotHappening);
    }
}
