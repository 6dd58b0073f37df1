//! JSON pointers (RFC 6901), the one leaf every stage shares: escaping, splitting, pushing,
//! percent-decoding a pointer inside a URI fragment (RFC 6901 §6), following local `$ref`s, and
//! the HTTP methods a path item holds. It imports nothing of this crate.

use serde_json::Value;

/// The operations a path item (or a webhook) can hold, in the order operations are generated.
pub const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Escape one JSON pointer segment (RFC 6901).
pub fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Build a pointer from segments.
pub fn pointer<I, S>(segments: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    segments.into_iter().fold(String::new(), |mut acc, s| {
        acc.push('/');
        acc.push_str(&escape_segment(s.as_ref()));
        acc
    })
}

/// Split a pointer into unescaped segments.
pub fn split_pointer(p: &str) -> Vec<String> {
    if p.is_empty() {
        return Vec::new();
    }
    p.trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// `%XX` → the byte; anything else (a stray `%`) is kept as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Append `/segment` (escaped) to a pointer; returns the length to truncate back to. One
/// buffer serves the whole walk, so unremarkable nodes cost no allocation.
pub fn push_segment(at: &mut String, segment: &str) -> usize {
    let len = at.len();
    at.push('/');
    if segment.contains(['~', '/']) {
        at.push_str(&escape_segment(segment));
    } else {
        at.push_str(segment);
    }
    len
}

/// Follow `$ref` chains within the document (bounded, so cycles end).
pub fn resolve_local<'a>(root: &'a Value, v: &'a Value) -> Option<&'a Value> {
    let mut cur = v;
    for _ in 0..32 {
        match cur.get("$ref").and_then(Value::as_str) {
            Some(r) => cur = r.strip_prefix('#').and_then(|p| root.pointer(p))?,
            None => return Some(cur),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolving_follows_chains_and_stops_on_cycles() {
        let root = serde_json::json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/c"}, "c": 1, "x": {"$ref": "#/x"}});
        assert_eq!(
            resolve_local(&root, &root["a"]),
            Some(&serde_json::json!(1))
        );
        assert_eq!(resolve_local(&root, &root["x"]), None);
        assert_eq!(
            percent_decode("~1companies~1%7BcompanyId%7D%"),
            "~1companies~1{companyId}%"
        );
    }

    #[test]
    fn pointer_round_trips_escapes() {
        let p = pointer(["webhooks", "{Webhook URL}", "a/b~c"]);
        assert_eq!(p, "/webhooks/{Webhook URL}/a~1b~0c");
        assert_eq!(
            split_pointer(&p),
            vec!["webhooks", "{Webhook URL}", "a/b~c"]
        );
    }
}
