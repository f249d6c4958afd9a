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
    if !matches!(kind, "GI" | "GO" | "GC" | "RE" | "WR" | "WC") {
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
        "WR" | "WC" => wakeup(record, cx, &room, &mut effect)?,
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
        // Room equipment may repeat; a wake-up booked again (after a clear) is a new booking.
        let identity = (!matches!(kind.as_str(), "RE" | "WR" | "WC")).then(|| {
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
                wakeups: Vec::new(),
                blocked: None,
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

    /// The class of service (`CS`) and the virtual number a change record sets, as commands.
    fn level_and_number(
        &mut self,
        record: &Record,
        cx: &Context<'_>,
        room: &Extension,
    ) -> Result<(), Refusal> {
        if let Some(level) = self.level(record, cx, false) {
            self.command(
                Request::Cos {
                    room: room.clone(),
                    level,
                },
                None,
            );
        }
        self.virtual_number(record, cx, room)
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
    effect.level_and_number(record, cx, room)?;
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
/// `WR`, `WC`: a wake-up booked or cleared (see `wakeups`).
fn wakeup(
    record: &Record,
    cx: &Context<'_>,
    room: &Extension,
    effect: &mut Effect,
) -> Result<Option<String>, Refusal> {
    let capabilities = (cx.capabilities)(room);
    if !capabilities.wakeup {
        return Ok(Some(format!(
            "{} for room {room}: this PBX's interface ({}) has no wake-up calls",
            record.kind,
            capabilities.interface.name()
        )));
    }
    let mapped = crate::inputs::fias::wakeups::map(record, room)?;
    effect.command(mapped.request, None);
    effect.batch.wakeups.extend(mapped.booking);
    Ok(None)
}

fn room_equipment(
    record: &Record,
    cx: &Context<'_>,
    room: &Extension,
    effect: &mut Effect,
) -> Result<Option<String>, Refusal> {
    effect.level_and_number(record, cx, room)?;
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
mod tests;
