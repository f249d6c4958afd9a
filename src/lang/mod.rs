//! The command language: `syntax` (script text -> typed AST; the one writer of commands built
//! from data), `validate` (AST -> checked commands, every diagnostic of a script) and `compile`
//! (the two streamed over a script of any length).
//!
//! Imports `config` and `diagnostics`; nothing else.

pub mod compile;
pub(crate) mod syntax;
pub mod validate;
