//! The `hotelcare` binary: everything is in the library; see `cli`.

fn main() -> std::process::ExitCode {
    hotelcare::cli::main()
}
