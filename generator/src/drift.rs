//! Drift: where what a vendor really sends departs from its spec, and the Overlay 1.0 document
//! that makes the spec match it.
//!
//! Each stored delivery is read and identified as the generated SDK would (`received`); the
//! event its identity names is the one the spec is amended towards. Every departure the
//! typed decoder would refuse becomes an amendment at the schema that declares it, followed
//! through `$ref` and `allOf`:
//!
//! - a required field a delivery lacks: the field is no longer required;
//! - `null` in a field that does not allow it: the field becomes nullable;
//! - a value of another type: the field's schema is widened (`oneOf` of what it was and the
//!   type found; an integer that arrives with a fraction becomes a number);
//! - a string an enum does not list (an open enum decodes it anyway): the value is added.
//!
//! Each amendment counts the deliveries that needed it and names one. A stage after `lint`
//! and `received`: it reads the loaded document (an overlay's targets are places in the
//! vendor's document) and the IR built from it, and emits nothing but the overlay.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use serde_json::{json, Value};

use crate::ir::{Api, Event, TypeSpace};
use crate::lint::{self, Departure};
use crate::load::Document;
use crate::pointer::{escape_segment, split_pointer};
use crate::received::{self, Received, Stored};

/// One change to the vendor's document, and the evidence for it.
#[derive(Debug, Clone, Serialize)]
pub struct Amendment {
    /// `optional`, `nullable`, `widen` or `enum-value`.
    pub kind: &'static str,
    /// The schema amended (a JSON pointer into the vendor's document).
    pub schema: String,
    /// What it does, in words.
    pub what: String,
    /// How many deliveries needed it.
    pub deliveries: usize,
    /// One of them, by its id in the store.
    pub example: String,
    /// The overlay actions, applied in order.
    pub actions: Vec<Action>,
}

/// One Overlay 1.0 action.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// A JSONPath (RFC 9535) to the node.
    pub target: String,
    /// Merged into the node (`None`: the node is removed).
    pub update: Option<Value>,
}

/// A delivery drift cannot bring in line: what it is and why.
#[derive(Debug, Clone, Serialize)]
pub struct Left {
    pub delivery: String,
    pub event: Option<String>,
    pub why: String,
}

/// What the deliveries say about the spec.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Drift {
    /// Deliveries read.
    pub deliveries: usize,
    /// Of those, the ones that decode into their event as the spec stands.
    pub fitting: usize,
    pub amendments: Vec<Amendment>,
    /// Deliveries whose event cannot be told (the SDK keeps them as `Event::Unknown`), or whose
    /// departures no amendment covers.
    pub left: Vec<Left>,
}

impl Drift {
    /// Nothing to amend.
    pub fn is_empty(&self) -> bool {
        self.amendments.is_empty()
    }
}

/// Check every stored delivery against the spec.
pub fn drift(document: &Document, api: &Api, stored: &[Stored]) -> Drift {
    let mut found = Found::default();
    let mut drift = Drift {
        deliveries: stored.len(),
        ..Drift::default()
    };
    for delivery in stored {
        let (event, received) = match event_of(api, delivery) {
            Ok(found) => found,
            Err(left) => {
                drift.left.push(left);
                continue;
            }
        };
        let mut mismatches = Vec::new();
        lint::validate(
            &api.types,
            &event.payload,
            &received.value,
            "",
            &mut mismatches,
        );
        if mismatches.iter().all(|m| m.decodes_anyway) {
            drift.fitting += 1;
        }
        for m in mismatches.iter().filter(|m| amendable(m)) {
            if !found.add_all(document, &api.types, m, &delivery.id) && !m.decodes_anyway {
                drift.left.push(Left {
                    delivery: delivery.id.clone(),
                    event: Some(event.name.clone()),
                    why: format!("at `{}`: {} (no amendment covers it)", m.at, m.message),
                });
            }
        }
    }
    drift.amendments = found.amendments(&document.root);
    drift
}

/// The event a delivery is amended towards: the one its identity names (whether or not the
/// payload fits it), else the one the SDK would choose.
fn event_of<'a>(api: &'a Api, delivery: &Stored) -> Result<(&'a Event, Received), Left> {
    let left = |event: Option<String>, why: String| Left {
        delivery: delivery.id.clone(),
        event,
        why,
    };
    let received =
        received::read(api, &delivery.headers, &delivery.body).map_err(|why| left(None, why))?;
    let event = match received::named_event(api, &received) {
        Some(event) => event,
        None => received::identify(api, &received).map_err(|(named, why)| left(named, why))?,
    };
    Ok((event, received))
}

