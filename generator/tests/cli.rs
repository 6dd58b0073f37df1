//! The command line: `--help` of each subcommand is snapshotted, exit codes are as documented.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use hookgen::cli::{run, Cli};

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
    for sub in ["generate", "check", "events", "send"] {
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
    assert_eq!(exit(&["--help"]), ExitCode::SUCCESS);
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
