//! Every name of our MiXML model in one file: HTTP path, namespaces, element names, field names,
//! fault codes. The real MiXML wire format is not public (BRIEF §13); when a capture of a real
//! PBX is available, aligning hotelcare with it starts and, ideally, ends here.
//!
//! The simulator reads requests with these names through its own parser, so a name changed here
//! changes both sides, while a serializer bug cannot hide itself.

/// The HTTP path MiXML requests are POSTed to.
pub const PATH: &str = "/mixml/v1";
/// The `SOAPAction` header's prefix; the operation's element name follows `#`.
pub const SOAP_ACTION_PREFIX: &str = "urn:hotelcare:mixml:model:1";

pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const MIXML_NS: &str = "urn:hotelcare:mixml:model:1";
pub const SOAP_PREFIX: &str = "soap";
pub const MIXML_PREFIX: &str = "mx";

// SOAP 1.1 envelope (local names).
pub const ENVELOPE: &str = "Envelope";
pub const HEADER: &str = "Header";
pub const BODY: &str = "Body";
pub const FAULT: &str = "Fault";
pub const FAULT_CODE: &str = "faultcode";
pub const FAULT_STRING: &str = "faultstring";
pub const FAULT_DETAIL: &str = "detail";

// Session.
pub const SESSION: &str = "SessionId";
pub const LOGIN: &str = "Login";
pub const LOGIN_RESPONSE: &str = "LoginResponse";
pub const USER_NAME: &str = "UserName";
pub const PASSWORD: &str = "Password";
pub const LOGOUT: &str = "Logout";
pub const LOGOUT_RESPONSE: &str = "LogoutResponse";

// "Test access".
pub const SYSTEM_INFO: &str = "GetSystemInfo";
pub const SYSTEM_INFO_RESPONSE: &str = "GetSystemInfoResponse";
pub const PRODUCT: &str = "Product";
pub const SOFTWARE_VERSION: &str = "SoftwareVersion";

// User and Services Configuration of one directory number.
pub const READ: &str = "ReadUserAndServices";
pub const READ_RESPONSE: &str = "ReadUserAndServicesResponse";
pub const UPDATE: &str = "UpdateUserAndServices";
pub const UPDATE_RESPONSE: &str = "UpdateUserAndServicesResponse";
pub const DIRECTORY_NUMBER: &str = "DirectoryNumber";

// The three parts of the form.
pub const USER_PROFILE: &str = "UserProfile";
pub const SERVICE_PROFILE: &str = "ServiceProfile";
pub const SERVICE_DETAILS: &str = "ServiceDetails";

// Fields.
pub const LAST_NAME: &str = "LastName";
pub const FIRST_NAME: &str = "FirstName";
pub const DIRECTORY_NAME: &str = "DirectoryName";
pub const SERVICE_LABEL: &str = "ServiceLabel";
pub const COR_DAY: &str = "ClassOfRestrictionDay";
pub const COR_NIGHT1: &str = "ClassOfRestrictionNight1";
pub const COR_NIGHT2: &str = "ClassOfRestrictionNight2";
pub const DID_SERVICE_NUMBER: &str = "DidServiceNumber";
pub const USE_DID_FOR_OUTGOING_CALLS: &str = "UseDidForOutgoingCalls";

/// Text of a set flag; anything else reads as off.
pub const TRUE: &str = "true";
pub const FALSE: &str = "false";

// Directory numbers (for completion in the REPL).
pub const LIST_DIRECTORY_NUMBERS: &str = "ListDirectoryNumbers";
pub const LIST_DIRECTORY_NUMBERS_RESPONSE: &str = "ListDirectoryNumbersResponse";

// DID search.
pub const FIND_DIDS: &str = "FindDidServiceNumbers";
pub const FIND_DIDS_RESPONSE: &str = "FindDidServiceNumbersResponse";
pub const RANGE_FROM: &str = "From";
pub const RANGE_TO: &str = "To";
pub const ASSIGNMENT: &str = "Assignment";
pub const ASSIGNMENT_DID: &str = "did";
pub const ASSIGNMENT_DN: &str = "directoryNumber";

// Fault detail.
pub const MIXML_FAULT: &str = "MiXmlFault";
pub const CODE: &str = "Code";
pub const FIELD: &str = "Field";
pub const OWNER: &str = "OwnerDirectoryNumber";

/// SOAP 1.1 fault codes: the client's request is wrong, or the server failed.
pub const SOAP_CLIENT: &str = "soap:Client";
pub const SOAP_SERVER: &str = "soap:Server";

// MiXML fault codes.
pub const AUTHENTICATION_FAILED: &str = "AuthenticationFailed";
pub const SESSION_INVALID: &str = "SessionInvalid";
pub const UNKNOWN_DIRECTORY_NUMBER: &str = "UnknownDirectoryNumber";
pub const VALUE_REFUSED: &str = "ValueRefused";
pub const DID_IN_USE: &str = "DidInUse";
pub const BUSY: &str = "Busy";
pub const MALFORMED_REQUEST: &str = "MalformedRequest";
pub const INTERNAL_ERROR: &str = "InternalError";
