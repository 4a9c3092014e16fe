//! `dojang`: serve (the default), migrate, and admin commands.

/// mimalloc: a request allocates and frees many small buffers across threads (rows, JSON,
/// headers), where glibc's allocator spent a sixth of the server's CPU (`perf`, API reads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    dojang_server::cli::main()
}
