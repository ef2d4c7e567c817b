//! Put Object (File): bytes with a file name and mime type. Small files
//! given in memory go in one PUT ([`put_object`]); a host-held source goes
//! through [`put_object_stream`], one PUT below the multipart threshold and
//! a multipart upload above it.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>

use crate::json_value::Value;
#[cfg(test)]
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::decode::{Decode, DecodeError};
use crate::encode::Encode;

use crate::error::Error;
use crate::http::{Method, OpRequest};
use crate::model::{
    pairs_as_object, CannedAcl, PayloadSigning, PutObjectFileInput, PutObjectOutput, PutObjectStreamInput,
    UploadOptions,
};
use crate::ops::write_options::put_input;
use crate::ops::{put_object, put_object_stream, Bodies, Invocation, Op};

put_input! {
    /// The JSON input of Put Object (File): the file's fields, where the file
    /// name and mime type may also come in the old connector's `file` object,
    /// and the options of a streamed upload (`upload_id` resumes one).
    #[derive(Clone, Debug, Default, PartialEq, Eq, Decode, Encode)]
    #[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    #[serde(deny_unknown_fields)]
    pub struct PutObjectFileJson {
        /// The bucket.
        pub bucket_name: String,
        /// The key; the file name when absent.
        #[serde(default)]
        pub object_path: Option<String>,
        /// The file's name; the key's last segment when absent.
        #[serde(default)]
        pub file_name: Option<String>,
        /// Mime type (default `application/octet-stream`).
        #[serde(default)]
        pub mime_type: Option<String>,
        /// Canned ACL.
        #[serde(default)]
        pub acl: Option<CannedAcl>,
        /// User metadata (`x-amz-meta-*`), printable ASCII.
        #[serde(default, with = "pairs_as_object")]
        #[cfg_attr(feature = "schema", schemars(with = "std::collections::BTreeMap<String, String>"))]
        pub metadata: Vec<(String, String)>,
        /// The old connector's `file` object: `name` and `mime_type`.
        #[serde(default)]
        pub file: Option<FileJson>,
        /// Above this size a streamed upload is multipart (default 16 MiB).
        #[serde(default)]
        pub multipart_threshold: Option<u64>,
        /// Part size (default 8 MiB), raised to fit 10,000 parts.
        #[serde(default)]
        pub part_size: Option<u64>,
        /// Payload signing of a streamed upload (default `auto`).
        #[serde(default)]
        pub payload_signing: Option<PayloadSigning>,
        /// Parts sent at the same time (default 4).
        #[serde(default)]
        pub concurrency: Option<u32>,
        /// Send `Content-MD5` with each part.
        #[serde(default)]
        pub content_md5: bool,
        /// Resume this multipart upload (from a failed upload's error).
        #[serde(default)]
        pub upload_id: Option<String>,
    }
}

/// The old connector's `file` object, as far as an upload can use it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FileJson {
    /// The file's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The file's mime type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Refused: the connector reads no URL (named in the error, not
    /// reported as an unknown field).
    #[serde(default, skip_serializing)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub url: Option<AnyValue>,
}

/// A JSON value that is only looked for, never kept: it decodes as
/// serde_json's `Value` would, with the same errors, without the code that
/// builds a `Value` (the component's only use of it but the JSON face's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnyValue;

impl Decode for AnyValue {
    fn placeholder() -> Self {
        AnyValue
    }

    fn decode(value: &mut Value) -> Result<Self, DecodeError> {
        // As serde's derive through the decoder's reference: any value but
        // a float (no input takes one), inside arrays and objects too.
        match value {
            Value::Array(items) => items
                .iter_mut()
                .enumerate()
                .try_for_each(|(index, item)| AnyValue::decode(item).map(drop).map_err(|e| e.in_item(index)))
                .map(|()| AnyValue),
            Value::Object(fields) => fields
                .iter_mut()
                .try_for_each(|(name, value)| crate::decode::field::<AnyValue>(name, value).map(drop))
                .map(|()| AnyValue),
            Value::Number(n) if n.as_u64().is_none() && n.as_i64().is_none() => {
                Err(crate::decode::invalid_type(value, "any valid JSON value"))
            }
            _ => Ok(AnyValue),
        }
    }
}

#[cfg(test)]
impl<'de> serde::Deserialize<'de> for AnyValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyVisitor)
    }
}

