//! `cargo hookgen drift`: deliveries stored in an inbox checked against the spec, and the
//! Overlay 1.0 document that makes the spec match them, through the real binary. Each rule on
//! a small spec; then the vendors' own published payloads (GitHub's, Paddle's) against their
//! real specs, where the overlay drift writes must make every one of them decode into its
//! event.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use hookgen::ir::Api;
use hookgen_runtime::inbox::{self, NewDelivery, State};
use hookgen_runtime::reexports::http::{HeaderMap, HeaderName, HeaderValue};

/// A delivery's headers and body.
type Delivery = (Vec<(String, String)>, Vec<u8>);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hookgen-drift-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn drift(spec: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
        .arg("drift")
        .arg(spec)
        .args(["--inbox", db])
        .args(args)
        .output()
        .unwrap()
}

/// An inbox at `db` holding each (headers, body) as a delivery, in order.
fn fill(db: &str, deliveries: &[Delivery]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let inbox = inbox::open(db).await.unwrap();
        let rows: Vec<NewDelivery> = deliveries
            .iter()
            .enumerate()
            .map(|(i, (headers, body))| NewDelivery {
                source: "vendor".into(),
                key: format!("delivery-{i}"),
                body: body.clone(),
                headers: headers.clone(),
                event_type: None,
                ordering_key: None,
                state: State::Done,
                error: None,
                received_at: SystemTime::now(),
            })
            .collect();
        for chunk in rows.chunks(64) {
            inbox.insert_batch(chunk).await.unwrap();
        }
    });
}

fn header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in headers {
        map.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

/// The spec with `overlay` applied after its own, analysed.
fn with_overlay(spec: &Path, overlay: &Path) -> Api {
    let text = std::fs::read(overlay).unwrap();
    let (value, _) = hookgen::source::parse(&text).unwrap();
    let document = hookgen::load::load_with_overlays(spec, &[value]).unwrap();
    let analysis = hookgen::analyze_document(document);
    let errors: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.file.as_deref() == Some("(overlay 1)"))
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "every overlay action applies: {errors:#?}"
    );
    analysis.api
}

/// The event each delivery decodes into under `api`, as the SDK decides (`Err`: why not).
fn decoded(api: &Api, deliveries: &[Delivery]) -> Vec<Result<String, String>> {
    deliveries
        .iter()
        .map(|(headers, body)| {
            let received = hookgen::received::read(api, &header_map(headers), body)?;
            let event = hookgen::received::identify(api, &received).map_err(|(_, why)| why)?;
            if hookgen::received::fits(api, event, &received.value) {
                Ok(event.name.clone())
            } else {
                Err(format!("does not fit `{}`", event.name))
            }
        })
        .collect()
}

fn body(v: serde_json::Value) -> Delivery {
    (vec![], v.to_string().into_bytes())
}

