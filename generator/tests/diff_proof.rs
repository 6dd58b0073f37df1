//! Every verdict of `cargo hookgen diff` confirmed by compiling and decoding, on real version
//! pairs (ROOMZ's two published specs, Adyen's `BalancePlatformTransferNotification` v3 → v4)
//! and on a pair with one change per rule.
//!
//! For each pair the SDK crates of OLD and NEW are generated, and beside each a consumer crate:
//! - **compile**: one probe per change, written against OLD's SDK (a function that names the
//!   event, field, variant or type the change is about, with OLD's type for a field). Every
//!   probe compiles against OLD's crate; against NEW's, exactly the probes of the changes judged
//!   `compile` fail.
//! - **decode**: for each change inside an event NEW still has, a payload built from OLD's
//!   model (every field present) with only the change's place as NEW has it (`null` where a
//!   field became optional, NEW's value where a type changed, the new field, enum value or
//!   variant), valid under NEW there; where nothing else differs NEW's own crate decodes it
//!   into its event. OLD's crate fails on exactly the payloads of the changes judged `decode`,
//!   and decodes the rest (a new event as `Event::Unknown`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use hookgen::diff::{Change, Subject};
use hookgen::emit::{crate_files_with, write_files, CrateOptions, RuntimeSource};
use hookgen::ir::{Api, IdentityPart, TypeKind, TypeRef};
use serde_json::{json, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .canonicalize()
        .unwrap()
}

fn analyze(spec: &Path) -> Api {
    let analysis = hookgen::analyze(spec).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
    analysis.api
}

