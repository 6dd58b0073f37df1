//! Credentials in headers are never stored in the clear: the inbox, `listen`'s store and every
//! page keep a mask that says how long the value was, not the value.
//!
//! A credential is a header that lets its holder act as the sender: `Authorization`, cookies,
//! API keys, anything named for a secret or password, and the header a `shared-secret` scheme
//! carries its secret in. Signatures are not credentials (they prove one body, and replays
//! need them as they came).

use http::HeaderMap;

/// Headers that always carry credentials (lowercase).
pub const CREDENTIAL_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
];

/// Words that make any header name a credential.
const CREDENTIAL_WORDS: [&str; 5] = ["secret", "password", "passwd", "apikey", "credential"];

/// What a masked value starts with.
pub const MASK: &str = "••••••";

/// Is this header a credential, given the headers the vendor's scheme sends a secret in?
pub fn is_credential(name: &str, scheme_credentials: &[String]) -> bool {
    let lower = name.to_ascii_lowercase();
    CREDENTIAL_HEADERS.contains(&lower.as_str())
        || CREDENTIAL_WORDS
            .iter()
            .any(|w| lower.replace(['-', '_'], "").contains(w))
        || scheme_credentials
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&lower))
}

/// The stored form of a credential: its length, never its content.
pub fn mask(value: &str) -> String {
    format!("{MASK} (masked, {} characters)", value.chars().count())
}

/// Was this stored value masked?
pub fn is_masked(value: &str) -> bool {
    value.starts_with(MASK)
}

/// A stored header as shown: a credential kept in the clear by an older version is masked now.
pub fn shown(name: &str, value: &str) -> String {
    if is_credential(name, &[]) && !is_masked(value) {
        mask(value)
    } else {
        value.to_string()
    }
}

/// The headers as they may be stored: credentials masked, bytes that are not UTF-8 replaced
/// (so that a garbled header is still seen).
pub fn redacted_headers(
    headers: &HeaderMap,
    scheme_credentials: &[String],
) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            let kept = if is_credential(name.as_str(), scheme_credentials) {
                mask(&text)
            } else {
                text.into_owned()
            };
            (name.to_string(), kept)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_and_signatures_kept() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer s3cr3t".parse().unwrap());
        headers.insert("x-webhook-secret", "hunter2".parse().unwrap());
        headers.insert("x-my-hook-auth", "token-1".parse().unwrap());
        headers.insert("x-hub-signature-256", "sha256=ab".parse().unwrap());
        let stored = redacted_headers(&headers, &["x-my-hook-auth".into()]);
        let text = format!("{stored:?}");
        for secret in ["s3cr3t", "hunter2", "token-1"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(stored.contains(&("x-hub-signature-256".into(), "sha256=ab".into())));
        assert!(stored.iter().filter(|(_, v)| is_masked(v)).count() == 3);
    }
}
