//! What a record means in hotelcare's language: typed commands (`syntax::Request`, never script
//! text), journaled as one batch, and what changes in the link's view of the rooms (`view`).
//!
//! | record | commands |
//! |---|---|
//! | `GI` | `CHECKIN RN "GN,GF" [DID EN] [COS level]`; a sharer only joins the room's view |
//! | `GO` | `CHECKOUT RN`; a sharer only leaves the view; the holder leaving a shared room hands the phone to the first sharer (`CHECKIN ... REPLACE`) |
//! | `GC` with `RO` | `MOVE RO RN`, then the new name, class of service and virtual number on `RN`, as one ordered batch; a sharer moving out only leaves `RO`'s view |
//! | `GC` without `RO` | `RENAME`, `COS`, `DID` on `RN` |
//! | `RE` | `COS`, `DID`, and `DND`/`MW` where the PBX's wire has them |

use crate::config::{Capabilities, FiasConfig};
use crate::inputs::fias::fields::{self, VirtualNumber, yes};
use crate::inputs::fias::record::Record;
use crate::inputs::fias::refusal::Refusal;
use crate::inputs::fias::view::{RoomView, Sharer};
use crate::intake::acceptance::Batch;
use crate::lang::syntax::{DidValue, Extension, Flag, GuestName, LevelName, Request};

/// What a record does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Effect {
    /// The commands (possibly none: a sharer only changes the view), their source and flags.
    pub(crate) batch: Batch,
    /// Rooms whose view changes once the batch is journaled.
    pub(crate) rooms: Vec<(Extension, RoomView)>,
    /// What the monitor is told besides the commands (a sharer recorded).
    pub(crate) notes: Vec<String>,
    /// What the monitor and the log warn about (a class of service not mapped).
    pub(crate) warnings: Vec<String>,
    /// Warnings that are an unmapped class of service (for the metric).
    pub(crate) unmapped_class_of_service: usize,
}

/// A record, mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mapped {
    Effect(Effect),
    /// Nothing hotelcare keeps (a record type or field it does not use): why.
    Ignored(String),
}

/// What mapping a record needs to know.
pub(crate) struct Context<'a> {
    pub(crate) config: &'a FiasConfig,
    /// What the wire of the PBX that owns a room can do.
    pub(crate) capabilities: &'a dyn Fn(&Extension) -> Capabilities,
    /// The link's view of a room.
    pub(crate) view: &'a dyn Fn(&Extension) -> RoomView,
}

/// Maps a screened record (see `refusal::screen`).
pub(crate) fn map(record: &Record, cx: &Context<'_>) -> Result<Mapped, Refusal> {
    let kind = record.kind.as_str();
    if !matches!(kind, "GI" | "GO" | "GC" | "RE") {
        return Ok(Mapped::Ignored(format!("record type {kind} is not used")));
    }
    let Some(room) = fields::room(record)? else {
        return Ok(Mapped::Ignored(format!("{kind}: no room number (RN)")));
    };
    let reservation = fields::reservation(record)?;
    let mut effect = Effect::new(record, &room, reservation.as_deref());
    let mapped = match kind {
        "GI" => guest_in(record, cx, &room, reservation, &mut effect)?,
        "GO" => guest_out(cx, &room, reservation.as_ref(), &mut effect),
        "GC" => match fields::old_room(record)?.filter(|old| *old != room) {
            Some(from) => move_guest(record, cx, &from, &room, reservation, &mut effect)?,
            None => data_change(record, cx, &room, reservation.as_deref(), &mut effect)?,
        },
        _ => room_equipment(record, cx, &room, &mut effect)?,
    };
    if let Some(why) = mapped {
        return Ok(Mapped::Ignored(why));
    }
    effect.batch.flags = effect
        .rooms
        .iter()
        .map(|(room, view)| (room.to_string(), view.sharers_flag()))
        .collect();
    Ok(Mapped::Effect(effect))
}

