//! The time as the journal and the ledger record it.

/// Seconds since the Unix epoch (0 on a clock set before 1970).
pub(crate) fn epoch_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
