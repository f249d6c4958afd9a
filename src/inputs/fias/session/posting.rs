//! The session's side of charge postings (`PS` out, `PA` in): one posting out at a time, marked
//! out before it is written, an overdue one made unknown and never resent by itself.

use super::{Outstanding, PostingState, Record, Session};
use crate::inputs::fias::postings;

impl Session<'_> {
    /// The next posting, unless one is out (then: an overdue one becomes unknown). `false`
    /// when the link must be dropped.
    pub(super) async fn post(&mut self) -> bool {
        let timeout = self.link.host.config().charges.posting_timeout;
        if let Some(out) = self.outstanding {
            if !out.overdue(timeout) {
                return true;
            }
            self.outstanding = None;
            let overdue: Vec<_> = self
                .link
                .host
                .postings_out()
                .into_iter()
                .filter(|posting| posting.number == out.number)
                .collect();
            self.unknown(
                overdue,
                &format!("no answer within {} s", timeout.as_secs()),
            )
            .await;
        }
        // Nothing goes out before the link is up, nor during the PMS's resync.
        if !self.up || self.house.is_some() {
            return true;
        }
        let Some(mut posting) = self.link.host.next_posting() else {
            return true;
        };
        // A `PS` names only the room: it goes to the room the stay is in now, and not at all
        // once the stay ended (the room may have a new guest).
        if let Some(room) = self.link.host.stay_room(posting.stay) {
            posting.room = room;
        } else {
            let why = "the stay ended before it could be posted";
            if self
                .link
                .host
                .set_posting(posting.number, PostingState::Held { why: why.into() })
                .await
                .is_ok()
            {
                self.link.host.posted("held");
                self.link.host.tell(
                        &format!(
                            "FIAS: posting P#{} of room {} is held: {why}; post it to the guest's folio by hand",
                            posting.number, posting.room
                        ),
                        true,
                    );
            }
            return true;
        }
        // Marked out before it is written: a crash in between makes it unknown, never double.
        let at = crate::support::clock::epoch_secs();
        if let Err(error) = self
            .link
            .host
            .set_posting(posting.number, PostingState::Out { at })
            .await
        {
            self.link.host.tell(
                &format!(
                    "FIAS: posting P#{} is not sent now: {error}",
                    posting.number
                ),
                true,
            );
            return true;
        }
        self.outstanding = Some(Outstanding {
            number: posting.number,
            since: std::time::Instant::now(),
        });
        let decimals = self.link.host.config().charges.decimals;
        self.link.host.tell(
            &format!(
                "FIAS: posting P#{} of room {} ({}) sent",
                posting.number,
                posting.room,
                posting.amount.show(decimals)
            ),
            false,
        );
        self.send(&postings::record(&posting)).await.is_ok()
    }

    /// Postings whose answer will not come: unknown, told, never resent by themselves.
    pub(super) async fn unknown(&mut self, out: Vec<crate::engine::journal::Posting>, why: &str) {
        let decimals = self.link.host.config().charges.decimals;
        for posting in out {
            let state = PostingState::Unknown {
                why: why.to_owned(),
            };
            if self
                .link
                .host
                .set_posting(posting.number, state)
                .await
                .is_ok()
            {
                self.link.host.posted("unknown");
                self.link.host.tell(
                    &format!(
                        "FIAS: posting P#{} of room {} ({}): {why}; whether the PMS posted it is unknown: check the guest's folio, and `hotelcare charges repost {}` if the charge is missing",
                        posting.number,
                        posting.room,
                        posting.amount.show(decimals),
                        posting.number
                    ),
                    true,
                );
            }
        }
    }

    /// A `PA`: the outstanding posting's end, then the next posting.
    pub(super) async fn posting_answer(&mut self, record: &Record) -> bool {
        let shown = record.shown();
        let Some((number, state)) = postings::answer(record) else {
            self.link.host.tell(
                &format!("FIAS {shown}: a posting answer without its P#: ignored"),
                true,
            );
            return true;
        };
        if self.outstanding.map(|out| out.number) != Some(number) {
            self.link.host.tell(
                &format!("FIAS {shown}: answers P#{number}, which is not the posting out: ignored"),
                true,
            );
            return true;
        }
        self.outstanding = None;
        let decimals = self.link.host.config().charges.decimals;
        match self.link.host.set_posting(number, state.clone()).await {
            Ok(Some(posting)) => {
                let (outcome, line, problem) = match &state {
                    PostingState::Refused { status, text } => (
                        "refused",
                        format!(
                            "FIAS: the PMS refused posting P#{number} of room {} ({}): {status} {text}; it is not sent again (`hotelcare charges` shows it)",
                            posting.room,
                            posting.amount.show(decimals)
                        ),
                        true,
                    ),
                    _ => (
                        "posted",
                        format!(
                            "FIAS: posting P#{number} of room {} ({}) posted",
                            posting.room,
                            posting.amount.show(decimals)
                        ),
                        false,
                    ),
                };
                self.link.host.posted(outcome);
                self.link.host.tell(&line, problem);
            }
            Ok(None) => {}
            Err(error) => self.link.host.tell(
                &format!("FIAS: the answer to posting P#{number} was not journaled: {error}"),
                true,
            ),
        }
        self.post().await
    }
}
