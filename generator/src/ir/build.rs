//! Spec document → [`Api`]: the one place that reads the loaded document for emission's sake.

use serde_json::Value;

use super::dedup::{
    merge_identical, reachable as reachable_types, remap, set_directions, visit_named,
};
use super::events::build_events;
use super::model::{
    AccessorField, Api, Coverage, Declared, Event, Identity, IdentityPart, Link, LinkArgument,
    Operation, Outcome, ParamLocation, TypeKind, TypeRef, TypeSpace,
};
use super::names::field_name;
use super::operations::{build_operations, excluded_operations, security_schemes};
use super::signature;
use super::types::TypeBuilder;
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::load::Document;
use crate::pointer::{escape_segment, split_pointer};

/// The extension on a webhook that links its events to the follow-up calls they call for.
pub const LINKS_EXTENSION: &str = "x-webhook-links";

/// Build the IR; problems found on the way are returned as diagnostics (not yet located).
pub fn build(doc: &Document) -> (Api, Vec<Diagnostic>) {
    let mut tb = TypeBuilder::new(&doc.root);
    let outcome = build_events(doc, &mut tb);
    let mut operation_coverage = Vec::new();
    let operations = if doc.config.client {
        build_operations(doc, &mut tb, &mut operation_coverage)
    } else {
        operation_coverage = excluded_operations(doc, "the client is turned off (client = false)");
        Vec::new()
    };
    tb.box_recursive_fields();
    tb.box_large_fields();
    let mut events = outcome.events;
    let mut operations = operations;
    event_names_as_strings(&mut tb, &events, &outcome.identity);
    merge_identical_types(&mut tb, &mut events, &mut operations);
    let mut diags = std::mem::take(&mut tb.diags);
    let types = std::mem::take(&mut tb.space);
    attach_accessors(&mut events, &types);
    attach_links(doc, &mut events, &operations, &types, &mut diags);
    let security_schemes = security_schemes(doc, &mut diags);
    let signature = signature::resolve(doc, &events, &mut diags);
    let coverage = Coverage {
        webhooks: outcome.coverage,
        operations: operation_coverage,
    };
    diags.extend(shortfall(&coverage));
    if doc.config.client && !coverage.operations.is_empty() && operations.is_empty() {
        diags.push(Diagnostic::error(
            Code::NoClient,
            "/paths",
            format!(
                "the document declares {} API operation(s) but no client method was generated",
                coverage.operations.len()
            ),
        ));
    }
    let info = doc.root.get("info");
    let text = |k: &str| {
        info.and_then(|i| i.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let vendor = doc
        .config
        .vendor
        .clone()
        .unwrap_or_else(|| default_vendor(doc, text("title")));
    let crate_name = doc
        .config
        .crate_name
        .clone()
        .unwrap_or_else(|| super::names::crate_name(&vendor));
    let servers = doc
        .root
        .get("servers")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(|s| s.get("url")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let api = Api {
        crate_name,
        vendor,
        title: text("title").unwrap_or_default(),
        version: text("version").unwrap_or_default(),
        description: text("description"),
        spec_name: doc.name.clone(),
        spec_hash: doc.hash.clone(),
        servers,
        security_schemes,
        identity: outcome.identity,
        events,
        types,
        operations,
        signature,
        emit_client: doc.config.client,
        serialize_events: doc.config.serialize_events,
        form_payloads: outcome.form_payloads,
        coverage,
    };
    (api, diags)
}

/// One type per shape (`dedup`): an event's payload type keeps its name, and every reference
/// the events and operations hold follows the merge.
fn merge_identical_types(tb: &mut TypeBuilder, events: &mut [Event], operations: &mut [Operation]) {
    let mut pinned = Vec::new();
    for event in events.iter_mut() {
        visit_named(&mut event.payload, &mut |id| pinned.push(*id));
    }
    let mut roots = pinned.clone();
    for_each_operation_ref(operations, &mut |r| {
        visit_named(r, &mut |id| roots.push(*id))
    });
    let mut space = std::mem::take(&mut tb.space);
    let map = merge_identical(&mut space, &pinned, &roots, |n| tb.name_taken(n));
    tb.space = space;
    for event in events.iter_mut() {
        remap(&mut event.payload, &map);
    }
    for_each_operation_ref(operations, &mut |r| remap(r, &map));
    set_type_directions(&mut tb.space, events, operations);
}

/// Payloads and responses are decoded; request bodies and parameters are encoded.
fn set_type_directions(space: &mut TypeSpace, events: &mut [Event], operations: &mut [Operation]) {
    let (mut payloads, mut responses, mut requests) = (Vec::new(), Vec::new(), Vec::new());
    for event in events.iter_mut() {
        visit_named(&mut event.payload, &mut |id| payloads.push(*id));
    }
    for op in operations.iter_mut() {
        for p in &mut op.params {
            visit_named(&mut p.ty, &mut |id| requests.push(*id));
        }
        if let Some(body) = &mut op.body {
            visit_named(&mut body.ty, &mut |id| requests.push(*id));
        }
        for r in op.responses.iter_mut().filter_map(|r| r.ty.as_mut()) {
            visit_named(r, &mut |id| responses.push(*id));
        }
    }
    set_directions(space, &payloads, &responses, &requests);
    set_type_groups(space, &payloads, operations);
}

/// Which operation groups need each type: none listed when events need it (events are always
/// whole), when nothing does (a vendor's component) or when every group does.
fn set_type_groups(space: &mut TypeSpace, payloads: &[usize], operations: &mut [Operation]) {
    let mut by_group: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for op in operations.iter_mut() {
        let roots = by_group.entry(op.group.clone()).or_default();
        for_each_operation_ref(std::slice::from_mut(op), &mut |r| {
            visit_named(r, &mut |id| roots.push(*id))
        });
    }
    let always = reachable_types(space, payloads);
    let mut groups: Vec<Vec<String>> = vec![Vec::new(); space.types.len()];
    for (group, roots) in &by_group {
        for (id, reached) in reachable_types(space, roots).into_iter().enumerate() {
            if reached && !always[id] {
                groups[id].push(group.clone());
            }
        }
    }
    for (def, groups) in space.types.iter_mut().zip(groups) {
        def.groups = if groups.len() == by_group.len() {
            Vec::new()
        } else {
            groups
        };
    }
}

fn for_each_operation_ref(operations: &mut [Operation], f: &mut impl FnMut(&mut TypeRef)) {
    for op in operations {
        op.params.iter_mut().for_each(|p| f(&mut p.ty));
        if let Some(body) = &mut op.body {
            f(&mut body.ty);
        }
        op.responses
            .iter_mut()
            .filter_map(|r| r.ty.as_mut())
            .for_each(&mut *f);
    }
}

/// A payload field that names the event, typed by an enum of that one value, is a plain
/// string: the event's identity already says its value, and a type per event that only
/// repeats it would be most of a small SDK's enums.
fn event_names_as_strings(tb: &mut TypeBuilder, events: &[Event], identity: &Identity) {
    for event in events {
        let parts = identity
            .parts
            .iter()
            .zip(&identity.loose)
            .zip(&event.identity);
        for ((part, &loose), value) in parts {
            let (IdentityPart::Body(pointer), Some(value)) = (part, value) else {
                continue;
            };
            let path = split_pointer(pointer);
            let space = &mut tb.space;
            let Some(TypeRef::Named(id)) = space.field_at(&event.payload, &path).map(|f| &f.ty)
            else {
                continue;
            };
            let same = |wire: &str| match loose {
                true => {
                    hookgen_runtime::identity::loose(wire)
                        == hookgen_runtime::identity::loose(value)
                }
                false => wire == value,
            };
            let names_the_event = matches!(
                &space.types[*id].kind,
                TypeKind::StringEnum { values } if matches!(values.as_slice(), [only] if same(&only.wire))
            );
            if let Some(field) = space
                .field_at_mut(&event.payload, &path)
                .filter(|_| names_the_event)
            {
                field.ty = TypeRef::String;
                field
                    .doc
                    .get_or_insert_with(|| format!("`{value}`: it names this event."));
            }
        }
    }
}

/// A spec folder is named after its vendor; a lone file (`openapi.yaml`) is not, so its
/// document title names the vendor, and failing that the file's stem.
fn default_vendor(doc: &Document, title: Option<String>) -> String {
    let path = std::path::Path::new(&doc.name);
    let is_file = path
        .extension()
        .is_some_and(|e| ["json", "yaml", "yml"].contains(&e.to_string_lossy().as_ref()));
    if !is_file {
        return doc.name.clone();
    }
    title
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| doc.name.clone())
        })
}

