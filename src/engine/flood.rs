//! A flood of what a PBX reports on its own (a status frame per room, again and again) must not
//! rotate the audit trail out of the log: in each minute the first `TOLD` reports get a line
//! each; the others are still recorded, and counted in one line when the minute is over.

use std::time::{Duration, Instant};

/// Reports told one by one in a minute.
pub(crate) const TOLD: u32 = 20;
const WINDOW: Duration = Duration::from_secs(60);

/// The current minute's count.
#[derive(Debug)]
pub(crate) struct Flood {
    started: Instant,
    told: u32,
    quiet: u32,
}

impl Flood {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            started: now,
            told: 0,
            quiet: 0,
        }
    }

    /// One report at `now`: whether it gets a line of its own; and the count of the minute
    /// before, if that minute is over and kept some quiet.
    pub(crate) fn report(&mut self, now: Instant) -> (bool, Option<String>) {
        let summary = self.roll(now);
        let told = self.told < TOLD;
        if told {
            self.told += 1;
        } else {
            self.quiet += 1;
        }
        (told, summary)
    }

    /// How long until the current minute's count is due (a long time when there is none).
    pub(crate) fn due_in(&self, now: Instant) -> Duration {
        if self.quiet == 0 {
            return Duration::from_secs(3600);
        }
        (self.started + WINDOW).saturating_duration_since(now)
    }

    /// The count of a minute that is over, once; a new minute starts.
    pub(crate) fn roll(&mut self, now: Instant) -> Option<String> {
        if now.saturating_duration_since(self.started) < WINDOW {
            return None;
        }
        let quiet = std::mem::take(&mut self.quiet);
        self.started = now;
        self.told = 0;
        (quiet > 0).then(|| {
            format!(
                "{quiet} more report(s) from the PBX in a minute were recorded without a line each (more than {TOLD} a minute: a flood of its frames)"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_first_reports_of_a_minute_they_are_counted_and_told_once_after_it() {
        let start = Instant::now();
        let mut flood = Flood::new(start);
        let told = (0..100)
            .filter(|_| {
                let (told, summary) = flood.report(start + Duration::from_secs(1));
                assert!(summary.is_none());
                told
            })
            .count();
        assert_eq!(told, TOLD as usize);
        assert_eq!(
            flood.due_in(start + Duration::from_secs(1)),
            Duration::from_secs(59)
        );
        let summary = flood.roll(start + WINDOW).expect("the count");
        assert!(summary.starts_with("80 more report(s)"), "{summary}");
        assert!(flood.roll(start + WINDOW * 2).is_none(), "told once");
        let (told, _) = flood.report(start + WINDOW * 2);
        assert!(told, "a new minute tells again");
    }
}
