//! `Validator`: checks statements in script order against the configuration and against what the
//! script itself has done so far (which room holds which DID).
//!
//! Its state is one entry per room or DID the script touches, never per command, so a script of any
//! length is checked in constant memory.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::config::{Capabilities, Config, Interface, Site};
use crate::diagnostics::{Diagnostic, DiagnosticKind, Span};
use crate::lang::syntax::{self, DidChoice, LimitChoice, Spanned, Statement, WakeupChoice};
use crate::lang::validate::checked::{Action, CheckIn, Command, DidRequest, Limit};
use crate::lang::validate::expect::expect_options;
use crate::lang::validate::wakeup::{self, Clock, MAX_PER_ROOM, Wakeup, WakeupChange};

/// The rooms as the journal expects them when a script is checked: who is occupied, and the
/// wake-ups booked. Without it, only what the script itself does is known (the engine checks
/// the rest before it sends anything).
#[derive(Clone, Debug, Default)]
pub(crate) struct House {
    pub(crate) rooms: HashMap<String, KnownRoom>,
}

/// One room of `House`.
#[derive(Clone, Debug, Default)]
pub(crate) struct KnownRoom {
    pub(crate) occupied: bool,
    pub(crate) wakeups: Vec<Wakeup>,
}

/// The result of checking one statement: the command if it has no error, and every diagnostic
/// (errors and warnings) found in it.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    pub(crate) command: Option<Command>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Where a DID was given, as far as the script knows.
#[derive(Clone, Debug)]
struct Holder {
    room: String,
    /// `file:line` of the command that gave it.
    origin: String,
}

/// What the script knows of a room's DID after a command.
enum RoomDid {
    None,
    Number(String),
    /// Given by `DID AUTO`: known only at run time.
    Unknown,
}

/// Script-order checker. Create one per run; feed it every statement of every file in order.
#[derive(Clone)]
pub struct Validator<'c> {
    pub(super) config: &'c Config,
    /// The PBX of the room the statement being checked names (`expect_room` sets it).
    pub(super) current: usize,
    /// DID -> the room the script last gave it to.
    did_holder: HashMap<String, Holder>,
    /// Room -> the DID the script last gave it (`None`: given by `DID AUTO`, unknown until run time).
    room_did: HashMap<String, Option<String>>,
    /// Room -> where the script checked a guest in that it has not checked out or moved since.
    checked_in: HashMap<String, String>,
    /// The script being checked, for messages that point into an earlier line.
    path: String,
    /// The local time the script is checked at (wake-ups are not booked in the past).
    now: NaiveDateTime,
    /// The rooms as the journal expects them, if the caller knows them.
    house: Option<Arc<House>>,
    /// Room -> occupied, as the script left it.
    occupied: HashMap<String, bool>,
    /// Room -> its wake-ups, as the script left them.
    wakeups: HashMap<String, Vec<Wakeup>>,
}

impl<'c> Validator<'c> {
    pub fn new(config: &'c Config) -> Self {
        Self {
            config,
            current: 0,
            did_holder: HashMap::new(),
            room_did: HashMap::new(),
            checked_in: HashMap::new(),
            path: String::new(),
            now: chrono::Local::now().naive_local(),
            house: None,
            occupied: HashMap::new(),
            wakeups: HashMap::new(),
        }
    }

    /// Checks against the rooms as the journal expects them too (see `House`).
    #[must_use]
    pub(crate) fn knowing(mut self, house: Arc<House>) -> Self {
        self.house = Some(house);
        self
    }

    /// Checks as if it were `now` (tests, and a command checked again later).
    #[must_use]
    pub(crate) fn at(mut self, now: NaiveDateTime) -> Self {
        self.now = now;
        self
    }

    /// Whether `room` has a guest, as far as the script and the house know.
    fn is_occupied(&self, room: &str) -> Option<bool> {
        self.occupied.get(room).copied().or_else(|| {
            // A room hotelcare never touched is not known to be either.
            self.house
                .as_ref()
                .and_then(|house| house.rooms.get(room))
                .map(|known| known.occupied)
        })
    }

    /// The wake-ups booked for `room`, as far as the script and the house know.
    fn booked(&self, room: &str) -> Vec<Wakeup> {
        self.wakeups
            .get(room)
            .cloned()
            .or_else(|| {
                self.house
                    .as_ref()
                    .and_then(|house| house.rooms.get(room))
                    .map(|known| known.wakeups.clone())
            })
            .unwrap_or_default()
    }

    /// A guest arrives in (`true`) or leaves `room`: their wake-ups go with them.
    fn occupy(&mut self, room: &str, occupied: bool) {
        self.occupied.insert(room.to_owned(), occupied);
        self.wakeups.insert(room.to_owned(), Vec::new());
    }

