//! Repair: bring every part of the document that the typed `openapiv3` model reads into the
//! shape that model needs, one field at a time, before anything deserialises it.
//!
//! Real specs are imperfect, and a strict model turns one bad field into a lost operation. Here
//! the rule is the other way round: **a defect costs the part it is in, never more.** A field of
//! the wrong shape (a `description` that is a map, an `externalDocs` without `url`) is dropped;
//! a field the model requires but the SDK can do without (a response's `description`) is filled
//! in; a part that cannot stand (a parameter without a name) is dropped from its list. Each loss
//! is a warning that names it. A `$ref` standing where the model takes no reference (a media
//! type, a whole `content` map) or pointing into a section the model does not know
//! (`components/mediaTypes`, vendor extensions) is inlined.
//!
//! The walk is driven by one table, [`fields`]: for each kind of OpenAPI object, the fields the
//! model reads and the shape each must have. Schemas are checked against the model itself and
//! repaired keyword by keyword only when they do not parse ([`schema`]).

use openapiv3::{ReferenceOr, Schema};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::pointer::push_segment;

/// The kinds of OpenAPI objects that the typed model reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Root,
    Components,
    PathItem,
    Operation,
    Responses,
    Response,
    RequestBody,
    Parameter,
    Header,
    Content,
    MediaType,
    Encoding,
    Example,
    Link,
    Callback,
    ExternalDocs,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Root => "document",
            Kind::Components => "components",
            Kind::PathItem => "path item",
            Kind::Operation => "operation",
            Kind::Responses => "responses",
            Kind::Response => "response",
            Kind::RequestBody => "request body",
            Kind::Parameter => "parameter",
            Kind::Header => "header",
            Kind::Content => "content map",
            Kind::MediaType => "media type",
            Kind::Encoding => "encoding",
            Kind::Example => "example",
            Kind::Link => "link",
            Kind::Callback => "callback",
            Kind::ExternalDocs => "externalDocs",
        }
    }
}

