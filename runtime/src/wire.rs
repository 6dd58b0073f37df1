//! How bodies and values travel: forms, multipart, hex. A leaf that decoding, identity and
//! verification share, so none of them imports another for a helper.

use serde::de::IgnoredAny;

/// A form body (`application/x-www-form-urlencoded`, as Twilio posts) as the JSON object of its
/// fields, so that the same typed decoding reads it; a field given twice becomes an array.
/// `None` when the body is JSON already (or not a form).
pub fn form_as_json(body: &[u8]) -> Option<Vec<u8>> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if matches!(first, b'{' | b'[' | b'"') || !body.contains(&b'=') {
        return None;
    }
    Some(fields_as_json(form_pairs(body)))
}

/// Form fields as the JSON object of their values; a field given twice becomes an array.
pub(crate) fn fields_as_json(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<u8> {
    let mut fields = serde_json::Map::new();
    for (k, v) in pairs {
        match fields.get_mut(&k) {
            Some(serde_json::Value::Array(all)) => all.push(v.into()),
            Some(one) => *one = serde_json::Value::Array(vec![one.take(), v.into()]),
            None => {
                fields.insert(k, v.into());
            }
        }
    }
    serde_json::to_vec(&fields).unwrap_or_default()
}

/// The decoded `name=value` pairs of a form body, in order (a bare `name` has an empty value).
pub(crate) fn form_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|b| *b == b'=') {
            Some(i) => (form_decode(&p[..i]), form_decode(&p[i + 1..])),
            None => (form_decode(p), String::new()),
        })
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn form_decode(raw: &[u8]) -> String {
    let hex = hex_val;
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h << 4) | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A form or multipart body as JSON; `None` when the body is used as it is (JSON, or not a
/// form). A form whose only field holds a JSON object (Dropbox Sign's `json` field) is that
/// object; otherwise the object of its fields.
pub fn body_as_json(body: &[u8], content_type: Option<&str>) -> Option<Vec<u8>> {
    let fields: Vec<(String, String)> = match multipart_boundary(body, content_type) {
        Some(boundary) => multipart_fields(body, &boundary)?,
        None => {
            let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
            if matches!(first, b'{' | b'[' | b'"') || !body.contains(&b'=') {
                return None;
            }
            form_pairs(body).collect()
        }
    };
    if let [(_, only)] = fields.as_slice() {
        if only.trim_start().starts_with('{') && serde_json::from_str::<IgnoredAny>(only).is_ok() {
            return Some(only.as_bytes().to_vec());
        }
    }
    Some(fields_as_json(fields))
}

/// The boundary of a multipart body: from its `Content-Type`, else from its first line.
fn multipart_boundary(body: &[u8], content_type: Option<&str>) -> Option<String> {
    if let Some(ct) = content_type {
        if ct
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/")
        {
            return ct.split(';').skip(1).find_map(|param| {
                let (k, v) = param.split_once('=')?;
                (k.trim().eq_ignore_ascii_case("boundary"))
                    .then(|| v.trim().trim_matches('"').to_string())
            });
        }
        return None;
    }
    let line_end = body.windows(2).position(|w| w == b"\r\n")?;
    let first = std::str::from_utf8(&body[..line_end]).ok()?;
    let boundary = first.strip_prefix("--")?.trim_end();
    (!boundary.is_empty() && boundary.len() <= 200 && !boundary.contains(' '))
        .then(|| boundary.to_string())
}

/// The named text fields of a multipart body (RFC 7578); files are skipped. `None` when the
/// body is not well-formed multipart.
fn multipart_fields(body: &[u8], boundary: &str) -> Option<Vec<(String, String)>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut fields = Vec::new();
    let mut rest = &body[find(body, delimiter)? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(fields);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]);
        let after_head = &rest[head_end + 4..];
        let mut next_delimiter = b"\r\n".to_vec();
        next_delimiter.extend_from_slice(delimiter);
        let content_end = find(after_head, &next_delimiter)?;
        if let Some(name) = field_name(&head) {
            let content = &after_head[..content_end];
            fields.push((name, String::from_utf8_lossy(content).into_owned()));
        }
        rest = &after_head[content_end + next_delimiter.len()..];
    }
}

/// `name` of a part's `Content-Disposition: form-data; name="..."`, unless it is a file.
fn field_name(head: &str) -> Option<String> {
    let disposition = head.lines().find(|l| {
        l.split(':')
            .next()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("content-disposition"))
    })?;
    let mut name = None;
    for param in disposition.split(';').skip(1) {
        let (k, v) = param.split_once('=')?;
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(v.trim().trim_matches('"').to_string()),
            "filename" => return None,
            _ => {}
        }
    }
    name
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The value of one hex digit, either case.
pub(crate) fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}
