//! insta snapshots of the generated code: every vendor spec and every fixture. A change in
//! generated output shows up here as a diff to review like code.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// What `check` would say, in a stable text form, followed by the generated code.
fn render(path: &Path) -> String {
    let analysis = hookgen::analyze(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = String::from("# events\n");
    for e in &analysis.api.events {
        out.push_str(&format!("{} -> Event::{}\n", e.name, e.variant));
    }
    out.push_str("# diagnostics\n");
    for d in analysis.diagnostics.iter() {
        out.push_str(&format!(
            "{:?} {} {}:{} {}\n",
            d.severity,
            d.code,
            d.file.as_deref().unwrap_or("-"),
            d.line.unwrap_or(0),
            d.pointer
        ));
    }
    out.push_str("# code\n");
    out.push_str(&hookgen::emit::single_file(&analysis.api).unwrap());
    out
}

#[test]
fn vendor_specs() {
    for vendor in ["roomz", "roam", "roostsync", "roomle"] {
        let text = render(&repo().join("specs").join(vendor));
        insta::assert_snapshot!(format!("vendor_{vendor}"), text);
    }
}

#[test]
fn fixtures() {
    let dir = repo().join("generator/tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("fixture_{name}"), render(&f));
    }
}

#[test]
fn output_is_deterministic() {
    let a = render(&repo().join("specs/roomz"));
    let b = render(&repo().join("specs/roomz"));
    assert_eq!(a, b);
}