impl Effect {
    /// An effect without commands yet, named by the record's reservation (or, without one, its
    /// room). A guest record's identity is the record itself (every field, in order): the same
    /// record delivered twice is applied once, while one that differs in anything (another
    /// reservation, another name, the date and time of a repeated event) is not; room equipment
    /// may repeat.
    fn new(record: &Record, room: &Extension, reservation: Option<&str>) -> Self {
        let kind = &record.kind;
        let source = match reservation {
            Some(reservation) => format!("fias:{kind}:G#{reservation}"),
            None => format!("fias:{kind}:RN{room}"),
        };
        let identity = (kind != "RE").then(|| {
            let mut identity = format!("FIAS record {kind}|");
            for (id, value) in &record.fields {
                identity.push_str(id);
                identity.push_str(value);
                identity.push('|');
            }
            identity
        });
        Self {
            batch: Batch {
                source,
                commands: Vec::new(),
                identity,
                flags: Vec::new(),
            },
            rooms: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            unmapped_class_of_service: 0,
        }
    }

    fn command(&mut self, request: Request, reservation: Option<String>) {
        self.batch.commands.push((request, reservation));
    }

    fn room(&mut self, room: &Extension, view: RoomView) {
        self.rooms.retain(|(r, _)| r != room);
        self.rooms.push((room.clone(), view));
    }

    /// The record's level: mapped, or (`default`) the configured default with a warning, or
    /// left out with a warning.
    fn level(&mut self, record: &Record, cx: &Context<'_>, default: bool) -> Option<LevelName> {
        match fields::level(record, cx.config)? {
            Ok(level) => Some(level),
            Err(cs) => {
                self.unmapped_class_of_service += 1;
                if default {
                    let level = fields::default_level(cx.config);
                    self.warnings.push(format!(
                        "class of service CS{cs} is not in `[fias.class_of_service]`: checked in at `{}` (`[fias] default_level`)",
                        cx.config.default_level
                    ));
                    level
                } else {
                    self.warnings.push(format!(
                        "class of service CS{cs} is not in `[fias.class_of_service]`: the level is left as it is"
                    ));
                    None
                }
            }
        }
    }

    /// `RENAME room name`, where the room's wire can rename.
    fn rename(&mut self, cx: &Context<'_>, room: &Extension, name: Option<GuestName>) {
        let Some(guest) = name else { return };
        if (cx.capabilities)(room).rename {
            self.command(
                Request::Rename {
                    room: room.clone(),
                    guest,
                },
                None,
            );
        } else {
            self.warnings.push(format!(
                "room {room}: the new name is not sent: this PBX's interface cannot rename a guest (`[mitel_pms] nam_replace`)"
            ));
        }
    }

    /// `DID room n|NONE` for the record's virtual number, on a wire with DIDs.
    fn virtual_number(
        &mut self,
        record: &Record,
        cx: &Context<'_>,
        room: &Extension,
    ) -> Result<(), Refusal> {
        if !(cx.capabilities)(room).did {
            return Ok(());
        }
        let did = match fields::virtual_number(record)? {
            Some(VirtualNumber::Assign(number)) => Some(number),
            Some(VirtualNumber::Unassign) => None,
            Some(VirtualNumber::Moves) | None => return Ok(()),
        };
        self.command(
            Request::Did {
                room: room.clone(),
                did,
            },
            None,
        );
        Ok(())
    }

    /// Hands the phone of `room` (whose holder leaves, `view`) to its first sharer with a name
    /// (`replace`: the holder is still checked in on the PBX); without one, checks it out.
    fn promote(&mut self, room: &Extension, view: &RoomView, replace: bool) {
        let mut rest = view.sharers.clone();
        let named = rest.iter().position(|s| s.name.is_some());
        let Some(Sharer {
            reservation,
            name: Some(guest),
        }) = named.map(|index| rest.remove(index))
        else {
            self.warnings.push(format!(
                "room {room}: its guest leaves and its sharers have no name to show: the room is checked out"
            ));
            self.command(Request::CheckOut { room: room.clone() }, None);
            self.room(room, RoomView::vacant());
            return;
        };
        self.notes.push(format!(
            "room {room}: its guest leaves; the sharer G#{reservation} takes the phone"
        ));
        self.command(
            Request::CheckIn {
                room: room.clone(),
                guest,
                did: None,
                level: None,
                replace,
            },
            Some(reservation.clone()),
        );
        let mut after = RoomView::held_by(Some(reservation));
        after.sharers = rest;
        self.room(room, after);
    }
}

