//! FIAS: guest events straight from the hotel's PMS (Oracle OPERA and the many that copy its
//! interface), inside `hotelcare serve`. An input like the spool and the API: `record` reads
//! and writes the records, `mapping` turns a record into script text, `link` keeps the TCP link
//! to the PMS and hands mapped records to the service, which journals them.

pub(crate) mod link;
pub(crate) mod mapping;
pub(crate) mod record;
pub(crate) mod resync;
pub(crate) mod sharing;
