//! `Pbxs`: the PBXs of a property, each with its wire, and the policy of driving several: each
//! command goes to the wire of the PBX that owns its room; the engine keeps "unreachable,
//! queued" and the concurrency per PBX (`route`). A move between rooms of two PBXs is a
//! check-in on the new room's PBX, then a check-out on the old one's, as two parts of one
//! journaled command (`Run::begin_part`): a retry after a crash skips the part that was done.
//! PBXs whose number transfer ranges overlap share one DID pool. A single PBX is a property of
//! one, so every configuration is driven the same way.

use std::sync::Arc;

use crate::config::{Capabilities, Config, Site};
use crate::engine::run::{Run, Stopped};
use crate::engine::wire::{Carried, Done, Planned, Wire, WireError, WireFuture};
use crate::lang::validate::{Action, CheckIn, Command, DidRequest};

/// The PBXs of a property, each with its wire.
pub(crate) struct Pbxs {
    members: Vec<Member>,
    /// Each member's DID pool: the lowest index of the members its range overlaps, directly
    /// or through others.
    pools: Vec<usize>,
    /// The property has several PBXs (this router may be narrowed to one by `--pbx`).
    several: bool,
}

struct Member {
    /// The PBX's rooms, levels, CORs and number transfer.
    site: Site,
    capabilities: Capabilities,
    wire: Arc<dyn Wire>,
}

impl Pbxs {
    /// `wires`: one per `config.pbxs`, in that order.
    pub(crate) fn new(config: &Config, wires: Vec<Arc<dyn Wire>>) -> Self {
        Self::of(
            config
                .pbxs
                .iter()
                .zip(wires)
                .map(|(site, wire)| Member {
                    site: site.clone(),
                    capabilities: site.capabilities(),
                    wire,
                })
                .collect(),
        )
    }

    /// No PBX at all: an engine on it keeps the journal and runs nothing (a command-line
    /// client that only reads or edits the journal).
    pub(crate) fn none() -> Self {
        Self::of(Vec::new())
    }

    /// One PBX, owning every room, with the settings of the built-in configuration (tests of
    /// the engine with a wire of their own, which can do `capabilities`).
    #[cfg(test)]
    pub(crate) fn single(wire: Arc<dyn Wire>, capabilities: Capabilities) -> Self {
        let site = Config::builtin().pbxs.swap_remove(0);
        Self::of(vec![Member {
            site,
            capabilities,
            wire,
        }])
    }

    fn of(members: Vec<Member>) -> Self {
        let mut pools: Vec<usize> = (0..members.len()).collect();
        let ranges: Vec<Option<crate::config::DidRange>> = members
            .iter()
            .map(|m| m.site.number_transfer.map(|nt| nt.range))
            .collect();
        // Merge until nothing changes (a handful of PBXs: quadratic is fine).
        let mut changed = true;
        while changed {
            changed = false;
            for a in 0..ranges.len() {
                for b in 0..ranges.len() {
                    let overlap =
                        matches!((ranges[a], ranges[b]), (Some(x), Some(y)) if x.overlaps(&y));
                    if overlap && pools[b] > pools[a] {
                        pools[b] = pools[a];
                        changed = true;
                    }
                }
            }
        }
        let several = members.len() > 1;
        Self {
            members,
            pools,
            several,
        }
    }

    fn owner(&self, room: &str) -> Option<usize> {
        self.members
            .iter()
            .position(|member| member.site.owns(room))
    }

