//! What the PBX says on its own (spec §4): maid status (`STS`), message waiting (`MW`) set at
//! the console or the phone, and a request to initialize (`RQINZ`) after it restarted. The link
//! `ACK`s them; this task reports them to the engine (`WireEvent`), whose listener records them
//! in the room state and answers a request to initialize with a general reset from the expected
//! room state (`GRS`, a check-in or check-out with name and level for every room hotelcare
//! knows, `END`) when `[mitel_pms] general_reset` is on.

use tokio::sync::mpsc;

use crate::engine::{FlagChange, MaidStatus, WireError, WireEvent};
use crate::pbx::mitel_pms::driver::PmsSettings;
use crate::pbx::mitel_pms::frame::Record;
use crate::pbx::mitel_pms::link::{Link, Say, say};
use crate::pbx::mitel_pms::rules::fit_name;

/// A message of the PBX, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PbxMessage {
    /// `STSn room`: the room's maid status.
    MaidStatus { room: String, status: MaidStatus },
    /// `MW n room`.
    MessageWaiting { room: String, on: bool },
    /// `RQINZ`: the PBX restarted and asks for the whole house.
    RequestToInitialize,
    /// Anything else: logged and ignored.
    Other(String),
}

/// The maid status codes (spec §3.3, from the descriptions of 3CX and `DuVoice`).
fn maid_status(digit: u8) -> Option<MaidStatus> {
    Some(match digit {
        b'1' => MaidStatus::MaidPresent,
        b'2' => MaidStatus::Clean,
        b'3' => MaidStatus::NotClean,
        b'4' => MaidStatus::OutOfService,
        b'5' => MaidStatus::ToBeInspected,
        b'6' => MaidStatus::OccupiedClean,
        b'7' => MaidStatus::OccupiedNotClean,
        b'8' => MaidStatus::VacantClean,
        b'9' => MaidStatus::VacantNotClean,
        _ => return None,
    })
}

/// Reads a frame's text from the PBX.
pub(crate) fn read(text: &str) -> PbxMessage {
    let room = |rest: &str| {
        let room = rest.trim();
        (!room.is_empty() && room.bytes().all(|b| b.is_ascii_digit())).then(|| room.to_owned())
    };
    let bytes = text.as_bytes();
    if text.trim() == "RQINZ" {
        return PbxMessage::RequestToInitialize;
    }
    // Byte positions: the text is ASCII when it comes from the link (anything else is NAKed),
    // but a position inside a character must never panic.
    if bytes.len() > 5
        && bytes.get(4) == Some(&b' ')
        && let (Some(code), Some(rest)) = (text.get(..3), text.get(5..))
    {
        let found = match (code, bytes[3]) {
            ("STS", digit) => maid_status(digit)
                .zip(room(rest))
                .map(|(status, room)| PbxMessage::MaidStatus { room, status }),
            ("MW ", b'0' | b'1') => room(rest).map(|room| PbxMessage::MessageWaiting {
                room,
                on: bytes[3] == b'1',
            }),
            _ => None,
        };
        if let Some(found) = found {
            return found;
        }
    }
    PbxMessage::Other(text.to_owned())
}

/// Handles what the PBX says, until the link is gone: each message is reported (`WireEvent`),
/// a flag it sets is recorded by the engine's listener, a request to initialize is answered by
/// it with a general reset when `[mitel_pms] general_reset` is on.
pub(crate) async fn handle(
    mut inbox: mpsc::UnboundedReceiver<String>,
    address: String,
    settings: PmsSettings,
    to: Say,
) {
    while let Some(text) = inbox.recv().await {
        let message = read(&text);
        let said = |what: &str| format!("the PBX at {address} says {text:?}: {what}");
        let event = match message {
            PbxMessage::MaidStatus { room, status } => WireEvent::Reported {
                text: said(&format!("maid status of room {room}: {status}")),
                room,
                change: FlagChange::MaidStatus(Some(status)),
            },
            PbxMessage::MessageWaiting { room, on } => WireEvent::Reported {
                text: said(&format!(
                    "message waiting of room {room} {} at the PBX",
                    if on { "on" } else { "off" }
                )),
                room,
                change: FlagChange::MessageWaiting(Some(on)),
            },
            PbxMessage::RequestToInitialize if settings.pms.general_reset => {
                WireEvent::ResetRequested {
                    text: said("a request to initialize (it restarted): a general reset follows"),
                }
            }
            PbxMessage::RequestToInitialize => WireEvent::Note {
                text: said(
                    "a request to initialize (it restarted); `[mitel_pms] general_reset` is off, so it is not answered",
                ),
                problem: true,
            },
            PbxMessage::Other(_) => WireEvent::Note {
                text: said("a message hotelcare does not use (acknowledged)"),
                problem: false,
            },
        };
        say(&to, event);
    }
}

