//! Which commands may run at the same time. Two commands conflict when they touch the same room,
//! or when both change DID assignments in ways that could interact; conflicting commands run in
//! journal order, everything else concurrently. Conflict-ordered execution gives exactly the
//! PBX state of sequential execution (the schedule is conflict-serializable in script order).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

use crate::lang::validate::{Action, CheckIn, DidRequest};

/// What a command holds while it runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Room(String),
    /// The DID assignments of one DID pool (with number transfer on): a PBX's, or those of
    /// PBXs whose number transfer ranges overlap (`Driver::did_pool`).
    Dids(usize),
    /// One DID of a pool, as check-ins that claim DIDs hold it (`Access::Claim`).
    Did(usize, String),
}

/// How a command uses a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Only takes DIDs away (check-out, `DID x NONE`): such commands do not affect each other.
    Release,
    /// A check-in that names its DID: it gives its room that DID and takes away the one the
    /// room had. Such check-ins do not affect each other as long as they touch different DIDs,
    /// so each also holds those two DIDs alone (`Key::Did`), and they run together.
    Claim,
    /// Anything else, including every command that lets the PBX choose a DID: it may depend on
    /// which DIDs are free, so it runs alone among DID-changing commands.
    Exclusive,
}

impl Access {
    fn compatible(self, other: Access) -> bool {
        matches!(
            (self, other),
            (Access::Release, Access::Release) | (Access::Claim, Access::Claim)
        )
    }
}

/// What is known of the DID of a check-in's room when it is admitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RoomDid {
    /// An earlier command on the room has not settled: it may change it.
    Unknown,
    /// As the journal has it (`None`: none that hotelcare gave). A DID given to the room on
    /// the PBX by someone else is not known: a check-in that takes it away, run beside one
    /// that names it, can make the second one refused ("held by another room") where running
    /// them in order would not, or the other way round; either way the PBX is left consistent.
    Known(Option<String>),
}

/// The keys of a command whose PBXs have the DID pools `pools`; `room_did`: what is known of
/// its room's DID (only a check-in that names its DID asks). Without number transfer nothing
/// touches `Dids`.
pub(crate) fn accesses(
    action: &Action,
    number_transfer: bool,
    pools: &[usize],
    room_did: &RoomDid,
) -> Vec<(Key, Access)> {
    let room = |r: &String| (Key::Room(r.clone()), Access::Exclusive);
    let dids =
        |access| number_transfer.then(|| pools.iter().map(move |&pool| (Key::Dids(pool), access)));
    match action {
        Action::CheckIn(CheckIn {
            room: r,
            did,
            replace,
            ..
        }) => {
            if let (Some(DidRequest::Number(claimed)), RoomDid::Known(had), true) =
                (did, room_did, number_transfer)
            {
                let mut keys = vec![room(r)];
                for &pool in pools {
                    keys.push((Key::Dids(pool), Access::Claim));
                    for did in std::iter::once(claimed).chain(had.iter().filter(|h| *h != claimed))
                    {
                        keys.push((Key::Did(pool, did.clone()), Access::Exclusive));
                    }
                }
                return keys;
            }
            let pool = match (did, replace) {
                (Some(DidRequest::Auto | DidRequest::Number(_)), _) => dids(Access::Exclusive),
                // Checking out whoever is there only takes a DID away.
                (None, true) => dids(Access::Release),
                (None, false) => None,
            };
            std::iter::once(room(r))
                .chain(pool.into_iter().flatten())
                .collect()
        }
        Action::CheckOut { room: r } => std::iter::once(room(r))
            .chain(dids(Access::Release).into_iter().flatten())
            .collect(),
        Action::SetDid { room: r, did } => {
            let access = if did.is_some() {
                Access::Exclusive
            } else {
                Access::Release
            };
            std::iter::once(room(r))
                .chain(dids(access).into_iter().flatten())
                .collect()
        }
        Action::Move { from, to } => [room(from), room(to)]
            .into_iter()
            .chain(dids(Access::Exclusive).into_iter().flatten())
            .collect(),
        Action::Cos { room: r, .. }
        | Action::Rename { room: r, .. }
        | Action::SetFlag { room: r, .. }
        | Action::Wakeup { room: r, .. }
        | Action::Limit { room: r, .. }
        | Action::Show { room: r } => vec![room(r)],
        Action::Test => Vec::new(),
    }
}