/// `GI`. `Some(why)` when it is ignored.
fn guest_in(
    record: &Record,
    cx: &Context<'_>,
    room: &Extension,
    reservation: Option<String>,
    effect: &mut Effect,
) -> Result<Option<String>, Refusal> {
    let view = (cx.view)(room);
    let name = fields::guest_name(record, cx.config)?;
    let shared = record.value("GS").is_some_and(yes);
    if view.occupied {
        match (&reservation, &view.holder) {
            (Some(r), Some(holder)) if r == holder => {
                // The guest the phone shows, again: what it says may have changed.
                return data_change(record, cx, room, Some(r), effect);
            }
            (Some(r), Some(_)) => {
                join_as_sharer(room, &view, r, name, effect);
                return Ok(None);
            }
            (Some(r), None) if shared => {
                join_as_sharer(room, &view, r, name, effect);
                return Ok(None);
            }
            (None, _) => {
                return Ok(Some(format!(
                    "GI for room {room}: the room is occupied and the record has no reservation number (G#) to tell a sharer from a new guest; the phone keeps its guest"
                )));
            }
            (Some(_), None) => effect.notes.push(format!(
                "room {room}: a guest checked in outside FIAS is replaced by the PMS's"
            )),
        }
    }
    let Some(guest) = name else {
        return Ok(Some(format!("GI for room {room}: no guest name (GN)")));
    };
    let level = effect.level(record, cx, true);
    let did = match fields::virtual_number(record)? {
        Some(VirtualNumber::Assign(number)) if (cx.capabilities)(room).did => {
            Some(DidValue::Number(number))
        }
        _ => None,
    };
    effect.command(
        Request::CheckIn {
            room: room.clone(),
            guest,
            did,
            level,
            replace: view.occupied,
        },
        reservation.clone(),
    );
    effect.room(room, RoomView::held_by(reservation));
    Ok(None)
}

/// A reservation joins an occupied room as a sharer: only the view changes.
fn join_as_sharer(
    room: &Extension,
    view: &RoomView,
    reservation: &str,
    name: Option<GuestName>,
    effect: &mut Effect,
) {
    let mut after = view.clone();
    match after
        .sharers
        .iter_mut()
        .find(|s| s.reservation == reservation)
    {
        Some(sharer) => {
            if name.is_some() {
                sharer.name = name;
            }
        }
        None => after.sharers.push(Sharer {
            reservation: reservation.to_owned(),
            name,
        }),
    }
    effect.notes.push(format!(
        "room {room} is shared: the phone keeps its guest, G#{reservation} is recorded as a sharer"
    ));
    effect.room(room, after);
}

/// `GO`.
fn guest_out(
    cx: &Context<'_>,
    room: &Extension,
    reservation: Option<&String>,
    effect: &mut Effect,
) -> Option<String> {
    let view = (cx.view)(room);
    if let Some(r) = reservation
        && view.has_sharer(r)
    {
        let mut after = view.clone();
        after.sharers.retain(|s| &s.reservation != r);
        effect.notes.push(format!(
            "room {room}: the sharer G#{r} leaves; the phone keeps its guest"
        ));
        effect.room(room, after);
        return None;
    }
    let holder_leaves = reservation.is_none() || reservation == view.holder.as_ref();
    if holder_leaves && !view.sharers.is_empty() && view.occupied {
        effect.promote(room, &view, true);
        return None;
    }
    effect.command(Request::CheckOut { room: room.clone() }, None);
    effect.room(room, RoomView::vacant());
    None
}

