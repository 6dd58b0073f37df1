//! IR-level checks that need a whole spec: refs into other schemas, event identity rules.

use hookgen::analyze_bytes;
use hookgen::ir::{TypeKind, TypeRef};

#[test]
fn refs_into_other_schemas_resolve() {
    let spec = br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "webhooks": {"a": {"post": {"requestBody": {"content": {"application/json": {"schema": {
        "type": "object", "required": ["type"], "properties": {
          "type": {"const": "a"},
          "card": {"$ref": "#/components/schemas/Payment/properties/method/oneOf/1"},
          "code": {"$ref": "#/components/schemas/Payment/properties/method/oneOf/0"}
        }}}}}}}},
      "components": {"schemas": {"Payment": {"type": "object", "properties": {"method": {"oneOf": [
        {"type": "string"},
        {"type": "object", "required": ["last4"], "properties": {"last4": {"type": "string"}}}
      ]}}}}}}"##;
    let a = analyze_bytes(spec, "t.json").unwrap();
    assert!(!a.diagnostics.has_errors(), "{:?}", a.diagnostics);
    let fields = a.api.types.fields_of(&a.api.events[0].payload);
    let card = fields.iter().find(|f| f.wire == "card").unwrap();
    let TypeRef::Named(id) = card.ty else {
        panic!("{:?}", card.ty)
    };
    assert_eq!(a.api.types.get(id).name, "PaymentMethodOneOf1");
    assert!(
        matches!(&a.api.types.get(id).kind, TypeKind::Struct { fields, .. } if fields[0].wire == "last4")
    );
    assert_eq!(
        fields.iter().find(|f| f.wire == "code").unwrap().ty,
        TypeRef::String
    );
}

#[test]
fn unresolvable_refs_are_diagnostics_and_the_rest_still_loads() {
    let spec = br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "webhooks": {
        "a": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Missing"}}}}}},
        "b": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"type": {"const": "b"}}}}}}}}
      }}"##;
    let a = analyze_bytes(spec, "t.json").unwrap();
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == "unresolved-ref")
        .expect("diagnostic");
    assert!(d.pointer.contains("/webhooks/a/"), "{}", d.pointer);
    assert_eq!(a.api.events.len(), 2);
    assert_eq!(
        a.api.events[0].payload,
        TypeRef::Json,
        "the broken webhook keeps its payload as raw JSON"
    );
}

#[test]
fn event_identity_comes_from_the_payload_then_the_key() {
    let spec = br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "webhooks": {
        "hook-one": {"post": {"requestBody": {"content": {"application/json": {"schema": {
          "type": "object", "properties": {"event": {"type": "string", "enum": ["x.created", "x.deleted"]}}}}}}}},
        "plain-hook": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}}}
      }}"##;
    let a = analyze_bytes(spec, "t.json").unwrap();
    let names: Vec<(&str, Option<&str>)> = a
        .api
        .events
        .iter()
        .map(|e| (e.name.as_str(), e.identity[0].as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("x.created", Some("x.created")),
            ("x.deleted", Some("x.deleted")),
            ("plain-hook", None)
        ]
    );
    assert_eq!(a.api.identity.describe(), "body /event");
}

#[test]
fn webhooks_without_a_body_are_reported() {
    let spec = br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "webhooks": {"ping": {"post": {}}}}"##;
    let a = analyze_bytes(spec, "t.json").unwrap();
    assert!(a
        .diagnostics
        .iter()
        .any(|d| d.code == "webhook-without-body"));
    assert_eq!(a.api.events[0].name, "ping");
}

mod signature_declarations {
    use hookgen::analyze_bytes;
    use hookgen_runtime::verify::{Algorithm, Encoding};
    use hookgen_runtime::Scheme;

    const HEAD: &str = r#""openapi": "3.1.0", "info": {"title": "t", "version": "1"}"#;

    fn scheme(spec: &str) -> (Option<Scheme>, Vec<&'static str>) {
        let a = analyze_bytes(spec.as_bytes(), "t.json").unwrap();
        (
            a.api.signature.map(|s| s.scheme),
            a.diagnostics.iter().map(|d| d.code).collect(),
        )
    }

