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
    /// What kind of departure it is, for amending the spec (`drift`).
    pub departure: Departure,
}

/// What a departure is, in terms a spec amendment can address. Types are named by their id
/// in the [`TypeSpace`]; fields by their JSON name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departure {
    /// A required field the value lacks.
    Missing { owner: usize, field: String },
    /// `null` in a field that is not nullable.
    Null { owner: usize, field: String },
    /// A field's value of another JSON type than the field's (`found`: `string`, `integer`,
    /// `number`, `boolean`, `array` or `object`), or a string its format rejects.
    Type {
        owner: usize,
        field: String,
        found: &'static str,
    },
    /// A string the enum does not list (it decodes anyway, as the enum's `Unknown`).
    EnumValue { owner: usize, value: String },
    /// A value that fits none of an untagged union's variants, with what departs from the
    /// variant it comes closest to (fewest departures the decoder refuses).
    Union { nearest: Vec<Mismatch> },
    /// Anything else: a top-level value of the wrong kind, an undeclared required property.
    Other,
}

impl Mismatch {
    fn new(at: &str, message: String) -> Self {
        Mismatch {
            at: at.to_string(),
            message,
            decodes_anyway: false,
            departure: Departure::Other,
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
                out.push(Mismatch {
                    departure: Departure::EnumValue {
                        owner: id,
                        value: s.clone(),
                    },
                    ..Mismatch::tolerated(
                        at,
                        format!(
                            "`{s}` is not one of {} (it decodes anyway into the `Unknown` fallback)",
                            known.join(", ")
                        ),
                    )
                });
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
                    // Absent decodes as `None` (an `Option` field) or as the declared
                    // default, as the generated decoder reads it.
                    None if f.required && (f.nullable || f.absent_is_default) => {
                        out.push(Mismatch::tolerated(
                            at,
                            format!(
                                "required property `{}` is missing (it decodes anyway, as {})",
                                f.wire,
                                if f.nullable { "`None`" } else { "its default" }
                            ),
                        ))
                    }
                    None if f.required => out.push(Mismatch {
                        departure: Departure::Missing {
                            owner: id,
                            field: f.wire.clone(),
                        },
                        ..Mismatch::new(at, format!("required property `{}` is missing", f.wire))
                    }),
                    None => {}
                    Some(Value::Null) if f.nullable || !f.required => {}
                    Some(x) => validate_field(types, id, &f.wire, &f.ty, x, at, out),
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
            let mut nearest: Option<Vec<Mismatch>> = None;
            for var in variants {
                let mut p = Vec::new();
                validate(types, &var.ty, v, at, &mut p);
                if p.is_empty() {
                    return;
                }
                let refused = |p: &[Mismatch]| p.iter().filter(|m| !m.decodes_anyway).count();
                if nearest.as_ref().is_none_or(|n| refused(&p) < refused(n)) {
                    nearest = Some(p);
                }
            }
            let nearest = nearest.unwrap_or_default();
            if !nearest.is_empty() && nearest.iter().all(|m| m.decodes_anyway) {
                // A variant decodes, with what the decoder tolerates.
                out.extend(nearest);
                return;
            }
            out.push(Mismatch {
                departure: Departure::Union { nearest },
                ..Mismatch::new(at, format!("fits none of the variants of `{}`", def.name))
            });
        }
        (_, got) => out.push(Mismatch::new(
            at,
            format!("expected `{}`, found {}", def.name, kind_of(got)),
        )),
    }
}

/// A field's value; a departure at the field itself (not inside it) names the field, so that
/// it can be amended there.
fn validate_field(
    types: &TypeSpace,
    owner: usize,
    field: &str,
    ty: &TypeRef,
    x: &Value,
    at: &str,
    out: &mut Vec<Mismatch>,
) {
    let at = format!("{at}/{}", escape_segment(field));
    let first = out.len();
    validate(types, ty, x, &at, out);
    for m in &mut out[first..] {
        if m.at != at || m.decodes_anyway || m.departure != Departure::Other {
            continue;
        }
        let field = field.to_string();
        m.departure = match x {
            Value::Null => Departure::Null { owner, field },
            _ => Departure::Type {
                owner,
                field,
                found: json_type(x),
            },
        };
    }
}

/// The JSON Schema type of a value.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
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
