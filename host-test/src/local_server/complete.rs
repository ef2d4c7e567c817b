//! Complete Multipart Upload for the local server without reading the
//! parts again.
//!
//! s3s-fs completes an upload by reading every part back, hashing it and
//! copying it through user space into the object: a second pass over all
//! the data, where S3 completes in constant time. Here the parts' MD5s are
//! remembered as s3s-fs answers each UploadPart, the parts are joined into
//! the object by `std::io::copy` (the kernel's `copy_file_range` between
//! files), and the object's ETag and attributes are written where s3s-fs
//! keeps them, so that it serves the object as if it had completed it:
//!
//! - parts: `.upload_id-<id>.part-<n>` in the root;
//! - the upload marker: `.upload-<id>.json`;
//! - attributes: `.bucket-<b>.object-<k>[.upload-<id>].metadata.json`;
//! - the ETag: `{"e_tag": ...}` in `.bucket-<b>.object-<k>.internal.json`,
//!
//! bucket and key in unpadded URL-safe Base64. Anything out of the plain
//! case (a key with empty, `.` or `..` segments, a conditional write, a part
//! whose MD5 was not seen, say after a restart) goes through s3s-fs's own
//! completion instead, which stays the reference.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use s3s::dto::{CompleteMultipartUploadInput, ETag};
use s3s::{s3_error, S3Result};

/// S3's smallest part, but for the last.
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// The MD5 of each part uploaded while the server runs, by upload id and
/// part number, from s3s-fs's own answers.
#[derive(Debug, Default)]
pub struct PartDigests(Mutex<HashMap<(String, i32), String>>);

impl PartDigests {
    /// Remembers part `number` of `upload_id` (a part sent again replaces it).
    pub fn record(&self, upload_id: &str, number: i32, md5: &str) {
        self.lock().insert((upload_id.to_owned(), number), md5.to_owned());
    }

    /// Forgets an upload (completed or aborted).
    pub fn forget(&self, upload_id: &str) {
        self.lock().retain(|(id, _), _| id != upload_id);
    }

    fn get(&self, upload_id: &str, number: i32) -> Option<String> {
        self.lock().get(&(upload_id.to_owned(), number)).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i32), String>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The MD5 (hex) of part `number` of `upload_id`: remembered, or read from
/// its file under `root` (and then remembered); `None` when there is no
/// such part.
pub fn part_md5(root: &Path, digests: &PartDigests, upload_id: &str, number: i32) -> Option<String> {
    if let Some(md5) = digests.get(upload_id, number) {
        return Some(md5);
    }
    let plain_id = !upload_id.is_empty() && upload_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !plain_id {
        return None;
    }
    let mut file = std::fs::File::open(root.join(format!(".upload_id-{upload_id}.part-{number}"))).ok()?;
    let mut digest = Md5::new();
    std::io::copy(&mut file, &mut digest).ok()?;
    let md5 = hex(&digest.finalize());
    digests.record(upload_id, number, &md5);
    Some(md5)
}

/// Completes the upload `input` names under `root` and returns the
/// object's ETag (without quotes), or `None` when s3s-fs must complete it.
/// Blocking: call it off the async workers.
pub fn complete(
    root: &Path,
    digests: &PartDigests,
    input: &CompleteMultipartUploadInput,
) -> S3Result<Option<String>> {
    let (bucket, key, upload_id) = (&input.bucket, &input.key, &input.upload_id);
    let plain_key = key.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
    let plain_id = !upload_id.is_empty() && upload_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let conditional = input.if_match.is_some() || input.if_none_match.is_some();
    let bucket_dir = root.join(bucket);
    if !plain_key || !plain_id || conditional || !bucket_dir.is_dir() {
        return Ok(None);
    }
    let parts = match input.multipart_upload.as_ref().and_then(|m| m.parts.as_ref()) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Ok(None),
    };
    // Every part must be the one uploaded, in order, as S3 checks.
    let mut paths = Vec::with_capacity(parts.len());
    let mut joined = Md5::new();
    for (index, part) in parts.iter().enumerate() {
        let number = i32::try_from(index + 1).map_err(|_| s3_error!(InvalidPart))?;
        if part.part_number != Some(number) {
            return Ok(None);
        }
        let Some(md5) = part_md5(root, digests, upload_id, number) else {
            return Ok(None);
        };
        let given = match &part.e_tag {
            Some(ETag::Strong(value) | ETag::Weak(value)) => value.trim_matches('"'),
            // S3 requires it; s3s-fs does not, and decides.
            None => return Ok(None),
        };
        if !given.eq_ignore_ascii_case(&md5) {
            return Err(s3_error!(InvalidPart, "part {number}'s ETag is not the part's"));
        }
        let path = root.join(format!(".upload_id-{upload_id}.part-{number}"));
        let size = std::fs::metadata(&path)
            .map_err(|_| s3_error!(InvalidPart))?
            .len();
        if index + 1 < parts.len() && size < MIN_PART_SIZE {
            return Err(s3_error!(EntityTooSmall));
        }
        let raw = hex_bytes(&md5).ok_or_else(|| s3_error!(InternalError, "a recorded MD5 is not hex"))?;
        joined.update(raw);
        paths.push(path);
    }
    let e_tag = format!("{}-{}", hex(&joined.finalize()), parts.len());
    let internal = |e: std::io::Error| s3_error!(InternalError, "cannot complete the upload: {e}");

