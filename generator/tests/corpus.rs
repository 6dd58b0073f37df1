//! Opt-in: every spec of a corpus of real webhook specs loads with no errors, generates every
//! operation it declares, and becomes a crate that builds and passes its own tests **outside
//! this repository**, as a user would have it (`--runtime-path` to this checkout's runtime).
//! Where `<corpus>/../payloads/<vendor>/` holds real payloads, each decodes into its typed
//! variant. Run with `HOOKGEN_CORPUS=../shared/corpus cargo test -p hookgen --test corpus`.
//! Without the variable the test says it was skipped and passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use hookgen::emit::{crate_files_with, write_files, CrateOptions, RuntimeSource};
use hookgen::ir::{Coverage, IdentityPart, Outcome};
use hookgen::Api;

fn files_in(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_in(&p, extensions));
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A test file decoding each real payload of `dir` through the crate's `Webhook::verify`, signed
/// as the vendor signs and with the headers the vendor sends, on a thread with tokio's default
/// worker stack (2 MiB): events the spec declares must decode into their own variant, others
/// into `Event::Unknown`. An unreadable or invalid payload file fails the test.
///
/// Two layouts (the README of `../shared/payloads` says how each suite names its events):
/// - `<dir>/data-only/<event type>.json`: only the `data` object (Paddle); it is put into the
///   envelope of the event's first spec example (or `{type field: name, data}` without one);
/// - `<dir>/<host>/<header value>/<name>.payload.json` (GitHub): the folder is the event
///   header's value, the body's `action` the sub-event; the event is the one whose webhook key
///   is `<header>-<action>` (or `<header>`), compared without case or separators.
fn payload_test(api: &Api, crate_ident: &str, dir: &Path) -> Option<(String, usize)> {
    let mut tests = String::new();
    let mut count = 0;
    let header = api.identity.parts.iter().find_map(|p| match p {
        IdentityPart::Header(h) => Some(h.clone()),
        IdentityPart::Body(_) => None,
    });
    for file in files_in(dir, &["json"]) {
        let text = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let raw: serde_json::Value = serde_json::from_slice(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
        let parent = file.parent().unwrap();
        let (name, body, headers) = if parent.ends_with("data-only") {
            let name = file.file_stem().unwrap().to_string_lossy().into_owned();
            let event = api.events.iter().find(|e| e.name == name);
            let mut envelope = event
                .and_then(|e| e.examples.first())
                .map(|ex| ex.value.clone())
                .filter(serde_json::Value::is_object)
                .unwrap_or_else(|| serde_json::json!({}));
            let field = api
                .identity
                .top_level_field()
                .unwrap_or_else(|| "type".into());
            envelope[field] = serde_json::Value::String(name.clone());
            envelope["data"] = raw;
            (name, envelope.to_string(), vec![])
        } else {
            let folder = parent.file_name().unwrap().to_string_lossy().into_owned();
            let action = raw.get("action").and_then(|a| a.as_str());
            let key = match action {
                Some(a) => format!("{folder}-{a}"),
                None => folder.clone(),
            };
            let header = header
                .clone()
                .unwrap_or_else(|| panic!("{}: the identity has no header", file.display()));
            // Bytes as published: the signature covers exactly these.
            (
                key,
                String::from_utf8(text).unwrap(),
                vec![(header, folder)],
            )
        };
        let loose = hookgen_runtime::identity::loose;
        let event = api
            .events
            .iter()
            .find(|e| e.name == name || loose(&e.webhook_key) == loose(&name))
            .or_else(|| header_event_with_any_action(api, headers.first()));
        // The right event, typed: a payload that breaks its vendor's schema is a failure here
        // (the overlay in `corpus-overlays/` records what the vendor's own payloads show).
        let expectation = match event {
            Some(e) => format!(
                "let event = webhook.verify(&headers, body.as_bytes()).unwrap_or_else(|e| panic!(\"{name}: {{e}}\"));\n        \
                 assert!(matches!(event, Event::{}(_)), \"{name} decoded as {{}}\", event.event_type());",
                e.variant
            ),
            None => format!(
                "let event = webhook.verify(&headers, body.as_bytes()).expect(\"a real payload verifies and decodes\");\n        \
                 assert!(matches!(event, Event::Unknown(ref u) if u.event_type.as_deref() == Some({name:?})), \"{{event:?}}\");"
            ),
        };
        let headers: String = headers
            .iter()
            .map(|(h, v)| {
                format!(
                    "        headers.insert({:?}, {v:?}.parse().unwrap());\n",
                    h.to_ascii_lowercase()
                )
            })
            .collect();
        let verifier = if api.signature.is_some() {
            "Webhook::new(\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\").unwrap()"
        } else {
            "Webhook::insecure_without_verification()"
        };
        let sign = if api.signature.is_some() {
            "webhook.verifier().sign(body.as_bytes(), Some(\"msg_corpus\"), Some(now())).expect(\"signed as the vendor signs\")"
        } else {
            "Default::default()"
        };
        count += 1;
        tests.push_str(&format!(
            "\n/// {}\n#[test]\nfn payload_{count}() {{\n    on_a_small_stack(|| {{\n        let body = {body:?};\n        let webhook = {verifier};\n        #[allow(unused_mut)]\n        let mut headers: HeaderMap = {sign};\n{headers}        {expectation}\n    }});\n}}\n",
            file.display(),
        ));
    }
    (count > 0).then(|| {
        (
            format!(
                "//! Real payloads, each verified and decoded into its typed variant on a 2 MiB stack.\n\
                 use hookgen_runtime::reexports::http::HeaderMap;\n#[allow(unused_imports)]\nuse {crate_ident}::{{Event, Webhook, WebhookError}};\n\n\
                 #[allow(dead_code)]\nfn now() -> i64 {{\n    \
                 std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64\n}}\n\n\
                 fn on_a_small_stack(test: impl FnOnce() + Send + 'static) {{\n    \
                 let thread = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(test).unwrap();\n    \
                 if let Err(panic) = thread.join() {{\n        std::panic::resume_unwind(panic);\n    }}\n}}\n{tests}"
            ),
            count,
        )
    })
}

/// The one event a header value names whose other parts the spec leaves open: GitHub's
/// `repository_dispatch` carries the sender's own `event_type` as its `action`, and its schema
/// accepts any string, so a delivery with any action is that event.
fn header_event_with_any_action<'a>(
    api: &'a Api,
    header: Option<&(String, String)>,
) -> Option<&'a hookgen::ir::Event> {
    let (_, value) = header?;
    let loose = hookgen_runtime::identity::loose;
    let position = api
        .identity
        .parts
        .iter()
        .position(|p| matches!(p, IdentityPart::Header(_)))?;
    let mut open = api.events.iter().filter(|e| {
        e.identity
            .get(position)
            .and_then(|v| v.as_deref())
            .map(loose)
            == Some(loose(value))
            && e.identity
                .iter()
                .enumerate()
                .all(|(i, v)| i == position || v.is_none())
    });
    match (open.next(), open.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Load a corpus spec as the vendor published it, with `corpus-overlays/<vendor>.yaml` applied
/// when there is one: what the vendor's own payloads show where they contradict the spec
/// (written by `cargo hookgen drift` from an inbox holding those payloads, and checked to be
/// what it writes by `cargo-hookgen/tests/drift.rs`), as a user's `specs/<vendor>/` would hold
/// it.
fn load_with_vendor_overlay(
    spec: &Path,
    vendor: &str,
    repo: &Path,
) -> Result<hookgen::load::Document, hookgen::load::LoadError> {
    let overlay = repo
        .join("generator/tests/corpus-overlays")
        .join(format!("{vendor}.yaml"));
    // HOOKGEN_CORPUS_AS_PUBLISHED=1 measures the specs without them (CORPUS.md's "as published").
    if !overlay.is_file() || std::env::var_os("HOOKGEN_CORPUS_AS_PUBLISHED").is_some() {
        return hookgen::load::load(spec);
    }
    let file = spec.file_name().unwrap().to_string_lossy().into_owned();
    let config = hookgen::config::Config {
        spec: vec![file.clone()],
        overlays: vec![overlay.display().to_string()],
        ..hookgen::config::Config::default()
    };
    hookgen::load::load_with_config(spec.parent().unwrap(), config, file)
}

struct Row {
    name: String,
    crate_name: String,
    load: String,
    webhooks: (usize, usize),
    events: usize,
    operations: (usize, usize),
    codes: String,
    lines: usize,
    payloads: usize,
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) -> bool {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        // The crates are written afresh each run: incremental state would only pile up (tens
        // of GB for GitHub's crate) and never be reused.
        .env("CARGO_INCREMENTAL", "0")
        .status()
        .unwrap()
        .success()
}

#[test]
fn corpus_loads_generates_everything_and_crates_pass_their_tests_outside_the_repo() {
    let Some(corpus) = std::env::var_os("HOOKGEN_CORPUS").map(PathBuf::from) else {
        assert!(
            std::env::var_os("HOOKGEN_REQUIRE_CORPUS").is_none(),
            "HOOKGEN_REQUIRE_CORPUS is set but HOOKGEN_CORPUS is not"
        );
        eprintln!("corpus test skipped: set HOOKGEN_CORPUS to a folder of specs");
        return;
    };
    assert!(
        corpus.is_dir(),
        "HOOKGEN_CORPUS={} is not a folder",
        corpus.display()
    );
    // `corpus-next` beside the corpus: specs being brought in (GitHub's), read the same way.
    let next = corpus.join("../corpus-next");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .canonicalize()
        .unwrap();
    let runtime = RuntimeSource::Path(repo.join("runtime"));
    let payloads = corpus.join("../payloads");
    // Outside the repository, as a user's project would be.
    let work = std::env::temp_dir().join("hookgen-corpus");
    assert!(!work.starts_with(&repo));
    let _ = std::fs::remove_dir_all(work.join("crates"));
    let signatures: BTreeMap<String, toml::Value> = toml::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-signatures.toml"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut rows = Vec::new();
    let specs = files_in(&corpus, &["json", "yml", "yaml"])
        .into_iter()
        .map(|s| (corpus.clone(), s))
        .chain(
            files_in(&next, &["json", "yml", "yaml"])
                .into_iter()
                .map(|s| (next.clone(), s)),
        );
    for (root, spec) in specs {
        let name = spec.strip_prefix(&root).unwrap().display().to_string();
        let started = Instant::now();
        let vendor = name.split('/').next().unwrap().to_string();
        let mut document = load_with_vendor_overlay(&spec, &vendor, &repo)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(declaration) = signatures.get(&vendor) {
            document.config.signature = Some(serde_json::to_value(declaration).unwrap());
        }
        let analysis = hookgen::analyze_document(document);
        let load = format!("{:.0?}", started.elapsed());
        let errors: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let mut api = analysis.api;
        let cov = &api.coverage;
        for d in cov.webhooks.iter().chain(&cov.operations) {
            assert!(
                matches!(d.outcome, Outcome::Generated(_)),
                "{name}: {} {:?}",
                d.label,
                d.outcome
            );
        }
        let (hooks, hooks_ok, _) = Coverage::tally(&cov.webhooks);
        let (ops, ops_ok, _) = Coverage::tally(&cov.operations);
        let mut codes = BTreeMap::<&str, usize>::new();
        for d in analysis.diagnostics.iter() {
            *codes.entry(d.code).or_default() += 1;
        }
        if signatures.contains_key(&vendor) {
            assert!(
                api.signature.is_some(),
                "{name}: the declared scheme was not taken"
            );
        }
        let slug: String = name
            .trim_end_matches(|c| c != '.')
            .trim_end_matches('.')
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        api.crate_name = format!("corpus-{slug}");
        let dir = work.join("crates").join(&api.crate_name);
        let options = CrateOptions::for_output(&dir, &runtime);
        let mut files = crate_files_with(&api, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut payload_count = 0;
        if let Some((test, count)) = payload_test(
            &api,
            &api.crate_name.replace('-', "_"),
            &payloads.join(&vendor),
        ) {
            files.push((PathBuf::from("tests/real_payloads.rs"), test));
            payload_count = count;
        }
        let lines = files
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "rs"))
            .map(|(_, c)| c.lines().count())
            .sum();
        write_files(&dir, &files).unwrap();
        rows.push(Row {
            name,
            crate_name: api.crate_name.clone(),
            load,
            webhooks: (hooks, hooks_ok),
            events: api.events.len(),
            operations: (ops, ops_ok),
            codes: codes
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            lines,
            payloads: payload_count,
        });
    }
    assert!(!rows.is_empty(), "no specs in {}", corpus.display());
    let members: Vec<String> = rows
        .iter()
        .map(|r| format!("\"crates/{}\"", r.crate_name))
        .collect();
    std::fs::write(
        work.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n\n# Generated crates are large; debug info only slows their builds.\n[profile.dev]\ndebug = 0\n",
            members.join(", ")
        ),
    )
    .unwrap();
    std::fs::copy(repo.join("Cargo.lock"), work.join("Cargo.lock")).unwrap();
    // Kept inside this repository's target dir, so that CI reuses it between runs.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-target");
    let mut report = vec![
        "| spec | load | webhook ops (generated/declared) | events | API ops (generated/declared) | diagnostics (by code) | generated lines | `cargo check` | real payloads |".to_string(),
        "|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    let mut failed = Vec::new();
    for row in &rows {
        let started = Instant::now();
        if !cargo(
            &work,
            &target,
            &["check", "--quiet", "--package", &row.crate_name],
        ) {
            failed.push(row.name.clone());
        }
        report.push(format!(
            "| {} | {} | {}/{} | {} | {}/{} | {} | {} | {:.1} s | {} |",
            row.name,
            row.load,
            row.webhooks.1,
            row.webhooks.0,
            row.events,
            row.operations.1,
            row.operations.0,
            row.codes,
            row.lines,
            started.elapsed().as_secs_f64(),
            if row.payloads == 0 {
                "-".to_string()
            } else {
                format!("{} decode", row.payloads)
            }
        ));
    }
    let report = report.join("\n");
    eprintln!("{report}");
    std::fs::write(target.join("corpus-report.md"), &report).unwrap();
    assert!(
        failed.is_empty(),
        "generated crates that do not compile: {failed:?}"
    );
    let started = Instant::now();
    let tested = cargo(&work, &target, &["test", "--workspace", "--quiet"]);
    eprintln!(
        "cargo test of {} crates: {:.0?}",
        rows.len(),
        started.elapsed()
    );
    assert!(
        tested,
        "a generated corpus crate fails its own tests (see above)"
    );
}