/// Where the proofs are built: outside the repository, as a user's project would be.
fn work(pair: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("hookgen-diff-proof-{}/{pair}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A shared target directory for every pair (the runtime compiles once).
fn target() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    base.join("hookgen-diff-proof")
}

/// Write the SDK crate of `api` to `dir`; its package name.
fn sdk(api: &Api, dir: &Path) -> String {
    let runtime = RuntimeSource::Path(repo().join("runtime"));
    let files = crate_files_with(api, &CrateOptions::for_output(dir, &runtime)).unwrap();
    write_files(dir, &files).unwrap();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let name = manifest
        .lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    name
}

/// The probe that names a change's subject as code written against OLD's SDK would.
fn probe(change: &Change, old: &Api) -> String {
    match &change.subject {
        Subject::Event { variant } if old.events.iter().any(|e| &e.variant == variant) => {
            format!(
                "pub fn probe(e: &sdk::Event) -> bool {{ matches!(e, sdk::Event::{variant} {{ .. }}) }}"
            )
        }
        // An event OLD does not have: OLD's code can only read what every event has.
        Subject::Event { .. } => {
            "pub fn probe(e: &sdk::Event) -> &str { e.event_type() }".to_string()
        }
        Subject::Field {
            owner,
            field,
            old_type: Some(ty),
        } => format!("pub fn probe(x: &sdk::{owner}) -> &{ty} {{ &x.{field} }}"),
        // A field OLD does not have: OLD's code can name only its struct.
        Subject::Field { owner, .. } => format!("pub fn probe(_: &sdk::{owner}) {{}}"),
        Subject::Variant { owner, variant, .. } if has_variant(old, owner, variant) => format!(
            "pub fn probe(x: &sdk::{owner}) -> bool {{ matches!(x, sdk::{owner}::{variant} {{ .. }}) }}"
        ),
        Subject::Variant { owner, .. } => format!("pub fn probe(_: &sdk::{owner}) {{}}"),
        Subject::Type { name } => match first_field(old, name) {
            Some(field) => format!("pub fn probe(x: &sdk::{name}) {{ let _ = &x.{field}; }}"),
            None => format!("pub fn probe(_: &sdk::{name}) {{}}"),
        },
    }
}

fn has_variant(api: &Api, owner: &str, variant: &str) -> bool {
    api.types.types.iter().any(|t| {
        t.name == owner
            && match &t.kind {
                TypeKind::StringEnum { values } => values.iter().any(|v| v.variant == variant),
                TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => {
                    variants.iter().any(|v| v.name == variant)
                }
                _ => false,
            }
    })
}

fn first_field(api: &Api, name: &str) -> Option<String> {
    api.types.types.iter().find_map(|t| match &t.kind {
        TypeKind::Struct { fields, .. } if t.name == name => {
            fields.iter().find(|f| !f.flatten).map(|f| f.name.clone())
        }
        _ => None,
    })
}

/// A consumer crate of the SDK at `sdk_dir` with one module per probe and a `decode` binary.
fn consumer(dir: &Path, sdk_name: &str, sdk_dir: &Path, probes: &[String]) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"consumer\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [workspace]\n\n[dependencies]\nsdk = {{ package = {sdk_name:?}, path = {:?}, default-features = false }}\n\
             hookgen-runtime = {{ path = {:?}, default-features = false }}\nserde_json = \"1\"\n\n[features]\nprobes = []\n",
            sdk_dir.display(),
            repo().join("runtime").display()
        ),
    )
    .unwrap();
    let mut lib = String::from("#![allow(dead_code, unused_imports, clippy::all)]\n");
    for (i, p) in probes.iter().enumerate() {
        // Behind a feature: the decoder is built from this crate too, and must build against NEW.
        lib.push_str(&format!("#[cfg(feature = \"probes\")]\npub mod p{i};\n"));
        std::fs::write(
            dir.join(format!("src/p{i}.rs")),
            format!(
                "use sdk::*;\nuse std::collections::BTreeMap;\n\
                 use hookgen_runtime::reexports::uuid::Uuid;\n{p}\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(
        dir.join("src/bin/decode.rs"),
        r#"//! Decode each payload file of the folder given; one line per file: name, then `ok`
//! and the event's variant, or `err` and why.
fn main() {
    let dir = std::env::args().nth(1).expect("a folder of payloads");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|f| f.unwrap().path()).collect();
    files.sort();
    for file in files {
        let body = std::fs::read(&file).unwrap();
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        match sdk::Event::from_slice(&body) {
            Ok(event) => {
                let debug = format!("{event:?}");
                let variant = debug.split(['(', ' ', '{']).next().unwrap_or_default().to_string();
                println!("{name}\tok\t{variant}");
            }
            Err(e) => println!("{name}\terr\t{}", e.to_string().replace('\n', " ")),
        }
    }
}
"#,
    )
    .unwrap();
}

/// `cargo check` of a consumer: the probe modules with errors.
fn failing_probes(dir: &Path) -> BTreeSet<usize> {
    let out = Command::new(env!("CARGO"))
        .args([
            "check",
            "--lib",
            "--features",
            "probes",
            "--message-format",
            "short",
            "--quiet",
        ])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target())
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failing: BTreeSet<usize> = stderr
        .lines()
        .filter(|l| l.contains(": error"))
        .filter_map(|l| {
            let file = l.split(':').next()?;
            let n = file.strip_prefix("src/p")?.strip_suffix(".rs")?;
            n.parse().ok()
        })
        .collect();
    let stray: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(": error") && !l.starts_with("src/p"))
        .collect();
    assert!(stray.is_empty(), "errors outside the probes:\n{stderr}");
    if !out.status.success() {
        assert!(
            !failing.is_empty(),
            "cargo check failed without a probe error:\n{stderr}"
        );
    }
    failing
}

/// Decode every payload in `payloads` with the consumer's SDK: name → `Ok(variant)` or
/// `Err(why)`.
fn decode_all(dir: &Path, payloads: &Path) -> BTreeMap<String, Result<String, String>> {
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--bin", "decode", "--"])
        .arg(payloads)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target())
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the decoder runs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let (name, verdict, rest) = (parts.next()?, parts.next()?, parts.next()?);
            let result = match verdict {
                "ok" => Ok(rest.to_string()),
                _ => Err(rest.to_string()),
            };
            Some((name.to_string(), result))
        })
        .collect()
}

