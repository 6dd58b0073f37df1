//! A delivery as a generated SDK reads it: the body as JSON (a form or multipart body as the
//! SDK reads it), its identity values, and the event it is, chosen as the SDK chooses it.
//! Shared by everything that judges received payloads against a spec: `listen`'s verdicts,
//! `drift` and `diff --inbox`.

use hookgen_runtime::identity::{Comparison, Delivery, EventIdentity, IdentityPart};
use hookgen_runtime::reexports::http::HeaderMap;
use serde_json::Value;

use crate::ir::{Api, Event};
use crate::lint;

/// A delivery as stored: its id in the store, its headers and its raw body.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A delivery read: its JSON and what its identity parts say.
#[derive(Debug, Clone)]
pub struct Received {
    pub value: Value,
    /// Each identity part's value, as compared.
    pub keys: Vec<Option<String>>,
    /// The event type as the delivery names it, when it names one.
    pub event_type: Option<String>,
}

/// Read a delivery's body and identity the way the generated SDK reads them; why not, when
/// it cannot be read.
pub fn read(api: &Api, headers: &HeaderMap, body: &[u8]) -> Result<Received, String> {
    if body.is_empty() {
        return Err("the body is empty".into());
    }
    let not_json = |why: String| {
        if std::str::from_utf8(body).is_err() {
            "the body is not JSON (not even UTF-8 text)".to_string()
        } else {
            format!("the body is not JSON: {why}")
        }
    };
    let parts: Vec<(IdentityPart<'_>, Comparison)> = api
        .identity
        .parts
        .iter()
        .zip(&api.identity.loose)
        .map(|(p, loose)| {
            let part = match p {
                crate::ir::IdentityPart::Header(h) => IdentityPart::Header(h),
                crate::ir::IdentityPart::Body(b) => IdentityPart::Body(b),
            };
            let comparison = if *loose {
                Comparison::Loose
            } else {
                Comparison::Exact
            };
            (part, comparison)
        })
        .collect();
    let identity = EventIdentity::new(&parts);
    let delivery =
        Delivery::read(&identity, Some(headers), body).map_err(|e| not_json(e.message))?;
    let value = serde_json::from_slice(&delivery.json).map_err(|e| not_json(e.to_string()))?;
    Ok(Received {
        value,
        keys: delivery
            .keys()
            .into_iter()
            .map(|k| k.map(str::to_string))
            .collect(),
        event_type: delivery.event_type(),
    })
}

/// Why a delivery is no event of the spec: the type it names, if any, and the reason.
pub type Unidentified = (Option<String>, String);

/// The event a delivery is, chosen as the SDK chooses it: by its identity; where several
/// events share it (or none is named), the one whose schema alone fits.
pub fn identify<'a>(api: &'a Api, received: &Received) -> Result<&'a Event, Unidentified> {
    let candidates = candidates(api, received);
    let specificity = candidates.first().map(|e| specificity(e));
    if let ([only], Some(n)) = (candidates.as_slice(), specificity) {
        if n > 0 || api.events.len() == 1 {
            return Ok(only);
        }
    }
    let fitting: Vec<&Event> = candidates
        .iter()
        .copied()
        .filter(|e| fits(api, e, &received.value))
        .collect();
    match fitting.as_slice() {
        [only] => Ok(only),
        [] if candidates.is_empty() || specificity == Some(0) => Err(match &received.event_type {
            Some(named) => (
                Some(named.clone()),
                format!(
                    "`{named}` is not an event type of this spec (the SDK keeps it as `Event::Unknown`)"
                ),
            ),
            None => (None, "the payload fits no event of this spec".into()),
        }),
        [] => Err((
            received.event_type.clone(),
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

/// The event a delivery's identity names on its own, when exactly one of the most specific
/// matches does, whether or not the payload fits it: what drift amends the spec towards.
pub fn named_event<'a>(api: &'a Api, received: &Received) -> Option<&'a Event> {
    match candidates(api, received).as_slice() {
        [only] if specificity(only) > 0 => Some(only),
        _ => None,
    }
}

/// The events whose identity the delivery matches, the most specific only.
fn candidates<'a>(api: &'a Api, received: &Received) -> Vec<&'a Event> {
    let matches = |e: &Event| {
        api.identity
            .match_values(&e.identity)
            .iter()
            .zip(&received.keys)
            .all(|(want, got)| want.is_none() || want == got)
    };
    let all: Vec<&Event> = api.events.iter().filter(|e| matches(e)).collect();
    let best = all.iter().map(|e| specificity(e)).max();
    all.into_iter()
        .filter(|e| Some(specificity(e)) == best)
        .collect()
}

fn specificity(e: &Event) -> usize {
    e.identity.iter().filter(|v| v.is_some()).count()
}

/// The payload decodes as the event (the typed decoder's rules).
pub fn fits(api: &Api, event: &Event, value: &Value) -> bool {
    refused(api, event, value).is_empty()
}

/// Where the payload departs from the event's schema in ways the typed decoder refuses.
pub fn refused(api: &Api, event: &Event, value: &Value) -> Vec<lint::Mismatch> {
    let mut problems = Vec::new();
    lint::validate(&api.types, &event.payload, value, "", &mut problems);
    problems.retain(|m| !m.decodes_anyway);
    problems
}

/// The event a stored delivery decodes into under `api`, as the SDK decides; why not.
pub fn decode<'a>(api: &'a Api, stored: &Stored) -> Result<&'a Event, String> {
    let received = read(api, &stored.headers, &stored.body)?;
    let event = identify(api, &received).map_err(|(_, why)| why)?;
    let problems = refused(api, event, &received.value);
    if problems.is_empty() {
        return Ok(event);
    }
    let first: Vec<String> = problems
        .iter()
        .take(3)
        .map(|m| {
            format!(
                "{}: {}",
                if m.at.is_empty() { "/" } else { &m.at },
                m.message
            )
        })
        .collect();
    Err(format!(
        "`{}` does not decode: {}",
        event.name,
        first.join("; ")
    ))
}
