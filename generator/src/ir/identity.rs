//! Event identity: where a delivery names its event, read from the spec.
//!
//! One mechanism for every vendor. The parts are declared (`identity` in `hookgen.toml`,
//! `x-webhook-identity` at the document root) or inferred from what the spec shows:
//! - a body field, at any depth, whose `enum`/`const` names each webhook (Paddle's `event_type`,
//!   Adyen's `notificationItems/0/NotificationRequestItem/eventCode`), or a type-named field
//!   (`event_type`, `type`, ...) whose values are the events (Dropbox Sign's `event/event_type`);
//! - a header whose `enum`/`const`/`example` differs per webhook;
//! - a header named for the event (`X-GitHub-Event`) declared by every webhook, whose value the
//!   webhook keys show, joined with a body field that names the rest of the key (`action`):
//!   `issues-opened` is the header `issues` with the action `opened`.

use super::model::{IdentityPart, TypeKind, TypeRef};
use crate::pointer::{escape_segment, split_pointer};

use super::types::TypeBuilder;

/// Fields vendors use for the event type, in order of preference.
pub(super) const TYPE_FIELDS: &[&str] =
    &["type", "event", "eventType", "event_type", "kind", "topic"];

/// The extension at the document root that declares the identity (a list like hookgen.toml's).
pub const IDENTITY_EXTENSION: &str = "x-webhook-identity";

/// A header a webhook declares, with the values the spec gives it.
#[derive(Debug, Clone)]
pub(super) struct HeaderParam {
    pub name: String,
    /// `enum` or `const` values.
    pub values: Vec<String>,
    pub example: Option<String>,
}

/// What identity inference reads of one webhook.
pub(super) struct HookShape<'a> {
    pub key: &'a str,
    pub operation_id: Option<&'a str>,
    pub payload: &'a TypeRef,
    pub headers: &'a [HeaderParam],
}

/// One identity part and whether its values come from the webhook keys (compared loosely).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PartChoice {
    pub part: IdentityPart,
    pub loose: bool,
}

/// Parse a declared part: `header:X-GitHub-Event`, `body:/event/event_type` (a JSON pointer;
/// a form body's field is `body:/Name`).
pub fn parse_part(text: &str) -> Result<IdentityPart, String> {
    match text.split_once(':') {
        Some(("header", name)) if !name.trim().is_empty() => {
            Ok(IdentityPart::Header(name.trim().to_string()))
        }
        Some(("body", pointer)) if pointer.starts_with('/') => {
            Ok(IdentityPart::Body(pointer.to_string()))
        }
        _ => Err(format!(
            "identity part `{text}`: expected `header:NAME` or `body:/json/pointer`"
        )),
    }
}

/// Values of a string field at a pointer of a payload type: `None` when the type has no such
/// field, `Some([])` when it has it without listing values. `0` steps into array items.
pub(super) fn values_at(tb: &TypeBuilder<'_>, ty: &TypeRef, pointer: &str) -> Option<Vec<String>> {
    let segments = split_pointer(pointer);
    let mut ty = ty.clone();
    for (i, segment) in segments.iter().enumerate() {
        ty = resolve_alias(tb, &ty);
        if let TypeRef::Vec(inner) = &ty {
            if segment.parse::<usize>().is_ok() {
                ty = (**inner).clone();
                continue;
            }
            return None;
        }
        let field = tb
            .space
            .fields_of(&ty)
            .iter()
            .find(|f| &f.wire == segment)?;
        if i + 1 == segments.len() {
            return string_values(tb, &field.ty);
        }
        ty = field.ty.clone();
    }
    None
}

fn resolve_alias(tb: &TypeBuilder<'_>, ty: &TypeRef) -> TypeRef {
    let mut ty = ty.clone();
    for _ in 0..16 {
        match &ty {
            TypeRef::Named(id) => match &tb.space.types[*id].kind {
                TypeKind::Alias(inner) => ty = inner.clone(),
                _ => break,
            },
            _ => break,
        }
    }
    ty
}