/// One error per declared operation that nothing was generated from: a loss is never silent.
fn shortfall(coverage: &Coverage) -> Vec<Diagnostic> {
    let lost = |items: &[Declared], code: Code, what: &str| {
        items
            .iter()
            .filter_map(|d| match &d.outcome {
                Outcome::Lost(why) => Some(Diagnostic::error(
                    code,
                    d.pointer.clone(),
                    format!("{} generated no {what}: {why}", d.label),
                )),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut out = lost(&coverage.webhooks, Code::LostWebhook, "event");
    out.extend(lost(
        &coverage.operations,
        Code::LostOperation,
        "client method",
    ));
    out
}

/// Read `x-webhook-links` on each webhook operation and attach checked links to its events.
fn attach_links(
    doc: &Document,
    events: &mut [Event],
    ops: &[Operation],
    types: &TypeSpace,
    diags: &mut Vec<Diagnostic>,
) {
    for event in events.iter_mut() {
        let Some(Value::Object(links)) = doc
            .root
            .pointer(&event.pointer)
            .and_then(|op| op.get(LINKS_EXTENSION))
        else {
            continue;
        };
        for (name, link) in links {
            let at = format!(
                "{}/{LINKS_EXTENSION}/{}",
                event.pointer,
                escape_segment(name)
            );
            if let Some(only) = link.get("x-events").and_then(Value::as_array) {
                if !only.iter().any(|e| e.as_str() == Some(event.name.as_str())) {
                    continue;
                }
            }
            match resolve_link(name, link, event, ops, types, &at) {
                Ok(l) => event.links.push(l),
                Err(d) => diags.push(*d),
            }
        }
    }
}

fn resolve_link(
    name: &str,
    link: &Value,
    event: &Event,
    ops: &[Operation],
    types: &TypeSpace,
    at: &str,
) -> Result<Link, Box<Diagnostic>> {
    let op_id = link
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Box::new(Diagnostic::error(
                Code::InvalidLink,
                at.to_string(),
                format!("link `{name}` has no `operationId`"),
            ))
        })?;
    let (index, op) = ops
        .iter()
        .enumerate()
        .find(|(_, o)| o.id.as_deref() == Some(op_id))
        .ok_or_else(|| {
            Box::new(Diagnostic::error(
                Code::UnknownLinkOperation,
                format!("{at}/operationId"),
                format!("link `{name}` names operation `{op_id}`, which the spec does not define"),
            ))
        })?;
    let mut arguments = Vec::new();
    let given = link
        .get("parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for param in op
        .params
        .iter()
        .filter(|p| p.required && p.location != ParamLocation::Header)
    {
        let expr = given
            .get(&param.wire)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Box::new(Diagnostic::error(
                    Code::InvalidLink,
                    format!("{at}/parameters"),
                    format!(
                        "link `{name}` gives no value for required parameter `{}` of `{op_id}`",
                        param.wire
                    ),
                ))
            })?;
        let pointer = expr.strip_prefix("$request.body#").ok_or_else(|| {
            Box::new(Diagnostic::error(
                Code::InvalidLink,
                format!("{at}/parameters/{}", escape_segment(&param.wire)),
                format!("`{expr}` is not supported; use `$request.body#/json/pointer` into the event payload"),
            ))
        })?;
        let path = split_pointer(pointer);
        if types.field_at(&event.payload, &path).is_none() {
            return Err(Box::new(Diagnostic::error(
                Code::InvalidLink,
                format!("{at}/parameters/{}", escape_segment(&param.wire)),
                format!(
                    "`{expr}` does not name a field of the `{}` payload",
                    event.name
                ),
            )));
        }
        arguments.push(LinkArgument {
            parameter: param.wire.clone(),
            path,
        });
    }
    Ok(Link {
        operation: index,
        method: field_name(name).trim_start_matches("r#").to_string(),
        arguments,
        description: link
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Payload field names that carry an event's id and time, in order of preference.
const ID_FIELDS: &[&str] = &["id", "eventId", "event_id"];
const TIME_FIELDS: &[&str] = &[
    "timestamp",
    "created_at",
    "createdAt",
    "created",
    "occurred_at",
    "occurredAt",
    "time",
];

/// Which payload field `id()` and `timestamp()` read for each event: the first of the
/// preferred names whose type can be an id (text or integer) or is a date-time.
fn attach_accessors(events: &mut [Event], types: &TypeSpace) {
    let pick = |e: &Event, names: &[&str], fits: fn(&TypeRef) -> bool| {
        let fields = types.fields_of(&e.payload);
        let field = names
            .iter()
            .find_map(|n| fields.iter().find(|f| f.wire == *n))?;
        (fits(&field.ty) && !field.boxed).then(|| AccessorField {
            name: field.name.clone(),
            optional: !field.required || field.nullable,
        })
    };
    for e in events.iter_mut() {
        e.id_field = pick(e, ID_FIELDS, |t| {
            matches!(
                t,
                TypeRef::String | TypeRef::Uuid | TypeRef::Integer | TypeRef::Integer32
            )
        });
        e.timestamp_field = pick(e, TIME_FIELDS, |t| *t == TypeRef::DateTime);
    }
}
