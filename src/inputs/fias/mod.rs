//! FIAS: guest events straight from the hotel's PMS (Oracle OPERA and the many that copy its
//! interface), inside `hotelcare serve`. An input like the spool and the API:
//!
//! `record` reads and writes the frames → `refusal` screens each record (control characters,
//! repeats, bytes not of the code page) → `fields` reads its fields as typed values → `mapping`
//! makes typed commands of it (never script text) with the link's `view` of shared rooms →
//! the service journals them (`acceptance::accept_batch`). `resync` compares the PMS's house
//! with the room state; `session` is one connection, `link` the link across connections, and
//! `status` what the service shows of it.
//!
//! Imports `acceptance`, `config`, `engine` (room state), `syntax` (the typed requests); never
//! `service`, which wires it in through `link::Host`.

pub(crate) mod fields;
pub(crate) mod link;
pub(crate) mod mapping;
pub(crate) mod postings;
pub(crate) mod record;
pub(crate) mod refusal;
pub(crate) mod resync;
mod session;
pub(crate) mod status;
pub(crate) mod view;
pub(crate) mod wakeups;

#[cfg(test)]
mod specification;
