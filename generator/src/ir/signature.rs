//! Which signature scheme a vendor uses: declared, overridden, or inferred.

use serde_json::{json, Value};

use super::model::{Event, SignatureScheme};
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::load::Document;
use crate::pointer::escape_segment;

pub use hookgen_runtime::Scheme;

/// The extension that declares a scheme, at the root or on one webhook.
pub const EXTENSION: &str = "x-webhook-signature";

pub(super) fn resolve(
    doc: &Document,
    events: &[Event],
    diags: &mut Vec<Diagnostic>,
) -> Option<SignatureScheme> {
    let candidates = declarations(doc);
    for (source, pointer, decl) in candidates {
        let decl = match hookgen_runtime::verify::presets::expand(&decl) {
            Ok(d) => d,
            Err(e) => {
                diags.push(Diagnostic::error(
                    Code::InvalidSignatureScheme,
                    pointer,
                    format!("signature scheme declared in {source}: {e}"),
                ));
                continue;
            }
        };
        match serde_json::from_value::<Scheme>(decl) {
            Ok(scheme) => return Some(SignatureScheme { scheme, source }),
            Err(e) => diags.push(Diagnostic::error(
                Code::InvalidSignatureScheme,
                pointer,
                format!("signature scheme declared in {source} cannot be read: {e}"),
            )),
        }
    }
    if let Some(s) = infer_standard_webhooks(events) {
        return Some(s);
    }
    diags.push(Diagnostic::warning(
        Code::NoSignatureScheme,
        "",
        format!(
            "no signature scheme is declared (`{EXTENSION}`, `x-speakeasy-webhooks`, or `[signature]` in hookgen.toml); \
             the generated crate offers only `Webhook::insecure_without_verification()`"
        ),
    ));
    None
}

/// Declarations in order of precedence: hookgen.toml, webhook-level, root, Speakeasy's extension.
fn declarations(doc: &Document) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    if let Some(s) = &doc.config.signature {
        out.push(("hookgen.toml".to_string(), String::new(), s.clone()));
    }
    for hook in &doc.webhooks {
        let on_item = hook.item.get(EXTENSION).map(|d| (hook.pointer.clone(), d));
        let on_op = hook
            .item
            .as_object()
            .into_iter()
            .flatten()
            .find_map(|(m, op)| {
                op.get(EXTENSION)
                    .map(|d| (format!("{}/{}", hook.pointer, escape_segment(m)), d))
            });
        if let Some((p, d)) = on_op.or(on_item) {
            out.push((
                format!("webhook `{}`", hook.key),
                format!("{p}/{EXTENSION}"),
                d.clone(),
            ));
        }
    }
    if let Some(d) = doc.root.get(EXTENSION) {
        out.push((
            "the document root".into(),
            format!("/{EXTENSION}"),
            d.clone(),
        ));
    }
    if let Some(sec) = doc.root.pointer("/x-speakeasy-webhooks/security") {
        out.push((
            "x-speakeasy-webhooks".into(),
            "/x-speakeasy-webhooks/security".into(),
            from_speakeasy(sec),
        ));
    }
    out
}

/// Speakeasy: `{type: signature, headerName, signatureTextEncoding, algorithm}`.
fn from_speakeasy(sec: &Value) -> Value {
    let text = |k: &str| {
        sec.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let algorithm = match text("algorithm").as_str() {
        a if a.contains("512") => "sha512",
        a if a.contains("sha1") => "sha1",
        _ => "sha256",
    };
    let encoding = if text("signatureTextEncoding") == "base64" {
        "base64"
    } else {
        "hex"
    };
    json!({
        "scheme": "hmac",
        "header": sec.get("headerName").cloned().unwrap_or(json!("X-Signature")),
        "algorithm": algorithm,
        "encoding": encoding,
    })
}

/// Standard Webhooks is recognisable by its three headers, even when nothing is declared.
/// The events' header names are already resolved (parameters behind `$ref`s included).
fn infer_standard_webhooks(events: &[Event]) -> Option<SignatureScheme> {
    let wanted = ["webhook-id", "webhook-timestamp", "webhook-signature"];
    events.iter().find_map(|e| {
        let declared = |h: &&str| e.headers.iter().any(|d| d.eq_ignore_ascii_case(h));
        wanted.iter().all(declared).then(|| SignatureScheme {
            scheme: Scheme::StandardWebhooks(Default::default()),
            source: format!(
                "inferred from the Standard Webhooks headers of webhook `{}`",
                e.webhook_key
            ),
        })
    })
}
