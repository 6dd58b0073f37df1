//! Public keys as vendors hand them out: PEM or base64 DER, SubjectPublicKeyInfo or bare. A
//! leaf shared by the public-key and JWT families.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;

use super::error::WebhookError;

/// PEM (any `-----BEGIN ...-----` block) or base64 DER → DER bytes.
pub(crate) fn der_of(text: &str) -> Result<Vec<u8>, WebhookError> {
    let text = text.trim();
    let b64: String = if text.starts_with("-----BEGIN") {
        text.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat()
    } else {
        text.split_whitespace().collect()
    };
    STANDARD
        .decode(&b64)
        .or_else(|_| STANDARD_NO_PAD.decode(b64.trim_end_matches('=')))
        .ok()
        .filter(|d| !d.is_empty())
        .ok_or(WebhookError::InvalidSecret(
            "expected a public key, as PEM or base64 DER",
        ))
}

/// A public key as PEM text, whichever of PEM or base64 DER (SubjectPublicKeyInfo) it came in.
pub(crate) fn as_pem(text: &str) -> Result<String, WebhookError> {
    if text.trim().starts_with("-----BEGIN") {
        return Ok(text.trim().to_string());
    }
    let der = der_of(text)?;
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Ok(format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    ))
}

/// One DER element: (tag, contents, the rest after it). Lengths up to four bytes.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The subjectPublicKey of a SubjectPublicKeyInfo, if `der` is one.
pub(crate) fn spki_key(der: &[u8]) -> Option<&[u8]> {
    let (0x30, spki, _) = tlv(der)? else {
        return None;
    };
    let (0x30, _algorithm, rest) = tlv(spki)? else {
        return None;
    };
    let (0x03, bits, _) = tlv(rest)? else {
        return None;
    };
    match bits.split_first()? {
        (0, key) => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_der_never_panics() {
        for input in [
            &[][..],
            &[0x30],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x02, 0x30],
        ] {
            assert!(spki_key(input).is_none());
        }
    }
}
