//! `Element`: a small namespace-agnostic XML tree (local names only), read with quick-xml.
//!
//! MiXML messages are small; a tree makes the readers (client responses, simulator requests)
//! short and obviously right. It is a reading tool only: XML is never written from it.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// An element with its local name, attributes, concatenated text and child elements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

/// Why a message is not XML this reader takes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotXml {
    #[error("the message has {0} bytes, more than {MAX_LEN}")]
    TooLong(usize),
    #[error("not well-formed XML at byte {at}: {why}")]
    Syntax { at: u64, why: String },
    #[error("an end tag without a start tag")]
    Unbalanced,
    #[error("unknown entity `&{0};`")]
    Entity(String),
    #[error("bad character reference: {0}")]
    CharacterReference(String),
    #[error("bad attribute in <{element}>: {why}")]
    Attribute { element: String, why: String },
    #[error("the message ends before its root element is closed")]
    Unfinished,
}

/// Messages larger than this are refused rather than parsed (a PBX answer is a few kB).
const MAX_LEN: usize = 4 * 1024 * 1024;

impl Element {
    /// Parses a whole document and returns its root element.
    pub(crate) fn parse(xml: &str) -> Result<Element, NotXml> {
        if xml.len() > MAX_LEN {
            return Err(NotXml::TooLong(xml.len()));
        }
        let mut reader = Reader::from_str(xml);
        let mut stack: Vec<Element> = Vec::new();
        loop {
            let event = reader.read_event().map_err(|e| NotXml::Syntax {
                at: reader.error_position(),
                why: e.to_string(),
            })?;
            match event {
                Event::Start(start) => stack.push(element(&start)?),
                Event::Empty(start) => {
                    let done = element(&start)?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Event::End(_) => {
                    let done = stack.pop().ok_or(NotXml::Unbalanced)?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Event::Text(text) => {
                    if let Some(current) = stack.last_mut() {
                        current.text.push_str(&text.xml10_content());
                    }
                }
                Event::CData(data) => {
                    if let Some(current) = stack.last_mut() {
                        current.text.push_str(&data.xml10_content());
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => resolve_predefined_entity(&reference)
                            .ok_or_else(|| NotXml::Entity(reference.to_string()))?
                            .to_owned(),
                        Err(e) => return Err(NotXml::CharacterReference(e.to_string())),
                    };
                    if let Some(current) = stack.last_mut() {
                        current.text.push_str(&resolved);
                    }
                }
                Event::Eof => {
                    return Err(NotXml::Unfinished);
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    /// The first child with this local name.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child with this local name.
    pub(crate) fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn element(start: &BytesStart<'_>) -> Result<Element, NotXml> {
    let name = start.local_name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| NotXml::Attribute {
            element: name.clone(),
            why: e.to_string(),
        })?;
        // Namespace declarations: this tree knows local names only, and nothing reads them
        // (every answer's envelope has two or three; issue 25).
        if attribute.key.as_namespace_binding().is_some() {
            continue;
        }
        let key = attribute.key.local_name().as_ref().to_owned();
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| NotXml::Attribute {
                element: name.clone(),
                why: e.to_string(),
            })?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        ..Element::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_local_names_text_and_entities() {
        let root = Element::parse(
            r#"<?xml version="1.0"?><s:E xmlns:s="x"><s:B a="1 &amp; 2">A &amp; B &lt;c&gt; &#233;<![CDATA[<d>]]></s:B><e/></s:E>"#,
        )
        .unwrap();
        assert_eq!(root.name, "E");
        // A namespace declaration is not an attribute of the element.
        assert!(root.attributes.is_empty(), "{:?}", root.attributes);
        let b = root.child("B").unwrap();
        assert_eq!(b.text, "A & B <c> é<d>");
        assert_eq!(b.attribute("a"), Some("1 & 2"));
        assert!(root.child("e").is_some());
    }

    #[test]
    fn refuses_broken_xml() {
        assert!(Element::parse("<a><b></a>").is_err());
        assert!(Element::parse("<a>").is_err());
        assert!(Element::parse("<a>&bogus;</a>").is_err());
    }
}
