//! The `Webhook` type: verify + decode in one call, with the vendor's scheme built in.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::Api;
use hookgen_runtime::verify::{Code, SignInputs};
use hookgen_runtime::Scheme;

pub fn webhook_module(api: &Api) -> TokenStream {
    let event_id = if super::events::has_id_accessor(api) {
        quote!(self.id())
    } else {
        quote!(None)
    };
    let scheme = api.signature.as_ref().map(|s| &s.scheme);
    let scheme_doc = scheme_docs(api);
    let marker = format_ident!("{}", signing_marker(scheme));
    let scheme_expr = scheme.map_or_else(|| quote!(Scheme::None), scheme_expr);
    let scheme_imports = scheme.map_or_else(
        || {
            quote!(
                use hookgen_runtime::Scheme;
            )
        },
        scheme_imports,
    );
    // Verification, decoding and the test kit are the runtime's `Webhook`: what this vendor
    // adds is its scheme, how its events decode, and (in the marker) what its scheme signs.
    quote! {
        use hookgen_runtime::reexports::http::HeaderMap;
        use hookgen_runtime::DecodeError;
        #scheme_imports

        use super::events::Event;

        #scheme_doc
        pub type Webhook = hookgen_runtime::Webhook<Event, hookgen_runtime::webhook::#marker>;

        impl hookgen_runtime::webhook::Events for Event {
            fn scheme() -> Scheme {
                #scheme_expr
            }

            fn from_request(headers: &HeaderMap, body: &[u8]) -> Result<Self, DecodeError> {
                Event::from_request(headers, body)
            }

            fn event_type(&self) -> &str {
                Event::event_type(self)
            }

            fn event_id(&self) -> Option<String> {
                #event_id
            }
        }
    }
}

/// The runtime's marker of what the scheme signs, which decides the test kit's `sign`.
fn signing_marker(scheme: Option<&Scheme>) -> &'static str {
    let Some(scheme) = scheme.filter(|s| **s != Scheme::None) else {
        return "Unsigned";
    };
    match scheme.signing().map(|s| s.inputs) {
        None => "NoSigning",
        Some(SignInputs::Body) => "Body",
        Some(SignInputs::BodyTimestamp) => "BodyTimestamp",
        Some(SignInputs::BodyIdTimestamp) => "BodyIdTimestamp",
        Some(SignInputs::UrlBody) => "UrlBody",
        Some(SignInputs::Timestamp) => "TimestampOnly",
        Some(SignInputs::Nothing) => "Nothing",
        Some(SignInputs::IntoBody) => "IntoBody",
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
