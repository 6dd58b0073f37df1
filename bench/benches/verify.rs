//! Verifying a Standard Webhooks delivery: hookgen vs the `standardwebhooks` and `svix` crates,
//! with a bare `hmac` + `sha2` HMAC (decode + constant-time compare) as the lower bound.
//! Same inputs, same run; the ratios to the lower bound are printed at the end.

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use hookgen_runtime::verify::StandardWebhooks;
use hookgen_runtime::{Scheme, Verifier};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SIZES: [(usize, &str); 4] = [
    (256, "256B"),
    (1024, "1KiB"),
    (16 * 1024, "16KiB"),
    (1024 * 1024, "1MiB"),
];

fn body(n: usize) -> Vec<u8> {
    let mut b = b"{\"type\":\"chat:message:dm\",\"data\":{\"text\":\"".to_vec();
    b.resize(n - 3, b'x');
    b.extend_from_slice(b"\"}}");
    b
}

fn bare(key: &[u8], ts: &str, body: &[u8], sig_b64: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(ID.as_bytes());
    mac.update(b".");
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    let mut buf = [0u8; 64];
    let n = base64::engine::general_purpose::STANDARD
        .decode_slice(sig_b64, &mut buf)
        .unwrap();
    n == expected.len() && bool::from(buf[..n].ct_eq(&expected))
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let verifier = Verifier::new(
        Scheme::StandardWebhooks(StandardWebhooks::default()),
        [SECRET],
    )
    .unwrap();
    let sw = standardwebhooks::Webhook::new(SECRET).unwrap();
    let svix = svix::webhooks::Webhook::new(SECRET).unwrap();
    let mut group = c.benchmark_group("verify");
    for (size, label) in SIZES {
        let body = body(size);
        let headers = verifier.sign(&body, Some(ID), Some(1_700_000_000)).unwrap();
        let ts = headers["webhook-timestamp"].to_str().unwrap().to_string();
        let sig = headers["webhook-signature"]
            .to_str()
            .unwrap()
            .trim_start_matches("v1,")
            .to_string();
        assert!(bare(&key, &ts, &body, &sig));
        assert!(verifier.verify_at(&headers, &body, now).is_ok());
        // The peers check against the wall clock; sign fresh headers for them.
        let fresh = verifier.sign(&body, Some(ID), None).unwrap();
        assert!(sw.verify(&body, &fresh).is_ok());
        assert!(svix.verify(&body, &fresh).is_ok());
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::new("bare-hmac-sha2", label),
            &body,
            |b, body| b.iter(|| bare(&key, &ts, black_box(body), &sig)),
        );
        group.bench_with_input(BenchmarkId::new("hookgen", label), &body, |b, body| {
            b.iter(|| verifier.verify_at(&headers, black_box(body), now).is_ok())
        });
        group.bench_with_input(
            BenchmarkId::new("standardwebhooks", label),
            &body,
            |b, body| b.iter(|| sw.verify(black_box(body), &fresh).is_ok()),
        );
        group.bench_with_input(BenchmarkId::new("svix", label), &body, |b, body| {
            b.iter(|| svix.verify(black_box(body), &fresh).is_ok())
        });
    }
    group.finish();
    c.final_summary();
    print_ratios();
}

/// Read criterion's estimates back and print each implementation as a ratio to the bare HMAC.
fn print_ratios() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion/verify");
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| std::path::PathBuf::from(d).join("criterion/verify"))
        .filter(|d| d.exists())
        .unwrap_or(dir);
    let median = |name: &str, label: &str| -> Option<f64> {
        let text =
            std::fs::read_to_string(dir.join(name).join(label).join("new/estimates.json")).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v["median"]["point_estimate"].as_f64()
    };
    println!("\n| body | bare hmac+sha2 | hookgen | standardwebhooks | svix |");
    println!("|---|---|---|---|---|");
    for (_, label) in SIZES {
        let Some(base) = median("bare-hmac-sha2", label) else {
            continue;
        };
        let cell = |n: &str| {
            median(n, label)
                .map(|m| format!("{:.0} ns ({:.2}x)", m, m / base))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "| {label} | {base:.0} ns (1.00x) | {} | {} | {} |",
            cell("hookgen"),
            cell("standardwebhooks"),
            cell("svix")
        );
    }
}
