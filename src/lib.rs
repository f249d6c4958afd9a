//! hotelcare: a scriptable command language that drives a Mitel MiVoice Business PBX from a
//! hotel's or hospital's guest management, through MiXML.

pub mod compile;
pub mod config;
pub mod diagnostics;
pub mod syntax;
pub mod validate;
