//! The `build.rs` entry point, in the style of prost-build: generate into `OUT_DIR`, then
//! `include!` the file.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     hookgen::Builder::new().spec("specs/roomz").generate()?;
//!     Ok(())
//! }
//! ```
//! ```ignore
//! // src/lib.rs
//! include!(concat!(env!("OUT_DIR"), "/roomz.rs"));
//! ```

use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::emit::{self, EmitOptions};
use crate::load::LoadError;

/// Configures and runs generation from a `build.rs`.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    specs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
    options: EmitOptions,
    operations: Option<Vec<String>>,
    deny_warnings: bool,
    quiet: bool,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{spec}: the spec has errors:\n{}", .diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    Spec {
        spec: String,
        diagnostics: Vec<Diagnostic>,
    },
    #[error("{0}")]
    Emit(#[from] emit::EmitError),
    #[error("OUT_DIR is not set: call `out_dir` when not running inside a build script")]
    NoOutDir,
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no spec given: call `spec(path)`")]
    NoSpec,
}

impl Builder {
    pub fn new() -> Self {
        Builder {
            options: EmitOptions::default(),
            ..Default::default()
        }
    }

    /// A spec folder (with `hookgen.toml`) or a single spec file. May be called several times.
    pub fn spec(mut self, path: impl AsRef<Path>) -> Self {
        self.specs.push(path.as_ref().to_path_buf());
        self
    }

    /// Where to write (default: `$OUT_DIR`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The output file name (default: the spec folder's or file's name, e.g. `roomz.rs`).
    /// With several specs, each gets its own default name and this applies to the first.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// An extra attribute on every generated type, e.g. `#[derive(Hash)]`-style additions such
    /// as `"#[derive(schemars::JsonSchema)]"`.
    pub fn type_attribute(mut self, attribute: impl Into<String>) -> Self {
        self.options.type_attributes.push(attribute.into());
        self
    }

    /// Only emit client methods for these operation ids (default: all).
    pub fn operations<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.operations = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Whether events and their payload types implement `Serialize` (default: as
    /// `hookgen.toml`'s `serialize_events` says, else no: deliveries are only decoded).
    pub fn serialize_events(mut self, yes: bool) -> Self {
        self.options.serialize_events = Some(yes);
        self
    }

    /// Whether to emit the follow-up API client (default: as `hookgen.toml` says, else yes).
    pub fn emit_client(mut self, yes: bool) -> Self {
        self.options.emit_client = Some(yes);
        self
    }

    /// Do not mention spec warnings in the build output.
    pub fn quiet(mut self, yes: bool) -> Self {
        self.quiet = yes;
        self
    }

    /// Fail on warnings too.
    pub fn deny_warnings(mut self, yes: bool) -> Self {
        self.deny_warnings = yes;
        self
    }

    /// Generate every spec; returns the files written. Prints `cargo:rerun-if-changed` for
    /// every input read (spec files, overlays, `hookgen.toml`) and `cargo:warning` for warnings.
    pub fn generate(self) -> Result<Vec<PathBuf>, BuildError> {
        if self.specs.is_empty() {
            return Err(BuildError::NoSpec);
        }
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        let mut written = Vec::new();
        for (i, spec) in self.specs.iter().enumerate() {
            let analysis = crate::analyze(spec)?;
            for src in &analysis.document.sources {
                println!("cargo:rerun-if-changed={}", src.path.display());
            }
            let config = spec.join(crate::config::CONFIG_FILE);
            if config.exists() {
                println!("cargo:rerun-if-changed={}", config.display());
            }
            let (errors, warnings): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
                analysis.diagnostics.iter().partition(|d| d.is_error());
            if !errors.is_empty() || (self.deny_warnings && !warnings.is_empty()) {
                return Err(BuildError::Spec {
                    spec: spec.display().to_string(),
                    diagnostics: analysis.diagnostics.iter().cloned().collect(),
                });
            }
            if !warnings.is_empty() && !self.quiet {
                // One line, not one per finding: build output is no place for a lint report.
                println!(
                    "cargo:warning=hookgen: {} has {} warning(s); run `cargo hookgen check {}` to see them",
                    spec.display(),
                    warnings.len(),
                    spec.display()
                );
            }
            let mut api = analysis.api;
            if let Some(ids) = &self.operations {
                api.retain_operations(|op| op.id.as_ref().is_some_and(|id| ids.contains(id)));
            }
            let code = emit::single_file_with(&api, &self.options)?;
            let name = match (&self.file_name, i) {
                (Some(n), 0) => n.clone(),
                _ => default_file_name(spec),
            };
            let path = out_dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(code.as_str()) {
                std::fs::write(&path, code).map_err(|source| BuildError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            }
            written.push(path);
        }
        Ok(written)
    }
}

fn default_file_name(spec: &Path) -> String {
    let stem = if spec.is_dir() {
        spec.file_name().map(|s| s.to_string_lossy().into_owned())
    } else {
        spec.file_stem().map(|s| s.to_string_lossy().into_owned())
    };
    format!(
        "{}.rs",
        heck::ToSnakeCase::to_snake_case(stem.unwrap_or_else(|| "webhooks".into()).as_str())
    )
}
