//! The intermediate model: everything emission needs, and nothing that makes it go back to the spec.
//!
//! `model` holds the data; `build` and the stages it calls (events, identity, types,
//! operations, signature, names) fill it in. Each imports `model` and the stages before it,
//! never this module, so the files form no cycle.

mod build;
mod dedup;
mod events;
pub mod identity;
mod model;
pub mod names;
mod operations;
pub mod signature;
mod types;

pub use build::build;
pub use model::*;
