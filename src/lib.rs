//! hotelcare: a scriptable command language that drives a Mitel MiVoice Business PBX from a
//! hotel's or hospital's guest management, through MiXML.

// The pest parser is generated without pest's `std` feature, whose native stack probe on every
// rule call cost a third of the parse time (our grammar does not recurse); its code names `alloc`.
extern crate alloc;

pub mod acceptance;
pub mod cli;
pub mod compile;
pub mod config;
pub mod diagnostics;
pub mod engine;
mod files;
pub mod logs;
pub mod monitor;
mod output;
pub mod pbx;
pub mod repl;
pub mod serving;
pub mod sim;
pub mod spool;
pub mod syntax;
pub mod validate;
