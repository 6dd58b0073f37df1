//! Events: one per event type the vendor sends, named by the value in the payload.

use openapiv3::{Operation, ReferenceOr, RequestBody, Schema};
use serde_json::Value;

use super::names::{type_name, NameScope};
use super::types::{name_from_pointer, TypeBuilder};
use super::{Declared, Event, Example, Outcome, TypeKind, TypeRef};
use crate::diag::{escape_segment, Diagnostic};
use crate::load::{resolve_local, Document, WebhookOrigin};
use crate::normalize::EXAMPLES_EXTENSION;

/// Fields vendors use for the event type, in order of preference.
const TYPE_FIELDS: &[&str] = &["type", "event", "eventType", "event_type", "kind", "topic"];

pub(super) struct EventsOutcome {
    pub events: Vec<Event>,
    pub type_field: Option<String>,
    pub coverage: Vec<Declared>,
    /// Some webhook posts a form body rather than JSON.
    pub form_payloads: bool,
}

/// Methods a webhook may be declared with (vendors POST, but the spec may say otherwise).
const HOOK_METHODS: &[&str] = &[
    "post", "put", "patch", "get", "delete", "options", "head", "trace",
];

/// One webhook operation with its payload type resolved.
struct Hook {
    /// Index into the coverage list.
    declared: usize,
    key: String,
    pointer: String,
    op: Operation,
    payload: TypeRef,
    examples: Vec<Example>,
    headers: Vec<String>,
}

