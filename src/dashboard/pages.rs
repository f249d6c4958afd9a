//! The status page's markup (maud: compiled into the binary, every value escaped). Each part
//! that the page's script refreshes (`links`, `rooms`, `queue`) is a function of its own, so
//! that the first render and a refresh are the same markup.

use maud::{DOCTYPE, Markup, html};

use crate::control::hub::{Ending, Kind, Published};
use crate::diagnostics::LocalTime;
use crate::monitor::json::{Queue, QueueStatus};

use super::view::{LinkShown, LinkView, Overview, PbxRooms, RoomPage, RoomView};

/// The frame of every page: its title, the style sheet, the CSRF value for its forms.
fn frame(title: &str, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — hotelcare" }
                link rel="stylesheet" href="/dashboard.css";
            }
            body { (body) }
        }
    }
}

/// The status page: links, rooms, queue, monitor.
pub(crate) fn overview(view: &Overview, start: &str, csrf: &str) -> Markup {
    // The stream goes on after the last event shown (see `dashboard::events`).
    let last_id = format!("{start}:{}", view.recent.last().map_or(0, |event| event.id));
    let body = html! {
        header {
            h1 { "hotelcare" }
            p.service { (view.status.service.as_deref().unwrap_or("service")) }
            p #connection role="status" aria-live="polite" { "Live updates: starting…" }
        }
        main {
            section #links aria-labelledby="links-title" { (links(&view.links, csrf)) }
            section #rooms aria-labelledby="rooms-title" { (rooms(&view.pbxs)) }
            section #queue aria-labelledby="queue-title" { (queue(&view.queue)) }
            section aria-labelledby="monitor-title" {
                h2 #monitor-title { "Monitor" }
                form.filters role="search" {
                    label { "Room " input #filter-room type="search" inputmode="numeric" size="8"; }
                    label { "Source " input #filter-source type="search" size="16" placeholder="spool, fias, api…"; }
                }
                ol #monitor data-last-id=(last_id) aria-live="polite" aria-relevant="additions" {
                    @for event in &view.recent { (monitor_lines(event)) }
                }
            }
        }
        script src="/dashboard.js" defer {}
    };
    frame("Status", &body)
}

/// The links table. A PBX's state is what the last request to it found; "Test the PBX links"
/// asks each now.
pub(crate) fn links(links: &[LinkView], csrf: &str) -> Markup {
    html! {
        h2 #links-title { "Links" }
        table {
            thead { tr { th scope="col" { "Link" } th scope="col" { "State" } th scope="col" { "Since" } th scope="col" { "Last error" } } }
            tbody {
                @for link in links {
                    @let (class, label) = match link.state {
                        LinkShown::Up => ("up", "✔ up"),
                        LinkShown::Down => ("down", "✖ DOWN"),
                        LinkShown::Unknown => ("unknown", "… not tried yet"),
                    };
                    tr.link data-state=(class) {
                        th scope="row" { (link.kind.label()) " " (link.name) }
                        td.(class) { (label) }
                        td { (LocalTime(link.since)) }
                        td.wrap { (link.last_error.as_deref().unwrap_or("—")) }
                    }
                }
            }
        }
        form method="post" action="/links/test" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { "Test the PBX links now" }
        }
    }
}

/// The rooms, a grid per PBX.
pub(crate) fn rooms(pbxs: &[PbxRooms]) -> Markup {
    html! {
        h2 #rooms-title { "Rooms" }
        @for pbx in pbxs {
            h3 { "PBX " (pbx.pbx) " — " (pbx.rooms.len()) " room(s)" }
            @if pbx.rooms.is_empty() {
                p { "No room has had a command yet." }
            } @else {
                ul.grid {
                    @for room in &pbx.rooms { (tile(room)) }
                }
            }
        }
    }
}