    // Join the parts beside the object, then move it into place.
    let object = bucket_dir.join(key);
    let temporary = root.join(format!(".tmp.complete-{upload_id}"));
    {
        let mut out = std::fs::File::create(&temporary).map_err(internal)?;
        for path in &paths {
            let mut part = std::fs::File::open(path).map_err(internal)?;
            std::io::copy(&mut part, &mut out).map_err(internal)?;
        }
    }
    if let Some(parent) = object.parent() {
        std::fs::create_dir_all(parent).map_err(internal)?;
    }
    std::fs::rename(&temporary, &object).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        internal(e)
    })?;

    let names = ObjectFiles::new(root, bucket, key);
    let upload_attributes = names.metadata(Some(upload_id));
    if upload_attributes.is_file() {
        std::fs::rename(&upload_attributes, names.metadata(None)).map_err(internal)?;
    }
    let mut info: serde_json::Map<String, serde_json::Value> = std::fs::read(names.internal())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    info.insert("e_tag".to_owned(), serde_json::Value::String(e_tag.clone()));
    let info = serde_json::to_vec(&info).map_err(|e| s3_error!(InternalError, "{e}"))?;
    std::fs::write(names.internal(), info).map_err(internal)?;

    let _ = std::fs::remove_file(root.join(format!(".upload-{upload_id}.json")));
    for path in &paths {
        let _ = std::fs::remove_file(path);
    }
    digests.forget(upload_id);
    Ok(Some(e_tag))
}

/// Where s3s-fs keeps an object's attributes and internal information.
struct ObjectFiles {
    prefix: PathBuf,
}

impl ObjectFiles {
    fn new(root: &Path, bucket: &str, key: &str) -> Self {
        let name = format!(
            ".bucket-{}.object-{}",
            URL_SAFE_NO_PAD.encode(bucket),
            URL_SAFE_NO_PAD.encode(key)
        );
        Self {
            prefix: root.join(name),
        }
    }

    fn metadata(&self, upload_id: Option<&str>) -> PathBuf {
        let upload = upload_id.map(|id| format!(".upload-{id}")).unwrap_or_default();
        self.with_suffix(&format!("{upload}.metadata.json"))
    }

    fn internal(&self) -> PathBuf {
        self.with_suffix(".internal.json")
    }

    fn with_suffix(&self, suffix: &str) -> PathBuf {
        let mut name = self.prefix.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use s3s::dto::{CompletedMultipartUpload, CompletedPart};

    fn input(parts: &[(i32, &str)]) -> CompleteMultipartUploadInput {
        CompleteMultipartUploadInput {
            bucket: "b".to_owned(),
            key: "dir/k".to_owned(),
            upload_id: "u-1".to_owned(),
            multipart_upload: Some(CompletedMultipartUpload {
                parts: Some(
                    parts
                        .iter()
                        .map(|(number, etag)| CompletedPart {
                            part_number: Some(*number),
                            e_tag: Some(ETag::Strong((*etag).to_owned())),
                            ..CompletedPart::default()
                        })
                        .collect(),
                ),
            }),
            ..CompleteMultipartUploadInput::default()
        }
    }

    #[test]
    fn parts_are_joined_in_place_with_s3s_fs_etag_and_attributes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("b")).unwrap();
        let first = vec![1u8; MIN_PART_SIZE as usize];
        std::fs::write(root.join(".upload_id-u-1.part-1"), &first).unwrap();
        std::fs::write(root.join(".upload_id-u-1.part-2"), b"tail").unwrap();
        std::fs::write(root.join(".upload-u-1.json"), b"null").unwrap();
        let files = ObjectFiles::new(root, "b", "dir/k");
        std::fs::write(files.metadata(Some("u-1")), b"{\"content_type\":\"x/y\"}").unwrap();
        let digests = PartDigests::default();
        let md5_1 = part_md5(root, &digests, "u-1", 1).unwrap();
        let md5_2 = part_md5(root, &digests, "u-1", 2).unwrap();
        let e_tag = complete(root, &digests, &input(&[(1, &md5_1), (2, &md5_2)]))
            .unwrap()
            .unwrap();
        let mut joined = Md5::new();
        joined.update(hex_bytes(&md5_1).unwrap());
        joined.update(hex_bytes(&md5_2).unwrap());
        assert_eq!(e_tag, format!("{}-2", hex(&joined.finalize())));
        let mut expected = first;
        expected.extend_from_slice(b"tail");
        assert!(std::fs::read(root.join("b/dir/k")).unwrap() == expected);
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(files.internal()).unwrap()).unwrap();
        assert_eq!(info["e_tag"], e_tag.as_str());
        assert!(files.metadata(None).is_file());
        assert!(!root.join(".upload-u-1.json").exists());
        assert!(!root.join(".upload_id-u-1.part-1").exists());
    }

    #[test]
    fn a_wrong_etag_or_a_small_part_is_refused_and_odd_cases_go_to_s3s_fs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("b")).unwrap();
        std::fs::write(root.join(".upload_id-u-1.part-1"), b"small").unwrap();
        std::fs::write(root.join(".upload_id-u-1.part-2"), b"tail").unwrap();
        let digests = PartDigests::default();
        let md5_1 = part_md5(root, &digests, "u-1", 1).unwrap();
        let md5_2 = part_md5(root, &digests, "u-1", 2).unwrap();
        assert!(complete(root, &digests, &input(&[(1, "0123"), (2, &md5_2)])).is_err());
        assert!(complete(root, &digests, &input(&[(1, &md5_1), (2, &md5_2)])).is_err());
        let mut dotted = input(&[(1, &md5_1)]);
        dotted.key = "a/../b".to_owned();
        assert_eq!(complete(root, &digests, &dotted).unwrap(), None);
        assert_eq!(complete(root, &digests, &input(&[(2, &md5_2)])).unwrap(), None);
    }
}
