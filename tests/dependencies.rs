//! Only what a vendor needs is compiled: each generated crate turns on its own signature scheme
//! family, so an HMAC vendor builds no ring, jsonwebtoken, aes or ed25519-dalek for
//! verification. Read from `cargo tree`, as a user's build would resolve the crate alone.

use std::collections::BTreeSet;
use std::process::Command;

/// The crates `cargo tree` resolves for one package's normal dependencies (`-i` inverts).
fn tree(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-e", "normal", "--prefix", "none"])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn crates_of(package: &str) -> BTreeSet<String> {
    tree(&["-p", package])
        .lines()
        .filter_map(|l| l.split(' ').next().map(String::from))
        .collect()
}

const VERIFICATION_CRATES: &[&str] = &["ring", "jsonwebtoken", "aes", "cbc", "ed25519-dalek"];

#[test]
fn an_hmac_vendor_builds_no_other_scheme_family() {
    // RoostSync: HMAC, no follow-up API.
    let crates = crates_of("roostsync-webhooks");
    for heavy in VERIFICATION_CRATES {
        assert!(
            !crates.contains(*heavy),
            "roostsync-webhooks builds {heavy}"
        );
    }
    assert!(crates.contains("hmac"));
}

#[test]
fn roomz_builds_no_other_family_and_its_client_no_ring() {
    // ROOMZ: HMAC-SHA512 and a follow-up API client, whose HTTPS is the platform's TLS by
    // default (OpenSSL here): nothing of the other families, and no ring.
    let crates = crates_of("roomz-webhooks");
    for heavy in VERIFICATION_CRATES {
        assert!(!crates.contains(*heavy), "roomz-webhooks builds {heavy}");
    }
    assert!(crates.contains("native-tls"), "{crates:?}");
    // With rustls chosen instead, ring comes in for TLS alone.
    let dependents: BTreeSet<String> = tree(&[
        "-p",
        "roomz-webhooks",
        "--no-default-features",
        "--features",
        "rustls",
        "-i",
        "ring",
        "--depth",
        "1",
    ])
    .lines()
    .skip(1)
    .filter_map(|l| l.split(' ').next().map(String::from))
    .collect();
    let tls: BTreeSet<String> = ["rustls", "rustls-webpki"].map(String::from).into();
    assert!(
        dependents.is_subset(&tls),
        "ring is pulled in by {dependents:?}"
    );
}

#[test]
fn each_vendor_turns_on_its_own_family() {
    // Standard Webhooks (Roam) needs Ed25519 for `v1a`; Roomle's token needs AES-CBC.
    assert!(crates_of("roam-webhooks").contains("ed25519-dalek"));
    let roomle = crates_of("roomle-webhooks");
    assert!(roomle.contains("aes") && roomle.contains("cbc"));
    assert!(!roomle.contains("ed25519-dalek") && !roomle.contains("jsonwebtoken"));
}
