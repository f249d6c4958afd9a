//! What a FIAS record means in hotelcare's language: a few lines of script, journaled like any
//! script (checked whole; refused with its reason if it does not validate). The reservation
//! number (`G#`) goes into a comment line, so that the same record delivered twice is recognised
//! as a script accepted before, while the same command for another reservation is not.

use crate::config::{Capabilities, FiasConfig};
use crate::fias::record::Record;

/// A record, mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mapped {
    /// Script text to journal; `name` is its source (`fias:GI:G#123`); `again`: accept the
    /// same text again (a room equipment change may repeat; a guest event may not).
    Script {
        name: String,
        text: String,
        again: bool,
    },
    /// Not mapped (a record type or field hotelcare does not use, or a missing room): why.
    Ignored(String),
}

/// What the wire of the PBX that owns a room can do (PBXs differ: `[pbx.NAME]`).
pub(crate) type Wires = std::sync::Arc<dyn Fn(&str) -> Capabilities + Send + Sync>;

/// Maps `record` for the PBX of its room, whose wire can do `capabilities(room)`.
pub(crate) fn map(
    record: &Record,
    config: &FiasConfig,
    capabilities: &dyn Fn(&str) -> Capabilities,
) -> Mapped {
    let Some(room) = record.get("RN").filter(|r| !r.is_empty()) else {
        return Mapped::Ignored(format!("{}: no room number (RN)", record.kind));
    };
    let capabilities = capabilities(room);
    let reservation = record.get("G#").unwrap_or("");
    let level = match record.get("CS").filter(|cs| !cs.is_empty()) {
        None => None,
        Some(cs) => match config.class_of_service.get(cs) {
            Some(level) => Some(level.as_str()),
            None => {
                return Mapped::Ignored(format!(
                    "{} for room {room}: class of service CS{cs} is not in `[fias.class_of_service]`",
                    record.kind
                ));
            }
        },
    };
    // The record's date and time, when the PMS sends them, tell a repeated event (a guest
    // moving back and forth) from a record delivered twice.
    let when = match (record.get("DA"), record.get("TI")) {
        (Some(date), Some(time)) => format!(" DA{date} TI{time}"),
        _ => String::new(),
    };
    let header = format!("# FIAS {} G#{reservation} RN{room}{when}\n", record.kind);
    let script = |lines: Vec<String>, again: bool| Mapped::Script {
        // Named by the reservation; a record without one (`RE`) by its room.
        name: if reservation.is_empty() {
            format!("fias:{}:RN{room}", record.kind)
        } else {
            format!("fias:{}:G#{reservation}", record.kind)
        },
        text: format!("{header}{}\n", lines.join("\n")),
        again,
    };
    match record.kind.as_str() {
        "GI" => {
            let Some(name) = quoted_name(record, config) else {
                return Mapped::Ignored(format!("GI for room {room}: no guest name (GN)"));
            };
            let cos = level
                .map(|level| format!(" COS {level}"))
                .unwrap_or_default();
            let did = match virtual_number(record, capabilities) {
                Some(VirtualNumber::Assign(number)) => format!(" DID {number}"),
                _ => String::new(),
            };
            script(vec![format!("CHECKIN {room} \"{name}\"{cos}{did}")], false)
        }
        "GO" => script(vec![format!("CHECKOUT {room}")], false),
        "GC" => {
            let mut lines = Vec::new();
            match record
                .get("RO")
                .filter(|old| !old.is_empty() && *old != room)
            {
                Some(old) => lines.push(format!("MOVE {old} {room}")),
                None => {
                    if let Some(name) = quoted_name(record, config) {
                        lines.push(format!("RENAME {room} \"{name}\""));
                    }
                }
            }
            if let Some(level) = level {
                lines.push(format!("COS {room} {level}"));
            }
            lines.extend(did_line(room, record, capabilities));
            if lines.is_empty() {
                return Mapped::Ignored(format!(
                    "GC for room {room}: nothing hotelcare keeps changed"
                ));
            }
            script(lines, false)
        }
        "RE" => {
            let mut lines = Vec::new();
            if let Some(level) = level {
                lines.push(format!("COS {room} {level}"));
            }
            lines.extend(did_line(room, record, capabilities));
            for (field, keyword) in [("DN", "DND"), ("ML", "MW")] {
                if let Some(value) = record.get(field) {
                    if !capabilities.flags {
                        continue;
                    }
                    lines.push(format!(
                        "{keyword} {room} {}",
                        if yes(value) { "ON" } else { "OFF" }
                    ));
                }
            }
            if lines.is_empty() {
                return Mapped::Ignored(format!(
                    "RE for room {room}: nothing this PBX's interface ({}) takes",
                    capabilities.interface.name()
                ));
            }
            script(lines, true)
        }
        other => Mapped::Ignored(format!("record type {other} is not used")),
    }
}

