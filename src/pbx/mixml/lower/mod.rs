//! Lowering: a checked command -> the MiXML operations that carry it out (BRIEF §3).
//!
//! Input: `validate::Action` and `Settings`. Output: `Vec<Op>` borrowing from the action.
//! Imports `validate` and `config`; knows nothing of XML, HTTP or the engine.
//!
//! Order within a command is chosen so that a failure half-way leaves the room on the safe side:
//! a check-in checks that the room is vacant (or, with `REPLACE`, checks it out first) and sets
//! the names before the COR that allows external calls; a check-out blocks
//! external calls and takes the DID away before it touches the names; a move reads everything it
//! needs from both rooms, and checks them, before it changes anything; a DID is checked to be free
//! before anything is written.

pub(crate) mod ops;

use crate::config::{Config, CorConfig, NumberTransfer, Site};
use crate::lang::validate::wakeup::WakeupChange;
use crate::lang::validate::{Action, CheckIn, Command, DidRequest, Guest};
use ops::{Expectation, Field, Form, Op, ReadId, Value};

/// What lowering needs of the configuration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub(crate) cor: CorConfig,
    pub(crate) number_transfer: Option<NumberTransfer>,
}

impl Settings {
    pub(crate) fn of(site: &Site) -> Self {
        Self {
            cor: site.cor,
            number_transfer: site.number_transfer,
        }
    }
}

const NAMES: &[Field] = &[Field::LastName, Field::FirstName];
const SERVICE_PROFILE: &[Field] = &[Field::DirectoryName, Field::ServiceLabel];
const LABEL: &[Field] = &[Field::ServiceLabel];
const CORS: &[Field] = &[Field::CorDay, Field::CorNight1, Field::CorNight2];
const WAKEUPS: &[Field] = &[Field::WakeupTimes];
const SERVICE_DETAILS: &[Field] = &[
    Field::CorDay,
    Field::CorNight1,
    Field::CorNight2,
    Field::DidServiceNumber,
    Field::UseDidForOutgoingCalls,
];

/// How many operations `command` lowers to on the (first) PBX of `config`: the lowering as the
/// throughput benchmark measures it, behind the crate's surface.
pub fn operations(command: &Command, config: &Config) -> usize {
    std::hint::black_box(lower(&command.action, &Settings::of(config.first_pbx()))).len()
}

