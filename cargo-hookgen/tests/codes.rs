//! Every diagnostic code is documented: `cargo hookgen explain CODE` prints it, and
//! `docs/diagnostics.md` (generated from `generator/src/codes.rs`) is current.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use hookgen::codes::Code;

#[test]
fn docs_page_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md");
    let page = hookgen::codes::docs_page();
    if std::env::var_os("HOOKGEN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &page).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == page,
        "docs/diagnostics.md is out of date: run HOOKGEN_UPDATE_DOCS=1 cargo test -p hookgen --test codes"
    );
}

#[test]
fn codes_are_distinct_kebab_case_and_explained() {
    let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names.len(), Code::ALL.len());
    for code in Code::ALL {
        let name = code.as_str();
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{name}"
        );
        assert!(code.explanation().len() > 40, "{name} needs an explanation");
        assert_eq!(Code::parse(name), Some(*code));
    }
}

#[test]
fn explain_prints_a_code_and_refuses_an_unknown_one() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["hookgen", "explain", "multi-type"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("multi-type: "), "{text}");
    assert!(text.contains("oneOf"), "{text}");
    let all = run(&["hookgen", "explain"]);
    let listed = String::from_utf8_lossy(&all.stdout);
    assert_eq!(listed.lines().count(), Code::ALL.len());
    let unknown = run(&["hookgen", "explain", "no-such-code"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not a diagnostic code"));
}
