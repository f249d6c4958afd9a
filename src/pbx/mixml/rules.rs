//! What MiVB accepts in the fields hotelcare writes (BRIEF §13, `docs/mixml.md`). A leaf: the
//! script's validation (`lang::validate`) checks against these before anything is sent, so this
//! file imports nothing.

/// Directory Name (telephone directory): "Lastname,Firstname", at most 20 characters.
pub(crate) const DIRECTORY_NAME: usize = 20;
/// User Profile Last Name and First Name: at most 64 characters each.
pub(crate) const PROFILE_NAME: usize = 64;
/// Directory numbers used with a property-management system: at most 7 digits.
pub(crate) const DIRECTORY_NUMBER_DIGITS: usize = 7;