    #[test]
    fn speakeasy_extension_is_read() {
        let (s, _) = scheme(&format!(
            r#"{{{HEAD}, "x-speakeasy-webhooks": {{"security": {{"type": "signature", "headerName": "X-Signature",
                "signatureTextEncoding": "base64", "algorithm": "hmac-sha512"}}}}}}"#
        ));
        let Some(Scheme::Hmac(h)) = s else {
            panic!("{s:?}")
        };
        assert_eq!(
            (h.header.as_str(), h.encoding, h.algorithm),
            ("X-Signature", Encoding::Base64, Algorithm::Sha512)
        );
    }

    #[test]
    fn a_webhook_level_declaration_wins_over_the_root() {
        let (s, _) = scheme(&format!(
            r#"{{{HEAD}, "x-webhook-signature": {{"scheme": "hmac", "header": "X-Root"}},
               "webhooks": {{"a": {{"post": {{"x-webhook-signature": {{"scheme": "hmac", "header": "X-Hook"}}}}}}}}}}"#
        ));
        assert!(matches!(s, Some(Scheme::Hmac(h)) if h.header == "X-Hook"));
    }

    #[test]
    fn standard_webhooks_is_inferred_from_its_headers() {
        let header = |n: &str| {
            format!(
                r#"{{"in": "header", "name": "{n}", "required": true, "schema": {{"type": "string"}}}}"#
            )
        };
        let (s, codes) = scheme(&format!(
            r#"{{{HEAD}, "webhooks": {{"a": {{"post": {{"parameters": [{}, {}, {}]}}}}}}}}"#,
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature")
        ));
        assert!(matches!(s, Some(Scheme::StandardWebhooks(_))), "{s:?}");
        assert!(!codes.contains(&"no-signature-scheme"));
        // Also when the parameters are `$ref`s into components (as in Roam's spec).
        let (s, _) = scheme(&format!(
            r##"{{{HEAD}, "webhooks": {{"a": {{"post": {{"parameters": [{{"$ref": "#/components/parameters/I"}},
                {{"$ref": "#/components/parameters/T"}}, {{"$ref": "#/components/parameters/S"}}]}}}}}},
              "components": {{"parameters": {{"I": {}, "T": {}, "S": {}}}}}}}"##,
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature")
        ));
        assert!(matches!(s, Some(Scheme::StandardWebhooks(_))), "{s:?}");
    }

    #[test]
    fn nothing_declared_is_a_warning_and_a_bad_declaration_an_error() {
        let (s, codes) = scheme(&format!("{{{HEAD}}}"));
        assert!(s.is_none());
        assert!(codes.contains(&"no-signature-scheme"));
        let (_, codes) = scheme(&format!(
            r#"{{{HEAD}, "x-webhook-signature": {{"scheme": "hmac", "algorithm": "md5", "header": "X"}}}}"#
        ));
        assert!(codes.contains(&"invalid-signature-scheme"), "{codes:?}");
    }

    #[test]
    fn hookgen_toml_overrides_the_spec() {
        let dir = std::env::temp_dir().join(format!("hookgen-sig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("spec.json"),
            format!(r#"{{{HEAD}, "x-webhook-signature": {{"scheme": "standard-webhooks"}}}}"#),
        )
        .unwrap();
        std::fs::write(
            dir.join("hookgen.toml"),
            "spec = [\"spec.json\"]\n[signature]\nscheme = \"hmac\"\nheader = \"X-Override\"\nprefix = \"sha256=\"\n",
        )
        .unwrap();
        let a = hookgen::analyze(&dir).unwrap();
        assert!(
            matches!(a.api.signature.map(|s| s.scheme), Some(Scheme::Hmac(h)) if h.header == "X-Override")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn completeness_counts_every_declared_operation_and_a_loss_is_an_error() {
    use hookgen::ir::{Coverage, Outcome};
    let spec = br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "webhooks": {"a": {"post": {"summary": 3, "responses": {"200": {}}}},
                   "b": {"post": "not an operation"}},
      "x-webhooks": {"a": {"post": {"summary": 3, "responses": {"200": {}}}}},
      "paths": {"/s": {"post": {"operationId": "subscribe",
                  "callbacks": {"onEvent": {"{$request.body#/url}": {"post": {"description": {"$ref": "x.md"}}}}}},
                       "get": {"operationId": "list", "description": ["bad"]},
                       "trace": 7}}}"##;
    let a = analyze_bytes(spec, "t.json").unwrap();
    let cov = &a.api.coverage;
    // a (once, though declared twice), b, and the callback.
    assert_eq!(Coverage::tally(&cov.webhooks), (3, 2, 1));
    assert_eq!(Coverage::tally(&cov.operations), (3, 2, 1));
    let lost: Vec<_> = cov.lost().map(|d| d.label.as_str()).collect();
    assert_eq!(lost, ["POST webhook b", "TRACE /s"]);
    let errors: Vec<_> = a
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code, d.pointer.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            ("lost-webhook", "/webhooks/b/post"),
            ("lost-operation", "/paths/~1s/trace")
        ]
    );
    assert!(matches!(&cov.webhooks[0].outcome, Outcome::Generated(names) if names == &["a"]));
}

/// Two webhooks whose schemas accept the same body, with nothing that tells them apart: a
/// warning naming both (the generated decoder's ambiguity error is tested in the fixtures crate).
#[test]
fn events_nothing_tells_apart_are_a_warning_naming_both() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/identity_ambiguous.yaml");
    let a = hookgen::analyze(&fixture).unwrap();
    let warning = a
        .diagnostics
        .iter()
        .find(|d| d.code == "indistinguishable-events")
        .expect("a warning");
    assert!(!warning.is_error());
    assert!(
        warning.message.contains("`member-added`") && warning.message.contains("`member-removed`"),
        "{}",
        warning.message
    );
    // Where the identity tells them apart, no warning.
    let b = analyze_bytes(
        br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "webhooks": {
          "a.one": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"type": {"type": "string", "enum": ["a.one"]}}}}}}}},
          "a.two": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"type": {"type": "string", "enum": ["a.two"]}}}}}}}}}}"##,
        "t.json",
    )
    .unwrap();
    assert!(!b
        .diagnostics
        .iter()
        .any(|d| d.code == "indistinguishable-events"));
}

