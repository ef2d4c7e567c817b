//! The JSON face's reader (`json_value::parse`) against serde_json on any
//! text: both read the same texts, to the same values, and refuse the same
//! texts, but for the two differences the module documents (a key given
//! twice is refused; a number beyond `f64` is kept as text).

#![no_main]

use libfuzzer_sys::fuzz_target;
use s3_connector::json_value::{parse, Value};

/// Whether `ours` is what serde_json read as `theirs`.
fn same(ours: &Value, theirs: &serde_json::Value) -> bool {
    match (ours, theirs) {
        (Value::Null, serde_json::Value::Null) => true,
        (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
        (Value::Number(a), serde_json::Value::Number(b)) => match (b.as_u64(), b.as_i64()) {
            (Some(u), _) => a.as_u64() == Some(u),
            (None, Some(i)) => a.as_i64() == Some(i),
            // A fraction, an exponent, -0 or beyond 64 bits: kept as text,
            // which reads as a float too.
            (None, None) => {
                a.as_u64().is_none() && a.as_i64().is_none() && a.to_string().parse::<f64>().is_ok()
            }
        },
        (Value::String(a), serde_json::Value::String(b)) => a == b,
        (Value::Array(a), serde_json::Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), serde_json::Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = parse(text);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) => assert!(same(ours, theirs), "{text:?}: {ours:?} against {theirs:?}"),
        (Err(ours), Ok(_)) => assert!(
            ours.message.contains("is given twice"),
            "{text:?}: refused ({ours}) where serde_json reads it"
        ),
        (Ok(_), Err(theirs)) => assert!(
            theirs.to_string().starts_with("number out of range"),
            "{text:?}: read where serde_json refuses it ({theirs})"
        ),
        (Err(ours), Err(_)) => {
            assert!(ours.line >= 1 && ours.column >= 1, "{text:?}: {ours}");
        }
    }
});
