//! The `Webhook` type: verify + decode in one call, with the vendor's scheme built in.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::Api;
use hookgen_runtime::verify::{Code, SignInputs, Signing};
use hookgen_runtime::Scheme;

pub fn webhook_module(api: &Api) -> TokenStream {
    let has_id = super::events::has_id_accessor(api);
    let event_id = if has_id {
        quote!(event.id())
    } else {
        quote!({
            let _ = event;
            None
        })
    };
    let scheme = api.signature.as_ref().map(|s| &s.scheme);
    let scheme_doc = scheme_docs(api);
    let constructors = match scheme {
        Some(s) if *s != Scheme::None => secure_constructors(s),
        _ => quote!(),
    };
    let sign = scheme.map(sign_method).unwrap_or_default();
    let verify_request = scheme.map(url_methods).unwrap_or_default();
    // Only a scheme that sends its secret verbatim has headers the inbox must mask.
    let credentials = scheme
        .filter(|s| !s.credential_headers().is_empty())
        .map(|_| {
            quote! {
                fn credential_headers(&self) -> Vec<String> {
                    self.verifier.scheme().credential_headers()
                }
            }
        });
    let scheme_fn = scheme.map(|s| {
        let expr = scheme_expr(s);
        quote! {
            /// The signature scheme this vendor uses, as declared in the spec.
            pub fn scheme() -> Scheme {
                #expr
            }
        }
    });
    let scheme_imports = scheme.map(scheme_imports).unwrap_or_default();
    quote! {
        use std::time::{Duration, SystemTime};

        use hookgen_runtime::reexports::http::HeaderMap;
        use hookgen_runtime::{DecodeError, Verifier, WebhookError, WebhookVerifier};
        #scheme_imports

        use super::events::Event;

        #scheme_doc
        #[derive(Debug)]
        pub struct Webhook {
            verifier: Verifier,
        }

        impl Webhook {
            #scheme_fn
            #constructors

            /// Accept every delivery without checking where it came from.
            ///
            /// Only for transports that already authenticate the sender; never the default.
            pub fn insecure_without_verification() -> Self {
                Webhook { verifier: Verifier::insecure_without_verification() }
            }

            /// Change the replay window (inclusive) for schemes with a timestamp.
            pub fn with_tolerance(self, tolerance: Duration) -> Self {
                Webhook { verifier: self.verifier.with_tolerance(tolerance) }
            }

            /// Verify the signature over the raw body, then decode the event.
            pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Event, WebhookError> {
                self.verify_at(headers, body, SystemTime::now())
            }

            /// [`Webhook::verify`] with an explicit clock.
            pub fn verify_at(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<Event, WebhookError> {
                self.verify_signature_at(headers, body, now)?;
                Ok(Event::from_request(headers, body)?)
            }

            /// Verify the signature only, e.g. to queue the raw body for later decoding.
            pub fn verify_signature(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
                self.verify_signature_at(headers, body, SystemTime::now())
            }

            /// [`Webhook::verify_signature`] with an explicit clock.
            pub fn verify_signature_at(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<(), WebhookError> {
                self.verifier.verify_at(headers, body, now)
            }

            #verify_request

            #sign

            /// The underlying verifier (for receivers and middleware).
            pub fn verifier(&self) -> &Verifier {
                &self.verifier
            }
        }

        impl WebhookVerifier for Webhook {
            type Event = Event;

            fn verify_signature_at(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<(), WebhookError> {
                Webhook::verify_signature_at(self, headers, body, now)
            }

            fn decode(&self, headers: &HeaderMap, body: &[u8]) -> Result<Event, DecodeError> {
                Event::from_request(headers, body)
            }

            fn event_type(event: &Event) -> String {
                event.event_type().to_owned()
            }

            fn event_id(event: &Event) -> Option<String> {
                #event_id
            }

            #credentials
        }
    }
}

fn scheme_docs(api: &Api) -> TokenStream {
    let vendor = &api.vendor;
    let mut doc = format!("Verifies and decodes {vendor} webhook deliveries.\n\n");
    match api.signature.as_ref().and_then(|s| s.scheme.describe()) {
        Some(description) => doc.push_str(&description),
        None => doc.push_str(
            "No signature scheme is declared for this vendor: only [`Webhook::insecure_without_verification`] is offered.",
        ),
    }
    let lines = doc.lines().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

fn secure_constructors(_s: &Scheme) -> TokenStream {
    quote! {
        /// A verifier for one secret. Fails now if the secret cannot be used.
        pub fn new(secret: impl AsRef<str>) -> Result<Self, WebhookError> {
            Self::with_secrets([secret])
        }

        /// A verifier accepting any of several secrets (rotation).
        pub fn with_secrets<I, S>(secrets: I) -> Result<Self, WebhookError>
        where
            I: IntoIterator<Item = S>,
            S: AsRef<str>,
        {
            Ok(Webhook { verifier: Verifier::new(Self::scheme(), secrets)? })
        }
    }
}

/// For schemes that sign the request URL (Twilio): verify with the URL the vendor called.
fn url_methods(s: &Scheme) -> TokenStream {
    if !s.needs_url() {
        return quote!();
    }
    quote! {
        /// Verify a delivery, then decode it. This vendor signs the request URL: `url` is the
        /// full URL it called (scheme, host, path and query), as configured on its side.
        pub fn verify_request(&self, url: &str, headers: &HeaderMap, body: &[u8]) -> Result<Event, WebhookError> {
            self.verify_request_at(url, headers, body, SystemTime::now())
        }

        /// [`Webhook::verify_request`] with an explicit clock.
        pub fn verify_request_at(&self, url: &str, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<Event, WebhookError> {
            self.verifier.verify_request_at(url, headers, body, now)?;
            Ok(Event::from_request(headers, body)?)
        }
    }
}

/// `sign` takes exactly what the scheme signs: an id and a timestamp only where it has them.
fn sign_method(s: &Scheme) -> TokenStream {
    let Some(Signing { inputs, doc }) = s.signing() else {
        return quote!();
    };
    let docs = doc.lines().map(|l| format!(" {}", l.trim()));
    let method = match inputs {
        SignInputs::BodyIdTimestamp => quote! {
            pub fn sign(&self, body: &[u8], id: &str, timestamp: i64) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(body, Some(id), Some(timestamp))
            }
        },
        SignInputs::UrlBody => quote! {
            pub fn sign(&self, url: &str, body: &[u8]) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign_request(url, body, None, None)
            }
        },
        SignInputs::BodyTimestamp => quote! {
            pub fn sign(&self, body: &[u8], timestamp: i64) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(body, None, Some(timestamp))
            }
        },
        SignInputs::Body => quote! {
            pub fn sign(&self, body: &[u8]) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(body, None, None)
            }
        },
        SignInputs::Timestamp => quote! {
            pub fn sign(&self, timestamp: i64) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(&[], None, Some(timestamp))
            }
        },
        SignInputs::Nothing => quote! {
            pub fn sign(&self) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(&[], None, None)
            }
        },
        SignInputs::IntoBody => quote! {
            pub fn sign(&self, body: &[u8]) -> Result<Vec<u8>, WebhookError> {
                self.verifier.sign_body(body)
            }
        },
    };
    quote!(#(#[doc = #docs])* #method)
}

