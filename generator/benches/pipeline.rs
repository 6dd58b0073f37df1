//! Loading and generation speed. Measured side by side in one run:
//! - loading the largest corpus spec (`load::load`: parse, overlay, normalise, lift) against a
//!   bare `serde_json::from_slice` of the same file;
//! - generation (load → IR → emit → prettyplease) for the largest corpus spec and for ROOMZ.
//!
//! The corpus is read from `HOOKGEN_CORPUS` (default `../shared/corpus` beside the repo).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{black_box, Criterion};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("HOOKGEN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    dir.exists().then_some(dir)
}

/// The largest JSON spec of the corpus.
fn largest_spec(dir: &Path) -> Option<PathBuf> {
    let mut best: Option<(u64, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        let candidates: Vec<PathBuf> = if p.is_dir() {
            std::fs::read_dir(&p)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .collect()
        } else {
            vec![p]
        };
        for f in candidates
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
        {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if best.as_ref().is_none_or(|(l, _)| len > *l) {
                best = Some((len, f));
            }
        }
    }
    best.map(|(_, p)| p)
}

fn generate(path: &Path) -> usize {
    let analysis = hookgen::analyze(path).unwrap();
    hookgen::emit::single_file(&analysis.api).unwrap().len()
}

fn median_ns(group: &str, name: &str) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let text = std::fs::read_to_string(
        target
            .join("criterion")
            .join(group)
            .join(name)
            .join("new/estimates.json"),
    )
    .ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    let roomz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/roomz");
    let largest = corpus_dir().and_then(|d| largest_spec(&d));
    if let Some(spec) = &largest {
        let bytes = std::fs::read(spec).unwrap();
        let mut g = c.benchmark_group("load");
        g.bench_function("serde_json::from_slice", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).unwrap())
        });
        g.bench_function("hookgen::load", |b| {
            b.iter(|| hookgen::load::load(black_box(spec)).unwrap())
        });
        g.finish();
    } else {
        eprintln!("no corpus found: set HOOKGEN_CORPUS to measure loading the largest corpus spec");
    }
    let mut g = c.benchmark_group("generate");
    g.bench_function("roomz", |b| b.iter(|| generate(black_box(&roomz))));
    if let Some(spec) = &largest {
        g.bench_function("largest-corpus-spec", |b| {
            b.iter(|| generate(black_box(spec)))
        });
    }
    g.finish();
    c.final_summary();
    if let (Some(spec), Some(bare), Some(ours)) = (
        &largest,
        median_ns("load", "serde_json__from_slice"),
        median_ns("load", "hookgen__load"),
    ) {
        println!(
            "\nload {}: hookgen {:.1} ms, serde_json::from_slice {:.1} ms, ratio {:.2}x",
            spec.display(),
            ours / 1e6,
            bare / 1e6,
            ours / bare
        );
    }
    for name in ["roomz", "largest-corpus-spec"] {
        if let Some(t) = median_ns("generate", name) {
            println!("generate {name}: {:.1} ms", t / 1e6);
        }
    }
}
