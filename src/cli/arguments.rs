//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Parser, Subcommand as ClapSubcommand, ValueEnum};

/// Drive a Mitel MiVoice Business PBX from guest management: check-in, check-out, class of
/// service, room moves and DID transfer, through MiXML.
#[derive(Debug, Parser)]
#[command(name = "hotelcare", version, about, long_about = None)]
pub struct Arguments {
    /// Configuration file [default: hotelcare.toml if present, else the embedded simulator]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// When to color diagnostics
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    #[command(subcommand)]
    pub command: Subcommand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, ClapSubcommand)]
pub enum Subcommand {
    /// Validate scripts; run nothing (exit 0 valid, 1 invalid)
    Check {
        /// Script files (`-` reads standard input)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Dry run: print the MiXML operations each command lowers to; send nothing
    Plan {
        /// Script files (`-` reads standard input)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Also print the XML envelopes
        #[arg(long)]
        raw: bool,
    },
}
