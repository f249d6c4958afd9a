//! Integration tests: one binary (faster to link), modules by subject. They drive the real
//! `hotelcare` binary; those that need a PBX drive it against the simulator over loopback.

#![allow(clippy::unwrap_used)]

mod browser;
mod charges;
mod check_and_plan;
mod cli;
mod dashboard;
mod fias;
mod fias_link;
mod fias_records;
#[cfg(target_os = "linux")]
mod full_disk;
mod hostile;
mod mitel_pms;
mod pbx;
mod pbxs;
mod reconcile;
mod reliability;
mod repl;
mod service;
mod simulator;
mod snapshots;
mod support;
mod wakeup;
mod watch;
