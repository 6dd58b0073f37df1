//! What `listen` says about a delivery: did it verify (and if not, why), which event is it,
//! and where does the payload not fit the spec's schema.

use hookgen_runtime::reexports::http::HeaderMap;
use hookgen_runtime::Scheme;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ir::{Api, Event};

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
    let value = match parse(body) {
        Ok(v) => v,
        Err(why) => {
            analysis.problems.push(Problem {
                pointer: String::new(),
                message: why,
            });
            return analysis;
        }
    };
    match identify(api, &value) {
        Ok(event) => {
            analysis.event_type = Some(event.name.clone());
            let mut found = Vec::new();
            crate::lint::validate(&api.types, &event.payload, &value, "", &mut found);
            analysis.problems = found
                .into_iter()
                .map(|(pointer, message)| Problem { pointer, message })
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

/// The body as JSON (a form body as the object of its fields, as the SDK reads it).
fn parse(body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Err("the body is empty".into());
    }
    let json = hookgen_runtime::form_as_json(body);
    let bytes = json.as_deref().unwrap_or(body);
    serde_json::from_slice(bytes).map_err(|e| {
        if std::str::from_utf8(body).is_err() {
            "the body is not JSON (not even UTF-8 text)".to_string()
        } else {
            format!("the body is not JSON: {e}")
        }
    })
}

/// The event a payload is: by its type field, else the only event, else the first whose
/// schema it fits. `Err((type named, why))` when none.
fn identify<'a>(api: &'a Api, value: &Value) -> Result<&'a Event, (Option<String>, String)> {
    if let Some(field) = &api.event_type_field {
        let Some(named) = value.get(field).and_then(Value::as_str) else {
            return Err((
                None,
                format!("the payload has no `{field}` naming its event type"),
            ));
        };
        return api
            .events
            .iter()
            .find(|e| e.name_in_payload && e.name == named)
            .ok_or_else(|| {
                (
                    Some(named.to_string()),
                    format!(
                        "`{named}` is not an event type of this spec (the SDK keeps it as `Event::Unknown`)"
                    ),
                )
            });
    }
    if let [only] = api.events.as_slice() {
        return Ok(only);
    }
    api.events
        .iter()
        .find(|e| {
            let mut p = Vec::new();
            crate::lint::validate(&api.types, &e.payload, value, "", &mut p);
            p.is_empty()
        })
        .ok_or((None, "the payload fits no event of this spec".into()))
}
