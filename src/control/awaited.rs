//! The commands a waiter of the hub waits for: up to a million of a spool file, kept as runs of
//! numbers and one bit each, so that waiting for a big file costs an eighth of a byte a command.

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct Awaited {
    /// (first, how many, how many in the runs before), increasing and apart.
    runs: Vec<(u64, u64, u64)>,
    /// One bit per command of the runs, in order: set once it finished.
    finished: Vec<u64>,
    left: u64,
}

impl Awaited {
    /// `seqs` in increasing order (one out of order is left out), consecutive ones as runs.
    pub(crate) fn new(seqs: impl IntoIterator<Item = u64>) -> Self {
        let mut runs: Vec<(u64, u64, u64)> = Vec::new();
        let mut left: u64 = 0;
        for seq in seqs {
            match runs.last_mut() {
                Some((first, count, _)) if *first + *count == seq => *count += 1,
                Some((first, count, _)) if seq < *first + *count => continue,
                _ => runs.push((seq, 1, left)),
            }
            left += 1;
        }
        let words = usize::try_from(left.div_ceil(64)).unwrap_or(usize::MAX);
        Self {
            runs,
            finished: vec![0; words],
            left,
        }
    }

    /// Marks `seq` finished; `true` if it was awaited and not finished before.
    pub(crate) fn take(&mut self, seq: u64) -> bool {
        let Some(index) = self.index_of(seq) else {
            return false;
        };
        let bit = 1u64 << (index % 64);
        let Some(word) = usize::try_from(index / 64)
            .ok()
            .and_then(|word| self.finished.get_mut(word))
        else {
            return false;
        };
        if *word & bit != 0 {
            return false;
        }
        *word |= bit;
        self.left -= 1;
        true
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// The position of `seq` among the awaited commands.
    fn index_of(&self, seq: u64) -> Option<u64> {
        let at = self
            .runs
            .partition_point(|&(first, _, _)| first <= seq)
            .checked_sub(1)?;
        let (first, count, before) = self.runs[at];
        (seq < first + count).then(|| before + (seq - first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_command_counts_once() {
        let mut awaited = Awaited::new([3, 4, 5, 9, 10, 200]);
        assert!(!awaited.take(2) && !awaited.take(6) && !awaited.take(11));
        for seq in [5, 3, 200, 10, 4] {
            assert!(awaited.take(seq), "{seq}");
            assert!(!awaited.take(seq), "{seq} twice");
            assert!(!awaited.is_empty());
        }
        assert!(awaited.take(9));
        assert!(awaited.is_empty());
        assert!(Awaited::new([]).is_empty());
    }

    #[test]
    fn a_million_commands_take_a_few_runs_and_a_bit_each() {
        let seqs = || (1..=600_000).chain(700_001..=1_100_000);
        let mut awaited = Awaited::new(seqs());
        assert_eq!(
            (awaited.runs.len(), awaited.finished.len()),
            (2, 1_000_000_usize.div_ceil(64))
        );
        for seq in seqs() {
            assert!(awaited.take(seq));
        }
        assert!(awaited.is_empty());
    }
}