/// GitHub's shape, inferred with no configuration: the event header (values from the keys) and
/// the body's `action`.
#[test]
fn a_header_named_for_the_event_joins_the_action() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/identity_header_action.yaml");
    let a = hookgen::analyze(&fixture).unwrap();
    assert_eq!(
        a.api.identity.describe(),
        "header X-Acme-Event + body /action"
    );
    let ids: Vec<(&str, Vec<Option<&str>>)> = a
        .api
        .events
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.identity.iter().map(Option::as_deref).collect(),
            )
        })
        .collect();
    assert!(
        ids.contains(&("issues-opened", vec![Some("issues"), Some("opened")])),
        "{ids:?}"
    );
    assert!(
        ids.contains(&(
            "issue-comment-opened",
            vec![Some("issue-comment"), Some("opened")]
        )),
        "{ids:?}"
    );
    assert!(ids.contains(&("push", vec![Some("push"), None])), "{ids:?}");
    assert_eq!(a.api.crate_name, "api-3acme-webhooks");
}

/// A folder holding only the vendor's spec file is the file: same events, same client.
#[test]
fn a_folder_without_hookgen_toml_generates_what_the_file_does() {
    let dir = std::env::temp_dir().join(format!("hookgen-folder-only-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/identity_form_json.yaml");
    std::fs::copy(&source, dir.join("openapi.yaml")).unwrap();
    // An overlay beside it is told apart by its content, whatever its name.
    std::fs::write(
        dir.join("a-fix.yaml"),
        "overlay: 1.0.0\ninfo: {title: fix, version: '1'}\nactions: []\n",
    )
    .unwrap();
    let from_folder = hookgen::analyze(&dir).unwrap();
    let from_file = hookgen::analyze(&source).unwrap();
    assert_eq!(from_file.api.operations.len(), 2);
    // `#/paths/~1things~1%7BcompanyId%7D/...`: a percent-encoded pointer resolves.
    assert!(
        !from_file
            .diagnostics
            .iter()
            .any(|d| d.code == "unresolved-ref"),
        "{:?}",
        from_file
            .diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
    );
    let other = from_file
        .api
        .operations
        .iter()
        .find(|o| o.name == "get_other")
        .unwrap();
    assert_eq!(other.params.len(), 1, "{other:?}");
    assert_eq!(
        from_folder.api.operations.len(),
        from_file.api.operations.len()
    );
    assert_eq!(from_folder.api.events.len(), from_file.api.events.len());
    let methods = |a: &hookgen::Analysis| {
        a.api
            .operations
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(methods(&from_folder), methods(&from_file));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A schema named like something a generated module imports would clash with it: every name
/// the checked-in crates' type-seeing modules import is reserved.
#[test]
fn every_name_generated_modules_import_is_reserved() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated");
    let mut missing = std::collections::BTreeSet::new();
    for krate in std::fs::read_dir(&root).unwrap() {
        let src = krate.unwrap().path().join("src");
        for module in ["types.rs", "events.rs", "client.rs"] {
            let Ok(text) = std::fs::read_to_string(src.join(module)) else {
                continue;
            };
            // Each `use` statement, which may span lines: the names it brings in.
            let statements = text
                .split(';')
                .filter_map(|s| s.trim_start().strip_prefix("use ").map(str::to_string));
            for statement in statements {
                let names = match statement.find('{') {
                    Some(open) => statement[open + 1..].trim_end_matches('}').to_string(),
                    None => statement
                        .rsplit("::")
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                };
                for name in names.split(',') {
                    let name = name.trim().rsplit(" as ").next().unwrap_or_default();
                    let name = name.rsplit("::").next().unwrap_or_default();
                    let is_type = name.chars().next().is_some_and(char::is_uppercase);
                    if is_type && !hookgen::ir::names::RESERVED_NAMES.contains(&name) {
                        missing.insert(name.to_string());
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "imported but not reserved: {missing:?}");
}
