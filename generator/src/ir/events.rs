//! Events: one per event type the vendor sends, named by the value in the payload.

use openapiv3::{Operation, ReferenceOr, RequestBody, Schema};
use serde_json::Value;

use super::identity::{self, values_at, HeaderParam, HookShape, PartChoice, IDENTITY_EXTENSION};
use super::model::{Declared, Event, Example, Identity, IdentityPart, Outcome, TypeKind, TypeRef};
use super::names::{type_name, NameScope};
use super::types::{name_from_pointer, TypeBuilder};
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::load::{Document, WebhookOrigin};
use crate::normalize::EXAMPLES_EXTENSION;
use crate::pointer::escape_segment;
use crate::pointer::resolve_local;

pub(super) struct EventsOutcome {
    pub events: Vec<Event>,
    pub identity: Identity,
    pub coverage: Vec<Declared>,
    /// Some webhook posts a form body rather than JSON.
    pub form_payloads: bool,
}

/// One webhook operation with its payload type resolved.
struct Hook {
    /// Index into the coverage list.
    declared: usize,
    key: String,
    pointer: String,
    op: Operation,
    payload: TypeRef,
    examples: Vec<Example>,
    headers: Vec<HeaderParam>,
}

pub(super) fn build_events(doc: &Document, tb: &mut TypeBuilder<'_>) -> EventsOutcome {
    let mut coverage = Vec::new();
    let mut form_payloads = false;
    let hooks = collect_hooks(doc, tb, &mut coverage, &mut form_payloads);
    let shapes: Vec<HookShape<'_>> = hooks
        .iter()
        .map(|h| HookShape {
            key: &h.key,
            operation_id: h.op.operation_id.as_deref(),
            payload: &h.payload,
            headers: &h.headers,
        })
        .collect();
    let (choices, declared_in) = match declared_identity(doc, tb) {
        Some((parts, source)) => (parts, Some(source)),
        None => (identity::infer(&shapes, tb), None),
    };
    let mut events: Vec<Event> = Vec::new();
    let mut variants = NameScope::default();
    variants.reserve("Unknown");
    for (hook, shape) in hooks.iter().zip(&shapes) {
        let mut names = Vec::new();
        for (name, payload, values) in identities(hook, shape, &choices, tb) {
            names.push(name.clone());
            if let Some(existing) = events.iter().find(|e| e.name == name) {
                if existing.payload != payload {
                    tb.diags.push(Diagnostic::warning(
                        Code::DuplicateEvent,
                        hook.pointer.clone(),
                        format!(
                            "event `{name}` is already declared at {}; this declaration is ignored",
                            existing.pointer
                        ),
                    ));
                }
                continue;
            }
            let (variant, renamed) = variants.unique(&type_name(&name));
            if renamed {
                tb.diags.push(Diagnostic::warning(
                    Code::NameCollision,
                    hook.pointer.clone(),
                    format!("event `{name}` maps to a variant name already used; it is named `{variant}`"),
                ));
            }
            let examples = examples_for(hook, &choices, &values);
            events.push(Event {
                name,
                identity: values,
                variant,
                payload,
                summary: hook.op.summary.clone(),
                description: hook.op.description.clone(),
                deprecated: hook.op.deprecated,
                webhook_key: hook.key.clone(),
                pointer: hook.pointer.clone(),
                headers: hook.headers.iter().map(|h| h.name.clone()).collect(),
                examples,
                links: Vec::new(),
                id_field: None,
                timestamp_field: None,
            });
        }
        if let Some(declared) = coverage.get_mut(hook.declared) {
            declared.outcome = if names.is_empty() {
                Outcome::Lost("no event could be named from it".into())
            } else {
                Outcome::Generated(names)
            };
        }
    }
    let identity = Identity {
        loose: choices.iter().map(|c| c.loose).collect(),
        parts: choices.into_iter().map(|c| c.part).collect(),
        declared_in,
    };
    report_indistinguishable(&identity, &events, &mut tb.diags);
    EventsOutcome {
        events,
        identity,
        coverage,
        form_payloads,
    }
}

/// The identity `hookgen.toml` or the document declares; `event_type_field` is the one-part
/// form of it.
fn declared_identity(
    doc: &Document,
    tb: &mut TypeBuilder<'_>,
) -> Option<(Vec<PartChoice>, String)> {
    let (texts, source): (Vec<String>, String) = if let Some(parts) = &doc.config.identity {
        (parts.clone(), "hookgen.toml `identity`".into())
    } else if let Some(field) = &doc.config.event_type_field {
        (
            vec![format!("body:/{}", escape_segment(field))],
            "hookgen.toml `event_type_field`".into(),
        )
    } else {
        let texts = match doc.root.get(IDENTITY_EXTENSION)? {
            Value::String(one) => vec![one.clone()],
            Value::Array(all) => all
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        };
        (texts, format!("`{IDENTITY_EXTENSION}`"))
    };
    let mut parts = Vec::new();
    for text in texts {
        match identity::parse_part(&text) {
            Ok(part) => parts.push(part),
            Err(why) => tb.diags.push(Diagnostic::error(
                Code::BadIdentity,
                format!("/{IDENTITY_EXTENSION}"),
                format!("{source}: {why}"),
            )),
        }
    }
    // A declared header takes its values from the webhooks' declared values, else their keys.
    let choices = parts
        .into_iter()
        .map(|part| PartChoice {
            loose: matches!(&part, IdentityPart::Header(_)),
            part,
        })
        .collect();
    Some((choices, source))
}

