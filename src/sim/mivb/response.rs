//! The simulator's answers: response envelopes and SOAP faults, written with quick-xml.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::pbx::mixml::wire::names;

/// What the simulator answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SimResponse {
    LoggedIn {
        session: String,
    },
    LoggedOut,
    SystemInfo {
        product: String,
        version: String,
    },
    Fields {
        dn: String,
        form: String,
        values: Vec<(String, String)>,
    },
    Updated,
    Dids(Vec<(String, String)>),
    DirectoryNumbers(Vec<String>),
    /// `(directory number, YYYY-MM-DD HH:MM, status)` of each wake-up that has rung.
    WakeupResults(Vec<(String, String, String)>),
    Fault(SimFault),
}

/// A refusal, as a MiVB would give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SimFault {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) dn: Option<String>,
    pub(crate) field: Option<String>,
    pub(crate) owner: Option<String>,
}

impl SimFault {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            dn: None,
            field: None,
            owner: None,
        }
    }

    /// HTTP status: 500 as SOAP 1.1 wants, 503 when busy.
    pub(crate) fn status(&self) -> u16 {
        if self.code == names::BUSY { 503 } else { 500 }
    }
}

impl SimResponse {
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Fault(fault) => fault.status(),
            _ => 200,
        }
    }

    pub(crate) fn to_xml(&self) -> String {
        let mut writer = Writer::new(Vec::new());
        self.write(&mut writer)
            .expect("writing XML into memory cannot fail");
        String::from_utf8(writer.into_inner()).expect("quick-xml writes UTF-8")
    }

    fn write(&self, w: &mut Writer<Vec<u8>>) -> io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("soap:Envelope")
            .with_attribute(("xmlns:soap", names::SOAP_NS))
            .with_attribute(("xmlns:mx", names::MIXML_NS))
            .write_inner_content(|w| {
                w.create_element("soap:Body")
                    .write_inner_content(|w| self.write_body(w))?;
                Ok(())
            })?;
        Ok(())
    }

    fn write_body(&self, w: &mut Writer<Vec<u8>>) -> io::Result<()> {
        match self {
            Self::LoggedIn { session } => {
                w.create_element(mx(names::LOGIN_RESPONSE))
                    .write_inner_content(|w| text(w, &mx(names::SESSION), session))?;
            }
            Self::LoggedOut => {
                w.create_element(mx(names::LOGOUT_RESPONSE)).write_empty()?;
            }
            Self::SystemInfo { product, version } => {
                w.create_element(mx(names::SYSTEM_INFO_RESPONSE))
                    .write_inner_content(|w| {
                        text(w, &mx(names::PRODUCT), product)?;
                        text(w, &mx(names::SOFTWARE_VERSION), version)
                    })?;
            }
            Self::Fields { dn, form, values } => {
                w.create_element(mx(names::READ_RESPONSE))
                    .write_inner_content(|w| {
                        text(w, &mx(names::DIRECTORY_NUMBER), dn)?;
                        w.create_element(mx(form)).write_inner_content(|w| {
                            for (field, value) in values {
                                text(w, &mx(field), value)?;
                            }
                            Ok(())
                        })?;
                        Ok(())
                    })?;
            }
            Self::Updated => {
                w.create_element(mx(names::UPDATE_RESPONSE)).write_empty()?;
            }
            Self::Dids(assignments) => {
                w.create_element(mx(names::FIND_DIDS_RESPONSE))
                    .write_inner_content(|w| {
                        for (did, dn) in assignments {
                            w.create_element(mx(names::ASSIGNMENT))
                                .with_attribute((names::ASSIGNMENT_DID, did.as_str()))
                                .with_attribute((names::ASSIGNMENT_DN, dn.as_str()))
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
            }
            Self::DirectoryNumbers(numbers) => {
                w.create_element(mx(names::LIST_DIRECTORY_NUMBERS_RESPONSE))
                    .write_inner_content(|w| {
                        for number in numbers {
                            text(w, &mx(names::DIRECTORY_NUMBER), number)?;
                        }
                        Ok(())
                    })?;
            }
            Self::WakeupResults(results) => {
                w.create_element(mx(names::LIST_WAKEUP_RESULTS_RESPONSE))
                    .write_inner_content(|w| {
                        for (dn, time, status) in results {
                            w.create_element(mx(names::WAKEUP_RESULT))
                                .write_inner_content(|w| {
                                    text(w, &mx(names::DIRECTORY_NUMBER), dn)?;
                                    text(w, &mx(names::WAKEUP_TIME), time)?;
                                    text(w, &mx(names::WAKEUP_STATUS), status)
                                })?;
                        }
                        Ok(())
                    })?;
            }
            Self::Fault(fault) => {
                w.create_element("soap:Fault").write_inner_content(|w| {
                    let soap_code = if fault.status() == 503 || fault.code == names::INTERNAL_ERROR
                    {
                        names::SOAP_SERVER
                    } else {
                        names::SOAP_CLIENT
                    };
                    text(w, names::FAULT_CODE, soap_code)?;
                    text(w, names::FAULT_STRING, &fault.message)?;
                    w.create_element(names::FAULT_DETAIL)
                        .write_inner_content(|w| {
                            w.create_element(mx(names::MIXML_FAULT))
                                .write_inner_content(|w| {
                                    text(w, &mx(names::CODE), fault.code)?;
                                    for (name, value) in [
                                        (names::DIRECTORY_NUMBER, &fault.dn),
                                        (names::FIELD, &fault.field),
                                        (names::OWNER, &fault.owner),
                                    ] {
                                        if let Some(value) = value {
                                            text(w, &mx(name), value)?;
                                        }
                                    }
                                    Ok(())
                                })?;
                            Ok(())
                        })?;
                    Ok(())
                })?;
            }
        }
        Ok(())
    }
}

fn mx(name: &str) -> String {
    format!("{}:{name}", names::MIXML_PREFIX)
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}