/// A value valid under `api` for `ty`: every field present, the first enum value, the first
/// union variant (`depth` bounds recursive types).
fn synth(api: &Api, ty: &TypeRef, depth: usize) -> Value {
    match ty {
        TypeRef::String => json!("text"),
        TypeRef::Integer | TypeRef::Integer32 => json!(7),
        TypeRef::Number => json!(7.5),
        TypeRef::Boolean => json!(true),
        TypeRef::Uuid => json!("6f1c2a9e-3b6d-4c55-9f43-1d2e3f4a5b6c"),
        TypeRef::DateTime => json!("2024-02-02T09:13:44Z"),
        TypeRef::Json => json!({"any": "json"}),
        TypeRef::Vec(item) if depth < 8 => json!([synth(api, item, depth + 1)]),
        TypeRef::Vec(_) => json!([]),
        TypeRef::Map(value) if depth < 8 => json!({"key": synth(api, value, depth + 1)}),
        TypeRef::Map(_) => json!({}),
        TypeRef::Named(id) => synth_named(api, *id, depth),
    }
}

fn synth_named(api: &Api, id: usize, depth: usize) -> Value {
    let def = api.types.get(id);
    match &def.kind {
        TypeKind::Alias(inner) => synth(api, inner, depth),
        TypeKind::StringEnum { values } => json!(values.first().map(|v| v.wire.clone())),
        TypeKind::Struct { fields, .. } => {
            let mut object = serde_json::Map::new();
            for f in fields {
                if f.flatten {
                    if let Value::Object(inner) = synth(api, &f.ty, depth + 1) {
                        object.extend(inner);
                    }
                } else if f.required || depth < 8 {
                    object.insert(f.wire.clone(), synth(api, &f.ty, depth + 1));
                }
            }
            Value::Object(object)
        }
        TypeKind::Tagged { property, variants } => {
            let v = &variants[0];
            let mut value = synth(api, &v.ty, depth + 1);
            if let (Some(tag), Value::Object(m)) = (&v.tag, &mut value) {
                m.insert(property.clone(), json!(tag));
            }
            value
        }
        TypeKind::Untagged { variants } => synth(api, &variants[0].ty, depth + 1),
    }
}

/// The event's payload as NEW would send it, with its identity set.
fn event_payload(api: &Api, variant: &str) -> Option<Value> {
    let event = api.events.iter().find(|e| e.variant == variant)?;
    let mut value = synth(api, &event.payload, 0);
    for (part, want) in api.identity.parts.iter().zip(&event.identity) {
        if let (IdentityPart::Body(pointer), Some(want)) = (part, want) {
            set(&mut value, pointer, json!(want));
        }
    }
    Some(value)
}

/// Set the value at a JSON pointer, creating objects on the way.
fn set(root: &mut Value, pointer: &str, value: Value) {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut node = root;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        node = match node {
            Value::Array(items) => {
                match segment.parse::<usize>().ok().and_then(|n| items.get_mut(n)) {
                    Some(item) if !last => item,
                    Some(item) => {
                        *item = value;
                        return;
                    }
                    None => return,
                }
            }
            Value::Object(m) if last => {
                m.insert(segment.clone(), value);
                return;
            }
            Value::Object(m) => m.entry(segment.clone()).or_insert_with(|| json!({})),
            _ => return,
        };
    }
    *node = value;
}

