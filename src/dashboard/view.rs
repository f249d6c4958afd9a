//! What the status page shows, gathered from the core in the same answers the API gives
//! (`status`, `rooms`, `charges`, `queue`) and the hub's recent events: the page's model, with
//! no markup in it (`pages` renders it).

use std::sync::Arc;

use crate::control::backend::Backend;
use crate::control::hub::{Kind, Published};
use crate::control::links::{LinkKind, LinkRow};
use crate::control::local::Local;
use crate::control::protocol::{BackendError, QueuePage, StatusAnswer, StayCharges};
use crate::inputs::fias::status::LinkState;
use crate::monitor::json::{Queue, RoomEntry};

/// A room's tile: vacant, occupied, or occupied with outside calls blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Occupancy {
    Vacant,
    Occupied,
    /// Occupied, at the `BLOCK` level (set by hand, or the stay's credit limit reached).
    Blocked,
}

impl Occupancy {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Occupancy::Vacant => "vacant",
            Occupancy::Occupied => "occupied",
            Occupancy::Blocked => "blocked",
        }
    }
}

/// One room with its stay's charges.
#[derive(Clone, Debug)]
pub(crate) struct RoomView {
    pub(crate) entry: RoomEntry,
    pub(crate) charges: Option<StayCharges>,
    pub(crate) occupancy: Occupancy,
}

/// The rooms of one PBX.
#[derive(Clone, Debug)]
pub(crate) struct PbxRooms {
    pub(crate) pbx: String,
    pub(crate) rooms: Vec<RoomView>,
}

/// A link's state as the page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkShown {
    Up,
    Down,
    /// Not tried yet, or connecting.
    Unknown,
}

/// One row of the links table.
#[derive(Clone, Debug)]
pub(crate) struct LinkView {
    pub(crate) kind: LinkKind,
    pub(crate) name: String,
    pub(crate) state: LinkShown,
    pub(crate) since: u64,
    pub(crate) last_error: Option<String>,
}

/// The whole page.
pub(crate) struct Overview {
    pub(crate) status: StatusAnswer,
    pub(crate) links: Vec<LinkView>,
    pub(crate) pbxs: Vec<PbxRooms>,
    pub(crate) queue: Queue,
    /// The monitor's last events, oldest first.
    pub(crate) recent: Vec<Arc<Published>>,
}

/// One room's page.
pub(crate) struct RoomPage {
    pub(crate) room: String,
    /// `None`: the journal knows nothing of the room.
    pub(crate) view: Option<RoomView>,
    /// Its commands waiting in the journal.
    pub(crate) queue: Queue,
    /// What the monitor showed of it lately, oldest first.
    pub(crate) recent: Vec<Arc<Published>>,
}

impl Overview {
    pub(crate) async fn gather(local: &Local) -> Result<Self, BackendError> {
        let status = local.status().await?;
        Ok(Self {
            links: links_of(&status),
            pbxs: rooms_of(local, &status).await?,
            queue: queue(local).await?,
            recent: local.hub.recent(),
            status,
        })
    }
}

/// The links part.
pub(crate) async fn links(local: &Local) -> Result<Vec<LinkView>, BackendError> {
    Ok(links_of(&local.status().await?))
}

/// The rooms part.
pub(crate) async fn rooms(local: &Local) -> Result<Vec<PbxRooms>, BackendError> {
    rooms_of(local, &local.status().await?).await
}

/// The queue part.
pub(crate) async fn queue(local: &Local) -> Result<Queue, BackendError> {
    Ok(local.queue(None, QueuePage::default()).await?.queue)
}

/// The rooms the journal knows, grouped by PBX (every configured PBX, even without rooms).
async fn rooms_of(local: &Local, status: &StatusAnswer) -> Result<Vec<PbxRooms>, BackendError> {
    let rooms = local.rooms(&[], None).await?.rooms.rooms;
    let charges = local.charges(None).await?.stays;
    let default_pbx = status
        .pbxs
        .first()
        .map_or_else(|| "main".to_owned(), |pbx| pbx.name.clone());
    let mut pbxs: Vec<PbxRooms> = status
        .pbxs
        .iter()
        .map(|pbx| PbxRooms {
            pbx: pbx.name.clone(),
            rooms: Vec::new(),
        })
        .collect();
    for entry in rooms {
        let pbx = entry.pbx.clone().unwrap_or_else(|| default_pbx.clone());
        let view = room_view(entry, &charges);
        match pbxs.iter_mut().find(|group| group.pbx == pbx) {
            Some(group) => group.rooms.push(view),
            None => pbxs.push(PbxRooms {
                pbx,
                rooms: vec![view],
            }),
        }
    }
    Ok(pbxs)
}

