//! Rust names from spec names: deterministic, idiomatic (heck), never a keyword clash.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Words that cannot be plain identifiers. `r#` works for most; these four cannot be raw.
const STRICT: &[&str] = &["self", "Self", "super", "crate"];
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];

/// Split on anything that is not alphanumeric so `chat:message:dm` and `a.b-c` become words.
fn words(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

fn ascii_only(s: String) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// `workspace.presence.changed` → `WorkspacePresenceChanged`; never empty, never starts with a digit.
pub fn type_name(raw: &str) -> String {
    let mut name = ascii_only(words(raw).to_upper_camel_case());
    if name.is_empty() {
        name = "Empty".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("N{name}");
    }
    if STRICT.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The crate for a vendor: `roomz-webhooks`. Always a valid package name and, with `-` as
/// `_`, a valid identifier: ASCII, and a letter first (`3GPP` → `api-3gpp-webhooks`).
pub fn crate_name(vendor: &str) -> String {
    let name = brand_words(vendor).join("-");
    let name = if name.is_empty() {
        "vendor"
    } else {
        name.as_str()
    };
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("api-{name}-webhooks")
    } else {
        format!("{name}-webhooks")
    }
}

/// Words of a title that say what kind of document it is, not whose it is.
const GENERIC_WORDS: &[&str] = &[
    "api",
    "apis",
    "openapi",
    "swagger",
    "spec",
    "specification",
    "schema",
    "schemas",
    "webhook",
    "webhooks",
    "hook",
    "hooks",
    "event",
    "events",
    "callback",
    "callbacks",
    "notification",
    "notifications",
    "official",
    "public",
    "developer",
    "developers",
    "rest",
    "http",
    "reference",
    "documentation",
    "docs",
    "service",
    "services",
    "platform",
    "the",
    "a",
    "an",
    "and",
    "for",
    "of",
    "with",
    "extension",
    "extensions",
];

/// The words that name the vendor: the title's words before the first generic one (leading
/// generic words and versions such as `v1:` skipped), at most three. Each word stays whole,
/// so brands are not split at their capitals (`GitHub's` → `github`, `OpenAI` → `openai`).
fn brand_words(title: &str) -> Vec<String> {
    let words: Vec<String> = title
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '-' | '_' | '/' | ':' | ',' | '+' | '(' | ')' | '.')
        })
        .map(|w| {
            let w = w.trim_end_matches("'s").trim_end_matches("\u{2019}s");
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let is_version = |w: &str| {
        w.strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    let generic = |w: &str| GENERIC_WORDS.contains(&w) || is_version(w);
    let named: Vec<String> = words
        .iter()
        .skip_while(|w| generic(w))
        .take_while(|w| !generic(w))
        .take(3)
        .cloned()
        .collect();
    if named.is_empty() {
        // A title of generic words only (`Webhooks API`): keep them rather than nothing.
        words.into_iter().take(3).collect()
    } else {
        named
    }
}

/// `workspaceId` → `workspace_id`; keywords become raw identifiers (`r#type`).
pub fn field_name(raw: &str) -> String {
    let mut name = ascii_only(words(raw).to_snake_case());
    if name.is_empty() {
        name = "empty".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("n{name}");
    }
    if STRICT.contains(&name.as_str()) || name == "_" {
        return format!("{name}_");
    }
    if KEYWORDS.contains(&name.as_str()) {
        return format!("r#{name}");
    }
    name
}

/// Hands out names that are unique within one scope, adding a numeric suffix on collision.
#[derive(Debug, Default, Clone)]
pub struct NameScope {
    taken: BTreeSet<String>,
}

impl NameScope {
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_string());
    }

    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// Returns the name and whether it had to be changed.
    pub fn unique(&mut self, wanted: &str) -> (String, bool) {
        if self.taken.insert(wanted.to_string()) {
            return (wanted.to_string(), false);
        }
        let (stem, raw) = match wanted.strip_prefix("r#") {
            Some(s) => (s.to_string(), true),
            None => (wanted.to_string(), false),
        };
        let sep =
            if stem.contains('_') || stem.chars().all(|c| c.is_lowercase() || c.is_ascii_digit()) {
                "_"
            } else {
                ""
            };
        for i in 2.. {
            let candidate = format!("{stem}{sep}{i}");
            if self.taken.insert(candidate.clone()) {
                let _ = raw;
                return (candidate, true);
            }
        }
        unreachable!("an unbounded counter always finds a free name")
    }
}

