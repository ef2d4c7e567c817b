//! The derives that read and write an s3-connector operation's JSON,
//! from the `#[serde(...)]` attributes its types carry for their schemas.
//!
//! `#[derive(Decode)]` decodes an input (a struct of named fields, or an
//! enum of unit variants named by strings) from a `json_value::Value`, as
//! serde's `Deserialize` derive would through the crate's path-keeping
//! deserializer, with the same errors, but without its generic visitors:
//! each field goes through one non-generic `Decode::decode` per field type,
//! shared by every input that has one. It reads `deny_unknown_fields` and
//! `rename_all` on the type; `default`, `with`, `rename` and `alias` on a
//! field or variant.
//!
//! `#[derive(Encode)]` writes an output as compact JSON text, as
//! serde_json writes what serde's `Serialize` derive makes of it: fields in
//! declaration order, each through `crate::encode::key` and its type's one
//! `Encode::encode`. It reads `rename_all` on the type; `rename`, `with`,
//! `skip_serializing` and `skip_serializing_if` on a field or variant.
//!
//! Any other `serde` attribute is refused at compile time, so that neither
//! derive silently differs from what the schema says.
//!
//! `#[derive(Footprint)]`, for the host's WIT types (its bindings add it to
//! every record and variant), counts what a value copies into the component
//! when it is passed in: `crate::footprint::Footprint::footprint` summed
//! over a record's fields or a variant's payload.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote};
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

