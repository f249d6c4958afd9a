//! The command language: `syntax` (script text -> typed AST; the one writer of commands built
//! from data), `validate` (AST -> checked commands, every diagnostic of a script) and `compile`
//! (the two streamed over a script of any length).
//!
//! Imports `config` and `diagnostics`; nothing else.

pub(crate) mod compile;
pub(crate) mod syntax;
pub(crate) mod validate;

// What the compile benchmark names: the front half of the pipeline and what its events carry.
pub use {
    crate::diagnostics::{diagnostic::Diagnostic, render::Source},
    compile::{Event, Summary, compile},
    validate::{checked::Command, validator::Validator},
};