/// One room's tile: its state in words (never only in colour), the guest, level, DID, flags,
/// wake-ups and charges.
fn tile(room: &RoomView) -> Markup {
    let entry = &room.entry;
    let flag_on = |name: &str| entry.flags.get(name).is_some_and(|value| value == "on");
    html! {
        li.room data-room=(entry.room) data-state=(room.occupancy.label()) {
            a href={ "/rooms/" (entry.room) } {
                span.ext { (entry.room) }
                span.occupancy { (room.occupancy.label()) }
                @if let Some(guest) = &entry.guest { span.guest { (guest.directory_name) } }
                @if !entry.levels.is_empty() { span { "COS " (entry.levels.join("/")) } }
                @if let Some(did) = &entry.did { span { "DID " (did) } }
                @if flag_on("do not disturb") { span.flag { "DND" } }
                @if flag_on("message waiting") { span.flag { "MW" } }
                @for wakeup in &entry.wakeups { span { "wake-up " (wakeup) } }
                @if let Some(charges) = &room.charges {
                    span.charges {
                        "charges " (charges.total)
                        @if let Some(limit) = &charges.limit { " of " (limit) }
                    }
                }
            }
        }
    }
}

/// The queue, oldest first, with its actions.
pub(crate) fn queue(queue: &Queue) -> Markup {
    html! {
        h2 #queue-title { "Queue" }
        p { (queue.pending) " pending, " (queue.failed) " failed" }
        @if !queue.commands.is_empty() {
            form method="get" action="/queue/retry" { button type="submit" { "Retry the queue…" } }
            (queue_table(queue, true))
        }
    }
}

fn queue_table(queue: &Queue, actions: bool) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "#" } th scope="col" { "State" } th scope="col" { "Room" }
                th scope="col" { "Command" } th scope="col" { "From" } th scope="col" { "Attempts" }
                th scope="col" { "Last error" }
                @if actions { th scope="col" { span.hidden { "Action" } } }
            } }
            tbody {
                @for command in &queue.commands {
                    @let state = match command.status { QueueStatus::Pending => "pending", QueueStatus::Failed => "failed" };
                    tr.command data-state=(state) {
                        td { (command.seq) }
                        td.(state) { (state) }
                        td { (command.rooms.join(" → ")) }
                        td { code { (command.command) } }
                        td.wrap { (command.origin) }
                        td { (command.attempts) }
                        td.wrap { (command.last_error.as_deref().unwrap_or("—")) }
                        @if actions {
                            td { form method="get" action={ "/queue/" (command.seq) "/drop" } {
                                button type="submit" aria-label={ "Drop command " (command.seq) "…" } { "Drop…" }
                            } }
                        }
                    }
                }
            }
        }
    }
}

/// The monitor's lines of one event, as `run` prints them.
fn monitor_lines(event: &Published) -> Markup {
    let kind = match event.kind {
        Kind::Step => "step",
        Kind::Finished => "finished",
        Kind::Notice => "notice",
    };
    let outcome = match event.outcome {
        Some(Ending::Done) => "done",
        Some(Ending::Failed | Ending::NotDone) => "failed",
        Some(Ending::Queued | Ending::Behind) => "queued",
        None => "",
    };
    html! {
        @for line in &event.lines {
            li data-room=(event.room) data-source=(event.source) data-kind=(kind) data-outcome=(outcome) { (line) }
        }
    }
}

/// A room's own page: its state and recent commands.
pub(crate) fn room(page: &RoomPage) -> Markup {
    let body = html! {
        header {
            p { a href="/" { "← Status" } }
            h1 { "Room " (page.room) }
        }
        main {
            section aria-labelledby="state-title" {
                h2 #state-title { "State" }
                @match &page.view {
                    None => p { "The journal knows nothing of this room: no command has been run on it." },
                    Some(view) => (room_state(view)),
                }
            }
            section aria-labelledby="waiting-title" {
                h2 #waiting-title { "Waiting in the queue" }
                @if page.queue.commands.is_empty() { p { "Nothing." } } @else { (queue_table(&page.queue, true)) }
            }
            section aria-labelledby="recent-title" {
                h2 #recent-title { "Recent commands" }
                p.note { "What the monitor showed of this room since the service started (of the last events it keeps)." }
                @if page.recent.is_empty() { p { "None." } } @else {
                    ol.monitor { @for event in &page.recent { (monitor_lines(event)) } }
                }
            }
        }
    };
    frame(&format!("Room {}", page.room), &body)
}

