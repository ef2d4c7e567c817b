//! List Multipart Uploads for the local server, which s3s-fs does not
//! implement (it answers 501): the uploads in progress are read from the
//! files s3s-fs keeps for them in its root, so that the listing survives a
//! restart of the server, as the uploads themselves do.
//!
//! s3s-fs marks an upload in progress with `.upload-<id>.json` and keeps
//! the object's attributes for it in
//! `.bucket-<bucket>.object-<key>.upload-<id>.metadata.json`, bucket and
//! key in unpadded URL-safe Base64. Both go when the upload is completed or
//! aborted.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use s3s::dto::{ListMultipartUploadsInput, ListMultipartUploadsOutput, MultipartUpload, Timestamp};
use s3s::{s3_error, S3Result};

/// The most uploads in one page, as S3's default `max-uploads`.
const MAX_UPLOADS: usize = 1000;

/// One upload in progress.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Upload {
    key: String,
    upload_id: String,
    initiated: Option<std::time::SystemTime>,
}

/// The uploads of `input.bucket` in progress under `root`, in key then
/// upload id order, one page of at most `max-uploads` (1000).
pub fn list(root: &Path, input: &ListMultipartUploadsInput) -> S3Result<ListMultipartUploadsOutput> {
    if !root.join(&input.bucket).is_dir() {
        return Err(s3_error!(NoSuchBucket));
    }
    let prefix = format!(".bucket-{}.object-", URL_SAFE_NO_PAD.encode(&input.bucket));
    let entries =
        std::fs::read_dir(root).map_err(|e| s3_error!(InternalError, "cannot read the root: {e}"))?;
    let mut uploads = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(upload) = parse_name(name, &prefix) else {
            continue;
        };
        // Only uploads still marked in progress.
        if !root.join(format!(".upload-{}.json", upload.upload_id)).is_file() {
            continue;
        }
        let initiated = entry.metadata().and_then(|m| m.modified()).ok();
        uploads.push(Upload { initiated, ..upload });
    }
    uploads.retain(|u| input.prefix.as_deref().is_none_or(|p| u.key.starts_with(p)));
    uploads.sort();
    if let Some(marker) = &input.key_marker {
        let id_marker = input.upload_id_marker.as_deref().unwrap_or("");
        uploads.retain(|u| {
            u.key > *marker || (u.key == *marker && !id_marker.is_empty() && u.upload_id.as_str() > id_marker)
        });
    }
    let max = input
        .max_uploads
        .map_or(MAX_UPLOADS, |m| usize::try_from(m).unwrap_or(0).min(MAX_UPLOADS));
    let truncated = uploads.len() > max;
    uploads.truncate(max);
    let last = uploads.last().map(|u| (u.key.clone(), u.upload_id.clone()));
    Ok(ListMultipartUploadsOutput {
        bucket: Some(input.bucket.clone()),
        prefix: input.prefix.clone(),
        key_marker: input.key_marker.clone(),
        upload_id_marker: input.upload_id_marker.clone(),
        max_uploads: i32::try_from(max).ok(),
        is_truncated: Some(truncated),
        next_key_marker: truncated.then(|| last.as_ref().map(|l| l.0.clone())).flatten(),
        next_upload_id_marker: truncated.then(|| last.as_ref().map(|l| l.1.clone())).flatten(),
        uploads: Some(
            uploads
                .into_iter()
                .map(|u| MultipartUpload {
                    key: Some(u.key),
                    upload_id: Some(u.upload_id),
                    initiated: u.initiated.map(Timestamp::from),
                    ..MultipartUpload::default()
                })
                .collect(),
        ),
        ..ListMultipartUploadsOutput::default()
    })
}

/// The key and upload id in `.bucket-B.object-K.upload-ID.metadata.json`,
/// where `prefix` is `.bucket-B.object-`.
fn parse_name(name: &str, prefix: &str) -> Option<Upload> {
    let rest = name.strip_prefix(prefix)?.strip_suffix(".metadata.json")?;
    let (key, upload_id) = rest.split_once(".upload-")?;
    let key = String::from_utf8(URL_SAFE_NO_PAD.decode(key).ok()?).ok()?;
    Some(Upload {
        key,
        upload_id: upload_id.to_owned(),
        initiated: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(bucket: &str, prefix: Option<&str>) -> ListMultipartUploadsInput {
        ListMultipartUploadsInput {
            bucket: bucket.to_owned(),
            prefix: prefix.map(str::to_owned),
            ..ListMultipartUploadsInput::default()
        }
    }

    fn touch(root: &Path, name: &str) {
        std::fs::write(root.join(name), b"{}").unwrap();
    }

    fn object_name(bucket: &str, key: &str, id: &str) -> String {
        format!(
            ".bucket-{}.object-{}.upload-{id}.metadata.json",
            URL_SAFE_NO_PAD.encode(bucket),
            URL_SAFE_NO_PAD.encode(key)
        )
    }

    #[test]
    fn uploads_in_progress_are_listed_by_key_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("b1")).unwrap();
        for (bucket, key, id) in [
            ("b1", "z/two", "u2"),
            ("b1", "a/one", "u1"),
            ("b2", "a/other", "u3"),
        ] {
            touch(root, &object_name(bucket, key, id));
            touch(root, &format!(".upload-{id}.json"));
        }
        // Attributes left behind by a finished upload are not listed.
        touch(root, &object_name("b1", "a/done", "u4"));
        let all = list(root, &input("b1", None)).unwrap();
        let keys: Vec<_> = all.uploads.unwrap().into_iter().map(|u| u.key.unwrap()).collect();
        assert_eq!(keys, ["a/one", "z/two"]);
        let some = list(root, &input("b1", Some("z/"))).unwrap();
        assert_eq!(some.uploads.unwrap().len(), 1);
        assert_eq!(some.is_truncated, Some(false));
        assert!(list(root, &input("nope", None)).is_err());
    }
}