#[test]
fn each_rule_amends_the_schema_that_declares_it_and_the_deliveries_then_decode() {
    let dir = scratch("rules");
    let spec = repo().join("cargo-hookgen/tests/drift/spec.yaml");
    let order = |extra: serde_json::Value| {
        let mut o = serde_json::json!({"amount": 10, "status": "paid", "customer": {"name": "A"}, "note": "n"});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_string() && v == "<absent>" {
                o.as_object_mut().unwrap().remove(k);
            } else {
                o[k] = v.clone();
            }
        }
        o
    };
    let deliveries = vec![
        // Fits as it is.
        body(
            serde_json::json!({"type": "order.created", "id": "1", "organization_id": "o", "order": order(serde_json::json!({}))}),
        ),
        // Lago's drift: a required field of an `allOf` member that no delivery carries.
        body(
            serde_json::json!({"type": "order.created", "id": "2", "order": order(serde_json::json!({}))}),
        ),
        body(
            serde_json::json!({"type": "order.created", "id": "3", "order": order(serde_json::json!({"amount": 10.5}))}),
        ),
        // A `$ref` property that arrives as null; a string property that arrives as a number.
        body(
            serde_json::json!({"type": "order.refunded", "order": order(serde_json::json!({"customer": null, "note": 7}))}),
        ),
        // An enum value the spec does not list, and a required field missing in `Order`.
        body(
            serde_json::json!({"type": "order.refunded", "order": order(serde_json::json!({"status": "refunded", "note": "<absent>"}))}),
        ),
        // No event of this spec: kept as unknown, never amended towards.
        body(serde_json::json!({"type": "order.archived"})),
    ];
    let db = format!("sqlite:{}", dir.join("inbox.db").display());
    fill(&db, &deliveries);
    let before = decoded(&hookgen::analyze(&spec).unwrap().api, &deliveries);
    assert_eq!(
        before.iter().filter(|r| r.is_ok()).count(),
        1,
        "{before:#?}"
    );

    let overlay = dir.join("drift.overlay.yaml");
    let out = drift(&spec, &db, &["--out", overlay.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "drift found: {stderr}");
    let text = std::fs::read_to_string(&overlay).unwrap();
    // Each amendment at the schema that declares what it amends, with its count and an id.
    for expected in [
        "# `organization_id` is no longer required (optional): 2 deliveries, e.g. delivery 2",
        "$['components']['schemas']['Envelope']['required'][?@ == 'organization_id']",
        "# `amount` is a number, not only an integer (widen): 1 delivery, e.g. delivery 3",
        "update: {\"type\":\"number\"}",
        "# `customer` may be null (nullable): 1 delivery, e.g. delivery 4",
        "update: {\"customer\":{\"allOf\":[{\"$ref\":\"#/components/schemas/Customer\"}],\"nullable\":true}}",
        "# `note` may also be integer (widen): 1 delivery, e.g. delivery 4",
        "{\"note\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}}",
        "# the enum also lists 'refunded' (enum-value): 1 delivery, e.g. delivery 5",
        "$['components']['schemas']['Status']['enum']",
        "$['components']['schemas']['Order']['required'][?@ == 'note']",
    ] {
        assert!(text.contains(expected), "`{expected}` in:\n{text}");
    }
    assert!(
        stderr.contains("order.archived"),
        "the unknown event is reported: {stderr}"
    );

    // With the overlay, every delivery of a known event decodes into its event.
    let after = decoded(&with_overlay(&spec, &overlay), &deliveries);
    let names: Vec<&str> = after.iter().filter_map(|r| r.as_deref().ok()).collect();
    assert_eq!(
        names,
        [
            "order.created",
            "order.created",
            "order.created",
            "order.refunded",
            "order.refunded"
        ],
        "{after:#?}"
    );
    assert!(after[5]
        .as_ref()
        .is_err_and(|e| e.contains("not an event type")));

    // And drift over the amended spec finds nothing more (a spec folder with the overlay).
    let folder = dir.join("amended");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(&spec, folder.join("spec.yaml")).unwrap();
    std::fs::copy(&overlay, folder.join("drift.overlay.yaml")).unwrap();
    std::fs::write(
        folder.join("hookgen.toml"),
        "spec = [\"spec.yaml\"]\noverlays = [\"drift.overlay.yaml\"]\n",
    )
    .unwrap();
    let again = drift(&folder, &db, &["--format", "json"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["deliveries"], 6);
    assert_eq!(report["fitting"], 5);
    assert_eq!(report["amendments"].as_array().unwrap().len(), 0);
}

#[test]
fn an_inbox_that_fits_needs_no_overlay_and_a_missing_inbox_is_an_error() {
    let dir = scratch("fits");
    let spec = repo().join("cargo-hookgen/tests/drift/spec.yaml");
    let db = format!("sqlite:{}", dir.join("inbox.db").display());
    fill(
        &db,
        &[body(
            serde_json::json!({"type": "order.refunded", "order": {"amount": 1, "status": "open", "customer": {"name": "B"}, "note": ""}}),
        )],
    );
    let out = drift(&spec, &db, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("actions: []"));
    let missing = format!("sqlite:{}", dir.join("nothing.db").display());
    let out = drift(&spec, &missing, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no inbox at"));
}

/// GitHub's own example payloads (`../shared/payloads/github`), each as a delivery with the
/// `X-GitHub-Event` header its folder names.
fn github_deliveries(dir: &Path) -> Vec<Delivery> {
    let mut files = Vec::new();
    for event in std::fs::read_dir(dir).unwrap() {
        let event = event.unwrap().path();
        for file in std::fs::read_dir(&event).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    files
        .iter()
        .map(|f| {
            let header = f.parent().unwrap().file_name().unwrap().to_string_lossy();
            (
                vec![("x-github-event".to_string(), header.into_owned())],
                std::fs::read(f).unwrap(),
            )
        })
        .collect()
}

/// The spec and payloads this machine has, or `None` (the test then says why it skipped).
fn shared(path: &str) -> Option<PathBuf> {
    let p = repo().join("..").join("shared").join(path);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("HOOKGEN_REQUIRE_CORPUS").is_none(),
        "{} is missing and HOOKGEN_REQUIRE_CORPUS is set",
        p.display()
    );
    eprintln!("skipped: {} is missing", p.display());
    None
}

/// GitHub's 273 published payloads break its published spec; drift's overlay makes every one
/// decode into its event. The overlay is the one `generator/tests/corpus-overlays/` holds, with
/// which the corpus test decodes them through the generated crate itself
/// (`HOOKGEN_UPDATE_OVERLAYS=1` rewrites it).
#[test]
fn githubs_own_payloads_decode_with_the_overlay_drift_writes() {
    let (Some(spec), Some(payloads)) = (
        shared("corpus-next/github/api.github.com.json"),
        shared("payloads/github/api.github.com"),
    ) else {
        return;
    };
    let dir = scratch("github");
    let deliveries = github_deliveries(&payloads);
    let db = format!("sqlite:{}", dir.join("inbox.db").display());
    fill(&db, &deliveries);
    let overlay = dir.join("github.yaml");
    let out = drift(&spec, &db, &["--out", overlay.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let api = with_overlay(&spec, &overlay);
    let after = decoded(&api, &deliveries);
    let failed: Vec<String> = after
        .iter()
        .zip(&deliveries)
        .filter_map(|(r, (h, _))| r.as_ref().err().map(|e| format!("{}: {e}", h[0].1)))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} fail: {failed:#?}",
        failed.len(),
        deliveries.len()
    );

    let checked_in = repo().join("generator/tests/corpus-overlays/github.yaml");
    let written = std::fs::read_to_string(&overlay).unwrap();
    if std::env::var_os("HOOKGEN_UPDATE_OVERLAYS").is_some() {
        std::fs::write(&checked_in, &written).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&checked_in).unwrap(),
        written,
        "corpus-overlays/github.yaml is what drift writes (HOOKGEN_UPDATE_OVERLAYS=1 rewrites it)"
    );
}

/// Paddle's SDK fixtures are each the `data` of a notification: each is put into the envelope
/// of its event's spec example, as `corpus.rs` does. Every one whose event the spec declares
/// decodes into it with drift's overlay; the others are unknown events, never amended towards.
#[test]
fn paddles_own_payloads_decode_with_the_overlay_drift_writes() {
    let (Some(spec), Some(payloads)) = (
        shared("corpus/paddle/openapi.yaml"),
        shared("payloads/paddle/data-only"),
    ) else {
        return;
    };
    let api = hookgen::analyze(&spec).unwrap().api;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&payloads)
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    files.sort();
    let field = api.identity.top_level_field().unwrap();
    let mut known = 0;
    let deliveries: Vec<_> = files
        .iter()
        .map(|f| {
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            let event = api.events.iter().find(|e| e.name == name);
            known += usize::from(event.is_some());
            let mut envelope = event
                .and_then(|e| e.examples.first())
                .map(|ex| ex.value.clone())
                .unwrap_or_else(|| serde_json::json!({}));
            envelope[&field] = serde_json::Value::String(name);
            envelope["data"] = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            body(envelope)
        })
        .collect();
    let dir = scratch("paddle");
    let db = format!("sqlite:{}", dir.join("inbox.db").display());
    fill(&db, &deliveries);
    let overlay = dir.join("paddle.yaml");
    let out = drift(&spec, &db, &["--out", overlay.to_str().unwrap()]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = decoded(&with_overlay(&spec, &overlay), &deliveries);
    let decoded_known = after.iter().filter(|r| r.is_ok()).count();
    assert_eq!(decoded_known, known, "{after:#?}");
    assert!(after
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| e.contains("not an event type")));
}

/// `diff --inbox`: the stored deliveries OLD's SDK decodes, replayed through NEW. One whose
/// `code` is a string stops decoding when NEW makes it an integer; one without it does not;
/// one OLD cannot decode either proves nothing.
#[test]
fn diff_replays_an_inbox_through_new_and_lists_what_stops_decoding() {
    let dir = scratch("diff-inbox");
    let specs = repo().join("cargo-hookgen/tests/drift");
    let order = |code: Option<&str>| {
        let mut o = serde_json::json!({"amount": 1, "status": "open", "customer": {"name": "B"}, "note": ""});
        if let Some(code) = code {
            o["code"] = code.into();
        }
        body(serde_json::json!({"type": "order.refunded", "order": o}))
    };
    let db = format!("sqlite:{}", dir.join("inbox.db").display());
    fill(
        &db,
        &[
            order(None),
            order(Some("A-1")),
            body(serde_json::json!({"type": "order.refunded"})),
        ],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
        .arg("diff")
        .arg(specs.join("spec.yaml"))
        .arg(specs.join("spec-code-integer.yaml"))
        .args(["--inbox", &db, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stored: Vec<&serde_json::Value> = report["replay"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["direction"] == "stored-through-new")
        .collect();
    assert_eq!(stored.len(), 1, "{report:#}");
    assert_eq!(stored[0]["example"], "delivery 2");
    assert_eq!(stored[0]["event"], "order.refunded");
    let why = stored[0]["problems"][0].as_str().unwrap();
    assert!(why.contains("/order/code"), "{why}");

    // Without the inbox the same pair is a decode change, found from the models alone.
    let human = Command::new(env!("CARGO_BIN_EXE_cargo-hookgen"))
        .arg("diff")
        .arg(specs.join("spec.yaml"))
        .arg(specs.join("spec-code-integer.yaml"))
        .args(["--inbox", &db])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(
            "order.refunded delivery 2: decodes with OLD's SDK, not with the regenerated one"
        ),
        "{text}"
    );
}