/// A warning for each group of events that nothing declared tells apart: a body that fits
/// more than one of them is an ambiguity error, never the first.
fn report_indistinguishable(identity: &Identity, events: &[Event], diags: &mut Vec<Diagnostic>) {
    let mut groups: Vec<(Vec<Option<String>>, Vec<&Event>)> = Vec::new();
    for e in events {
        let k = identity.match_values(&e.identity);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(e),
            None => groups.push((k, vec![e])),
        }
    }
    for (_, members) in groups.iter().filter(|(_, m)| m.len() > 1) {
        let names: Vec<String> = members.iter().map(|e| format!("`{}`", e.name)).collect();
        diags.push(Diagnostic::warning(
            Code::IndistinguishableEvents,
            members[0].pointer.clone(),
            format!(
                "events {} cannot be told apart by anything a delivery declares (declare the \
                 event identity in hookgen.toml `identity` or `{IDENTITY_EXTENSION}`); a body \
                 that fits more than one of them is an ambiguity error, never the first",
                names.join(" and ")
            ),
        ));
    }
}

fn collect_hooks(
    doc: &Document,
    tb: &mut TypeBuilder<'_>,
    coverage: &mut Vec<Declared>,
    form_payload: &mut bool,
) -> Vec<Hook> {
    let mut hooks = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for wh in &doc.webhooks {
        let Value::Object(item) = &wh.item else {
            continue;
        };
        for (method, op_value) in item {
            if !crate::pointer::HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            let at = format!("{}/{method}", wh.pointer);
            // `webhooks` and `x-webhooks` may declare the same webhook: it counts once.
            let identity = match wh.origin {
                WebhookOrigin::Callback => (at.clone(), String::new()),
                _ => (wh.key.clone(), method.clone()),
            };
            if seen.contains(&identity) {
                continue;
            }
            seen.push(identity);
            let declared = coverage.len();
            coverage.push(Declared {
                label: format!("{} webhook {}", method.to_uppercase(), wh.key),
                pointer: at.clone(),
                outcome: Outcome::Lost("not read".into()),
            });
            let op = match super::operations::read_operation(op_value, &at, &mut tb.diags) {
                Ok(op) => op,
                Err(reason) => {
                    coverage[declared].outcome = Outcome::Lost(reason);
                    continue;
                }
            };
            let hint = op.operation_id.clone().unwrap_or_else(|| wh.key.clone());
            let (payload, examples) = match payload_schema(doc, &op, &at) {
                Some(payload) => {
                    *form_payload |= payload.form;
                    // Diagnostics point at the `$ref` (the site); examples live on the target.
                    let ty = tb.type_of(&payload.schema, &format!("{hint} Event"), &payload.site);
                    let mut examples = payload.examples;
                    examples.extend(schema_examples(doc, &payload.target));
                    (ty, examples)
                }
                None => {
                    tb.diags.push(Diagnostic::warning(
                        Code::WebhookWithoutBody,
                        at.clone(),
                        format!("webhook `{}` declares no JSON request body; its payload is kept as raw JSON", wh.key),
                    ));
                    (TypeRef::Json, Vec::new())
                }
            };
            let headers = header_params(doc, &op);
            hooks.push(Hook {
                declared,
                key: wh.key.clone(),
                pointer: at,
                op,
                payload,
                examples,
                headers,
            });
        }
    }
    hooks
}

fn header_params(doc: &Document, op: &Operation) -> Vec<HeaderParam> {
    op.parameters
        .iter()
        .filter_map(|p| {
            let v = serde_json::to_value(p).ok()?;
            let v = resolve_local(&doc.root, &v)?.clone();
            if v.get("in")? != "header" {
                return None;
            }
            let schema = v.get("schema").and_then(|s| resolve_local(&doc.root, s));
            let text = |v: &Value| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            let values = schema
                .and_then(|s| s.get("enum"))
                .and_then(Value::as_array)
                .map(|all| all.iter().filter_map(text).collect())
                .unwrap_or_default();
            let example = v
                .get("example")
                .or_else(|| schema.and_then(|s| s.get("example")))
                .and_then(text);
            Some(HeaderParam {
                name: v.get("name")?.as_str()?.to_string(),
                values,
                example,
            })
        })
        .collect()
}

