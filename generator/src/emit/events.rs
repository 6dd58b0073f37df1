//! The `Event` enum: one variant per event type, an `Unknown` that keeps everything else.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::rust_types::{doc_attrs, ident, rust_type};
use crate::ir::{Api, Event, TypeRef};

/// Field names that carry an event's id and time, in order of preference.
const ID_FIELDS: &[&str] = &["id", "eventId", "event_id"];
const TIME_FIELDS: &[&str] = &[
    "timestamp",
    "created_at",
    "createdAt",
    "created",
    "occurred_at",
    "occurredAt",
    "time",
];

pub fn events_module(api: &Api) -> TokenStream {
    let variants = api.events.iter().map(|e| variant(api, e));
    let names: Vec<&str> = api.events.iter().map(|e| e.name.as_str()).collect();
    let vendor_doc = format!(" A webhook event from {}.", api.vendor);
    let idents: Vec<_> = api
        .events
        .iter()
        .map(|e| format_ident!("{}", e.variant))
        .collect();
    let from_slice = from_slice(api);
    let id = accessor_id(api);
    let timestamp = accessor_timestamp(api);
    let payload_types: Vec<TypeRef> = api.events.iter().map(|e| e.payload.clone()).collect();
    let imports = super::imports(
        payload_types
            .into_iter()
            .chain(timestamp.1.then_some(TypeRef::DateTime)),
    );
    let (timestamp, _) = timestamp;
    let probe_import = api.event_type_field.as_ref().map(|_| {
        quote!(
            use serde::Deserialize;
        )
    });
    quote! {
        use hookgen_runtime::{decode, DecodeError, UnknownEvent};
        #imports
        #probe_import
        use serde::{Serialize, Serializer};

        #[allow(unused_imports)]
        use super::types::*;

        #[doc = #vendor_doc]
        ///
        /// `#[non_exhaustive]`: the vendor adds event types; an event this SDK does not know
        /// decodes into [`Event::Unknown`] with its type and payload kept, never into an error.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            #(#variants)*
            /// An event type this SDK does not know; nothing is dropped.
            Unknown(UnknownEvent),
        }

        impl Event {
            /// Every event type this SDK knows, as the vendor names them.
            pub const TYPES: &'static [&'static str] = &[#(#names),*];

            #from_slice

            /// The event type, as the vendor names it.
            pub fn event_type(&self) -> &str {
                match self {
                    #(Self::#idents(_) => #names,)*
                    Self::Unknown(e) => e.event_type.as_deref().unwrap_or_default(),
                }
            }

            #id
            #timestamp
        }

        impl Serialize for Event {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(Self::#idents(payload) => payload.serialize(serializer),)*
                    Self::Unknown(e) => e.payload.serialize(serializer),
                }
            }
        }
    }
}