    /// A move between two PBXs: the guest hotelcare has in `from` (the expected room state:
    /// the new PBX cannot read the old one) checked in on `to`, then `from` checked out.
    async fn move_across(
        &self,
        run: &mut Run<'_>,
        (from, to): (&str, &str),
        (source, target): (usize, usize),
    ) -> Result<Done, Stopped> {
        let (old, new) = (&self.members[source], &self.members[target]);
        let state = run.room_state(from)?;
        let resumed = run.kept().get("parts").is_some();
        let Some(guest) = state.guest.clone().filter(|_| state.occupied || resumed) else {
            return Err(Stopped::Command(format!(
                "room {from}: hotelcare has no guest checked in there, so there is nothing to move to room {to} on PBX `{}`; check the guest in on room {to}",
                new.site.name
            )));
        };
        let did = match &state.did {
            Some(did) if old.site.number_transfer.is_some() => {
                let held = new.capabilities.did
                    && new
                        .site
                        .number_transfer
                        .is_some_and(|nt| nt.range.contains(did));
                if !held {
                    let why = if new.capabilities.did && new.site.number_transfer.is_some() {
                        "does not have it in its number transfer range"
                    } else {
                        "has no DIDs"
                    };
                    return Err(Stopped::Command(format!(
                        "room {from}: the guest's DID {did} cannot move to room {to}: PBX `{}` {why}; nothing was sent. Take the DID away first (`DID {from} NONE`), then move, and drop this command (`hotelcare queue drop`)",
                        new.site.name
                    )));
                }
                if let Some((other, name)) = self
                    .held_elsewhere(run, target, did)?
                    .into_iter()
                    .find(|(other, _)| other != from)
                {
                    return Err(Stopped::Command(format!(
                        "room {from}: the guest's DID {did} is given to room {other} on PBX `{name}` too; nothing was sent. Take it away there first (`DID {other} NONE`)"
                    )));
                }
                Some(did.clone())
            }
            _ => None,
        };
        // The guest's class of service by name: COR numbers differ from PBX to PBX. A level
        // the new PBX does not have is not guessed (ALLOW could give a restricted guest
        // external calls): the move is refused before anything is sent.
        let cor = match state.cor {
            None => new.site.cor.allow,
            Some(cor) => {
                let names: Vec<&String> = old
                    .site
                    .levels
                    .iter()
                    .filter(|(_, c)| c.get() == cor)
                    .map(|(name, _)| name)
                    .collect();
                let Some(level) = names
                    .iter()
                    .find_map(|name| new.site.levels.get(*name).copied())
                else {
                    return Err(Stopped::Command(format!(
                        "room {from}: the guest's class of service (COR {cor}{}) has no level of the same name on PBX `{}`; nothing was sent. Add the level to `[pbx.{}.class_of_service]`, or give the guest a level both PBXs have (`COS {from} ALLOW`) before the move",
                        if names.is_empty() {
                            String::new()
                        } else {
                            format!(
                                ", {}",
                                names
                                    .iter()
                                    .map(|n| n.as_str())
                                    .collect::<Vec<_>>()
                                    .join("/")
                            )
                        },
                        new.site.name,
                        new.site.name
                    )));
                };
                level
            }
        };
        let check_in = Action::CheckIn(CheckIn {
            room: to.to_owned(),
            guest: guest.clone(),
            cor,
            did: did.clone().map(DidRequest::Number),
            replace: false,
            // The stay moves on with its own limit (the ledger keeps it).
            limit: crate::lang::validate::Limit::Default,
        });
        if run.begin_part("check-in", check_in) {
            run.on_pbx(target);
            new.wire.execute(run).await?;
            run.end_part().await?;
        }
        if run.begin_part(
            "check-out",
            Action::CheckOut {
                room: from.to_owned(),
            },
        ) {
            run.on_pbx(source);
            old.wire.execute(run).await?;
            run.end_part().await?;
        }
        Ok(Done {
            moved: Some(Carried {
                guest: Some(guest),
                cor: Some(cor.get()),
                did,
            }),
            ..Done::default()
        })
    }
}

impl Pbxs {
    /// The rooms of the other PBXs of `pbx`'s DID pool that hold `did` (expected state).
    fn held_elsewhere(
        &self,
        run: &Run<'_>,
        pbx: usize,
        did: &str,
    ) -> Result<Vec<(String, String)>, Stopped> {
        Ok(run
            .rooms()?
            .into_iter()
            .filter(|(_, state)| state.did.as_deref() == Some(did))
            .filter_map(|(room, _)| {
                let owner = self.owner(&room)?;
                (owner != pbx && self.pools[owner] == self.pools[pbx])
                    .then(|| (room, self.members[owner].site.name.clone()))
            })
            .collect())
    }

    /// Whether PBX `pbx` shares its DID pool with another PBX.
    fn shares_pool(&self, pbx: usize) -> bool {
        (0..self.members.len()).any(|other| other != pbx && self.pools[other] == self.pools[pbx])
    }

