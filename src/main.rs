//! The `hotelcare` binary: everything is in the library; see `cli`.

// mimalloc: every PBX request allocates (envelopes, answers, monitor lines, journal records),
// and the system allocator's malloc/free took about a tenth of hotelcare's CPU (issue 25's
// profile, docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hotelcare::cli::main()
}
