//! hookgen: typed Rust webhook SDKs from a vendor's OpenAPI description of its webhooks.
//!
//! The stages, one module each, data flowing one way:
//! [`load`] (files → overlaid, normalised, [`repair`]ed document) → [`ir`] (events, types, operations,
//! signature scheme, links) → [`lint`] (diagnostics) → [`emit`] (Rust code and crate files).

mod builder;
pub mod codes;
pub mod config;
pub mod diag;
pub mod diff;
pub mod drift;
mod dupkeys;
pub mod emit;
pub mod ir;
pub mod lint;
pub mod load;
pub mod normalize;
pub mod overlay;
pub mod pointer;
pub mod received;
pub mod repair;
pub mod source;

use std::path::Path;

pub use builder::{BuildError, Builder};
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use ir::Api;
pub use load::{Document, LoadError};

/// A spec taken through loading, IR building and linting.
#[derive(Debug)]
pub struct Analysis {
    pub document: Document,
    pub api: Api,
    pub diagnostics: Diagnostics,
}

/// Load and analyse a spec folder (with `hookgen.toml`) or a single spec file.
pub fn analyze(path: &Path) -> Result<Analysis, LoadError> {
    let document = load::load(path)?;
    Ok(analyze_document(document))
}

/// Analyse a spec already in memory (tests, fuzzing).
pub fn analyze_bytes(bytes: &[u8], name: &str) -> Result<Analysis, LoadError> {
    Ok(analyze_document(load::load_bytes(bytes, name)?))
}

/// Analyse a loaded document (after adjusting its configuration, for instance).
pub fn analyze_document(mut document: Document) -> Analysis {
    let (api, ir_diags) = ir::build(&document);
    let lint_diags = lint::lint(&api);
    let mut diagnostics = std::mem::take(&mut document.diagnostics);
    let mut locator = load::Locator::new(&document);
    for mut d in ir_diags.into_iter().chain(lint_diags) {
        locator.locate(&mut d);
        diagnostics.push(d);
    }
    Analysis {
        document,
        api,
        diagnostics,
    }
}