/// What decodes anyway is amended only where the spec can say more: an enum's values.
fn amendable(m: &lint::Mismatch) -> bool {
    !m.decodes_anyway || matches!(m.departure, Departure::EnumValue { .. })
}

/// The departures seen so far, merged per place in the document.
#[derive(Default)]
struct Found {
    /// Places in first-seen order, and what was seen there.
    order: Vec<Place>,
    seen: HashMap<Place, Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Place {
    /// `field` in the `required` list of the schema at the pointer.
    Required { schema: String, field: String },
    /// The property `field` of the schema at the pointer.
    Property { schema: String, field: String },
    /// The enum schema at the pointer.
    Enum { schema: String },
}

#[derive(Default)]
struct Evidence {
    deliveries: HashSet<String>,
    example: String,
    /// Property: `null` was seen; the JSON types seen instead of the declared one.
    null: bool,
    types: BTreeSet<&'static str>,
    /// Enum: the values seen that it does not list, in first-seen order.
    values: Vec<String>,
}

impl Found {
    /// Record a mismatch of `delivery` (for a union none of whose variants fits, what departs
    /// from the nearest variant); false when some of it has no place an amendment can reach.
    fn add_all(
        &mut self,
        document: &Document,
        types: &TypeSpace,
        mismatch: &lint::Mismatch,
        delivery: &str,
    ) -> bool {
        match &mismatch.departure {
            Departure::Union { nearest } if !nearest.is_empty() => {
                // Every departure recorded, even after one that no amendment reaches.
                let mut all = true;
                for m in nearest.iter().filter(|m| amendable(m)) {
                    all &= self.add_all(document, types, m, delivery);
                }
                all
            }
            departure => {
                let owner = owner_of(departure);
                let def = owner.map(|id| types.get(id));
                let pointers = def
                    .into_iter()
                    .flat_map(|d| std::iter::once(&d.pointer).chain(&d.also_at));
                let mut any = false;
                for pointer in pointers {
                    any |= self.add(document, pointer, departure, delivery);
                }
                any
            }
        }
    }

    /// Record one departure of `delivery` in the copy of its type at `pointer`; false when it
    /// has no place there an amendment can reach.
    fn add(
        &mut self,
        document: &Document,
        pointer: &str,
        departure: &Departure,
        delivery: &str,
    ) -> bool {
        let root = &document.root;
        let place = match departure {
            Departure::Missing { field, .. } => declaring(root, pointer, field, Declares::Required)
                .map(|schema| Place::Required {
                    schema,
                    field: field.clone(),
                }),
            Departure::Null { field, .. } | Departure::Type { field, .. } => {
                declaring(root, pointer, field, Declares::Property).map(|schema| Place::Property {
                    schema,
                    field: field.clone(),
                })
            }
            Departure::EnumValue { .. } => {
                enum_schema(root, pointer).map(|schema| Place::Enum { schema })
            }
            Departure::Union { .. } | Departure::Other => None,
        };
        let Some(place) = place else {
            return false;
        };
        if !self.seen.contains_key(&place) {
            self.order.push(place.clone());
        }
        let evidence = self.seen.entry(place).or_default();
        if evidence.deliveries.is_empty() {
            evidence.example = delivery.to_string();
        }
        evidence.deliveries.insert(delivery.to_string());
        match departure {
            Departure::Null { .. } => evidence.null = true,
            Departure::Type { found, .. } => {
                evidence.types.insert(found);
            }
            Departure::EnumValue { value, .. } if !evidence.values.contains(value) => {
                evidence.values.push(value.clone());
            }
            _ => {}
        }
        true
    }