/// The shape a field must have.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Text,
    Flag,
    /// Any JSON value (examples, defaults, vendor data).
    Any,
    Schema,
    /// An object of this kind; a `$ref` here is inlined (the model takes no reference).
    Part(Kind),
    /// An object of this kind or a `$ref` into the matching `components` section.
    RefOr(Kind),
    List(&'static Slot),
    Map(&'static Slot),
}

const TEXTS: Slot = Slot::List(&Slot::Text);
const PARAMETERS: Slot = Slot::List(&Slot::RefOr(Kind::Parameter));
const HEADERS: Slot = Slot::Map(&Slot::RefOr(Kind::Header));
const EXAMPLES: Slot = Slot::Map(&Slot::RefOr(Kind::Example));
const SECURITY: Slot = Slot::List(&Slot::Map(&TEXTS));
const OPERATION: Slot = Slot::Part(Kind::Operation);
const EXTERNAL_DOCS: Slot = Slot::Part(Kind::ExternalDocs);

/// The fields of each kind that the model reads, with their shapes.
fn fields(kind: Kind) -> &'static [(&'static str, Slot)] {
    match kind {
        Kind::Root => &[
            ("paths", Slot::Map(&Slot::RefOr(Kind::PathItem))),
            ("webhooks", Slot::Map(&Slot::RefOr(Kind::PathItem))),
            ("components", Slot::Part(Kind::Components)),
            ("externalDocs", EXTERNAL_DOCS),
            ("security", SECURITY),
        ],
        Kind::Components => &[
            ("responses", Slot::Map(&Slot::RefOr(Kind::Response))),
            ("parameters", Slot::Map(&Slot::RefOr(Kind::Parameter))),
            ("requestBodies", Slot::Map(&Slot::RefOr(Kind::RequestBody))),
            ("headers", HEADERS),
            ("examples", EXAMPLES),
            ("links", Slot::Map(&Slot::RefOr(Kind::Link))),
            ("callbacks", Slot::Map(&Slot::RefOr(Kind::Callback))),
            ("pathItems", Slot::Map(&Slot::RefOr(Kind::PathItem))),
            // OpenAPI 3.2's reusable media types (also seen in 3.0/3.1 specs).
            ("mediaTypes", Slot::Map(&Slot::Part(Kind::MediaType))),
        ],
        Kind::PathItem => &[
            ("summary", Slot::Text),
            ("description", Slot::Text),
            ("parameters", PARAMETERS),
            ("get", OPERATION),
            ("put", OPERATION),
            ("post", OPERATION),
            ("delete", OPERATION),
            ("options", OPERATION),
            ("head", OPERATION),
            ("patch", OPERATION),
            ("trace", OPERATION),
        ],
        Kind::Operation => &[
            ("summary", Slot::Text),
            ("description", Slot::Text),
            ("operationId", Slot::Text),
            ("tags", TEXTS),
            ("externalDocs", EXTERNAL_DOCS),
            ("parameters", PARAMETERS),
            ("requestBody", Slot::RefOr(Kind::RequestBody)),
            ("responses", Slot::Part(Kind::Responses)),
            ("callbacks", Slot::Map(&Slot::RefOr(Kind::Callback))),
            ("deprecated", Slot::Flag),
            ("security", SECURITY),
        ],
        Kind::Response => &[
            ("description", Slot::Text),
            ("headers", HEADERS),
            ("content", Slot::Part(Kind::Content)),
            ("links", Slot::Map(&Slot::RefOr(Kind::Link))),
        ],
        Kind::RequestBody => &[
            ("description", Slot::Text),
            ("content", Slot::Part(Kind::Content)),
            ("required", Slot::Flag),
        ],
        Kind::Parameter => &[
            ("name", Slot::Text),
            ("in", Slot::Text),
            ("description", Slot::Text),
            ("required", Slot::Flag),
            ("deprecated", Slot::Flag),
            ("allowEmptyValue", Slot::Flag),
            ("style", Slot::Text),
            ("explode", Slot::Flag),
            ("allowReserved", Slot::Flag),
            ("schema", Slot::Schema),
            ("content", Slot::Part(Kind::Content)),
            ("example", Slot::Any),
            ("examples", EXAMPLES),
        ],
        Kind::Header => &[
            ("description", Slot::Text),
            ("required", Slot::Flag),
            ("deprecated", Slot::Flag),
            ("style", Slot::Text),
            ("explode", Slot::Flag),
            ("schema", Slot::Schema),
            ("content", Slot::Part(Kind::Content)),
            ("example", Slot::Any),
            ("examples", EXAMPLES),
        ],
        Kind::MediaType => &[
            ("schema", Slot::Schema),
            ("example", Slot::Any),
            ("examples", EXAMPLES),
            ("encoding", Slot::Map(&Slot::Part(Kind::Encoding))),
        ],
        Kind::Encoding => &[
            ("contentType", Slot::Text),
            ("headers", HEADERS),
            ("style", Slot::Text),
            ("explode", Slot::Flag),
            ("allowReserved", Slot::Flag),
        ],
        Kind::Example => &[
            ("summary", Slot::Text),
            ("description", Slot::Text),
            ("value", Slot::Any),
            ("externalValue", Slot::Text),
        ],
        Kind::Link => &[
            ("operationRef", Slot::Text),
            ("operationId", Slot::Text),
            ("description", Slot::Text),
            ("parameters", Slot::Map(&Slot::Any)),
        ],
        Kind::ExternalDocs => &[("url", Slot::Text), ("description", Slot::Text)],
        // Keyed by status code / media type / expression: see `entries_of`.
        Kind::Responses | Kind::Content | Kind::Callback => &[],
    }
}

/// The value type of the entries of the map-like kinds.
fn entries_of(kind: Kind) -> Option<Slot> {
    match kind {
        Kind::Responses => Some(Slot::RefOr(Kind::Response)),
        Kind::Content => Some(Slot::Part(Kind::MediaType)),
        Kind::Callback => Some(Slot::RefOr(Kind::PathItem)),
        _ => None,
    }
}

/// The `components` section where a reference to this kind belongs.
fn section_of(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Response => "/components/responses/",
        Kind::Parameter => "/components/parameters/",
        Kind::RequestBody => "/components/requestBodies/",
        Kind::Header => "/components/headers/",
        Kind::Example => "/components/examples/",
        Kind::Link => "/components/links/",
        Kind::Callback => "/components/callbacks/",
        Kind::PathItem => "/components/pathItems/",
        _ => return None,
    })
}

