//! A disk that fills up on demand: redb storage in memory whose writes fail with "No space left
//! on device" while `full` is set, and which outlives the database opened on it (so that the
//! journal can open it again, as it opens its file again).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use redb::StorageBackend;

use crate::engine::Journal;

/// The disk; clones share it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Disk {
    bytes: Arc<RwLock<Vec<u8>>>,
    full: Arc<AtomicBool>,
    syncs: Arc<AtomicUsize>,
}

impl Disk {
    /// Writes fail from now on (or work again).
    pub(crate) fn fill(&self, full: bool) {
        self.full.store(full, Ordering::SeqCst);
    }

    /// Frees the disk and waits (at most 10 s) until `journal`, on it, is written again.
    pub(crate) async fn empty(&self, journal: &Journal) {
        self.fill(false);
        let mut faults = journal.faults();
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            faults.wait_for(Option::is_none),
        )
        .await
        .expect("the journal is opened again within 10 s")
        .expect("the journal's fault is told");
    }

    /// The fsyncs it was asked for so far.
    pub(crate) fn syncs(&self) -> usize {
        self.syncs.load(Ordering::SeqCst)
    }

    /// A journal on this disk that gives up after `give_up`.
    pub(crate) fn journal(&self, give_up: std::time::Duration) -> Journal {
        self.journal_grouping(give_up, std::time::Duration::from_millis(4))
    }

    /// A journal on this disk whose completions wait at most `window` for an fsync.
    pub(crate) fn journal_grouping(
        &self,
        give_up: std::time::Duration,
        window: std::time::Duration,
    ) -> Journal {
        let disk = self.clone();
        Journal::on_storage(
            Arc::new(move || {
                redb::Builder::new()
                    .create_with_backend(disk.clone())
                    .map_err(|e| crate::engine::JournalError::Other(e.to_string()))
            }),
            give_up,
            window,
        )
        .expect("a journal on an empty disk")
    }

    fn refuse(&self) -> std::io::Result<()> {
        if self.full.load(Ordering::SeqCst) {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device (os error 28)",
            ))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for Disk {
    fn len(&self) -> std::io::Result<u64> {
        Ok(self.bytes.read().map_or(0, |bytes| bytes.len() as u64))
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        let bytes = self
            .bytes
            .read()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let start = usize::try_from(offset).map_err(std::io::Error::other)?;
        let source = bytes.get(start..start + out.len()).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "past the end")
        })?;
        out.copy_from_slice(source);
        Ok(())
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        let mut bytes = self
            .bytes
            .write()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let len = usize::try_from(len).map_err(std::io::Error::other)?;
        if len > bytes.len() {
            self.refuse()?;
        }
        bytes.resize(len, 0);
        Ok(())
    }

    fn sync_data(&self) -> std::io::Result<()> {
        self.syncs.fetch_add(1, Ordering::SeqCst);
        self.refuse()
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.refuse()?;
        let mut bytes = self
            .bytes
            .write()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let start = usize::try_from(offset).map_err(std::io::Error::other)?;
        bytes
            .get_mut(start..start + data.len())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "past the end"))?
            .copy_from_slice(data);
        Ok(())
    }
}
