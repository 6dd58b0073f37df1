//! `cargo-hookgen`: the cargo subcommand (`cargo hookgen ...`).

fn main() -> std::process::ExitCode {
    // Invoked by cargo as `cargo-hookgen hookgen <args>`; by the alias or directly without it.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "hookgen") {
        args.remove(1);
    }
    cargo_hookgen::cli::run(args)
}
