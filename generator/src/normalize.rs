//! Lower OpenAPI 3.1 constructs to their 3.0 equivalents at the JSON level, so that the
//! `openapiv3` (3.0) model can read them. Each lowering is a small function tested on its own.

use serde_json::{json, Map, Value};

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::pointer::{escape_segment, percent_decode, push_segment};

/// Keys whose value is a schema.
const SCHEMA_CHILD: &[&str] = &[
    "items",
    "not",
    "additionalProperties",
    "contains",
    "if",
    "then",
    "else",
];
/// Keys whose value is an array of schemas.
const SCHEMA_LIST: &[&str] = &["allOf", "oneOf", "anyOf", "prefixItems"];
/// Keys whose value is a map of schemas.
const SCHEMA_MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords that only annotate; they may stand beside a `$ref` without changing what it means.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "deprecated",
    "readOnly",
    "writeOnly",
    "example",
    "examples",
    "default",
    "nullable",
    "$comment",
    "externalDocs",
    "xml",
];
/// JSON Schema keywords that hookgen does not turn into types (named in a diagnostic, never silently dropped).
const UNSUPPORTED: &[&str] = &[
    "prefixItems",
    "if",
    "then",
    "else",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentSchemas",
    "dependentRequired",
    "contains",
    "$dynamicRef",
];

/// Where the original examples of a schema are kept once `examples` is lowered to `example`.
pub const EXAMPLES_EXTENSION: &str = "x-hookgen-examples";

/// Lower a whole document in place; returns what it noticed.
pub fn normalize_document(doc: &mut Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if let Value::Object(root) = doc {
        root.entry("paths").or_insert_with(|| json!({}));
        if !root.contains_key("info") {
            diags.push(Diagnostic::warning(
                Code::MissingInfo,
                "/info",
                "document has no `info` object",
            ));
            root.insert("info".into(), json!({"title": "untitled", "version": "0"}));
        }
    }
    decode_ref_fragments(doc);
    walk_document(doc, &mut String::new(), &mut diags);
    diags
}

/// A `$ref`'s fragment is a URI fragment: its JSON pointer may be percent-encoded
/// (`#/paths/~1companies~1%7BcompanyId%7D`, RFC 6901 §6). Decode it once here, so that every
/// resolver reads plain pointers.
fn decode_ref_fragments(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if let Some((base, fragment)) = r.split_once('#') {
                    if fragment.contains('%') {
                        *r = format!("{base}#{}", percent_decode(fragment));
                    }
                }
            }
            map.values_mut().for_each(decode_ref_fragments);
        }
        Value::Array(items) => items.iter_mut().for_each(decode_ref_fragments),
        _ => {}
    }
}

