//! `#[derive(Decode)]`: decodes an operation's JSON input (a struct of
//! named fields, or an enum of unit variants named by strings) from a
//! `serde_json::Value`, as serde's `Deserialize` derive would through the
//! crate's path-keeping deserializer, with the same errors, but without its
//! generic visitors: each field goes through one non-generic
//! `Decode::decode` per field type, shared by every input that has one.
//!
//! It reads the `#[serde(...)]` attributes the inputs carry for their
//! schemas and serde's derives: `deny_unknown_fields` and `rename_all` on
//! the type; `default`, `with`, `rename` and `alias` on a field or variant.
//! Any other `serde` attribute is refused at compile time, so that the
//! decoder never silently differs from what the schema says.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::quote;
use syn::{Data, DeriveInput, Error, Fields, LitStr};

/// Derives `crate::decode::Decode` (see the crate's documentation).
#[proc_macro_derive(Decode, attributes(serde))]
pub fn derive_decode(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// What the `serde` attributes of the type say.
#[derive(Default)]
struct TypeAttrs {
    deny_unknown_fields: bool,
    rename_all: Option<String>,
}

/// What the `serde` attributes of a field or variant say.
#[derive(Default)]
struct ItemAttrs {
    default: bool,
    with: Option<syn::Path>,
    rename: Option<String>,
    aliases: Vec<String>,
}

/// Reads the type's `serde` attributes, refusing any it does not decode.
fn type_attrs(attrs: &[syn::Attribute]) -> syn::Result<TypeAttrs> {
    let mut out = TypeAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("deny_unknown_fields") {
                out.deny_unknown_fields = true;
            } else if meta.path.is_ident("rename_all") {
                out.rename_all = Some(meta.value()?.parse::<LitStr>()?.value());
            } else {
                return Err(meta.error("this serde attribute is not supported by #[derive(Decode)]"));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// Reads a field's or variant's `serde` attributes, refusing any it does
/// not decode (those that only serialising reads are let through).
fn item_attrs(attrs: &[syn::Attribute]) -> syn::Result<ItemAttrs> {
    let mut out = ItemAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                out.default = true;
            } else if meta.path.is_ident("with") {
                out.with = Some(meta.value()?.parse::<LitStr>()?.parse()?);
            } else if meta.path.is_ident("rename") {
                out.rename = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("alias") {
                out.aliases.push(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("skip_serializing_if") || meta.path.is_ident("skip_serializing") {
                // Serialising only.
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<LitStr>()?;
                }
            } else {
                return Err(meta.error("this serde attribute is not supported by #[derive(Decode)]"));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// A variant's name under `rename_all`, as serde spells it.
fn renamed(name: &str, rule: Option<&str>) -> syn::Result<String> {
    let snake = || {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    };
    Ok(match rule {
        None => name.to_owned(),
        Some("lowercase") => name.to_ascii_lowercase(),
        Some("UPPERCASE") => name.to_ascii_uppercase(),
        Some("snake_case") => snake(),
        Some("SCREAMING_SNAKE_CASE") => snake().to_ascii_uppercase(),
        Some("kebab-case") => snake().replace('_', "-"),
        Some(other) => {
            return Err(Error::new(
                Span::call_site(),
                format!("rename_all = {other:?} is not supported by #[derive(Decode)]"),
            ))
        }
    })
}

/// The names an unknown field's or variant's error lists for one field or
/// variant: its name and aliases, sorted, as serde's derive lists them.
fn listed_names(key: &str, aliases: &[String]) -> Vec<String> {
    let mut names: Vec<String> = std::iter::once(key.to_owned())
        .chain(aliases.iter().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The `Decode` impl of `input`: `decode` and `placeholder`.
fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let attrs = type_attrs(&input.attrs)?;
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let (body, placeholder) = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => struct_body(name, &attrs, fields)?,
            _ => {
                return Err(Error::new_spanned(
                    name,
                    "#[derive(Decode)] takes structs of named fields",
                ))
            }
        },
        Data::Enum(data) => {
            let first = data
                .variants
                .first()
                .map(|variant| &variant.ident)
                .ok_or_else(|| Error::new_spanned(name, "#[derive(Decode)] takes no empty enums"))?;
            (enum_body(&attrs, data)?, quote! { Self::#first })
        }
        Data::Union(_) => return Err(Error::new_spanned(name, "#[derive(Decode)] takes no unions")),
    };
    Ok(quote! {
        impl #impl_generics crate::decode::Decode for #name #type_generics #where_clause {
            fn decode(value: &::serde_json::Value) -> ::core::result::Result<Self, crate::decode::DecodeError> {
                #body
            }

            fn placeholder() -> Self {
                #placeholder
            }
        }
    })
}

/// A struct's `decode` and its placeholder (each field's: a `with` field's
/// type's default).
fn struct_body(
    name: &syn::Ident,
    attrs: &TypeAttrs,
    fields: &syn::FieldsNamed,
) -> syn::Result<(Tokens, Tokens)> {
    if attrs.rename_all.is_some() {
        return Err(Error::new_spanned(
            name,
            "rename_all on a struct is not supported by #[derive(Decode)]",
        ));
    }
    let expecting = format!("struct {name}");
    // The names an unknown field's error lists: each field's name and
    // aliases, sorted field by field, as serde's derive lists them.
    let mut listed = Vec::new();
    // The names each field answers to, its own first.
    let mut keys = Vec::new();
    let mut values = Vec::new();
    let mut placeholders = Vec::new();
    for (index, field) in fields.named.iter().enumerate() {
        let ident = field
            .ident
            .as_ref()
            .ok_or_else(|| Error::new_spanned(field, "a field without a name"))?;
        let ty = &field.ty;
        let item = item_attrs(&field.attrs)?;
        let key = item
            .rename
            .clone()
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
        let value = match (&item.with, item.default) {
            (None, false) => quote! { crate::decode::required::<#ty>(slots[#index], #key, &mut error) },
            (None, true) => quote! { crate::decode::or_default::<#ty>(slots[#index], #key, &mut error) },
            (Some(path), default) => {
                quote! { crate::decode::with(slots[#index], #key, #default, #path::decode, &mut error) }
            }
        };
        values.push(quote! { #ident: #value, });
        placeholders.push(match item.with {
            Some(_) => quote! { #ident: ::core::default::Default::default(), },
            None => quote! { #ident: crate::decode::Decode::placeholder(), },
        });
        let names = std::iter::once(&key).chain(&item.aliases);
        keys.push(quote! { &[#(#names),*] });
        listed.extend(listed_names(&key, &item.aliases));
    }
    let count = values.len();
    let unknown = if attrs.deny_unknown_fields {
        quote! { ::core::option::Option::Some(LISTED) }
    } else {
        quote! { ::core::option::Option::None }
    };
    let body = quote! {
        const LISTED: &[&str] = &[#(#listed),*];
        const KEYS: &[&[&str]] = &[#(#keys),*];
        let fields = crate::decode::object(value, #expecting)?;
        let mut slots: [::core::option::Option<&::serde_json::Value>; #count] = [::core::option::Option::None; #count];
        crate::decode::gather(fields, KEYS, #unknown, &mut slots)?;
        // Each field that fails takes its placeholder, and the first error
        // is returned once the whole input is built: one drop of the input
        // rather than one of every partial input.
        let mut error = ::core::option::Option::None;
        let input = Self { #(#values)* };
        match error {
            ::core::option::Option::None => ::core::result::Result::Ok(input),
            ::core::option::Option::Some(error) => ::core::result::Result::Err(error),
        }
    };
    Ok((body, quote! { Self { #(#placeholders)* } }))
}

/// An enum's `decode`: its variants by name (a string), aliases too.
fn enum_body(attrs: &TypeAttrs, data: &syn::DataEnum) -> syn::Result<Tokens> {
    if attrs.deny_unknown_fields {
        return Err(Error::new(Span::call_site(), "deny_unknown_fields on an enum"));
    }
    let mut names = Vec::new();
    let mut arms = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(Error::new_spanned(
                variant,
                "#[derive(Decode)] takes enums of unit variants",
            ));
        }
        let item = item_attrs(&variant.attrs)?;
        if item.default || item.with.is_some() {
            return Err(Error::new_spanned(variant, "default or with on a variant"));
        }
        let ident = &variant.ident;
        let key = match item.rename {
            Some(rename) => rename,
            None => renamed(&ident.to_string(), attrs.rename_all.as_deref())?,
        };
        let keys = std::iter::once(&key).chain(&item.aliases);
        arms.push(quote! { #(#keys)|* => ::core::result::Result::Ok(Self::#ident), });
        names.extend(listed_names(&key, &item.aliases));
    }
    Ok(quote! {
        const VARIANTS: &[&str] = &[#(#names),*];
        let name = crate::decode::variant(value)?;
        match name {
            #(#arms)*
            _ => ::core::result::Result::Err(crate::decode::DecodeError::unknown_variant(name, VARIANTS)),
        }
    })
}
