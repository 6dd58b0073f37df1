//! Spec loading end to end: bytes → YAML/JSON → normalise → IR → lint → emit (prettyplease).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(analysis) = hookgen::analyze_bytes(data, "fuzz.yaml") {
        let _ = hookgen::emit::single_file(&analysis.api);
    }
});
