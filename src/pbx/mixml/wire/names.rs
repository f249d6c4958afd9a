//! Every name of our MiXML model in one file: HTTP path, namespaces, element names, field names,
//! fault codes. The real MiXML wire format is not public (BRIEF §13); when a capture of a real
//! PBX is available, aligning hotelcare with it starts and, ideally, ends here.
//!
//! The simulator reads requests with these names through its own parser, so a name changed here
//! changes both sides, while a serializer bug cannot hide itself.

/// The HTTP path MiXML requests are POSTed to.
pub(crate) const PATH: &str = "/mixml/v1";
/// The `SOAPAction` header's prefix; the operation's element name follows `#`.
pub(crate) const SOAP_ACTION_PREFIX: &str = "urn:hotelcare:mixml:model:1";

pub(crate) const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub(crate) const MIXML_NS: &str = "urn:hotelcare:mixml:model:1";
pub(crate) const SOAP_PREFIX: &str = "soap";
pub(crate) const MIXML_PREFIX: &str = "mx";

// SOAP 1.1 envelope (local names).
pub(crate) const ENVELOPE: &str = "Envelope";
pub(crate) const HEADER: &str = "Header";
pub(crate) const BODY: &str = "Body";
pub(crate) const FAULT: &str = "Fault";
pub(crate) const FAULT_CODE: &str = "faultcode";
pub(crate) const FAULT_STRING: &str = "faultstring";
pub(crate) const FAULT_DETAIL: &str = "detail";

// Session.
pub(crate) const SESSION: &str = "SessionId";
pub(crate) const LOGIN: &str = "Login";
pub(crate) const LOGIN_RESPONSE: &str = "LoginResponse";
pub(crate) const USER_NAME: &str = "UserName";
pub(crate) const PASSWORD: &str = "Password";
pub(crate) const LOGOUT: &str = "Logout";
pub(crate) const LOGOUT_RESPONSE: &str = "LogoutResponse";

// "Test access".
pub(crate) const SYSTEM_INFO: &str = "GetSystemInfo";
pub(crate) const SYSTEM_INFO_RESPONSE: &str = "GetSystemInfoResponse";
pub(crate) const PRODUCT: &str = "Product";
pub(crate) const SOFTWARE_VERSION: &str = "SoftwareVersion";

// User and Services Configuration of one directory number.
pub(crate) const READ: &str = "ReadUserAndServices";
pub(crate) const READ_RESPONSE: &str = "ReadUserAndServicesResponse";
pub(crate) const UPDATE: &str = "UpdateUserAndServices";
pub(crate) const UPDATE_RESPONSE: &str = "UpdateUserAndServicesResponse";
pub(crate) const DIRECTORY_NUMBER: &str = "DirectoryNumber";

// The three parts of the form.
pub(crate) const USER_PROFILE: &str = "UserProfile";
pub(crate) const SERVICE_PROFILE: &str = "ServiceProfile";
pub(crate) const SERVICE_DETAILS: &str = "ServiceDetails";
pub(crate) const WAKEUP_CALLS: &str = "WakeupCalls";

// Fields.
pub(crate) const LAST_NAME: &str = "LastName";
pub(crate) const FIRST_NAME: &str = "FirstName";
pub(crate) const DIRECTORY_NAME: &str = "DirectoryName";
pub(crate) const SERVICE_LABEL: &str = "ServiceLabel";
pub(crate) const COR_DAY: &str = "ClassOfRestrictionDay";
pub(crate) const COR_NIGHT1: &str = "ClassOfRestrictionNight1";
pub(crate) const COR_NIGHT2: &str = "ClassOfRestrictionNight2";
pub(crate) const DID_SERVICE_NUMBER: &str = "DidServiceNumber";
pub(crate) const USE_DID_FOR_OUTGOING_CALLS: &str = "UseDidForOutgoingCalls";
pub(crate) const WAKEUP_TIMES: &str = "WakeupTimes";

/// Text of a set flag; anything else reads as off.
pub(crate) const TRUE: &str = "true";
pub(crate) const FALSE: &str = "false";

// Directory numbers (for completion in the REPL).
pub(crate) const LIST_DIRECTORY_NUMBERS: &str = "ListDirectoryNumbers";
pub(crate) const LIST_DIRECTORY_NUMBERS_RESPONSE: &str = "ListDirectoryNumbersResponse";

// Wake-up calls that have rung, and how each ended (our model of MiVB's wake-up report).
pub(crate) const LIST_WAKEUP_RESULTS: &str = "ListWakeupResults";
pub(crate) const LIST_WAKEUP_RESULTS_RESPONSE: &str = "ListWakeupResultsResponse";
pub(crate) const WAKEUP_RESULT: &str = "WakeupResult";
pub(crate) const WAKEUP_TIME: &str = "WakeupTime";
pub(crate) const WAKEUP_STATUS: &str = "Status";
pub(crate) const ANSWERED: &str = "answered";
pub(crate) const NO_ANSWER: &str = "no-answer";
pub(crate) const LINE_BUSY: &str = "busy";

// DID search.
pub(crate) const FIND_DIDS: &str = "FindDidServiceNumbers";
pub(crate) const FIND_DIDS_RESPONSE: &str = "FindDidServiceNumbersResponse";
pub(crate) const RANGE_FROM: &str = "From";
pub(crate) const RANGE_TO: &str = "To";
pub(crate) const ASSIGNMENT: &str = "Assignment";
pub(crate) const ASSIGNMENT_DID: &str = "did";
pub(crate) const ASSIGNMENT_DN: &str = "directoryNumber";

// Fault detail.
pub(crate) const MIXML_FAULT: &str = "MiXmlFault";
pub(crate) const CODE: &str = "Code";
pub(crate) const FIELD: &str = "Field";
pub(crate) const OWNER: &str = "OwnerDirectoryNumber";

/// SOAP 1.1 fault codes: the client's request is wrong, or the server failed.
pub(crate) const SOAP_CLIENT: &str = "soap:Client";
pub(crate) const SOAP_SERVER: &str = "soap:Server";

// MiXML fault codes.
pub(crate) const AUTHENTICATION_FAILED: &str = "AuthenticationFailed";
pub(crate) const SESSION_INVALID: &str = "SessionInvalid";
pub(crate) const UNKNOWN_DIRECTORY_NUMBER: &str = "UnknownDirectoryNumber";
pub(crate) const VALUE_REFUSED: &str = "ValueRefused";
pub(crate) const DID_IN_USE: &str = "DidInUse";
pub(crate) const BUSY: &str = "Busy";
pub(crate) const MALFORMED_REQUEST: &str = "MalformedRequest";
pub(crate) const INTERNAL_ERROR: &str = "InternalError";
