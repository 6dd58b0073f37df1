//! `#[derive(Decode)]`: the `serde::Deserialize` of hookgen's generated types, written for
//! JSON and for build time.
//!
//! serde's own derive writes, for every struct, a field enum with three visitors, a
//! `visit_seq` for arrays and a `visit_map`; its untagged enums and flattened fields buffer
//! into serde's `Content` and decode the members a second time through another deserializer.
//! Generated SDKs have hundreds of structs, so that is most of their build (issue #21). This
//! derive writes one `visit_map` per struct, and unions replay their buffered JSON through the
//! same deserializer as everything else, so each type is compiled once.
//!
//! It reads the `#[serde(...)]` attributes hookgen emits (`rename`, `default`, `flatten`,
//! `untagged`) and ignores the ones that only concern encoding (`skip_serializing_if`), so a
//! type can derive serde's `Serialize` beside it. Anything else is a compile error, never a
//! silent difference. The behaviour lives in `hookgen_runtime::de`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{parse_macro_input, Attribute, Data, DeriveInput, Fields, LitStr, Type};

/// Implements `serde::Deserialize` for a struct with named fields, or for an enum of
/// newtype variants marked `#[serde(untagged)]` (the first variant that decodes wins).
#[proc_macro_derive(Decode, attributes(serde))]
pub fn derive_decode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "Decode does not support generic types",
        ));
    }
    let container = ContainerAttrs::read(&input.attrs)?;
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => {
                let fields = fields
                    .named
                    .iter()
                    .map(StructField::read)
                    .collect::<syn::Result<Vec<_>>>()?;
                Ok(struct_impl(&input.ident, &fields))
            }
            _ => Err(syn::Error::new_spanned(
                &input.ident,
                "Decode supports structs with named fields",
            )),
        },
        Data::Enum(data) if container.untagged => {
            let variants = data
                .variants
                .iter()
                .map(|v| match &v.fields {
                    Fields::Unnamed(f) if f.unnamed.len() == 1 => Ok((&v.ident, &f.unnamed[0].ty)),
                    _ => Err(syn::Error::new_spanned(
                        v,
                        "an untagged Decode enum has newtype variants only",
                    )),
                })
                .collect::<syn::Result<Vec<_>>>()?;
            Ok(untagged_impl(&input.ident, &variants))
        }
        _ => Err(syn::Error::new_spanned(
            &input.ident,
            "Decode supports structs and #[serde(untagged)] enums",
        )),
    }
}

#[derive(Default)]
struct ContainerAttrs {
    untagged: bool,
}

impl ContainerAttrs {
    fn read(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = ContainerAttrs::default();
        for_each_serde_meta(attrs, |meta| {
            if meta.path.is_ident("untagged") {
                out.untagged = true;
                Ok(())
            } else {
                Err(meta.error("not supported by hookgen's Decode"))
            }
        })?;
        Ok(out)
    }
}

struct StructField<'a> {
    ident: &'a syn::Ident,
    ty: &'a Type,
    wire: String,
    /// Absent is `Default::default()`: `Option` fields, and `#[serde(default)]`.
    defaulted: bool,
    flatten: bool,
}

impl<'a> StructField<'a> {
    fn read(field: &'a syn::Field) -> syn::Result<Self> {
        let ident = field.ident.as_ref().expect("named fields have idents");
        let mut out = StructField {
            ident,
            ty: &field.ty,
            wire: ident.to_string().trim_start_matches("r#").to_string(),
            defaulted: is_option(&field.ty),
            flatten: false,
        };
        for_each_serde_meta(&field.attrs, |meta| {
            if meta.path.is_ident("rename") {
                out.wire = meta.value()?.parse::<LitStr>()?.value();
            } else if meta.path.is_ident("default") {
                out.defaulted = true;
            } else if meta.path.is_ident("flatten") {
                out.flatten = true;
            } else if meta.path.is_ident("skip_serializing_if") {
                // Encoding only: serde's `Serialize` derive reads it.
                meta.value()?.parse::<LitStr>()?;
            } else {
                return Err(meta.error("not supported by hookgen's Decode"));
            }
            Ok(())
        })?;
        Ok(out)
    }
}

fn for_each_serde_meta(
    attrs: &[Attribute],
    mut each: impl FnMut(syn::meta::ParseNestedMeta) -> syn::Result<()>,
) -> syn::Result<()> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(&mut each)?;
    }
    Ok(())
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
        _ => false,
    }
}

fn is_option(ty: &Type) -> bool {
    last_segment_is(ty, "Option")
}

fn is_map(ty: &Type) -> bool {
    last_segment_is(ty, "BTreeMap") || last_segment_is(ty, "HashMap")
}