    fn amendments(self, root: &Value) -> Vec<Amendment> {
        let mut seen = self.seen;
        self.order
            .into_iter()
            .filter_map(|place| {
                let evidence = seen.remove(&place)?;
                amend(root, &place, evidence)
            })
            .collect()
    }
}

/// The type a departure is amended in.
fn owner_of(departure: &Departure) -> Option<usize> {
    match departure {
        Departure::Missing { owner, .. }
        | Departure::Null { owner, .. }
        | Departure::Type { owner, .. }
        | Departure::EnumValue { owner, .. } => Some(*owner),
        Departure::Union { .. } | Departure::Other => None,
    }
}

/// The amendment for what was seen at one place.
fn amend(root: &Value, place: &Place, evidence: Evidence) -> Option<Amendment> {
    let (kind, schema, what, actions) = match place {
        Place::Required { schema, field } => (
            "optional",
            schema.clone(),
            format!("`{field}` is no longer required"),
            vec![Action {
                target: format!(
                    "{}['required'][?@ == {}]",
                    json_path(root, schema),
                    quote(field)
                ),
                update: None,
            }],
        ),
        Place::Property { schema, field } => {
            let property = format!("{schema}/properties/{}", escape_segment(field));
            let was = root.pointer(&property)?;
            let (kind, what, actions) = widen(root, schema, &property, field, was, &evidence);
            (kind, property, what, actions)
        }
        Place::Enum { schema } => {
            let listed = json_path(root, &format!("{schema}/enum"));
            let values: Vec<String> = evidence.values.iter().map(|v| quote(v)).collect();
            (
                "enum-value",
                schema.clone(),
                format!("the enum also lists {}", values.join(", ")),
                evidence
                    .values
                    .iter()
                    .map(|v| Action {
                        target: listed.clone(),
                        update: Some(json!(v)),
                    })
                    .collect(),
            )
        }
    };
    Some(Amendment {
        kind,
        schema,
        what,
        deliveries: evidence.deliveries.len(),
        example: evidence.example,
        actions,
    })
}

/// A property made nullable, or widened to the types seen (and nullable when `null` was seen).
fn widen(
    root: &Value,
    schema: &str,
    property: &str,
    field: &str,
    was: &Value,
    evidence: &Evidence,
) -> (&'static str, String, Vec<Action>) {
    let target = json_path(root, property);
    let declared = was.get("type").and_then(Value::as_str);
    let only_fractions = evidence.types.iter().all(|t| *t == "number");
    if evidence.types.is_empty() || (declared == Some("integer") && only_fractions) {
        let mut update = serde_json::Map::new();
        let mut what = Vec::new();
        if !evidence.types.is_empty() {
            update.insert("type".into(), json!("number"));
            what.push(format!("`{field}` is a number, not only an integer"));
        }
        if evidence.null {
            if was.get("$ref").is_some() {
                // A `$ref`'s siblings are ignored in OpenAPI 3.0: wrap it instead.
                return replace(
                    root,
                    schema,
                    field,
                    json!({"allOf": [was], "nullable": true}),
                    "nullable",
                    format!("`{field}` may be null"),
                );
            }
            update.insert("nullable".into(), json!(true));
            what.push(format!("`{field}` may be null"));
        }
        let kind = if evidence.types.is_empty() {
            "nullable"
        } else {
            "widen"
        };
        let action = Action {
            target,
            update: Some(Value::Object(update)),
        };
        return (kind, what.join("; "), vec![action]);
    }
    let mut one_of = vec![was.clone()];
    one_of.extend(evidence.types.iter().map(|t| json!({ "type": t })));
    let mut widened = json!({ "oneOf": one_of });
    if evidence.null {
        widened["nullable"] = json!(true);
    }
    let found: Vec<&str> = evidence.types.iter().copied().collect();
    replace(
        root,
        schema,
        field,
        widened,
        "widen",
        format!(
            "`{field}` may also be {}{}",
            found.join(" or "),
            if evidence.null { ", or null" } else { "" }
        ),
    )
}

/// Remove property `field` of `schema` and put `with` in its place.
fn replace(
    root: &Value,
    schema: &str,
    field: &str,
    with: Value,
    kind: &'static str,
    what: String,
) -> (&'static str, String, Vec<Action>) {
    let properties = format!("{schema}/properties");
    let actions = vec![
        Action {
            target: json_path(root, &format!("{properties}/{}", escape_segment(field))),
            update: None,
        },
        Action {
            target: json_path(root, &properties),
            update: Some(json!({ field: with })),
        },
    ];
    (kind, what, actions)
}

/// What a schema is searched for.
#[derive(Clone, Copy)]
enum Declares {
    /// `required` lists the field.
    Required,
    /// `properties` has the field.
    Property,
}

/// The schema, at or reached from `pointer` through `$ref` and `allOf`, that declares `field`
/// in the way asked: where an amendment of it belongs.
fn declaring(root: &Value, pointer: &str, field: &str, declares: Declares) -> Option<String> {
    let mut visited = HashSet::new();
    find_declaring(root, pointer, field, declares, &mut visited)
}

fn find_declaring(
    root: &Value,
    pointer: &str,
    field: &str,
    declares: Declares,
    visited: &mut HashSet<String>,
) -> Option<String> {
    if !visited.insert(pointer.to_string()) || visited.len() > 256 {
        return None;
    }
    let node = root.pointer(pointer)?;
    if let Some(target) = local_ref(node) {
        return find_declaring(root, &target, field, declares, visited);
    }
    let here = match declares {
        Declares::Required => node
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|n| n.as_str() == Some(field))),
        Declares::Property => node.get("properties").and_then(|p| p.get(field)).is_some(),
    };
    if here {
        return Some(pointer.to_string());
    }
    let members = node.get("allOf").and_then(Value::as_array)?;
    (0..members.len()).find_map(|i| {
        find_declaring(
            root,
            &format!("{pointer}/allOf/{i}"),
            field,
            declares,
            visited,
        )
    })
}