/// A virtual number (a DID that follows the guest): `EN` the number, `ES` what happens to it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum VirtualNumber {
    /// `ES1`: the guest gets `EN`.
    Assign(String),
    /// `ES0`: the guest gives it back.
    Unassign,
    /// `ES3`: it moves with the guest (a `MOVE` carries the DID already).
    Moves,
}

/// The record's virtual number, on a wire with DIDs (`None` otherwise, or without one).
fn virtual_number(record: &Record, capabilities: Capabilities) -> Option<VirtualNumber> {
    if !capabilities.did {
        return None;
    }
    let number = record.get("EN").map(str::trim).filter(|n| !n.is_empty());
    match (record.get("ES").map(str::trim), number) {
        (Some("1"), Some(number)) => Some(VirtualNumber::Assign(number.to_owned())),
        (Some("0"), _) => Some(VirtualNumber::Unassign),
        (Some("3"), _) => Some(VirtualNumber::Moves),
        _ => None,
    }
}

/// `DID room n` / `DID room NONE` for a record's virtual number.
fn did_line(room: &str, record: &Record, capabilities: Capabilities) -> Option<String> {
    match virtual_number(record, capabilities)? {
        VirtualNumber::Assign(number) => Some(format!("DID {room} {number}")),
        VirtualNumber::Unassign => Some(format!("DID {room} NONE")),
        VirtualNumber::Moves => None,
    }
}

/// `Last,First` from `GN` and `GF`, quoted for the language (`\"`, `\\`).
/// With `[fias] title = true` the title (`GT`: `Dr.`, `Mrs.`) goes before the first name, as
/// a phone's display then shows it (`Solo,Dr. Alina`); off by default, since most hotels do not
/// want a title taking display characters.
pub(crate) fn quoted_name(record: &Record, config: &FiasConfig) -> Option<String> {
    let last = record.get("GN").map(str::trim).filter(|n| !n.is_empty())?;
    let title = record
        .get("GT")
        .map(str::trim)
        .filter(|t| config.title && !t.is_empty());
    let given = record.get("GF").map_or("", str::trim);
    let first = match title {
        Some(title) if given.is_empty() => title.to_owned(),
        Some(title) => format!("{title} {given}"),
        None => given.to_owned(),
    };
    let full = if first.is_empty() {
        last.to_owned()
    } else {
        format!("{last},{first}")
    };
    Some(full.replace('\\', "\\\\").replace('"', "\\\""))
}

