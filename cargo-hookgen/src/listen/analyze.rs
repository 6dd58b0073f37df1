//! What `listen` says about a delivery: did it verify (and if not, why), which event is it,
//! and where does the payload not fit the spec's schema.

use hookgen_runtime::reexports::http::HeaderMap;
use hookgen_runtime::Scheme;
use serde::{Deserialize, Serialize};

use hookgen::ir::Api;
use hookgen::received;

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
    let received = match received::read(api, headers, body) {
        Ok(r) => r,
        Err(why) => {
            analysis.problems.push(Problem {
                pointer: String::new(),
                message: why,
            });
            return analysis;
        }
    };
    match received::identify(api, &received) {
        Ok(event) => {
            analysis.event_type = Some(event.name.clone());
            let mut found = Vec::new();
            hookgen::lint::validate(&api.types, &event.payload, &received.value, "", &mut found);
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
