//! What the PBXs say on their own (`WireEvent`), handled for every wire alike: a link up or down
//! goes to the listeners as `Event::Link` (the metrics follow it), a room's flag the PBX reported
//! is recorded in the room state, and a PBX that asks for every room (it restarted) gets its
//! general reset from the expected room state.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::engine::event::{Event, Sink};
use crate::engine::flood::Flood;
use crate::engine::journal::Journal;
use crate::engine::pbxs::Pbxs;
use crate::engine::wire::WireEvent;

/// Listens to every wire of `pbxs` (on the current runtime; without one, nothing listens).
pub(crate) fn to_every_wire(pbxs: &Pbxs, journal: &Journal, sink: &Sink) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let several = pbxs.names_pbxs();
    for (name, site, wire) in pbxs.members() {
        let (events, mut inbox) = mpsc::unbounded_channel();
        wire.listen(events);
        let (name, site, wire) = (name.to_owned(), site.clone(), Arc::clone(wire));
        let (journal, sink) = (journal.clone(), Arc::clone(sink));
        runtime.spawn(async move {
            let named = |text: &str| {
                if several {
                    format!("PBX `{name}`: {text}")
                } else {
                    text.to_owned()
                }
            };
            let notice = |text: &str, problem: bool| {
                sink(&Event::Notice {
                    text: &named(text),
                    problem,
                });
            };
            // Events read ahead while folding requests to initialize (kept in order).
            let mut held = std::collections::VecDeque::new();
            let mut flood = Flood::new(Instant::now());
            loop {
                let event = match held.pop_front() {
                    Some(event) => event,
                    None => match tokio::time::timeout(
                        flood.due_in(Instant::now()),
                        inbox.recv(),
                    )
                    .await
                    {
                        Ok(Some(event)) => event,
                        Ok(None) => break,
                        Err(_) => {
                            if let Some(summary) = flood.roll(Instant::now()) {
                                notice(&summary, true);
                            }
                            continue;
                        }
                    },
                };
                match event {
                    WireEvent::LinkUp { text } => sink(&Event::Link {
                        pbx: &name,
                        up: true,
                        text: &named(&text),
                    }),
                    WireEvent::LinkDown { text } => sink(&Event::Link {
                        pbx: &name,
                        up: false,
                        text: &named(&text),
                    }),
                    WireEvent::Note { text, problem } => notice(&text, problem),
                    WireEvent::Reported { room, change, text } => {
                        let (told, summary) = flood.report(Instant::now());
                        if let Some(summary) = summary {
                            notice(&summary, true);
                        }
                        if told {
                            notice(&text, false);
                        }
                        if let Err(error) = journal.set_room_flag(&room, change).await {
                            notice(
                                &format!("room {room}: what the PBX reported is not recorded: {error}"),
                                true,
                            );
                        }
                    }
                    WireEvent::WakeupRang { room, at, ending } => {
                        match journal.wakeup_rang(&room, at, ending).await {
                            Ok(true) => notice(
                                &format!("room {room}: the wake-up call of {at} rang: {ending}"),
                                ending != crate::engine::wire::WakeupEnding::Answered,
                            ),
                            // Reported again (after a restart): nothing new.
                            Ok(false) => {}
                            Err(error) => notice(
                                &format!("room {room}: the wake-up call of {at} rang ({ending}), but it is not recorded: {error}"),
                                true,
                            ),
                        }
                    }
                    WireEvent::ResetRequested { text } => {
                        notice(&text, false);
                        // Requests already queued are answered by this one reset.
                        let mut folded = fold_requests(&mut inbox, &mut held);
                        // Completions still waiting in the journal's writer are part of what
                        // the PBX is reset to.
                        let rooms = match journal.commit_waiting().await.and_then(|()| journal.rooms()) {
                            Ok(rooms) => rooms
                                .into_iter()
                                .filter(|(room, _)| site.owns(room))
                                .collect(),
                            Err(error) => {
                                notice(
                                    &format!(
                                        "the general reset is not sent: the room state cannot be read ({error})"
                                    ),
                                    true,
                                );
                                continue;
                            }
                        };
                        match wire.general_reset(rooms).await {
                            Ok(summary) => notice(&summary, false),
                            Err(error) => notice(&error.to_string(), true),
                        }
                        // And so are those that came while it ran: the PBX has every room now.
                        folded += fold_requests(&mut inbox, &mut held);
                        if folded > 0 {
                            notice(
                                &format!(
                                    "{folded} more request(s) to initialize came while the general reset was queued or ran: answered by it, not each with a reset of its own"
                                ),
                                false,
                            );
                        }
                    }
                }
            }
        });
    }
}

/// Takes every event already waiting: requests to initialize are counted (one reset answers
/// them all), the others kept in order in `held`.
fn fold_requests(
    inbox: &mut mpsc::UnboundedReceiver<WireEvent>,
    held: &mut std::collections::VecDeque<WireEvent>,
) -> usize {
    let mut folded = 0;
    while let Ok(event) = inbox.try_recv() {
        if matches!(event, WireEvent::ResetRequested { .. }) {
            folded += 1;
        } else {
            held.push_back(event);
        }
    }
    folded
}