/// A webhook's request body schema, where it stands, where its definition is, and the media
/// type's examples.
struct Payload {
    schema: ReferenceOr<Schema>,
    /// Pointer of the `schema` keyword (the `$ref` itself when it is one).
    site: String,
    /// Pointer of the schema's definition (the `$ref`'s target when it is one).
    target: String,
    examples: Vec<Example>,
    /// The body is `application/x-www-form-urlencoded` (Twilio), not JSON.
    form: bool,
}

fn payload_schema(doc: &Document, op: &Operation, at: &str) -> Option<Payload> {
    let (body, body_at): (RequestBody, String) = match op.request_body.as_ref()? {
        ReferenceOr::Item(b) => (b.clone(), format!("{at}/requestBody")),
        ReferenceOr::Reference { reference } => {
            let ptr = reference.strip_prefix('#')?.to_string();
            (
                serde_json::from_value(doc.root.pointer(&ptr)?.clone()).ok()?,
                ptr,
            )
        }
    };
    let (media_type, media) = body
        .content
        .iter()
        .find(|(k, _)| k.contains("json"))
        .or_else(|| body.content.first())?;
    let schema = media.schema.clone()?;
    let media_at = format!("{body_at}/content/{}", escape_segment(media_type));
    let mut examples = Vec::new();
    if let Some(v) = &media.example {
        examples.push(Example {
            pointer: format!("{media_at}/example"),
            value: v.clone(),
        });
    }
    for (name, ex) in &media.examples {
        let value = match ex {
            ReferenceOr::Item(e) => e.value.clone(),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix('#')
                .and_then(|p| doc.root.pointer(p))
                .and_then(|e| e.get("value"))
                .cloned(),
        };
        if let Some(value) = value {
            examples.push(Example {
                pointer: format!("{media_at}/examples/{}/value", escape_segment(name)),
                value,
            });
        }
    }
    let site = format!("{media_at}/schema");
    let target = match &schema {
        ReferenceOr::Reference { reference } => reference.trim_start_matches('#').to_string(),
        ReferenceOr::Item(_) => site.clone(),
    };
    Some(Payload {
        schema,
        site,
        target,
        examples,
        form: media_type.as_str() == "application/x-www-form-urlencoded",
    })
}

/// Examples on the payload schema itself (`example`, and every entry of 3.1 `examples`).
fn schema_examples(doc: &Document, schema_at: &str) -> Vec<Example> {
    let Some(raw) = doc.root.pointer(schema_at) else {
        return vec![];
    };
    if let Some(Value::Array(all)) = raw.get(EXAMPLES_EXTENSION) {
        return all
            .iter()
            .enumerate()
            .map(|(i, v)| Example {
                pointer: format!("{schema_at}/examples/{i}"),
                value: v.clone(),
            })
            .collect();
    }
    raw.get("example")
        .map(|v| {
            vec![Example {
                pointer: format!("{schema_at}/example"),
                value: v.clone(),
            }]
        })
        .unwrap_or_default()
}

fn union_variants(
    ty: &TypeRef,
    tb: &TypeBuilder<'_>,
) -> Vec<(Option<String>, Option<String>, TypeRef)> {
    match ty {
        TypeRef::Named(id) => match &tb.space.types[*id].kind {
            TypeKind::Tagged { variants, property } => variants
                .iter()
                .map(|v| (Some(property.clone()), v.tag.clone(), v.ty.clone()))
                .collect(),
            TypeKind::Untagged { variants } => variants
                .iter()
                .map(|v| (None, None, v.ty.clone()))
                .collect(),
            TypeKind::Alias(inner) => union_variants(inner, tb),
            _ => vec![],
        },
        _ => vec![],
    }
}

/// The values a payload type gives a body part; a tagged union's variant has its tag.
fn body_values(
    tb: &TypeBuilder<'_>,
    ty: &TypeRef,
    pointer: &str,
    tag: Option<(&str, &str)>,
) -> Option<Vec<String>> {
    match values_at(tb, ty, pointer) {
        Some(values) if !values.is_empty() => Some(values),
        found => match tag {
            Some((property, value)) if pointer == format!("/{}", escape_segment(property)) => {
                Some(vec![value.to_string()])
            }
            _ => found,
        },
    }
}

