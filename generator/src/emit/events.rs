//! The `Event` enum: one variant per event type, an `Unknown` that keeps everything else.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::rust_types::{doc_attrs, ident, rust_type};
use crate::ir::{Api, Event, IdentityPart, TypeRef};

pub fn events_module(api: &Api, serialize_events: bool) -> TokenStream {
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
    let imports = super::rust_types::imports(
        payload_types
            .into_iter()
            .chain(timestamp.1.then_some(TypeRef::DateTime)),
    );
    let (timestamp, _) = timestamp;
    let identity_imports = identity_imports(api);
    let serde_imports = serialize_events.then(|| {
        quote!(
            use serde::{Serialize, Serializer};
        )
    });
    let serialize = serialize_events.then(|| serialize_impl(&idents));
    quote! {
        #identity_imports
        use hookgen_runtime::reexports::http::HeaderMap;
        use hookgen_runtime::{DecodeError, UnknownEvent};
        #imports
        #serde_imports

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

        #serialize
    }
}

/// `Serialize` for `Event` writes the payload as the vendor would send it (`serialize_events`).
fn serialize_impl(idents: &[proc_macro2::Ident]) -> TokenStream {
    quote! {
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

/// `from_request` and `from_slice`: read the delivery's identity, dispatch on it; events that
/// share an identity (or have none) are tried with exactly one allowed to accept; else `Unknown`.
fn from_slice(api: &Api) -> TokenStream {
    let identity = &api.identity;
    let parts = identity
        .parts
        .iter()
        .zip(&identity.loose)
        .map(|(p, loose)| {
            let part = match p {
                IdentityPart::Header(h) => quote!(IdentityPart::Header(#h)),
                IdentityPart::Body(b) => quote!(IdentityPart::Body(#b)),
            };
            let comparison = if *loose {
                quote!(Comparison::Loose)
            } else {
                quote!(Comparison::Exact)
            };
            quote!((#part, #comparison))
        });
    let identity_doc = format!(
        " Where a delivery names its event: {}.",
        identity.describe()
    );
    let slice_doc = match identity.parts.iter().find_map(|p| match p {
        IdentityPart::Header(h) => Some(h),
        IdentityPart::Body(_) => None,
    }) {
        Some(header) => format!(
            " Decode a delivery body alone. This vendor names the event in the `{header}` \
             header, so this returns an error naming it: use [`Event::from_request`]."
        ),
        None => " Decode a delivery body (JSON, or a form). Unknown event types are kept in \
                 [`Event::Unknown`]; a body that does not fit the event's schema is a \
                 [`DecodeError`] that still holds the raw body."
            .to_string(),
    };
    let dispatch = dispatch(api);
    quote! {
        #[doc = #identity_doc]
        pub const IDENTITY: EventIdentity<'static> = EventIdentity::new(&[#(#parts),*]);

        /// Decode a delivery from its request headers and body (JSON, a form, or multipart form
        /// data). The event is chosen by [`Event::IDENTITY`], never by trying schemas in turn;
        /// an event type this SDK does not know is kept in [`Event::Unknown`]; a body that does
        /// not fit its event's schema is a [`DecodeError`] that still holds the raw body.
        pub fn from_request(headers: &HeaderMap, body: &[u8]) -> Result<Self, DecodeError> {
            Self::from_delivery(&Delivery::read(&Self::IDENTITY, Some(headers), body)?)
        }

        #[doc = #slice_doc]
        pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
            Self::from_delivery(&Delivery::read(&Self::IDENTITY, None, body)?)
        }

        #dispatch
    }
}

fn dispatch(api: &Api) -> TokenStream {
    let identity = &api.identity;
    // Events grouped by the values a delivery is compared with; the most specific first, so
    // that an event that leaves a part open never shadows one that names it.
    let mut groups: Vec<(Vec<Option<String>>, Vec<&Event>)> = Vec::new();
    for e in &api.events {
        let key = identity.match_values(&e.identity);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(e),
            None => groups.push((key, vec![e])),
        }
    }
    groups.sort_by_key(|(k, _)| k.iter().filter(|v| v.is_none()).count());
    let open: Vec<&Event> = groups
        .iter()
        .filter(|(k, _)| k.iter().all(Option::is_none))
        .flat_map(|(_, members)| members.iter().copied())
        .collect();
    if identity.parts.is_empty() {
        if let [only] = api.events.as_slice() {
            // One event and nothing to tell: a body that breaks its schema says so.
            let v = format_ident!("{}", only.variant);
            let name = &only.name;
            return quote! {
                fn from_delivery(delivery: &Delivery<'_>) -> Result<Self, DecodeError> {
                    delivery.decode(#name).map(Self::#v)
                }
            };
        }
    }
    let arms = groups
        .iter()
        .filter(|(k, _)| k.iter().any(Option::is_some))
        .map(|(key, members)| {
            let pattern = key.iter().map(|v| match v {
                Some(v) => quote!(Some(#v)),
                None => quote!(_),
            });
            let body = match members.as_slice() {
                [one] => {
                    let v = format_ident!("{}", one.variant);
                    let name = &one.name;
                    quote!(Ok(Self::#v(delivery.decode(#name)?)))
                }
                many => {
                    let candidates = candidates(many);
                    quote! {
                        decode_one_of(delivery, &[#(#candidates),*])?
                            .ok_or_else(|| DecodeError::new(delivery.body, ".", "the body fits none of the events its identity names"))
                    }
                }
            };
            quote!([#(#pattern),*] => #body,)
        })
        .collect::<Vec<_>>();
    let fallback = if open.is_empty() {
        quote!(Ok(Self::Unknown(delivery.unknown()?)))
    } else {
        let candidates = candidates(&open);
        quote! {
            match decode_one_of(delivery, &[#(#candidates),*])? {
                Some(event) => Ok(event),
                None => Ok(Self::Unknown(delivery.unknown()?)),
            }
        }
    };
    if arms.is_empty() {
        return quote! {
            fn from_delivery(delivery: &Delivery<'_>) -> Result<Self, DecodeError> {
                #fallback
            }
        };
    }
    quote! {
        fn from_delivery(delivery: &Delivery<'_>) -> Result<Self, DecodeError> {
            match delivery.keys().as_slice() {
                #(#arms)*
                _ => #fallback,
            }
        }
    }
}

/// The identity items the dispatch uses, and no others.
fn identity_imports(api: &Api) -> TokenStream {
    let mut names = vec![quote!(Delivery), quote!(EventIdentity)];
    if !api.identity.parts.is_empty() {
        names.extend([quote!(Comparison), quote!(IdentityPart)]);
    }
    if uses_one_of(api) {
        names.insert(0, quote!(decode_one_of));
    }
    quote!(use hookgen_runtime::identity::{#(#names),*};)
}

/// Whether some events share an identity (or have none) and are told apart by their schemas.
fn uses_one_of(api: &Api) -> bool {
    let single = api.identity.parts.is_empty() && api.events.len() == 1;
    let mut seen = std::collections::HashSet::new();
    !single
        && api.events.iter().any(|e| {
            let key = api.identity.match_values(&e.identity);
            key.iter().all(Option::is_none) || !seen.insert(key)
        })
}

/// `("name", |d, n| d.decode(n).map(Self::Variant))` for each event.
fn candidates(events: &[&Event]) -> Vec<TokenStream> {
    events
        .iter()
        .map(|e| {
            let v = format_ident!("{}", e.variant);
            let name = &e.name;
            quote!((#name, |d: &Delivery<'_>, n: &str| d.decode(n).map(Self::#v)))
        })
        .collect()
}

/// Whether the `Event` enum gets an `id()` accessor.
pub fn has_id_accessor(api: &Api) -> bool {
    api.events.iter().any(|e| e.id_field.is_some())
}

/// `id()` where payloads carry an id field.
fn accessor_id(api: &Api) -> TokenStream {
    let arms: Vec<TokenStream> = api
        .events
        .iter()
        .filter_map(|e| {
            let f = e.id_field.as_ref()?;
            let v = format_ident!("{}", e.variant);
            let fname = ident(&f.name);
            Some(if !f.optional {
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
            let f = e.timestamp_field.as_ref()?;
            let v = format_ident!("{}", e.variant);
            let fname = ident(&f.name);
            Some(if !f.optional {
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
