//! Why the engine stops starting commands: everywhere (the journal cannot be written, a stop
//! was asked for) or on one PBX (it cannot be reached), and when a halted PBX is tried again.

use std::sync::PoisonError;

use super::Shared;

/// Why a run stopped starting commands.
#[derive(Debug, Default)]
pub(super) struct Halts {
    /// On every PBX (the journal cannot be written, a stop was asked for).
    pub(super) all: Option<String>,
    /// On one PBX (it cannot be reached; its credentials are wrong), by index.
    pub(super) pbx: Vec<Option<String>>,
    /// When the first PBX stopped (an open drain ends a while after, to try it again).
    pub(super) since: Option<std::time::Instant>,
}

/// How long an open drain (a service) goes on while a PBX is halted before it ends, so that the
/// next drain tries that PBX again, even while commands for the other PBXs keep coming.
const RETRY_HALTED_PBX: std::time::Duration = std::time::Duration::from_secs(30);

impl Shared {
    pub(super) fn halts(&self) -> std::sync::MutexGuard<'_, Halts> {
        self.halts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn clear_halts(&self) {
        let mut halts = self.halts();
        halts.all = None;
        halts.since = None;
        halts.pbx.iter_mut().for_each(|reason| *reason = None);
    }

    /// Why the run stopped starting commands anywhere (the reasons of every PBX that stopped).
    pub(crate) fn halted(&self) -> Option<String> {
        let halts = self.halts();
        if halts.all.is_some() {
            return halts.all.clone();
        }
        let reasons: Vec<&str> = halts.pbx.iter().flatten().map(String::as_str).collect();
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    /// The names of the PBXs halted one by one.
    pub(super) fn halted_pbxs(&self) -> Vec<String> {
        let halts = self.halts();
        halts
            .pbx
            .iter()
            .zip(&self.pbx_names)
            .filter(|(reason, _)| reason.is_some())
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// How long until an open drain should end to try a halted PBX again (`None`: none halted).
    pub(super) fn retry_halted_in(&self) -> Option<std::time::Duration> {
        let halts = self.halts();
        halts
            .since
            .filter(|_| halts.all.is_none())
            .map(|since| RETRY_HALTED_PBX.saturating_sub(since.elapsed()))
    }

    /// Why commands for these PBXs do not start, if they do not.
    pub(crate) fn halted_on(&self, pbxs: &[usize]) -> Option<String> {
        let halts = self.halts();
        halts.all.clone().or_else(|| {
            pbxs.iter()
                .find_map(|&pbx| halts.pbx.get(pbx).cloned().flatten())
        })
    }

    /// Stops the run from starting further commands; the first reason is kept.
    pub(crate) fn halt(&self, reason: &str) {
        let mut halts = self.halts();
        if halts.all.is_none() {
            halts.all = Some(reason.to_owned());
        }
    }

    /// Stops the run from starting further commands on PBX `pbx`; the others go on.
    pub(crate) fn halt_pbx(&self, pbx: usize, reason: &str) {
        let named = self.pbx_label(&[pbx]).map_or_else(
            || reason.to_owned(),
            |name| format!("PBX `{name}`: {reason}"),
        );
        let mut halts = self.halts();
        halts.since.get_or_insert_with(std::time::Instant::now);
        if let Some(slot) = halts.pbx.get_mut(pbx)
            && slot.is_none()
        {
            *slot = Some(named);
        } else if halts.pbx.get(pbx).is_none() && halts.all.is_none() {
            halts.all = Some(named);
        }
    }
}