/// (event name, payload type, identity values) for each event a webhook carries.
fn identities(
    hook: &Hook,
    shape: &HookShape<'_>,
    parts: &[PartChoice],
    tb: &TypeBuilder<'_>,
) -> Vec<(String, TypeRef, Vec<Option<String>>)> {
    let has_body_part = parts
        .iter()
        .any(|p| matches!(p.part, IdentityPart::Body(_)));
    // A union of event shapes: one event per variant that the body parts name.
    let variants = union_variants(&hook.payload, tb);
    if has_body_part && !variants.is_empty() {
        let named: Vec<_> = variants
            .iter()
            .flat_map(|(property, tag, ty)| {
                let tag = property.as_deref().zip(tag.as_deref());
                expand(hook, shape, parts, tb, ty, tag, true)
            })
            .collect();
        // Variants that come out as the same event are that one event, with the whole union
        // as its payload.
        let mut names: Vec<&String> = named.iter().map(|(n, _, _)| n).collect();
        names.sort();
        names.dedup();
        if names.len() == 1 && named.len() > 1 {
            let (name, _, values) = named[0].clone();
            return vec![(name, hook.payload.clone(), values)];
        }
        if !named.is_empty() && names.len() == named.len() {
            return named;
        }
    }
    expand(hook, shape, parts, tb, &hook.payload, None, false)
}

/// One payload type's events: one per value where a body part lists several values that do
/// not name the webhook (an enum shared by many events), else the webhook's one event.
fn expand(
    hook: &Hook,
    shape: &HookShape<'_>,
    parts: &[PartChoice],
    tb: &TypeBuilder<'_>,
    ty: &TypeRef,
    tag: Option<(&str, &str)>,
    variant_only: bool,
) -> Vec<(String, TypeRef, Vec<Option<String>>)> {
    let mut values: Vec<Option<String>> = vec![None; parts.len()];
    let mut spread: Option<(usize, Vec<String>)> = None;
    let mut naming: Option<String> = None;
    for (i, choice) in parts.iter().enumerate() {
        let IdentityPart::Body(pointer) = &choice.part else {
            continue;
        };
        match body_values(tb, ty, pointer, tag) {
            // The payload names its type without listing the values: where that field is the
            // whole identity, the webhook key is what vendors put there (Clerk, Svix); as one
            // part of several it is left open (GitHub's free-form `repository_dispatch` action).
            Some(found) if found.is_empty() && parts.len() == 1 => {
                values[i] = Some(readable_key(hook));
            }
            Some(found) if found.is_empty() => {}
            Some(found) => match found.iter().find(|v| identity::names_key(v, &hook.key)) {
                Some(named) => {
                    values[i] = Some(named.clone());
                    naming = Some(named.clone());
                }
                None if found.len() == 1 => values[i] = Some(found[0].clone()),
                None if spread.is_none() => spread = Some((i, found)),
                None => {}
            },
            None => {}
        }
    }
    let body = values.clone();
    for (i, choice) in parts.iter().enumerate() {
        if matches!(choice.part, IdentityPart::Header(_)) {
            values[i] = identity::header_value(choice, shape, &body);
        }
    }
    match spread {
        Some((i, all)) => all
            .into_iter()
            .map(|v| {
                let mut vs = values.clone();
                vs[i] = Some(v.clone());
                (v, ty.clone(), vs)
            })
            .collect(),
        None if variant_only && body.iter().all(Option::is_none) => vec![],
        None => {
            // A variant's own value names it; a webhook's key names its one event.
            // With one body part, the event is what the payload calls it; with several parts
            // (a header and a body field), the webhook key names the whole.
            let name = match (parts.len(), single_body_value(parts, &values), naming) {
                (1, Some(v), _) => v,
                (_, _, Some(named)) if readable_key(hook) != hook.key => named,
                _ => readable_key(hook),
            };
            vec![(name, ty.clone(), values)]
        }
    }
}

fn single_body_value(parts: &[PartChoice], values: &[Option<String>]) -> Option<String> {
    let body: Vec<&String> = parts
        .iter()
        .zip(values)
        .filter(|(p, _)| matches!(p.part, IdentityPart::Body(_)))
        .filter_map(|(_, v)| v.as_ref())
        .collect();
    match body.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// The webhook key, or for a callback keyed by an expression, its operation id.
fn readable_key(hook: &Hook) -> String {
    if hook.key.starts_with('{') || hook.key.contains('/') {
        hook.op
            .operation_id
            .clone()
            .unwrap_or_else(|| name_from_pointer(&hook.key))
    } else {
        hook.key.clone()
    }
}

/// The webhook's examples that carry this event's body values (all, where it has none).
fn examples_for(hook: &Hook, parts: &[PartChoice], values: &[Option<String>]) -> Vec<Example> {
    hook.examples
        .iter()
        .filter(|ex| {
            let json = serde_json::to_vec(&ex.value).unwrap_or_default();
            parts.iter().zip(values).all(|(p, v)| match (&p.part, v) {
                (IdentityPart::Body(pointer), Some(v)) => {
                    matches!(
                        hookgen_runtime::identity::read_pointer(&json, pointer),
                        Ok(Some(found)) if found == *v
                    )
                }
                _ => true,
            })
        })
        .cloned()
        .collect()
}
