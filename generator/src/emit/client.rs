//! The follow-up API client: one typed async method per operation, and the event links.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::rust_types::{doc_attrs, ident, rust_type};
use crate::ir::{
    Api, BodyKind, Field, Link, Operation, ParamLocation, Parameter, SecurityKind, TypeKind,
    TypeRef,
};

/// `gated`: each operation group's methods, options and link methods compile only with the
/// crate feature of that name (crate output; a `build.rs` file has no features of its own).
pub fn client_module(api: &Api, gated: bool) -> TokenStream {
    let groups = group_features(api);
    // One group needs no features: its methods are the client's.
    let gated = gated && !groups.is_empty();
    let gate = |op: &Operation| group_gate(gated, &op.group);
    let methods_of = |group: Option<&str>| {
        let methods = api
            .operations
            .iter()
            .filter(|op| group.is_none_or(|g| op.group == g))
            .map(|op| method(api, op));
        quote!(#(#methods)*)
    };
    let methods = (!gated).then(|| methods_of(None));
    let group_impls = groups.iter().filter(|_| gated).map(|g| {
        let gate = group_gate(gated, g);
        let methods = methods_of(Some(g));
        quote!(#gate impl Client { #methods })
    });
    let options = api.operations.iter().filter_map(|op| {
        let gate = gate(op);
        options_struct(api, op).map(|o| quote!(#gate #o))
    });
    let links = links(api, gated);
    let vendor_doc = format!(
        " Client for the {} API: one typed method per operation of the spec.",
        api.vendor
    );
    let default_url = api.servers.first().map(|url| {
        let doc = format!(" The spec's first server, `{url}`.");
        quote! {
            #[doc = #doc]
            pub const DEFAULT_BASE_URL: &'static str = #url;

            /// A client for [`Client::DEFAULT_BASE_URL`] (reqwest with rustls, 30 s timeout).
            pub fn new() -> Result<Self, ClientError> {
                Self::with_base_url(Self::DEFAULT_BASE_URL)
            }
        }
    });
    // Every type a method names: parameters, bodies and responses (a free-form object
    // response is a `BTreeMap`).
    let imports = super::rust_types::imports(api.operations.iter().flat_map(|op| {
        op.params
            .iter()
            .map(|p| p.ty.clone())
            .chain(op.body.iter().map(|b| b.ty.clone()))
            .chain(op.responses.iter().filter_map(|r| r.ty.clone()))
    }));
    let has_path_params = api
        .operations
        .iter()
        .any(|op| op.params.iter().any(|p| p.location == ParamLocation::Path));
    let has_auth = api
        .operations
        .iter()
        .any(|op| !auth_schemes(api, op).is_empty());
    let mut names = Vec::new();
    if has_auth {
        names.push(quote!(AuthScheme));
    }
    names.extend([quote!(ClientError), quote!(Credentials), quote!(HttpClient)]);
    if has_path_params {
        names.push(quote!(path_param));
    }
    names.extend([quote!(Request), quote!(RetryPolicy)]);
    quote! {
        use hookgen_runtime::client::{#(#names),*};
        use hookgen_runtime::reexports::http::Method;
        #imports

        #[allow(unused_imports)]
        use super::types::*;

        #[doc = #vendor_doc]
        ///
        /// Retries 429 and 503 for idempotent methods (honouring `Retry-After`); other errors come
        /// back as [`ClientError`] with the status, headers and body kept.
        #[derive(Debug, Clone)]
        pub struct Client {
            http: HttpClient,
        }

        impl Client {
            #default_url

            /// A client for another base URL (a sandbox, a local mock).
            pub fn with_base_url(base_url: impl Into<String>) -> Result<Self, ClientError> {
                let user_agent = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"), " (hookgen)");
                Ok(Client { http: HttpClient::new(base_url, user_agent)? })
            }

            /// A client over your own transport configuration (timeouts, middleware, tracing).
            pub fn with_http_client(http: HttpClient) -> Self {
                Client { http }
            }

            /// Use these credentials.
            pub fn credentials(mut self, credentials: Credentials) -> Self {
                self.http.set_credentials(credentials);
                self
            }

            /// Use this retry policy.
            pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
                self.http.set_retry_policy(policy);
                self
            }

            /// The underlying HTTP client.
            pub fn http(&self) -> &HttpClient {
                &self.http
            }

            #methods
        }

        #(#group_impls)*

        #(#options)*

        #links
    }
}

/// `#[cfg(feature = "incidents")]` for a group, when the crate's groups are features.
fn group_gate(gated: bool, group: &str) -> Option<TokenStream> {
    gated.then(|| quote!(#[cfg(feature = #group)]))
}

/// The features of the crate's operation groups, when it has more than one.
pub fn group_features(api: &Api) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for op in &api.operations {
        if !groups.contains(&op.group) {
            groups.push(op.group.clone());
        }
    }
    if groups.len() > 1 {
        groups
    } else {
        Vec::new()
    }
}

/// How a parameter is passed: strings by `&str`, other owned data by reference, primitives by value.
fn param_type(api: &Api, ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote!(&str),
        TypeRef::Integer
        | TypeRef::Integer32
        | TypeRef::Number
        | TypeRef::Boolean
        | TypeRef::Uuid => rust_type(&api.types, ty),
        other => {
            let t = rust_type(&api.types, other);
            quote!(&#t)
        }
    }
}

/// A required parameter's argument as a reference (primitives are taken by value).
fn argument_ref(p: &Parameter) -> TokenStream {
    let n = ident(&p.name);
    match p.ty {
        TypeRef::Integer
        | TypeRef::Integer32
        | TypeRef::Number
        | TypeRef::Boolean
        | TypeRef::Uuid => quote!(&#n),
        _ => quote!(#n),
    }
}

/// Add a query or header parameter to the request being built; the runtime writes any type
/// in the location's style, and an absent optional one not at all.
fn add_param(p: &Parameter, value: TokenStream) -> TokenStream {
    let wire = &p.wire;
    match p.location {
        ParamLocation::Query => {
            let explode = p.explode;
            quote!(.query(#wire, #value, #explode))
        }
        ParamLocation::Header => {
            let name = wire.to_ascii_lowercase();
            quote!(.header(#name, #value))
        }
        ParamLocation::Path => quote!(),
    }
}

fn success_and_error_types(api: &Api, op: &Operation) -> (TokenStream, TokenStream, Vec<String>) {
    let success = op
        .responses
        .iter()
        .find(|r| r.status.starts_with('2') && r.ty.is_some())
        .and_then(|r| r.ty.as_ref())
        .map(|t| rust_type(&api.types, t))
        .unwrap_or_else(|| quote!(()));
    let errors: Vec<_> = op
        .responses
        .iter()
        .filter(|r| !r.status.starts_with('2') && r.ty.is_some())
        .collect();
    let first = errors.first().and_then(|r| r.ty.clone());
    let same = errors.iter().all(|r| r.ty == first);
    let error_ty = match (&first, same) {
        (Some(t), true) => rust_type(&api.types, t),
        _ => quote!(serde_json::Value),
    };
    (
        success,
        error_ty,
        errors.iter().map(|r| r.status.clone()).collect(),
    )
}

fn method(api: &Api, op: &Operation) -> TokenStream {
    let name = ident(&op.name);
    let method = format_ident!("{}", op.method.to_uppercase());
    // A required header whose schema allows one value is sent with it, not asked for.
    let fixed = |p: &Parameter| fixed_header_value(api, p);
    let required: Vec<&Parameter> = op
        .params
        .iter()
        .filter(|p| p.required && fixed(p).is_none())
        .collect();
    let args = required.iter().map(|p| {
        let n = ident(&p.name);
        let t = param_type(api, &p.ty);
        quote!(#n: #t)
    });
    let options_arg = op.options_type.as_ref().map(|t| {
        let t = format_ident!("{}", t);
        quote!(options: &#t,)
    });
    let body_arg = op.body.as_ref().map(|b| {
        let t = rust_type(&api.types, &b.ty);
        if b.required {
            quote!(body: &#t,)
        } else {
            quote!(body: Option<&#t>,)
        }
    });
    let path = path_expr(op);
    let fixed_headers = op.params.iter().filter_map(|p| {
        let value = fixed(p)?;
        let name = p.wire.to_ascii_lowercase();
        Some(quote!(.header(#name, #value)))
    });
    let required_params = required.iter().map(|p| add_param(p, argument_ref(p)));
    let optional_params = op.params.iter().filter(|p| !p.required).map(|p| {
        let n = ident(&p.name);
        add_param(p, quote!(&options.#n))
    });
    let body = op.body.as_ref().map(|b| {
        let encode = match b.kind {
            BodyKind::Json => quote!(json),
            BodyKind::Form => quote!(form),
        };
        quote!(.#encode(&body)?)
    });
    let auth = auth_schemes(api, op);
    let auth = (!auth.is_empty()).then(|| quote!(.auth(&[#(#auth),*])));
    let (success, error_ty, error_statuses) = success_and_error_types(api, op);
    let errors = (!error_statuses.is_empty()).then(|| quote!(.errors(&[#(#error_statuses),*])));
    let docs = doc_attrs(Some(&method_doc(op)));
    let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
    let allow_args =
        (required.len() + usize::from(op.options_type.is_some()) + usize::from(op.body.is_some())
            > 6)
        .then(|| quote!(#[allow(clippy::too_many_arguments)]));
    quote! {
        #docs
        #deprecated
        #allow_args
        pub async fn #name(&self, #(#args,)* #body_arg #options_arg) -> Result<#success, ClientError<#error_ty>> {
            let request = Request::new(Method::#method, #path)
                #auth
                #errors
                #(#fixed_headers)*
                #(#required_params)*
                #(#optional_params)*
                #body;
            self.http.call(request).await
        }
    }
}

/// `` `GET /addons`: List installed Add-ons ``, then the description.
fn method_doc(op: &Operation) -> String {
    let request = format!("`{} {}`", op.method.to_uppercase(), op.path);
    let mut doc = match op.summary.as_deref().map(str::trim) {
        Some(summary) if !summary.is_empty() => format!("{request}: {summary}"),
        _ => request,
    };
    if let Some(d) = op.description.as_deref().map(str::trim) {
        if Some(d) != op.summary.as_deref().map(str::trim) {
            doc.push_str("\n\n");
            doc.push_str(d);
        }
    }
    doc
}

/// The value a required header parameter is sent with, without asking the caller: the one
/// its schema allows (`Content-Type: application/json` as an enum of one), else its string
/// `default` (PagerDuty's versioning `Accept`).
fn fixed_header_value(api: &Api, p: &Parameter) -> Option<String> {
    if p.location != ParamLocation::Header || !p.required {
        return None;
    }
    let only_value = match p.ty {
        TypeRef::Named(id) => match &api.types.get(id).kind {
            TypeKind::StringEnum { values } if values.len() == 1 => Some(values[0].wire.clone()),
            _ => None,
        },
        _ => None,
    };
    only_value.or_else(|| p.default.clone())
}

/// `format!("/v1/workspaces/{}/status", path_param(&id))`.
fn path_expr(op: &Operation) -> TokenStream {
    let mut template = String::new();
    let mut args = Vec::new();
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}').map(|e| e + start) else {
            break;
        };
        template.push_str(&rest[..start].replace('{', "{{").replace('}', "}}"));
        let name = &rest[start + 1..end];
        match op
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.wire == name)
        {
            Some(p) => {
                template.push_str("{}");
                let arg = argument_ref(p);
                args.push(quote!(path_param(#arg)));
            }
            None => template.push_str(&format!("{{{{{name}}}}}")),
        }
        rest = &rest[end + 1..];
    }
    template.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    if args.is_empty() {
        quote!(#template.to_string())
    } else {
        quote!(format!(#template, #(#args),*))
    }
}

fn auth_schemes(api: &Api, op: &Operation) -> Vec<TokenStream> {
    op.security
        .iter()
        .filter_map(|name| api.security_schemes.iter().find(|s| &s.name == name))
        .filter_map(|s| match &s.kind {
            SecurityKind::Basic => Some(quote!(AuthScheme::Basic)),
            SecurityKind::Bearer => Some(quote!(AuthScheme::Bearer)),
            SecurityKind::ApiKeyHeader(h) => {
                let h = h.to_ascii_lowercase();
                Some(quote!(AuthScheme::ApiKeyHeader(#h)))
            }
            SecurityKind::ApiKeyQuery(q) => Some(quote!(AuthScheme::ApiKeyQuery(#q))),
            SecurityKind::Unsupported(_) => None,
        })
        .collect()
}

fn options_struct(api: &Api, op: &Operation) -> Option<TokenStream> {
    let name = format_ident!("{}", op.options_type.as_ref()?);
    let doc = format!(
        " Optional parameters of [`Client::{}`].",
        op.name.trim_start_matches("r#")
    );
    let fields = op.params.iter().filter(|p| !p.required).map(|p| {
        let n = ident(&p.name);
        let t = rust_type(&api.types, &p.ty);
        let d = p.doc.clone().unwrap_or_else(|| {
            format!("`{}` ({:?} parameter).", p.wire, p.location).to_lowercase()
        });
        let docs = doc_attrs(Some(&d));
        quote!(#docs pub #n: Option<#t>,)
    });
    Some(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Default)]
        pub struct #name {
            #(#fields)*
        }
    })
}

/// `impl Payload { pub async fn fetch_x(&self, client: &Client) -> ... }`: one impl per payload
/// type, one method per link (a payload shared by several events gets each link once).
fn links(api: &Api, gated: bool) -> TokenStream {
    let mut by_type: Vec<(usize, Vec<String>, Vec<TokenStream>)> = Vec::new();
    for event in &api.events {
        let TypeRef::Named(id) = event.payload else {
            continue;
        };
        for link in &event.links {
            let slot = match by_type.iter().position(|(t, _, _)| *t == id) {
                Some(i) => i,
                None => {
                    by_type.push((id, Vec::new(), Vec::new()));
                    by_type.len() - 1
                }
            };
            if by_type[slot].1.contains(&link.method) {
                continue;
            }
            let gate = group_gate(gated, &api.operations[link.operation].group);
            if let Some(m) = link_method(api, &event.payload, link).map(|m| quote!(#gate #m)) {
                by_type[slot].1.push(link.method.clone());
                by_type[slot].2.push(m);
            }
        }
    }
    let impls = by_type.into_iter().map(|(id, _, methods)| {
        let ty = format_ident!("{}", api.types.get(id).name);
        quote!(impl #ty { #(#methods)* })
    });
    quote!(#(#impls)*)
}

fn link_method(api: &Api, payload: &TypeRef, link: &Link) -> Option<TokenStream> {
    let op = &api.operations[link.operation];
    let target = ident(&op.name);
    let name = ident(&link.method);
    let mut lets = Vec::new();
    let mut args = Vec::new();
    for p in op.params.iter().filter(|p| p.required) {
        let arg = link.arguments.iter().find(|a| a.parameter == p.wire)?;
        let var = ident(&p.name);
        let (chain, last, all_required) = field_chain(api, payload, &arg.path)?;
        let pointer = format!("/{}", arg.path.join("/"));
        lets.push(if all_required {
            quote!(let #var = #chain;)
        } else {
            quote! {
                let #var = #chain.ok_or_else(|| ClientError::InvalidRequest(format!("the event has no value at {}", #pointer)))?;
            }
        });
        args.push(convert_arg(api, &last.ty, &p.ty, quote!(#var)));
    }
    let options = op
        .options_type
        .as_ref()
        .map(|_| quote!(&Default::default()));
    let body = op.body.as_ref().map(|_| quote!(None,));
    if op.body.as_ref().is_some_and(|b| b.required) {
        return None;
    }
    let (success, error_ty, _) = success_and_error_types(api, op);
    let mut doc = link
        .description
        .clone()
        .unwrap_or_else(|| format!("Call [`Client::{}`] for this event.", op.name));
    doc.push_str(&format!(
        "\n\nFollows the spec's link to `{} {}`.",
        op.method.to_uppercase(),
        op.path
    ));
    let docs = doc_attrs(Some(&doc));
    Some(quote! {
        #docs
        pub async fn #name(&self, client: &Client) -> Result<#success, ClientError<#error_ty>> {
            #(#lets)*
            client.#target(#(#args,)* #body #options).await
        }
    })
}

/// Access to a payload field: `&self.data.workspace_id` when every step is required, else an
/// `Option<&T>` chain. Returns the expression, the last field, and whether all were required.
fn field_chain<'a>(
    api: &'a Api,
    payload: &TypeRef,
    path: &[String],
) -> Option<(TokenStream, &'a Field, bool)> {
    let mut fields = Vec::new();
    let mut ty = payload.clone();
    for segment in path {
        let field = api
            .types
            .fields_of(&ty)
            .iter()
            .find(|f| &f.wire == segment)?;
        ty = field.ty.clone();
        fields.push(field);
    }
    let last = *fields.last()?;
    let all_required = fields.iter().all(|f| f.required && !f.nullable);
    if all_required {
        let names = fields.iter().map(|f| ident(&f.name));
        return Some((quote!(&self #(.#names)*), last, true));
    }
    let mut expr = quote!(Some(self));
    for field in &fields {
        let n = ident(&field.name);
        expr = if field.required && !field.nullable {
            quote!(#expr.map(|v| &v.#n))
        } else {
            quote!(#expr.and_then(|v| v.#n.as_ref()))
        };
    }
    Some((expr, last, false))
}

fn convert_arg(api: &Api, from: &TypeRef, to: &TypeRef, v: TokenStream) -> TokenStream {
    match (from, to) {
        (TypeRef::String, TypeRef::String) => quote!(#v.as_str()),
        (_, TypeRef::String) => quote!(&#v.to_string()),
        (a, b) if a == b => match b {
            TypeRef::Integer
            | TypeRef::Integer32
            | TypeRef::Number
            | TypeRef::Boolean
            | TypeRef::Uuid => quote!(*#v),
            _ => quote!(#v),
        },
        _ => {
            let _ = api;
            quote!(#v)
        }
    }
}
