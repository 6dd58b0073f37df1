//! Who may read a local page and who may change state through it.
//!
//! A page on `127.0.0.1` is readable by any website the developer visits once that site
//! rebinds its own name to 127.0.0.1 (DNS rebinding): the browser then sends the site's name
//! as `Host`. And any site can make the browser *send* a form (`POST`, `text/plain`) to it.
//! Dev servers have shipped both bugs (webpack-dev-server CVE-2018-14732; Vite's
//! `server.allowedHosts`). So:
//! - [`HostPolicy`]: a local page answers only a loopback `Host` with its own port, or a host
//!   the user allowed (a tunnel's name);
//! - [`check_state_change`]: a request that changes state carries [`REQUEST_HEADER`] or a JSON
//!   body, which a plain form cannot send (a cross-site `fetch` with either needs a CORS
//!   preflight, which these servers never grant), and its `Origin`, when present, is the page's
//!   own.

use http::header::{CONTENT_TYPE, HOST, ORIGIN};
use http::HeaderMap;

/// The header the pages send with every state-changing request.
pub const REQUEST_HEADER: &str = "x-hookgen-request";

/// Why a request was refused (answered 403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The hosts a local server answers.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    port: u16,
    allowed: Vec<String>,
}

impl HostPolicy {
    /// Loopback names and addresses (`127.0.0.1`, `localhost`, `[::1]`) with this port.
    pub fn loopback(port: u16) -> Self {
        HostPolicy {
            port,
            allowed: Vec::new(),
        }
    }

    /// Also answer this host name, with any port (a tunnel: `abc.ngrok.app`).
    pub fn allow_host(mut self, name: impl Into<String>) -> Self {
        self.allowed.push(name.into().to_ascii_lowercase());
        self
    }

    /// Is this `Host` one of ours?
    pub fn allows(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else {
            return false;
        };
        if self.allowed.contains(&name) {
            return true;
        }
        let loopback = name == "localhost"
            || name.ends_with(".localhost")
            || name == "[::1]"
            || name
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback());
        loopback && port == Some(self.port)
    }

    /// Refuse a request whose `Host` is missing or not ours.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| Refusal("no Host header".into()))?;
        if self.allows(host) {
            Ok(())
        } else {
            Err(Refusal(format!(
                "Host `{host}` is not this server (127.0.0.1:{port}, localhost:{port}); \
                 allow a tunnel's name with --allow-host NAME",
                port = self.port
            )))
        }
    }
}

/// `name[:port]` lowercased; `None` when it is not a host at all.
fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let rest = &host[end + 1..];
        let port = match rest.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if rest.is_empty() => None,
            None => return None,
        };
        (host[..=end].to_string(), port)
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name.to_string(), Some(port.parse().ok()?)),
            None => (host.clone(), None),
        }
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':'));
    valid.then_some((name, port))
}

/// Refuse a state-changing request that a page on another site could have made: it must
/// carry [`REQUEST_HEADER`] or a JSON `Content-Type`, its `Origin` (when the browser sent one)
/// must be the `Host` it was sent to, and `Sec-Fetch-Site` must not say `cross-site`.
pub fn check_state_change(headers: &HeaderMap) -> Result<(), Refusal> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let json = text(CONTENT_TYPE.as_str()).is_some_and(|t| {
        let media = t.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("application/json")
    });
    if headers.get(REQUEST_HEADER).is_none() && !json {
        return Err(Refusal(format!(
            "a state-changing request needs the `{REQUEST_HEADER}` header or a JSON body \
             (a form from another site can send neither)"
        )));
    }
    if let Some(site) = text("sec-fetch-site") {
        if site.eq_ignore_ascii_case("cross-site") {
            return Err(Refusal(
                "sent by another site (Sec-Fetch-Site: cross-site)".into(),
            ));
        }
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        let host = text(HOST.as_str()).unwrap_or_default();
        // Behind a proxy that rewrites `Host`, the public name arrives as `X-Forwarded-Host`
        // (which a cross-site page cannot set without a preflight).
        let forwarded = text("x-forwarded-host").map(|h| h.split(',').next().unwrap_or(h).trim());
        if !same_origin(origin, host) && !forwarded.is_some_and(|f| same_origin(origin, f)) {
            return Err(Refusal(format!(
                "Origin `{origin}` is not this page's own (Host `{host}`)"
            )));
        }
    }
    Ok(())
}

/// Is `origin` (`scheme://host[:port]`) the origin of a page served as `host`?
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    let with_port = |h: &str| -> Option<(String, u16)> {
        let (name, port) = split_host(h)?;
        Some((name, port.unwrap_or(default_port)))
    };
    match (with_port(rest), with_port(host)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_loopback_with_our_port_or_an_allowed_host() {
        let policy = HostPolicy::loopback(8787).allow_host("abc.ngrok.app");
        for ok in [
            "127.0.0.1:8787",
            "localhost:8787",
            "[::1]:8787",
            "LOCALHOST:8787",
            "abc.ngrok.app",
            "abc.ngrok.app:443",
        ] {
            assert!(policy.allows(ok), "{ok}");
        }
        for bad in [
            "attacker.example:8787",
            "127.0.0.1:9999",
            "127.0.0.1",
            "localhost",
            "",
            "127.0.0.1:8787@evil",
            "evil.ngrok.app",
            "[::1]x",
        ] {
            assert!(!policy.allows(bad), "{bad}");
        }
        assert!(policy.check(&HeaderMap::new()).is_err());
    }

    #[test]
    fn forms_and_other_origins_cannot_change_state() {
        let host = ("host", "127.0.0.1:8787");
        assert!(check_state_change(&headers(&[host, ("content-type", "text/plain")])).is_err());
        assert!(check_state_change(&headers(&[
            host,
            ("content-type", "application/x-www-form-urlencoded")
        ]))
        .is_err());
        assert!(check_state_change(&headers(&[
            host,
            (REQUEST_HEADER, "1"),
            ("origin", "http://attacker.example")
        ]))
        .is_err());
        assert!(
            check_state_change(&headers(&[host, (REQUEST_HEADER, "1"), ("origin", "null")]))
                .is_err()
        );
        assert!(check_state_change(&headers(&[
            host,
            (REQUEST_HEADER, "1"),
            ("sec-fetch-site", "cross-site")
        ]))
        .is_err());
        assert!(check_state_change(&headers(&[host, (REQUEST_HEADER, "1")])).is_ok());
        assert!(check_state_change(&headers(&[
            host,
            ("content-type", "application/json"),
            ("origin", "http://127.0.0.1:8787")
        ]))
        .is_ok());
        assert!(check_state_change(&headers(&[
            ("host", "app.example"),
            (REQUEST_HEADER, "1"),
            ("origin", "https://app.example")
        ]))
        .is_ok());
        assert!(check_state_change(&headers(&[
            ("host", "app.example"),
            (REQUEST_HEADER, "1"),
            ("origin", "https://app.example.evil")
        ]))
        .is_err());
        assert!(check_state_change(&headers(&[
            ("host", "app.example:443"),
            (REQUEST_HEADER, "1"),
            ("origin", "https://app.example")
        ]))
        .is_ok());
    }
}
