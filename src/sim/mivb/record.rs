//! `Record`: the simulator's view of one directory number's User and Services Configuration.

use serde::{Deserialize, Serialize};

use crate::pbx::mixml::wire::names;

/// The fields hotelcare touches, as text, the way the PBX stores them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub last_name: String,
    pub first_name: String,
    pub directory_name: String,
    pub service_label: String,
    pub cor_day: String,
    pub cor_night1: String,
    pub cor_night2: String,
    pub did_service_number: String,
    pub use_did_for_outgoing_calls: bool,
    /// The booked wake-ups, `YYYY-MM-DD HH:MM`, `, ` between.
    #[serde(default)]
    pub wakeup_times: String,
}

impl Record {
    /// A vacant room: its label as name, the given COR, no DID.
    pub fn vacant(label: &str, cor: u8) -> Self {
        Self {
            last_name: label.to_owned(),
            directory_name: label.to_owned(),
            service_label: label.to_owned(),
            cor_day: cor.to_string(),
            cor_night1: cor.to_string(),
            cor_night2: cor.to_string(),
            ..Self::default()
        }
    }

    /// The field's value by element name; `None` for a name this form does not have.
    pub(crate) fn get(&self, form: &str, field: &str) -> Option<String> {
        Some(match (form, field) {
            (names::USER_PROFILE, names::LAST_NAME) => self.last_name.clone(),
            (names::USER_PROFILE, names::FIRST_NAME) => self.first_name.clone(),
            (names::SERVICE_PROFILE, names::DIRECTORY_NAME) => self.directory_name.clone(),
            (names::SERVICE_PROFILE, names::SERVICE_LABEL) => self.service_label.clone(),
            (names::SERVICE_DETAILS, names::COR_DAY) => self.cor_day.clone(),
            (names::SERVICE_DETAILS, names::COR_NIGHT1) => self.cor_night1.clone(),
            (names::SERVICE_DETAILS, names::COR_NIGHT2) => self.cor_night2.clone(),
            (names::SERVICE_DETAILS, names::DID_SERVICE_NUMBER) => self.did_service_number.clone(),
            (names::SERVICE_DETAILS, names::USE_DID_FOR_OUTGOING_CALLS) => {
                if self.use_did_for_outgoing_calls {
                    names::TRUE
                } else {
                    names::FALSE
                }
                .to_owned()
            }
            (names::WAKEUP_CALLS, names::WAKEUP_TIMES) => self.wakeup_times.clone(),
            _ => return None,
        })
    }

    /// Sets a field that `rules::check` has accepted.
    pub(crate) fn set(&mut self, field: &str, value: &str) {
        let slot = match field {
            names::LAST_NAME => &mut self.last_name,
            names::FIRST_NAME => &mut self.first_name,
            names::DIRECTORY_NAME => &mut self.directory_name,
            names::SERVICE_LABEL => &mut self.service_label,
            names::COR_DAY => &mut self.cor_day,
            names::COR_NIGHT1 => &mut self.cor_night1,
            names::COR_NIGHT2 => &mut self.cor_night2,
            names::DID_SERVICE_NUMBER => &mut self.did_service_number,
            names::WAKEUP_TIMES => &mut self.wakeup_times,
            names::USE_DID_FOR_OUTGOING_CALLS => {
                self.use_did_for_outgoing_calls = value == names::TRUE;
                return;
            }
            other => unreachable!("rules::check lets no unknown field `{other}` through"),
        };
        value.clone_into(slot);
    }
}