/// How a command ended, as its successors need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Done or failed: successors may run.
    Finished,
    /// Still pending (the PBX is unreachable): successors must wait for a later run.
    Held,
}

/// A running command's signal: `None` while it runs.
pub(crate) type Signal = watch::Receiver<Option<Settled>>;

/// What those after a command wait for: its signal, told once it is reported done (its
/// completion durable), failed or held.
pub(crate) struct Signals {
    pub(crate) settled: Signal,
    /// Set once a later command waits for it: its completion is then committed at once instead
    /// of waiting a few milliseconds for company, since that command cannot start before.
    pub(crate) awaited: Arc<AtomicBool>,
}

/// A command that holds a key.
struct Holder {
    access: Access,
    signal: Signal,
    awaited: Arc<AtomicBool>,
}

/// The unsettled holders of one key, as the last two runs of one access each (an exclusive
/// command is a run of its own). A command waits only for the run before its own: each of
/// those waited for the run before theirs (and is held if any of it was), so what came earlier
/// is waited for through them. Admitting a command so costs the run it waits for, not every
/// command still unsettled: a batch of a thousand check-outs admitted at once on one DID pool
/// made this quadratic (issue 25).
#[derive(Default)]
struct Holders {
    /// The run before `last`, of another access.
    before: Vec<Holder>,
    /// The latest run: commands of one access.
    last: Vec<Holder>,
    /// `last`'s length when its settled holders were last dropped.
    pruned: usize,
}

impl Holders {
    fn admit(&mut self, access: Access, signals: &Signals, wait: &mut Vec<Signal>) {
        let joins = self
            .last
            .first()
            .is_some_and(|first| first.access == access && access.compatible(access));
        let waited = if joins {
            &mut self.before
        } else {
            &mut self.last
        };
        waited.retain(|holder| !finished(holder));
        for holder in waited.iter() {
            wait.push(holder.signal.clone());
            holder.awaited.store(true, Ordering::Relaxed);
        }
        let holder = Holder {
            access,
            signal: signals.settled.clone(),
            awaited: Arc::clone(&signals.awaited),
        };
        if joins {
            self.last.push(holder);
            // Settled holders are dropped each time the run has doubled: amortised, not a
            // pass over the whole run per command.
            if self.last.len() > 2 * self.pruned + 8 {
                self.last.retain(|holder| !finished(holder));
                self.pruned = self.last.len();
            }
        } else {
            self.before = std::mem::replace(&mut self.last, vec![holder]);
            self.pruned = 0;
        }
    }

    /// Whether a holder has not settled (finished or held).
    fn unsettled(&mut self) -> bool {
        self.before.retain(|holder| !finished(holder));
        self.last.retain(|holder| !finished(holder));
        self.pruned = self.last.len();
        !(self.before.is_empty() && self.last.is_empty())
    }
}

/// The commands of the current run that have not settled, per key.
#[derive(Default)]
pub(crate) struct Tracker {
    running: HashMap<Key, Holders>,
}

fn finished(holder: &Holder) -> bool {
    matches!(*holder.signal.borrow(), Some(Settled::Finished))
}

impl Tracker {
    /// What is known of `room`'s DID now: what `journaled` says, unless an earlier command on
    /// the room has not settled.
    pub(crate) fn room_did(
        &mut self,
        room: &str,
        journaled: impl FnOnce() -> Option<Option<String>>,
    ) -> RoomDid {
        if let Some(holders) = self.running.get_mut(&Key::Room(room.to_owned()))
            && holders.unsettled()
        {
            return RoomDid::Unknown;
        }
        journaled().map_or(RoomDid::Unknown, RoomDid::Known)
    }

