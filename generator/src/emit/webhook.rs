//! The `Webhook` type: verify + decode in one call, with the vendor's scheme built in.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::Api;
use hookgen_runtime::verify::{
    Algorithm, BodySignatureScheme, Encoding, HeaderFamily, HeaderFormat, HmacScheme, JwtScheme,
    KeyDerivation, PublicKeyAlgorithm, PublicKeyScheme, SecretLocation, TokenEncoding, TokenIv,
    TokenPlaintext, TokenScheme,
};
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
    match api.signature.as_ref().map(|s| &s.scheme) {
        Some(Scheme::StandardWebhooks(_)) => doc.push_str(
            "Scheme: [Standard Webhooks](https://www.standardwebhooks.com/): HMAC-SHA256 (`v1`) or Ed25519 (`v1a`) over \
             `{webhook-id}.{webhook-timestamp}.{body}`, timestamp within ±300 s.",
        ),
        Some(Scheme::Hmac(h)) => {
            let alg = format!("{:?}", h.algorithm).to_uppercase();
            doc.push_str(&format!(
                "Scheme: HMAC-{alg} of `{}`, {:?}-encoded in the `{}` header",
                h.signed_content.replace('`', "'"),
                h.encoding,
                h.header
            ));
            if !h.alternate_headers.is_empty() {
                doc.push_str(&format!(" (also accepted as `{}`)", h.alternate_headers.join("`, `")));
            }
            if let Some(p) = &h.prefix {
                doc.push_str(&format!(", after the prefix `{p}`"));
            }
            doc.push('.');
            if !h.has_timestamp() {
                doc.push_str(" The scheme has no timestamp, so it cannot reject replays: deduplicate by event id.");
            }
        }
        Some(Scheme::EncryptedToken(t)) => doc.push_str(&format!(
            "Scheme: an AES-CBC encrypted token in the `{}` header.\n\n**This scheme does not protect the body.** \
             A valid token proves only that the sender knows the secret; a captured token can be replayed with \
             any body, and CBC without a MAC lets its plaintext be altered through the IV. Treat payload \
             contents as untrusted and confirm anything important through the vendor's API.",
            t.header
        )),
        Some(Scheme::BodySignature(b)) => doc.push_str(&format!(
            "Scheme: an HMAC inside the JSON body, at `{}` of {}, over `{}`. Fields outside that \
             template are not covered by it.",
            b.signature,
            if b.items.is_some() { "every item (all must verify)" } else { "the body" },
            b.signed_content
        )),
        Some(Scheme::Jwt(j)) => doc.push_str(&format!(
            "Scheme: a {:?} JWT in the `{}` header (the algorithm is pinned){}.",
            j.algorithm,
            j.header,
            match &j.body_hash_claim {
                Some(c) => format!(", bound to the body by its `{c}` claim"),
                None => "; it does not cover the body".to_string(),
            }
        )),
        Some(Scheme::PublicKey(p)) => doc.push_str(&format!(
            "Scheme: a {:?} signature in the `{}` header over `{}`, checked with the vendor's \
             public key (give it where other vendors take a secret).",
            p.algorithm, p.header, p.signed_content
        )),
        Some(Scheme::SharedSecret(_)) => doc.push_str(
            "Scheme: a shared secret sent back verbatim, compared in constant time.\n\n\
             **This scheme does not protect the body.** It proves only that the sender knows the \
             secret; treat payload contents as untrusted.",
        ),
        _ => doc.push_str(
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
    let Scheme::Hmac(h) = s else {
        return quote!();
    };
    if !h.needs_url() {
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
    let doc = quote! {
        /// Sign a body as the vendor would (test kit: fixtures, local receivers). Uses the first secret.
    };
    match s {
        Scheme::StandardWebhooks(_) => quote! {
            #doc
            pub fn sign(&self, body: &[u8], id: &str, timestamp: i64) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(body, Some(id), Some(timestamp))
            }
        },
        Scheme::Hmac(h) if h.needs_url() => quote! {
            #doc
            pub fn sign(&self, url: &str, body: &[u8]) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign_request(url, body, None, None)
            }
        },
        Scheme::Hmac(h) if h.has_timestamp() => quote! {
            #doc
            pub fn sign(&self, body: &[u8], timestamp: i64) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(body, None, Some(timestamp))
            }
        },
        Scheme::Hmac(_) => quote! {
            #doc
            pub fn sign(&self, body: &[u8]) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(body, None, None)
            }
        },
        Scheme::EncryptedToken(_) => quote! {
            /// Build the token header as the vendor would (test kit). The body is not involved:
            /// this scheme does not cover it.
            pub fn sign(&self, timestamp: i64) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(&[], None, Some(timestamp))
            }
        },
        Scheme::Jwt(_) => quote! {
            /// A token for this body as the vendor would send it (test kit; shared-secret
            /// algorithms only, a public key cannot sign).
            pub fn sign(&self, body: &[u8], timestamp: i64) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(body, None, Some(timestamp))
            }
        },
        Scheme::PublicKey(_) => quote!(),
        Scheme::SharedSecret(s) if s.location == SecretLocation::Body => quote! {
            /// Put the secret into a JSON body as the vendor would (test kit).
            pub fn sign(&self, body: &[u8]) -> Result<Vec<u8>, WebhookError> {
                self.verifier.sign_body(body)
            }
        },
        Scheme::SharedSecret(_) => quote! {
            /// The header carrying the secret, as the vendor would send it (test kit).
            pub fn sign(&self) -> Result<HeaderMap, WebhookError> {
                self.verifier.sign(&[], None, None)
            }
        },
        Scheme::BodySignature(_) => quote! {
            /// Sign a JSON body as the vendor would (test kit): the signature goes inside it, so
            /// the signed body is returned (re-encoded).
            pub fn sign(&self, body: &[u8]) -> Result<Vec<u8>, WebhookError> {
                self.verifier.sign_body(body)
            }
        },
        Scheme::None => quote!(),
    }
}

