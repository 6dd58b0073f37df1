//! Operations of the follow-up API: typed parameters, bodies, responses and security.

use openapiv3::{
    Operation as OaOperation, Parameter as OaParameter, ParameterSchemaOrContent, ReferenceOr,
    RequestBody,
};
use serde_json::Value;

use super::model::{
    Body, BodyKind, Declared, Operation, Outcome, ParamLocation, Parameter, Response, SecurityKind,
    SecurityScheme, TypeRef,
};
use super::names::{field_name, NameScope};
use super::types::TypeBuilder;
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::load::Document;
use crate::pointer::escape_segment;
use crate::pointer::resolve_local;

pub(super) fn build_operations(
    doc: &Document,
    tb: &mut TypeBuilder<'_>,
    coverage: &mut Vec<Declared>,
) -> Vec<Operation> {
    let mut ops = Vec::new();
    let mut method_names = NameScope::default();
    for reserved in [
        "new",
        "with_http_client",
        "base_url",
        "with_base_url",
        "with_credentials",
    ] {
        method_names.reserve(reserved);
    }
    let global_security = security_names(doc.root.get("security"));
    let Some(Value::Object(paths)) = doc.root.get("paths") else {
        return ops;
    };
    let mut seen_groups = std::collections::BTreeSet::new();
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        let item_at = format!("/paths/{}", escape_segment(path));
        let Some(item) = resolve_local(&doc.root, item) else {
            continue;
        };
        let shared_params = item
            .get("parameters")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        for method in crate::pointer::HTTP_METHODS {
            let Some(op_value) = item.get(*method) else {
                continue;
            };
            let at = format!("{item_at}/{method}");
            let label = format!("{} {path}", method.to_uppercase());
            let op = match read_operation(op_value, &at, &mut tb.diags) {
                Ok(op) => op,
                Err(reason) => {
                    coverage.push(Declared {
                        label,
                        pointer: at,
                        outcome: Outcome::Lost(reason),
                    });
                    continue;
                }
            };
            let group = operation_group(&op.tags, path);
            seen_groups.insert(group.clone());
            if let Some(chosen) = &doc.config.groups {
                if !chosen.contains(&group) {
                    coverage.push(Declared {
                        label,
                        pointer: at,
                        outcome: Outcome::Excluded(format!(
                            "its group `{group}` is not among hookgen.toml's `groups`"
                        )),
                    });
                    continue;
                }
            }
            let wanted = op
                .operation_id
                .as_deref()
                .map(field_name)
                .unwrap_or_else(|| derived_name(method, path));
            let (name, renamed) = method_names.unique(wanted.trim_start_matches("r#"));
            if renamed {
                tb.diags.push(Diagnostic::warning(
                    Code::NameCollision,
                    at.clone(),
                    format!("method name `{wanted}` is already used; this operation is `{name}`"),
                ));
            }
            let security = match op_value.get("security") {
                Some(s) => security_names(Some(s)),
                None => global_security.clone(),
            };
            let params = parameters(doc, tb, &shared_params, &op, &name, &at);
            let body = request_body(doc, tb, &op, &name, &at);
            let responses = responses(doc, tb, &op, &name, &at);
            let options_type = params
                .iter()
                .any(|p| !p.required)
                .then(|| tb.unique_type_name(&format!("{name} options")));
            coverage.push(Declared {
                label,
                pointer: at.clone(),
                outcome: Outcome::Generated(vec![name.clone()]),
            });
            ops.push(Operation {
                id: op.operation_id.clone(),
                name,
                method: method.to_string(),
                path: path.clone(),
                summary: op.summary.clone(),
                description: op.description.clone(),
                deprecated: op.deprecated,
                params,
                body,
                responses,
                security,
                options_type,
                group,
            });
        }
    }
    for unknown in doc
        .config
        .groups
        .iter()
        .flatten()
        .filter(|g| !seen_groups.contains(*g))
    {
        tb.diags.push(Diagnostic::warning(
            Code::UnknownGroup,
            "/groups",
            format!(
                "hookgen.toml's `groups` names `{unknown}`, which no operation belongs to (groups: {})",
                seen_groups.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    ops
}

/// Features a generated crate has for other reasons; a group by one of these names gets `-api`.
const CRATE_FEATURES: &[&str] = &["default", "axum", "postgres", "client", "serde"];

/// An operation's group as a cargo feature name: its first tag, else its first literal path
/// segment (`/v1/incidents/{id}` → `incidents`, skipping version segments), in kebab case.
pub fn operation_group(tags: &[String], path: &str) -> String {
    let is_version = |s: &str| {
        s.strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    let source = tags.first().cloned().or_else(|| {
        path.split('/')
            .find(|s| !s.is_empty() && !s.starts_with('{') && !is_version(s))
            .map(str::to_string)
    });
    let mut name = heck::ToKebabCase::to_kebab_case(source.unwrap_or_default().as_str());
    name.retain(|c| c.is_ascii_alphanumeric() || c == '-');
    if name.is_empty() {
        name = "api".into();
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name = format!("api-{name}");
    }
    if CRATE_FEATURES.contains(&name.as_str()) {
        name.push_str("-api");
    }
    name
}

/// Every operation under `paths`, marked as left out for `reason`.
pub(super) fn excluded_operations(doc: &Document, reason: &str) -> Vec<Declared> {
    let Some(Value::Object(paths)) = doc.root.get("paths") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, item) in paths.iter().filter(|(p, _)| !p.starts_with("x-")) {
        let Some(item) = resolve_local(&doc.root, item) else {
            continue;
        };
        for method in crate::pointer::HTTP_METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
        {
            out.push(Declared {
                label: format!("{} {path}", method.to_uppercase()),
                pointer: format!("/paths/{}/{method}", escape_segment(path)),
                outcome: Outcome::Excluded(reason.to_string()),
            });
        }
    }
    out
}

/// Most fields a model error is allowed to cost before the operation is given up.
const MAX_FIELD_REPAIRS: usize = 32;

/// An operation object through the `openapiv3` model. The document was repaired at load time
/// (see [`crate::repair`]); should the model still refuse a field, that field is dropped with a
/// warning naming it and the operation is read again, so a defect costs only the field. An
/// operation is lost (the reason is returned) only when the model refuses the object itself.
pub(super) fn read_operation(
    value: &Value,
    at: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<OaOperation, String> {
    let mut value = crate::load::operation_value(value);
    for _ in 0..MAX_FIELD_REPAIRS {
        let error = match serde_path_to_error::deserialize::<_, OaOperation>(&value) {
            Ok(op) => return Ok(op),
            Err(e) => e,
        };
        let segments = path_segments(error.path());
        if segments.is_empty() || !remove_at(&mut value, &segments) {
            return Err(format!("the operation cannot be read: {}", error.inner()));
        }
        let field = crate::pointer::pointer(segments.iter());
        diags.push(Diagnostic::warning(
            Code::InvalidField,
            format!("{at}{field}"),
            format!(
                "`{}` cannot be read ({}); it is dropped, the operation kept",
                segments.last().map(String::as_str).unwrap_or_default(),
                error.inner()
            ),
        ));
    }
    Err(format!(
        "the operation still cannot be read after {MAX_FIELD_REPAIRS} fields were dropped"
    ))
}

fn path_segments(path: &serde_path_to_error::Path) -> Vec<String> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// Remove the node at `segments` from `value`; false when there is none.
fn remove_at(value: &mut Value, segments: &[String]) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut cur = value;
    for s in parents {
        cur = match cur {
            Value::Object(m) => match m.get_mut(s) {
                Some(v) => v,
                None => return false,
            },
            Value::Array(a) => match s.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match cur {
        Value::Object(m) => m.remove(last).is_some(),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// `get /v1/workspaces/{id}/status` → `get_v1_workspaces_id_status`.
fn derived_name(method: &str, path: &str) -> String {
    let words: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_matches(|c| c == '{' || c == '}'))
        .map(field_name)
        .map(|s| s.trim_start_matches("r#").to_string())
        .collect();
    format!("{method}_{}", words.join("_"))
}

fn security_names(v: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(reqs)) = v else {
        return vec![];
    };
    let mut names = Vec::new();
    for req in reqs {
        if let Value::Object(m) = req {
            for k in m.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    }
    names
}

fn parameters(
    doc: &Document,
    tb: &mut TypeBuilder<'_>,
    shared: &Value,
    op: &OaOperation,
    op_name: &str,
    at: &str,
) -> Vec<Parameter> {
    let mut raw: Vec<(Value, String)> = Vec::new();
    if let Value::Array(items) = shared {
        for (i, p) in items.iter().enumerate() {
            raw.push((
                p.clone(),
                format!(
                    "{}/parameters/{i}",
                    at.rsplit_once('/').map_or(at, |(base, _)| base)
                ),
            ));
        }
    }
    for (i, p) in op.parameters.iter().enumerate() {
        if let Ok(v) = serde_json::to_value(p) {
            raw.push((v, format!("{at}/parameters/{i}")));
        }
    }
    let mut out: Vec<Parameter> = Vec::new();
    let mut names = NameScope::default();
    for reserved in ["client", "body", "options", "self_"] {
        names.reserve(reserved);
    }
    for (value, p_at) in raw {
        let Some(resolved) = resolve_local(&doc.root, &value) else {
            tb.diags.push(Diagnostic::warning(
                Code::UnresolvedRef,
                p_at,
                "parameter `$ref` points at nothing; skipped",
            ));
            continue;
        };
        let param: OaParameter = match serde_json::from_value(resolved.clone()) {
            Ok(p) => p,
            Err(e) => {
                tb.diags.push(Diagnostic::warning(
                    Code::InvalidParameter,
                    p_at,
                    format!("parameter cannot be read ({e}); skipped"),
                ));
                continue;
            }
        };
        let (location, data, explode) = match &param {
            OaParameter::Path { parameter_data, .. } => {
                (ParamLocation::Path, parameter_data, false)
            }
            OaParameter::Query { parameter_data, .. } => (
                ParamLocation::Query,
                parameter_data,
                parameter_data.explode.unwrap_or(true),
            ),
            OaParameter::Header { parameter_data, .. } => {
                (ParamLocation::Header, parameter_data, false)
            }
            OaParameter::Cookie { parameter_data, .. } => {
                tb.diags.push(Diagnostic::warning(
                    Code::UnsupportedParameter,
                    p_at,
                    format!(
                        "cookie parameter `{}` is not supported; it is not sent",
                        parameter_data.name
                    ),
                ));
                continue;
            }
        };
        // Operation-level parameters override path-level ones with the same name and location.
        out.retain(|p| !(p.wire == data.name && p.location == location));
        let ty = match &data.format {
            ParameterSchemaOrContent::Schema(s) => tb.type_of(
                s,
                &format!("{op_name} {}", data.name),
                &format!("{p_at}/schema"),
            ),
            ParameterSchemaOrContent::Content(_) => TypeRef::String,
        };
        let default = match &data.format {
            ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => schema
                .schema_data
                .default
                .as_ref()
                .and_then(|d| d.as_str())
                .map(str::to_string),
            _ => None,
        };
        let (name, _) = names.unique(&field_name(&data.name));
        out.push(Parameter {
            wire: data.name.clone(),
            name,
            location: location.clone(),
            ty,
            required: data.required || location == ParamLocation::Path,
            doc: data.description.clone(),
            explode,
            default,
        });
    }
    out
}

fn request_body(
    doc: &Document,
    tb: &mut TypeBuilder<'_>,
    op: &OaOperation,
    op_name: &str,
    at: &str,
) -> Option<Body> {
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
    let pick = body
        .content
        .iter()
        .find(|(k, _)| k.contains("json"))
        .map(|(k, m)| (k, m, BodyKind::Json))
        .or_else(|| {
            body.content
                .iter()
                .find(|(k, _)| k.as_str() == "application/x-www-form-urlencoded")
                .map(|(k, m)| (k, m, BodyKind::Form))
        });
    let Some((media_type, media, kind)) = pick else {
        if let Some((k, _)) = body.content.first() {
            tb.diags.push(Diagnostic::warning(
                Code::UnsupportedMediaType,
                format!("{body_at}/content"),
                format!("request body media type `{k}` is not supported; the body is sent as JSON"),
            ));
        }
        return Some(Body {
            kind: BodyKind::Json,
            ty: TypeRef::Json,
            required: body.required,
        });
    };
    let ty = match &media.schema {
        Some(s) => tb.type_of(
            s,
            &format!("{op_name} Body"),
            &format!("{body_at}/content/{}/schema", escape_segment(media_type)),
        ),
        None => TypeRef::Json,
    };
    Some(Body {
        kind,
        ty,
        required: body.required,
    })
}

fn responses(
    doc: &Document,
    tb: &mut TypeBuilder<'_>,
    op: &OaOperation,
    op_name: &str,
    at: &str,
) -> Vec<Response> {
    let mut out = Vec::new();
    let entries: Vec<(String, ReferenceOr<openapiv3::Response>)> = op
        .responses
        .responses
        .iter()
        .map(|(s, r)| (s.to_string(), r.clone()))
        .chain(
            op.responses
                .default
                .clone()
                .map(|d| ("default".to_string(), d)),
        )
        .collect();
    for (status, r) in entries {
        let r_at = format!("{at}/responses/{}", escape_segment(&status));
        let (resp, resp_at) = match r {
            ReferenceOr::Item(r) => (r, r_at),
            ReferenceOr::Reference { reference } => {
                let ptr = reference.trim_start_matches('#').to_string();
                match doc
                    .root
                    .pointer(&ptr)
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                {
                    Some(r) => (r, ptr),
                    None => {
                        tb.diags.push(Diagnostic::warning(
                            Code::UnresolvedRef,
                            r_at,
                            format!("response `{reference}` cannot be read"),
                        ));
                        continue;
                    }
                }
            }
        };
        let ty = resp
            .content
            .iter()
            .find(|(k, _)| k.contains("json"))
            .and_then(|(k, m)| m.schema.as_ref().map(|s| (k.clone(), s.clone())))
            .map(|(k, s)| {
                tb.type_of(
                    &s,
                    &format!("{op_name} Response {status}"),
                    &format!("{resp_at}/content/{}/schema", escape_segment(&k)),
                )
            });
        out.push(Response {
            status,
            ty,
            description: Some(resp.description.clone()).filter(|d| !d.is_empty()),
        });
    }
    out
}

pub(super) fn security_schemes(doc: &Document, diags: &mut Vec<Diagnostic>) -> Vec<SecurityScheme> {
    let Some(Value::Object(schemes)) = doc.root.pointer("/components/securitySchemes") else {
        return vec![];
    };
    let mut out = Vec::new();
    for (name, v) in schemes {
        let at = format!("/components/securitySchemes/{}", escape_segment(name));
        let Some(v) = resolve_local(&doc.root, v) else {
            continue;
        };
        let description = v
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string);
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let kind = match (
            text("type").as_str(),
            text("scheme").to_ascii_lowercase().as_str(),
            text("in").as_str(),
        ) {
            ("http", "basic", _) => SecurityKind::Basic,
            ("http", "bearer", _) => SecurityKind::Bearer,
            ("apiKey", _, "header") => SecurityKind::ApiKeyHeader(text("name")),
            ("apiKey", _, "query") => SecurityKind::ApiKeyQuery(text("name")),
            ("oauth2" | "openIdConnect", _, _) => SecurityKind::Bearer,
            (t, _, _) => {
                diags.push(Diagnostic::warning(
                    Code::UnsupportedSecurity,
                    at,
                    format!("security scheme `{name}` of type `{t}` is not supported; the client cannot send it"),
                ));
                SecurityKind::Unsupported(t.to_string())
            }
        };
        out.push(SecurityScheme {
            name: name.clone(),
            kind,
            description,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn derived_names() {
        assert_eq!(
            super::derived_name("get", "/v1/workspaces/{id}/status"),
            "get_v1_workspaces_id_status"
        );
        assert_eq!(
            super::derived_name("post", "/webhook.subscribe"),
            "post_webhook_subscribe"
        );
    }
}
