//! Hostile specs: each gives a clear error (or a diagnostic) in bounded time, never a panic.

use std::time::{Duration, Instant};

use hookgen::{analyze, analyze_bytes};

/// Analyse and emit; returns the error text or the diagnostic codes.
fn outcome(bytes: &[u8]) -> Result<Vec<&'static str>, String> {
    let started = Instant::now();
    let result = analyze_bytes(bytes, "hostile.json")
        .map_err(|e| e.to_string())
        .map(|a| {
            let _ = hookgen::emit::single_file(&a.api);
            a.diagnostics.iter().map(|d| d.code).collect()
        });
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    result
}

const HEAD: &str = r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "#;

#[test]
fn huge_file_is_refused_before_parsing() {
    let mut big = String::from(HEAD);
    big.push_str("\"x-pad\": \"");
    big.push_str(&"a".repeat(50 * 1024 * 1024));
    big.push_str("\"}");
    let err = outcome(big.as_bytes()).unwrap_err();
    assert!(err.contains("hookgen reads at most"), "{err}");
}

#[test]
fn deep_nesting_is_an_error() {
    let json = format!(
        "{}\"x\": {}{}}}",
        HEAD,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let err = outcome(json.as_bytes()).unwrap_err();
    assert!(err.contains("recursion limit"), "{err}");
    let yaml = format!(
        "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\nx: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let err = outcome(yaml.as_bytes()).unwrap_err();
    assert!(err.contains("invalid YAML"), "{err}");
}

#[test]
fn billion_laughs_is_an_error() {
    let mut yaml = String::from("openapi: 3.1.0\ninfo: {title: t, version: '1'}\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        yaml.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(", ")));
    }
    let err = outcome(yaml.as_bytes()).unwrap_err();
    assert!(err.contains("invalid YAML"), "{err}");
}

#[test]
fn self_referencing_refs_are_diagnostics() {
    let spec = format!(
        r##"{HEAD}"webhooks": {{"a": {{"post": {{"requestBody": {{"content": {{"application/json": {{"schema": {{"$ref": "#/components/schemas/A"}}}}}}}}}}}}}},
        "components": {{"schemas": {{"A": {{"$ref": "#/components/schemas/B"}}, "B": {{"$ref": "#/components/schemas/A"}}, "C": {{"$ref": "#/components/schemas/C"}}}}}}}}"##
    );
    let codes = outcome(spec.as_bytes()).unwrap();
    assert!(codes.contains(&"cyclic-ref"), "{codes:?}");
}

#[test]
fn refs_outside_the_folder_or_to_urls_are_never_read() {
    let dir = std::env::temp_dir().join(format!("hookgen-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = format!(
        r##"{HEAD}"webhooks": {{"a": {{"post": {{"requestBody": {{"content": {{"application/json": {{"schema": {{"type": "object", "properties": {{
            "p": {{"$ref": "/etc/passwd"}}, "q": {{"$ref": "../../../../etc/passwd#/x"}}, "r": {{"$ref": "http://127.0.0.1:1/x.json"}}, "s": {{"$ref": "other.json#/S"}}
        }}}}}}}}}}}}}}}}}}"##
    );
    std::fs::write(dir.join("spec.json"), spec).unwrap();
    std::fs::write(
        dir.join("other.json"),
        r#"{"S": {"type": "string", "description": "inside the folder: read"}}"#,
    )
    .unwrap();
    let analysis = analyze(&dir.join("spec.json")).unwrap();
    let external: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == "external-ref")
        .collect();
    assert_eq!(external.len(), 3, "{external:#?}");
    assert!(analysis
        .api
        .types
        .types
        .iter()
        .all(|t| !format!("{:?}", t).contains("root:")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn non_utf8_and_duplicate_keys_are_errors() {
    let err = outcome(b"{\"openapi\": \"3.1.0\xff\"}").unwrap_err();
    assert!(err.contains("not UTF-8"), "{err}");
    let err = outcome(format!("{HEAD}\"paths\": {{}}, \"paths\": {{}}}}").as_bytes()).unwrap_err();
    assert!(err.contains("duplicate key `paths`"), "{err}");
    let err = outcome(b"openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\npaths: {}\n")
        .unwrap_err();
    assert!(err.contains("duplicate"), "{err}");
}

#[test]
fn garbage_and_odd_tops_are_clear_errors() {
    for (input, needle) in [
        (&b""[..], "empty"),
        (b"[1, 2, 3]", "top level is an array"),
        (b"\"just a string\"", "top level is a string"),
        (b"{\"swagger\": \"2.0\"}", "Swagger 2.0"),
        (
            b"{\"openapi\": 3.1}",
            "OpenAPI version 3.1 is not supported",
        ),
        (b"{{{{", "invalid"),
        (b"openapi: [unclosed", "invalid YAML"),
    ] {
        let err = outcome(input).unwrap_err();
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let garbage: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    assert!(outcome(&garbage).is_err());
}
