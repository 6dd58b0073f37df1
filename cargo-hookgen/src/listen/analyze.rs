//! What `listen` says about a delivery: did it verify (and if not, why), which event is it,
//! and where does the payload not fit the spec's schema.

use hookgen_runtime::identity::{Comparison, Delivery, EventIdentity, IdentityPart};
use hookgen_runtime::reexports::http::HeaderMap;
use hookgen_runtime::Scheme;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use hookgen::ir::{Api, Event};

/// A field that does not fit, by JSON pointer into the body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

/// The verdicts on one delivery.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Analysis {
    /// `None` when not checked (no `--secret`, or no scheme in the spec).
    pub verified: Option<bool>,
    /// What verification said: the scheme on success, the precise reason on failure.
    pub verification: String,
    /// The event, as the vendor names it, when it could be told.
    pub event_type: Option<String>,
    /// Schema problems; empty when the payload fits.
    pub problems: Vec<Problem>,
    /// The body was over the limit and was not read.
    pub too_large: bool,
}

impl Analysis {
    /// A delivery that was not read at all.
    pub fn refused(why: String) -> Analysis {
        Analysis {
            verified: Some(false),
            verification: why,
            too_large: true,
            ..Analysis::default()
        }
    }
}

pub fn analyze(
    api: &Api,
    scheme: Option<&Scheme>,
    secret: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    url: &str,
) -> Analysis {
    let (verified, verification) = verify(scheme, secret, headers, body, url);
    let mut analysis = Analysis {
        verified,
        verification,
        ..Analysis::default()
    };
    let (value, identified) = match parse(api, headers, body) {
        Ok(v) => v,
        Err(why) => {
            analysis.problems.push(Problem {
                pointer: String::new(),
                message: why,
            });
            return analysis;
        }
    };
    match identify(api, &identified, &value) {
        Ok(event) => {
            analysis.event_type = Some(event.name.clone());
            let mut found = Vec::new();
            hookgen::lint::validate(&api.types, &event.payload, &value, "", &mut found);
            analysis.problems = found
                .into_iter()
                .map(|m| Problem {
                    pointer: m.at,
                    message: m.message,
                })
                .collect();
        }
        Err((named, why)) => {
            analysis.event_type = named;
            analysis.problems.push(Problem {
                pointer: String::new(),
                message: why,
            });
        }
    }
    analysis
}

/// What the delivery's identity parts say, as compared and as sent.
struct Identified {
    keys: Vec<Option<String>>,
    event_type: Option<String>,
}

fn verify(
    scheme: Option<&Scheme>,
    secret: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    url: &str,
) -> (Option<bool>, String) {
    let Some(scheme) = scheme else {
        return (
            None,
            "not checked: the spec declares no signature scheme".into(),
        );
    };
    let Some(secret) = secret else {
        return (
            None,
            "not checked: listen was started without --secret".into(),
        );
    };
    let secrets = [secret.to_string()];
    let delivery = crate::verify_cmd::Delivery {
        secrets: &secrets,
        headers: headers.clone(),
        body: body.to_vec(),
        url: Some(url.to_string()),
        at: None,
    };
    match crate::verify_cmd::verify(scheme, &delivery) {
        Ok(message) => (Some(true), message),
        Err(reason) => (Some(false), reason),
    }
}

/// The body as JSON (a form or multipart body as the SDK reads it) and its identity values,
/// read the way the generated SDK reads them.
fn parse(api: &Api, headers: &HeaderMap, body: &[u8]) -> Result<(Value, Identified), String> {
    if body.is_empty() {
        return Err("the body is empty".into());
    }
    let parts: Vec<(IdentityPart<'_>, Comparison)> = api
        .identity
        .parts
        .iter()
        .zip(&api.identity.loose)
        .map(|(p, loose)| {
            let part = match p {
                hookgen::ir::IdentityPart::Header(h) => IdentityPart::Header(h),
                hookgen::ir::IdentityPart::Body(b) => IdentityPart::Body(b),
            };
            (
                part,
                if *loose {
                    Comparison::Loose
                } else {
                    Comparison::Exact
                },
            )
        })
        .collect();
    let identity = EventIdentity::new(&parts);
    let delivery = Delivery::read(&identity, Some(headers), body).map_err(|e| {
        if std::str::from_utf8(body).is_err() {
            "the body is not JSON (not even UTF-8 text)".to_string()
        } else {
            format!("the body is not JSON: {}", e.message)
        }
    })?;
    let value = serde_json::from_slice(&delivery.json).map_err(|e| {
        if std::str::from_utf8(body).is_err() {
            "the body is not JSON (not even UTF-8 text)".to_string()
        } else {
            format!("the body is not JSON: {e}")
        }
    })?;
    let identified = Identified {
        keys: delivery
            .keys()
            .into_iter()
            .map(|k| k.map(str::to_string))
            .collect(),
        event_type: delivery.event_type(),
    };
    Ok((value, identified))
}

/// The event a delivery is, chosen as the SDK chooses it: by its identity; where several
/// events share it (or none is named), the one whose schema alone fits. `Err((type named,
/// why))` when none.
fn identify<'a>(
    api: &'a Api,
    identified: &Identified,
    value: &Value,
) -> Result<&'a Event, (Option<String>, String)> {
    let matches = |e: &Event| {
        api.identity
            .match_values(&e.identity)
            .iter()
            .zip(&identified.keys)
            .all(|(want, got)| want.is_none() || want == got)
    };
    let specificity = |e: &Event| e.identity.iter().filter(|v| v.is_some()).count();
    let candidates: Vec<&Event> = api.events.iter().filter(|e| matches(e)).collect();
    let best = candidates.iter().map(|e| specificity(e)).max();
    let candidates: Vec<&Event> = candidates
        .into_iter()
        .filter(|e| Some(specificity(e)) == best)
        .collect();
    if let ([only], Some(n)) = (candidates.as_slice(), best) {
        if n > 0 || api.events.len() == 1 {
            return Ok(only);
        }
    }
    let fitting: Vec<&Event> = candidates
        .iter()
        .copied()
        .filter(|e| {
            let mut p = Vec::new();
            hookgen::lint::validate(&api.types, &e.payload, value, "", &mut p);
            p.is_empty()
        })
        .collect();
    match fitting.as_slice() {
        [only] => Ok(only),
        [] if candidates.is_empty() || best == Some(0) => Err(match &identified.event_type {
            Some(named) => (
                Some(named.clone()),
                format!("`{named}` is not an event type of this spec (the SDK keeps it as `Event::Unknown`)"),
            ),
            None => (None, "the payload fits no event of this spec".into()),
        }),
        [] => Err((
            identified.event_type.clone(),
            "the payload fits none of the events its identity names".into(),
        )),
        many => {
            let names: Vec<&str> = many.iter().map(|e| e.name.as_str()).collect();
            Err((
                None,
                format!("ambiguous: the payload fits the events {}", names.join(", ")),
            ))
        }
    }
}
