//! What the engine checks before it sends a command, from what only the expected room state
//! and the clock know: a wake-up is booked for a time still to come, for a room that has a
//! guest, at most three a room; a credit limit is set on a stay. (A wire that reads the PBX checks the guest again there.)

use chrono::NaiveDateTime;

use crate::engine::room_state::RoomState;
use crate::lang::validate::Action;
use crate::lang::validate::wakeup::{MAX_PER_ROOM, WakeupChange};

/// Why `action` must not be sent now (a sentence that names the room and says what to do), or
/// `None`. `state`: the room as hotelcare last had it confirmed (`None`: never touched), read
/// only for the commands that depend on it.
pub(crate) fn refusal(
    action: &Action,
    state: impl FnOnce() -> Option<RoomState>,
    now: NaiveDateTime,
) -> Option<String> {
    if let Action::Limit { room, .. } = action {
        // A limit belongs to a stay: a room without one has nothing to hold.
        return state().and_then(|state| state.stay).is_none().then(|| {
            format!(
                "room {room} has no stay as far as hotelcare knows: no credit limit was set; check the guest in first"
            )
        });
    }
    let Action::Wakeup {
        room,
        change: change @ WakeupChange::Book(at),
    } = action
    else {
        return None;
    };
    if at.has_passed(now) {
        return Some(format!(
            "room {room}: the wake-up time {at} has passed before the call could be booked; nothing was sent"
        ));
    }
    let state = state()?;
    if !state.occupied {
        return Some(format!(
            "room {room} has no guest as far as hotelcare knows: no wake-up call was booked; check the guest in first"
        ));
    }
    if change.apply(&state.wakeups).len() > MAX_PER_ROOM {
        let booked: Vec<String> = state.wakeups.iter().map(ToString::to_string).collect();
        return Some(format!(
            "room {room} already has {MAX_PER_ROOM} wake-up calls booked ({}); clear one first (`WAKEUP {room} CLEAR HH:MM`)",
            booked.join(", ")
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::validate::wakeup::{Clock, Wakeup, parse_date};

    fn at(day: &str, time: &str) -> Wakeup {
        Wakeup {
            date: parse_date(day).unwrap(),
            clock: Clock::parse(time).unwrap(),
        }
    }

    fn book(wakeup: Wakeup) -> Action {
        Action::Wakeup {
            room: "1000".into(),
            change: WakeupChange::Book(wakeup),
        }
    }

    #[test]
    fn a_wakeup_is_booked_ahead_for_a_guest_three_at_most() {
        let now = parse_date("2026-12-02")
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        let guest = RoomState {
            occupied: true,
            ..RoomState::default()
        };
        let tomorrow = at("2026-12-03", "07:00");
        assert_eq!(refusal(&book(tomorrow), || Some(guest.clone()), now), None);
        assert_eq!(
            refusal(&book(tomorrow), || None, now),
            None,
            "unknown: the wire decides"
        );
        let passed = refusal(
            &book(at("2026-12-02", "07:59")),
            || Some(guest.clone()),
            now,
        )
        .unwrap();
        assert!(passed.contains("has passed"), "{passed}");
        let vacant = refusal(&book(tomorrow), || Some(RoomState::default()), now).unwrap();
        assert!(vacant.contains("no guest"), "{vacant}");
        let full = RoomState {
            wakeups: vec![
                at("2026-12-03", "06:00"),
                at("2026-12-03", "06:30"),
                at("2026-12-03", "06:45"),
            ],
            ..guest
        };
        let fourth = refusal(&book(tomorrow), || Some(full.clone()), now).unwrap();
        assert!(fourth.contains("already has 3"), "{fourth}");
        // The same one again is no fourth.
        assert_eq!(
            refusal(&book(full.wakeups[0]), || Some(full.clone()), now),
            None
        );
    }
}