/// The operations of one command, in the order they are sent.
pub(crate) fn lower<'a>(action: &'a Action, settings: &Settings) -> Vec<Op<'a>> {
    let nt = settings.number_transfer;
    match action {
        Action::CheckIn(check_in) => {
            let CheckIn { room, guest, .. } = check_in;
            let mut ops = Vec::with_capacity(8);
            let did_value = match (&check_in.did, nt) {
                (Some(DidRequest::Number(n)), Some(_)) => {
                    ops.push(Op::ExpectDidFree { room, did: n });
                    Some(Value::Text(n))
                }
                (Some(DidRequest::Auto), Some(nt)) => {
                    let into = ReadId(1);
                    ops.push(Op::FindFreeDid {
                        range: nt.range,
                        into,
                    });
                    Some(Value::Read(into, Field::DidServiceNumber))
                }
                _ => None,
            };
            let profile = ReadId(2);
            if check_in.replace {
                // Whoever is in the room is checked out first (calls blocked, their DID taken
                // away, the room's label shown), then the new guest is checked in. A vacant
                // room is checked in as without `REPLACE`: nobody to check out.
                ops.push(read(room, Form::ServiceProfile, SERVICE_PROFILE, profile));
                let check_out = check_out(room, profile, settings);
                ops.push(Op::SkipIf {
                    holds: Expectation::Vacant { room, profile },
                    count: check_out.len(),
                });
                ops.extend(check_out);
            } else {
                // Never a silent overwrite: a room that has a guest is refused before anything
                // is written (the next guest would get the previous one's DID).
                ops.push(read(room, Form::ServiceProfile, SERVICE_PROFILE, profile));
                ops.push(Op::Expect(Expectation::Vacant { room, profile }));
            }
            ops.extend(set_names(room, guest));
            let mut details = cor_values(&Value::Cor(check_in.cor));
            if let (Some(value), Some(nt)) = (did_value, nt) {
                details.push((Field::DidServiceNumber, value));
                if nt.signal_extension_external {
                    details.push((Field::UseDidForOutgoingCalls, Value::Flag(true)));
                }
            }
            ops.push(set(room, Form::ServiceDetails, details));
            ops
        }
        Action::CheckOut { room } => {
            let label = ReadId(1);
            let mut ops = vec![read(room, Form::ServiceProfile, LABEL, label)];
            ops.extend(check_out(room, label, settings));
            ops
        }
        Action::Cos { room, cor } => vec![set(
            room,
            Form::ServiceDetails,
            cor_values(&Value::Cor(*cor)),
        )],
        Action::Move { from, to } => {
            let (names, profile, details, target, wakeups) =
                (ReadId(1), ReadId(2), ReadId(3), ReadId(4), ReadId(5));
            let detail_fields = if nt.is_some() { SERVICE_DETAILS } else { CORS };
            // Everything is read and checked before the first write: a move out of an empty room
            // or into an occupied or mistyped one changes nothing.
            let mut ops = vec![
                read(from, Form::UserProfile, NAMES, names),
                read(from, Form::ServiceProfile, SERVICE_PROFILE, profile),
                read(from, Form::ServiceDetails, detail_fields, details),
                read(to, Form::ServiceProfile, SERVICE_PROFILE, target),
                read(from, Form::WakeupCalls, WAKEUPS, wakeups),
                Op::Expect(Expectation::Occupied {
                    room: from,
                    profile,
                }),
                Op::Expect(Expectation::Vacant {
                    room: to,
                    profile: target,
                }),
            ];
            ops.extend(check_out(from, profile, settings));
            ops.push(set(
                to,
                Form::UserProfile,
                vec![
                    (Field::LastName, Value::Read(names, Field::LastName)),
                    (Field::FirstName, Value::Read(names, Field::FirstName)),
                ],
            ));
            ops.push(set(
                to,
                Form::ServiceProfile,
                vec![(
                    Field::DirectoryName,
                    Value::Read(profile, Field::DirectoryName),
                )],
            ));
            ops.push(set(
                to,
                Form::ServiceDetails,
                detail_fields
                    .iter()
                    .map(|&f| (f, Value::Read(details, f)))
                    .collect(),
            ));
            // The guest's wake-ups go with them (the PBX cleared them from the old room at its
            // check-out).
            ops.push(set(
                to,
                Form::WakeupCalls,
                vec![(Field::WakeupTimes, Value::Read(wakeups, Field::WakeupTimes))],
            ));
            ops
        }
        Action::Wakeup { room, change } => {
            let (profile, wakeups) = (ReadId(1), ReadId(2));
            let mut ops = Vec::with_capacity(4);
            if matches!(change, WakeupChange::Book(_)) {
                // A wake-up is booked for a guest: a vacant room is refused before any write.
                ops.push(read(room, Form::ServiceProfile, SERVICE_PROFILE, profile));
                ops.push(Op::Expect(Expectation::Occupied { room, profile }));
            }
            ops.push(read(room, Form::WakeupCalls, WAKEUPS, wakeups));
            ops.push(set(
                room,
                Form::WakeupCalls,
                vec![(Field::WakeupTimes, Value::Wakeups(wakeups, *change))],
            ));
            ops
        }
        Action::Rename { room, guest } => {
            // A correction of a guest's data: a vacant room has no guest to correct, and names
            // written there would make it look occupied.
            let profile = ReadId(1);
            let mut ops = vec![
                read(room, Form::ServiceProfile, SERVICE_PROFILE, profile),
                Op::Expect(Expectation::Occupied { room, profile }),
            ];
            ops.extend(set_names(room, guest));
            ops
        }
        Action::SetDid { room, did } => {
            let Some(nt) = nt else {
                // Validation refuses DID commands without number transfer; a journaled one
                // replayed under a changed configuration does nothing rather than guess.
                return Vec::new();
            };
            let mut ops = Vec::with_capacity(2);
            let (value, flag) = match did {
                Some(n) => {
                    ops.push(Op::ExpectDidFree { room, did: n });
                    (Value::Text(n), true)
                }
                None => (Value::Empty, false),
            };
            let mut values = vec![(Field::DidServiceNumber, value)];
            if nt.signal_extension_external {
                values.push((Field::UseDidForOutgoingCalls, Value::Flag(flag)));
            }
            ops.push(set(room, Form::ServiceDetails, values));
            ops
        }
        Action::Show { room } => vec![
            read(room, Form::UserProfile, NAMES, ReadId(1)),
            read(room, Form::ServiceProfile, SERVICE_PROFILE, ReadId(2)),
            read(room, Form::ServiceDetails, SERVICE_DETAILS, ReadId(3)),
            read(room, Form::WakeupCalls, WAKEUPS, ReadId(4)),
        ],
        Action::Test => vec![Op::SystemInfo],
        // Not on this wire: refused by validation (and by the driver); a limit is the
        // engine's ledger's, never a wire's.
        Action::SetFlag { .. } | Action::Limit { .. } => Vec::new(),
    }
}