/// Names a schema's type may not take: those the generated crate defines itself, the Rust
/// prelude's, and those the generated modules that see the types import (a test over the
/// generated crates' `use` lines keeps this list complete).
pub const RESERVED_NAMES: &[&str] = &[
    "Event",
    "Webhook",
    "Client",
    "ClientError",
    "UnknownEvent",
    "DecodeError",
    "WebhookError",
    "Timestamp",
    // The prelude.
    "Box",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "IntoIterator",
    "Extend",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "Default",
    "Eq",
    "PartialEq",
    "Ord",
    "PartialOrd",
    "AsRef",
    "AsMut",
    "Into",
    "From",
    "TryFrom",
    "TryInto",
    "FromIterator",
    "Debug",
    "Hash",
    // Imported by generated modules.
    "Serialize",
    "Deserialize",
    "Serializer",
    "Deserializer",
    "Decode",
    "FromStr",
    "BTreeMap",
    "HashMap",
    "Uuid",
    "Value",
    "Map",
    "Duration",
    "SystemTime",
    "HeaderMap",
    "Method",
    "Request",
    "Body",
    "HttpClient",
    "AuthScheme",
    "Credentials",
    "RetryPolicy",
    "Scheme",
    "Verifier",
    "WebhookVerifier",
    "Transport",
    "Delivery",
    "EventIdentity",
    "Comparison",
    "IdentityPart",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_are_always_valid() {
        assert_eq!(crate_name("ROOMZ"), "roomz-webhooks");
        assert_eq!(
            crate_name("3gpp monitoring event"),
            "api-3gpp-monitoring-webhooks"
        );
        assert_eq!(crate_name("Acme été"), "acme-t-webhooks");
        assert_eq!(crate_name("✓"), "vendor-webhooks");
    }

    #[test]
    fn crate_names_are_the_brand_a_user_would_type() {
        for (title, name) in [
            (
                "GitHub's official Webhooks OpenAPI spec + Octokit extension",
                "github-webhooks",
            ),
            ("OpenAI API", "openai-webhooks"),
            ("v1: Paddle API", "paddle-webhooks"),
            ("Lithic Developer API", "lithic-webhooks"),
            ("Clerk Webhook Events", "clerk-webhooks"),
            ("AssemblyAI API", "assemblyai-webhooks"),
            ("PagerDuty API", "pagerduty-webhooks"),
            ("Transfer webhooks", "transfer-webhooks"),
            ("Webhooks API", "webhooks-api-webhooks"),
        ] {
            assert_eq!(crate_name(title), name, "{title}");
        }
    }

    #[test]
    fn type_names() {
        assert_eq!(
            type_name("workspace.presence.changed"),
            "WorkspacePresenceChanged"
        );
        assert_eq!(type_name("chat:message:dm"), "ChatMessageDm");
        assert_eq!(type_name("onair.guest.rsvp"), "OnairGuestRsvp");
        assert_eq!(type_name("3d-export"), "N3dExport");
        assert_eq!(type_name(""), "Empty");
        assert_eq!(type_name("{Webhook URL}"), "WebhookUrl");
    }

    #[test]
    fn field_names() {
        assert_eq!(field_name("workspaceId"), "workspace_id");
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("static"), "r#static");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(field_name("$ref"), "r#ref");
        assert_eq!(field_name(""), "empty");
        assert_eq!(field_name("api-key"), "api_key");
        assert_eq!(field_name("a.b.c"), "a_b_c");
        assert_eq!(field_name("2fa"), "n2fa");
    }

    #[test]
    fn scope_suffixes_collisions() {
        let mut s = NameScope::default();
        assert_eq!(s.unique("foo_bar"), ("foo_bar".into(), false));
        assert_eq!(s.unique("foo_bar"), ("foo_bar_2".into(), true));
        assert_eq!(s.unique("Event"), ("Event".into(), false));
        assert_eq!(s.unique("Event"), ("Event2".into(), true));
    }
}