/// `Some(values)` for a string enum, `Some([])` for a plain string, `None` for other types.
fn string_values(tb: &TypeBuilder<'_>, ty: &TypeRef) -> Option<Vec<String>> {
    match resolve_alias(tb, ty) {
        TypeRef::String => Some(vec![]),
        TypeRef::Named(id) => match &tb.space.types[id].kind {
            TypeKind::StringEnum { values } => {
                Some(values.iter().map(|v| v.wire.clone()).collect())
            }
            _ => None,
        },
        _ => None,
    }
}

/// Every string field of a payload down to a few levels (arrays through their first item),
/// with the values it lists; union payloads through each variant.
fn string_fields(tb: &TypeBuilder<'_>, ty: &TypeRef) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    walk(tb, ty, String::new(), 0, &mut seen, &mut out);
    out
}

const MAX_IDENTITY_DEPTH: usize = 5;

fn walk(
    tb: &TypeBuilder<'_>,
    ty: &TypeRef,
    prefix: String,
    depth: usize,
    seen: &mut Vec<usize>,
    out: &mut Vec<(String, Vec<String>)>,
) {
    if depth > MAX_IDENTITY_DEPTH {
        return;
    }
    match resolve_alias(tb, ty) {
        TypeRef::Vec(inner) => walk(tb, &inner, format!("{prefix}/0"), depth + 1, seen, out),
        TypeRef::Named(id) => {
            if seen.contains(&id) {
                return;
            }
            seen.push(id);
            match &tb.space.types[id].kind {
                TypeKind::Struct { fields, .. } => {
                    for f in fields {
                        let at = format!("{prefix}/{}", escape_segment(&f.wire));
                        match string_values(tb, &f.ty) {
                            Some(values) => out.push((at, values)),
                            None => walk(tb, &f.ty, at, depth + 1, seen, out),
                        }
                    }
                }
                TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => {
                    for v in variants {
                        walk(tb, &v.ty, prefix.clone(), depth, seen, out);
                    }
                }
                _ => {}
            }
            seen.pop();
        }
        _ => {}
    }
}

/// Words of a name, for comparing webhook keys with values (`issues-opened` → issues, opened).
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(['_', '-', '.', '/', ' ', ':'])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The value names the webhook (`CAPTURE` for `/CAPTURE`, `transaction.completed`).
pub(super) fn names_key(value: &str, key: &str) -> bool {
    let v = words(value);
    !v.is_empty() && v == words(key)
}

/// The value names the end of the webhook key (`opened` for `issues-opened`).
fn ends_key(value: &str, key: &str) -> bool {
    let (v, k) = (words(value), words(key));
    !v.is_empty() && k.len() > v.len() && k.ends_with(&v)
}

