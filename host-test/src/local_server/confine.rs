//! Keeps every request of the local server inside its bucket's directory.
//!
//! s3s-fs maps an object to the file `ROOT/BUCKET/KEY`, resolving the key
//! as a path: `a/../../other-bucket/x` would write into another bucket, `a//b`
//! and `a/./b` would be the same file as `a/b`, and a symbolic link inside
//! `ROOT` would be followed out of it. [`Confine`] checks every request
//! before s3s-fs sees it (the key in the URL, the source of a copy, and
//! each key of a Delete Objects body), so that:
//! - a key is stored literally or refused: a key with an empty, `.` or
//!   `..` segment (`/a`, `a//b`, `a/./b`, `a/../b`) or a NUL byte answers
//!   400 `InvalidArgument`, and nothing is read or written. A trailing `/`
//!   is kept: it is how a folder marker (`photos/`) is written;
//! - no symbolic link is followed: when the bucket's directory, or any
//!   directory or file on the way to the object, is a link, the request
//!   answers 403 `AccessDenied` naming the key, whatever the link points at;
//! - an unsigned request is refused (403 `AccessDenied`), as s3s does
//!   without an access policy.
//!
//! Links are checked when the request arrives: a local user who can write
//! into `ROOT` can still swap a directory for a link between that check and
//! s3s-fs's open. The server trusts whoever can write into its directory;
//! it protects what lies outside it from requests.

use std::path::{Path, PathBuf};

use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::{CopyObjectInput, CopySource, DeleteObjectsInput, UploadPartCopyInput};
use s3s::path::S3Path;
use s3s::{s3_error, S3Error, S3Request, S3Result};

/// The access policy of the local server: signed requests only, each kept
/// inside its bucket's directory under `root` (see the module docs).
#[derive(Debug, Clone)]
pub struct Confine {
    root: PathBuf,
}

impl Confine {
    /// Confines requests to the buckets under `root` (an absolute,
    /// canonical directory).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }

    /// Checks a bucket-level request: the bucket's directory is no link.
    fn bucket(&self, bucket: &str) -> S3Result<()> {
        let path = self.root.join(bucket);
        if is_link(&path) {
            return Err(s3_error!(
                AccessDenied,
                "the bucket's directory is a symbolic link; the local server does not follow links"
            ));
        }
        Ok(())
    }

    /// Checks an object-level request: the key is literal and nothing on
    /// the way from the bucket's directory to the object is a link.
    fn object(&self, bucket: &str, key: &str) -> S3Result<()> {
        literal_key(key)?;
        self.bucket(bucket)?;
        let mut path = self.root.join(bucket);
        for segment in key.split('/').filter(|s| !s.is_empty()) {
            path.push(segment);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(S3Error::with_message(
                        s3s::S3ErrorCode::AccessDenied,
                        format!(
                            "the path of key `{key}` goes through a symbolic link; the local server does \
                             not follow links"
                        ),
                    ));
                }
                Ok(meta) if meta.is_dir() => {}
                // A file, or nothing: what lies below it does not exist.
                _ => break,
            }
        }
        Ok(())
    }
}

/// Whether `path` is a symbolic link (a missing path is not).
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Refuses a key that a file path cannot hold literally: an empty segment
/// (a leading `/`, `//`; a trailing `/` is a folder marker and kept), a
/// `.` or `..` segment, or a NUL byte.
pub fn literal_key(key: &str) -> S3Result<()> {
    let body = key.strip_suffix('/').unwrap_or(key);
    let bad_segment = body
        .split('/')
        .find(|segment| segment.is_empty() || *segment == "." || *segment == "..");
    let reason = if key.contains('\0') {
        Some("a NUL byte".to_owned())
    } else {
        bad_segment.map(|segment| match segment {
            "" => "an empty path segment (a leading `/` or `//`)".to_owned(),
            other => format!("a `{other}` path segment"),
        })
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(S3Error::with_message(
            s3s::S3ErrorCode::InvalidArgument,
            format!(
                "the local server keeps each object as a file under its bucket's directory and cannot \
                 store a key holding {reason} literally"
            ),
        )),
    }
}

#[async_trait::async_trait]
impl S3Access for Confine {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if cx.credentials().is_none() {
            return Err(s3_error!(AccessDenied, "Signature is required"));
        }
        match cx.s3_path() {
            S3Path::Root => Ok(()),
            S3Path::Bucket { bucket } => self.bucket(bucket),
            S3Path::Object { bucket, key } => self.object(bucket, key),
        }
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        copy_source(self, &req.input.copy_source)
    }

    async fn upload_part_copy(&self, req: &mut S3Request<UploadPartCopyInput>) -> S3Result<()> {
        copy_source(self, &req.input.copy_source)
    }

    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        let bucket = &req.input.bucket;
        for object in &req.input.delete.objects {
            self.object(bucket, &object.key)?;
        }
        Ok(())
    }
}

/// Checks the object a copy reads.
fn copy_source(confine: &Confine, source: &CopySource) -> S3Result<()> {
    match source {
        CopySource::Bucket { bucket, key, .. } => confine.object(bucket, key),
        _ => Err(s3_error!(
            NotImplemented,
            "the local server copies from buckets only"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn literal_keys_pass_and_path_like_ones_are_refused() {
        for key in [
            "a", "a/b", "photos/", "a b/c+d", "..a", "a..", ".hidden", "a/.b/c", "%2e%2e",
        ] {
            assert!(literal_key(key).is_ok(), "{key}");
        }
        for key in [
            "..", ".", "../x", "a/../b", "a/..", "a/./b", "./a", "/a", "a//b", "//", "/", "a/../", "a\0b",
        ] {
            let error = literal_key(key).unwrap_err();
            assert_eq!(error.code(), &s3s::S3ErrorCode::InvalidArgument, "{key}");
        }
    }

    #[test]
    fn a_link_on_the_way_to_an_object_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("bucket/real")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("bucket/out")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("linked")).unwrap();
        let confine = Confine::new(&root);
        assert!(confine.object("bucket", "real/x").is_ok());
        assert!(confine.object("bucket", "missing/deeper/x").is_ok());
        for (bucket, key) in [("bucket", "out"), ("bucket", "out/x"), ("linked", "x")] {
            let error = confine.object(bucket, key).unwrap_err();
            assert_eq!(error.code(), &s3s::S3ErrorCode::AccessDenied, "{bucket}/{key}");
        }
        assert!(confine.bucket("linked").is_err());
        assert!(confine.bucket("bucket").is_ok());
    }
}
