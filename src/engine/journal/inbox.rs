//! The writer thread's inbox: requests in the order they were handed over, and a doorbell
//! rung only when the writer must wake for them.
//!
//! A channel wakes its receiver for every message. While the writer sleeps until a group's
//! deadline, a completion that may wait (`When::Soon`) does not need it awake: it is committed
//! with the group at the deadline anyway. Each such wake-up cost a `futex` call on the engine's
//! thread, which the kernel often answered by switching to the writer there and then, and a
//! sleep and wake of the writer: 19 % of a 1,000-room check-out's context switches came
//! straight from that call (issue 25). The bell rings for a write that may not wait (unless
//! one that waits already set an earlier deadline), for a group that is full, for compaction
//! and for the close; and for anything while the writer sleeps with nothing waiting.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::writer::{GROUP_MAX, Request, When};

/// The queue between the journal's handles and its writer thread.
#[derive(Default)]
pub(super) struct Inbox {
    state: Mutex<State>,
    bell: Condvar,
}

#[derive(Default)]
struct State {
    requests: VecDeque<Request>,
    /// Every handle is gone: the writer ends once the requests are taken.
    closed: bool,
    sleep: Sleep,
}

/// What the writer is doing, as far as a sender needs to know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Sleep {
    /// Awake: it looks at the queue before it sleeps again.
    #[default]
    Awake,
    /// Asleep with nothing waiting: anything wakes it.
    Idle,
    /// Asleep until a deadline, with `waiting` writes held for it; `urgent`: one of them may
    /// not wait (its deadline is the nearer).
    Until { waiting: usize, urgent: bool },
}

/// Held by the writer thread: shuts the inbox when the thread ends, however it ends (a panic
/// too).
pub(super) struct ShutOnExit(pub(super) std::sync::Arc<Inbox>);

impl Drop for ShutOnExit {
    fn drop(&mut self) {
        self.0.shut();
    }
}

/// What the writer finds in its inbox.
pub(super) enum Taken {
    /// The requests that came (none: its patience ran out first).
    Requests(Vec<Request>),
    /// Every handle is gone and nothing is left.
    Closed,
}

/// What the writer holds while it sleeps, which decides what wakes it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Held {
    /// Writes waiting for their commit.
    pub(super) waiting: usize,
    /// One of them may not wait.
    pub(super) urgent: bool,
}

impl Inbox {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it; a poisoned queue is still a queue.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `request`; wakes the writer if it must see it before its deadline. `Err` gives
    /// the request back once the inbox is closed.
    pub(super) fn send(&self, request: Request) -> Result<(), Request> {
        let mut state = self.state();
        if state.closed {
            return Err(request);
        }
        let ring = match state.sleep {
            Sleep::Awake => false,
            Sleep::Idle => true,
            Sleep::Until { waiting, urgent } => match &request {
                Request::Write(_, When::Soon, _) => waiting + state.requests.len() + 1 >= GROUP_MAX,
                Request::Write(_, When::Now, _) => !urgent,
                Request::Compact(_) => true,
            },
        };
        state.requests.push_back(request);
        if ring {
            // Once: the requests that follow before it runs need no bell of their own.
            state.sleep = Sleep::Awake;
        }
        drop(state);
        if ring {
            self.bell.notify_one();
        }
        Ok(())
    }

    /// No more requests: the writer takes what is queued, then ends.
    pub(super) fn close(&self) {
        self.state().closed = true;
        self.bell.notify_one();
    }

    /// Shuts the inbox for good: what is still queued is dropped, so that its senders hear
    /// that the writer is gone instead of waiting for ever.
    fn shut(&self) {
        let left = {
            let mut state = self.state();
            state.closed = true;
            std::mem::take(&mut state.requests)
        };
        drop(left);
    }

