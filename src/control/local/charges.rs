//! The charges' requests of the control protocol, answered by the core: SMDR lines imported
//! (through the same path as the SMDR link) and the open stays' calls.

use crate::config::SmdrFormat;
use crate::control::charges::Taken;
use crate::control::protocol::{
    BackendError, CallLine, ChargesAnswer, Imported, RefusedLine, Said, StayCharges,
};
use crate::engine::journal::{Posting, PostingState, Stay};

use super::{Local, unavailable};

impl Local {
    /// See `Backend::import_calls`.
    pub(super) async fn import_smdr(
        &self,
        text: &str,
        pbx: Option<&str>,
    ) -> Result<Imported, BackendError> {
        let site = match pbx {
            None => 0,
            Some(name) => self
                .config
                .pbx_named(name)
                .map_err(|missing| BackendError::NotFound(missing.to_string()))?,
        };
        let pbx = self
            .config
            .pbxs
            .get(site)
            .map_or(crate::config::MAIN, |site| site.name.as_str());
        let format = self
            .config
            .smdr
            .as_ref()
            .map_or(SmdrFormat::Auto, |smdr| smdr.format);
        let today = chrono::Local::now().date_naive();
        let mut imported = Imported::default();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match crate::inputs::smdr::call(pbx, line, format, today) {
                Ok(call) => {
                    let identity = crate::inputs::smdr::identity(pbx, &call, line);
                    match self
                        .charges
                        .record(call, &identity)
                        .await
                        .map_err(unavailable)?
                    {
                        Taken::New => {
                            self.hub.metrics.smdr_record("recorded");
                            imported.new += 1;
                        }
                        Taken::Unrated => {
                            self.hub.metrics.smdr_record("recorded");
                            imported.new += 1;
                            imported.without_tariff += 1;
                        }
                        Taken::Again => {
                            self.hub.metrics.smdr_record("again");
                            imported.again += 1;
                        }
                    }
                }
                Err(why) => {
                    self.hub.metrics.smdr_record("refused");
                    imported.refused.push(RefusedLine {
                        line: index + 1,
                        reason: why.to_string(),
                    });
                }
            }
        }
        Ok(imported)
    }

    /// See `Backend::charges`.
    pub(super) fn stays_charges(&self, room: Option<&str>) -> Result<ChargesAnswer, BackendError> {
        let journal = self.engine.journal();
        let stays: Vec<Stay> = match room {
            Some(room) => {
                let stay = journal
                    .room(room)
                    .map_err(unavailable)?
                    .and_then(|state| state.stay)
                    .and_then(|id| journal.stay(id).ok().flatten());
                match stay {
                    Some(stay) => vec![stay],
                    None => {
                        return Err(BackendError::NotFound(format!(
                            "room {room} has no stay as far as hotelcare knows: no guest is checked in there"
                        )));
                    }
                }
            }
            None => journal.open_stays().map_err(unavailable)?,
        };
        let decimals = self.config.charges.decimals;
        let postings: std::collections::HashMap<u64, Posting> = journal
            .postings()
            .map_err(unavailable)?
            .into_iter()
            .map(|posting| (posting.number, posting))
            .collect();
        let mut answer = ChargesAnswer::default();
        for stay in stays {
            let calls = journal
                .calls(Some(stay.id))
                .map_err(unavailable)?
                .into_iter()
                .filter_map(|entry| {
                    let rated = entry.rated?;
                    Some(CallLine {
                        start: entry.call.start.to_string(),
                        number: entry.call.number,
                        duration_secs: entry.call.duration_secs,
                        tariff: rated.tariff,
                        amount: rated.amount.show(decimals),
                        posting: match entry.posting.and_then(|n| latest(&postings, n)) {
                            Some(posting) => describe_posting(posting),
                            None if self.config.charges.post => {
                                "not posted (nothing to charge)".into()
                            }
                            None if self.config.fias.is_none() => {
                                "not posted (no `[fias]`: charges stay in hotelcare)".into()
                            }
                            None => "not posted (`[charges] post = \"none\"`)".into(),
                        },
                    })
                })
                .collect();
            answer.stays.push(StayCharges {
                room: stay.room().to_owned(),
                stay: stay.id,
                since: stay.rooms.first().map_or(0, |room| room.from),
                total: stay.total.show(decimals),
                limit: stay
                    .limit
                    .resolve(self.config.charges.limit)
                    .map(|limit| limit.show(decimals)),
                blocked: stay.blocked_from.is_some(),
                calls,
            });
        }
        answer.stays.sort_by(|a, b| a.room.cmp(&b.room));
        Ok(answer)
    }

    /// See `Backend::repost`.
    pub(super) async fn repost_posting(&self, number: u64) -> Result<Said, BackendError> {
        let journal = self.engine.journal();
        let posting = journal
            .posting(number)
            .map_err(unavailable)?
            .ok_or_else(|| BackendError::NotFound(format!("there is no posting P#{number}")))?;
        match &posting.state {
            PostingState::Unknown { .. }
            | PostingState::Refused { .. }
            | PostingState::Held { .. } => {}
            PostingState::Posted | PostingState::Reposted { .. } => {
                return Err(BackendError::Conflict(format!(
                    "{}: sending it again would charge the guest twice",
                    describe_posting(&posting)
                )));
            }
            PostingState::Unsent | PostingState::Out { .. } => {
                return Err(BackendError::Conflict(format!(
                    "{}: it goes to the PMS by itself",
                    describe_posting(&posting)
                )));
            }
        }
        let new = journal
            .repost(number)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| BackendError::NotFound(format!("there is no posting P#{number}")))?;
        self.charges.postings.notify_one();
        Ok(Said {
            text: format!(
                "P#{number} of room {} is sent again as P#{new} (the FIAS link sends it in turn)",
                posting.room
            ),
        })
    }
}

/// Posting `number`, or the one it was sent again as (and so on).
fn latest(postings: &std::collections::HashMap<u64, Posting>, number: u64) -> Option<&Posting> {
    let mut posting = postings.get(&number)?;
    // Bounded: a chain of reposts never loops, but a damaged journal must not hang a listing.
    for _ in 0..100 {
        match &posting.state {
            PostingState::Reposted { as_number } => match postings.get(as_number) {
                Some(next) => posting = next,
                None => break,
            },
            _ => break,
        }
    }
    Some(posting)
}

/// Where a posting stands, for people.
fn describe_posting(posting: &Posting) -> String {
    let number = posting.number;
    match &posting.state {
        PostingState::Unsent => format!("P#{number} waiting"),
        PostingState::Out { .. } => format!("P#{number} sent, awaiting the PMS's answer"),
        PostingState::Posted => format!("P#{number} posted"),
        PostingState::Refused { status, text } => {
            format!("P#{number} REFUSED ({status}: {text})")
        }
        PostingState::Unknown { why } => format!(
            "P#{number} UNKNOWN ({why}): check the folio; `hotelcare charges repost {number}` if it is missing"
        ),
        PostingState::Held { why } => format!(
            "P#{number} HELD ({why}): post it by hand, or `hotelcare charges repost {number}` once it is safe"
        ),
        PostingState::Reposted { as_number } => format!("P#{number} sent again as P#{as_number}"),
    }
}