/// `GC` without a move: the guest's data changed. A sharer's new name changes only the view.
fn data_change(
    record: &Record,
    cx: &Context<'_>,
    room: &Extension,
    reservation: Option<&str>,
    effect: &mut Effect,
) -> Result<Option<String>, Refusal> {
    let view = (cx.view)(room);
    let name = fields::guest_name(record, cx.config)?;
    if let Some(r) = reservation
        && view.has_sharer(r)
        && view.holder.as_deref() != Some(r)
    {
        if name.is_none() {
            return Ok(Some(format!(
                "{} for room {room}: the sharer G#{r} has nothing hotelcare keeps changed",
                record.kind
            )));
        }
        join_as_sharer(room, &view, r, name, effect);
        return Ok(None);
    }
    effect.rename(cx, room, name);
    if let Some(level) = effect.level(record, cx, false) {
        effect.command(
            Request::Cos {
                room: room.clone(),
                level,
            },
            None,
        );
    }
    effect.virtual_number(record, cx, room)?;
    if effect.batch.commands.is_empty() {
        return Ok(Some(format!(
            "{} for room {room}: nothing hotelcare keeps changed",
            record.kind
        )));
    }
    Ok(None)
}

/// `GC` with `RO`: a room move.
fn move_guest(
    record: &Record,
    cx: &Context<'_>,
    from: &Extension,
    to: &Extension,
    reservation: Option<String>,
    effect: &mut Effect,
) -> Result<Option<String>, Refusal> {
    let old = (cx.view)(from);
    let new = (cx.view)(to);
    let name = fields::guest_name(record, cx.config)?;
    let moving_sharer = reservation
        .as_ref()
        .filter(|r| old.has_sharer(r) && old.holder.as_ref() != Some(*r));
    if let Some(r) = moving_sharer {
        // A sharer moves out: the old room's phone keeps its guest; the sharer arrives in the
        // new room as a check-in would.
        let mut left = old.clone();
        let stored = left
            .sharers
            .iter()
            .find(|s| &s.reservation == r)
            .and_then(|s| s.name.clone());
        left.sharers.retain(|s| &s.reservation != r);
        effect.room(from, left);
        let name = name.or(stored);
        if new.occupied {
            join_as_sharer(to, &new, r, name, effect);
            return Ok(None);
        }
        let Some(guest) = name else {
            return Ok(Some(format!(
                "GC for room {to}: the sharer G#{r} moves in without a name (GN)"
            )));
        };
        let level = effect.level(record, cx, true);
        effect.command(
            Request::CheckIn {
                room: to.clone(),
                guest,
                did: None,
                level,
                replace: false,
            },
            Some(r.clone()),
        );
        effect.room(to, RoomView::held_by(Some(r.clone())));
        return Ok(None);
    }
    if new.occupied && new.holder.is_some() && new.holder != reservation {
        // Moved into a shared room: the new room's phone keeps its guest.
        let Some(r) = &reservation else {
            return Ok(Some(format!(
                "GC from room {from} to {to}: {to} is occupied and the record has no reservation number (G#) to record the guest as a sharer"
            )));
        };
        join_as_sharer(to, &new, r, name, effect);
        leave(effect, from, &old, false);
        return Ok(None);
    }
    effect.command(
        Request::Move {
            from: from.clone(),
            to: to.clone(),
        },
        None,
    );
    effect.rename(cx, to, name);
    if let Some(level) = effect.level(record, cx, false) {
        effect.command(
            Request::Cos {
                room: to.clone(),
                level,
            },
            None,
        );
    }
    effect.virtual_number(record, cx, to)?;
    effect.room(to, RoomView::held_by(reservation.or(old.holder.clone())));
    leave(effect, from, &old, true);
    Ok(None)
}

