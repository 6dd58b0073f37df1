//! OpenAPI Overlay 1.0: amend a vendor document while keeping the vendor's file byte for byte.

use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::pointer::pointer;

#[derive(Debug, Deserialize)]
pub struct Overlay {
    pub overlay: String,
    #[serde(default)]
    pub actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
pub struct Action {
    pub target: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub update: Option<Value>,
    #[serde(default)]
    pub remove: bool,
}

/// Is this parsed document an overlay (rather than an OpenAPI document)?
pub fn is_overlay(doc: &Value) -> bool {
    doc.get("overlay").is_some() && doc.get("actions").is_some()
}

/// Apply every action in order. Problems with one action are diagnostics; the rest still apply.
pub fn apply(doc: &mut Value, overlay_doc: &Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let overlay: Overlay = match serde_json::from_value(overlay_doc.clone()) {
        Ok(o) => o,
        Err(e) => {
            diags.push(Diagnostic::error(
                Code::InvalidOverlay,
                "",
                format!("not an Overlay 1.0 document: {e}"),
            ));
            return diags;
        }
    };
    if !overlay.overlay.starts_with("1.") {
        diags.push(Diagnostic::error(
            Code::UnsupportedOverlayVersion,
            "/overlay",
            format!(
                "overlay version {} is not supported (expected 1.x)",
                overlay.overlay
            ),
        ));
        return diags;
    }
    for (i, action) in overlay.actions.iter().enumerate() {
        let at = pointer(["actions", &i.to_string(), "target"]);
        if let Err(message) = apply_action(doc, action) {
            diags.push(Diagnostic::error(Code::OverlayActionFailed, at, message));
        }
    }
    diags
}

fn apply_action(doc: &mut Value, action: &Action) -> Result<(), String> {
    let path = JsonPath::parse(&action.target)
        .map_err(|e| format!("invalid JSONPath `{}`: {e}", action.target))?;
    let targets: Vec<String> = path
        .query_located(doc)
        .locations()
        .map(|l| l.to_json_pointer())
        .collect();
    if targets.is_empty() {
        return Err(format!("target `{}` matches nothing", action.target));
    }
    if action.remove {
        // Remove deepest-last-first so earlier pointers stay valid.
        for p in targets.iter().rev() {
            remove_at(doc, p);
        }
        return Ok(());
    }
    let update = action
        .update
        .as_ref()
        .ok_or_else(|| "action has neither `update` nor `remove: true`".to_string())?;
    for p in &targets {
        if let Some(node) = doc.pointer_mut(p) {
            merge(node, update);
        }
    }
    Ok(())
}

/// Overlay merge: objects merge recursively, arrays receive appended items, anything else is replaced.
pub fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(t), Value::Object(u)) => {
            for (k, v) in u {
                match t.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(u)) => t.extend(u.iter().cloned()),
        (Value::Array(t), u) => t.push(u.clone()),
        (t, u) => *t = u.clone(),
    }
}

fn remove_at(doc: &mut Value, p: &str) {
    let Some(split) = p.rfind('/') else { return };
    let (parent, last) = (&p[..split], &p[split + 1..]);
    let key = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.shift_remove(&key);
        }
        Some(Value::Array(a)) => {
            if let Ok(i) = key.parse::<usize>() {
                if i < a.len() {
                    a.remove(i);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_merges_objects_and_appends_arrays() {
        let mut doc = json!({"info": {"title": "A"}, "tags": [{"name": "x"}]});
        let ov = json!({"overlay": "1.0.0", "actions": [
            {"target": "$.info", "update": {"description": "added"}},
            {"target": "$.tags", "update": {"name": "y"}}
        ]});
        assert!(apply(&mut doc, &ov).is_empty());
        assert_eq!(doc["info"], json!({"title": "A", "description": "added"}));
        assert_eq!(doc["tags"], json!([{"name": "x"}, {"name": "y"}]));
    }

    #[test]
    fn remove_deletes_every_match() {
        let mut doc = json!({"paths": {"/a": {"get": {"x-internal": true}}, "/b": {"get": {"x-internal": true}}}});
        let ov = json!({"overlay": "1.0.0", "actions": [{"target": "$.paths.*.get['x-internal']", "remove": true}]});
        assert!(apply(&mut doc, &ov).is_empty());
        assert_eq!(
            doc,
            json!({"paths": {"/a": {"get": {}}, "/b": {"get": {}}}})
        );
    }

    #[test]
    fn bad_target_is_a_diagnostic_not_a_panic() {
        let mut doc = json!({});
        let ov = json!({"overlay": "1.0.0", "actions": [{"target": "$[", "update": {}}, {"target": "$.nope", "update": {}}]});
        let d = apply(&mut doc, &ov);
        assert_eq!(d.len(), 2);
        assert!(d[0].message.contains("invalid JSONPath"));
        assert!(d[1].message.contains("matches nothing"));
    }
}
