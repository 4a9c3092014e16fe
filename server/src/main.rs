//! `dojang`: serve (the default), migrate, and admin commands.

fn main() -> std::process::ExitCode {
    dojang_server::cli::main()
}
