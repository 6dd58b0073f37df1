fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Writes $OUT_DIR/roomz.rs and prints rerun-if-changed for the spec, overlay and hookgen.toml.
    hookgen::Builder::new()
        .spec("../../specs/roomz")
        .generate()?;
    Ok(())
}