fn scheme_imports(s: &Scheme) -> TokenStream {
    match s {
        Scheme::StandardWebhooks(_) => quote!(
            use hookgen_runtime::verify::{HeaderFamily, StandardWebhooks};
            use hookgen_runtime::Scheme;
        ),
        Scheme::Hmac(h) => {
            let mut names = vec![quote!(HmacScheme)];
            if h.algorithm != Algorithm::Sha256 {
                names.push(quote!(Algorithm));
            }
            if h.encoding != Encoding::Hex {
                names.push(quote!(Encoding));
            }
            if h.secret_encoding != Default::default() {
                names.push(quote!(SecretEncoding));
            }
            quote!(use hookgen_runtime::verify::{#(#names),*}; use hookgen_runtime::Scheme;)
        }
        Scheme::EncryptedToken(_) => quote! {
            use hookgen_runtime::verify::{KeyDerivation, TokenEncoding, TokenIv, TokenPlaintext, TokenScheme};
            use hookgen_runtime::Scheme;
        },
        Scheme::BodySignature(b) => {
            let mut names = vec![quote!(BodySignatureScheme)];
            names.push(quote!(Algorithm));
            names.push(quote!(Encoding));
            if b.secret_encoding != Default::default() {
                names.push(quote!(SecretEncoding));
            }
            quote!(use hookgen_runtime::verify::{#(#names),*}; use hookgen_runtime::Scheme;)
        }
        Scheme::Jwt(_) => quote!(
            use hookgen_runtime::verify::{JwtAlgorithm, JwtScheme};
            use hookgen_runtime::Scheme;
        ),
        Scheme::PublicKey(_) => quote!(
            use hookgen_runtime::verify::{Encoding, PublicKeyAlgorithm, PublicKeyScheme};
            use hookgen_runtime::Scheme;
        ),
        Scheme::SharedSecret(_) => quote!(
            use hookgen_runtime::verify::{SecretLocation, SharedSecretScheme};
            use hookgen_runtime::Scheme;
        ),
        Scheme::None => quote!(
            use hookgen_runtime::Scheme;
        ),
    }
}

/// A Rust expression that builds the scheme: builder calls for what differs from the defaults.
pub fn scheme_expr(s: &Scheme) -> TokenStream {
    match s {
        Scheme::StandardWebhooks(sw) => {
            let tol = sw.tolerance_seconds;
            let family = match sw.headers {
                HeaderFamily::Webhook => quote!(HeaderFamily::Webhook),
                HeaderFamily::Svix => quote!(HeaderFamily::Svix),
            };
            quote!(Scheme::StandardWebhooks(StandardWebhooks {
                tolerance_seconds: #tol,
                headers: #family,
            }))
        }
        Scheme::Hmac(h) => {
            let b = hmac_builder(h);
            quote!(Scheme::Hmac(#b))
        }
        Scheme::EncryptedToken(t) => token_literal(t),
        Scheme::BodySignature(b) => body_literal(b),
        Scheme::Jwt(j) => jwt_literal(j),
        Scheme::PublicKey(p) => public_key_literal(p),
        Scheme::SharedSecret(s) => {
            let location = format_ident!("{}", format!("{:?}", s.location));
            let (header, pointer) = (option_text(&s.header), option_text(&s.pointer));
            quote! {
                Scheme::SharedSecret(SharedSecretScheme {
                    location: SecretLocation::#location,
                    header: #header,
                    pointer: #pointer,
                })
            }
        }
        Scheme::None => quote!(Scheme::None),
    }
}

fn hmac_builder(h: &HmacScheme) -> TokenStream {
    let header = &h.header;
    let default = HmacScheme::new(h.header.clone());
    let mut calls = Vec::new();
    if h.algorithm != default.algorithm {
        let a = match h.algorithm {
            Algorithm::Sha1 => quote!(Algorithm::Sha1),
            Algorithm::Sha256 => quote!(Algorithm::Sha256),
            Algorithm::Sha512 => quote!(Algorithm::Sha512),
        };
        calls.push(quote!(.algorithm(#a)));
    }
    for alt in &h.alternate_headers {
        calls.push(quote!(.alternate_header(#alt)));
    }
    if h.encoding != default.encoding {
        calls.push(quote!(.encoding(Encoding::Base64)));
    }
    if let Some(p) = &h.prefix {
        calls.push(quote!(.prefix(#p)));
    }
    if h.signed_content != default.signed_content {
        let c = &h.signed_content;
        calls.push(quote!(.signed_content(#c)));
    }
    if h.format == HeaderFormat::KeyValue {
        let sk = h.signature_key.clone().unwrap_or_else(|| "v1".into());
        match &h.timestamp_key {
            Some(tk) => calls.push(quote!(.key_value(#sk, #tk))),
            None => calls.push(quote!(.key_value_signatures(#sk))),
        }
        if h.separator != default.separator {
            let sep = &h.separator;
            calls.push(quote!(.separator(#sep)));
        }
    }
    if let Some(t) = &h.timestamp_header {
        calls.push(quote!(.timestamp_header(#t)));
    }
    if let Some(i) = &h.id_header {
        calls.push(quote!(.id_header(#i)));
    }
    if h.tolerance_seconds != default.tolerance_seconds {
        let t = h.tolerance_seconds;
        calls.push(quote!(.tolerance(#t)));
    }
    if h.timestamp_unit != default.timestamp_unit {
        calls.push(quote!(.timestamp_unit(hookgen_runtime::verify::TimestampUnit::Milliseconds)));
    }
    if h.secret_encoding != default.secret_encoding {
        let e = format!("{:?}", h.secret_encoding);
        let e = quote::format_ident!("{}", e);
        calls.push(quote!(.secret_encoding(SecretEncoding::#e)));
    }
    quote!(HmacScheme::new(#header) #(#calls)*)
}

fn option_text(v: &Option<String>) -> TokenStream {
    match v {
        Some(s) => quote!(Some(#s.to_owned())),
        None => quote!(None),
    }
}

fn jwt_literal(j: &JwtScheme) -> TokenStream {
    let header = &j.header;
    let algorithm = format_ident!("{}", format!("{:?}", j.algorithm));
    let (issuer, audience) = (option_text(&j.issuer), option_text(&j.audience));
    let body_hash = option_text(&j.body_hash_claim);
    let tol = j.tolerance_seconds;
    quote! {
        Scheme::Jwt(JwtScheme {
            header: #header.to_owned(),
            algorithm: JwtAlgorithm::#algorithm,
            issuer: #issuer,
            audience: #audience,
            body_hash_claim: #body_hash,
            tolerance_seconds: #tol,
        })
    }
}

fn public_key_literal(p: &PublicKeyScheme) -> TokenStream {
    let algorithm = match p.algorithm {
        PublicKeyAlgorithm::EcdsaP256Sha256 => quote!(PublicKeyAlgorithm::EcdsaP256Sha256),
        PublicKeyAlgorithm::RsaPkcs1Sha256 => quote!(PublicKeyAlgorithm::RsaPkcs1Sha256),
        PublicKeyAlgorithm::Ed25519 => quote!(PublicKeyAlgorithm::Ed25519),
    };
    let header = &p.header;
    let encoding = format_ident!("{}", format!("{:?}", p.encoding));
    let prefix = option_text(&p.prefix);
    let content = &p.signed_content;
    let ts = option_text(&p.timestamp_header);
    let tol = p.tolerance_seconds;
    quote! {
        Scheme::PublicKey(PublicKeyScheme {
            algorithm: #algorithm,
            header: #header.to_owned(),
            encoding: Encoding::#encoding,
            prefix: #prefix,
            signed_content: #content.to_owned(),
            timestamp_header: #ts,
            tolerance_seconds: #tol,
        })
    }
}

fn body_literal(b: &BodySignatureScheme) -> TokenStream {
    let algorithm = format_ident!("{}", format!("{:?}", b.algorithm));
    let encoding = format_ident!("{}", format!("{:?}", b.encoding));
    let (items, item) = (option_text(&b.items), option_text(&b.item));
    let (signature, content) = (&b.signature, &b.signed_content);
    let secret_encoding = if b.secret_encoding == Default::default() {
        quote!(Default::default())
    } else {
        let e = format_ident!("{}", format!("{:?}", b.secret_encoding));
        quote!(SecretEncoding::#e)
    };
    quote! {
        Scheme::BodySignature(BodySignatureScheme {
            algorithm: Algorithm::#algorithm,
            items: #items,
            item: #item,
            signature: #signature.to_owned(),
            signed_content: #content.to_owned(),
            encoding: Encoding::#encoding,
            secret_encoding: #secret_encoding,
        })
    }
}

fn token_literal(t: &TokenScheme) -> TokenStream {
    let header = &t.header;
    let encoding = match t.encoding {
        TokenEncoding::Base64 => quote!(TokenEncoding::Base64),
        TokenEncoding::Hex => quote!(TokenEncoding::Hex),
    };
    let kd = match t.key_derivation {
        KeyDerivation::Sha256 => quote!(KeyDerivation::Sha256),
        KeyDerivation::Raw => quote!(KeyDerivation::Raw),
        KeyDerivation::Base64 => quote!(KeyDerivation::Base64),
    };
    let iv = match t.iv {
        TokenIv::Prefix => quote!(TokenIv::Prefix),
        TokenIv::Zero => quote!(TokenIv::Zero),
    };
    let plaintext = match &t.plaintext {
        TokenPlaintext::Any => quote!(TokenPlaintext::Any),
        TokenPlaintext::Exact(s) => quote!(TokenPlaintext::Exact(#s.to_owned())),
        TokenPlaintext::UnixTimestamp => quote!(TokenPlaintext::UnixTimestamp),
    };
    let tol = t.tolerance_seconds;
    quote! {
        Scheme::EncryptedToken(TokenScheme {
            header: #header.to_owned(),
            encoding: #encoding,
            key_derivation: #kd,
            iv: #iv,
            plaintext: #plaintext,
            tolerance_seconds: #tol,
        })
    }
}

/// A short label for tables: `hmac-sha512 (Roomz-Signature)`.
pub fn scheme_label(s: &Scheme) -> String {
    match s {
        Scheme::StandardWebhooks(sw) if sw.headers == HeaderFamily::Svix => {
            "standard-webhooks (svix-* headers)".into()
        }
        Scheme::StandardWebhooks(_) => "standard-webhooks".into(),
        Scheme::Hmac(h) => format!("hmac-{:?} ({})", h.algorithm, h.header)
            .to_lowercase()
            .replace(&h.header.to_lowercase(), &h.header),
        Scheme::EncryptedToken(t) => format!("encrypted-token ({})", t.header),
        Scheme::BodySignature(b) => {
            format!("body-signature-hmac-{:?} (at {})", b.algorithm, b.signature).to_lowercase()
        }
        Scheme::Jwt(j) => format!("jwt-{:?} ({})", j.algorithm, j.header),
        Scheme::SharedSecret(s) => match s.location {
            SecretLocation::Header => {
                format!(
                    "shared-secret ({})",
                    s.header.as_deref().unwrap_or("Authorization")
                )
            }
            SecretLocation::Body => {
                format!(
                    "shared-secret (body {})",
                    s.pointer.as_deref().unwrap_or("/passcode")
                )
            }
            SecretLocation::Basic => "shared-secret (Basic credentials)".into(),
        },
        Scheme::PublicKey(p) => format!("{:?} ({})", p.algorithm, p.header)
            .to_lowercase()
            .replace(&p.header.to_lowercase(), &p.header),
        Scheme::None => "none".into(),
    }
}