/// How deep inlined references may nest inside each other (a cycle ends here).
const MAX_INLINE_DEPTH: usize = 16;
/// How many references are inlined in all: references that fan out into references could
/// otherwise grow the document exponentially (hostile input stays bounded in time and memory).
const MAX_INLINES: usize = 20_000;

/// Repair the whole document in place; returns a warning for each part dropped or filled in.
pub fn repair_document(root: &mut Value) -> Vec<Diagnostic> {
    // References are resolved against the document as it was, while the walk edits it.
    let original = root.clone();
    let mut repairer = Repairer {
        root: &original,
        diags: Vec::new(),
        inline_depth: 0,
        inlined: 0,
    };
    if let Err(reason) = repairer.part(Kind::Root, root, &mut String::new()) {
        repairer
            .diags
            .push(Diagnostic::warning(Code::InvalidField, "", reason));
    }
    if let Some(Value::Object(hooks)) = root.get_mut("x-webhooks") {
        // `x-webhooks` entries are path items or `{expression: path item}` (callback form).
        let mut at = String::from("/x-webhooks");
        for (key, item) in hooks.iter_mut() {
            let len = push_segment(&mut at, key);
            let kind = if is_callback_form(item) {
                Kind::Callback
            } else {
                Kind::PathItem
            };
            if let Err(reason) = repairer.part(kind, item, &mut at) {
                repairer.diags.push(lost(&at, kind, &reason));
                *item = json!({});
            }
            at.truncate(len);
        }
    }
    repairer.diags
}

fn is_callback_form(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        !m.contains_key("$ref")
            && !m
                .keys()
                .any(|k| crate::pointer::HTTP_METHODS.contains(&k.as_str()))
    })
}

fn lost(at: &str, kind: Kind, reason: &str) -> Diagnostic {
    Diagnostic::warning(
        Code::InvalidPart,
        at.to_string(),
        format!("{} dropped: {reason}", kind.noun()),
    )
}

struct Repairer<'a> {
    root: &'a Value,
    diags: Vec<Diagnostic>,
    inline_depth: usize,
    inlined: usize,
}