impl RoomPage {
    pub(crate) async fn gather(local: &Local, room: &str) -> Result<Self, BackendError> {
        let wanted = [room.to_owned()];
        let entry = local
            .rooms(&wanted, None)
            .await?
            .rooms
            .rooms
            .into_iter()
            .next();
        let charges = local.charges(Some(room)).await?.stays;
        let mut commands = crate::control::backend::every_queued(local, None).await?;
        commands.retain(|command| command.rooms.iter().any(|r| r == room));
        let queue = Queue {
            pending: commands
                .iter()
                .filter(|command| command.status == crate::monitor::json::QueueStatus::Pending)
                .count(),
            failed: commands
                .iter()
                .filter(|command| command.status == crate::monitor::json::QueueStatus::Failed)
                .count(),
            commands,
            more: 0,
        };
        let recent = local
            .hub
            .recent()
            .into_iter()
            .filter(|event| event.kind != Kind::Notice && event.room.split("->").any(|r| r == room))
            .collect();
        Ok(Self {
            room: room.to_owned(),
            view: entry.map(|entry| room_view(entry, &charges)),
            queue,
            recent,
        })
    }
}

fn room_view(entry: RoomEntry, charges: &[StayCharges]) -> RoomView {
    let charges = charges.iter().find(|stay| stay.room == entry.room).cloned();
    let blocked = charges.as_ref().is_some_and(|stay| stay.blocked)
        || entry
            .levels
            .iter()
            .any(|level| level.eq_ignore_ascii_case("BLOCK"));
    let occupancy = match (entry.occupied, blocked) {
        (false, _) => Occupancy::Vacant,
        (true, false) => Occupancy::Occupied,
        (true, true) => Occupancy::Blocked,
    };
    RoomView {
        entry,
        charges,
        occupancy,
    }
}

/// Each PBX's link, the FIAS link, each SMDR port's, in that order.
fn links_of(status: &StatusAnswer) -> Vec<LinkView> {
    let shown = |row: &LinkRow| LinkView {
        kind: row.kind,
        name: row.name.clone(),
        state: match row.up {
            Some(true) => LinkShown::Up,
            Some(false) => LinkShown::Down,
            None => LinkShown::Unknown,
        },
        since: row.since,
        last_error: row.last_error.clone(),
    };
    let mut links: Vec<LinkView> = status
        .links
        .iter()
        .filter(|row| row.kind == LinkKind::Pbx)
        .map(shown)
        .collect();
    if let Some(fias) = &status.fias {
        links.push(LinkView {
            kind: LinkKind::Fias,
            name: fias.server.clone(),
            state: match fias.state {
                LinkState::Up => LinkShown::Up,
                LinkState::Down => LinkShown::Down,
                LinkState::Connecting => LinkShown::Unknown,
            },
            since: fias.since,
            last_error: fias.last_error.clone(),
        });
    }
    links.extend(
        status
            .links
            .iter()
            .filter(|row| row.kind == LinkKind::Smdr)
            .map(shown),
    );
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(room: &str, occupied: bool, levels: &[&str]) -> RoomEntry {
        RoomEntry {
            room: room.into(),
            occupied,
            guest: None,
            cor: None,
            levels: levels.iter().map(|level| (*level).to_owned()).collect(),
            pbx: None,
            did: None,
            last: None,
            flags: std::collections::BTreeMap::new(),
            wakeups: Vec::new(),
        }
    }

    #[test]
    fn a_room_is_blocked_at_the_block_level_or_over_its_limit() {
        assert_eq!(
            room_view(entry("1000", false, &["BLOCK"]), &[]).occupancy,
            Occupancy::Vacant
        );
        assert_eq!(
            room_view(entry("1000", true, &["ALLOW"]), &[]).occupancy,
            Occupancy::Occupied
        );
        assert_eq!(
            room_view(entry("1000", true, &["block"]), &[]).occupancy,
            Occupancy::Blocked
        );
        let over = StayCharges {
            room: "1000".into(),
            stay: 1,
            since: 0,
            total: "60.00".into(),
            limit: Some("50.00".into()),
            blocked: true,
            calls: Vec::new(),
        };
        let view = room_view(entry("1000", true, &["ALLOW"]), &[over]);
        assert_eq!(view.occupancy, Occupancy::Blocked);
        assert_eq!(view.charges.map(|c| c.total), Some("60.00".into()));
    }
}
