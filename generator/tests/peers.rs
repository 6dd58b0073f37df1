//! Claims the README's comparison table makes about peers, checked here.

use std::path::Path;

/// progenitor reads specs through `openapiv3`, which is 3.0-only: ROOMZ's 3.1 webhooks-only
/// document does not load at all ("missing field `paths`"), while hookgen lowers it first.
#[test]
fn openapiv3_alone_rejects_a_31_webhooks_document() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/roomz/spec3.yml"),
    )
    .unwrap();
    let err = serde_yaml::from_str::<openapiv3::OpenAPI>(&text).unwrap_err();
    assert!(err.to_string().contains("missing field `paths`"), "{err}");
    let analysis =
        hookgen::analyze(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/roomz")).unwrap();
    assert!(!analysis.api.events.is_empty());
}

/// Even where `openapiv3` parses a 3.1 document, it has no `webhooks` field: they are dropped.
#[test]
fn openapiv3_alone_drops_webhooks() {
    let doc = r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "webhooks": {"a": {"post": {"responses": {"200": {"description": "ok"}}}}}}"#;
    let parsed: openapiv3::OpenAPI = serde_json::from_str(doc).unwrap();
    let back = serde_json::to_value(&parsed).unwrap();
    assert!(back.get("webhooks").is_none());
    let analysis = hookgen::analyze_bytes(doc.as_bytes(), "t.json").unwrap();
    assert_eq!(analysis.api.events.len(), 1);
}