pub(super) fn build_events(doc: &Document, tb: &mut TypeBuilder<'_>) -> EventsOutcome {
    let mut coverage = Vec::new();
    let mut form_payloads = false;
    let hooks = collect_hooks(doc, tb, &mut coverage, &mut form_payloads);
    let type_field = doc
        .config
        .event_type_field
        .clone()
        .or_else(|| detect_type_field(&hooks, tb));
    let mut events: Vec<Event> = Vec::new();
    let mut variants = NameScope::default();
    variants.reserve("Unknown");
    for hook in hooks {
        let mut names = Vec::new();
        for (name, payload, in_payload) in identities(&hook, type_field.as_deref(), tb) {
            names.push(name.clone());
            if let Some(existing) = events.iter().find(|e| e.name == name) {
                if existing.payload != payload {
                    tb.diags.push(Diagnostic::warning(
                        "duplicate-event",
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
                    "name-collision",
                    hook.pointer.clone(),
                    format!("event `{name}` maps to a variant name already used; it is named `{variant}`"),
                ));
            }
            let examples = examples_for(&hook, &name, type_field.as_deref(), in_payload);
            events.push(Event {
                name,
                name_in_payload: in_payload,
                variant,
                payload,
                summary: hook.op.summary.clone(),
                description: hook.op.description.clone(),
                deprecated: hook.op.deprecated,
                webhook_key: hook.key.clone(),
                pointer: hook.pointer.clone(),
                headers: hook.headers.clone(),
                examples,
                links: Vec::new(),
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
    EventsOutcome {
        events,
        type_field,
        coverage,
        form_payloads,
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
            if !HOOK_METHODS.contains(&method.as_str()) {
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
                        "webhook-without-body",
                        at.clone(),
                        format!("webhook `{}` declares no JSON request body; its payload is kept as raw JSON", wh.key),
                    ));
                    (TypeRef::Json, Vec::new())
                }
            };
            let headers = header_names(doc, &op);
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

fn header_names(doc: &Document, op: &Operation) -> Vec<String> {
    op.parameters
        .iter()
        .filter_map(|p| {
            let v = serde_json::to_value(p).ok()?;
            let v = resolve_local(&doc.root, &v)?.clone();
            (v.get("in")? == "header")
                .then(|| v.get("name")?.as_str().map(str::to_string))
                .flatten()
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

/// The payload field naming the event type. The candidate whose values name the most webhooks
/// (a field whose enum holds the webhook's key) wins; without such evidence, the first
/// candidate that some payload declares. So `type: [CHECKING, SAVINGS]` beside
/// `event_type: [account.created]` does not pass for the event type.
fn detect_type_field(hooks: &[Hook], tb: &TypeBuilder<'_>) -> Option<String> {
    let names_a_hook = |candidate: &str, h: &Hook| {
        let mut values = tb.enum_values(&h.payload, candidate);
        for (tag, ty) in union_variants(&h.payload, tb) {
            values.extend(tb.enum_values(&ty, candidate));
            values.extend(tag);
        }
        values.contains(&h.key)
    };
    let best = TYPE_FIELDS
        .iter()
        .map(|c| (hooks.iter().filter(|h| names_a_hook(c, h)).count(), *c))
        .filter(|(score, _)| *score > 0)
        // The highest score; among equals, the earlier candidate.
        .fold(None, |best: Option<(usize, &str)>, (score, c)| match best {
            Some((s, _)) if s >= score => best,
            _ => Some((score, c)),
        });
    if let Some((_, field)) = best {
        return Some(field.to_string());
    }
    TYPE_FIELDS
        .iter()
        .find(|candidate| {
            hooks.iter().any(|h| {
                let direct = tb
                    .space
                    .fields_of(&h.payload)
                    .iter()
                    .any(|f| f.wire == **candidate);
                let via_union = union_variants(&h.payload, tb)
                    .iter()
                    .any(|(_, ty)| tb.space.fields_of(ty).iter().any(|f| f.wire == **candidate));
                direct || via_union
            })
        })
        .map(|s| s.to_string())
}

fn union_variants(ty: &TypeRef, tb: &TypeBuilder<'_>) -> Vec<(Option<String>, TypeRef)> {
    match ty {
        TypeRef::Named(id) => match &tb.space.types[*id].kind {
            TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => variants
                .iter()
                .map(|v| (v.tag.clone(), v.ty.clone()))
                .collect(),
            TypeKind::Alias(inner) => union_variants(inner, tb),
            _ => vec![],
        },
        _ => vec![],
    }
}

/// (event name, payload type, name comes from the payload) for each event a webhook carries.
fn identities(
    hook: &Hook,
    type_field: Option<&str>,
    tb: &TypeBuilder<'_>,
) -> Vec<(String, TypeRef, bool)> {
    let Some(field) = type_field else {
        return vec![(hook.key.clone(), hook.payload.clone(), false)];
    };
    // A union of event shapes: one event per variant.
    let variants = union_variants(&hook.payload, tb);
    if !variants.is_empty() {
        let named: Vec<_> = variants
            .iter()
            .filter_map(|(tag, ty)| {
                let values = tb.enum_values(ty, field);
                let values = if values.is_empty() {
                    tag.iter().cloned().collect()
                } else {
                    values
                };
                (!values.is_empty()).then(|| {
                    values
                        .into_iter()
                        .map(|v| (v, ty.clone(), true))
                        .collect::<Vec<_>>()
                })
            })
            .flatten()
            .collect();
        if !named.is_empty() {
            return named;
        }
    }
    let values = tb.enum_values(&hook.payload, field);
    if values.contains(&hook.key) {
        // One enum shared by every webhook (Paddle): the webhook's key says which event it is.
        return vec![(hook.key.clone(), hook.payload.clone(), true)];
    }
    if !values.is_empty() {
        return values
            .into_iter()
            .map(|v| (v, hook.payload.clone(), true))
            .collect();
    }
    let has_field = tb
        .space
        .fields_of(&hook.payload)
        .iter()
        .any(|f| f.wire == field);
    // The payload names its type but does not list the values: the webhook key is the best name,
    // and it is what vendors put in the field (Clerk, Svix).
    let key = if hook.key.starts_with('{') || hook.key.contains('/') {
        hook.op
            .operation_id
            .clone()
            .unwrap_or_else(|| name_from_pointer(&hook.key))
    } else {
        hook.key.clone()
    };
    vec![(key, hook.payload.clone(), has_field)]
}

fn examples_for(
    hook: &Hook,
    name: &str,
    type_field: Option<&str>,
    in_payload: bool,
) -> Vec<Example> {
    hook.examples
        .iter()
        .filter(|ex| match (type_field, in_payload) {
            (Some(f), true) => ex.value.get(f).and_then(Value::as_str) == Some(name),
            _ => true,
        })
        .cloned()
        .collect()
}
