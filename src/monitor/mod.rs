//! The monitor: what support staff see of every operation (BRIEF §6).
//!
//! Input: operations (`plan`) and engine events (`run`). Output: text lines. The engine never
//! imports this module; it only emits events.

pub mod format;
pub mod plan;