/// The old room of a move: its first sharer takes the phone, or it is vacant. `moved`: the
/// guest left it by a `MOVE` (the room is vacant on the PBX), else it is checked out here.
fn leave(effect: &mut Effect, room: &Extension, view: &RoomView, moved: bool) {
    let staying = RoomView {
        holder: None,
        ..view.clone()
    };
    if staying.sharers.is_empty() {
        if !moved {
            effect.command(Request::CheckOut { room: room.clone() }, None);
        }
        effect.room(room, RoomView::vacant());
    } else {
        effect.promote(room, &staying, !moved);
    }
}

/// `RE`: class of service, virtual number, do not disturb and the message lamp.
fn room_equipment(
    record: &Record,
    cx: &Context<'_>,
    room: &Extension,
    effect: &mut Effect,
) -> Result<Option<String>, Refusal> {
    if let Some(level) = effect.level(record, cx, false) {
        effect.command(
            Request::Cos {
                room: room.clone(),
                level,
            },
            None,
        );
    }
    effect.virtual_number(record, cx, room)?;
    let capabilities = (cx.capabilities)(room);
    for (id, flag) in [("DN", Flag::DoNotDisturb), ("ML", Flag::MessageWaiting)] {
        if let Some(value) = record.value(id)
            && capabilities.flags
        {
            effect.command(
                Request::Flag {
                    flag,
                    room: room.clone(),
                    on: yes(value),
                },
                None,
            );
        }
    }
    if effect.batch.commands.is_empty() {
        return Ok(Some(format!(
            "RE for room {room}: nothing this PBX's interface ({}) takes",
            capabilities.interface.name()
        )));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::{Codepage, Interface};
    use crate::engine::FlagChange;

    fn config() -> FiasConfig {
        FiasConfig {
            server: "127.0.0.1:5010".into(),
            codepage: Codepage::default(),
            title: false,
            class_of_service: [("0", "BLOCK"), ("2", "ALLOW")]
                .into_iter()
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect(),
            default_level: "BLOCK".into(),
            resync_checkout_limit: None,
        }
    }

    /// Maps `line` on a PBX of `interface` with the rooms in `views`; the lines of the batch,
    /// or why it was ignored.
    fn lines(line: &str, interface: Interface, views: &BTreeMap<&str, RoomView>) -> Vec<String> {
        match mapped(line, interface, views) {
            Ok(Mapped::Effect(effect)) => effect
                .batch
                .commands
                .iter()
                .map(|(request, reservation)| {
                    let text = request.write(0).text;
                    match reservation {
                        Some(r) => format!("{text}  [G#{r}]"),
                        None => text,
                    }
                })
                .collect(),
            Ok(Mapped::Ignored(why)) => vec![format!("ignored: {why}")],
            Err(refusal) => vec![format!("refused: {refusal}")],
        }
    }

    fn mapped(
        line: &str,
        interface: Interface,
        views: &BTreeMap<&str, RoomView>,
    ) -> Result<Mapped, Refusal> {
        let record = Record::parse(line.as_bytes(), Codepage::default()).unwrap();
        let config = config();
        let capabilities = move |_: &Extension| interface.capabilities();
        let view = |room: &Extension| views.get(room.as_str()).cloned().unwrap_or_default();
        map(
            &record,
            &Context {
                config: &config,
                capabilities: &capabilities,
                view: &view,
            },
        )
    }

    fn held(holder: &str, sharers: &[(&str, &str)]) -> RoomView {
        RoomView {
            occupied: true,
            holder: Some(holder.to_owned()),
            sharers: sharers
                .iter()
                .map(|(r, n)| Sharer {
                    reservation: (*r).to_owned(),
                    name: GuestName::whole(n).ok(),
                })
                .collect(),
        }
    }

    const MIXML: Interface = Interface::Mixml;

    #[test]
    fn guest_records_become_typed_commands() {
        let none = BTreeMap::new();
        assert_eq!(
            lines("GI|RN1000|G#77|GNSolo|GFAlina|CS2|", MIXML, &none),
            ["CHECKIN 1000 \"Solo,Alina\" COS ALLOW  [G#77]"]
        );
        assert_eq!(
            lines("GI|RN1|G#1|GNO\"Neil|", MIXML, &none),
            ["CHECKIN 1 \"O\\\"Neil\"  [G#1]"]
        );
        assert_eq!(lines("GO|RN2000|G#77|", MIXML, &none), ["CHECKOUT 2000"]);
        let rooms = BTreeMap::from([("1000", held("77", &[])), ("2000", held("77", &[]))]);
        assert_eq!(
            lines("GC|RN2000|G#77|GNSolo|GFAline|", MIXML, &rooms),
            ["RENAME 2000 \"Solo,Aline\""]
        );
        assert_eq!(
            lines("GO|G#1|", MIXML, &none),
            ["ignored: GO: no room number (RN)"]
        );
        assert_eq!(
            lines("XX|RN1000|", MIXML, &none),
            ["ignored: record type XX is not used"]
        );
    }

    /// The move records of the issue and of the specification (p.44): the guest moves, then
    /// gets the name the record gives, in one ordered batch.
    #[test]
    fn a_move_with_a_new_name_moves_then_renames() {
        let rooms = BTreeMap::from([("201", held("123456", &[]))]);
        assert_eq!(
            lines("GC|RN202|G#123456|GNMrs. Bar|GLEN|GS|RO201|", MIXML, &rooms),
            ["MOVE 201 202", "RENAME 202 \"Mrs. Bar\""]
        );
        // The sharer 12381 stays in 2781 and takes its phone.
        let rooms = BTreeMap::from([("2781", held("12345", &[("12381", "Sharer, Dr.")]))]);
        assert_eq!(
            lines(
                "GC|RN9327|GSN|G#12345|GNGuest, Mr.|GLEA|GV3|GGA123|RO2781|GSY|",
                MIXML,
                &rooms
            ),
            [
                "MOVE 2781 9327",
                "RENAME 9327 \"Guest, Mr.\"",
                "CHECKIN 2781 \"Sharer, Dr.\"  [G#12381]"
            ]
        );
        // On a wire that cannot rename (Mitel PMS without `nam_replace`): the move, and a
        // warning.
        let record =
            Record::parse(b"GC|RN202|G#123456|GNMrs. Bar|RO201|", Codepage::default()).unwrap();
        let views = BTreeMap::from([("201", held("123456", &[]))]);
        let view = |room: &Extension| views.get(room.as_str()).cloned().unwrap_or_default();
        let capabilities = |_: &Extension| Capabilities {
            rename: false,
            ..Interface::MitelPms.capabilities()
        };
        let Ok(Mapped::Effect(effect)) = map(
            &record,
            &Context {
                config: &config(),
                capabilities: &capabilities,
                view: &view,
            },
        ) else {
            panic!()
        };
        assert_eq!(effect.batch.commands.len(), 1);
        assert_eq!(effect.warnings.len(), 1);
    }

    #[test]
    fn sharers_join_leave_move_and_take_the_phone() {
        let one = BTreeMap::from([("1", held("1", &[]))]);
        let Ok(Mapped::Effect(effect)) = mapped("GI|RN1|G#2|GNBeta|GFBob|GSY|", MIXML, &one) else {
            panic!()
        };
        assert!(effect.batch.commands.is_empty());
        assert_eq!(
            effect.batch.flags,
            vec![(
                "1".to_owned(),
                FlagChange::Sharers(vec![crate::engine::Sharer {
                    reservation: "2".into(),
                    name: "Beta,Bob".into()
                }])
            )]
        );
        let shared = BTreeMap::from([("1", held("1", &[("2", "Beta,Bob")]))]);
        assert_eq!(
            lines("GO|RN1|G#1|", MIXML, &shared),
            ["CHECKIN 1 \"Beta,Bob\" REPLACE  [G#2]"]
        );
        assert!(
            lines("GO|RN1|G#2|", MIXML, &shared).is_empty(),
            "a sharer leaves"
        );
        assert_eq!(lines("GO|RN1|G#1|", MIXML, &one), ["CHECKOUT 1"]);
        // A sharer moves to a vacant room: a check-in there, the old room keeps its phone.
        assert_eq!(
            lines("GC|RN5|G#2|RO1|", MIXML, &shared),
            ["CHECKIN 5 \"Beta,Bob\"  [G#2]"]
        );
        // The same reservation checked in again: a data change, not a second check-in.
        assert_eq!(
            lines("GI|RN1|G#1|GNAlpha|CS0|", MIXML, &one),
            ["RENAME 1 \"Alpha\"", "COS 1 BLOCK"]
        );
    }

    #[test]
    fn an_unmapped_class_of_service_still_checks_the_guest_in() {
        let none = BTreeMap::new();
        let Ok(Mapped::Effect(effect)) = mapped("GI|RN1000|G#1|GNX|CS9|", MIXML, &none) else {
            panic!()
        };
        assert_eq!(
            effect.batch.commands[0].0.write(0).text,
            "CHECKIN 1000 \"X\" COS BLOCK"
        );
        assert_eq!(effect.unmapped_class_of_service, 1);
        assert!(effect.warnings[0].contains("CS9"), "{:?}", effect.warnings);
        // In room equipment the level is left as it is; the rest applies.
        assert_eq!(
            lines("RE|RN1000|CS9|MLY|", Interface::MitelPms, &none),
            ["MW 1000 ON"]
        );
    }

    #[test]
    fn virtual_numbers_become_dids_on_a_wire_with_dids() {
        let none = BTreeMap::new();
        assert_eq!(
            lines("GI|RN1000|G#5|GNSolo|EN3001|ES1|", MIXML, &none),
            ["CHECKIN 1000 \"Solo\" DID 3001  [G#5]"]
        );
        let rooms = BTreeMap::from([("1000", held("5", &[]))]);
        assert_eq!(
            lines("GC|RN2000|RO1000|G#5|EN3001|ES3|", MIXML, &rooms),
            ["MOVE 1000 2000"]
        );
        assert_eq!(
            lines("RE|RN2000|EN3001|ES0|", MIXML, &none),
            ["DID 2000 NONE"]
        );
        assert_eq!(
            lines(
                "GI|RN1000|G#5|GNSolo|EN3001|ES1|",
                Interface::MitelPms,
                &none
            ),
            ["CHECKIN 1000 \"Solo\"  [G#5]"]
        );
    }

    #[test]
    fn room_equipment_follows_what_the_wire_can_do() {
        let none = BTreeMap::new();
        assert_eq!(
            lines("RE|RN1000|CS0|DNY|MLY|", Interface::MitelPms, &none),
            ["COS 1000 BLOCK", "DND 1000 ON", "MW 1000 ON"]
        );
        assert_eq!(
            lines("RE|RN1000|CS0|DNY|", MIXML, &none),
            ["COS 1000 BLOCK"]
        );
        assert_eq!(
            lines("RE|RN1000|MLN|", MIXML, &none),
            ["ignored: RE for room 1000: nothing this PBX's interface (mixml) takes"]
        );
    }

    /// A field id, mostly ones the mapping reads.
    fn field_id() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            prop::sample::select(vec![
                "RN", "RO", "G#", "GN", "GF", "GT", "CS", "EN", "ES", "DN", "ML", "GS", "SF", "DA",
                "TI", "XX",
            ])
            .prop_map(str::to_owned),
            "[A-Z0-9#]{2}",
        ]
    }

    /// A field value: digits, names, and what must never become a command.
    fn value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "[0-9]{1,5}",
            "[0-9]{1,4};[0-9]{1,4}",
            "[A-Za-z ,.]{0,12}",
            prop::sample::select(vec![
                ";",
                "#",
                "\"",
                "\\",
                "\n",
                "\r",
                "\u{0}",
                "\u{1b}",
                "\u{202e}",
                "Y",
                "N",
                "0",
                "1",
                "3",
                "2\"; CHECKOUT 1004 #",
                "1000;CHECKOUT 1001",
                "1000\nCHECKOUT 1001",
            ])
            .prop_map(str::to_owned),
            "[0-9]{190,210}",
            any::<String>(),
        ]
    }

    fn view() -> impl proptest::strategy::Strategy<Value = RoomView> {
        use proptest::prelude::*;
        (
            any::<bool>(),
            prop::option::of("[0-9]{1,3}"),
            prop::collection::vec(("[0-9]{1,3}", any::<bool>()), 0..3),
        )
            .prop_map(|(occupied, holder, sharers)| RoomView {
                occupied,
                holder,
                sharers: sharers
                    .into_iter()
                    .map(|(reservation, named)| Sharer {
                        reservation,
                        name: named.then(|| GuestName::whole("Sharer").unwrap()),
                    })
                    .collect(),
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 2000, ..proptest::test_runner::Config::default() })]
        /// Whatever a record holds, on any wire and whatever hotelcare knows of its rooms: it
        /// is refused, ignored, or its commands touch only the rooms its `RN` and `RO` name —
        /// a few commands at most, each one line of the language.
        #[test]
        fn a_record_never_makes_a_command_it_did_not_name(
            kind in proptest::sample::select(vec!["GI", "GO", "GC", "RE", "XX"]),
            fields in proptest::collection::vec((field_id(), value()), 0..10),
            views in proptest::collection::vec(view(), 2),
            interface in proptest::sample::select(vec![Interface::Mixml, Interface::MitelPms]),
        ) {
            let mut text = format!("{kind}|");
            for (id, value) in &fields {
                text.push_str(id);
                text.push_str(value);
                text.push('|');
            }
            let record = Record::parse(text.as_bytes(), Codepage::default()).unwrap();
            let config = config();
            let capabilities = move |_: &Extension| interface.capabilities();
            let named: Vec<&str> = ["RN", "RO"].iter().filter_map(|id| record.get(id)).collect();
            let view = |room: &Extension| {
                if Some(room.as_str()) == record.get("RN") { views[0].clone() } else { views[1].clone() }
            };
            if crate::inputs::fias::refusal::screen(&record, Codepage::default()).is_err() {
                return Ok(());
            }
            let Ok(Mapped::Effect(effect)) = map(&record, &Context { config: &config, capabilities: &capabilities, view: &view }) else {
                return Ok(());
            };
            proptest::prop_assert!(effect.batch.commands.len() <= 5, "{:?}", effect.batch.commands);
            for (request, _) in &effect.batch.commands {
                for room in request.rooms() {
                    proptest::prop_assert!(named.contains(&room.as_str()), "{} from {}", room, text);
                }
                let written = request.write(0);
                let parsed = crate::lang::syntax::parse_line(&written.text, 0).unwrap();
                proptest::prop_assert_eq!(parsed.len(), 1);
            }
            for (room, _) in &effect.rooms {
                proptest::prop_assert!(named.contains(&room.as_str()));
            }
        }
    }

    /// Each field that names a room or a number is refused unless it is one: nothing of it can
    /// become a second command.
    #[test]
    fn fields_that_would_be_commands_are_refused() {
        let rooms = BTreeMap::from([("1000", held("1", &[]))]);
        for line in [
            "GO|RN1000;CHECKOUT 1001|G#1000|",
            "GC|RN2000|RO1000;CHECKOUT 1001|G#1|",
            "GI|RN1000|G#1|GNX|EN3001;CHECKOUT|ES1|",
            "GI|RN1000|G#1\"|GNX|",
        ] {
            let result = lines(line, MIXML, &rooms);
            assert!(
                result[0].starts_with("refused: field "),
                "{line}: {result:?}"
            );
        }
        // A name is data: quoted, it stays one name.
        assert_eq!(
            lines(
                "GI|RN1004|G#9|GNX\"; CHECKOUT 1004 #|",
                MIXML,
                &BTreeMap::new()
            ),
            [r#"CHECKIN 1004 "X\"; CHECKOUT 1004 #"  [G#9]"#]
        );
    }
}