    /// The PBX of the statement's room: the only one when there is one (even for a room token
    /// in error, so that the rest of the line is still checked); with several, `None` for a
    /// room none owns (its error is told, and nothing is checked against a guessed PBX).
    pub(super) fn site(&self) -> Option<&Site> {
        match self.config.pbxs.as_slice() {
            [only] => Some(only),
            several => several.get(self.current),
        }
    }

    /// What the statement's PBX can do (everything, for a room no PBX owns: see `site`).
    pub(super) fn capabilities(&self) -> Capabilities {
        self.site()
            .map_or_else(|| Interface::default().capabilities(), Site::capabilities)
    }

    /// Whether the statement's room named a PBX (a room no PBX owns is reported as that; what
    /// its PBX could do is then unknown, and not guessed).
    pub(super) fn knows_pbx(&self) -> bool {
        self.current < self.config.pbxs.len()
    }

    pub(super) fn pbx_name(&self) -> &str {
        self.site()
            .map_or(crate::config::NOT_CONFIGURED, |site| site.name.as_str())
    }

    /// Tells the validator which script the following statements come from.
    pub(crate) fn start_script(&mut self, path: &str) {
        path.clone_into(&mut self.path);
    }

    /// Checks one statement found on `line` (1-based) whose line text starts at file offset
    /// `line_offset`.
    pub(crate) fn check(
        &mut self,
        statement: &Statement<'_>,
        line: usize,
        line_text: &str,
        line_offset: usize,
    ) -> Checked {
        let mut out = Checked::default();
        // No PBX until a room token names one.
        self.current = usize::MAX;
        let keyword = Span::new(
            statement.span.start,
            statement.span.start + statement.command.keyword().len(),
        );
        let action = self.check_action(&statement.command, line, keyword, &mut out.diagnostics);
        // Report a line's problems left to right, whatever order they were found in.
        out.diagnostics.sort_by_key(|d| d.span.start);
        if let Some(action) = action
            && !out.diagnostics.iter().any(Diagnostic::is_error)
        {
            let text = line_text
                .get(statement.span.start - line_offset..statement.span.end - line_offset)
                .unwrap_or(line_text)
                .to_owned();
            out.command = Some(Command {
                line,
                text,
                action,
                reservation: None,
            });
        }
        out
    }

