//! `hookgen.toml`: the small file beside a vendor's spec that says what to read and how to name things.

use std::path::Path;

use serde::Deserialize;

pub const CONFIG_FILE: &str = "hookgen.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The vendor's document(s), relative to the folder; the first is the root document.
    #[serde(default)]
    pub spec: Vec<String>,
    /// Overlay 1.0 documents applied in order to the root document.
    #[serde(default)]
    pub overlays: Vec<String>,
    /// Name of the generated crate, e.g. `roomz-webhooks`.
    #[serde(default)]
    pub crate_name: Option<String>,
    /// Short vendor name used in docs, e.g. `ROOMZ`.
    #[serde(default)]
    pub vendor: Option<String>,
    /// Payload field that names the event type; detected when absent (`type`, `event`, ...).
    #[serde(default)]
    pub event_type_field: Option<String>,
    /// Where deliveries name their event, part by part (`header:X-GitHub-Event`,
    /// `body:/event/event_type`); inferred from the spec when absent.
    #[serde(default)]
    pub identity: Option<Vec<String>>,
    /// Signature scheme, overriding what the spec declares (same shape as `x-webhook-signature`).
    #[serde(default)]
    pub signature: Option<serde_json::Value>,
    /// A local checkout of hookgen's `runtime/` for generated crates to depend on by path
    /// (relative to this folder); `generate --runtime-path` overrides it.
    #[serde(default)]
    pub runtime_path: Option<String>,
    /// The `hookgen-runtime` version requirement generated crates depend on;
    /// `generate --runtime-version` overrides it.
    #[serde(default)]
    pub runtime_version: Option<String>,
    /// Emit the follow-up API client (default true).
    #[serde(default = "yes")]
    pub client: bool,
    /// Only these operation groups (a tag, or the first path segment) get client methods;
    /// all of them when absent. Events are always whole.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Events and their payload types implement `Serialize` too (default false: deliveries
    /// are only decoded, and the raw body is kept for whoever needs the JSON again).
    #[serde(default)]
    pub serialize_events: bool,
}

fn yes() -> bool {
    true
}

/// The one default: the same as an empty `hookgen.toml` (so a folder without one, a file, and
/// a folder with an empty one all get the client).
impl Default for Config {
    fn default() -> Self {
        Config {
            spec: vec![],
            overlays: vec![],
            crate_name: None,
            vendor: None,
            event_type_field: None,
            identity: None,
            signature: None,
            runtime_path: None,
            runtime_version: None,
            client: true,
            serialize_events: false,
            groups: None,
        }
    }
}

impl Config {
    pub fn read(dir: &Path) -> Result<Option<Config>, String> {
        let path = dir.join(CONFIG_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_an_empty_file() {
        let empty: Config = toml::from_str("").unwrap();
        let default = Config::default();
        assert_eq!(format!("{empty:?}"), format!("{default:?}"));
        assert!(default.client);
    }
}
