//! `Request` -> SOAP envelope. Every value is escaped by quick-xml's `escape`; no untrusted
//! text is ever put into XML unescaped.

use std::borrow::Cow;

use quick_xml::escape::escape;

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
        let mut xml = Xml::new();
        xml.out
            .push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        xml.open(
            names::SOAP_PREFIX,
            names::ENVELOPE,
            &[
                (names::SOAP_PREFIX, names::SOAP_NS),
                (names::MIXML_PREFIX, names::MIXML_NS),
            ],
        );
        if let Some(session) = session {
            xml.open(names::SOAP_PREFIX, names::HEADER, &[]);
            xml.text(names::SESSION, session);
            xml.close(names::SOAP_PREFIX, names::HEADER);
        }
        xml.open(names::SOAP_PREFIX, names::BODY, &[]);
        self.write_body(&mut xml, password);
        xml.close(names::SOAP_PREFIX, names::BODY);
        xml.close(names::SOAP_PREFIX, names::ENVELOPE);
        xml.out
    }

    fn write_body(&self, xml: &mut Xml, password: Password) {
        let op = self.operation();
        match self {
            Self::Login {
                user,
                password: secret,
            } => {
                xml.open(names::MIXML_PREFIX, op, &[]);
                xml.text(names::USER_NAME, user);
                let shown = match password {
                    Password::Send => secret.expose(),
                    Password::Mask => Secret::MASK,
                };
                xml.text(names::PASSWORD, shown);
                xml.close(names::MIXML_PREFIX, op);
            }
            Self::Logout
            | Self::SystemInfo
            | Self::ListDirectoryNumbers
            | Self::ListWakeupResults => xml.empty(op),
            Self::Read { room, form, fields } => {
                xml.open(names::MIXML_PREFIX, op, &[]);
                xml.text(names::DIRECTORY_NUMBER, room);
                let form = form_name(*form);
                xml.open(names::MIXML_PREFIX, form, &[]);
                for field in *fields {
                    xml.empty(field_name(*field));
                }
                xml.close(names::MIXML_PREFIX, form);
                xml.close(names::MIXML_PREFIX, op);
            }
            Self::Update { room, form, values } => {
                xml.open(names::MIXML_PREFIX, op, &[]);
                xml.text(names::DIRECTORY_NUMBER, room);
                let form = form_name(*form);
                xml.open(names::MIXML_PREFIX, form, &[]);
                for (field, value) in values {
                    xml.text(field_name(*field), value);
                }
                xml.close(names::MIXML_PREFIX, form);
                xml.close(names::MIXML_PREFIX, op);
            }
            Self::FindDids { from, to } => {
                xml.open(names::MIXML_PREFIX, op, &[]);
                xml.text(names::RANGE_FROM, from);
                xml.text(names::RANGE_TO, to);
                xml.close(names::MIXML_PREFIX, op);
            }
        }
    }
}

/// An XML document written into one `String`, indented by two spaces a level as quick-xml's
/// indenting writer lays it out. Names are our constants; every value (text or attribute) goes
/// through quick-xml's `escape`. Written by hand because quick-xml's writer, with a `String`
/// per prefixed name, cost about 14,000 instructions an envelope (issue 25); the test module
/// keeps quick-xml's writer as the reference this must equal.
struct Xml {
    out: String,
    depth: usize,
}

/// Room for any envelope hotelcare sends but a long DID search or a login, allocated once
/// (growing from the declaration's 38 bytes cost five reallocations an envelope; issue 25).
const ENVELOPE_CAPACITY: usize = 1024;

impl Xml {
    fn new() -> Self {
        Self {
            out: String::with_capacity(ENVELOPE_CAPACITY),
            depth: 0,
        }
    }

    fn line(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn name(&mut self, prefix: &str, name: &str) {
        self.out.push_str(prefix);
        self.out.push(':');
        self.out.push_str(name);
    }

    /// `<prefix:name xmlns:a="v" ...>`, then its children one level deeper.
    fn open(&mut self, prefix: &str, name: &str, namespaces: &[(&str, &str)]) {
        self.line();
        self.out.push('<');
        self.name(prefix, name);
        for (short, namespace) in namespaces {
            self.out.push(' ');
            self.name("xmlns", short);
            self.out.push_str("=\"");
            self.out.push_str(&escape(*namespace));
            self.out.push('"');
        }
        self.out.push('>');
        self.depth += 1;
    }

    fn close(&mut self, prefix: &str, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.line();
        self.out.push_str("</");
        self.name(prefix, name);
        self.out.push('>');
    }

    /// `<mx:name/>`.
    fn empty(&mut self, name: &str) {
        self.line();
        self.out.push('<');
        self.name(names::MIXML_PREFIX, name);
        self.out.push_str("/>");
    }

    /// `<mx:name>value</mx:name>`, escaped; `<mx:name/>` when empty.
    fn text(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            self.empty(name);
            return;
        }
        self.line();
        self.out.push('<');
        self.name(names::MIXML_PREFIX, name);
        self.out.push('>');
        self.out.push_str(&escape(value));
        self.out.push_str("</");
        self.name(names::MIXML_PREFIX, name);
        self.out.push('>');
    }
}
