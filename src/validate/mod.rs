//! Validation: AST -> checked commands, or every diagnostic of the script.
//!
//! Input: `syntax::Statement`s in script order and the `Config`. Output: `Command`s (resolved,
//! journal-ready) and `Diagnostic`s. Imports `syntax`, `config`, `diagnostics`; nothing above.

mod checked;
mod guest;
pub mod limits;
mod validator;

pub use checked::{Action, Command, DidRequest, Guest};
pub use validator::{Checked, Validator};

#[cfg(test)]
mod tests;
