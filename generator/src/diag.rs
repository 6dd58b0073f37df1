//! Diagnostics: what hookgen found wrong or unsupported in a spec, and where.

use std::fmt;

use serde::Serialize;

use crate::codes::Code;

/// How bad a finding is. Errors stop generation; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One finding, with a stable code and the place it points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier, e.g. `undeclared-required`.
    pub code: &'static str,
    pub message: String,
    /// The file the finding is in, when known (relative to the spec folder).
    pub file: Option<String>,
    /// JSON pointer into the (overlaid) document.
    pub pointer: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Diagnostic {
    pub fn warning(code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, pointer, message)
    }

    pub fn error(code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, pointer, message)
    }

    fn new(
        severity: Severity,
        code: Code,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            code: code.as_str(),
            message: message.into(),
            file: None,
            pointer: pointer.into(),
            line: None,
            column: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{level}[{}]: {}", self.code, self.message)?;
        let file = self.file.as_deref().unwrap_or("<spec>");
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(
                f,
                "\n  --> {file}:{l}:{c} at {}",
                display_pointer(&self.pointer)
            ),
            (Some(l), None) => write!(
                f,
                "\n  --> {file}:{l} at {}",
                display_pointer(&self.pointer)
            ),
            _ => write!(f, "\n  --> {file} at {}", display_pointer(&self.pointer)),
        }
    }
}

fn display_pointer(p: &str) -> String {
    if p.is_empty() {
        "#".to_string()
    } else {
        format!("#{p}")
    }
}

/// An ordered collection of diagnostics, deduplicated.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        if !self.items.contains(&d) {
            self.items.push(d);
        }
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        for d in other {
            self.push(d);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