/// Derives `crate::encode::Encode` (see the crate's documentation).
#[proc_macro_derive(Encode, attributes(serde))]
pub fn derive_encode(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match expand_encode(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// Derives the host's `crate::footprint::Footprint` (see the crate's
/// documentation).
#[proc_macro_derive(Footprint)]
pub fn derive_footprint(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let count = |value: &Tokens| quote!(crate::footprint::Footprint::footprint(#value));
    let body = match &input.data {
        Data::Struct(data) => {
            let fields = data.fields.iter().enumerate().map(|(index, field)| {
                let member = match &field.ident {
                    Some(ident) => quote!(&self.#ident),
                    None => {
                        let index = syn::Index::from(index);
                        quote!(&self.#index)
                    }
                };
                count(&member)
            });
            quote!(0 #(+ #fields)*)
        }
        Data::Enum(data) => {
            let arms = data.variants.iter().map(|variant| {
                let case = &variant.ident;
                let bound: Vec<_> = variant
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(index, field)| {
                        field
                            .ident
                            .clone()
                            .unwrap_or_else(|| format_ident!("field{index}"))
                    })
                    .collect();
                let counts = bound.iter().map(|b| count(&quote!(#b)));
                let pattern = match &variant.fields {
                    Fields::Unit => quote!(Self::#case),
                    Fields::Unnamed(_) => quote!(Self::#case(#(#bound),*)),
                    Fields::Named(_) => quote!(Self::#case { #(#bound),* }),
                };
                quote!(#pattern => 0 #(+ #counts)*)
            });
            quote!(match self { #(#arms,)* })
        }
        Data::Union(_) => {
            return Error::new(Span::call_site(), "Footprint is derived for structs and enums")
                .to_compile_error()
                .into()
        }
    };
    quote! {
        impl #impl_generics crate::footprint::Footprint for #name #type_generics #where_clause {
            fn footprint(&self) -> usize {
                #body
            }
        }
    }
    .into()
}

/// What the `serde` attributes of a type, field or variant say: every
/// key either derive reads. Each derive refuses, through [`serde_attrs`], those
/// it does not handle, so that neither silently differs from the schema.
#[derive(Default)]
struct Attrs {
    deny_unknown_fields: bool,
    rename_all: Option<String>,
    default: bool,
    with: Option<syn::Path>,
    rename: Option<String>,
    aliases: Vec<String>,
    skip_serializing: bool,
    skip_serializing_if: Option<syn::Path>,
}

/// Reads the `serde` attributes of a type, field or variant: those named in
/// `allowed`, which `derive` handles, and refuses any other.
fn serde_attrs(attrs: &[syn::Attribute], allowed: &[&str], derive: &str) -> syn::Result<Attrs> {
    let mut out = Attrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                return Err(meta.error(format!(
                    "this serde attribute is not supported by #[derive({derive})]"
                )));
            }
            let text = |meta: &syn::meta::ParseNestedMeta| -> syn::Result<LitStr> { meta.value()?.parse() };
            match key.as_str() {
                "deny_unknown_fields" => out.deny_unknown_fields = true,
                "rename_all" => out.rename_all = Some(text(&meta)?.value()),
                "default" => out.default = true,
                "with" => out.with = Some(text(&meta)?.parse()?),
                "rename" => out.rename = Some(text(&meta)?.value()),
                "alias" => out.aliases.push(text(&meta)?.value()),
                "skip_serializing" => out.skip_serializing = true,
                "skip_serializing_if" => out.skip_serializing_if = Some(text(&meta)?.parse()?),
                _ => return Err(meta.error("unknown serde attribute")),
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// The type attributes the derives read: each lets through those only
/// the other reads (`deny_unknown_fields` is for decoding only).
const TYPE_KEYS: &[&str] = &["deny_unknown_fields", "rename_all"];
/// The field and variant attributes the derives read: each lets through
/// those only the other reads (`default` and `alias` for decoding,
/// `skip_serializing` and `skip_serializing_if` for encoding).
const ITEM_KEYS: &[&str] = &[
    "default",
    "with",
    "rename",
    "alias",
    "skip_serializing",
    "skip_serializing_if",
];

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
                format!("rename_all = {other:?} is not supported"),
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
    let attrs = serde_attrs(&input.attrs, TYPE_KEYS, "Decode")?;
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
            fn decode(value: &mut crate::json_value::Value) -> ::core::result::Result<Self, crate::decode::DecodeError> {
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
fn struct_body(name: &syn::Ident, attrs: &Attrs, fields: &syn::FieldsNamed) -> syn::Result<(Tokens, Tokens)> {
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
        let item = serde_attrs(&field.attrs, ITEM_KEYS, "Decode")?;
        let key = item
            .rename
            .clone()
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
        let value = match (&item.with, item.default) {
            (None, false) => {
                quote! { crate::decode::required::<#ty>(slots[#index].take(), #key, &mut error) }
            }
            (None, true) => {
                quote! { crate::decode::or_default::<#ty>(slots[#index].take(), #key, &mut error) }
            }
            (Some(path), default) => {
                quote! { crate::decode::with(slots[#index].take(), #key, #default, #path::decode, &mut error) }
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
        let mut slots: [::core::option::Option<&mut crate::json_value::Value>; #count] = [const { ::core::option::Option::None }; #count];
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
fn enum_body(attrs: &Attrs, data: &syn::DataEnum) -> syn::Result<Tokens> {
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
        let item = serde_attrs(&variant.attrs, ITEM_KEYS, "Decode")?;
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

/// `text` as a JSON string, escaped as serde_json escapes it, for names
/// known at compile time.
fn quoted(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `Encode` impl of `input`.
fn expand_encode(input: &DeriveInput) -> syn::Result<Tokens> {
    let attrs = serde_attrs(&input.attrs, TYPE_KEYS, "Encode")?;
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let body = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) if attrs.rename_all.is_none() => encode_struct(fields)?,
            Fields::Named(_) => {
                return Err(Error::new_spanned(
                    name,
                    "rename_all on a struct is not supported by #[derive(Encode)]",
                ))
            }
            _ => {
                return Err(Error::new_spanned(
                    name,
                    "#[derive(Encode)] takes structs of named fields",
                ))
            }
        },
        Data::Enum(data) => encode_enum(&attrs, data)?,
        Data::Union(_) => return Err(Error::new_spanned(name, "#[derive(Encode)] takes no unions")),
    };
    Ok(quote! {
        impl #impl_generics crate::encode::Encode for #name #type_generics #where_clause {
            fn encode(&self, out: &mut ::std::string::String) {
                #body
            }
        }
    })
}

/// A struct's `encode`: `{`, each field that is not skipped as its quoted
/// name and value, `}`.
fn encode_struct(fields: &syn::FieldsNamed) -> syn::Result<Tokens> {
    let mut written = Vec::new();
    for field in &fields.named {
        let ident = field
            .ident
            .as_ref()
            .ok_or_else(|| Error::new_spanned(field, "a field without a name"))?;
        let item = serde_attrs(&field.attrs, ITEM_KEYS, "Encode")?;
        if item.skip_serializing {
            continue;
        }
        let name = item
            .rename
            .clone()
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
        let key = format!("{}:", quoted(&name));
        let value = match &item.with {
            Some(path) => quote! { #path::encode(&self.#ident, out) },
            None => quote! { crate::encode::Encode::encode(&self.#ident, out) },
        };
        let write = quote! {
            crate::encode::key(out, #key);
            #value;
        };
        written.push(match &item.skip_serializing_if {
            Some(skip) => quote! { if !#skip(&self.#ident) { #write } },
            None => write,
        });
    }
    Ok(quote! {
        out.push('{');
        #(#written)*
        out.push('}');
    })
}

/// An enum's `encode`: its variant's name, quoted.
fn encode_enum(attrs: &Attrs, data: &syn::DataEnum) -> syn::Result<Tokens> {
    let mut arms = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(Error::new_spanned(
                variant,
                "#[derive(Encode)] takes enums of unit variants",
            ));
        }
        let item = serde_attrs(&variant.attrs, ITEM_KEYS, "Encode")?;
        if item.with.is_some() || item.skip_serializing || item.skip_serializing_if.is_some() {
            return Err(Error::new_spanned(
                variant,
                "with or skip_serializing on a variant",
            ));
        }
        let ident = &variant.ident;
        let name = match item.rename {
            Some(rename) => rename,
            None => renamed(&ident.to_string(), attrs.rename_all.as_deref())?,
        };
        let text = quoted(&name);
        arms.push(quote! { Self::#ident => #text, });
    }
    Ok(quote! {
        out.push_str(match self { #(#arms)* });
    })
}
