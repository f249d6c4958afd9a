//! The writer thread's inbox: requests in the order they were handed over, and a doorbell
//! rung only when the writer must wake for them.
//!
//! A channel wakes its receiver for every message. While the writer sleeps until a group's
//! deadline, a completion that may wait (`When::Soon`) does not need it awake: it is committed
//! with the group at the deadline anyway. Each such wake-up cost a `futex` call on the engine's
//! thread, which the kernel often answered by switching to the writer there and then, and a
//! sleep and wake of the writer: 19 % of a 1,000-room check-out's context switches came
//! straight from that call (issue 25). The bell rings for a write that may not wait (unless
//! a write that may not wait is already held: its deadline is the nearer), for a group that is
//! full, for compaction and for the close; for anything while the writer sleeps with nothing
//! waiting; and when the commands running drop to one while a write that may not wait is held
//! (it then waits for no one: `Running`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::writer::{GROUP_MAX, Request, When};

/// The queue between the journal's handles and its writer thread.
#[derive(Default)]
pub(super) struct Inbox {
    state: Mutex<State>,
    bell: Condvar,
    /// How many commands are running (`Journal::running`).
    running: AtomicUsize,
}

#[derive(Default)]
struct State {
    requests: VecDeque<Request>,
    /// Every handle is gone: the writer ends once the requests are taken.
    closed: bool,
    sleep: Sleep,
}

impl State {
    /// Whether `request`, queued now, must wake the writer.
    fn rings(&self, request: &Request) -> bool {
        match self.sleep {
            Sleep::Awake => false,
            // Nothing waits: anything wakes it.
            Sleep::Asleep(Held { waiting: 0, .. }) => true,
            Sleep::Asleep(Held { waiting, urgent }) => match request {
                Request::Write(_, when, _) => {
                    (*when == When::Now && !urgent)
                        || waiting + self.requests.len() + 1 >= GROUP_MAX
                }
                Request::Compact(_) => true,
            },
        }
    }

    /// Wakes the writer, from here on awake: it looks at the queue before it sleeps again.
    fn ring(&mut self, bell: &Condvar) {
        self.sleep = Sleep::Awake;
        bell.notify_one();
    }
}

/// What the writer is doing, as far as a sender needs to know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Sleep {
    /// Awake: it looks at the queue before it sleeps again.
    #[default]
    Awake,
    /// Asleep, holding these writes (until a deadline, if any).
    Asleep(Held),
}

/// Held by the writer thread: shuts the inbox when the thread ends, however it ends (a panic
/// too).
pub(super) struct ShutOnExit(pub(super) Arc<Inbox>);

impl Drop for ShutOnExit {
    fn drop(&mut self) {
        self.0.shut();
    }
}

/// What the writer finds in its inbox.
pub(super) enum Taken {
    /// The requests that came.
    Requests(Vec<Request>),
    /// Its patience ran out first.
    TimedOut,
    /// Nothing came, but what it holds may be due sooner now (`Running`).
    Woken,
    /// Every handle is gone and nothing is left.
    Closed,
}

/// A command running, counted while this lives (`Journal::running`).
pub(crate) struct Running(Arc<Inbox>);

impl Drop for Running {
    fn drop(&mut self) {
        // The last other command is done: a write that may not wait waits for no one now.
        if self.0.running.fetch_sub(1, Ordering::Relaxed) <= 2 {
            let mut state = self.0.state();
            if let Sleep::Asleep(Held { urgent: true, .. }) = state.sleep {
                state.ring(&self.0.bell);
            }
        }
    }
}