    /// The requests queued, at most `most`; if there are none, waits for them, at most
    /// `patience` (`None`: until one comes), holding `held`.
    pub(super) fn take(&self, patience: Option<Duration>, held: Held, most: usize) -> Taken {
        let deadline = patience.map(|patience| Instant::now() + patience);
        let mut state = self.state();
        loop {
            if !state.requests.is_empty() {
                state.sleep = Sleep::Awake;
                let count = state.requests.len().min(most.max(1));
                return Taken::Requests(state.requests.drain(..count).collect());
            }
            if state.closed {
                state.sleep = Sleep::Awake;
                return Taken::Closed;
            }
            state.sleep = if held.waiting == 0 {
                Sleep::Idle
            } else {
                Sleep::Until {
                    waiting: held.waiting,
                    urgent: held.urgent,
                }
            };
            state = match deadline {
                None => self
                    .bell
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        state.sleep = Sleep::Awake;
                        return Taken::Requests(Vec::new());
                    }
                    self.bell
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::journal::writer::Work;

    fn write(when: When) -> Request {
        let (reply, _) = tokio::sync::oneshot::channel();
        Request::Write(Work::Txn(Box::new(|_| Ok(()))), when, reply)
    }

    fn rings(sleep: Sleep, queued: usize, request: Request) -> bool {
        let inbox = Inbox::default();
        {
            let mut state = inbox.state();
            for _ in 0..queued {
                state.requests.push_back(write(When::Soon));
            }
            state.sleep = sleep;
        }
        assert!(inbox.send(request).is_ok());
        inbox.state().sleep == Sleep::Awake && sleep != Sleep::Awake
    }

    /// Whom the bell wakes: the writer with nothing waiting for anything; the writer waiting
    /// for a deadline only for what must not wait for it.
    #[test]
    fn the_bell_rings_only_for_what_must_not_wait_for_the_writer_s_deadline() {
        let until = |waiting, urgent| Sleep::Until { waiting, urgent };
        assert!(rings(Sleep::Idle, 0, write(When::Soon)));
        assert!(!rings(until(3, false), 0, write(When::Soon)));
        assert!(!rings(until(3, true), 0, write(When::Soon)));
        // The group is full with this one.
        assert!(rings(until(GROUP_MAX - 1, false), 0, write(When::Soon)));
        assert!(rings(until(GROUP_MAX - 3, false), 2, write(When::Soon)));
        assert!(!rings(until(GROUP_MAX - 3, false), 1, write(When::Soon)));
        // A write that may not wait, unless one already set the nearer deadline.
        assert!(rings(until(3, false), 0, write(When::Now)));
        assert!(!rings(until(3, true), 0, write(When::Now)));
        let (reply, _) = tokio::sync::oneshot::channel();
        assert!(rings(until(3, true), 0, Request::Compact(reply)));
        // Awake: it looks at the queue before it sleeps, no bell needed.
        assert!(!rings(Sleep::Awake, 0, write(When::Now)));
    }

    /// The writer takes the requests in the order they came, at most as many as it asks for;
    /// a close lets it take what is left before it ends; a closed inbox refuses requests.
    #[test]
    fn requests_are_taken_in_order_and_a_close_ends_after_them() {
        let inbox = Inbox::default();
        for when in [When::Soon, When::Now, When::Soon] {
            assert!(inbox.send(write(when)).is_ok());
        }
        let whens = |taken: Taken| match taken {
            Taken::Requests(requests) => requests
                .iter()
                .map(|request| match request {
                    Request::Write(_, when, _) => Some(*when),
                    Request::Compact(_) => None,
                })
                .collect::<Vec<_>>(),
            Taken::Closed => panic!("closed"),
        };
        assert_eq!(
            whens(inbox.take(None, Held::default(), 2)),
            [Some(When::Soon), Some(When::Now)]
        );
        inbox.close();
        assert!(inbox.send(write(When::Now)).is_err());
        assert_eq!(
            whens(inbox.take(None, Held::default(), 8)),
            [Some(When::Soon)]
        );
        assert!(matches!(
            inbox.take(None, Held::default(), 8),
            Taken::Closed
        ));
    }

    /// A writer waiting for its deadline wakes for a write that may not wait, long before its
    /// deadline; its patience running out gives it nothing.
    #[test]
    fn a_sleeping_writer_wakes_for_a_write_that_may_not_wait() {
        let inbox = Arc::new(Inbox::default());
        let held = Held {
            waiting: 1,
            urgent: false,
        };
        assert!(matches!(
            inbox.take(Some(Duration::from_millis(1)), held, 8),
            Taken::Requests(requests) if requests.is_empty()
        ));
        let writer = {
            let inbox = Arc::clone(&inbox);
            std::thread::spawn(move || {
                // Long enough that only the bell ends it within the test.
                inbox.take(Some(Duration::from_secs(600)), held, 8)
            })
        };
        while inbox.state().sleep == Sleep::Awake {
            std::thread::yield_now();
        }
        assert!(inbox.send(write(When::Now)).is_ok());
        match writer.join().expect("the writer thread") {
            Taken::Requests(requests) => assert_eq!(requests.len(), 1),
            Taken::Closed => panic!("closed"),
        }
    }
}
