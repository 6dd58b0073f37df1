//! The command line: `--help` of each subcommand is snapshotted, exit codes are as documented.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use cargo_hookgen::cli::{run, Cli};
use clap::CommandFactory;

fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(p)
        .display()
        .to_string()
}

fn exit(args: &[&str]) -> ExitCode {
    let mut all: Vec<OsString> = vec!["cargo-hookgen".into()];
    all.extend(args.iter().map(OsString::from));
    run(all)
}

#[test]
fn help_of_every_subcommand() {
    let mut cmd = Cli::command();
    insta::assert_snapshot!("help", cmd.render_help().to_string());
    for sub in [
        "generate", "check", "diff", "events", "send", "verify", "schemes", "inbox", "listen",
    ] {
        let mut cmd = Cli::command();
        let sub_cmd = cmd.find_subcommand_mut(sub).unwrap();
        insta::assert_snapshot!(format!("help_{sub}"), sub_cmd.render_help().to_string());
    }
}

#[test]
fn exit_codes() {
    assert_eq!(exit(&["check", &repo("specs/roam")]), ExitCode::SUCCESS);
    // ROOMZ's published spec has warnings: fine by default, an error when denied.
    assert_eq!(exit(&["check", &repo("specs/roomz")]), ExitCode::SUCCESS);
    assert_eq!(
        exit(&["check", &repo("specs/roomz"), "--deny-warnings"]),
        ExitCode::from(1)
    );
    assert_eq!(
        exit(&["check", &repo("specs/roomz"), "--format", "json"]),
        ExitCode::SUCCESS
    );
    assert_eq!(exit(&["events", &repo("specs/roomz")]), ExitCode::SUCCESS);
    assert_eq!(
        exit(&["check", &repo("no/such/spec.yaml")]),
        ExitCode::from(2)
    );
    assert_eq!(exit(&["frobnicate"]), ExitCode::from(2));
    // A spec with errors: `generate` exits 1 like `check`, and writes nothing.
    let dir = std::env::temp_dir().join(format!("hookgen-cli-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.yaml");
    std::fs::write(
        &broken,
        "openapi: 3.1.0\ninfo: {title: Broken, version: '1'}\nx-webhook-signature: {scheme: no-such-scheme}\nwebhooks: {}\n",
    )
    .unwrap();
    let broken = broken.display().to_string();
    assert_eq!(exit(&["check", &broken]), ExitCode::from(1));
    let out = dir.join("out").display().to_string();
    assert_eq!(
        exit(&["generate", &broken, "--out", &out]),
        ExitCode::from(1)
    );
    assert!(!dir.join("out").exists(), "nothing generated");
    assert_eq!(exit(&["--help"]), ExitCode::SUCCESS);
}

#[test]
fn diff_exits_1_when_something_breaks_0_when_nothing_does_2_on_usage() {
    let roomz = "../shared/vendor-specs/roomz";
    if Path::new(&repo(roomz)).exists() {
        let old = repo(&format!("{roomz}/spec3.ec24617.yml"));
        let new = repo(&format!("{roomz}/spec3.yml"));
        assert_eq!(exit(&["diff", &old, &new]), ExitCode::from(1));
        assert_eq!(
            exit(&["diff", &old, &new, "--format", "json"]),
            ExitCode::from(1)
        );
    }
    let same = repo("specs/roomz");
    assert_eq!(exit(&["diff", &same, &same]), ExitCode::SUCCESS);
    assert_eq!(
        exit(&["diff", &same, "/nonexistent/spec.yaml"]),
        ExitCode::from(2)
    );
}

#[test]
fn generate_check_detects_stale_output() {
    let out = std::env::temp_dir().join(format!("hookgen-cli-{}", std::process::id()));
    let spec = repo("specs/roostsync");
    let out_s = out.display().to_string();
    assert_eq!(
        exit(&["generate", &spec, "--out", &out_s, "--check"]),
        ExitCode::from(1),
        "nothing generated yet"
    );
    assert_eq!(
        exit(&["generate", &spec, "--out", &out_s]),
        ExitCode::SUCCESS
    );
    assert_eq!(
        exit(&["generate", &spec, "--out", &out_s, "--check"]),
        ExitCode::SUCCESS
    );
    std::fs::write(out.join("src/events.rs"), "// edited by hand\n").unwrap();
    assert_eq!(
        exit(&["generate", &spec, "--out", &out_s, "--check"]),
        ExitCode::from(1)
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn check_json_names_each_roomz_defect_with_a_line() {
    let analysis = hookgen::analyze(Path::new(&repo("specs/roomz"))).unwrap();
    let find = |code: &str, needle: &str| {
        analysis
            .diagnostics
            .iter()
            .find(|d| d.code == code && d.message.contains(needle))
            .unwrap_or_else(|| panic!("no {code} mentioning {needle}"))
            .clone()
    };
    for (code, needle, line) in [
        ("undeclared-required", "`presences`", 71),
        ("ref-sibling-conflict", "`format: object`", 76),
        ("keyword-conflict", "`format: object`", 78),
        ("missing-type", "`format: string`", 54),
        ("example-mismatch", "`busy` is not one of Free, Busy", 66),
        ("example-mismatch", "`presences` is missing", 64),
    ] {
        let d = find(code, needle);
        assert_eq!(d.file.as_deref(), Some("spec3.yml"), "{d}");
        assert_eq!(d.line, Some(line), "{d}");
        assert!(!d.pointer.is_empty());
    }
    let events: Vec<&str> = analysis
        .api
        .events
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    for e in [
        "workspace.presence.changed",
        "workspace.status.updated",
        "building.created",
        "floor.deleted",
    ] {
        assert!(events.contains(&e), "{e}");
    }
    assert_eq!(analysis.api.operations.len(), 7);
    assert!(!analysis.diagnostics.has_errors());
}

#[test]
fn verify_exits_0_when_a_delivery_verifies_1_with_the_reason_when_not_2_on_usage() {
    use hookgen_runtime::verify::presets::preset;
    let dir = std::env::temp_dir().join(format!("hookgen-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A spec that names a preset instead of spelling the scheme out.
    let spec = dir.join("spec.yaml");
    std::fs::write(
        &spec,
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nx-webhook-signature: {preset: stripe}\n\
         webhooks:\n  a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object}\n",
    )
    .unwrap();
    let secret = "whsec_cli_test";
    let body = br#"{"id":"evt_1","type":"a"}"#;
    let signer =
        hookgen_runtime::Verifier::new(preset("stripe").unwrap().scheme(), [secret]).unwrap();
    let headers = signer.sign(body, None, Some(1_700_000_000)).unwrap();
    let signature = format!(
        "Stripe-Signature: {}",
        headers["stripe-signature"].to_str().unwrap()
    );
    let good = dir.join("good.json");
    std::fs::write(&good, body).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, br#"{"id":"evt_2","type":"a"}"#).unwrap();
    let spec = spec.display().to_string();
    let run = |secret: &str, body: &Path, at: &str| {
        exit(&[
            "verify",
            &spec,
            "--secret",
            secret,
            "-H",
            &signature,
            "--body",
            &body.display().to_string(),
            "--at",
            at,
        ])
    };
    assert_eq!(run(secret, &good, "1700000010"), ExitCode::SUCCESS);
    assert_eq!(run(secret, &bad, "1700000010"), ExitCode::from(1));
    assert_eq!(run("whsec_other", &good, "1700000010"), ExitCode::from(1));
    assert_eq!(run(secret, &good, "1800000000"), ExitCode::from(1));
    assert_eq!(
        run(secret, &dir.join("missing.json"), "1700000010"),
        ExitCode::from(2)
    );
    // No scheme declared: a usage error, not a failed verification.
    assert_eq!(
        exit(&[
            "verify",
            &repo("generator/tests/fixtures/x_webhooks.yaml"),
            "--secret",
            "s",
            "--body",
            &good.display().to_string()
        ]),
        ExitCode::from(2)
    );
    assert_eq!(exit(&["schemes"]), ExitCode::SUCCESS);
    let _ = std::fs::remove_dir_all(dir);
}

/// The vendor-library vectors through `cargo hookgen verify`, with a spec naming the preset.
#[test]
fn verify_accepts_vendor_library_deliveries_and_rejects_tampered_ones() {
    let file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("runtime/tests/vendor-vectors.json")).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("hookgen-vendor-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, v) in file["vectors"].as_array().unwrap().iter().enumerate() {
        let spec = dir.join(format!("spec{i}.yaml"));
        std::fs::write(
            &spec,
            format!(
                "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\nx-webhook-signature: {{preset: {}}}\nwebhooks: {{}}\n",
                v["preset"].as_str().unwrap()
            ),
        )
        .unwrap();
        let body = v["body"].as_str().unwrap().as_bytes().to_vec();
        let good = dir.join(format!("good{i}"));
        std::fs::write(&good, &body).unwrap();
        let tampered = match v["tamper"].as_array() {
            Some(pair) => v["body"]
                .as_str()
                .unwrap()
                .replacen(pair[0].as_str().unwrap(), pair[1].as_str().unwrap(), 1)
                .into_bytes(),
            None => {
                let mut b = body.clone();
                b[10] ^= 1;
                b
            }
        };
        let bad = dir.join(format!("bad{i}"));
        std::fs::write(&bad, &tampered).unwrap();
        let headers = dir.join(format!("headers{i}.json"));
        std::fs::write(&headers, v["headers"].to_string()).unwrap();
        let now = v["now"].to_string();
        let run = |body: &Path| {
            let spec = spec.display().to_string();
            let headers = headers.display().to_string();
            let body = body.display().to_string();
            let mut args = vec![
                "verify",
                &spec,
                "--secret",
                v["secret"].as_str().unwrap(),
                "--headers",
                &headers,
                "--body",
                &body,
                "--at",
                &now,
            ];
            if let Some(url) = v["url"].as_str() {
                args.extend(["--url", url]);
            }
            exit(&args)
        };
        assert_eq!(run(&good), ExitCode::SUCCESS, "{}", v["library"]);
        assert_eq!(run(&bad), ExitCode::from(1), "{}", v["library"]);
    }
    let _ = std::fs::remove_dir_all(dir);
}