    /// A DID on a PBX whose number transfer range it shares with another PBX: one pool, so a
    /// number another PBX's room holds is refused (`Some`: with nothing sent), and `DID AUTO`'s
    /// search on the PBX passes over the numbers the pool's other PBXs hold. `None`: the wire
    /// goes on.
    fn did_in_shared_pool(
        &self,
        run: &mut Run<'_>,
        pbx: usize,
        action: &Action,
    ) -> Option<Result<Done, Stopped>> {
        if !self.shares_pool(pbx) {
            return None;
        }
        let (room, did) = match action {
            Action::CheckIn(CheckIn {
                room,
                did: Some(did),
                ..
            }) => (room, did.clone()),
            Action::SetDid {
                room,
                did: Some(number),
            } => (room, DidRequest::Number(number.clone())),
            _ => return None,
        };
        match did {
            DidRequest::Number(number) => match self.held_elsewhere(run, pbx, &number) {
                Err(stopped) => Some(Err(stopped)),
                Ok(held) => held.first().map(|(other, name)| {
                    Err(Stopped::Command(format!(
                        "room {room}: DID {number} is given to room {other} on PBX `{name}`, which shares the number range; nothing was sent. Take it away there first (`DID {other} NONE`), or give another number"
                    )))
                }),
            },
            DidRequest::Auto => {
                // The wire searches its PBX's free numbers; the numbers other PBXs of the
                // pool hold are passed over too.
                let held: std::collections::HashSet<String> = match run.rooms() {
                    Ok(rooms) => rooms
                        .into_iter()
                        .filter(|(other, _)| {
                            other != room
                                && self.owner(other).is_some_and(|owner| {
                                    owner != pbx && self.pools[owner] == self.pools[pbx]
                                })
                        })
                        .filter_map(|(_, state)| state.did)
                        .collect(),
                    Err(stopped) => return Some(Err(stopped)),
                };
                run.exclude_dids(held);
                None
            }
        }
    }
}

