//! Tests of the library across its folders (the engine behind its seam with a wire of the
//! test's own, properties of the pipeline from script to PBX, the parser and the XML writer
//! fuzzed). They live in the crate because they use what it does not export; the tests in
//! `tests/` drive the binary.

pub(crate) mod disk;
mod engine_seam;
mod fuzz;
mod property;
