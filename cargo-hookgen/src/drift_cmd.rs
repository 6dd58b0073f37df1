//! `cargo hookgen drift SPEC --inbox URL`: every stored delivery checked against the spec, and
//! the Overlay 1.0 document that makes the spec match what the vendor really sends.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hookgen::drift::{self, Drift};
use hookgen::received::Stored;

/// Amending can bring further departures to light (a field made optional lets the decoder
/// reach the fields under it), so drift runs again on the amended spec, this many times at
/// most.
const ROUNDS: usize = 5;

/// What `drift` was asked.
pub struct Request<'a> {
    pub spec: &'a Path,
    pub inbox: &'a str,
    pub out: Option<PathBuf>,
    pub json: bool,
}

/// Exit 0 when every delivery fits the spec as it is, 1 when an overlay was needed (written to
/// `--out`, or printed), 2 on errors (returned as `Err`).
pub fn run(request: Request<'_>) -> Result<ExitCode, String> {
    let stored = crate::stored::read(request.inbox)?;
    let drift = amend(request.spec, &stored)?;
    let title = request
        .spec
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let overlay = drift::overlay_yaml(&drift, &title);
    if let Some(out) = &request.out {
        std::fs::write(out, &overlay).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    if request.json {
        let report = serde_json::json!({
            "deliveries": drift.deliveries,
            "fitting": drift.fitting,
            "amendments": drift.amendments,
            "left": drift.left,
            "overlay": overlay,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        eprint!("{}", summary(&drift, request.out.as_deref()));
        if request.out.is_none() {
            print!("{overlay}");
        }
    }
    Ok(if drift.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Drift over the spec, then over the spec with the amendments so far, until nothing is left
/// to amend: every round's amendments in order (each round's targets are places in the
/// document as the rounds before left it), and what the last round could not bring in line.
fn amend(spec: &Path, stored: &[Stored]) -> Result<Drift, String> {
    let mut overlays = Vec::new();
    let mut all: Option<Drift> = None;
    for _ in 0..ROUNDS {
        let document =
            hookgen::load::load_with_overlays(spec, &overlays).map_err(|e| e.to_string())?;
        let analysis = hookgen::analyze_document(document);
        let round = drift::drift(&analysis.document, &analysis.api, stored);
        let done = round.is_empty();
        if !done {
            overlays.push(drift::overlay_value(&round));
        }
        match &mut all {
            None => all = Some(round),
            Some(all) => {
                all.amendments.extend(round.amendments);
                all.left = round.left;
            }
        }
        if done {
            break;
        }
    }
    Ok(all.unwrap_or_default())
}

fn summary(drift: &Drift, out: Option<&Path>) -> String {
    let left = &drift.left;
    let mut text = format!(
        "{} deliveries read; {} fit the spec as it is; {} amendments\n",
        drift.deliveries,
        drift.fitting,
        drift.amendments.len()
    );
    for a in &drift.amendments {
        text.push_str(&format!(
            "  {:<10} {} at {} ({} deliveries, e.g. {})\n",
            a.kind, a.what, a.schema, a.deliveries, a.example
        ));
    }
    if !left.is_empty() {
        text.push_str(&format!(
            "{} deliveries still do not fit with the overlay:\n",
            left.len()
        ));
        for l in left.iter().take(20) {
            text.push_str(&format!(
                "  delivery {} ({}): {}\n",
                l.delivery,
                l.event.as_deref().unwrap_or("no event"),
                l.why
            ));
        }
    }
    if let Some(out) = out {
        text.push_str(&format!("overlay written to {}\n", out.display()));
    }
    text
}