impl Repairer<'_> {
    /// Repair an object of `kind` in place; `Err` says why it cannot stand at all.
    fn part(&mut self, kind: Kind, v: &mut Value, at: &mut String) -> Result<(), String> {
        if let Some(target) = v.get("$ref").and_then(Value::as_str) {
            let target = target.to_string();
            return self.inline(kind, v, &target, at);
        }
        let Value::Object(map) = v else {
            return Err(format!("it is {}, not an object", describe(v)));
        };
        for (key, slot) in fields(kind) {
            let Some(child) = map.get_mut(*key) else {
                continue;
            };
            let len = push_segment(at, key);
            let result = self.slot(*slot, child, at);
            if result.is_err() && matches!(slot, Slot::Part(Kind::Operation)) {
                // An operation is never dropped here: the IR counts it as declared and lost,
                // which is an error naming it (see `ir::Coverage`).
                at.truncate(len);
                continue;
            }
            if let Err(reason) = result {
                self.diags.push(Diagnostic::warning(
                    Code::InvalidField,
                    at.clone(),
                    format!(
                        "`{key}` of this {} is dropped, the {} kept: {reason}",
                        kind.noun(),
                        kind.noun()
                    ),
                ));
                map.remove(*key);
            }
            at.truncate(len);
        }
        if let Some(slot) = entries_of(kind) {
            self.entries(kind, slot, map, at);
        }
        self.complete(kind, map, at)
    }

    /// A `$ref` where an object of `kind` stands.
    fn inline(
        &mut self,
        kind: Kind,
        v: &mut Value,
        target: &str,
        at: &mut String,
    ) -> Result<(), String> {
        let resolved = target
            .strip_prefix('#')
            .and_then(|p| crate::pointer::resolve_local(self.root, self.root.pointer(p)?));
        let Some(resolved) = resolved else {
            return Err(format!(
                "`$ref: {target}` points at nothing in this document"
            ));
        };
        if self.inlined >= MAX_INLINES {
            return Err(format!(
                "`$ref: {target}` is past the limit of {MAX_INLINES} inlined references"
            ));
        }
        self.inlined += 1;
        if self.inline_depth >= MAX_INLINE_DEPTH {
            return Err(format!(
                "`$ref: {target}` nests references {MAX_INLINE_DEPTH} deep (a cycle?)"
            ));
        }
        let mut copy = resolved.clone();
        self.inline_depth += 1;
        let result = self.part(kind, &mut copy, at);
        self.inline_depth -= 1;
        result?;
        *v = copy;
        Ok(())
    }

    fn slot(&mut self, slot: Slot, v: &mut Value, at: &mut String) -> Result<(), String> {
        match slot {
            Slot::Text if v.is_string() => Ok(()),
            Slot::Text => Err(format!("it is {}, not text", describe(v))),
            Slot::Flag if v.is_boolean() => Ok(()),
            Slot::Flag => Err(format!("it is {}, not true or false", describe(v))),
            Slot::Any => Ok(()),
            Slot::Schema => {
                schema(v, at, &mut self.diags);
                Ok(())
            }
            Slot::Part(kind) => self.part(kind, v, at),
            Slot::RefOr(kind) => self.ref_or(kind, v, at),
            Slot::List(item) => {
                let Value::Array(items) = v else {
                    return Err(format!("it is {}, not a list", describe(v)));
                };
                let mut i = 0;
                items.retain_mut(|child| {
                    let len = push_segment(at, &i.to_string());
                    i += 1;
                    let keep = self.slot(*item, child, at).map_err(|reason| {
                        self.diags.push(Diagnostic::warning(
                            Code::InvalidField,
                            at.clone(),
                            format!("list entry dropped: {reason}"),
                        ))
                    });
                    at.truncate(len);
                    keep.is_ok()
                });
                Ok(())
            }
            Slot::Map(value) => {
                let Value::Object(map) = v else {
                    return Err(format!("it is {}, not a map", describe(v)));
                };
                map.retain(|key, child| {
                    let len = push_segment(at, key);
                    let keep = self.slot(*value, child, at).map_err(|reason| {
                        self.diags.push(Diagnostic::warning(
                            Code::InvalidField,
                            at.clone(),
                            format!("entry `{key}` dropped: {reason}"),
                        ))
                    });
                    at.truncate(len);
                    keep.is_ok()
                });
                Ok(())
            }
        }
    }

    /// An object of `kind` or a reference to one. References into the matching `components`
    /// section stay (that section is repaired where it stands); others are inlined.
    fn ref_or(&mut self, kind: Kind, v: &mut Value, at: &mut String) -> Result<(), String> {
        let Some(target) = v.get("$ref").and_then(Value::as_str) else {
            return self.part(kind, v, at);
        };
        let target = target.to_string();
        let in_section = section_of(kind).is_some_and(|section| {
            target
                .strip_prefix('#')
                .is_some_and(|p| p.starts_with(section) && p[section.len()..].find('/').is_none())
        });
        if in_section {
            let pointer = &target[1..];
            return match self.root.pointer(pointer) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "`$ref: {target}` points at nothing in this document"
                )),
            };
        }
        self.inline(kind, v, &target, at)
    }

    /// Entries of the map-like kinds (responses by status, content by media type, callbacks by
    /// expression); extension keys are left alone.
    fn entries(&mut self, kind: Kind, slot: Slot, map: &mut Map<String, Value>, at: &mut String) {
        let keys: Vec<String> = map
            .keys()
            .filter(|k| !k.starts_with("x-"))
            .cloned()
            .collect();
        for key in keys {
            let len = push_segment(at, &key);
            let status_ok = kind != Kind::Responses || status_key(&key).is_some();
            let result = match map.get_mut(&key) {
                Some(child) if status_ok => self.slot(slot, child, at),
                _ => Err("it is not a status code (`200`, `2XX` or `default`)".to_string()),
            };
            match result {
                Err(reason) => {
                    self.diags.push(Diagnostic::warning(
                        Code::InvalidPart,
                        at.clone(),
                        format!("{} entry `{key}` dropped: {reason}", kind.noun()),
                    ));
                    map.remove(&key);
                }
                Ok(()) => {
                    if let Some(canonical) = status_key(&key).filter(|c| *c != key) {
                        // `2xx` → `2XX`, `200 ` → `200`: the model reads only the canonical form.
                        if let Some(v) = map.remove(&key) {
                            map.insert(canonical, v);
                        }
                    }
                }
            }
            at.truncate(len);
        }
    }

    /// Required fields: fill in what the SDK can do without, refuse what it cannot.
    fn complete(
        &mut self,
        kind: Kind,
        map: &mut Map<String, Value>,
        at: &str,
    ) -> Result<(), String> {
        let diags = &mut self.diags;
        let fill = |map: &mut Map<String, Value>,
                    key: &str,
                    value: Value,
                    why: &str,
                    diags: &mut Vec<Diagnostic>| {
            if !map.contains_key(key) {
                if !why.is_empty() {
                    diags.push(Diagnostic::warning(
                        Code::MissingField,
                        at.to_string(),
                        format!("{} has no `{key}`; {why}", kind.noun()),
                    ));
                }
                map.insert(key.into(), value);
            }
        };
        match kind {
            // Optional in 3.1 and often left out of webhooks: nothing is lost.
            Kind::Operation => fill(map, "responses", json!({}), "", diags),
            Kind::Response => fill(map, "description", json!(""), "read as empty", diags),
            Kind::RequestBody => fill(
                map,
                "content",
                json!({}),
                "the body is read as any JSON value",
                diags,
            ),
            Kind::Parameter => {
                let name = map.get("name").and_then(Value::as_str);
                let location = map.get("in").and_then(Value::as_str);
                match (name, location) {
                    (None, _) => return Err("it has no `name`".into()),
                    (_, Some("query" | "header" | "path" | "cookie")) => {}
                    (_, other) => {
                        return Err(format!(
                            "`in` is {}, not query, header, path or cookie",
                            other.map_or("missing".to_string(), |o| format!("`{o}`"))
                        ))
                    }
                }
                check_style(map, at, diags);
                if !map.contains_key("content") {
                    fill(
                        map,
                        "schema",
                        json!({}),
                        "its value is read as any JSON value",
                        diags,
                    );
                }
            }
            Kind::Header => {
                map.remove("style");
                if !map.contains_key("content") {
                    fill(
                        map,
                        "schema",
                        json!({}),
                        "its value is read as any JSON value",
                        diags,
                    );
                }
            }
            Kind::ExternalDocs if !map.contains_key("url") => return Err("it has no `url`".into()),
            Kind::Link if !map.contains_key("operationId") && !map.contains_key("operationRef") => {
                return Err("it names no `operationId` or `operationRef`".into())
            }
            _ => {}
        }
        Ok(())
    }
}

