//! Checks over the IR: examples against their types, and what a generated SDK cannot guarantee.

use serde_json::Value;

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::{Api, TypeKind, TypeRef, TypeSpace};
use crate::pointer::escape_segment;

/// Where a value departs from its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The JSON pointer suffix, from the validated value.
    pub at: String,
    pub message: String,
    /// Typed decoding tolerates it (an open enum's unknown value, an undeclared required
    /// field): the value still decodes.
    pub decodes_anyway: bool,
}

impl Mismatch {
    fn new(at: &str, message: String) -> Self {
        Mismatch {
            at: at.to_string(),
            message,
            decodes_anyway: false,
        }
    }

    fn tolerated(at: &str, message: String) -> Self {
        Mismatch {
            decodes_anyway: true,
            ..Mismatch::new(at, message)
        }
    }
}

pub fn lint(api: &Api) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for event in &api.events {
        for ex in &event.examples {
            let mut problems = Vec::new();
            validate(&api.types, &event.payload, &ex.value, "", &mut problems);
            for Mismatch {
                at: path, message, ..
            } in problems
            {
                diags.push(Diagnostic::warning(
                    Code::ExampleMismatch,
                    format!("{}{path}", ex.pointer),
                    format!(
                        "example for `{}` does not match its schema: {message}",
                        event.name
                    ),
                ));
            }
        }
    }
    diags
}

/// Validate a JSON value against a type, collecting where it departs from it.
pub fn validate(types: &TypeSpace, ty: &TypeRef, v: &Value, at: &str, out: &mut Vec<Mismatch>) {
    let mut fail = |m: String| out.push(Mismatch::new(at, m));
    match (ty, v) {
        (TypeRef::Json, _) => {}
        (TypeRef::String, Value::String(_)) => {}
        (TypeRef::Uuid, Value::String(s)) => {
            if uuid::Uuid::parse_str(s).is_err() {
                fail(format!("`{s}` is not a UUID"));
            }
        }
        (TypeRef::DateTime, Value::String(s)) => {
            if hookgen_runtime::Timestamp::parse(s).is_err() {
                fail(format!("`{s}` is not a date-time"));
            }
        }
        (TypeRef::Integer | TypeRef::Integer32, Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        (TypeRef::Number, Value::Number(_)) => {}
        (TypeRef::Boolean, Value::Bool(_)) => {}
        (TypeRef::Vec(item), Value::Array(items)) => {
            for (i, x) in items.iter().enumerate() {
                validate(types, item, x, &format!("{at}/{i}"), out);
            }
        }
        (TypeRef::Map(value), Value::Object(m)) => {
            for (k, x) in m {
                validate(types, value, x, &format!("{at}/{}", escape_segment(k)), out);
            }
        }
        (TypeRef::Named(id), _) => validate_named(types, *id, v, at, out),
        (expected, got) => fail(format!(
            "expected {}, found {}",
            describe(expected),
            kind_of(got)
        )),
    }
}

fn validate_named(types: &TypeSpace, id: usize, v: &Value, at: &str, out: &mut Vec<Mismatch>) {
    let def = types.get(id);
    match (&def.kind, v) {
        (TypeKind::Alias(inner), _) => validate(types, inner, v, at, out),
        (TypeKind::StringEnum { values }, Value::String(s)) => {
            if !values.iter().any(|e| &e.wire == s) {
                let known: Vec<&str> = values.iter().map(|e| e.wire.as_str()).collect();
                out.push(Mismatch::tolerated(
                    at,
                    format!(
                        "`{s}` is not one of {} (it decodes anyway into the `Unknown` fallback)",
                        known.join(", ")
                    ),
                ));
            }
        }
        (
            TypeKind::Struct {
                fields,
                undeclared_required,
                ..
            },
            Value::Object(m),
        ) => {
            for name in undeclared_required
                .iter()
                .filter(|n| !m.contains_key(n.as_str()))
            {
                out.push(Mismatch::tolerated(
                    at,
                    format!(
                        "required property `{name}` is missing (it is not declared either, \
                         so the example decodes anyway)"
                    ),
                ));
            }
            for f in fields {
                if f.flatten {
                    // A flattened union member: validate against the whole object.
                    validate(types, &f.ty, v, at, out);
                    continue;
                }
                match m.get(&f.wire) {
                    None if f.required => out.push(Mismatch::new(
                        at,
                        format!("required property `{}` is missing", f.wire),
                    )),
                    None => {}
                    Some(Value::Null) if f.nullable || !f.required => {}
                    Some(x) => validate(
                        types,
                        &f.ty,
                        x,
                        &format!("{at}/{}", escape_segment(&f.wire)),
                        out,
                    ),
                }
            }
        }
        (TypeKind::Tagged { property, variants }, Value::Object(m)) => {
            let tag = m.get(property).and_then(Value::as_str);
            if let Some(var) = variants.iter().find(|var| var.tag.as_deref() == tag) {
                validate(types, &var.ty, v, at, out);
            }
        }
        (TypeKind::Untagged { variants }, _) => {
            let fits = variants.iter().any(|var| {
                let mut p = Vec::new();
                validate(types, &var.ty, v, at, &mut p);
                p.is_empty()
            });
            if !fits {
                out.push(Mismatch::new(
                    at,
                    format!("fits none of the variants of `{}`", def.name),
                ));
            }
        }
        (_, got) => out.push(Mismatch::new(
            at,
            format!("expected `{}`, found {}", def.name, kind_of(got)),
        )),
    }
}

fn describe(t: &TypeRef) -> &'static str {
    match t {
        TypeRef::String | TypeRef::Uuid | TypeRef::DateTime => "a string",
        TypeRef::Integer | TypeRef::Integer32 => "an integer",
        TypeRef::Number => "a number",
        TypeRef::Boolean => "a boolean",
        TypeRef::Vec(_) => "an array",
        TypeRef::Map(_) => "an object",
        TypeRef::Named(_) | TypeRef::Json => "a value",
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
