//! The component's exported functions, found once per [`Runtime`](crate::Runtime)
//! and typed one at a time, when called.
//!
//! The generated `Connector::instantiate` looks up every export of every
//! new instance and checks its type against the bindings' (records,
//! variants and their names, for some twenty functions): about a third of
//! the time a pooled instance took to make. Here the exports' indices are
//! found once, on the compiled component, and a call checks the type of the
//! one function it calls. The types still come from the bindings: each call
//! names the generated accessor (`Guest::func_list_objects`, say), whose
//! signature types the call, and a component whose function does not match
//! it is refused with a typed error instead of being called.
//!
//! That check compares the function's whole type (records, variants and
//! their names: the `error` variant alone has some thirty cases) with the
//! bindings' types, about 6k instructions: a twentieth of a small-object
//! call. Each export is checked once per runtime, on its first call, and
//! later calls of it with the same Rust types skip the check.

use std::any::TypeId;
use std::sync::OnceLock;

use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, Lift, Lower, TypedFunc,
};
use wasmtime::{AsContextMut, Engine};

use crate::error::HostError;

/// The `operations` interface's functions, as the bindings type them.
pub(crate) use crate::bindings::exports::s3_connector::s3::operations::Guest as Operations;

/// The `json` interface's functions, as the bindings type them.
pub(crate) use crate::bindings::exports::s3_connector::s3::json::Guest as Json;

/// A generated accessor (`Operations::func_list_objects`, say), passed for
/// its type only: a function of interface `G` taking `P` and returning `R`.
pub(crate) type Signature<'a, G, P, R> = fn(&'a G) -> TypedFunc<P, R>;

/// Declares [`Export`] and its WIT names in one list, so that a function
/// cannot be added to one and not the other.
macro_rules! exports {
    ($($variant:ident => $interface:literal $name:literal,)*) => {
        /// One function the component exports.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Export {
            $(
                #[doc = concat!("`", $interface, "#", $name, "`")]
                $variant,
            )*
        }

        impl Export {
            /// Every export, in declaration order: `export as usize` is its place.
            const ALL: &'static [Export] = &[$(Export::$variant),*];

            /// The export's interface and function name in the WIT.
            fn wit_name(self) -> (&'static str, &'static str) {
                match self {
                    $(Export::$variant => ($interface, $name),)*
                }
            }
        }
    };
}

exports! {
    ListBuckets => "s3-connector:s3/operations" "list-buckets",
    ListBucketsDdl => "s3-connector:s3/operations" "list-buckets-ddl",
    ListObjects => "s3-connector:s3/operations" "list-objects",
    GetObject => "s3-connector:s3/operations" "get-object",
    GetObjectSignedUrl => "s3-connector:s3/operations" "get-object-signed-url",
    GetBucketLocation => "s3-connector:s3/operations" "get-bucket-location",
    HeadObject => "s3-connector:s3/operations" "head-object",
    PutObjectText => "s3-connector:s3/operations" "put-object-text",
    PutObjectFile => "s3-connector:s3/operations" "put-object-file",
    PutObjectAcl => "s3-connector:s3/operations" "put-object-acl",
    DeleteObject => "s3-connector:s3/operations" "delete-object",
    DeleteObjects => "s3-connector:s3/operations" "delete-objects",
    GetObjectTo => "s3-connector:s3/operations" "get-object-to",
    PutObjectStream => "s3-connector:s3/operations" "put-object-stream",
    ListMultipartUploads => "s3-connector:s3/operations" "list-multipart-uploads",
    AbortMultipartUpload => "s3-connector:s3/operations" "abort-multipart-upload",
    Invoke => "s3-connector:s3/json" "invoke",
    Operations => "s3-connector:s3/json" "operations",
    Describe => "s3-connector:s3/json" "describe",
    Policy => "s3-connector:s3/json" "policy",
    InvokeStreamed => "s3-connector:s3/json" "invoke-streamed",
}

impl std::fmt::Display for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (interface, name) = self.wit_name();
        write!(f, "{interface}#{name}")
    }
}

/// Where each [`Export`] is in the compiled component.
pub(crate) struct Exports {
    indices: Vec<ComponentExportIndex>,
    /// For each export, the Rust types (parameters and results, lifetimes
    /// erased) its function has been checked against: set by the first
    /// call whose check passed.
    checked: Vec<OnceLock<TypeId>>,
}

impl Exports {
    /// Finds every export in `component`; one it lacks is a load error, as
    /// with the generated bindings.
    pub(crate) fn find(engine: &Engine, component: &Component) -> Result<Self, HostError> {
        // The component exports `s3-connector:s3/operations@<version>`: the
        // interfaces are found by their name without the package's version,
        // which the WIT alone sets.
        let component_type = component.component_type();
        let interfaces: Vec<&str> = component_type.exports(engine).map(|(name, _)| name).collect();
        let indices = Export::ALL
            .iter()
            .map(|export| {
                let (interface, name) = export.wit_name();
                interfaces
                    .iter()
                    .find(|exported| exported.split('@').next() == Some(interface))
                    .and_then(|exported| component.get_export_index(None, exported))
                    .and_then(|instance| component.get_export_index(Some(&instance), name))
                    .ok_or_else(|| HostError::Load(format!("the component does not export `{export}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let checked = indices.iter().map(|_| OnceLock::new()).collect();
        Ok(Self { indices, checked })
    }

    /// `export` of `instance`, typed as the generated accessor `signature`
    /// types it (only its type is used). A function of another type is a
    /// [`HostError::Load`]: the component was not built from this host's WIT.
    pub(crate) fn typed<'a, G, P, R>(
        &self,
        store: impl AsContextMut,
        instance: &Instance,
        export: Export,
        signature: Signature<'a, G, P, R>,
    ) -> Result<TypedFunc<P, R>, HostError>
    where
        P: ComponentNamedList + Lower,
        R: ComponentNamedList + Lift,
    {
        let _ = signature;
        // `ALL` lists the variants in declaration order.
        let index = self
            .indices
            .get(export as usize)
            .ok_or_else(|| HostError::Load(format!("the component does not export `{export}`")))?;
        let types = typeid::of::<(P, R)>();
        let checked = self.checked.get(export as usize);
        let mut store = store;
        if checked.and_then(OnceLock::get) == Some(&types) {
            if let Some(func) = instance.get_func(&mut store, index) {
                // SAFETY: `new_unchecked` needs `func.typed::<P, R>()` to
                // succeed. It did, for this export of an instance of this
                // runtime's component, with these `P` and `R` (`types`:
                // their `TypeId` with lifetimes erased; a lifetime changes
                // no component type, `&T` being typed as `T`). Every
                // instance of the component gives the export the same
                // function type: the component's, not the instance's.
                return Ok(unsafe { TypedFunc::new_unchecked(func) });
            }
        }
        let func = instance.get_typed_func::<P, R>(&mut store, index).map_err(|e| {
            HostError::Load(format!(
                "the component's `{export}` does not match this host: {e:#}"
            ))
        })?;
        if let Some(checked) = checked {
            // Another thread may have set it first, to the same types or to
            // others (then this call's are checked again next time).
            let _ = checked.set(types);
        }
        Ok(func)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_has_its_own_name() {
        let mut names: Vec<_> = Export::ALL.iter().map(|e| e.wit_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Export::ALL.len());
    }
}
