//! The client's one access token, shared by every thread, with a single-flight refresh: when the
//! token is missing, about to expire or rejected by a 401, exactly one thread fetches a new one
//! and the others wait for that fetch's result (token or error), never N token requests.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::auth::Token;
use super::ApiError;
use crate::cancel::Cancel;
use crate::secret::Secret;

/// How often a thread waiting for another's fetch looks at its own cancel flag.
const CANCEL_CHECK: Duration = Duration::from_millis(50);

/// A finished fetch: the token's value and generation, or why it failed.
type Outcome = Result<(Secret, u64), ApiError>;

#[derive(Default)]
struct State {
    /// The token and its generation (bumped at every successful fetch).
    token: Option<(Token, u64)>,
    generation: u64,
    /// A fetch is in flight; its number.
    fetching: Option<u64>,
    fetches: u64,
    /// The result of the last finished fetch, by fetch number.
    last: Option<(u64, Outcome)>,
}

/// What [`TokenCell::get`] gives the caller.
pub enum Claim<'a> {
    /// A usable token and its generation (pass the generation to [`TokenCell::rejected`]).
    Ready(Secret, u64),
    /// No usable token and nobody fetching: the caller fetches and reports with
    /// [`Fetch::done`]. Dropping it unreported lets the next caller try.
    Fetch(Fetch<'a>),
    /// The fetch this caller waited for failed with this error.
    Failed(ApiError),
    /// The caller's cancel flag was raised while waiting for another thread's fetch.
    Cancelled,
}

/// The right (and duty) to fetch the token.
pub struct Fetch<'a> {
    cell: &'a TokenCell,
    number: u64,
    reported: bool,
}

impl Fetch<'_> {
    /// Stores the outcome and wakes the waiters; returns the new generation on success.
    pub fn done(mut self, outcome: Result<Token, ApiError>) -> Option<u64> {
        self.reported = true;
        let mut s = self.cell.lock();
        s.fetching = None;
        let (stored, generation) = match outcome {
            Ok(token) => {
                s.generation += 1;
                let generation = s.generation;
                let value = token.value().clone();
                s.token = Some((token, generation));
                (Ok((value, generation)), Some(generation))
            }
            Err(e) => (Err(e), None),
        };
        s.last = Some((self.number, stored));
        drop(s);
        self.cell.done.notify_all();
        generation
    }
}

impl Drop for Fetch<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.cell.lock().fetching = None;
            self.cell.done.notify_all();
        }
    }
}

/// The shared token.
#[derive(Default)]
pub struct TokenCell {
    state: Mutex<State>,
    done: Condvar,
}

impl TokenCell {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token if it is usable at `Instant::now()`; otherwise waits for a fetch in flight and
    /// takes its result (even a token already inside its renewal margin: it was just issued),
    /// or hands the caller the fetch.
    pub fn get(&self, cancel: &Cancel) -> Claim<'_> {
        let mut s = self.lock();
        let mut waited_for: Option<u64> = None;
        loop {
            if let Some((number, result)) = &s.last {
                if Some(*number) == waited_for {
                    return match result {
                        Ok((value, generation)) => Claim::Ready(value.clone(), *generation),
                        Err(e) => Claim::Failed(e.clone()),
                    };
                }
            }
            if let Some((token, generation)) = &s.token {
                if !token.needs_renewal(Instant::now()) {
                    return Claim::Ready(token.value().clone(), *generation);
                }
            }
            match s.fetching {
                Some(number) => {
                    waited_for = Some(number);
                    if cancel.is_cancelled() {
                        return Claim::Cancelled;
                    }
                    s = self
                        .done
                        .wait_timeout(s, CANCEL_CHECK)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|p| p.into_inner().0);
                }
                None if waited_for.is_some() => {
                    // The fetch we waited for ended unreported (its caller was cancelled).
                    waited_for = None;
                }
                None => {
                    s.token = None;
                    s.fetches += 1;
                    let number = s.fetches;
                    s.fetching = Some(number);
                    return Claim::Fetch(Fetch {
                        cell: self,
                        number,
                        reported: false,
                    });
                }
            }
        }
    }

    /// A request made with token `generation` was answered 401: that token is dropped, unless a
    /// newer one replaced it already (then nothing happens: one refresh serves every thread).
    /// Returns the newest generation fetched so far: a token of a later one was fetched after
    /// this 401.
    pub fn rejected(&self, generation: u64) -> u64 {
        let mut s = self.lock();
        if s.token.as_ref().is_some_and(|(_, g)| *g == generation) {
            s.token = None;
        }
        s.generation
    }

    /// Drops the token whatever its generation; the next call fetches a new one.
    pub fn invalidate(&self) {
        self.lock().token = None;
    }

    /// The current token's value (to keep it out of messages).
    pub fn current(&self) -> Option<Secret> {
        self.lock().token.as_ref().map(|(t, _)| t.value().clone())
    }
}
