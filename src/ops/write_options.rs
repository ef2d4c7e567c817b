//! Options every write takes (puts, and the copies): how the new object is
//! stored (storage class, server-side encryption, tags) and when it may be
//! written at all (conditional writes).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>:
//! `If-None-Match: *` writes only when no object has the key, `If-Match:
//! ETAG` only when the object still has that ETag; S3 answers 412
//! `PreconditionFailed` otherwise (the typed service error
//! `precondition-failed`). A multipart upload takes the conditions on its
//! completion, and the storage options on its creation.

use crate::encode::Encode;

use crate::decode::Decode;

use crate::error::Error;
use crate::validate;

/// S3's storage classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StorageClass {
    /// `STANDARD`
    Standard,
    /// `REDUCED_REDUNDANCY`
    ReducedRedundancy,
    /// `STANDARD_IA`
    StandardIa,
    /// `ONEZONE_IA`
    OnezoneIa,
    /// `INTELLIGENT_TIERING`
    IntelligentTiering,
    /// `GLACIER`
    Glacier,
    /// `DEEP_ARCHIVE`
    DeepArchive,
    /// `GLACIER_IR`
    GlacierIr,
}

impl StorageClass {
    /// The `x-amz-storage-class` value.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::Standard => "STANDARD",
            StorageClass::ReducedRedundancy => "REDUCED_REDUNDANCY",
            StorageClass::StandardIa => "STANDARD_IA",
            StorageClass::OnezoneIa => "ONEZONE_IA",
            StorageClass::IntelligentTiering => "INTELLIGENT_TIERING",
            StorageClass::Glacier => "GLACIER",
            StorageClass::DeepArchive => "DEEP_ARCHIVE",
            StorageClass::GlacierIr => "GLACIER_IR",
        }
    }
}

/// Server-side encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Decode, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Sse {
    /// SSE-S3: keys S3 manages.
    #[serde(rename = "AES256")]
    Aes256,
    /// SSE-KMS: a KMS key (`sse_kms_key_id`, else the account's default).
    #[serde(rename = "aws:kms")]
    AwsKms,
}

impl Sse {
    /// The `x-amz-server-side-encryption` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Sse::Aes256 => "AES256",
            Sse::AwsKms => "aws:kms",
        }
    }
}

/// The options of a write, as its input gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Storage class (S3's default: `STANDARD`).
    pub storage_class: Option<StorageClass>,
    /// Server-side encryption.
    pub sse: Option<Sse>,
    /// The KMS key of `aws:kms` encryption.
    pub sse_kms_key_id: Option<String>,
    /// Tags, in order.
    pub tags: Vec<(String, String)>,
    /// `*`: write only if no object has the key.
    pub if_none_match: Option<String>,
    /// Write only if the object's ETag is this one.
    pub if_match: Option<String>,
}

impl WriteOptions {
    /// Checks the options, naming the field at fault.
    pub fn validate(&self) -> Result<(), Error> {
        if self.sse_kms_key_id.is_some() && self.sse != Some(Sse::AwsKms) {
            return Err(Error::invalid_input(
                "sse_kms_key_id",
                "needs `sse` to be `aws:kms`: a KMS key encrypts only with SSE-KMS",
            ));
        }
        if let Some(key) = &self.sse_kms_key_id {
            validate::header_text("sse_kms_key_id", key)?;
        }
        validate::tags(&self.tags)?;
        match self.if_none_match.as_deref() {
            None | Some("*") => {}
            Some(other) => {
                return Err(Error::invalid_input(
                    "if_none_match",
                    format!("is `{other}`; S3 takes only `*` (write only if no object has the key)"),
                ))
            }
        }
        if self.if_none_match.is_some() && self.if_match.is_some() {
            return Err(Error::invalid_input(
                "if_match",
                "cannot be given with `if_none_match`: one asks for the object to exist, the other for it not to",
            ));
        }
        if let Some(etag) = &self.if_match {
            if etag.trim_matches('"').is_empty() {
                return Err(Error::invalid_input(
                    "if_match",
                    "is empty; give the object's ETag",
                ));
            }
            validate::header_text("if_match", etag)?;
        }
        Ok(())
    }

    /// The headers that describe how the object is stored: for a PUT, a
    /// copy, or the creation of a multipart upload.
    pub fn storage_headers(&self) -> Vec<(String, String)> {
        let mut headers = Vec::new();
        if let Some(class) = self.storage_class {
            headers.push(("x-amz-storage-class".to_owned(), class.as_str().to_owned()));
        }
        if let Some(sse) = self.sse {
            headers.push(("x-amz-server-side-encryption".to_owned(), sse.as_str().to_owned()));
        }
        if let Some(key) = &self.sse_kms_key_id {
            headers.push((
                "x-amz-server-side-encryption-aws-kms-key-id".to_owned(),
                key.clone(),
            ));
        }
        if !self.tags.is_empty() {
            headers.push(("x-amz-tagging".to_owned(), tagging_header(&self.tags)));
        }
        headers
    }

