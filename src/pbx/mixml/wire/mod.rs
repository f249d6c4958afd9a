//! MiXML, the wire format: request envelopes out, responses and faults in. No HTTP here.
//!
//! Input: `lower::ops` types and resolved values. Output: XML text, `Response`, `Fault`.
//! The real format is not public; our model (SOAP 1.1) is documented in `docs/mixml.md` and every
//! name lives in `names.rs`.

mod fault;
pub(crate) mod names;
mod request;
mod response;
pub(crate) mod tree;

pub(crate) use fault::{Fault, FaultCode};
pub(crate) use request::{Password, Request};
pub(crate) use response::{Response, ResponseError, parse_response};

use crate::pbx::mixml::lower::ops::{Field, Form};

/// The element name of a form.
pub(crate) fn form_name(form: Form) -> &'static str {
    match form {
        Form::UserProfile => names::USER_PROFILE,
        Form::ServiceProfile => names::SERVICE_PROFILE,
        Form::ServiceDetails => names::SERVICE_DETAILS,
        Form::WakeupCalls => names::WAKEUP_CALLS,
    }
}

/// The element name of a field.
pub(crate) fn field_name(field: Field) -> &'static str {
    match field {
        Field::LastName => names::LAST_NAME,
        Field::FirstName => names::FIRST_NAME,
        Field::DirectoryName => names::DIRECTORY_NAME,
        Field::ServiceLabel => names::SERVICE_LABEL,
        Field::CorDay => names::COR_DAY,
        Field::CorNight1 => names::COR_NIGHT1,
        Field::CorNight2 => names::COR_NIGHT2,
        Field::DidServiceNumber => names::DID_SERVICE_NUMBER,
        Field::UseDidForOutgoingCalls => names::USE_DID_FOR_OUTGOING_CALLS,
        Field::WakeupTimes => names::WAKEUP_TIMES,
    }
}

/// The field an element name stands for.
pub(crate) fn field_by_name(name: &str) -> Option<Field> {
    Field::ALL.into_iter().find(|f| field_name(*f) == name)
}

/// How a flag is written.
pub(crate) fn flag_text(on: bool) -> &'static str {
    if on { names::TRUE } else { names::FALSE }
}

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use crate::pbx::mixml::lower::ops::{Op, ReadId, Value};

/// The text a value is sent as. `read` supplies what an earlier read of the command found.
pub(crate) fn wire_value<'v>(
    value: &'v Value<'_>,
    read: &dyn Fn(ReadId, Field) -> Cow<'v, str>,
) -> Cow<'v, str> {
    match value {
        Value::Text(text) => Cow::Borrowed(text),
        Value::Empty => Cow::Borrowed(""),
        Value::Cor(cor) => Cow::Owned(cor.to_string()),
        Value::Flag(on) => Cow::Borrowed(flag_text(*on)),
        Value::Read(id, field) => read(*id, *field),
        Value::Wakeups(id, change) => {
            let booked = crate::pbx::mixml::lower::ops::wakeups_of(&read(*id, Field::WakeupTimes));
            Cow::Owned(crate::pbx::mixml::lower::ops::wakeups_text(
                &change.apply(&booked),
            ))
        }
    }
}

/// The request that carries out `op`; `None` for checks the engine makes on what it read.
pub(crate) fn request_for<'v>(
    op: &'v Op<'_>,
    read: &dyn Fn(ReadId, Field) -> Cow<'v, str>,
) -> Option<Request<'v>> {
    Some(match op {
        Op::Read {
            room, form, fields, ..
        } => Request::Read {
            room,
            form: *form,
            fields,
        },
        Op::Set { room, form, values } => Request::Update {
            room,
            form: *form,
            values: values
                .iter()
                .map(|(field, value)| (*field, wire_value(value, read)))
                .collect(),
        },
        Op::FindFreeDid { range, .. } => Request::FindDids {
            from: range.first(),
            to: range.last(),
        },
        Op::ExpectDidFree { did, .. } => Request::FindDids {
            from: (*did).to_owned(),
            to: (*did).to_owned(),
        },
        Op::SystemInfo => Request::SystemInfo,
        Op::Expect(_) | Op::SkipIf { .. } => return None,
    })
}
