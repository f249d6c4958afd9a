//! How a command-line client reaches the running service of its state directory: `discovery`
//! (`service.json`, the token) and `client` (the API called with the token, its event stream).

pub(crate) mod client;
pub(crate) mod discovery;
