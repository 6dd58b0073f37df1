//! Human rendering of diagnostics: the source line, underlined (codespan-reporting).

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use codespan_reporting::term::{self, Config};

use hookgen::diag::{Diagnostic, Severity};
use hookgen::Analysis;

pub fn render_diagnostics(analysis: &Analysis, diags: &[&Diagnostic]) {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = analysis
        .document
        .sources
        .iter()
        .map(|s| files.add(s.display.clone(), s.text.clone()))
        .collect();
    let color = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let writer = StandardStream::stderr(color);
    let config = Config::default();
    for d in diags {
        let report = match d.severity {
            Severity::Error => Report::error(),
            Severity::Warning => Report::warning(),
        }
        .with_code(d.code)
        .with_message(&d.message);
        let source = analysis
            .document
            .sources
            .iter()
            .position(|s| Some(&s.display) == d.file.as_ref());
        let label = match (source, d.line) {
            (Some(i), Some(line)) => span_of_line(
                &analysis.document.sources[i].text,
                line,
                d.column.unwrap_or(1),
            )
            .map(|span| Label::primary(ids[i], span).with_message(format!("at #{}", d.pointer))),
            _ => None,
        };
        let report = match label {
            Some(l) => report.with_labels(vec![l]),
            None => report.with_notes(vec![format!(
                "at {} #{}",
                d.file.as_deref().unwrap_or("<spec>"),
                d.pointer
            )]),
        };
        let _ = term::emit(&mut writer.lock(), &config, &files, &report);
    }
}

/// Byte range of line `line` (1-based) from `column` to its end.
fn span_of_line(text: &str, line: usize, column: usize) -> Option<std::ops::Range<usize>> {
    let start_of_line: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let this = text[start_of_line..].split('\n').next()?;
    let col = column.saturating_sub(1).min(this.len());
    let start = start_of_line
        + this
            .char_indices()
            .nth(col)
            .map(|(i, _)| i)
            .unwrap_or(this.len().min(col));
    let end = (start_of_line + this.trim_end().len())
        .max(start + 1)
        .min(text.len());
    (start < end).then_some(start..end)
}