    /// Registers a command and returns the signals of the earlier commands it must wait for
    /// (and tells those that they are awaited). A command left queued (its PBX is down) still
    /// orders those after it: they are held behind it, even on another PBX (a move between
    /// two, a shared DID pool).
    pub(crate) fn admit(&mut self, keys: &[(Key, Access)], signals: &Signals) -> Vec<Signal> {
        let mut wait = Vec::new();
        for (key, access) in keys {
            self.running
                .entry(key.clone())
                .or_default()
                .admit(*access, signals, &mut wait);
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cor;
    use crate::lang::validate::Guest;

    impl Signals {
        fn same(signal: &Signal) -> Self {
            Self {
                settled: signal.clone(),
                awaited: Arc::default(),
            }
        }
    }

    fn checkout(room: &str) -> Action {
        Action::CheckOut { room: room.into() }
    }

    fn checkin(room: &str, did: Option<DidRequest>) -> Action {
        Action::CheckIn(CheckIn {
            room: room.into(),
            guest: Guest {
                last: "x".into(),
                first: String::new(),
                directory_name: "x".into(),
            },
            cor: Cor::new(1).unwrap(),
            did,
            replace: false,
            limit: crate::lang::validate::Limit::Default,
        })
    }

    fn admit_all(
        actions: &[Action],
        nt: bool,
    ) -> (Vec<usize>, Vec<watch::Sender<Option<Settled>>>) {
        let mut tracker = Tracker::default();
        let mut waits = Vec::new();
        let mut senders = Vec::new();
        for action in actions {
            let (tx, rx) = watch::channel(None);
            waits.push(
                tracker
                    .admit(
                        &accesses(action, nt, &[0], &RoomDid::Unknown),
                        &Signals::same(&rx),
                    )
                    .len(),
            );
            senders.push(tx);
        }
        (waits, senders)
    }

    /// Check-ins that name their DIDs run together unless they touch the same DID: the one
    /// named, or the one a room had and loses. A check-in whose room's DID is not known, one
    /// that lets the PBX choose, and check-outs still run in order with them.
    #[test]
    fn check_ins_that_name_different_dids_run_together() {
        let named = |room: &str, did: &str| checkin(room, Some(DidRequest::Number(did.into())));
        let known = |had: Option<&str>| RoomDid::Known(had.map(str::to_owned));
        let mut tracker = Tracker::default();
        let (_tx, rx) = watch::channel(None);
        let mut admit = |action: &Action, room_did: &RoomDid| {
            tracker
                .admit(&accesses(action, true, &[0], room_did), &Signals::same(&rx))
                .len()
        };
        assert_eq!(admit(&named("1", "3001"), &known(None)), 0);
        assert_eq!(admit(&named("2", "3002"), &known(None)), 0, "another DID");
        assert_eq!(
            admit(&named("3", "3003"), &known(Some("3001"))),
            1,
            "it takes 3001 away from its room: after the check-in that gives it"
        );
        assert_eq!(admit(&named("4", "3002"), &known(None)), 1, "the same DID");
        assert_eq!(
            admit(&named("5", "3005"), &RoomDid::Unknown),
            4,
            "its room's DID not known: after every one"
        );
        assert_eq!(
            admit(&named("6", "3006"), &known(None)),
            1,
            "after that one"
        );
        assert_eq!(
            admit(&checkout("7"), &RoomDid::Unknown),
            1,
            "a check-out after the check-in since the last exclusive one (and through it after \
             that one)"
        );
    }

    /// A command that a later one waits for is told so; one that nothing waits for is not.
    #[test]
    fn a_command_waited_for_is_told_so() {
        let mut tracker = Tracker::default();
        let (_tx, rx) = watch::channel(None);
        let signals = || Signals::same(&rx);
        let first = signals();
        tracker.admit(
            &accesses(&checkout("1"), true, &[0], &RoomDid::Unknown),
            &first,
        );
        let second = signals();
        tracker.admit(
            &accesses(&checkout("2"), true, &[0], &RoomDid::Unknown),
            &second,
        );
        assert!(
            !first.awaited.load(Ordering::Relaxed),
            "check-outs run together"
        );
        tracker.admit(
            &accesses(&checkout("1"), true, &[0], &RoomDid::Unknown),
            &signals(),
        );
        assert!(
            first.awaited.load(Ordering::Relaxed),
            "waited for on its room"
        );
        assert!(!second.awaited.load(Ordering::Relaxed));
        let give = Action::SetDid {
            room: "3".into(),
            did: Some("7000".into()),
        };
        tracker.admit(&accesses(&give, true, &[0], &RoomDid::Unknown), &signals());
        assert!(
            second.awaited.load(Ordering::Relaxed),
            "waited for on the DID pool"
        );
    }

    /// What is known of a room's DID: the journal's, unless a command on the room is unsettled.
    #[test]
    fn a_rooms_did_is_known_only_while_no_command_on_it_is_unsettled() {
        let mut tracker = Tracker::default();
        let journaled = || Some(Some("3001".to_owned()));
        assert_eq!(
            tracker.room_did("1", journaled),
            RoomDid::Known(Some("3001".into()))
        );
        let (done, rx) = watch::channel(None);
        tracker.admit(
            &accesses(&checkout("1"), true, &[0], &RoomDid::Unknown),
            &Signals::same(&rx),
        );
        assert_eq!(tracker.room_did("1", journaled), RoomDid::Unknown);
        assert_eq!(
            tracker.room_did("2", || None),
            RoomDid::Unknown,
            "unreadable"
        );
        done.send_replace(Some(Settled::Finished));
        assert_eq!(
            tracker.room_did("1", journaled),
            RoomDid::Known(Some("3001".into()))
        );
    }

    #[test]
    fn did_commands_of_two_pools_do_not_wait_for_each_other() {
        let give = |room: &str| Action::SetDid {
            room: room.into(),
            did: Some("7000".into()),
        };
        let mut tracker = Tracker::default();
        let (_tx, rx) = watch::channel(None);
        assert!(
            tracker
                .admit(
                    &accesses(&give("1"), true, &[0], &RoomDid::Unknown),
                    &Signals::same(&rx)
                )
                .is_empty()
        );
        assert!(
            tracker
                .admit(
                    &accesses(&give("2"), true, &[1], &RoomDid::Unknown),
                    &Signals::same(&rx)
                )
                .is_empty(),
            "another pool"
        );
        assert_eq!(
            tracker
                .admit(
                    &accesses(&give("3"), true, &[0], &RoomDid::Unknown),
                    &Signals::same(&rx)
                )
                .len(),
            1,
            "same pool"
        );
    }

    #[test]
    fn a_command_left_queued_still_orders_those_after_it() {
        let give = |room: &str| Action::SetDid {
            room: room.into(),
            did: Some("7000".into()),
        };
        let mut tracker = Tracker::default();
        let (held, rx) = watch::channel(None);
        tracker.admit(
            &accesses(&give("1"), true, &[0], &RoomDid::Unknown),
            &Signals::same(&rx),
        );
        held.send_replace(Some(Settled::Held));
        let (_tx, rx2) = watch::channel(None);
        assert_eq!(
            tracker
                .admit(
                    &accesses(&give("2"), true, &[0], &RoomDid::Unknown),
                    &Signals::same(&rx2)
                )
                .len(),
            1,
            "it waits for (and is held behind) the queued one"
        );
        let mut other = Tracker::default();
        let (done, rx3) = watch::channel(None);
        other.admit(
            &accesses(&give("1"), true, &[0], &RoomDid::Unknown),
            &Signals::same(&rx3),
        );
        done.send_replace(Some(Settled::Finished));
        assert!(
            other
                .admit(
                    &accesses(&give("2"), true, &[0], &RoomDid::Unknown),
                    &Signals::same(&rx3)
                )
                .is_empty()
        );
    }
    #[test]
    fn checkouts_of_different_rooms_run_together_even_with_number_transfer() {
        let (waits, _) = admit_all(&[checkout("1"), checkout("2"), checkout("3")], true);
        assert_eq!(waits, [0, 0, 0]);
    }

    #[test]
    fn same_room_waits() {
        let (waits, _) = admit_all(
            &[
                checkout("1"),
                Action::Cos {
                    room: "1".into(),
                    cor: Cor::new(2).unwrap(),
                },
            ],
            false,
        );
        assert_eq!(waits, [0, 1]);
    }

    #[test]
    fn giving_a_did_waits_for_every_release_before_it_and_blocks_later_ones() {
        let actions = [
            checkout("1"),
            checkout("2"),
            checkin("3", Some(DidRequest::Auto)),
            checkout("4"),
        ];
        let (waits, _) = admit_all(&actions, true);
        assert_eq!(waits, [0, 0, 2, 1]);
    }

    #[test]
    fn a_run_of_commands_on_one_key_waits_for_the_one_before_only() {
        let actions: Vec<Action> = (0..6)
            .map(|n| checkin(&n.to_string(), Some(DidRequest::Auto)))
            .collect();
        let (waits, _) = admit_all(&actions, true);
        assert_eq!(waits, [0, 1, 1, 1, 1, 1], "each through the one before it");
        let mut mixed = vec![checkin("9", Some(DidRequest::Auto))];
        mixed.extend([checkout("1"), checkout("2")]);
        mixed.push(checkin("8", Some(DidRequest::Auto)));
        let (waits, _) = admit_all(&mixed, true);
        assert_eq!(
            waits,
            [0, 1, 1, 2],
            "releases wait for the exclusive; the next exclusive for every release since (and \
             through them for the exclusive before)"
        );
    }

    /// The shortcut keeps what the full rule did: a command held (its PBX down) before the
    /// last exclusive one still holds what comes after, through it.
    #[test]
    fn a_held_command_before_the_last_exclusive_one_still_holds_those_after() {
        let give = |room: &str| Action::SetDid {
            room: room.into(),
            did: Some("7000".into()),
        };
        let mut tracker = Tracker::default();
        let (held, first) = watch::channel(None);
        tracker.admit(
            &accesses(&give("1"), true, &[0], &RoomDid::Unknown),
            &Signals::same(&first),
        );
        held.send_replace(Some(Settled::Held));
        let (second_tx, second) = watch::channel(None);
        let waits = tracker.admit(
            &accesses(&give("2"), true, &[0], &RoomDid::Unknown),
            &Signals::same(&second),
        );
        assert_eq!(waits.len(), 1);
        // The second is held because the first was: so is the third, through the second.
        second_tx.send_replace(Some(Settled::Held));
        let (_, third) = watch::channel(None);
        let waits = tracker.admit(
            &accesses(&give("3"), true, &[0], &RoomDid::Unknown),
            &Signals::same(&third),
        );
        assert_eq!(waits.len(), 1);
        assert_eq!(*waits[0].borrow(), Some(Settled::Held));
    }

    #[test]
    fn without_number_transfer_dids_are_not_a_key() {
        let actions = [
            checkout("1"),
            checkin("3", Some(DidRequest::Auto)),
            checkout("4"),
        ];
        let (waits, _) = admit_all(&actions, false);
        assert_eq!(waits, [0, 0, 0]);
    }

    /// A thousand check-outs admitted at once keep the tracker small as they settle, and a
    /// command after them waits for the ones still running only.
    #[test]
    fn a_long_run_of_releases_drops_its_settled_commands() {
        let mut tracker = Tracker::default();
        let mut running = Vec::new();
        for n in 0..1000 {
            let (tx, rx) = watch::channel(None);
            let waits = tracker.admit(
                &accesses(&checkout(&n.to_string()), true, &[0], &RoomDid::Unknown),
                &Signals::same(&rx),
            );
            assert!(waits.is_empty());
            running.push(tx);
            // Sixteen at a time, as `max_concurrency` runs them.
            if running.len() > 16 {
                running.remove(0).send_replace(Some(Settled::Finished));
            }
        }
        let pool = &tracker.running[&Key::Dids(0)];
        assert!(pool.last.len() <= 2 * 16 + 8, "{}", pool.last.len());
        let (_, rx) = watch::channel(None);
        let give = Action::SetDid {
            room: "x".into(),
            did: Some("7000".into()),
        };
        let waits = tracker.admit(
            &accesses(&give, true, &[0], &RoomDid::Unknown),
            &Signals::same(&rx),
        );
        assert_eq!(waits.len(), 16, "the sixteen still running");
    }

    #[test]
    fn settled_commands_are_not_waited_for() {
        let mut tracker = Tracker::default();
        let (tx, rx) = watch::channel(None);
        tracker.admit(
            &accesses(&checkout("1"), false, &[0], &RoomDid::Unknown),
            &Signals::same(&rx),
        );
        tx.send_replace(Some(Settled::Finished));
        let (_, rx2) = watch::channel(None);
        assert!(
            tracker
                .admit(
                    &accesses(&checkout("1"), false, &[0], &RoomDid::Unknown),
                    &Signals::same(&rx2)
                )
                .is_empty()
        );
    }
}
