//! hotelcare: a scriptable command language that drives a Mitel MiVoice Business PBX from a
//! hotel's or hospital's guest management, through MiXML.

// The pest parser is generated without pest's `std` feature, whose native stack probe on every
// rule call cost a third of the parse time (our grammar does not recurse); its code names `alloc`.
extern crate alloc;

// The public surface: what the binary (`cli::main`), the integration tests and the benchmarks
// drive — the pipeline (compile, validate), the engine and its seam (engine, pbx), the
// configuration, the simulator, and the diagnostics they report. Everything else is the
// crate's own business, so that `unreachable_pub` means something.
pub mod cli;
pub mod config;
mod diagnostics;
pub(crate) mod engine;
pub mod lang;
pub mod pbx;
pub mod sim;

mod control;
mod dashboard;
mod inputs;
mod intake;
mod monitor;
mod service;
mod support;

/// The SMDR path's hot loop, for its benchmark.
pub use inputs::smdr::parse_and_rate;

#[cfg(test)]
mod tests;
