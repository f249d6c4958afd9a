use std::borrow::Cow;

use super::*;
use crate::config::Secret;

#[test]
fn update_escapes_every_value() {
    let request = Request::Update {
        room: "1000",
        form: Form::UserProfile,
        values: vec![(Field::LastName, Cow::Borrowed("Smith & <Sons> \"'"))],
    };
    let xml = request.envelope(Some("s1"), Password::Send);
    assert!(
        xml.contains("<mx:LastName>Smith &amp; &lt;Sons&gt; &quot;&apos;</mx:LastName>"),
        "{xml}"
    );
    assert!(xml.contains("<mx:SessionId>s1</mx:SessionId>"), "{xml}");
    // And it reads back as the same text.
    let root = tree::Element::parse(&xml).unwrap();
    let update = &root.child("Body").unwrap().children[0];
    assert_eq!(
        update.child("UserProfile").unwrap().child_text("LastName"),
        Some("Smith & <Sons> \"'")
    );
}

#[test]
fn login_masks_the_password_unless_sending() {
    let secret = Secret::new("pa<ss");
    let login = Request::Login {
        user: "aurenz",
        password: &secret,
    };
    assert!(
        login
            .envelope(None, Password::Mask)
            .contains("<mx:Password>********</mx:Password>")
    );
    assert!(!login.envelope(None, Password::Mask).contains("pa"));
    assert!(
        login
            .envelope(None, Password::Send)
            .contains("<mx:Password>pa&lt;ss</mx:Password>")
    );
}

#[test]
fn field_names_round_trip() {
    for field in Field::ALL {
        assert_eq!(field_by_name(field_name(field)), Some(field));
    }
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><soap:Envelope xmlns:soap="{}" xmlns:mx="{}"><soap:Body>{body}</soap:Body></soap:Envelope>"#,
        names::SOAP_NS,
        names::MIXML_NS
    )
}

#[test]
fn reads_a_read_response() {
    let xml = envelope(
        "<mx:ReadUserAndServicesResponse><mx:DirectoryNumber>1000</mx:DirectoryNumber>\
         <mx:ServiceProfile><mx:ServiceLabel>Room 1000</mx:ServiceLabel><mx:DirectoryName/></mx:ServiceProfile>\
         </mx:ReadUserAndServicesResponse>",
    );
    assert_eq!(
        parse_response(&xml),
        Ok(Response::Fields(vec![
            (Field::ServiceLabel, "Room 1000".into()),
            (Field::DirectoryName, String::new())
        ]))
    );
}

#[test]
fn reads_a_fault_with_detail() {
    let xml = envelope(
        "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>DID 3000 is in use</faultstring>\
         <detail><mx:MiXmlFault><mx:Code>DidInUse</mx:Code><mx:DirectoryNumber>1000</mx:DirectoryNumber>\
         <mx:Field>DidServiceNumber</mx:Field><mx:OwnerDirectoryNumber>2000</mx:OwnerDirectoryNumber>\
         </mx:MiXmlFault></detail></soap:Fault>",
    );
    let Err(ResponseError::Fault(fault)) = parse_response(&xml) else {
        panic!()
    };
    assert_eq!(fault.code, FaultCode::DidInUse);
    assert_eq!(fault.owner.as_deref(), Some("2000"));
    assert_eq!(fault.field.as_deref(), Some("DidServiceNumber"));
}

#[test]
fn a_bare_server_fault_is_an_internal_error() {
    let xml = envelope(
        "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>oops</faultstring></soap:Fault>",
    );
    let Err(ResponseError::Fault(fault)) = parse_response(&xml) else {
        panic!()
    };
    assert_eq!(fault.code, FaultCode::InternalError);
}

#[test]
fn html_error_pages_are_malformed() {
    assert!(matches!(
        parse_response("<html><body>502 Bad Gateway</body></html>"),
        Err(ResponseError::Malformed(_))
    ));
    assert!(matches!(
        parse_response("garbage"),
        Err(ResponseError::Malformed(_))
    ));
}

#[test]
fn reads_a_directory_number_list() {
    let xml = envelope(
        "<mx:ListDirectoryNumbersResponse><mx:DirectoryNumber>1000</mx:DirectoryNumber>\
         <mx:DirectoryNumber>2000</mx:DirectoryNumber></mx:ListDirectoryNumbersResponse>",
    );
    assert_eq!(
        parse_response(&xml),
        Ok(Response::DirectoryNumbers(vec![
            "1000".into(),
            "2000".into()
        ]))
    );
    let request = Request::ListDirectoryNumbers.envelope(Some("s"), Password::Mask);
    assert!(request.contains("<mx:ListDirectoryNumbers/>"), "{request}");
}
