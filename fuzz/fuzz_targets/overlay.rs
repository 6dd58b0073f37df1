//! Overlay application: the input is two JSON documents separated by a NUL byte.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |b| *b == 0);
    let (Some(doc), Some(overlay)) = (parts.next(), parts.next()) else {
        return;
    };
    let (Ok(mut doc), Ok(overlay)) = (
        serde_json::from_slice::<serde_json::Value>(doc),
        serde_json::from_slice(overlay),
    ) else {
        return;
    };
    let _ = hookgen::overlay::apply(&mut doc, &overlay);
});