    /// The conditions: for a PUT, or the completion of a multipart upload.
    pub fn condition_headers(&self) -> Vec<(String, String)> {
        let mut headers = Vec::new();
        if let Some(value) = &self.if_none_match {
            headers.push(("if-none-match".to_owned(), value.clone()));
        }
        if let Some(etag) = &self.if_match {
            headers.push(("if-match".to_owned(), quoted(etag)));
        }
        headers
    }

    /// Whether the write is conditional.
    pub fn is_conditional(&self) -> bool {
        self.if_none_match.is_some() || self.if_match.is_some()
    }

    /// The IAM permissions the options add to `s3:PutObject`.
    pub fn extra_permission(request_headers: &[(String, String)]) -> Option<&'static str> {
        request_headers
            .iter()
            .any(|(name, _)| name == "x-amz-tagging")
            .then_some("s3:PutObjectTagging")
    }
}

/// Declares the JSON input of a put: the fields written in it, then the
/// write options every put takes (declared here once), and
/// `write_options()` to read them as a [`WriteOptions`]. The fields are
/// flat in the JSON, as the other inputs' (serde's `flatten` would not
/// refuse unknown fields).
macro_rules! put_input {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($fields)*
            /// Storage class (S3's default: `STANDARD`).
            #[serde(default)]
            pub storage_class: Option<$crate::ops::write_options::StorageClass>,
            /// Server-side encryption: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS).
            #[serde(default)]
            pub sse: Option<$crate::ops::write_options::Sse>,
            /// The KMS key of `aws:kms` encryption (default: the account's).
            #[serde(default)]
            pub sse_kms_key_id: Option<String>,
            /// Tags (at most 10), in order.
            #[serde(default, with = "crate::model::pairs_as_object")]
            #[cfg_attr(feature = "schema", schemars(with = "std::collections::BTreeMap<String, String>"))]
            pub tags: Vec<(String, String)>,
            /// `*`: write only if no object has the key (else `precondition-failed`).
            #[serde(default)]
            pub if_none_match: Option<String>,
            /// Write only if the object's ETag is this one (else `precondition-failed`).
            #[serde(default)]
            pub if_match: Option<String>,
        }

        impl $name {
            /// The write's options.
            pub fn write_options(&self) -> $crate::ops::write_options::WriteOptions {
                $crate::ops::write_options::WriteOptions {
                    storage_class: self.storage_class,
                    sse: self.sse,
                    sse_kms_key_id: self.sse_kms_key_id.clone(),
                    tags: self.tags.clone(),
                    if_none_match: self.if_none_match.clone(),
                    if_match: self.if_match.clone(),
                }
            }
        }
    };
}
pub(crate) use put_input;

/// An ETag in quotes, as S3 compares them (given with or without).
pub(crate) fn quoted(etag: &str) -> String {
    format!("\"{}\"", etag.trim().trim_matches('"'))
}

/// The `x-amz-tagging` value: `key=value` pairs joined by `&`, each part
/// form-encoded, as S3 reads a URL query.
pub fn tagging_header(tags: &[(String, String)]) -> String {
    let mut out = String::new();
    for (index, (key, value)) in tags.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(&crate::sigv4::encoding::encode_query_component(key));
        out.push('=');
        out.push_str(&crate::sigv4::encoding::encode_query_component(value));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn field_of(result: Result<(), Error>) -> String {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_kms_key_needs_kms_encryption() {
        let options = WriteOptions {
            sse_kms_key_id: Some("alias/k".into()),
            ..WriteOptions::default()
        };
        assert_eq!(field_of(options.validate()), "sse_kms_key_id");
        let options = WriteOptions {
            sse: Some(Sse::AwsKms),
            ..options
        };
        assert!(options.validate().is_ok());
        assert_eq!(
            options.storage_headers(),
            [
                ("x-amz-server-side-encryption".to_owned(), "aws:kms".to_owned()),
                (
                    "x-amz-server-side-encryption-aws-kms-key-id".to_owned(),
                    "alias/k".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn if_none_match_takes_only_a_star() {
        let options = WriteOptions {
            if_none_match: Some("\"abc\"".into()),
            ..WriteOptions::default()
        };
        assert_eq!(field_of(options.validate()), "if_none_match");
    }

    #[test]
    fn both_conditions_at_once_are_refused() {
        let options = WriteOptions {
            if_none_match: Some("*".into()),
            if_match: Some("abc".into()),
            ..WriteOptions::default()
        };
        assert_eq!(field_of(options.validate()), "if_match");
    }

    #[test]
    fn if_match_is_sent_quoted_either_way() {
        for etag in ["abc", "\"abc\""] {
            let options = WriteOptions {
                if_match: Some(etag.into()),
                ..WriteOptions::default()
            };
            assert_eq!(
                options.condition_headers(),
                [("if-match".to_owned(), "\"abc\"".to_owned())]
            );
        }
    }

    #[test]
    fn tags_are_form_encoded_in_order() {
        let tags = vec![
            ("team".to_owned(), "data eng".to_owned()),
            ("a&b".to_owned(), "x=y/z".to_owned()),
        ];
        assert_eq!(tagging_header(&tags), "team=data%20eng&a%26b=x%3Dy%2Fz");
    }
}
