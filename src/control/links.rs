//! The links of the service — each PBX's, each SMDR port's — as they stand: up or down, since
//! when, and why the last one went down. The hub keeps them from the events it hears (a PBX
//! found unreachable, answering again; an SMDR connection made or lost); `GET /v1/status` and
//! the status page read them. The FIAS link keeps its own status (`inputs::fias::status`).

use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// Which kind of link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LinkKind {
    /// The PBX's own interface (MiXML or the Mitel PMS link).
    Pbx,
    /// The PMS's FIAS link.
    Fias,
    /// A PBX's call records port.
    Smdr,
}

impl LinkKind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            LinkKind::Pbx => "PBX",
            LinkKind::Fias => "FIAS",
            LinkKind::Smdr => "SMDR",
        }
    }
}

/// One link as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LinkRow {
    pub(crate) kind: LinkKind,
    /// The PBX's name (a PBX's, an SMDR port's link), or the PMS's address (FIAS).
    pub(crate) name: String,
    /// `None` until it has been tried.
    pub(crate) up: Option<bool>,
    /// Since when it is in this state (seconds since the Unix epoch).
    pub(crate) since: u64,
    /// Why it went down last (kept once it is back up: what happened last).
    pub(crate) last_error: Option<String>,
}

/// Every link the hub has heard of, in the order they were registered.
#[derive(Debug, Default)]
pub(crate) struct Links(Mutex<Vec<LinkRow>>);

impl Links {
    /// A link that exists but has not been tried yet.
    pub(crate) fn register(&self, kind: LinkKind, name: &str) {
        let mut rows = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !rows.iter().any(|row| row.kind == kind && row.name == name) {
            rows.push(LinkRow {
                kind,
                name: name.to_owned(),
                up: None,
                since: crate::support::clock::epoch_secs(),
                last_error: None,
            });
        }
    }

    /// Link `name` of `kind` is up, or down for `why`. `since` moves only on a change.
    pub(crate) fn set(&self, kind: LinkKind, name: &str, up: bool, why: Option<&str>) {
        self.register(kind, name);
        let mut rows = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(row) = rows
            .iter_mut()
            .find(|row| row.kind == kind && row.name == name)
        {
            if row.up != Some(up) {
                row.up = Some(up);
                row.since = crate::support::clock::epoch_secs();
            }
            if let Some(why) = why {
                why.clone_into(row.last_error.get_or_insert_default());
            }
        }
    }

    /// As `set`, for a link registered before only (a move between two PBXs names both).
    pub(crate) fn set_known(&self, kind: LinkKind, name: &str, up: bool, why: Option<&str>) {
        let known = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|row| row.kind == kind && row.name == name);
        if known {
            self.set(kind, name, up, why);
        }
    }

    pub(crate) fn rows(&self) -> Vec<LinkRow> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_keeps_since_while_its_state_stays_and_its_last_error_once_back() {
        let links = Links::default();
        links.register(LinkKind::Pbx, "east");
        assert_eq!(links.rows()[0].up, None);
        links.set(LinkKind::Pbx, "east", false, Some("connection refused"));
        let down = links.rows()[0].clone();
        assert_eq!(down.up, Some(false));
        assert_eq!(down.last_error.as_deref(), Some("connection refused"));
        links.set(LinkKind::Pbx, "east", true, None);
        let up = links.rows()[0].clone();
        assert_eq!(up.up, Some(true));
        assert_eq!(up.last_error.as_deref(), Some("connection refused"));
        links.set(LinkKind::Smdr, "east", true, None);
        assert_eq!(
            links.rows().len(),
            2,
            "a PBX's SMDR port is a link of its own"
        );
    }
}
