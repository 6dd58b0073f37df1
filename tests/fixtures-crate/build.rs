//! Generate every fixture of `generator/tests/fixtures` into OUT_DIR.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generator/tests/fixtures");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    fixtures.sort();
    // The fixtures round-trip their payloads, so their events serialize too.
    let mut builder = hookgen::Builder::new().quiet(true).serialize_events(true);
    for f in fixtures {
        builder = builder.spec(f);
    }
    builder.generate()?;
    println!("cargo:rerun-if-changed={}", dir.display());
    Ok(())
}