/// The schema with the `enum` list, at or reached from `pointer` through `$ref`.
fn enum_schema(root: &Value, pointer: &str) -> Option<String> {
    let mut pointer = pointer.to_string();
    for _ in 0..32 {
        let node = root.pointer(&pointer)?;
        match local_ref(node) {
            Some(target) => pointer = target,
            None => {
                return node
                    .get("enum")
                    .is_some_and(Value::is_array)
                    .then_some(pointer)
            }
        }
    }
    None
}

/// The pointer a local `$ref` (`#/...`) names.
fn local_ref(node: &Value) -> Option<String> {
    let reference = node.get("$ref")?.as_str()?;
    let fragment = reference.strip_prefix('#')?;
    Some(percent_decode(fragment))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON pointer into `root` as a JSONPath (RFC 9535): names quoted, array positions as
/// indexes.
fn json_path(root: &Value, pointer: &str) -> String {
    let mut path = String::from("$");
    let mut node = Some(root);
    for segment in split_pointer(pointer) {
        match node {
            Some(Value::Array(items)) if segment.parse::<usize>().is_ok() => {
                path.push_str(&format!("[{segment}]"));
                node = segment.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            _ => {
                path.push_str(&format!("[{}]", quote(&segment)));
                node = node.and_then(|n| n.get(&segment));
            }
        }
    }
    path
}

/// A JSONPath string literal.
fn quote(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The amendments as an Overlay 1.0 document (YAML), each action under a comment that says
/// how many deliveries needed it and names one.
pub fn overlay_yaml(drift: &Drift, title: &str) -> String {
    let mut out = format!(
        "# Written by `cargo hookgen drift` from {} stored deliveries ({} fit the spec as it \
         was).\n# Each action says how many deliveries needed it and names one by its id in the \
         store.\noverlay: 1.0.0\ninfo:\n  title: {}\n  version: '1'\nactions:",
        drift.deliveries,
        drift.fitting,
        json!(format!("{title}: what the vendor really sends"))
    );
    if drift.amendments.is_empty() {
        out.push_str(" []\n");
        return out;
    }
    out.push('\n');
    for a in &drift.amendments {
        let needed = match a.deliveries {
            1 => "1 delivery".to_string(),
            n => format!("{n} deliveries"),
        };
        out.push_str(&format!(
            "  # {} ({}): {needed}, e.g. delivery {}\n",
            a.what, a.kind, a.example
        ));
        for action in &a.actions {
            out.push_str(&format!("  - target: {}\n", json!(action.target)));
            out.push_str(&format!(
                "    description: {}\n",
                json!(format!(
                    "{} ({needed}, e.g. delivery {})",
                    a.what, a.example
                ))
            ));
            match &action.update {
                Some(update) => out.push_str(&format!("    update: {update}\n")),
                None => out.push_str("    remove: true\n"),
            }
        }
    }
    out
}

/// The overlay as a parsed document, to load the spec with it.
pub fn overlay_value(drift: &Drift) -> Value {
    let actions: Vec<Value> = drift
        .amendments
        .iter()
        .flat_map(|a| &a.actions)
        .map(|action| match &action.update {
            Some(update) => json!({"target": action.target, "update": update}),
            None => json!({"target": action.target, "remove": true}),
        })
        .collect();
    json!({"overlay": "1.0.0", "info": {"title": "drift", "version": "1"}, "actions": actions})
}
