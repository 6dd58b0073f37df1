//! `cargo-hookgen`: the cargo subcommand over the `hookgen` library. Generation and checks
//! (`generate`, `check`, `events`, `schemes`, `explain`) call the library; the commands that
//! serve or talk to servers (`listen`, `inbox`, `drift`, `send`, `verify`) live here with their web
//! server, database and HTTP client, so that a build script depending on `hookgen` builds none
//! of them.

pub mod cli;
mod drift_cmd;
mod inbox_cmd;
mod listen;
mod render;
mod send;
mod stored;
mod verify_cmd;