/// What the writer holds while it sleeps, which decides what wakes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
        let ring = state.rings(&request);
        state.requests.push_back(request);
        if ring {
            // Once: the requests that follow before it runs need no bell of their own.
            state.ring(&self.bell);
        }
        Ok(())
    }

    /// No more requests: the writer takes what is queued, then ends.
    pub(super) fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        state.ring(&self.bell);
    }

    /// Counts a command as running while what this returns lives.
    pub(super) fn running(self: &Arc<Self>) -> Running {
        self.running.fetch_add(1, Ordering::Relaxed);
        Running(Arc::clone(self))
    }

    /// How many commands are running.
    pub(super) fn running_now(&self) -> usize {
        self.running.load(Ordering::Relaxed)
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

    /// The requests queued, at least one and at most `most` (if larger than one); if there are
    /// none, waits for them, at most `patience` (`None`: until one comes), holding `held`.
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
            state.sleep = Sleep::Asleep(held);
            state = match deadline {
                None => self
                    .bell
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        state.sleep = Sleep::Awake;
                        return Taken::TimedOut;
                    }
                    self.bell
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            if state.sleep == Sleep::Awake && state.requests.is_empty() && !state.closed {
                return Taken::Woken;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::journal::JournalError;
    use crate::engine::journal::writer::Work;

    /// A write, and what its writer hears.
    fn write(
        when: When,
    ) -> (
        Request,
        tokio::sync::oneshot::Receiver<Result<(), JournalError>>,
    ) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        (
            Request::Write(Work::Txn(Box::new(|_| Ok(()))), when, reply),
            answer,
        )
    }

    fn rings(sleep: Sleep, queued: usize, request: &Request) -> bool {
        let mut state = State {
            sleep,
            ..State::default()
        };
        for _ in 0..queued {
            state.requests.push_back(write(When::Soon).0);
        }
        state.rings(request)
    }

    /// Whom the bell wakes: the writer with nothing waiting, for anything; the writer waiting
    /// for a deadline, only for what must not wait for it; the writer awake, never.
    #[test]
    fn the_bell_rings_only_for_what_must_not_wait_for_the_writer_s_deadline() {
        let until = |waiting, urgent| Sleep::Asleep(Held { waiting, urgent });
        let soon = write(When::Soon).0;
        let now = write(When::Now).0;
        assert!(rings(until(0, false), 0, &soon));
        assert!(!rings(until(3, false), 0, &soon));
        assert!(!rings(until(3, true), 0, &soon));
        // The group is full with this one, whatever it is.
        assert!(rings(until(GROUP_MAX - 1, false), 0, &soon));
        assert!(rings(until(GROUP_MAX - 3, false), 2, &soon));
        assert!(!rings(until(GROUP_MAX - 3, false), 1, &soon));
        assert!(rings(until(GROUP_MAX - 1, true), 0, &now));
        // A write that may not wait, unless one already set the nearer deadline.
        assert!(rings(until(3, false), 0, &now));
        assert!(!rings(until(3, true), 0, &now));
        let (reply, _) = tokio::sync::oneshot::channel();
        assert!(rings(until(3, true), 0, &Request::Compact(reply)));
        // Awake: it looks at the queue before it sleeps.
        assert!(!rings(Sleep::Awake, 0, &now));
        assert!(!rings(Sleep::Awake, GROUP_MAX, &soon));
    }

    fn whens(taken: Taken) -> Vec<Option<When>> {
        match taken {
            Taken::Requests(requests) => requests
                .iter()
                .map(|request| match request {
                    Request::Write(_, when, _) => Some(*when),
                    Request::Compact(_) => None,
                })
                .collect(),
            Taken::TimedOut | Taken::Woken => panic!("nothing taken"),
            Taken::Closed => panic!("closed"),
        }
    }

    /// The writer takes the requests in the order they came, at most as many as it asks for;
    /// a close lets it take what is left before it ends; a closed inbox refuses requests.
    #[test]
    fn requests_are_taken_in_order_and_a_close_ends_after_them() {
        let inbox = Inbox::default();
        for when in [When::Soon, When::Now, When::Soon] {
            assert!(inbox.send(write(when).0).is_ok());
        }
        assert_eq!(
            whens(inbox.take(None, Held::default(), 2)),
            [Some(When::Soon), Some(When::Now)]
        );
        inbox.close();
        assert!(inbox.send(write(When::Now).0).is_err());
        assert_eq!(
            whens(inbox.take(None, Held::default(), 8)),
            [Some(When::Soon)]
        );
        assert!(matches!(
            inbox.take(None, Held::default(), 8),
            Taken::Closed
        ));
        assert!(matches!(
            inbox.take(Some(Duration::ZERO), Held::default(), 8),
            Taken::Closed
        ));
    }

    /// A writer gone (its thread ended, however) leaves no sender waiting: what was queued
    /// is dropped, and its writer hears so.
    #[test]
    fn a_shut_inbox_drops_what_waits_in_it() {
        let inbox = Arc::new(Inbox::default());
        let (request, mut answer) = write(When::Now);
        assert!(inbox.send(request).is_ok());
        drop(ShutOnExit(Arc::clone(&inbox)));
        assert!(matches!(
            answer.try_recv(),
            Err(tokio::sync::oneshot::error::TryRecvError::Closed)
        ));
        assert!(inbox.send(write(When::Soon).0).is_err());
    }

    /// How long a sleeping writer slept before `wake` woke it: far less than its patience.
    fn woken_by(held: Held, wake: impl FnOnce(&Arc<Inbox>)) -> (Duration, Taken) {
        let inbox = Arc::new(Inbox::default());
        let started = Instant::now();
        let writer = {
            let inbox = Arc::clone(&inbox);
            std::thread::spawn(move || inbox.take(Some(Duration::from_secs(60)), held, 8))
        };
        while inbox.state().sleep == Sleep::Awake {
            std::thread::yield_now();
        }
        wake(&inbox);
        let taken = writer.join().expect("the writer thread");
        (started.elapsed(), taken)
    }

    /// A writer waiting for its deadline wakes, long before it, for a write that may not
    /// wait, for the close, and, holding such a write, when the commands running drop to one.
    #[test]
    fn a_sleeping_writer_wakes_for_what_must_not_wait() {
        // Without the bell each would sleep its 60 s of patience.
        let asleep = Duration::from_secs(30);
        let held = Held {
            waiting: 1,
            urgent: false,
        };
        let (slept, taken) = woken_by(held, |inbox| {
            assert!(inbox.send(write(When::Now).0).is_ok());
        });
        assert!(slept < asleep, "{slept:?}");
        assert_eq!(whens(taken), [Some(When::Now)]);
        let (slept, taken) = woken_by(held, |inbox| inbox.close());
        assert!(slept < asleep, "{slept:?}");
        assert!(matches!(taken, Taken::Closed));
        let urgent = Held {
            waiting: 1,
            urgent: true,
        };
        let (slept, taken) = woken_by(urgent, |inbox| {
            let (one, two) = (inbox.running(), inbox.running());
            drop(one);
            assert_eq!(inbox.running_now(), 1);
            // The last other command is done: the bell rings, and the writer, with nothing new,
            // looks again at when what it holds is due.
            drop(two);
        });
        assert!(slept < asleep, "{slept:?}");
        assert!(matches!(taken, Taken::Woken));
    }

    /// Nothing waits: the patience runs out with nothing taken.
    #[test]
    fn a_writer_whose_patience_runs_out_takes_nothing() {
        let inbox = Inbox::default();
        let held = Held {
            waiting: 1,
            urgent: false,
        };
        assert!(matches!(
            inbox.take(Some(Duration::from_millis(1)), held, 8),
            Taken::TimedOut
        ));
    }
}