/// The payload that proves a change: OLD's payload for the event with only the change's
/// place as NEW has it (a field gone, `null` where it became optional, NEW's value where its
/// type changed or a field, enum value or variant was added), so that what OLD's SDK says
/// about it is about this change alone. A new event's payload is NEW's. `None` for an event
/// NEW no longer has.
fn proving_payload(old: &Api, new: &Api, change: &Change) -> Option<Value> {
    let new_payload = event_payload(new, &change.event)?;
    let Some(mut payload) = event_payload(old, &change.event) else {
        return Some(new_payload);
    };
    let what = change.what.as_str();
    let at = change.at.as_str();
    let new_value = || new_payload.pointer(at).cloned();
    match &change.subject {
        Subject::Field { old_type: None, .. } => set(&mut payload, at, new_value()?),
        Subject::Field { .. } if what.contains("removed") => remove(&mut payload, at),
        Subject::Field { .. }
            if what.contains("is now optional") || what.contains("is now nullable") =>
        {
            set(&mut payload, at, Value::Null)
        }
        // A type or kind changed (a field now required is OLD's payload as it is).
        Subject::Field { .. } | Subject::Type { .. }
            if (what.starts_with("type ") || what.contains("is now "))
                && !what.contains("required") =>
        {
            set(&mut payload, at, new_value()?)
        }
        Subject::Variant {
            owner,
            variant,
            wire,
        } if what.contains("added") => {
            let value = new
                .types
                .types
                .iter()
                .find(|t| &t.name == owner)
                .and_then(|t| match &t.kind {
                    TypeKind::StringEnum { .. } => wire.clone().map(Value::String),
                    TypeKind::Untagged { variants } | TypeKind::Tagged { variants, .. } => variants
                        .iter()
                        .find(|v| &v.name == variant)
                        .map(|v| synth(new, &v.ty, 1)),
                    _ => None,
                })?;
            set(&mut payload, at, value);
        }
        _ => {}
    }
    Some(payload)
}

fn remove(root: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(m)) = root.pointer_mut(parent) {
        m.shift_remove(&key);
    }
}

/// Where NEW's model refuses the payload (the typed decoder's rules), by JSON pointer.
fn refused_by(api: &Api, event: &str, payload: &Value) -> Vec<String> {
    let Some(event) = api.events.iter().find(|e| e.variant == event) else {
        return vec!["no such event".into()];
    };
    let mut found = Vec::new();
    hookgen::lint::validate(&api.types, &event.payload, payload, "", &mut found);
    found
        .into_iter()
        .filter(|m| !m.decodes_anyway)
        .map(|m| format!("{}: {}", m.at, m.message))
        .collect()
}