fn room_state(view: &RoomView) -> Markup {
    let entry = &view.entry;
    html! {
        dl.state {
            dt { "State" } dd { (view.occupancy.label()) }
            @if let Some(guest) = &entry.guest { dt { "Guest" } dd { (guest.directory_name) } }
            @if let Some(pbx) = &entry.pbx { dt { "PBX" } dd { (pbx) } }
            dt { "Class of service" } dd {
                @if entry.levels.is_empty() { "—" } @else { (entry.levels.join("/")) }
                @if let Some(cor) = entry.cor { " (COR " (cor) ")" }
            }
            dt { "DID" } dd { (entry.did.as_deref().unwrap_or("—")) }
            @for (flag, value) in &entry.flags { dt { (flag) } dd { (value) } }
            dt { "Wake-up calls" } dd { @if entry.wakeups.is_empty() { "—" } @else { (entry.wakeups.join(", ")) } }
            @if let Some(last) = &entry.last {
                dt { "Last command" } dd { "#" (last.seq) " " (last.keyword) " (" (last.origin) ") at " (LocalTime(last.at)) }
            }
        }
        @if let Some(charges) = &view.charges {
            h3 { "Charges of the stay" }
            p { "Total " (charges.total) @if let Some(limit) = &charges.limit { " of a limit of " (limit) } @if charges.blocked { " — outside calls blocked by the limit" } }
            @if !charges.calls.is_empty() {
                table {
                    thead { tr { th scope="col" { "Start" } th scope="col" { "Number" } th scope="col" { "Seconds" } th scope="col" { "Tariff" } th scope="col" { "Amount" } th scope="col" { "Posting" } } }
                    tbody { @for call in &charges.calls { tr {
                        td { (call.start) } td { (call.number) } td { (call.duration_secs) }
                        td { (call.tariff.as_deref().unwrap_or("—")) } td { (call.amount) } td { (call.posting) }
                    } } }
                }
            }
        }
    }
}

/// A question before a change, answered by a button (a form with the CSRF value) or a way back.
pub(crate) fn confirm(
    title: &str,
    question: &Markup,
    action: &str,
    button: &str,
    csrf: &str,
) -> Markup {
    let body = html! {
        main {
            h1 { (title) }
            (question)
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" autofocus { (button) }
                " "
                a href="/" { "Cancel" }
            }
        }
    };
    frame(title, &body)
}

/// What an action did, with the way back.
pub(crate) fn outcome(title: &str, text: &str, good: bool) -> Markup {
    let body = html! {
        main {
            h1 { (title) }
            pre.outcome data-good=(good) role=(if good { "status" } else { "alert" }) { (text) }
            p { a href="/" { "Back to the status page" } }
        }
    };
    frame(title, &body)
}

/// The page a ticket opens: it sets the cookie and goes on to `/` (a navigation of this site's
/// own, so the `SameSite=Strict` cookie goes with it).
pub(crate) fn signed_in() -> Markup {
    let body = html! {
        main {
            h1 { "Signed in" }
            p { a href="/" { "Open the status page" } }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content="0; url=/";
                title { "Signed in — hotelcare" }
                link rel="stylesheet" href="/dashboard.css";
            }
            body { (body) }
        }
    }
}

/// Why the page is not shown, and what to do.
pub(crate) fn refused(title: &str, text: &str) -> Markup {
    let body = html! {
        main {
            h1 { (title) }
            p role="alert" { (text) }
        }
    };
    frame(title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::view::Occupancy;
    use crate::lang::validate::Guest;
    use crate::monitor::json::RoomEntry;

    #[test]
    fn what_comes_from_outside_is_escaped() {
        let room = RoomView {
            entry: RoomEntry {
                room: "1000".into(),
                occupied: true,
                guest: Some(Guest {
                    last: "<script>alert(1)</script>".into(),
                    first: String::new(),
                    directory_name: "<script>alert(1)</script>".into(),
                }),
                cor: Some(1),
                levels: vec!["ALLOW".into()],
                pbx: None,
                did: None,
                last: None,
                flags: [("do not disturb".to_owned(), "on".to_owned())].into(),
                wakeups: vec!["2026-12-03 07:00".into()],
            },
            charges: None,
            occupancy: Occupancy::Occupied,
        };
        let html = tile(&room).into_string();
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("DND"), "{html}");
        assert!(html.contains("wake-up 2026-12-03 07:00"), "{html}");
        assert!(html.contains(r#"data-state="occupied""#), "{html}");
    }
}