/// A `style` that does not fit the parameter's location is dropped (the default applies).
fn check_style(map: &mut Map<String, Value>, at: &str, diags: &mut Vec<Diagnostic>) {
    let allowed: &[&str] = match map.get("in").and_then(Value::as_str) {
        Some("path") => &["matrix", "label", "simple"],
        Some("query") => &["form", "spaceDelimited", "pipeDelimited", "deepObject"],
        Some("header") => &["simple"],
        Some("cookie") => &["form"],
        _ => return,
    };
    let Some(style) = map.get("style").and_then(Value::as_str) else {
        return;
    };
    if !allowed.contains(&style) {
        diags.push(Diagnostic::warning(
            Code::InvalidField,
            format!("{at}/style"),
            format!(
                "`style: {style}` does not apply here ({}); the default is used",
                allowed.join(", ")
            ),
        ));
        map.remove("style");
    }
}

/// The canonical form of a response key, or `None` when it is not one.
fn status_key(key: &str) -> Option<String> {
    let k = key.trim();
    if k == "default" {
        return Some(k.into());
    }
    let b = k.as_bytes();
    let digit = |c: u8| c.is_ascii_digit();
    match b {
        [a, b2, c] if (b'1'..=b'5').contains(a) && digit(*b2) && digit(*c) => Some(k.into()),
        [a, b'x' | b'X', b'x' | b'X'] if (b'1'..=b'5').contains(a) => {
            Some(format!("{}XX", *a as char))
        }
        _ => None,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "text".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(m) => match m
            .get("x-hookgen-unresolved-ref")
            .or_else(|| m.get("$ref"))
            .and_then(Value::as_str)
        {
            Some(r) => format!("a `$ref` to {r} that cannot be read"),
            None => "a map".into(),
        },
    }
}