/// Walk the non-schema parts of a document, entering schema context where a schema lives.
fn walk_document(v: &mut Value, at: &mut String, diags: &mut Vec<Diagnostic>) {
    match v {
        Value::Object(map) => {
            let under_components = at == "/components";
            for (k, child) in map.iter_mut() {
                let len = push_segment(at, k);
                if k == "schema" {
                    lower_schema_tree(child, at, diags);
                } else if under_components && k == "schemas" {
                    if let Value::Object(schemas) = child {
                        for (name, s) in schemas.iter_mut() {
                            let len = push_segment(at, name);
                            lower_schema_tree(s, at, diags);
                            at.truncate(len);
                        }
                    }
                } else if k == "example" || k == "default" || k == "enum" || k == "examples" {
                    // Data, not structure (media-type and parameter examples included).
                } else {
                    walk_document(child, at, diags);
                }
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                let len = push_segment(at, &i.to_string());
                walk_document(child, at, diags);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Lower one schema and every schema nested in it; `at` is its pointer (restored on return).
pub fn lower_schema_tree(v: &mut Value, at: &mut String, diags: &mut Vec<Diagnostic>) {
    lower_boolean_schema(v);
    let Value::Object(schema) = v else { return };
    lower_schema_keywords(schema, at, diags);
    for (k, child) in schema.iter_mut() {
        let len = push_segment(at, k);
        if SCHEMA_CHILD.contains(&k.as_str()) {
            if child.is_object() || child.is_boolean() && k != "additionalProperties" {
                lower_schema_tree(child, at, diags);
            }
        } else if SCHEMA_LIST.contains(&k.as_str()) {
            if let Value::Array(items) = child {
                for (i, s) in items.iter_mut().enumerate() {
                    let len = push_segment(at, &i.to_string());
                    lower_schema_tree(s, at, diags);
                    at.truncate(len);
                }
            }
        } else if SCHEMA_MAP.contains(&k.as_str()) {
            if let Value::Object(m) = child {
                for (name, s) in m.iter_mut() {
                    let len = push_segment(at, name);
                    lower_schema_tree(s, at, diags);
                    at.truncate(len);
                }
            }
        }
        at.truncate(len);
    }
}

/// All keyword lowerings for one schema object, in a fixed order.
fn lower_schema_keywords(schema: &mut Map<String, Value>, at: &str, diags: &mut Vec<Diagnostic>) {
    report_format_conflict(schema, at, diags);
    lower_ref_siblings(schema, at, diags);
    lower_type_array(schema, at, diags);
    lower_const(schema);
    lower_exclusive_bounds(schema);
    lower_examples_array(schema);
    report_unsupported(schema, at, diags);
}

/// 3.1 boolean schemas: `true` accepts anything, `false` nothing.
pub fn lower_boolean_schema(v: &mut Value) {
    match v {
        Value::Bool(true) => *v = json!({}),
        Value::Bool(false) => *v = json!({"not": {}}),
        _ => {}
    }
}

/// `type: [T, "null"]` → `type: T, nullable: true`. Several non-null types cannot be one Rust type:
/// they become an untyped value, with a diagnostic.
pub fn lower_type_array(schema: &mut Map<String, Value>, at: &str, diags: &mut Vec<Diagnostic>) {
    let types = match schema.get("type") {
        Some(Value::Array(types)) => types.clone(),
        Some(Value::String(t)) if t == "null" => {
            schema.remove("type");
            schema.insert("nullable".into(), Value::Bool(true));
            return;
        }
        _ => return,
    };
    let nullable = types.iter().any(|t| t == "null");
    let rest: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
    schema.remove("type");
    match rest.as_slice() {
        [] => {}
        [one] => {
            schema.insert("type".into(), (*one).clone());
        }
        many => {
            // `integer` + `number` is just a number.
            if many.len() == 2
                && many.contains(&&json!("integer"))
                && many.contains(&&json!("number"))
            {
                schema.insert("type".into(), json!("number"));
            } else {
                diags.push(Diagnostic::warning(
                    Code::MultiType,
                    format!("{at}/type"),
                    format!(
                        "`type` lists several types {}; it is read as any JSON value",
                        Value::Array(types.clone())
                    ),
                ));
            }
        }
    }
    if nullable {
        schema.insert("nullable".into(), Value::Bool(true));
    }
}

/// `const: v` → `enum: [v]`.
pub fn lower_const(schema: &mut Map<String, Value>) {
    if let Some(c) = schema.remove("const") {
        schema
            .entry("enum")
            .or_insert_with(|| Value::Array(vec![c]));
    }
}

/// Numeric `exclusiveMinimum: n` → `minimum: n, exclusiveMinimum: true` (and the same for maximum).
pub fn lower_exclusive_bounds(schema: &mut Map<String, Value>) {
    for (excl, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Number(n)) = schema.get(excl).cloned() {
            schema.insert(bound.into(), Value::Number(n));
            schema.insert(excl.into(), Value::Bool(true));
        }
    }
}

/// Schema `examples: [..]` → `example: first`; every example is kept under an extension.
pub fn lower_examples_array(schema: &mut Map<String, Value>) {
    if let Some(Value::Array(examples)) = schema.get("examples").cloned() {
        schema.remove("examples");
        if let Some(first) = examples.first() {
            schema.entry("example").or_insert_with(|| first.clone());
        }
        schema.insert(EXAMPLES_EXTENSION.into(), Value::Array(examples));
    }
}

/// `$ref` with sibling keywords. Annotations are kept (the ref is wrapped in `allOf` so they
/// survive); other keywords conflict with the ref in the 3.0 model: the ref wins, with a diagnostic.
pub fn lower_ref_siblings(schema: &mut Map<String, Value>, at: &str, diags: &mut Vec<Diagnostic>) {
    let Some(reference) = schema.get("$ref").cloned() else {
        return;
    };
    if schema.len() == 1 {
        return;
    }
    let ignored: Vec<String> = schema
        .keys()
        .filter(|k| *k != "$ref" && !ANNOTATIONS.contains(&k.as_str()) && !k.starts_with("x-"))
        .cloned()
        .collect();
    if !ignored.is_empty() {
        let detail: Vec<String> = ignored
            .iter()
            .map(|k| format!("`{k}: {}`", compact(&schema[k])))
            .collect();
        diags.push(Diagnostic::warning(
            Code::RefSiblingConflict,
            at.to_string(),
            format!(
                "`$ref: {}` stands beside {}; the `$ref` is used and the other keywords are ignored",
                compact(&reference),
                detail.join(", ")
            ),
        ));
        for k in &ignored {
            schema.remove(k);
        }
    }
    if schema.len() > 1 {
        schema.remove("$ref");
        schema.insert("allOf".into(), json!([{ "$ref": reference }]));
    }
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn report_unsupported(schema: &Map<String, Value>, at: &str, diags: &mut Vec<Diagnostic>) {
    for k in UNSUPPORTED {
        if schema.contains_key(*k) {
            diags.push(Diagnostic::warning(
                Code::UnsupportedKeyword,
                format!("{at}/{}", escape_segment(k)),
                format!("JSON Schema keyword `{k}` is not supported; it is ignored when generating types"),
            ));
        }
    }
}

/// `type: string` with an object-ish format (ROOMZ's `format: object`) cannot both hold.
fn report_format_conflict(schema: &Map<String, Value>, at: &str, diags: &mut Vec<Diagnostic>) {
    let (Some(Value::String(t)), Some(Value::String(f))) =
        (schema.get("type"), schema.get("format"))
    else {
        return;
    };
    let conflicting = matches!(
        (t.as_str(), f.as_str()),
        (
            "string",
            "object" | "array" | "integer" | "int32" | "int64" | "boolean"
        ) | (
            "integer" | "number" | "boolean",
            "date-time" | "uuid" | "object" | "string"
        )
    );
    if conflicting {
        diags.push(Diagnostic::warning(
            Code::KeywordConflict,
            format!("{at}/format"),
            format!("`type: {t}` conflicts with `format: {f}`; the format is ignored"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn type_array_with_null_becomes_nullable() {
        let mut s = obj(json!({"type": ["string", "null"]}));
        lower_type_array(&mut s, "", &mut vec![]);
        assert_eq!(
            Value::Object(s),
            json!({"type": "string", "nullable": true})
        );
    }

    #[test]
    fn type_array_of_several_types_is_reported() {
        let mut s = obj(json!({"type": ["string", "object"]}));
        let mut d = vec![];
        lower_type_array(&mut s, "/x", &mut d);
        assert_eq!(Value::Object(s), json!({}));
        assert_eq!(d[0].code, "multi-type");
    }

    #[test]
    fn const_becomes_single_value_enum() {
        let mut s = obj(json!({"type": "string", "const": "user.created"}));
        lower_const(&mut s);
        assert_eq!(
            Value::Object(s),
            json!({"type": "string", "enum": ["user.created"]})
        );
    }

    #[test]
    fn numeric_exclusive_bounds_become_boolean_flags() {
        let mut s = obj(json!({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}));
        lower_exclusive_bounds(&mut s);
        assert_eq!(
            Value::Object(s),
            json!({"type": "integer", "exclusiveMinimum": true, "exclusiveMaximum": true, "minimum": 0, "maximum": 10})
        );
    }

    #[test]
    fn examples_array_becomes_example_and_is_kept() {
        let mut s = obj(json!({"type": "object", "examples": [{"a": 1}, {"a": 2}]}));
        lower_examples_array(&mut s);
        assert_eq!(s["example"], json!({"a": 1}));
        assert_eq!(s[EXAMPLES_EXTENSION], json!([{"a": 1}, {"a": 2}]));
        assert!(!s.contains_key("examples"));
    }

    #[test]
    fn ref_with_annotations_is_wrapped_in_all_of() {
        let mut s = obj(json!({"$ref": "#/components/schemas/A", "description": "d"}));
        let mut d = vec![];
        lower_ref_siblings(&mut s, "", &mut d);
        assert_eq!(
            Value::Object(s),
            json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/A"}]})
        );
        assert!(d.is_empty());
    }

    #[test]
    fn ref_with_conflicting_keywords_is_reported_and_ref_wins() {
        let mut s =
            obj(json!({"type": "string", "format": "object", "$ref": "#/components/schemas/P"}));
        let mut d = vec![];
        lower_ref_siblings(&mut s, "/p", &mut d);
        assert_eq!(Value::Object(s), json!({"$ref": "#/components/schemas/P"}));
        assert_eq!(d[0].code, "ref-sibling-conflict");
        assert!(
            d[0].message.contains("`format: object`"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn boolean_schemas_become_objects() {
        let mut t = json!(true);
        lower_boolean_schema(&mut t);
        assert_eq!(t, json!({}));
    }

    #[test]
    fn document_gets_paths_and_schemas_are_lowered_everywhere() {
        let mut doc = json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "webhooks": {"a": {"post": {"requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"t": {"const": "a"}, "n": {"type": ["integer", "null"]}}
            }}}}}}}
        });
        normalize_document(&mut doc);
        assert_eq!(doc["paths"], json!({}));
        let s =
            &doc["webhooks"]["a"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(s["properties"]["t"], json!({"enum": ["a"]}));
        assert_eq!(
            s["properties"]["n"],
            json!({"type": "integer", "nullable": true})
        );
    }

    #[test]
    fn example_data_is_never_rewritten() {
        let mut doc = json!({"components": {"schemas": {"A": {"type": "object", "example": {"type": ["x", "null"], "const": 1}}}}});
        normalize_document(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["A"]["example"],
            json!({"type": ["x", "null"], "const": 1})
        );
    }
}
