//! The simulator's own reader of MiXML requests. It shares the element names with the client
//! (`mixml::names`) but not the client's serializer, so a serializer bug shows up as a refusal.

use crate::pbx::mixml::wire::names;
use crate::pbx::mixml::wire::tree::{Element, NotXml};

/// A request as the simulator understands it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SimRequest {
    Login {
        user: String,
        password: String,
    },
    Logout,
    SystemInfo,
    Read {
        dn: String,
        form: String,
        fields: Vec<String>,
    },
    Update {
        dn: String,
        form: String,
        values: Vec<(String, String)>,
    },
    FindDids {
        from: String,
        to: String,
    },
    ListDirectoryNumbers,
    ListWakeupResults,
}

/// A request with its session header.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub(crate) session: Option<String>,
    pub(crate) request: SimRequest,
}

/// What is wrong with a request (sent back as `MalformedRequest`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Malformed(String);

impl From<NotXml> for Malformed {
    fn from(error: NotXml) -> Self {
        Self(error.to_string())
    }
}

impl From<&str> for Malformed {
    fn from(why: &str) -> Self {
        Self(why.to_owned())
    }
}

/// Reads an envelope; `Err` says what is wrong with it.
pub(crate) fn read(xml: &str) -> Result<Envelope, Malformed> {
    let root = Element::parse(xml)?;
    if root.name != names::ENVELOPE {
        return Err(Malformed(format!(
            "expected a SOAP Envelope, found <{}>",
            root.name
        )));
    }
    let session = root
        .child(names::HEADER)
        .and_then(|h| h.child_text(names::SESSION))
        .map(str::to_owned);
    let body = root.child(names::BODY).ok_or("the envelope has no Body")?;
    let [operation] = body.children.as_slice() else {
        return Err("the Body must hold exactly one operation".into());
    };
    let text = |name: &str| -> Result<String, Malformed> {
        operation
            .child_text(name)
            .map(str::to_owned)
            .ok_or_else(|| Malformed(format!("<{}> has no <{name}>", operation.name)))
    };
    let request = match operation.name.as_str() {
        names::LOGIN => SimRequest::Login {
            user: text(names::USER_NAME)?,
            password: text(names::PASSWORD)?,
        },
        names::LOGOUT => SimRequest::Logout,
        names::SYSTEM_INFO => SimRequest::SystemInfo,
        names::READ | names::UPDATE => {
            let dn = text(names::DIRECTORY_NUMBER)?;
            let forms: Vec<&Element> = operation
                .children
                .iter()
                .filter(|c| c.name != names::DIRECTORY_NUMBER)
                .collect();
            let [form] = forms.as_slice() else {
                return Err(Malformed(format!(
                    "<{}> must name exactly one form",
                    operation.name
                )));
            };
            if operation.name == names::READ {
                SimRequest::Read {
                    dn,
                    form: form.name.clone(),
                    fields: form.children.iter().map(|f| f.name.clone()).collect(),
                }
            } else {
                SimRequest::Update {
                    dn,
                    form: form.name.clone(),
                    values: form
                        .children
                        .iter()
                        .map(|f| (f.name.clone(), f.text.clone()))
                        .collect(),
                }
            }
        }
        names::FIND_DIDS => SimRequest::FindDids {
            from: text(names::RANGE_FROM)?,
            to: text(names::RANGE_TO)?,
        },
        names::LIST_DIRECTORY_NUMBERS => SimRequest::ListDirectoryNumbers,
        names::LIST_WAKEUP_RESULTS => SimRequest::ListWakeupResults,
        other => return Err(Malformed(format!("unknown operation <{other}>"))),
    };
    Ok(Envelope { session, request })
}
