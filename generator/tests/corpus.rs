//! Opt-in: every spec of a corpus of real webhook specs loads with no errors, and generates a
//! crate that passes `cargo check`. Run with `HOOKGEN_CORPUS=../shared/corpus cargo test --test corpus`.
//! Without the variable the test says it was skipped and passes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use hookgen::emit::{crate_files_with, write_files, CrateOptions};

fn specs_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let p = entry.path();
        if p.is_dir() {
            out.extend(specs_in(&p));
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("json" | "yml" | "yaml")
        ) {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn corpus_loads_and_generated_crates_compile() {
    let Some(corpus) = std::env::var_os("HOOKGEN_CORPUS").map(PathBuf::from) else {
        eprintln!("corpus test skipped: set HOOKGEN_CORPUS to a folder of specs");
        return;
    };
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime")
        .canonicalize()
        .unwrap();
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    let _ = std::fs::remove_dir_all(work.join("crates"));
    let mut members = Vec::new();
    let mut report = vec![
        "| spec | load | events | operations | types | diagnostics (by code) | generated lines |"
            .to_string(),
        "|---|---|---|---|---|---|---|".to_string(),
    ];
    for spec in specs_in(&corpus) {
        let name = spec.strip_prefix(&corpus).unwrap().display().to_string();
        let started = Instant::now();
        let analysis = hookgen::analyze(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        let errors: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let mut codes = std::collections::BTreeMap::<&str, usize>::new();
        for d in analysis.diagnostics.iter() {
            *codes.entry(d.code).or_default() += 1;
        }
        let mut api = analysis.api;
        let slug: String = name
            .split(['/', '.'])
            .next()
            .unwrap()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        api.crate_name = format!("corpus-{slug}-webhooks");
        let options = CrateOptions {
            runtime_dependency: format!("path = {:?}", runtime.display().to_string()),
        };
        let files = crate_files_with(&api, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        let lines: usize = files
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "rs"))
            .map(|(_, c)| c.lines().count())
            .sum();
        let dir = work.join("crates").join(&api.crate_name);
        write_files(&dir, &files).unwrap();
        members.push(format!("\"crates/{}\"", api.crate_name));
        let codes: Vec<String> = codes.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let row = format!(
            "| {name} | ok ({:.0?}) | {} | {} | {} | {} | {lines} |",
            started.elapsed(),
            api.events.len(),
            api.operations.len(),
            api.types.types.len(),
            codes.join(", ")
        );
        eprintln!("{row}");
        report.push(row);
    }
    assert!(!members.is_empty(), "no specs in {}", corpus.display());
    std::fs::write(
        work.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )
    .unwrap();
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    std::fs::copy(lock, work.join("Cargo.lock")).unwrap();
    let started = Instant::now();
    let status = Command::new(env!("CARGO"))
        .args(["check", "--workspace", "--quiet"])
        .current_dir(&work)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env_remove("RUSTFLAGS")
        .status()
        .unwrap();
    eprintln!(
        "cargo check of {} generated crates: {:.1?}",
        members.len(),
        started.elapsed()
    );
    eprintln!("{}", report.join("\n"));
    assert!(
        status.success(),
        "a generated corpus crate does not compile (see above)"
    );
}
