//! The build.rs way, exactly as README.md describes it, in a fresh project outside this
//! repository: the three files are taken from README.md (with `HOOKGEN` replaced by this
//! checkout's path), built and run. Then the same project without the runtime's `client`
//! feature must fail with the `compile_error!` that names the feature.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .canonicalize()
        .unwrap()
}

/// `<!-- file: NAME -->` followed by a fenced block, for each file README.md shows.
fn readme_files() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut files = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("<!-- file: ") {
        rest = &rest[start + "<!-- file: ".len()..];
        let name = rest[..rest.find(" -->").unwrap()].to_string();
        let fence = rest.find("```").unwrap();
        let body_start = fence + rest[fence..].find('\n').unwrap() + 1;
        let body_end = body_start + rest[body_start..].find("```").unwrap();
        files.push((name, rest[body_start..body_end].to_string()));
        rest = &rest[body_end..];
    }
    files
}

fn cargo(project: &Path, target: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

#[test]
fn readme_build_rs_project_outside_the_repository_builds_first_time() {
    let files = readme_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Cargo.toml", "build.rs", "src/main.rs"]);
    let project = std::env::temp_dir().join(format!("hookgen-build-rs-{}", std::process::id()));
    assert!(!project.starts_with(repo()));
    let _ = std::fs::remove_dir_all(&project);
    let checkout = repo().display().to_string();
    for (name, body) in &files {
        let path = project.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body.replace("HOOKGEN", &checkout)).unwrap();
    }
    // The same versions as this repository's lock file, so the build does not drift.
    std::fs::copy(repo().join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-rs-outside");

    let run = cargo(&project, &target, &["run", "--quiet"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "workspace.status.updated (id Some(\"4f6aa5b6-8d68-4b48-b779-861fba5c20ba\"))"
    );

    // Without the runtime's `client` feature: one clear message naming it.
    let manifest = project.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let without = text.replace(", features = [\"client\", \"native-tls\"]", "");
    assert_ne!(
        without, text,
        "the README's manifest names the client's features"
    );
    std::fs::write(&manifest, without).unwrap();
    let check = cargo(&project, &target, &["check", "--quiet"]);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(!check.status.success());
    assert!(
        stderr.contains("needs the `client` feature of hookgen-runtime"),
        "{stderr}"
    );
    assert!(!stderr.contains("unresolved import"), "{stderr}");
    let _ = std::fs::remove_dir_all(&project);
}