    fn check_action(
        &mut self,
        command: &syntax::Command<'_>,
        line: usize,
        keyword: Span,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Action> {
        use syntax::Command as C;
        Some(match command {
            C::CheckIn {
                room,
                guest,
                options,
            } => {
                let room = self.expect_room(room, diagnostics);
                let guest = self.expect_guest(guest, diagnostics);
                let (did_option, cos_option, replace, limit_option) =
                    expect_options(options, diagnostics);
                let limit = match limit_option {
                    None => Some(Limit::Default),
                    Some(amount) => self.expect_amount(amount, diagnostics).map(Limit::Amount),
                };
                let cor = match cos_option {
                    Some(level) => self.expect_level(level, diagnostics),
                    None => self.site().map(|site| site.cor.allow),
                };
                let did = match did_option {
                    None => Some(None),
                    Some(did) => self.expect_did(did, diagnostics).map(Some),
                };
                let (room, guest, cor, did, limit) = (room?, guest?, cor?, did?, limit?);
                let origin = format!("{}:{line}", self.path);
                if let Some(at) = self.checked_in.insert(room.clone(), origin)
                    && !replace
                {
                    let span = match command {
                        C::CheckIn { room, .. } => room.span,
                        _ => unreachable!("matched above"),
                    };
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::RoomAlreadyCheckedIn {
                            room: room.clone(),
                            at,
                        },
                        span,
                    ));
                }
                if replace {
                    // The guest checked out first takes their DID along.
                    self.forget(&room, &RoomDid::None);
                }
                self.occupy(&room, true);
                match (&did, did_option) {
                    (Some(DidRequest::Number(n)), Some(option)) => {
                        self.give(&room, n, line, option.span, diagnostics);
                    }
                    (Some(DidRequest::Auto), _) => self.forget(&room, &RoomDid::Unknown),
                    _ => {}
                }
                Action::CheckIn(CheckIn {
                    room,
                    guest,
                    cor,
                    did,
                    replace,
                    limit,
                })
            }
            C::CheckOut { room } => {
                let room = self.expect_room(room, diagnostics)?;
                self.forget(&room, &RoomDid::None);
                self.checked_in.remove(&room);
                self.occupy(&room, false);
                Action::CheckOut { room }
            }
            C::Cos { room, level } => {
                let room = self.expect_room(room, diagnostics);
                let cor = self.expect_level(level, diagnostics)?;
                Action::Cos { room: room?, cor }
            }
            C::Move { from, to } => {
                let (from_room, to_room) = (
                    self.expect_room(from, diagnostics),
                    self.expect_room(to, diagnostics),
                );
                let (from_room, to_room) = (from_room?, to_room?);
                if from_room == to_room {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::MoveToSameRoom { room: to_room },
                        to.span,
                    ));
                    return None;
                }
                if self.knows_pbx()
                    && self.config.pbx_of(&from_room) != self.config.pbx_of(&to_room)
                    && let Some(Some(did)) = self.room_did.get(&from_room)
                {
                    // `expect_room(to)` made the target PBX current.
                    let range = self
                        .site()
                        .and_then(|site| site.number_transfer)
                        .filter(|_| self.capabilities().did)
                        .map(|nt| nt.range);
                    if !range.is_some_and(|range| range.contains(did)) {
                        diagnostics.push(Diagnostic::new(
                            DiagnosticKind::DidNotOnTargetPbx {
                                did: did.clone(),
                                room: to_room.clone(),
                                target: match range {
                                    Some(r) => format!(
                                        "PBX `{}`, whose number transfer range {}-{} does not hold it",
                                        self.pbx_name(),
                                        r.first(),
                                        r.last()
                                    ),
                                    None => format!(
                                        "PBX `{}`, which has no number transfer",
                                        self.pbx_name()
                                    ),
                                },
                            },
                            to.span,
                        ));
                        return None;
                    }
                }
                self.relocate(&from_room, &to_room);
                // The guest's wake-ups move with them.
                let moving = self.booked(&from_room);
                self.occupy(&from_room, false);
                self.occupy(&to_room, true);
                self.wakeups.insert(to_room.clone(), moving);
                match self.checked_in.remove(&from_room) {
                    Some(at) => self.checked_in.insert(to_room.clone(), at),
                    None => self.checked_in.remove(&to_room),
                };
                Action::Move {
                    from: from_room,
                    to: to_room,
                }
            }
            C::Rename { room, guest } => {
                let room = self.expect_room(room, diagnostics);
                let guest = self.expect_guest(guest, diagnostics)?;
                if self.knows_pbx() && !self.capabilities().rename {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::UnsupportedByInterface {
                            what: "RENAME",
                            needs: "the MiXML interface, or `[mitel_pms] nam_replace` on mitel-pms",
                            pbx: self.pbx_name().to_owned(),
                            interface: self.capabilities().interface.name(),
                        },
                        keyword,
                    ));
                    return None;
                }
                Action::Rename { room: room?, guest }
            }
            C::Flag { flag, room, on } => {
                let room = self.expect_room(room, diagnostics);
                if self.knows_pbx() && !self.capabilities().flags {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::UnsupportedByInterface {
                            what: flag.keyword(),
                            needs: "the mitel-pms interface",
                            pbx: self.pbx_name().to_owned(),
                            interface: self.capabilities().interface.name(),
                        },
                        keyword,
                    ));
                    return None;
                }
                Action::SetFlag {
                    room: room?,
                    flag: *flag,
                    on: *on,
                }
            }
            C::Did { room, did } => {
                let room = self.expect_room(room, diagnostics);
                let did_value = match &did.node {
                    DidChoice::None => self
                        .expect_number_transfer(did.span, diagnostics)
                        .map(|()| None),
                    DidChoice::Number(_) | DidChoice::Auto => match self
                        .expect_did(did, diagnostics)
                    {
                        Some(DidRequest::Number(n)) => Some(Some(n)),
                        Some(DidRequest::Auto) => unreachable!("the grammar has no `DID ext AUTO`"),
                        None => None,
                    },
                };
                let (room, did_value) = (room?, did_value?);
                match &did_value {
                    Some(n) => self.give(&room, n, line, did.span, diagnostics),
                    None => self.forget(&room, &RoomDid::None),
                }
                Action::SetDid {
                    room,
                    did: did_value,
                }
            }
            C::Wakeup { room, wakeup } => self.check_wakeup(room, wakeup, keyword, diagnostics)?,
            C::Limit { room, limit } => {
                let room_span = room.span;
                let room = self.expect_room(room, diagnostics);
                let limit = match &limit.node {
                    LimitChoice::None => Some(Limit::None),
                    LimitChoice::Amount(text) => self
                        .expect_amount(
                            &Spanned {
                                node: *text,
                                span: limit.span,
                            },
                            diagnostics,
                        )
                        .map(Limit::Amount),
                };
                let (room, limit) = (room?, limit?);
                if self.is_occupied(&room) == Some(false) {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::LimitRoomVacant { room },
                        room_span,
                    ));
                    return None;
                }
                Action::Limit { room, limit }
            }
            C::Show { room } => Action::Show {
                room: self.expect_room(room, diagnostics)?,
            },
            C::Test => Action::Test,
        })
    }

    /// `WAKEUP`: a real time (and date), not in the past, for a room with a guest, at most
    /// `MAX_PER_ROOM` booked.
    fn check_wakeup(
        &mut self,
        room: &Spanned<&str>,
        wakeup: &WakeupChoice<'_>,
        keyword: Span,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Action> {
        let room_span = room.span;
        let room_text = self.expect_room(room, diagnostics);
        if self.knows_pbx() && !self.capabilities().wakeup {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::UnsupportedByInterface {
                    what: "WAKEUP",
                    needs: "an interface with wake-up calls",
                    pbx: self.pbx_name().to_owned(),
                    interface: self.capabilities().interface.name(),
                },
                keyword,
            ));
            return None;
        }
        let clock = |time: &Spanned<&str>, diagnostics: &mut Vec<Diagnostic>| {
            let clock = Clock::parse(time.node);
            if clock.is_none() {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::NotATime {
                        text: time.node.to_owned(),
                    },
                    time.span,
                ));
            }
            clock
        };
        let (change, span) = match wakeup {
            WakeupChoice::At { time, date } => {
                let at = clock(time, diagnostics);
                let day = match date {
                    None => Some(None),
                    Some(date) => {
                        let day = wakeup::parse_date(date.node);
                        if day.is_none() {
                            diagnostics.push(Diagnostic::new(
                                DiagnosticKind::NotADate {
                                    text: date.node.to_owned(),
                                },
                                date.span,
                            ));
                        }
                        day.map(Some)
                    }
                };
                let span = date
                    .as_ref()
                    .map_or(time.span, |date| time.span.to(date.span));
                let booked = Wakeup::at(at?, day?, self.now);
                if booked.has_passed(self.now) {
                    diagnostics.push(Diagnostic::new(
                        DiagnosticKind::WakeupInThePast {
                            at: booked.to_string(),
                            now: self.now.format("%Y-%m-%d %H:%M").to_string(),
                        },
                        span,
                    ));
                    return None;
                }
                (WakeupChange::Book(booked), span)
            }
            WakeupChoice::Clear { span, time } => match time {
                None => (WakeupChange::Clear(None), *span),
                Some(time) => (
                    WakeupChange::Clear(Some(clock(time, diagnostics)?)),
                    span.to(time.span),
                ),
            },
        };
        let room = room_text?;
        let booked = self.booked(&room);
        if matches!(change, WakeupChange::Book(_)) {
            if self.is_occupied(&room) == Some(false) {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::WakeupRoomVacant { room: room.clone() },
                    room_span,
                ));
                return None;
            }
            if change.apply(&booked).len() > MAX_PER_ROOM {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::TooManyWakeups {
                        room: room.clone(),
                        booked: booked.iter().map(ToString::to_string).collect(),
                    },
                    span,
                ));
                return None;
            }
        }
        self.wakeups.insert(room.clone(), change.apply(&booked));
        Some(Action::Wakeup { room, change })
    }

    /// Records that `room` now holds `did`, or reports the room that still holds it.
    fn give(
        &mut self,
        room: &str,
        did: &str,
        line: usize,
        span: Span,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        if let Some(holder) = self.did_holder.get(did)
            && holder.room != room
        {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::DidAlreadyGiven {
                    did: did.to_owned(),
                    room: holder.room.clone(),
                    at: holder.origin.clone(),
                },
                span,
            ));
            return;
        }
        self.forget(room, &RoomDid::Number(did.to_owned()));
        self.did_holder.insert(
            did.to_owned(),
            Holder {
                room: room.to_owned(),
                origin: format!("{}:{line}", self.path),
            },
        );
    }

    /// Replaces what the script knows of `room`'s DID.
    fn forget(&mut self, room: &str, now: &RoomDid) {
        if let Some(Some(old)) = self.room_did.remove(room) {
            self.did_holder.remove(&old);
        }
        match now {
            RoomDid::Number(did) => {
                self.room_did.insert(room.to_owned(), Some(did.clone()));
            }
            RoomDid::None => {}
            RoomDid::Unknown => {
                self.room_did.insert(room.to_owned(), None);
            }
        }
    }

    /// `MOVE`: the DID goes with the guest; the target room's own DID is replaced.
    fn relocate(&mut self, from: &str, to: &str) {
        let moved = self.room_did.remove(from);
        self.forget(to, &RoomDid::None);
        if let Some(did) = moved {
            if let Some(n) = &did
                && let Some(holder) = self.did_holder.get_mut(n)
            {
                to.clone_into(&mut holder.room);
            }
            self.room_did.insert(to.to_owned(), did);
        }
    }
}