impl Pbxs {
    /// `user@address` of each PBX (`east (user@address), ...` with several).
    pub(crate) fn target(&self) -> String {
        match self.members.as_slice() {
            [only] => only.wire.target(),
            members => members
                .iter()
                .map(|member| format!("{} ({})", member.site.name, member.wire.target()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The PBXs by name.
    pub(crate) fn pbx_names(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|member| member.site.name.clone())
            .collect()
    }

    /// Which PBXs (their indexes) `action` goes to: one, or two for a move between rooms of two
    /// PBXs, or all for `TEST`.
    pub(crate) fn route(&self, action: &Action) -> Vec<usize> {
        if matches!(action, Action::Test) {
            return (0..self.members.len()).collect();
        }
        let mut routes: Vec<usize> = action
            .rooms()
            .iter()
            .map(|room| self.owner(room).unwrap_or(0))
            .collect();
        routes.dedup();
        routes
    }

    /// PBX `pbx` alone (`--pbx NAME`), sharing its wire.
    pub(crate) fn only(&self, pbx: usize) -> Option<Self> {
        let member = self.members.get(pbx)?;
        let mut only = Self::of(vec![Member {
            site: member.site.clone(),
            capabilities: member.capabilities,
            wire: Arc::clone(&member.wire),
        }]);
        only.several = self.several;
        Some(only)
    }

    /// Whether events name the PBX (a property with several; also one narrowed to one of
    /// them by `--pbx`).
    pub(crate) fn names_pbxs(&self) -> bool {
        self.several
    }

    /// The DID pool of PBX `pbx`: commands that give DIDs in one pool run one after the other.
    pub(crate) fn did_pool(&self, pbx: usize) -> usize {
        self.pools.get(pbx).copied().unwrap_or(pbx)
    }

    /// The Class of Restriction a check-out of `room` sets on its PBX.
    pub(crate) fn block_cor(&self, room: &str) -> Option<u8> {
        let member = &self.members[self.owner(room)?];
        Some(member.site.cor.block.get())
    }

    /// Whether the PBX that owns `room` reports how its wake-up calls end.
    pub(crate) fn reports_wakeups(&self, room: &str) -> bool {
        self.owner(room)
            .is_some_and(|owner| self.members[owner].capabilities.wakeup_results)
    }

    /// Carries out `run`'s command on the PBX (or PBXs) it goes to.
    pub(crate) async fn execute(&self, run: &mut Run<'_>) -> Result<Done, Stopped> {
        let action = run.command().action.clone();
        if let Some(room) = action
            .rooms()
            .into_iter()
            .find(|room| self.owner(room).is_none())
        {
            // Validation refuses such a room; a journal written under another configuration
            // (or a router for one PBX) may still hold one: never send it to another PBX.
            return Err(Stopped::Command(format!(
                "room {room} belongs to none of the PBXs {}; nothing was sent. Check `rooms` in the configuration, or drop the command (`hotelcare queue drop`)",
                self.pbx_names().join(", ")
            )));
        }
        if matches!(action, Action::Limit { .. }) {
            // The ledger's alone: nothing goes to a PBX (the journal records it when done).
            return Ok(Done::default());
        }
        let routes = self.route(&action);
        if routes.len() > 1 || routes.iter().any(|&pbx| self.shares_pool(pbx)) {
            // What another PBX's rooms hold is read from the journal (a move between PBXs, a
            // shared DID pool): the completions handed to it before are committed first.
            run.commit_journal().await?;
        }
        match (routes.as_slice(), &action) {
            ([source, target], Action::Move { from, to }) => {
                self.move_across(run, (from, to), (*source, *target)).await
            }
            ([only], _) => {
                run.on_pbx(*only);
                if let Some(shared) = self.did_in_shared_pool(run, *only, &action) {
                    return shared;
                }
                self.members[*only].wire.execute(run).await
            }
            (all, _) => {
                // `TEST`: every PBX in turn, each tried even when one before it failed.
                let mut outcome = Ok(Done::default());
                for &pbx in all {
                    run.on_pbx(pbx);
                    let tested = self.members[pbx].wire.execute(run).await;
                    if outcome.is_ok() {
                        outcome = tested;
                    }
                }
                outcome
            }
        }
    }

    /// Every PBX's directory numbers (best effort), for completion.
    pub(crate) async fn directory_numbers(&self) -> Vec<String> {
        let mut numbers = Vec::new();
        for member in &self.members {
            numbers.extend(member.wire.directory_numbers().await);
        }
        numbers
    }

    /// The general reset of the only PBX (see `Wire::general_reset`).
    pub(crate) fn general_reset(
        &self,
        rooms: Vec<(String, crate::engine::RoomState)>,
    ) -> WireFuture<'_, Result<String, WireError>> {
        match self.members.as_slice() {
            [only] => only.wire.general_reset(rooms),
            _ => Box::pin(async {
                Err(WireError::Unsupported(
                    "general reset of several PBXs at once: name one with `--pbx NAME`",
                ))
            }),
        }
    }

    /// Ends every PBX's session (best effort), all at once: one after the other, ten PBXs
    /// 20 ms away kept a run 200 ms longer than its work.
    pub(crate) async fn close(&self) {
        futures_util::future::join_all(self.members.iter().map(|member| member.wire.close())).await;
    }

    /// The PBXs with their names and wires (for the engine's listeners).
    pub(crate) fn members(&self) -> impl Iterator<Item = (&str, &Site, &Arc<dyn Wire>)> {
        self.members
            .iter()
            .map(|member| (member.site.name.as_str(), &member.site, &member.wire))
    }
}

/// A move between two PBXs, as `plan` shows it.
pub(crate) fn move_across_plan(
    origin: &str,
    command: &Command,
    (from, to): (&str, &str),
    (from_pbx, to_pbx): (&str, &str),
) -> Planned {
    Planned {
        text: format!(
            "{origin}  {}: a move between PBXs `{from_pbx}` and `{to_pbx}`: check-in on room {to} with the guest hotelcare has in room {from} (name, class of service by name, DID), then check-out of room {from}",
            command.text
        ),
        json: serde_json::json!({
            "origin": origin,
            "command": command.text,
            "between_pbxs": [from_pbx, to_pbx],
            "parts": [
                format!("CHECKIN {to} on {to_pbx}"),
                format!("CHECKOUT {from} on {from_pbx}"),
            ],
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::engine::{Done, Run, Stopped, WireFuture};

    /// A PBX whose session takes a second to end.
    #[derive(Default)]
    struct SlowToClose {
        closed: AtomicUsize,
    }

    impl Wire for SlowToClose {
        fn target(&self) -> String {
            "slow".into()
        }

        fn execute<'a>(&'a self, _run: &'a mut Run<'_>) -> WireFuture<'a, Result<Done, Stopped>> {
            Box::pin(async { Err(Stopped::Command("not in this test".into())) })
        }

        fn close(&self) -> WireFuture<'_, ()> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                self.closed.fetch_add(1, Ordering::SeqCst);
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_pbx_is_logged_out_of_at_once() {
        let site = Config::builtin().pbxs.swap_remove(0);
        let wires: Vec<Arc<SlowToClose>> = (0..3).map(|_| Arc::default()).collect();
        let pbxs = Pbxs::of(
            wires
                .iter()
                .map(|wire| Member {
                    site: site.clone(),
                    capabilities: site.capabilities(),
                    wire: Arc::clone(wire) as Arc<dyn Wire>,
                })
                .collect(),
        );
        let started = tokio::time::Instant::now();
        pbxs.close().await;
        // On the paused clock: one second for all three, not three in a row.
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert!(wires.iter().all(|w| w.closed.load(Ordering::SeqCst) == 1));
    }
}