/// Infer the identity parts from the webhooks' shapes.
pub(super) fn infer(hooks: &[HookShape<'_>], tb: &TypeBuilder<'_>) -> Vec<PartChoice> {
    let fields: Vec<Vec<(String, Vec<String>)>> =
        hooks.iter().map(|h| string_fields(tb, h.payload)).collect();
    let body = |pointer: &str| PartChoice {
        part: IdentityPart::Body(pointer.to_string()),
        loose: false,
    };
    let mut parts = Vec::new();
    if let Some(pointer) = naming_field(hooks, &fields) {
        parts.push(body(&pointer));
    } else if let (Some(pointer), Some(header)) =
        (suffix_field(hooks, &fields), event_header(hooks, true))
    {
        return vec![header, body(&pointer)];
    } else if let Some(pointer) = type_named_field(&fields) {
        parts.push(body(&pointer));
    }
    if hooks.len() > 1 && !separates(hooks, tb, &parts) {
        if let Some(header) = event_header(hooks, parts.is_empty()) {
            parts.insert(0, header);
        }
    }
    parts
}

/// A body field whose values name the webhook keys: the most webhooks named, then the
/// shallowest, then the preferred name. At the top level one named webhook is evidence;
/// deeper, at least half of them must be named.
fn naming_field(hooks: &[HookShape<'_>], fields: &[Vec<(String, Vec<String>)>]) -> Option<String> {
    let mut scores: Vec<(String, usize)> = Vec::new();
    for (hook, fields) in hooks.iter().zip(fields) {
        for (pointer, values) in fields {
            if values.iter().any(|v| names_key(v, hook.key)) {
                match scores.iter_mut().find(|(p, _)| p == pointer) {
                    Some((_, n)) => *n += 1,
                    None => scores.push((pointer.clone(), 1)),
                }
            }
        }
    }
    scores
        .into_iter()
        .filter(|(p, n)| {
            let top_level_type_field =
                split_pointer(p).len() == 1 && TYPE_FIELDS.contains(&split_pointer(p)[0].as_str());
            top_level_type_field || *n * 2 >= hooks.len()
        })
        .min_by_key(|(p, n)| (usize::MAX - n, depth(p), type_field_rank(p), p.clone()))
        .map(|(p, _)| p)
}

/// A body field with one value per webhook that names the end of its key (GitHub's `action`),
/// on at least half of the webhooks that have it, and a third of all webhooks.
fn suffix_field(hooks: &[HookShape<'_>], fields: &[Vec<(String, Vec<String>)>]) -> Option<String> {
    let mut scores: Vec<(String, usize, usize)> = Vec::new();
    for (hook, fields) in hooks.iter().zip(fields) {
        for (pointer, values) in fields {
            let hit = matches!(values.as_slice(), [one] if ends_key(one, hook.key));
            match scores.iter_mut().find(|(p, _, _)| p == pointer) {
                Some((_, n, seen)) => {
                    *n += usize::from(hit);
                    *seen += 1;
                }
                None => scores.push((pointer.clone(), usize::from(hit), 1)),
            }
        }
    }
    scores
        .into_iter()
        .filter(|(_, n, seen)| *n * 2 >= *seen && *n * 3 >= hooks.len() && *n >= 2)
        .min_by_key(|(p, n, _)| (usize::MAX - n, depth(p), p.clone()))
        .map(|(p, _, _)| p)
}

/// A string field named like an event type (`event_type`, `type`, ...), preferring one that
/// lists values, then the shallowest, then the preferred name.
fn type_named_field(fields: &[Vec<(String, Vec<String>)>]) -> Option<String> {
    fields
        .iter()
        .flatten()
        .filter(|(p, _)| {
            split_pointer(p)
                .last()
                .is_some_and(|last| TYPE_FIELDS.contains(&last.as_str()))
        })
        .filter(|(p, values)| depth(p) == 1 || !values.is_empty())
        .min_by_key(|(p, values)| (values.is_empty(), depth(p), type_field_rank(p), p.clone()))
        .map(|(p, _)| p.clone())
}

/// A header that tells webhooks apart: one whose declared values or examples differ per
/// webhook; else (when `from_keys`) one named for the event (`...Event`, `...Topic`) that every
/// webhook declares, its values read from the webhook keys.
fn event_header(hooks: &[HookShape<'_>], from_keys: bool) -> Option<PartChoice> {
    let mut names: Vec<String> = Vec::new();
    for h in hooks {
        for p in h.headers {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(&p.name)) {
                names.push(p.name.clone());
            }
        }
    }
    let declared_by = |name: &str| -> Vec<&HeaderParam> {
        hooks
            .iter()
            .filter_map(|h| h.headers.iter().find(|p| p.name.eq_ignore_ascii_case(name)))
            .collect()
    };
    for name in &names {
        let params = declared_by(name);
        let distinct = |values: Vec<&str>| {
            let mut v = values;
            v.sort();
            v.dedup();
            v.len()
        };
        let declared = distinct(
            params
                .iter()
                .flat_map(|p| p.values.iter().map(String::as_str))
                .collect(),
        );
        let examples = distinct(params.iter().filter_map(|p| p.example.as_deref()).collect());
        let every_one_has_example = params
            .iter()
            .all(|p| p.example.is_some() || !p.values.is_empty());
        // Examples count only where they look written per webhook (mostly distinct), not
        // one placeholder copied everywhere (GitHub's `X-Github-Event: issues`).
        let per_webhook_examples = examples >= 2 && examples * 2 >= params.len();
        if params.len() * 2 >= hooks.len()
            && (declared >= 2 || (per_webhook_examples && every_one_has_example))
        {
            return Some(PartChoice {
                part: IdentityPart::Header(name.clone()),
                loose: false,
            });
        }
    }
    if !from_keys {
        return None;
    }
    names
        .iter()
        .find(|name| {
            let lower = name.to_ascii_lowercase();
            (lower.ends_with("event") || lower.ends_with("topic"))
                && declared_by(name).len() == hooks.len()
                && hooks.len() > 1
        })
        .map(|name| PartChoice {
            part: IdentityPart::Header(name.clone()),
            loose: true,
        })
}

/// Whether the body parts alone give every webhook its own values.
fn separates(hooks: &[HookShape<'_>], tb: &TypeBuilder<'_>, parts: &[PartChoice]) -> bool {
    if parts.is_empty() {
        return false;
    }
    let mut seen: Vec<Vec<Option<Vec<String>>>> = Vec::new();
    for h in hooks {
        let values: Vec<Option<Vec<String>>> = parts
            .iter()
            .map(|p| match &p.part {
                IdentityPart::Body(ptr) => values_at(tb, h.payload, ptr).map(|values| match values
                    .iter()
                    .find(|v| names_key(v, h.key))
                {
                    Some(named) => vec![named.clone()],
                    None if values.is_empty() => vec![h.key.to_string()],
                    None => values,
                }),
                IdentityPart::Header(_) => None,
            })
            .collect();
        if seen.contains(&values) {
            return false;
        }
        seen.push(values);
    }
    true
}

fn depth(pointer: &str) -> usize {
    split_pointer(pointer).len()
}

fn type_field_rank(pointer: &str) -> usize {
    let last = split_pointer(pointer).pop().unwrap_or_default();
    TYPE_FIELDS
        .iter()
        .position(|f| *f == last)
        .unwrap_or(TYPE_FIELDS.len())
}

/// A header part's value for one webhook: its declared value, else its example, else (for a
/// part read from the keys) the key without the other parts' values at its end.
pub(super) fn header_value(
    choice: &PartChoice,
    hook: &HookShape<'_>,
    body_values: &[Option<String>],
) -> Option<String> {
    let IdentityPart::Header(name) = &choice.part else {
        return None;
    };
    if choice.loose {
        return Some(key_remainder(hook, body_values));
    }
    let param = hook
        .headers
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))?;
    match param.values.as_slice() {
        [one] => Some(one.clone()),
        _ => param.example.clone(),
    }
}

/// What the webhook key says beyond the body values: the key without the values at its end
/// (`issues-opened` less `opened`); where the key does not end with them, the operation id's
/// part before its `/` (`repository-dispatch/sample.collected`); else the whole key.
fn key_remainder(hook: &HookShape<'_>, body_values: &[Option<String>]) -> String {
    let present: Vec<&String> = body_values.iter().flatten().collect();
    for key in std::iter::once(hook.key).chain(hook.operation_id) {
        let mut words = words(key);
        let mut stripped = !present.is_empty();
        for v in &present {
            let w = self::words(v);
            if words.ends_with(&w) && words.len() > w.len() {
                words.truncate(words.len() - w.len());
            } else {
                stripped = false;
            }
        }
        if stripped {
            return words.join("-");
        }
    }
    if let Some((head, _)) = hook.operation_id.and_then(|id| id.split_once('/')) {
        return words(head).join("-");
    }
    words(hook.key).join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_compare_keys_and_values() {
        assert!(names_key("CAPTURE", "/CAPTURE"));
        assert!(names_key("transaction.completed", "transaction.completed"));
        assert!(!names_key("created", "issues-created"));
        assert!(ends_key(
            "closed_by_user",
            "code-scanning-alert-closed-by-user"
        ));
        assert!(!ends_key("opened", "opened"));
    }

    #[test]
    fn parts_parse_or_say_why() {
        assert_eq!(
            parse_part("header:X-GitHub-Event").unwrap(),
            IdentityPart::Header("X-GitHub-Event".into())
        );
        assert_eq!(
            parse_part("body:/event/event_type").unwrap(),
            IdentityPart::Body("/event/event_type".into())
        );
        assert!(parse_part("cookie:x").is_err());
        assert!(parse_part("body:event").is_err());
    }
}