/// One `visit_map`: each key is matched once against the wire names; the values decode in
/// place through the caller's deserializer, so a failing field keeps its path.
fn struct_impl(name: &syn::Ident, fields: &[StructField]) -> Tokens {
    let de = quote!(::hookgen_runtime::de);
    let serde = quote!(::hookgen_runtime::reexports::serde);
    let (flattened, declared): (Vec<_>, Vec<_>) = fields.iter().partition(|f| f.flatten);
    let slots: Vec<_> = (0..declared.len())
        .map(|i| format_ident!("__field{}", i))
        .collect();
    let tys = declared.iter().map(|f| f.ty);
    let wires: Vec<&str> = declared.iter().map(|f| f.wire.as_str()).collect();
    // One flattened map takes the other keys as they come. Anything else flattened (a
    // union member, or several) decodes from the other keys gathered in one object.
    let direct_map = match flattened.as_slice() {
        [only] if is_map(only.ty) => Some(only),
        _ => None,
    };
    let gathers = !flattened.is_empty() && direct_map.is_none();
    let rest_decl = if let Some(map) = direct_map {
        let ty = map.ty;
        quote!(let mut __rest: #ty = ::core::default::Default::default();)
    } else if gathers {
        quote!(let mut __rest = #de::Rest::default();)
    } else {
        quote!()
    };
    let other_key = if direct_map.is_some() {
        quote!(_ => { __rest.insert(__key.into_owned(), __map.next_value()?); })
    } else if gathers {
        quote!(_ => __rest.insert(__key.into_owned(), __map.next_value()?),)
    } else {
        quote!(_ => { __map.next_value::<#serde::de::IgnoredAny>()?; })
    };
    let finish_declared = declared.iter().zip(&slots).map(|(f, slot)| {
        let ident = f.ident;
        let wire = &f.wire;
        if f.defaulted {
            quote!(#ident: #slot.unwrap_or_default(),)
        } else {
            quote!(#ident: match #slot {
                ::core::option::Option::Some(value) => value,
                ::core::option::Option::None => return ::core::result::Result::Err(#de::missing_field(#wire)),
            },)
        }
    });
    let finish_flattened = flattened.iter().map(|f| {
        let ident = f.ident;
        if direct_map.is_some() {
            quote!(#ident: __rest,)
        } else {
            quote!(#ident: __rest.decode()?,)
        }
    });
    let expecting = format!("an object ({name})");
    deserialize_impl(
        name,
        quote! {
                    struct __Visitor;
                    impl<'de> #serde::de::Visitor<'de> for __Visitor {
                        type Value = #name;
                        fn expecting(&self, f: &mut ::core::fmt::Formatter) -> ::core::fmt::Result {
                            f.write_str(#expecting)
                        }
                        fn visit_map<__A>(self, mut __map: __A) -> ::core::result::Result<#name, __A::Error>
                        where
                            __A: #serde::de::MapAccess<'de>,
                        {
                            #(let mut #slots: ::core::option::Option<#tys> = ::core::option::Option::None;)*
                            #rest_decl
                            while let ::core::option::Option::Some(__key) = __map.next_key::<#de::Key<'de>>()? {
                                match __key.as_str() {
                                    #(#wires => #de::next_field(&mut __map, &mut #slots, #wires)?,)*
                                    #other_key
                                }
                            }
                            ::core::result::Result::Ok(#name {
                                #(#finish_declared)*
                                #(#finish_flattened)*
                            })
                        }
                    }
                    __deserializer.deserialize_map(__Visitor)
        },
    )
}

/// Buffer the value's JSON once, then try the variants in order through the one deserializer
/// every type is compiled for.
fn untagged_impl(name: &syn::Ident, variants: &[(&syn::Ident, &Type)]) -> Tokens {
    let de = quote!(::hookgen_runtime::de);
    let serde = quote!(::hookgen_runtime::reexports::serde);
    let attempts = variants.iter().map(|(variant, ty)| {
        quote! {
            if let ::core::result::Result::Ok(value) = __json.try_decode::<#ty>() {
                return ::core::result::Result::Ok(#name::#variant(value));
            }
        }
    });
    let none = format!("the value fits none of the shapes of {name}");
    deserialize_impl(
        name,
        quote! {
            let __json = <#de::Json as #serde::Deserialize>::deserialize(__deserializer)?;
            #(#attempts)*
            ::core::result::Result::Err(<__D::Error as #serde::de::Error>::custom(#none))
        },
    )
}

/// `impl Deserialize for #name` around the body of its `deserialize(__deserializer)`.
fn deserialize_impl(name: &syn::Ident, body: Tokens) -> Tokens {
    let serde = quote!(::hookgen_runtime::reexports::serde);
    quote! {
        impl<'de> #serde::Deserialize<'de> for #name {
            fn deserialize<__D>(__deserializer: __D) -> ::core::result::Result<Self, __D::Error>
            where
                __D: #serde::Deserializer<'de>,
            {
                #body
            }
        }
    }
}