/// The `use` lines the scheme's expression needs.
pub fn scheme_imports(s: &Scheme) -> TokenStream {
    let mut names = s.construct().map(|code| code.imports()).unwrap_or_default();
    names.sort_unstable();
    let names: Vec<_> = names.into_iter().map(|n| format_ident!("{n}")).collect();
    let verify = (!names.is_empty()).then(|| quote!(use hookgen_runtime::verify::{#(#names),*};));
    quote!(#verify use hookgen_runtime::Scheme;)
}

/// A Rust expression that builds the scheme, as the scheme prints itself.
pub fn scheme_expr(s: &Scheme) -> TokenStream {
    let variant = format_ident!("{}", s.variant_name());
    match s.construct() {
        Some(code) => {
            let inner = code_tokens(&code);
            quote!(Scheme::#variant(#inner))
        }
        None => quote!(Scheme::#variant),
    }
}

/// Tokens of a scheme's self-description.
fn code_tokens(code: &Code) -> TokenStream {
    let all = |codes: &[Code]| codes.iter().map(code_tokens).collect::<Vec<_>>();
    match code {
        Code::Item { name, member } => {
            let name = format_ident!("{name}");
            match member {
                Some(m) => {
                    let m = format_ident!("{m}");
                    quote!(#name::#m)
                }
                None => quote!(#name),
            }
        }
        Code::Prelude(text) => text.parse().unwrap_or_default(),
        Code::Text(t) => quote!(#t),
        Code::Owned(t) => quote!(#t.to_owned()),
        Code::Int(n) => {
            let n = Literal::u64_unsuffixed(*n);
            quote!(#n)
        }
        Code::Call(callee, args) => {
            let (callee, args) = (code_tokens(callee), all(args));
            quote!(#callee(#(#args),*))
        }
        Code::Method(receiver, name, args) => {
            let (receiver, name, args) =
                (code_tokens(receiver), format_ident!("{name}"), all(args));
            quote!(#receiver.#name(#(#args),*))
        }
        Code::Struct(name, fields) => {
            let name = format_ident!("{name}");
            let fields = fields.iter().map(|(field, value)| {
                let (field, value) = (format_ident!("{field}"), code_tokens(value));
                quote!(#field: #value)
            });
            quote!(#name { #(#fields),* })
        }
    }
}

/// A short label for tables: `hmac-sha512 (Roomz-Signature)`.
pub fn scheme_label(s: &Scheme) -> String {
    s.label()
}