/// FIAS flags: `Y`/`N` (and `1`/`0` from some PMSs).
fn yes(value: &str) -> bool {
    matches!(value.trim(), "Y" | "y" | "1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Interface;

    fn config() -> FiasConfig {
        FiasConfig {
            server: "127.0.0.1:5010".into(),
            codepage: encoding_rs::WINDOWS_1252,
            title: false,
            class_of_service: [("0", "BLOCK"), ("2", "ALLOW")]
                .into_iter()
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect(),
        }
    }

    fn text(line: &str, interface: Interface) -> Mapped {
        let record = Record::parse(line.as_bytes(), encoding_rs::WINDOWS_1252).unwrap();
        map(&record, &config(), &|_| interface.capabilities())
    }

    #[test]
    fn the_title_goes_before_the_first_name_only_when_asked() {
        let record = Record::parse(
            b"GI|RN1000|G#7|GNSolo|GFAlina|GTDr.|",
            encoding_rs::WINDOWS_1252,
        )
        .unwrap();
        assert_eq!(quoted_name(&record, &config()).unwrap(), "Solo,Alina");
        let titled = FiasConfig {
            title: true,
            ..config()
        };
        assert_eq!(quoted_name(&record, &titled).unwrap(), "Solo,Dr. Alina");
        let no_first =
            Record::parse(b"GI|RN1000|GNSolo|GTMrs.|", encoding_rs::WINDOWS_1252).unwrap();
        assert_eq!(quoted_name(&no_first, &titled).unwrap(), "Solo,Mrs.");
    }

    #[test]
    fn guest_records_become_commands() {
        assert_eq!(
            text("GI|RN1000|G#77|GNSolo|GFAlina|CS2|", Interface::Mixml),
            Mapped::Script {
                name: "fias:GI:G#77".into(),
                text: "# FIAS GI G#77 RN1000\nCHECKIN 1000 \"Solo,Alina\" COS ALLOW\n".into(),
                again: false
            }
        );
        assert!(matches!(
            text("GC|RN2000|RO1000|G#77|GS|GS|", Interface::Mixml),
            Mapped::Script { text, .. } if text.ends_with("MOVE 1000 2000\n")
        ));
        assert!(matches!(
            text("GC|RN2000|G#77|GNSolo|GFAline|", Interface::Mixml),
            Mapped::Script { text, .. } if text.ends_with("RENAME 2000 \"Solo,Aline\"\n")
        ));
        assert!(matches!(
            text("GO|RN2000|G#77|", Interface::Mixml),
            Mapped::Script { text, .. } if text.ends_with("CHECKOUT 2000\n")
        ));
        assert!(matches!(
            text("GI|RN1|G#1|GNO\"Neil|", Interface::Mixml),
            Mapped::Script { text, .. } if text.contains("\"O\\\"Neil\"")
        ));
    }

    #[test]
    fn virtual_numbers_become_dids_on_a_wire_with_dids() {
        assert!(matches!(
            text("GI|RN1000|G#5|GNSolo|EN3001|ES1|", Interface::Mixml),
            Mapped::Script { text, .. } if text.ends_with("CHECKIN 1000 \"Solo\" DID 3001\n")
        ));
        assert!(matches!(
            text("GC|RN2000|RO1000|G#5|EN3001|ES3|", Interface::Mixml),
            Mapped::Script { text, .. } if text.ends_with("MOVE 1000 2000\n")
        ));
        assert!(matches!(
            text("RE|RN2000|EN3001|ES0|", Interface::Mixml),
            Mapped::Script { text, .. } if text.ends_with("DID 2000 NONE\n")
        ));
        assert!(matches!(
            text("GI|RN1000|G#5|GNSolo|EN3001|ES1|", Interface::MitelPms),
            Mapped::Script { text, .. } if text.ends_with("CHECKIN 1000 \"Solo\"\n")
        ));
    }

    #[test]
    fn room_equipment_follows_what_the_wire_can_do() {
        assert!(matches!(
            text("RE|RN1000|CS0|DNY|MLY|", Interface::MitelPms),
            Mapped::Script { text, again: true, .. }
                if text.ends_with("COS 1000 BLOCK\nDND 1000 ON\nMW 1000 ON\n")
        ));
        assert!(matches!(
            text("RE|RN1000|CS0|DNY|", Interface::Mixml),
            Mapped::Script { text, .. } if text.ends_with("COS 1000 BLOCK\n")
        ));
        assert!(matches!(
            text("RE|RN1000|MLN|", Interface::Mixml),
            Mapped::Ignored(_)
        ));
        assert!(
            matches!(text("GI|RN1000|GNX|CS9|", Interface::Mixml), Mapped::Ignored(why) if why.contains("CS9"))
        );
        assert!(matches!(
            text("XX|RN1000|", Interface::Mixml),
            Mapped::Ignored(_)
        ));
        assert!(matches!(
            text("GO|G#1|", Interface::Mixml),
            Mapped::Ignored(_)
        ));
    }
}
