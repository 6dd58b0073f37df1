//! `Event::from_slice` of every generated vendor crate: errors are fine, panics are not, and an
//! error always hands back the exact body.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = roomz_webhooks::Event::from_slice(data) {
        assert_eq!(e.raw_body(), data);
    }
    let _ = roam_webhooks::Event::from_slice(data);
    let _ = roostsync_webhooks::Event::from_slice(data);
    let _ = roomle_webhooks::Event::from_slice(data);
});
