//! Response envelope -> `Response`, or the PBX's `Fault`.

use crate::pbx::mixml::lower::ops::Field;
use crate::pbx::mixml::wire::fault::{Fault, FaultCode};
use crate::pbx::mixml::wire::field_by_name;
use crate::pbx::mixml::wire::names;
use crate::pbx::mixml::wire::tree::Element;

/// What the PBX answered to a request that it carried out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Response {
    LoggedIn {
        session: String,
    },
    LoggedOut,
    SystemInfo {
        product: String,
        version: String,
    },
    /// The fields a read asked for, in the order the PBX sent them.
    Fields(Vec<(Field, String)>),
    Updated,
    /// `(DID, directory number)` of every record holding a DID of the searched range.
    Dids(Vec<(String, String)>),
    DirectoryNumbers(Vec<String>),
    /// Wake-up calls that have rung: `(directory number, YYYY-MM-DD HH:MM, status)`.
    WakeupResults(Vec<(String, String, String)>),
}

/// Why a response is not a `Response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ResponseError {
    /// The PBX refused the request.
    Fault(Fault),
    /// The answer is not MiXML as we know it: a proxy's error page, a truncated body, a newer
    /// PBX release.
    Malformed(String),
}

/// Reads a response envelope.
pub(crate) fn parse_response(xml: &str) -> Result<Response, ResponseError> {
    let malformed = |m: &str| ResponseError::Malformed(m.to_owned());
    let root = Element::parse(xml).map_err(|e| ResponseError::Malformed(e.to_string()))?;
    if root.name != names::ENVELOPE {
        return Err(malformed("the answer is not a SOAP envelope"));
    }
    let body = root
        .child(names::BODY)
        .ok_or_else(|| malformed("the envelope has no Body"))?;
    let payload = body
        .children
        .first()
        .ok_or_else(|| malformed("the Body is empty"))?;
    match payload.name.as_str() {
        names::FAULT => Err(ResponseError::Fault(parse_fault(payload))),
        names::LOGIN_RESPONSE => Ok(Response::LoggedIn {
            session: payload
                .child_text(names::SESSION)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| malformed("the login answer has no session"))?
                .to_owned(),
        }),
        names::LOGOUT_RESPONSE => Ok(Response::LoggedOut),
        names::SYSTEM_INFO_RESPONSE => Ok(Response::SystemInfo {
            product: payload
                .child_text(names::PRODUCT)
                .unwrap_or_default()
                .to_owned(),
            version: payload
                .child_text(names::SOFTWARE_VERSION)
                .unwrap_or_default()
                .to_owned(),
        }),
        names::READ_RESPONSE => {
            let mut fields = Vec::new();
            for form in payload
                .children
                .iter()
                .filter(|c| c.name != names::DIRECTORY_NUMBER)
            {
                for value in &form.children {
                    let field = field_by_name(&value.name).ok_or_else(|| {
                        ResponseError::Malformed(format!(
                            "the PBX sent an unknown field `{}`",
                            value.name
                        ))
                    })?;
                    fields.push((field, value.text.clone()));
                }
            }
            Ok(Response::Fields(fields))
        }
        names::UPDATE_RESPONSE => Ok(Response::Updated),
        names::FIND_DIDS_RESPONSE => Ok(Response::Dids(
            payload
                .children
                .iter()
                .filter(|c| c.name == names::ASSIGNMENT)
                .map(|a| {
                    (
                        a.attribute(names::ASSIGNMENT_DID)
                            .unwrap_or_default()
                            .to_owned(),
                        a.attribute(names::ASSIGNMENT_DN)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect(),
        )),
        names::LIST_DIRECTORY_NUMBERS_RESPONSE => Ok(Response::DirectoryNumbers(
            payload
                .children
                .iter()
                .filter(|c| c.name == names::DIRECTORY_NUMBER)
                .map(|c| c.text.clone())
                .collect(),
        )),
        names::LIST_WAKEUP_RESULTS_RESPONSE => Ok(Response::WakeupResults(
            payload
                .children
                .iter()
                .filter(|c| c.name == names::WAKEUP_RESULT)
                .map(|result| {
                    let text = |name| result.child_text(name).unwrap_or_default().to_owned();
                    (
                        text(names::DIRECTORY_NUMBER),
                        text(names::WAKEUP_TIME),
                        text(names::WAKEUP_STATUS),
                    )
                })
                .collect(),
        )),
        other => Err(ResponseError::Malformed(format!(
            "unexpected answer `{other}`"
        ))),
    }
}

fn parse_fault(fault: &Element) -> Fault {
    let detail = fault
        .child(names::FAULT_DETAIL)
        .and_then(|d| d.child(names::MIXML_FAULT));
    let detail_text = |name: &str| {
        detail
            .and_then(|d| d.child_text(name))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let code = detail_text(names::CODE).unwrap_or_else(|| {
        // A fault without MiXML detail: classify by the SOAP code alone.
        if fault
            .child_text(names::FAULT_CODE)
            .is_some_and(|c| c.ends_with("Server"))
        {
            names::INTERNAL_ERROR.to_owned()
        } else {
            names::MALFORMED_REQUEST.to_owned()
        }
    });
    Fault {
        code: FaultCode::from_wire(&code),
        message: fault
            .child_text(names::FAULT_STRING)
            .unwrap_or("the PBX gave no reason")
            .trim()
            .to_owned(),
        directory_number: detail_text(names::DIRECTORY_NUMBER),
        field: detail_text(names::FIELD),
        owner: detail_text(names::OWNER),
    }
}