fn parses(v: &Value) -> Result<(), String> {
    ReferenceOr::<Schema>::deserialize(v)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Keys whose value is one schema, a list of schemas, or a map of schemas.
const CHILD: &[&str] = &["items", "additionalProperties", "not"];
const CHILD_LISTS: &[&str] = &["allOf", "oneOf", "anyOf"];
const CHILD_MAPS: &[&str] = &["properties"];

/// Repair a schema so that the model reads it: nothing happens to one that already parses;
/// otherwise its sub-schemas are repaired first, then each keyword that cannot be read on its
/// own is dropped (integers beyond 64 bits are saturated first). What remains unreadable is
/// read as any JSON value. `at` is the schema's pointer, for the warnings.
pub fn schema(v: &mut Value, at: &mut String, diags: &mut Vec<Diagnostic>) {
    if parses(v).is_ok() {
        return;
    }
    let Value::Object(map) = v else {
        diags.push(Diagnostic::warning(
            Code::InvalidSchema,
            at.clone(),
            format!("schema is {}; read as any JSON value", describe(v)),
        ));
        *v = json!({});
        return;
    };
    for (key, child) in map.iter_mut() {
        let len = push_segment(at, key);
        if CHILD.contains(&key.as_str()) && child.is_object() {
            schema(child, at, diags);
        } else if CHILD_LISTS.contains(&key.as_str()) || CHILD_MAPS.contains(&key.as_str()) {
            let children: Vec<(String, &mut Value)> = match child {
                Value::Array(items) => items
                    .iter_mut()
                    .enumerate()
                    .map(|(i, c)| (i.to_string(), c))
                    .collect(),
                Value::Object(m) => m.iter_mut().map(|(k, c)| (k.clone(), c)).collect(),
                _ => Vec::new(),
            };
            for (segment, c) in children {
                let len = push_segment(at, &segment);
                schema(c, at, diags);
                at.truncate(len);
            }
        }
        at.truncate(len);
    }
    if parses(v).is_ok() {
        return;
    }
    repair_keywords(v, at, diags);
    if let Err(e) = parses(v) {
        diags.push(Diagnostic::warning(
            Code::InvalidSchema,
            at.clone(),
            format!("schema cannot be read ({e}); read as any JSON value"),
        ));
        *v = json!({});
    }
}

/// Probe each keyword on its own (beside the schema's `type`, which decides its meaning).
fn repair_keywords(v: &mut Value, at: &str, diags: &mut Vec<Diagnostic>) {
    let Value::Object(map) = v else { return };
    let ty = map.get("type").cloned();
    let keys: Vec<String> = map
        .keys()
        .filter(|k| !k.starts_with("x-"))
        .cloned()
        .collect();
    for key in keys {
        let probe = |value: &Value| {
            let mut m = Map::new();
            if let Some(t) = &ty {
                m.insert("type".into(), t.clone());
            }
            m.insert(key.clone(), value.clone());
            parses(&Value::Object(m))
        };
        let Err(e) = probe(&map[&key]) else { continue };
        if let Some(saturated) = saturate(&map[&key]).filter(|s| probe(s).is_ok()) {
            map.insert(key, saturated);
            continue;
        }
        diags.push(Diagnostic::warning(
            Code::InvalidKeyword,
            format!("{at}/{}", crate::pointer::escape_segment(&key)),
            format!("`{key}` cannot be read ({e}); the keyword is dropped, the schema kept"),
        ));
        map.remove(&key);
    }
}

/// An integral float read as the nearest 64-bit integer (`-9223372036854776000` is how
/// JavaScript prints `i64::MIN`); a negative one as zero where only unsigned values fit.
fn saturate(v: &Value) -> Option<Value> {
    let f = v.as_f64().filter(|f| v.is_f64() && f.fract() == 0.0)?;
    Some(Value::from(f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(mut doc: Value) -> (Value, Vec<String>) {
        let diags = repair_document(&mut doc);
        (
            doc,
            diags
                .iter()
                .map(|d| format!("{} {}", d.code, d.pointer))
                .collect(),
        )
    }

    #[test]
    fn a_bad_description_costs_the_description_only() {
        let (doc, diags) = repaired(json!({
            "webhooks": {"a": {"post": {
                "description": {"x-hookgen-unresolved-ref": "./markdown/a.md"},
                "summary": 7,
                "externalDocs": {"description": "no url"},
                "responses": {"200": {}}
            }}}
        }));
        let op = &doc["webhooks"]["a"]["post"];
        assert!(op.get("description").is_none() && op.get("summary").is_none());
        assert!(op.get("externalDocs").is_none());
        assert_eq!(op["responses"]["200"]["description"], "");
        assert_eq!(
            diags,
            [
                "invalid-field /webhooks/a/post/summary",
                "invalid-field /webhooks/a/post/description",
                "invalid-field /webhooks/a/post/externalDocs",
                "missing-field /webhooks/a/post/responses/200",
            ]
        );
    }

    #[test]
    fn refs_are_inlined_where_the_model_takes_none() {
        let (doc, diags) = repaired(json!({
            "components": {"mediaTypes": {"Bank": {"schema": {"$ref": "#/components/schemas/Bank"}}},
                           "x-contents": {"json": {"application/json": {"schema": {"type": "string"}}}}},
            "paths": {"/b": {"get": {"responses": {
                "200": {"description": "ok", "content": {"application/json": {"$ref": "#/components/mediaTypes/Bank"}}},
                "201": {"description": "ok", "content": {"$ref": "#/components/x-contents/json"}},
                "404": {"$ref": "#/components/responses/Missing"}
            }}}}
        }));
        let responses = &doc["paths"]["/b"]["get"]["responses"];
        assert_eq!(
            responses["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Bank"
        );
        assert_eq!(
            responses["201"]["content"]["application/json"]["schema"]["type"],
            "string"
        );
        assert!(responses.get("404").is_none());
        assert_eq!(diags, ["invalid-part /paths/~1b/get/responses/404"]);
    }

    #[test]
    fn references_that_fan_out_stay_bounded() {
        // Each content map refers to the next one twice over (through two headers of an
        // encoding): 2^30 copies if nothing stopped it.
        let mut types = serde_json::Map::new();
        for i in 0..30 {
            let next = json!({"content": {"$ref": format!("#/components/x-contents/c{}", i + 1)}});
            types.insert(
                format!("c{i}"),
                json!({"application/json": {"schema": {"type": "string"},
                    "encoding": {"e": {"headers": {"h1": next.clone(), "h2": next}}}}}),
            );
        }
        let doc = json!({"components": {"x-contents": types},
            "paths": {"/a": {"get": {"responses": {"200": {"description": "d",
                "content": {"$ref": "#/components/x-contents/c0"}}}}}}});
        let started = std::time::Instant::now();
        let (_, diags) = repaired(doc);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert!(!diags.is_empty());
    }

    #[test]
    fn parameters_that_cannot_stand_are_dropped_from_their_list() {
        let (doc, diags) = repaired(json!({"paths": {"/b": {"get": {"parameters": [
            {"in": "query"},
            {"name": "a", "in": "body"},
            {"name": "b", "in": "query", "style": "simple"},
            {"name": "c", "in": "path", "required": true}
        ]}}}}));
        let params = doc["paths"]["/b"]["get"]["parameters"].as_array().unwrap();
        assert_eq!(params.len(), 2);
        assert!(params[0].get("style").is_none());
        assert_eq!(params[1]["schema"], json!({}));
        assert_eq!(diags.len(), 5, "{diags:?}");
    }

    #[test]
    fn schemas_lose_only_the_keywords_that_cannot_be_read() {
        let mut s = json!({"type": "object", "required": "id", "properties": {
            "seed": {"type": "integer", "minimum": -9223372036854776000.0, "maximum": 1.5},
            "name": {"type": "string", "maxLength": -1, "title": 3}
        }});
        let mut diags = Vec::new();
        schema(&mut s, &mut String::from("/s"), &mut diags);
        assert!(parses(&s).is_ok());
        assert_eq!(s["properties"]["seed"]["type"], "integer");
        assert_eq!(s["properties"]["name"]["type"], "string");
        let codes: Vec<_> = diags.iter().map(|d| d.pointer.as_str()).collect();
        assert!(codes.contains(&"/s/required"), "{codes:?}");
        assert!(codes.contains(&"/s/properties/name/title"), "{codes:?}");
    }
}
