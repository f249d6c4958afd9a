//! `Request` -> SOAP envelope. XML is written by quick-xml, which escapes every value; no
//! untrusted text is ever formatted into XML by hand.

use std::borrow::Cow;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::config::Secret;
use crate::pbx::mixml::lower::ops::{Field, Form};
use crate::pbx::mixml::wire::names;
use crate::pbx::mixml::wire::{field_name, form_name};

/// One MiXML request.
#[derive(Clone, Debug)]
pub(crate) enum Request<'a> {
    Login {
        user: &'a str,
        password: &'a Secret,
    },
    Logout,
    SystemInfo,
    Read {
        room: &'a str,
        form: Form,
        fields: &'a [Field],
    },
    Update {
        room: &'a str,
        form: Form,
        values: Vec<(Field, Cow<'a, str>)>,
    },
    FindDids {
        from: String,
        to: String,
    },
    /// Every directory number the PBX has (for completion).
    ListDirectoryNumbers,
    /// The wake-up calls that have rung, and how each ended.
    ListWakeupResults,
}

/// Whether the password goes into the envelope (for the PBX) or a mask (for everyone else).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Password {
    Send,
    Mask,
}

impl Request<'_> {
    /// The operation's element name, also used in the `SOAPAction` header.
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            Self::Login { .. } => names::LOGIN,
            Self::Logout => names::LOGOUT,
            Self::SystemInfo => names::SYSTEM_INFO,
            Self::Read { .. } => names::READ,
            Self::Update { .. } => names::UPDATE,
            Self::FindDids { .. } => names::FIND_DIDS,
            Self::ListDirectoryNumbers => names::LIST_DIRECTORY_NUMBERS,
            Self::ListWakeupResults => names::LIST_WAKEUP_RESULTS,
        }
    }

    pub(crate) fn soap_action(&self) -> String {
        format!("{}#{}", names::SOAP_ACTION_PREFIX, self.operation())
    }

    /// The envelope, indented for people reading monitors and snapshots.
    pub(crate) fn envelope(&self, session: Option<&str>, password: Password) -> String {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        self.write(&mut writer, session, password)
            .expect("writing XML into memory cannot fail");
        String::from_utf8(writer.into_inner()).expect("quick-xml writes UTF-8")
    }

    fn write(
        &self,
        w: &mut Writer<Vec<u8>>,
        session: Option<&str>,
        password: Password,
    ) -> io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let soap = |name: &str| format!("{}:{name}", names::SOAP_PREFIX);
        w.create_element(soap(names::ENVELOPE))
            .with_attribute((
                format!("xmlns:{}", names::SOAP_PREFIX).as_str(),
                names::SOAP_NS,
            ))
            .with_attribute((
                format!("xmlns:{}", names::MIXML_PREFIX).as_str(),
                names::MIXML_NS,
            ))
            .write_inner_content(|w| {
                if let Some(session) = session {
                    w.create_element(soap(names::HEADER))
                        .write_inner_content(|w| text(w, names::SESSION, session))?;
                }
                w.create_element(soap(names::BODY))
                    .write_inner_content(|w| self.write_body(w, password))?;
                Ok(())
            })?;
        Ok(())
    }

    fn write_body(&self, w: &mut Writer<Vec<u8>>, password: Password) -> io::Result<()> {
        let op = mx(self.operation());
        match self {
            Self::Login {
                user,
                password: secret,
            } => {
                w.create_element(op).write_inner_content(|w| {
                    text(w, names::USER_NAME, user)?;
                    let shown = match password {
                        Password::Send => secret.expose(),
                        Password::Mask => Secret::MASK,
                    };
                    text(w, names::PASSWORD, shown)
                })?;
            }
            Self::Logout
            | Self::SystemInfo
            | Self::ListDirectoryNumbers
            | Self::ListWakeupResults => {
                w.create_element(op).write_empty()?;
            }
            Self::Read { room, form, fields } => {
                w.create_element(op).write_inner_content(|w| {
                    text(w, names::DIRECTORY_NUMBER, room)?;
                    w.create_element(mx(form_name(*form)))
                        .write_inner_content(|w| {
                            for field in *fields {
                                w.create_element(mx(field_name(*field))).write_empty()?;
                            }
                            Ok(())
                        })?;
                    Ok(())
                })?;
            }
            Self::Update { room, form, values } => {
                w.create_element(op).write_inner_content(|w| {
                    text(w, names::DIRECTORY_NUMBER, room)?;
                    w.create_element(mx(form_name(*form)))
                        .write_inner_content(|w| {
                            for (field, value) in values {
                                text(w, field_name(*field), value)?;
                            }
                            Ok(())
                        })?;
                    Ok(())
                })?;
            }
            Self::FindDids { from, to } => {
                w.create_element(op).write_inner_content(|w| {
                    text(w, names::RANGE_FROM, from)?;
                    text(w, names::RANGE_TO, to)
                })?;
            }
        }
        Ok(())
    }
}

fn mx(name: &str) -> String {
    format!("{}:{name}", names::MIXML_PREFIX)
}

/// `<mx:name>value</mx:name>`, escaped; `<mx:name/>` when empty.
fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    let element = w.create_element(mx(name));
    if value.is_empty() {
        element.write_empty()?;
    } else {
        element.write_text_content(BytesText::new(value))?;
    }
    Ok(())
}
