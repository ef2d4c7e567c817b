//! What a typed call copies into the component, counted before the call.
//!
//! Passing a value in, wasmtime copies each string and list into the
//! component's linear memory through the component's allocator; a value
//! larger than that memory can hold exhausts it on the way in, which traps
//! the component and poisons the instance, before the component has read a
//! byte it could refuse. The host refuses such a call first
//! ([`Instance`](crate::Instance)'s typed functions, `MAX_CALL_INPUT`), with the
//! same kind of error as any other input the connector refuses.
//!
//! [`Footprint`] counts at least what a value copies: the bytes of its
//! strings and lists, each with the pointer and length that refer to it, a
//! list's items at their size in the host (which is at least their size in
//! the component: its pointers are half as wide). The bindings
//! derive it for every record and variant of the WIT (`additional_derives`
//! in `src/bindings.rs`, the derive in `derive/`), so that a field added to
//! the WIT is counted without being named here.

use std::mem::size_of;

use wasmtime::component::Resource;

/// The bytes a value copies into the component's memory when it is passed
/// in, beyond its own fixed-size fields, or a little more: each string's and
/// list's bytes, plus a pointer and a length each (see the module docs).
pub trait Footprint {
    /// Whether a value of the type can refer to a string or a list: a list
    /// of values that cannot is counted by its length alone.
    const REFERS: bool = true;

    /// The bytes the value copies in (0 for a number or a flag).
    fn footprint(&self) -> usize;
}

/// A string or list's pointer and length in the component's memory.
const REFERENCE: usize = 8;

impl Footprint for str {
    fn footprint(&self) -> usize {
        REFERENCE + self.len()
    }
}

impl Footprint for String {
    fn footprint(&self) -> usize {
        self.as_str().footprint()
    }
}

impl<T: Footprint> Footprint for [T] {
    fn footprint(&self) -> usize {
        let items = self.len().saturating_mul(size_of::<T>());
        let referred = if T::REFERS {
            self.iter()
                .map(Footprint::footprint)
                .fold(0, usize::saturating_add)
        } else {
            0
        };
        REFERENCE.saturating_add(items).saturating_add(referred)
    }
}

impl<T: Footprint> Footprint for Vec<T> {
    fn footprint(&self) -> usize {
        self.as_slice().footprint()
    }
}

impl<T: Footprint> Footprint for Option<T> {
    const REFERS: bool = T::REFERS;

    fn footprint(&self) -> usize {
        self.as_ref().map_or(0, Footprint::footprint)
    }
}

impl<T: Footprint + ?Sized> Footprint for &T {
    const REFERS: bool = T::REFERS;

    fn footprint(&self) -> usize {
        (**self).footprint()
    }
}

/// A resource is passed as a handle: nothing is copied.
impl<T: 'static> Footprint for Resource<T> {
    const REFERS: bool = false;

    fn footprint(&self) -> usize {
        0
    }
}

/// Numbers and flags: fixed-size, counted in the list or record that holds
/// them.
macro_rules! fixed {
    ($($t:ty),*) => {$(
        impl Footprint for $t {
            const REFERS: bool = false;

            fn footprint(&self) -> usize {
                0
            }
        }
    )*};
}

fixed!(bool, u8, u16, u32, u64, i8, i16, i32, i64, f32, f64, char);

/// A call's parameters: the sum of theirs.
macro_rules! tuples {
    ($(($($name:ident),*)),*) => {$(
        impl<$($name: Footprint),*> Footprint for ($($name,)*) {
            #[allow(non_snake_case)]
            fn footprint(&self) -> usize {
                let ($($name,)*) = self;
                0usize $(.saturating_add($name.footprint()))*
            }
        }
    )*};
}

tuples!((), (A), (A, B), (A, B, C), (A, B, C, D), (A, B, C, D, E));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::{DeleteObjectsInput, ObjectIdentifier, PutObjectTextInput};

    #[test]
    fn strings_and_lists_count_their_bytes_and_references() {
        assert_eq!("abc".footprint(), 11);
        assert_eq!(String::new().footprint(), 8);
        assert_eq!(vec![0u8; 100].footprint(), 108);
        assert_eq!(vec![0u32; 10].footprint(), 48);
        assert_eq!(
            vec!["ab".to_owned(), "c".to_owned()].footprint(),
            8 + 2 * size_of::<String>() + 10 + 9
        );
        assert_eq!(None::<String>.footprint(), 0);
        assert_eq!(Some("abcd").footprint(), 12);
        assert_eq!((&"ab", 7u64, Some(&[1u8, 2][..])).footprint(), 10 + 10);
    }

    /// The derive counts every field of a record, down through its lists.
    #[test]
    fn a_records_footprint_is_its_fields() {
        let input = PutObjectTextInput {
            bucket_name: "bucket".to_owned(),
            object_path: "a/b.txt".to_owned(),
            content: "x".repeat(1000),
            mime_type: Some("text/plain".to_owned()),
            acl: None,
            metadata: vec![("n".to_owned(), "v".repeat(20))],
        };
        let metadata = 8 + size_of::<(String, String)>() + 9 + 28;
        assert_eq!(input.footprint(), 14 + 15 + 1008 + 18 + metadata);
        let keys = DeleteObjectsInput {
            bucket_name: String::new(),
            object_keys: vec![
                ObjectIdentifier {
                    key: "k".to_owned(),
                    version_id: Some("v1".to_owned()),
                };
                3
            ],
        };
        assert_eq!(
            keys.footprint(),
            8 + 8 + 3 * (size_of::<ObjectIdentifier>() + 9 + 10)
        );
    }
}
