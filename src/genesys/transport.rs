//! The transport under every Genesys Cloud call, wrapped to spend fewer system calls per request
//! (each one on a loopback connection also runs the receiver's network stack in the sending
//! thread: `BENCHMARKS.md`, session 9). [`Coalesce`] wraps the transport ureq's default connector
//! makes (proxies, TCP, TLS: that chain is unchanged) in [`Coalesced`], which does three things:
//!
//! - **One write per request.** ureq sends a request's head and its body in separate writes (a
//!   TLS connection then seals them in separate records): every POST, PUT or PATCH cost two TCP
//!   segments, 16 % of the plugin's CPU in an initial sync. Small writes are held back until
//!   ureq waits for the answer, then sent as one. Nothing is held past that moment (every
//!   exchange ends by reading its answer, and a read sends what is held first); a write that
//!   would hold more than [`HOLD_AT_MOST`] is sent at once, so a large body streams as before.
//!   A connection with bytes held back is never reported open (it cannot go back to the pool
//!   half-sent).
//! - **One liveness probe per request, not two.** ureq probes a connection (a non-blocking
//!   read between two `ioctl`s: three system calls) when it goes back to its pool after an
//!   answer and again when it is taken out for the next request. The second probe sees
//!   everything the first would have (bytes the server sent after its answer, a close) and more
//!   (what happened while the connection was idle), so the first is answered without a probe:
//!   the first liveness question after an answer was read is "open". The probe before a request
//!   is sent stays: it is what keeps a write off a connection the server has closed. (ureq
//!   3.5 asks only in these two places; `a_connection_the_server_closed_while_idle_is_not_reused`
//!   fails if a later version stops probing before a request.)
//! - **Socket timeouts that do not change on every call.** ureq hands each read and write the
//!   time left of the request's `request_timeout`, which is different every time, so the socket's
//!   timeout was set again (`setsockopt`) before every read and write. The time left is passed
//!   down rounded down to [`TIMEOUT_GRID`] (from 1 s up; below it, as it is): consecutive requests
//!   hand the socket the same value and ureq sets it once. A stalled request therefore times out
//!   at most [`TIMEOUT_GRID`] before `request_timeout`, never after.

use std::time::Duration;
use ureq::unversioned::transport::time::Duration as Remaining;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};
use ureq::Error;

/// The most bytes held back; a write past it is sent at once with what was held.
pub const HOLD_AT_MOST: usize = 16 * 1024;

/// The step socket timeouts are rounded down to (see the module docs).
pub const TIMEOUT_GRID: Duration = Duration::from_millis(250);

/// `timeout` with its time left rounded down to [`TIMEOUT_GRID`], when it is 1 s or more.
pub fn on_grid(mut timeout: NextTimeout) -> NextTimeout {
    if let Remaining::Exact(left) = timeout.after {
        if left >= Duration::from_secs(1) {
            let grid = TIMEOUT_GRID.as_millis();
            let ms = left.as_millis() / grid * grid;
            timeout.after = Remaining::Exact(Duration::from_millis(ms as u64));
        }
    }
    timeout
}

/// The connector that wraps every transport of the chain before it in [`Coalesced`].
#[derive(Debug, Default)]
pub struct Coalesce;

impl<In: Transport> Connector<In> for Coalesce {
    type Out = Coalesced<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        Ok(chained.map(Coalesced::new))
    }
}

/// A transport whose writes are sent together when it is next read (see the module docs).
#[derive(Debug)]
pub struct Coalesced<T> {
    inner: T,
    held: Vec<u8>,
    /// An answer was read and nothing was sent since: the next liveness question is the one
    /// ureq asks as the connection goes back to its pool.
    answered: bool,
}

impl<T: Transport> Coalesced<T> {
    /// Wraps `inner`, holding nothing yet.
    pub fn new(inner: T) -> Coalesced<T> {
        Coalesced {
            inner,
            held: Vec::new(),
            answered: false,
        }
    }

    /// Sends what is held, through the inner transport's output buffer (in as many writes as
    /// that buffer's size needs). What is held is let go even when sending fails: the
    /// connection is not used again after an error.
    fn send_held(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        let mut at = 0;
        let mut result = Ok(());
        while at < self.held.len() {
            let out = self.inner.buffers().output();
            let n = out.len().min(self.held.len() - at);
            if n == 0 {
                break;
            }
            out[..n].copy_from_slice(&self.held[at..at + n]);
            result = self.inner.transmit_output(n, timeout);
            if result.is_err() {
                break;
            }
            at += n;
        }
        self.held.clear();
        if self.held.capacity() > HOLD_AT_MOST * 2 {
            self.held.shrink_to(HOLD_AT_MOST);
        }
        result
    }
}

impl<T: Transport> Coalesced<T> {
    /// A read (`how`: ureq's `await_input` or `maybe_await_input` of the inner transport),
    /// after sending what is held.
    fn read(
        &mut self,
        timeout: NextTimeout,
        how: impl FnOnce(&mut T, NextTimeout) -> Result<bool, Error>,
    ) -> Result<bool, Error> {
        let timeout = on_grid(timeout);
        if !self.held.is_empty() {
            self.send_held(timeout)?;
        }
        let read = how(&mut self.inner, timeout)?;
        self.answered = true;
        Ok(read)
    }
}

impl<T: Transport> Transport for Coalesced<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.answered = false;
        let out = &self.inner.buffers().output()[..amount];
        self.held.extend_from_slice(out);
        if self.held.len() > HOLD_AT_MOST {
            return self.send_held(on_grid(timeout));
        }
        Ok(())
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.read(timeout, T::maybe_await_input)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.read(timeout, T::await_input)
    }

    fn is_open(&mut self) -> bool {
        if !self.held.is_empty() {
            return false;
        }
        // The question ureq asks as the connection goes back to its pool: the one it asks
        // before the next request probes (module docs).
        if std::mem::take(&mut self.answered) {
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests;