fn variant(api: &Api, e: &Event) -> TokenStream {
    let name = format_ident!("{}", e.variant);
    let ty = rust_type(&api.types, &e.payload);
    let mut doc = String::new();
    if let Some(s) = &e.summary {
        doc.push_str(s.trim());
        doc.push_str("\n\n");
    }
    if let Some(d) = &e.description {
        if Some(d) != e.summary.as_ref() {
            doc.push_str(d.trim());
            doc.push_str("\n\n");
        }
    }
    doc.push_str(&format!("Event type `{}`.", e.name));
    let docs = doc_attrs(Some(&doc));
    let deprecated = e.deprecated.then(|| quote!(#[deprecated]));
    quote! { #docs #deprecated #name(#ty), }
}

/// Dispatch on the payload's type field; events without one are tried in order; else `Unknown`.
fn from_slice(api: &Api) -> TokenStream {
    if api.form_payloads {
        // The vendor posts forms: read one as the JSON object of its fields, then decode as usual;
        // errors keep the body as received.
        let json = from_json_slice(api, format_ident!("from_json_slice"), quote!());
        return quote! {
            /// Decode a delivery body, JSON or a form (`application/x-www-form-urlencoded`, read as
            /// the object of its fields). Unknown event types are kept in [`Event::Unknown`]; a body
            /// that does not fit is a [`DecodeError`] that still holds the raw body.
            pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
                match hookgen_runtime::form_as_json(body) {
                    Some(json) => Self::from_json_slice(&json).map_err(|e| e.with_body(body)),
                    None => Self::from_json_slice(body),
                }
            }

            #json
        };
    }
    from_json_slice(api, format_ident!("from_slice"), quote!(pub))
}

fn from_json_slice(api: &Api, name: proc_macro2::Ident, vis: TokenStream) -> TokenStream {
    let doc = quote! {
        /// Decode a delivery body. Unknown event types are kept in [`Event::Unknown`]; a body that
        /// does not fit the event's schema is a [`DecodeError`] that still holds the raw body.
    };
    let by_field: Vec<&Event> = api.events.iter().filter(|e| e.name_in_payload).collect();
    let untagged: Vec<&Event> = api.events.iter().filter(|e| !e.name_in_payload).collect();
    let try_untagged = untagged.iter().map(|e| {
        let v = format_ident!("{}", e.variant);
        let ty = rust_type(&api.types, &e.payload);
        quote! {
            if let Ok(payload) = decode::<#ty>(body) {
                return Ok(Self::#v(payload));
            }
        }
    });
    let unknown = quote! {
        let payload = decode::<serde_json::Value>(body)?;
        Ok(Self::Unknown(UnknownEvent { event_type, payload }))
    };
    let Some(field) = &api.event_type_field else {
        return quote! {
            #doc
            #vis fn #name(body: &[u8]) -> Result<Self, DecodeError> {
                #(#try_untagged)*
                let event_type = None;
                #unknown
            }
        };
    };
    let arms = by_field.iter().map(|e| {
        let v = format_ident!("{}", e.variant);
        let name = &e.name;
        quote! { Some(#name) => decode(body).map(Self::#v).map_err(|e| e.with_event_type(#name)), }
    });
    quote! {
        #doc
        #vis fn #name(body: &[u8]) -> Result<Self, DecodeError> {
            /// Reads only the event type; every other field is skipped.
            #[derive(Deserialize)]
            struct Probe<'a> {
                #[serde(rename = #field, borrow, default)]
                event_type: Option<std::borrow::Cow<'a, str>>,
            }
            let probe: Probe<'_> = serde_json::from_slice(body).map_err(|e| DecodeError::new(body, ".", e.to_string()))?;
            match probe.event_type.as_deref() {
                #(#arms)*
                _ => {
                    #(#try_untagged)*
                    let event_type = probe.event_type.map(std::borrow::Cow::into_owned);
                    #unknown
                }
            }
        }
    }
}

/// Whether the `Event` enum gets an `id()` accessor.
pub fn has_id_accessor(api: &Api) -> bool {
    !accessor_id(api).is_empty()
}

/// The first top-level payload field named one of `names` (in the order of `names`).
fn payload_field<'a>(api: &'a Api, e: &Event, names: &[&str]) -> Option<&'a crate::ir::Field> {
    let fields = api.types.fields_of(&e.payload);
    names
        .iter()
        .find_map(|n| fields.iter().find(|f| f.wire == *n))
}

/// `id()` where payloads carry an id field.
fn accessor_id(api: &Api) -> TokenStream {
    let arms: Vec<TokenStream> = api
        .events
        .iter()
        .filter_map(|e| {
            let f = payload_field(api, e, ID_FIELDS)?;
            if !matches!(
                f.ty,
                TypeRef::String | TypeRef::Uuid | TypeRef::Integer | TypeRef::Integer32
            ) || f.boxed
            {
                return None;
            }
            let v = format_ident!("{}", e.variant);
            let fname = ident(&f.name);
            Some(if f.required && !f.nullable {
                quote!(Self::#v(e) => Some(e.#fname.to_string()),)
            } else {
                quote!(Self::#v(e) => e.#fname.as_ref().map(ToString::to_string),)
            })
        })
        .collect();
    if arms.is_empty() {
        return quote!();
    }
    let wildcard = (arms.len() < api.events.len()).then(|| quote!(_ => None,));
    quote! {
        /// The event's id, the key for idempotency, when the payload carries one.
        pub fn id(&self) -> Option<String> {
            match self {
                #(#arms)*
                Self::Unknown(e) => e.payload.get("id").and_then(|id| match id {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }),
                #wildcard
            }
        }
    }
}

/// `timestamp()` where payloads carry a date-time; the bool says whether it was emitted.
fn accessor_timestamp(api: &Api) -> (TokenStream, bool) {
    let arms: Vec<TokenStream> = api
        .events
        .iter()
        .filter_map(|e| {
            let f = payload_field(api, e, TIME_FIELDS)?;
            if f.ty != TypeRef::DateTime || f.boxed {
                return None;
            }
            let v = format_ident!("{}", e.variant);
            let fname = ident(&f.name);
            Some(if f.required && !f.nullable {
                quote!(Self::#v(e) => Some(&e.#fname),)
            } else {
                quote!(Self::#v(e) => e.#fname.as_ref(),)
            })
        })
        .collect();
    if arms.is_empty() {
        return (quote!(), false);
    }
    let wildcard = (arms.len() < api.events.len()).then(|| quote!(_ => None,));
    (
        quote! {
            /// When the vendor says the event happened, when the payload carries it.
            pub fn timestamp(&self) -> Option<&Timestamp> {
                match self {
                    #(#arms)*
                    Self::Unknown(_) => None,
                    #wildcard
                }
            }
        },
        true,
    )
}