/// The check-out part shared by `CHECKOUT` and `MOVE`: block, take the DID away, then show the
/// Service Label (read into `label`) as the name.
fn check_out<'a>(room: &'a str, label: ReadId, settings: &Settings) -> [Op<'a>; 3] {
    let mut details = cor_values(&Value::Cor(settings.cor.block));
    if let Some(nt) = settings.number_transfer {
        details.push((Field::DidServiceNumber, Value::Empty));
        if nt.signal_extension_external {
            details.push((Field::UseDidForOutgoingCalls, Value::Flag(false)));
        }
    }
    [
        set(room, Form::ServiceDetails, details),
        set(
            room,
            Form::UserProfile,
            vec![
                (Field::LastName, Value::Read(label, Field::ServiceLabel)),
                (Field::FirstName, Value::Empty),
            ],
        ),
        set(
            room,
            Form::ServiceProfile,
            vec![(
                Field::DirectoryName,
                Value::Read(label, Field::ServiceLabel),
            )],
        ),
    ]
}

fn set_names<'a>(room: &'a str, guest: &'a Guest) -> [Op<'a>; 2] {
    let first = if guest.first.is_empty() {
        Value::Empty
    } else {
        Value::Text(&guest.first)
    };
    [
        set(
            room,
            Form::UserProfile,
            vec![
                (Field::LastName, Value::Text(&guest.last)),
                (Field::FirstName, first),
            ],
        ),
        set(
            room,
            Form::ServiceProfile,
            vec![(Field::DirectoryName, Value::Text(&guest.directory_name))],
        ),
    ]
}

fn cor_values<'a>(value: &Value<'a>) -> Vec<(Field, Value<'a>)> {
    let mut values = Vec::with_capacity(5);
    values.extend(CORS.iter().map(|&f| (f, value.clone())));
    values
}

fn set<'a>(room: &'a str, form: Form, values: Vec<(Field, Value<'a>)>) -> Op<'a> {
    debug_assert!(
        values.iter().all(|(f, _)| f.form() == form),
        "field outside its form"
    );
    Op::Set { room, form, values }
}

fn read<'a>(room: &'a str, form: Form, fields: &'static [Field], into: ReadId) -> Op<'a> {
    debug_assert!(
        fields.iter().all(|f| f.form() == form),
        "field outside its form"
    );
    Op::Read {
        room,
        form,
        fields,
        into,
    }
}