/// Takes any value, as `Value`'s visitor does.
#[cfg(test)]
struct AnyVisitor;

#[cfg(test)]
impl<'de> Visitor<'de> for AnyVisitor {
    type Value = AnyValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Value`'s words, for the same error.
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_i64<E>(self, _: i64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_u64<E>(self, _: u64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_f64<E>(self, _: f64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_str<E>(self, _: &str) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_none<E>(self) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<AnyValue, D::Error> {
        <AnyValue as serde::Deserialize>::deserialize(deserializer)
    }

    fn visit_unit<E>(self) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<AnyValue, A::Error> {
        while items.next_element::<AnyValue>()?.is_some() {}
        Ok(AnyValue)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<AnyValue, A::Error> {
        while fields.next_entry::<IgnoredAny, AnyValue>()?.is_some() {}
        Ok(AnyValue)
    }
}

/// Put Object (File).
pub struct PutObjectFile;

impl Op for PutObjectFile {
    type Input = PutObjectFileJson;
    type Output = PutObjectOutput;
    const NAME: &'static str = "put-object-file";
    const TITLE: &'static str = "Put Object (File)";
    const DESCRIPTION: &'static str = "Writes a file as an object: its bytes come beside the JSON (the \
        call's body, or a host-held source for any size, sent as a multipart upload above the \
        threshold). A failed multipart upload's error carries its `upload_id` to resume with.";
    const REFERENCE: &'static str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html";
    const PERMISSIONS: &'static [&'static str] = &[
        "s3:PutObject",
        "s3:PutObjectAcl",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
    ];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str = r#"{"bucket_name": "my-bucket", "object_path": "uploads/report.pdf", "mime_type": "application/pdf"}"#;
    const BODIES: Bodies = Bodies {
        upload: true,
        download: false,
    };

    /// A multipart upload's listing of parts and its abort are not covered
    /// by `s3:PutObject`; its parts and completion are.
    fn permission(request: &OpRequest) -> &'static str {
        let upload = request.query.iter().any(|(name, _)| name == "uploadId");
        match request.method {
            Method::Get if upload => "s3:ListMultipartUploadParts",
            Method::Delete if upload => "s3:AbortMultipartUpload",
            _ => put_object::put_permission(request),
        }
    }

    fn run(call: &mut Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        if call.source {
            if call.body.is_some() {
                return Err(Error::invalid_input(
                    "body",
                    "give the content either as the call's body or as its source, not both",
                ));
            }
            let write = input.write_options();
            return put_object_stream::run(call.client, &stream_input(input)?, &write);
        }
        let streamed_only = [
            ("multipart_threshold", input.multipart_threshold.is_some()),
            ("part_size", input.part_size.is_some()),
            ("payload_signing", input.payload_signing.is_some()),
            ("concurrency", input.concurrency.is_some()),
            ("content_md5", input.content_md5),
            ("upload_id", input.upload_id.is_some()),
        ];
        if let Some((field, _)) = streamed_only.iter().find(|(_, given)| *given) {
            return Err(Error::invalid_input(
                field,
                "applies to an upload from a host-held source only, not to a body given in memory",
            ));
        }
        let content = call.body.take().ok_or_else(|| {
            Error::invalid_input(
                "content",
                "is missing: pass the file's bytes as the call's `body`",
            )
        })?;
        let write = input.write_options();
        put_object::run_file(call.client, file_input(input, content)?, &write)
    }
}

/// The streamed upload's input.
fn stream_input(input: PutObjectFileJson) -> Result<PutObjectStreamInput, Error> {
    let options = UploadOptions {
        multipart_threshold: input.multipart_threshold,
        part_size: input.part_size,
        payload_signing: input.payload_signing,
        concurrency: input.concurrency,
        content_md5: input.content_md5,
        resume_upload_id: input.upload_id.clone(),
    };
    let file = file_input(input, Vec::new())?;
    Ok(PutObjectStreamInput {
        object_path: file.object_path.unwrap_or(file.file_name),
        bucket_name: file.bucket_name,
        mime_type: file.mime_type,
        acl: file.acl,
        metadata: file.metadata,
        options,
    })
}

/// The in-memory upload's input: the file name and mime type from either
/// place (they must agree when both are given).
fn file_input(input: PutObjectFileJson, content: Vec<u8>) -> Result<PutObjectFileInput, Error> {
    let (name_from_file, mime_from_file) = match input.file {
        Some(file) if file.url.is_some() => {
            return Err(Error::invalid_input(
                "file.url",
                "is not fetched by this connector: pass the file's bytes as the call's `body` \
                 and give only `file.name` and `file.mime_type`",
            ))
        }
        Some(file) => (file.name, file.mime_type),
        None => (None, None),
    };
    let file_name = one_of("file_name", input.file_name, "file.name", name_from_file)?;
    let mime_type = one_of("mime_type", input.mime_type, "file.mime_type", mime_from_file)?;
    let file_name = match (file_name, &input.object_path) {
        (Some(name), _) => name,
        (None, Some(path)) => path.rsplit('/').next().unwrap_or(path).to_owned(),
        (None, None) => {
            return Err(Error::invalid_input(
                "file_name",
                "is missing: give `file_name` (or `file.name`), or `object_path`",
            ))
        }
    };
    Ok(PutObjectFileInput {
        bucket_name: input.bucket_name,
        object_path: input.object_path,
        file_name,
        mime_type,
        content,
        acl: input.acl,
        metadata: input.metadata,
    })
}

fn one_of(
    name: &str,
    value: Option<String>,
    alternative_name: &str,
    alternative: Option<String>,
) -> Result<Option<String>, Error> {
    match (value, alternative) {
        (Some(value), Some(alternative)) if value != alternative => Err(Error::invalid_input(
            name,
            format!("`{value}` differs from `{alternative_name}` (`{alternative}`); give one of them"),
        )),
        (value, alternative) => Ok(value.or(alternative)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn json(text: &str) -> PutObjectFileJson {
        PutObjectFileJson::decode(&mut crate::json_value::parse(text).unwrap()).unwrap()
    }

    #[test]
    fn a_file_url_decodes_as_a_json_value_would() {
        /// `FileJson` as it was, with the URL a `Value`.
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct WithValue {
            #[serde(default)]
            name: Option<String>,
            #[serde(default)]
            mime_type: Option<String>,
            #[serde(default)]
            url: Option<serde_json::Value>,
        }
        for text in [
            r#"{"url": "https://x/y"}"#,
            r#"{"url": null}"#,
            r#"{"name": "a", "url": [1, -2, true, null, "s", {"k": [{}]}]}"#,
            r#"{"url": {"a": {"b": [1.5]}}}"#,
            r#"{"url": [0.5]}"#,
            r#"{"url": 2.5}"#,
            r#"{"url": 1, "nope": 2}"#,
        ] {
            let value = crate::json_value::parse(text).unwrap();
            let ours = FileJson::decode(&mut value.clone());
            let theirs = crate::decode::decode_with_serde::<WithValue>(&value);
            match (ours, theirs) {
                (Ok(ours), Ok(theirs)) => assert_eq!(ours.url.is_some(), theirs.url.is_some(), "{text}"),
                (Err(ours), Err(theirs)) => assert_eq!(
                    (&ours.path, ours.message()),
                    (&theirs.path, theirs.message()),
                    "{text}"
                ),
                (ours, theirs) => panic!("{text}: {ours:?} against {theirs:?}"),
            }
        }
    }

    #[test]
    fn takes_the_old_file_object() {
        let input = json(
            r#"{"bucket_name": "bkt", "object_path": "dir/a.csv",
                "file": {"name": "a.csv", "mime_type": "text/csv"}}"#,
        );
        let input = file_input(input, b"1,2".to_vec()).unwrap();
        assert_eq!(input.file_name, "a.csv");
        assert_eq!(input.mime_type.as_deref(), Some("text/csv"));
        assert_eq!(input.object_path.as_deref(), Some("dir/a.csv"));
        assert_eq!(input.content, b"1,2");
    }

    #[test]
    fn names_the_file_after_the_key_when_no_name_is_given() {
        let input = json(r#"{"bucket_name": "bkt", "object_path": "dir/a.csv"}"#);
        assert_eq!(file_input(input, Vec::new()).unwrap().file_name, "a.csv");
    }

    #[test]
    fn a_file_url_is_refused_by_name() {
        let input = json(r#"{"bucket_name": "bkt", "file": {"url": "https://x/y"}}"#);
        match file_input(input, Vec::new()).map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, "file.url"),
            other => panic!("expected file.url refused, got {other:?}"),
        }
    }
}