/// Generate, compile and decode one pair; every verdict must be confirmed.
fn prove(pair: &str, old_spec: &Path, new_spec: &Path) -> usize {
    let (old, new) = (analyze(old_spec), analyze(new_spec));
    let report = hookgen::diff::diff(&old, &new);
    assert!(!report.changes.is_empty(), "{pair}: the pair has changes");
    let dir = work(pair);
    let (old_sdk, new_sdk) = (dir.join("old-sdk"), dir.join("new-sdk"));
    let (old_name, new_name) = (sdk(&old, &old_sdk), sdk(&new, &new_sdk));
    let probes: Vec<String> = report.changes.iter().map(|c| probe(c, &old)).collect();
    consumer(&dir.join("old"), &old_name, &old_sdk, &probes);
    consumer(&dir.join("new"), &new_name, &new_sdk, &probes);

    // Compile: OLD's code compiles against OLD; against NEW it breaks exactly where judged.
    let against_old = failing_probes(&dir.join("old"));
    assert!(
        against_old.is_empty(),
        "{pair}: probes {against_old:?} must compile against OLD"
    );
    let against_new = failing_probes(&dir.join("new"));
    let mut wrong = Vec::new();
    for (i, change) in report.changes.iter().enumerate() {
        if against_new.contains(&i) != change.compile {
            wrong.push(format!(
                "{} {}: judged compile={}, the probe `{}` {} against NEW",
                change.path,
                change.what,
                change.compile,
                probes[i],
                if against_new.contains(&i) {
                    "fails"
                } else {
                    "compiles"
                }
            ));
        }
    }

    // Decode: NEW's payloads through both SDKs.
    let payloads = dir.join("payloads");
    std::fs::create_dir_all(&payloads).unwrap();
    let mut proved = BTreeMap::new();
    for (i, change) in report.changes.iter().enumerate() {
        if let Some(payload) = proving_payload(&old, &new, change) {
            std::fs::write(payloads.join(format!("{i:04}.json")), payload.to_string()).unwrap();
            proved.insert(format!("{i:04}"), i);
        }
    }
    let by_new = decode_all(&dir.join("new"), &payloads);
    let by_old = decode_all(&dir.join("old"), &payloads);
    for (name, &i) in &proved {
        let change = &report.changes[i];
        let payload: Value =
            serde_json::from_slice(&std::fs::read(payloads.join(format!("{name}.json"))).unwrap())
                .unwrap();
        // Valid under NEW where the change is; where nothing else in it differs, NEW's own
        // SDK decodes it into the event.
        let refused = refused_by(&new, &change.event, &payload);
        let here: Vec<&String> = refused
            .iter()
            .filter(|r| {
                r.starts_with(&format!("{}:", change.at))
                    || r.starts_with(&format!("{}/", change.at))
            })
            .collect();
        if !here.is_empty() {
            wrong.push(format!(
                "{}: the payload {name} is not valid under NEW there: {here:?}",
                change.path
            ));
        }
        if refused.is_empty() && by_new[name] != Ok(change.event.clone()) {
            wrong.push(format!(
                "{}: NEW's own SDK must decode the proving payload {name} as {}: {:?}",
                change.path, change.event, by_new[name]
            ));
        }
        let old_fails = by_old[name].is_err();
        if old_fails != change.decode {
            wrong.push(format!(
                "{} {}: judged decode={}, OLD's SDK on payload {name}: {:?}",
                change.path, change.what, change.decode, by_old[name]
            ));
        }
        let new_event = !old.events.iter().any(|e| e.variant == change.event);
        if new_event && by_old[name] != Ok("Unknown".to_string()) {
            wrong.push(format!(
                "{}: OLD's SDK keeps a new event as Unknown: {:?}",
                change.path, by_old[name]
            ));
        }
    }
    // Every decode verdict is backed by a payload.
    for change in report.changes.iter().filter(|c| c.decode) {
        let i = report.changes.iter().position(|c| c == change).unwrap();
        if !proved.values().any(|&p| p == i) {
            wrong.push(format!(
                "{}: a decode verdict without a payload",
                change.path
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{pair}: verdicts not confirmed:\n{}",
        wrong.join("\n")
    );
    report.changes.len()
}

#[test]
fn each_rule_is_confirmed_by_compiling_and_decoding() {
    let pairs = repo().join("generator/tests/diff-pairs/rules");
    let n = prove("rules", &pairs.join("old.yaml"), &pairs.join("new.yaml"));
    assert!(n >= 8);
}

#[test]
fn adyen_transfer_notifications_v3_to_v4_are_confirmed() {
    let pairs = repo().join("generator/tests/diff-pairs/adyen");
    let n = prove(
        "adyen",
        &pairs.join("BalancePlatformTransferNotification-v3.json"),
        &pairs.join("BalancePlatformTransferNotification-v4.json"),
    );
    assert!(n >= 20);
}

#[test]
fn roomz_published_versions_are_confirmed() {
    let specs = repo().join("../shared/vendor-specs/roomz");
    if !specs.exists() {
        assert!(
            std::env::var_os("HOOKGEN_REQUIRE_CORPUS").is_none(),
            "../shared/vendor-specs/roomz is missing and HOOKGEN_REQUIRE_CORPUS is set"
        );
        eprintln!("skipped: ../shared/vendor-specs/roomz is not beside the clone");
        return;
    }
    let n = prove(
        "roomz",
        &specs.join("spec3.ec24617.yml"),
        &specs.join("spec3.yml"),
    );
    assert!(n >= 11);
}