/// `GRS`, then every room of the expected state that is this PBX's (occupied: `CHK1`, name,
/// level; vacant: `CHK0`, block level), then `END`. A frame that fails abandons the cycle (the
/// PBX gives up on it too, and asks again after its next restart). `Ok`: what was sent.
/// The records of a general reset: `GRS`, each room as hotelcare expects it — an occupied
/// one's check-in, name, restriction, and the message lamp and do not disturb that are on (a
/// restarted PBX lost them too) — or its check-out, then `END`.
fn reset_records(
    settings: &PmsSettings,
    rooms: &[(String, crate::engine::RoomState)],
) -> Vec<Record> {
    let mut records = vec![Record::GeneralReset];
    for (room, state) in rooms {
        if state.occupied {
            records.push(Record::CheckIn(room.clone()));
            if let Some(guest) = &state.guest {
                records.push(Record::Name(
                    settings.pms.nam_add,
                    fit_name(&guest.last, &guest.first).name,
                    room.clone(),
                ));
            }
            records.push(Record::Restriction(
                state.cor.unwrap_or(settings.block),
                room.clone(),
            ));
            if state.flags.message_waiting == Some(true) {
                records.push(Record::MessageWaiting(true, room.clone()));
            }
            if state.flags.do_not_disturb == Some(true) {
                records.push(Record::DoNotDisturb(true, room.clone()));
            }
        } else {
            records.push(Record::CheckOut(room.clone()));
        }
    }
    records.push(Record::End);
    records
}

pub(crate) async fn general_reset(
    link: &Link,
    settings: &PmsSettings,
    rooms: Vec<(String, crate::engine::RoomState)>,
) -> Result<String, WireError> {
    let rooms: Vec<_> = rooms
        .into_iter()
        .filter(|(room, _)| settings.owns(room))
        .collect();
    let records = reset_records(settings, &rooms);
    let summary = format!(
        "general reset for the PBX at {}: {} rooms, {} records",
        link.address(),
        rooms.len(),
        records.len()
    );
    for record in &records {
        if let Err(error) = link.send(record.frame(settings.pms.extension_width)).await {
            return Err(WireError::Abandoned(format!(
                "general reset for the PBX at {} abandoned at {}: {error:?}",
                link.address(),
                record.describe()
            )));
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_general_reset_keeps_the_lamp_and_do_not_disturb() {
        let settings = PmsSettings::of(crate::config::Config::builtin().first_pbx());
        let mut state = crate::engine::RoomState {
            occupied: true,
            cor: Some(2),
            ..Default::default()
        };
        state.flags.message_waiting = Some(true);
        state.flags.do_not_disturb = Some(true);
        let texts: Vec<String> = reset_records(&settings, &[("1000".into(), state)])
            .iter()
            .map(|record| record.text(5))
            .collect();
        assert_eq!(
            texts,
            [
                "GRS",
                "CHK1  1000",
                "RST2  1000",
                "MW 1  1000",
                "DND1  1000",
                "END"
            ]
        );
    }

    #[test]
    fn the_pbx_messages_are_read() {
        assert_eq!(
            read("STS2 101  "),
            PbxMessage::MaidStatus {
                room: "101".into(),
                status: MaidStatus::Clean
            }
        );
        assert_eq!(
            read("MW 1 2129 "),
            PbxMessage::MessageWaiting {
                room: "2129".into(),
                on: true
            }
        );
        assert_eq!(read("RQINZ"), PbxMessage::RequestToInitialize);
        assert_eq!(read("STS0 101  "), PbxMessage::Other("STS0 101  ".into()));
        assert_eq!(read("XYZ"), PbxMessage::Other("XYZ".into()));
        // A character across the record's byte positions is text, not a panic.
        assert_eq!(
            read("a\u{20ac} 12"),
            PbxMessage::Other("a\u{20ac} 12".into())
        );
    }

    proptest::proptest! {
        /// Any text: read without a panic, and a room only where the text names one.
        #[test]
        fn any_text_is_read_and_names_only_its_own_room(
            text in proptest::prop_oneof![
                "(STS|MW |RQINZ|DND)[0-9 ]{0,3}[0-9]{0,7} {0,3}",
                proptest::prelude::any::<String>(),
            ]
        ) {
            match read(&text) {
                PbxMessage::MaidStatus { room, .. } | PbxMessage::MessageWaiting { room, .. } => {
                    proptest::prop_assert!(text[5..].trim() == room, "{} from {}", room, text);
                }
                PbxMessage::RequestToInitialize => proptest::prop_assert_eq!(text.trim(), "RQINZ"),
                PbxMessage::Other(other) => proptest::prop_assert_eq!(other, text),
            }
        }
    }
}
