//! Canned object ACLs for the local server, kept in memory.
//!
//! s3s-fs has no ACLs: its `S3` implementation leaves Put Object ACL and Get
//! Object ACL to the trait's default bodies, which answer 501
//! `NotImplemented`. [`AclFileSystem`] wraps it: it forwards every operation
//! s3s-fs implements and answers the two ACL operations itself from an
//! [`AclTable`]. (The two listings it answers with s3s-fs's answers but
//! faster, from `listing.rs`.)
//!
//! What is kept, and how S3 is followed:
//! - Canned ACLs only (the `x-amz-acl` header): grant headers or an
//!   `AccessControlPolicy` body answer 501 `NotImplemented`, a request with
//!   neither answers 400 `MissingSecurityHeader`, and an unknown canned ACL
//!   answers 400 `InvalidArgument`.
//! - Writing an object (Put Object, Copy Object, Complete Multipart Upload)
//!   gives it the canned ACL sent with the write, or none (which reads as
//!   `private`), as S3 does for a new object; deleting it forgets its ACL.
//! - s3s-fs keeps one version of each object, the `null` version: an ACL
//!   request for any other `versionId` answers 404 `NoSuchVersion`.
//! - Every object has the same owner, derived from the one access key the
//!   server accepts, so the bucket owner is the object owner.
//! - Delete Bucket answers 409 `BucketNotEmpty` for a bucket that holds an
//!   object, as S3 does (s3s-fs would delete it with its objects).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use s3s::dto::{
    AbortMultipartUploadInput, AbortMultipartUploadOutput, CompleteMultipartUploadInput,
    CompleteMultipartUploadOutput, CopyObjectInput, CopyObjectOutput, CreateBucketInput, CreateBucketOutput,
    CreateMultipartUploadInput, CreateMultipartUploadOutput, DeleteBucketInput, DeleteBucketOutput,
    DeleteObjectInput, DeleteObjectOutput, DeleteObjectsInput, DeleteObjectsOutput, ETag, ETagCondition,
    GetBucketLocationInput, GetBucketLocationOutput, GetObjectAclInput, GetObjectAclOutput, GetObjectInput,
    GetObjectOutput, Grant, Grantee, HeadBucketInput, HeadBucketOutput, HeadObjectInput, HeadObjectOutput,
    ListBucketsInput, ListBucketsOutput, ListMultipartUploadsInput, ListMultipartUploadsOutput,
    ListObjectsInput, ListObjectsOutput, ListObjectsV2Input, ListObjectsV2Output, ListPartsInput,
    ListPartsOutput, ObjectCannedACL, Owner, Permission, PutObjectAclInput, PutObjectAclOutput,
    PutObjectInput, PutObjectOutput, Type, UploadPartCopyInput, UploadPartCopyOutput, UploadPartInput,
    UploadPartOutput,
};
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};
use sha2::{Digest, Sha256};

/// The group every anonymous and signed request belongs to.
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

/// The group every request signed by some AWS account belongs to.
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// One of S3's canned ACLs.
///
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAcl {
    /// Owner gets `FULL_CONTROL`; nobody else has access. The default.
    Private,
    /// Owner gets `FULL_CONTROL`; the `AllUsers` group gets `READ`.
    PublicRead,
    /// Owner gets `FULL_CONTROL`; the `AllUsers` group gets `READ` and `WRITE`.
    PublicReadWrite,
    /// Owner gets `FULL_CONTROL`; the `AuthenticatedUsers` group gets `READ`.
    AuthenticatedRead,
    /// Owner gets `FULL_CONTROL`; EC2 gets `READ` to fetch AMI bundles.
    AwsExecRead,
    /// Object owner gets `FULL_CONTROL`; the bucket owner gets `READ`.
    BucketOwnerRead,
    /// Object owner and bucket owner both get `FULL_CONTROL`.
    BucketOwnerFullControl,
}

impl CannedAcl {
    /// Every canned ACL.
    #[cfg(test)]
    pub const ALL: [Self; 7] = [
        Self::Private,
        Self::PublicRead,
        Self::PublicReadWrite,
        Self::AuthenticatedRead,
        Self::AwsExecRead,
        Self::BucketOwnerRead,
        Self::BucketOwnerFullControl,
    ];

    /// The name S3 gives it, as in `x-amz-acl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => ObjectCannedACL::PRIVATE,
            Self::PublicRead => ObjectCannedACL::PUBLIC_READ,
            Self::PublicReadWrite => ObjectCannedACL::PUBLIC_READ_WRITE,
            Self::AuthenticatedRead => ObjectCannedACL::AUTHENTICATED_READ,
            Self::AwsExecRead => ObjectCannedACL::AWS_EXEC_READ,
            Self::BucketOwnerRead => ObjectCannedACL::BUCKET_OWNER_READ,
            Self::BucketOwnerFullControl => ObjectCannedACL::BUCKET_OWNER_FULL_CONTROL,
        }
    }

    /// The canned ACL named `name`, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            ObjectCannedACL::PRIVATE => Self::Private,
            ObjectCannedACL::PUBLIC_READ => Self::PublicRead,
            ObjectCannedACL::PUBLIC_READ_WRITE => Self::PublicReadWrite,
            ObjectCannedACL::AUTHENTICATED_READ => Self::AuthenticatedRead,
            ObjectCannedACL::AWS_EXEC_READ => Self::AwsExecRead,
            ObjectCannedACL::BUCKET_OWNER_READ => Self::BucketOwnerRead,
            ObjectCannedACL::BUCKET_OWNER_FULL_CONTROL => Self::BucketOwnerFullControl,
            _ => return None,
        })
    }

    /// The `x-amz-acl` header of a request, checked: s3s takes any string.
    fn from_header(header: Option<&ObjectCannedACL>) -> S3Result<Option<Self>> {
        let Some(header) = header else {
            return Ok(None);
        };
        match Self::from_name(header.as_str()) {
            Some(acl) => Ok(Some(acl)),
            None => Err(s3_error!(
                InvalidArgument,
                "`{}` is not a canned ACL",
                header.as_str()
            )),
        }
    }

    /// The grants S3 lists for this canned ACL on an object of `owner`,
    /// owner first. The bucket owner is `owner` too (one account).
    ///
    /// For `aws-exec-read` only the owner's grant is listed: EC2's canonical
    /// user id is not published.
    pub fn grants(self, owner: &Owner) -> Vec<Grant> {
        let mut grants = vec![owner_grant(owner, Permission::FULL_CONTROL)];
        match self {
            Self::Private | Self::AwsExecRead => {}
            Self::PublicRead => grants.push(group_grant(ALL_USERS, Permission::READ)),
            Self::PublicReadWrite => {
                grants.push(group_grant(ALL_USERS, Permission::READ));
                grants.push(group_grant(ALL_USERS, Permission::WRITE));
            }
            Self::AuthenticatedRead => {
                grants.push(group_grant(AUTHENTICATED_USERS, Permission::READ));
            }
            Self::BucketOwnerRead => grants.push(owner_grant(owner, Permission::READ)),
            Self::BucketOwnerFullControl => {
                grants.push(owner_grant(owner, Permission::FULL_CONTROL));
            }
        }
        grants
    }
}

fn owner_grant(owner: &Owner, permission: &'static str) -> Grant {
    Grant {
        grantee: Some(Grantee {
            display_name: owner.display_name.clone(),
            email_address: None,
            id: owner.id.clone(),
            type_: Type::from_static(Type::CANONICAL_USER),
            uri: None,
        }),
        permission: Some(Permission::from_static(permission)),
    }
}

fn group_grant(uri: &'static str, permission: &'static str) -> Grant {
    Grant {
        grantee: Some(Grantee {
            display_name: None,
            email_address: None,
            id: None,
            type_: Type::from_static(Type::GROUP),
            uri: Some(uri.to_owned()),
        }),
        permission: Some(Permission::from_static(permission)),
    }
}

/// The owner of everything on a server that accepts `access_key`: a
/// canonical user id (64 hex digits, like S3's) derived from the key.
pub fn owner_of(access_key: &str) -> Owner {
    let digest = Sha256::digest(access_key.as_bytes());
    let id = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    Owner {
        display_name: Some("local".to_owned()),
        id: Some(id),
    }
}

/// The canned ACLs set so far, shared by the server and whoever started it.
#[derive(Debug, Default)]
pub struct AclTable {
    state: Mutex<AclState>,
}

#[derive(Debug, Default)]
struct AclState {
    /// By (bucket, key). No entry: `private`.
    objects: HashMap<(String, String), CannedAcl>,
    /// The canned ACL given when a multipart upload started, by upload id:
    /// the object gets it when the upload completes.
    uploads: HashMap<String, CannedAcl>,
}

impl AclTable {
    /// The canned ACL set on an object; `None` when none was set since it
    /// was last written, which S3 reads as `private`.
    pub fn get(&self, bucket: &str, key: &str) -> Option<CannedAcl> {
        self.state()
            .objects
            .get(&(bucket.to_owned(), key.to_owned()))
            .copied()
    }

    fn state(&self) -> MutexGuard<'_, AclState> {
        // The maps stay consistent whatever a panicking holder was doing:
        // each change is one insert or remove.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the ACL an object was written with (`None`: the default).
    fn written(&self, bucket: &str, key: &str, acl: Option<CannedAcl>) {
        let id = (bucket.to_owned(), key.to_owned());
        let mut state = self.state();
        match acl {
            Some(acl) => state.objects.insert(id, acl),
            None => state.objects.remove(&id),
        };
    }

    fn forget_bucket(&self, bucket: &str) {
        self.state().objects.retain(|(b, _), _| b != bucket);
    }
}

/// s3s-fs with canned object ACLs kept in an [`AclTable`].
pub struct AclFileSystem {
    inner: s3s_fs::FileSystem,
    acls: Arc<AclTable>,
    owner: Owner,
    root: PathBuf,
    parts: Arc<super::complete::PartDigests>,
}

impl AclFileSystem {
    /// Wraps `inner`, serving `root`; every object is owned by `owner` (see
    /// [`owner_of`]).
    pub fn new(inner: s3s_fs::FileSystem, owner: Owner, root: &Path) -> Self {
        Self {
            inner,
            acls: Arc::default(),
            owner,
            root: root.to_path_buf(),
            parts: Arc::default(),
        }
    }

    /// The table of ACLs, to read them from outside the server.
    pub fn acls(&self) -> Arc<AclTable> {
        Arc::clone(&self.acls)
    }

    /// Answers `NoSuchUpload`, as S3 does, unless `upload_id` names an
    /// upload in progress (s3s-fs answers `AccessDenied`). Only an id made
    /// of letters, digits and `-` is looked up: it becomes a file name.
    fn check_upload(&self, upload_id: &str) -> S3Result<()> {
        let plain =
            !upload_id.is_empty() && upload_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if plain && self.root.join(format!(".upload-{upload_id}.json")).is_file() {
            return Ok(());
        }
        Err(s3_error!(
            NoSuchUpload,
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
        ))
    }

    /// Answers `NoSuchKey` (or `NoSuchBucket`) unless the object exists.
    async fn check_exists<T>(&self, req: S3Request<T>, bucket: &str, key: &str) -> S3Result<()> {
        let head = req.map_input(|_| HeadObjectInput {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            ..HeadObjectInput::default()
        });
        self.inner.head_object(head).await.map(|_| ())
    }
}

/// Whether the directory of a bucket holds an object: a file anywhere
/// under it (s3s-fs leaves the directories of deleted keys' prefixes
/// behind, empty). A missing directory holds none.
fn holds_objects(dir: &Path) -> std::io::Result<bool> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                pending.push(entry.path());
            } else {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// s3s-fs keeps only the `null` version of an object.
fn check_version(version_id: Option<&str>) -> S3Result<()> {
    match version_id {
        None | Some("null") => Ok(()),
        Some(other) => Err(s3_error!(
            NoSuchVersion,
            "the local server keeps only the null version, not `{other}`"
        )),
    }
}

// Every operation s3s-fs 0.14.1 implements (its `impl S3 for FileSystem`)
// is forwarded here, or answered as s3s-fs would (the listings): an
// operation left out would fall back on the trait's default body and answer
// 501 NotImplemented. Those that write or remove objects also keep the ACL
// table in step.
#[async_trait::async_trait]
impl S3 for AclFileSystem {
    async fn put_object_acl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        let input = &req.input;
        let acl = match CannedAcl::from_header(input.acl.as_ref())? {
            Some(acl) => acl,
            None => {
                let grants = [
                    &input.grant_full_control,
                    &input.grant_read,
                    &input.grant_read_acp,
                    &input.grant_write,
                    &input.grant_write_acp,
                ];
                if input.access_control_policy.is_some() || grants.iter().any(|g| g.is_some()) {
                    return Err(s3_error!(
                        NotImplemented,
                        "the local server keeps canned ACLs only (x-amz-acl)"
                    ));
                }
                return Err(s3_error!(
                    MissingSecurityHeader,
                    "Put Object ACL needs an x-amz-acl header"
                ));
            }
        };
        check_version(input.version_id.as_deref())?;
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        self.check_exists(req, &bucket, &key).await?;
        self.acls.written(&bucket, &key, Some(acl));
        Ok(S3Response::new(PutObjectAclOutput::default()))
    }

    async fn get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        check_version(req.input.version_id.as_deref())?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.check_exists(req, &bucket, &key).await?;
        let acl = self.acls.get(&bucket, &key).unwrap_or(CannedAcl::Private);
        Ok(S3Response::new(GetObjectAclOutput {
            grants: Some(acl.grants(&self.owner)),
            owner: Some(self.owner.clone()),
            request_charged: None,
        }))
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        // Checked before the write, so that a refused ACL writes nothing.
        let acl = CannedAcl::from_header(req.input.acl.as_ref())?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let response = self.inner.put_object(req).await?;
        self.acls.written(&bucket, &key, acl);
        Ok(response)
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let acl = CannedAcl::from_header(req.input.acl.as_ref())?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let response = self.inner.copy_object(req).await?;
        self.acls.written(&bucket, &key, acl);
        Ok(response)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let response = self.inner.delete_object(req).await?;
        self.acls.written(&bucket, &key, None);
        Ok(response)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        let response = self.inner.delete_objects(req).await?;
        for deleted in response.output.deleted.iter().flatten() {
            if let Some(key) = &deleted.key {
                self.acls.written(&bucket, key, None);
            }
        }
        Ok(response)
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let bucket = req.input.bucket.clone();
        // s3s-fs removes the bucket's directory and all in it; S3 deletes
        // only an empty bucket.
        let dir = self.root.join(&bucket);
        let holds = tokio::task::spawn_blocking(move || holds_objects(&dir))
            .await
            .map_err(|e| s3_error!(InternalError, "the emptiness check stopped: {e}"))?
            .map_err(|e| s3_error!(InternalError, "the bucket's directory cannot be read: {e}"))?;
        if holds {
            return Err(s3_error!(
                BucketNotEmpty,
                "The bucket you tried to delete is not empty"
            ));
        }
        let response = self.inner.delete_bucket(req).await?;
        self.acls.forget_bucket(&bucket);
        Ok(response)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let acl = CannedAcl::from_header(req.input.acl.as_ref())?;
        // s3s-fs starts an upload in any bucket, even one that is not there.
        if !self.root.join(&req.input.bucket).is_dir() {
            return Err(s3_error!(NoSuchBucket));
        }
        let response = self.inner.create_multipart_upload(req).await?;
        if let (Some(acl), Some(upload_id)) = (acl, &response.output.upload_id) {
            self.acls.state().uploads.insert(upload_id.clone(), acl);
        }
        Ok(response)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = &req.input;
        let (bucket, key, upload_id) = (input.bucket.clone(), input.key.clone(), input.upload_id.clone());
        self.check_upload(&upload_id)?;
        // Joining the parts is blocking file work: off the async workers.
        let (root, parts, fast_input) = (self.root.clone(), Arc::clone(&self.parts), req.input.clone());
        let fast = tokio::task::spawn_blocking(move || super::complete::complete(&root, &parts, &fast_input))
            .await
            .map_err(|e| s3_error!(InternalError, "the completion stopped: {e}"))??;
        let response = match fast {
            Some(e_tag) => S3Response::new(CompleteMultipartUploadOutput {
                bucket: Some(bucket.clone()),
                key: Some(key.clone()),
                e_tag: Some(ETag::Strong(e_tag)),
                ..CompleteMultipartUploadOutput::default()
            }),
            None => self.inner.complete_multipart_upload(req).await?,
        };
        let acl = self.acls.state().uploads.remove(&upload_id);
        self.acls.written(&bucket, &key, acl);
        Ok(response)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        super::uploads::list(&self.root, &req.input).map(S3Response::new)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let upload_id = req.input.upload_id.clone();
        self.check_upload(&upload_id)?;
        let response = self.inner.abort_multipart_upload(req).await?;
        self.parts.forget(&upload_id);
        self.acls.state().uploads.remove(&upload_id);
        Ok(response)
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        self.check_upload(&req.input.upload_id)?;
        let (upload_id, number) = (req.input.upload_id.clone(), req.input.part_number);
        let response = self.inner.upload_part(req).await?;
        if let Some(ETag::Strong(md5)) = &response.output.e_tag {
            self.parts.record(&upload_id, number, md5);
        }
        Ok(response)
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.inner.upload_part_copy(req).await
    }

    /// s3s-fs lists parts without their ETags, in directory order; S3 gives
    /// each part's ETag (the MD5 of its bytes), by part number, and a client
    /// resuming an upload needs them to complete it.
    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.check_upload(&req.input.upload_id)?;
        let upload_id = req.input.upload_id.clone();
        let mut response = self.inner.list_parts(req).await?;
        let (root, digests) = (self.root.clone(), Arc::clone(&self.parts));
        let mut parts = response.output.parts.take().unwrap_or_default();
        let parts = tokio::task::spawn_blocking(move || {
            for part in &mut parts {
                if let (None, Some(number)) = (&part.e_tag, part.part_number) {
                    part.e_tag =
                        super::complete::part_md5(&root, &digests, &upload_id, number).map(ETag::Strong);
                }
            }
            parts.sort_by_key(|part| part.part_number);
            parts
        })
        .await
        .map_err(|e| s3_error!(InternalError, "listing the parts stopped: {e}"))?;
        response.output.parts = Some(parts);
        Ok(response)
    }

    /// s3s-fs ignores `If-Match` on reads; S3 answers 412 when the object's
    /// ETag is not the one named, which is what lets a resumed download
    /// notice an object overwritten between its ranges.
    /// It is checked before the range, as S3 does: an object replaced by a
    /// shorter one answers 412, not 416.
    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        if let Some(ETagCondition::ETag(expected)) = &req.input.if_match {
            let head = S3Request {
                input: HeadObjectInput {
                    bucket: req.input.bucket.clone(),
                    key: req.input.key.clone(),
                    ..HeadObjectInput::default()
                },
                method: req.method.clone(),
                uri: req.uri.clone(),
                headers: req.headers.clone(),
                extensions: req.extensions.clone(),
                credentials: req.credentials.clone(),
                region: req.region.clone(),
                service: req.service.clone(),
                trailing_headers: None,
            };
            let current = self.inner.head_object(head).await?;
            let matches = current
                .output
                .e_tag
                .as_ref()
                .is_some_and(|etag| etag.strong_cmp(expected));
            if !matches {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
        }
        self.inner.get_object(req).await
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        self.inner.head_object(req).await
    }

    /// s3s-fs's answer, from one blocking walk (`listing.rs`).
    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        super::listing::list_objects(&self.root, req.input)
            .await
            .map(S3Response::new)
    }

    /// s3s-fs's answer, from one blocking walk (`listing.rs`).
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        super::listing::list_objects_v2(&self.root, req.input)
            .await
            .map(S3Response::new)
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.inner.list_buckets(req).await
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.inner.create_bucket(req).await
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.inner.get_bucket_location(req).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use s3s::service::{S3Service, S3ServiceBuilder};
    use tempfile::TempDir;

    const BUCKET: &str = "acl-bucket";

    /// The wrapper behind an s3s service, called in-process. No auth: the
    /// requests are unsigned (LocalServer's own tests cover signatures).
    struct Fixture {
        service: S3Service,
        acls: Arc<AclTable>,
        owner_id: String,
        _dir: TempDir,
    }

    struct Answer {
        status: u16,
        body: String,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join(BUCKET)).unwrap();
            let inner = s3s_fs::FileSystem::new(dir.path()).unwrap();
            let owner = owner_of("AKIDEXAMPLE");
            let owner_id = owner.id.clone().unwrap();
            let fs = AclFileSystem::new(inner, owner, dir.path());
            let acls = fs.acls();
            let service = S3ServiceBuilder::new(fs).build();
            Self {
                service,
                acls,
                owner_id,
                _dir: dir,
            }
        }

        async fn call(
            &self,
            method: &str,
            path: &str,
            headers: &[(&'static str, &str)],
            body: &str,
        ) -> Answer {
            let mut request = s3s::HttpRequest::new(s3s::Body::from(body.to_owned()));
            *request.method_mut() = method.parse().unwrap();
            *request.uri_mut() = format!("/{BUCKET}/{path}").parse().unwrap();
            let request_headers = request.headers_mut();
            request_headers.insert("host", "127.0.0.1".parse().unwrap());
            request_headers.insert("content-length", body.len().to_string().parse().unwrap());
            for (name, value) in headers {
                request_headers.insert(*name, value.parse().unwrap());
            }
            let mut response = self.service.call(request).await.unwrap();
            let bytes = response.body_mut().store_all_limited(1 << 20).await.unwrap();
            Answer {
                status: response.status().as_u16(),
                body: String::from_utf8(bytes.to_vec()).unwrap(),
            }
        }

        async fn put(&self, key: &str, headers: &[(&'static str, &str)]) -> Answer {
            self.call("PUT", key, headers, "content").await
        }

        async fn put_acl(&self, key: &str, acl: &str) -> Answer {
            self.call("PUT", &format!("{key}?acl"), &[("x-amz-acl", acl)], "")
                .await
        }

        /// The grants of Get Object ACL's answer, as (grantee, permission):
        /// `owner`, or the group's last path segment (`AllUsers`).
        async fn grants(&self, key: &str) -> Vec<(String, String)> {
            let answer = self.call("GET", &format!("{key}?acl"), &[], "").await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            let owner = format!(
                "<Owner><DisplayName>local</DisplayName><ID>{}</ID></Owner>",
                self.owner_id
            );
            assert!(answer.body.contains(&owner), "{}", answer.body);
            answer
                .body
                .split("<Grant>")
                .skip(1)
                .map(|grant| {
                    let grantee = match between(grant, "<URI>", "</URI>") {
                        Some(uri) => uri.rsplit('/').next().unwrap().to_owned(),
                        None => {
                            assert_eq!(between(grant, "<ID>", "</ID>"), Some(self.owner_id.as_str()));
                            assert!(grant.contains(r#"xsi:type="CanonicalUser""#), "{grant}");
                            "owner".to_owned()
                        }
                    };
                    let permission = between(grant, "<Permission>", "</Permission>").unwrap();
                    (grantee, permission.to_owned())
                })
                .collect()
        }
    }

    fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
        let start = text.find(open)? + open.len();
        let end = text[start..].find(close)? + start;
        Some(&text[start..end])
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(g, p)| ((*g).to_owned(), (*p).to_owned()))
            .collect()
    }

    #[tokio::test]
    async fn every_canned_acl_is_read_back_with_its_grants() {
        let fixture = Fixture::new();
        assert_eq!(fixture.put("photo.jpg", &[]).await.status, 200);
        let owner = ("owner", "FULL_CONTROL");
        let table: [(CannedAcl, Vec<(&str, &str)>); 7] = [
            (CannedAcl::Private, vec![owner]),
            (CannedAcl::PublicRead, vec![owner, ("AllUsers", "READ")]),
            (
                CannedAcl::PublicReadWrite,
                vec![owner, ("AllUsers", "READ"), ("AllUsers", "WRITE")],
            ),
            (
                CannedAcl::AuthenticatedRead,
                vec![owner, ("AuthenticatedUsers", "READ")],
            ),
            (CannedAcl::AwsExecRead, vec![owner]),
            (CannedAcl::BucketOwnerRead, vec![owner, ("owner", "READ")]),
            (
                CannedAcl::BucketOwnerFullControl,
                vec![owner, ("owner", "FULL_CONTROL")],
            ),
        ];
        assert_eq!(table.each_ref().map(|(acl, _)| *acl), CannedAcl::ALL);
        for (acl, expected) in table {
            let answer = fixture.put_acl("photo.jpg", acl.as_str()).await;
            assert_eq!(answer.status, 200, "{}: {}", acl.as_str(), answer.body);
            assert_eq!(fixture.acls.get(BUCKET, "photo.jpg"), Some(acl));
            assert_eq!(
                fixture.grants("photo.jpg").await,
                pairs(&expected),
                "{}",
                acl.as_str()
            );
        }
    }

    #[tokio::test]
    async fn object_without_acl_reads_as_private() {
        let fixture = Fixture::new();
        fixture.put("plain.txt", &[]).await;
        assert_eq!(fixture.acls.get(BUCKET, "plain.txt"), None);
        assert_eq!(
            fixture.grants("plain.txt").await,
            pairs(&[("owner", "FULL_CONTROL")])
        );
    }

    #[tokio::test]
    async fn acl_of_missing_object_is_no_such_key() {
        let fixture = Fixture::new();
        let put = fixture.put_acl("missing.txt", "public-read").await;
        assert_eq!(put.status, 404);
        assert!(put.body.contains("<Code>NoSuchKey</Code>"), "{}", put.body);
        assert_eq!(fixture.acls.get(BUCKET, "missing.txt"), None);
        let get = fixture.call("GET", "missing.txt?acl", &[], "").await;
        assert_eq!(get.status, 404);
        assert!(get.body.contains("<Code>NoSuchKey</Code>"), "{}", get.body);
    }

    #[tokio::test]
    async fn acl_in_missing_bucket_is_no_such_bucket() {
        let fixture = Fixture::new();
        let mut request = s3s::HttpRequest::new(s3s::Body::empty());
        *request.method_mut() = "PUT".parse().unwrap();
        *request.uri_mut() = "/no-such-bucket/k?acl".parse().unwrap();
        request
            .headers_mut()
            .insert("x-amz-acl", "private".parse().unwrap());
        let mut response = fixture.service.call(request).await.unwrap();
        let body = response.body_mut().store_all_limited(1 << 20).await.unwrap();
        assert_eq!(response.status().as_u16(), 404);
        assert!(String::from_utf8_lossy(&body).contains("<Code>NoSuchBucket</Code>"));
    }

    #[tokio::test]
    async fn unknown_canned_acl_is_invalid_argument_and_writes_nothing() {
        let fixture = Fixture::new();
        fixture.put("k", &[]).await;
        let answer = fixture.put_acl("k", "world-writable").await;
        assert_eq!(answer.status, 400);
        assert!(
            answer.body.contains("<Code>InvalidArgument</Code>"),
            "{}",
            answer.body
        );
        let put = fixture.put("new", &[("x-amz-acl", "world-writable")]).await;
        assert_eq!(put.status, 400);
        assert_eq!(
            fixture.call("HEAD", "new", &[], "").await.status,
            404,
            "nothing was written"
        );
    }

    #[tokio::test]
    async fn acl_without_canned_header_is_refused() {
        let fixture = Fixture::new();
        fixture.put("k", &[]).await;
        let bare = fixture.call("PUT", "k?acl", &[], "").await;
        assert_eq!(bare.status, 400);
        assert!(
            bare.body.contains("<Code>MissingSecurityHeader</Code>"),
            "{}",
            bare.body
        );
        let grant = fixture
            .call(
                "PUT",
                "k?acl",
                &[(
                    "x-amz-grant-read",
                    "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
                )],
                "",
            )
            .await;
        assert_eq!(grant.status, 501);
        assert!(
            grant.body.contains("<Code>NotImplemented</Code>"),
            "{}",
            grant.body
        );
        assert_eq!(fixture.acls.get(BUCKET, "k"), None);
    }

    #[tokio::test]
    async fn only_the_null_version_has_an_acl() {
        let fixture = Fixture::new();
        fixture.put("k", &[]).await;
        let null = fixture
            .call("PUT", "k?acl&versionId=null", &[("x-amz-acl", "public-read")], "")
            .await;
        assert_eq!(null.status, 200, "{}", null.body);
        let other = fixture
            .call(
                "PUT",
                "k?acl&versionId=3HL4kqtJlcpXroDTDmJ",
                &[("x-amz-acl", "private")],
                "",
            )
            .await;
        assert_eq!(other.status, 404);
        assert!(
            other.body.contains("<Code>NoSuchVersion</Code>"),
            "{}",
            other.body
        );
        let get = fixture
            .call("GET", "k?acl&versionId=3HL4kqtJlcpXroDTDmJ", &[], "")
            .await;
        assert_eq!(get.status, 404);
        assert_eq!(fixture.acls.get(BUCKET, "k"), Some(CannedAcl::PublicRead));
    }

    #[tokio::test]
    async fn put_object_sets_the_acl_sent_and_a_rewrite_without_one_makes_it_private() {
        let fixture = Fixture::new();
        let put = fixture.put("k", &[("x-amz-acl", "public-read")]).await;
        assert_eq!(put.status, 200, "{}", put.body);
        assert_eq!(fixture.acls.get(BUCKET, "k"), Some(CannedAcl::PublicRead));
        fixture.put("k", &[]).await;
        assert_eq!(fixture.acls.get(BUCKET, "k"), None);
    }

    #[tokio::test]
    async fn copy_gives_the_copy_the_acl_sent_with_it() {
        let fixture = Fixture::new();
        fixture.put("source", &[("x-amz-acl", "public-read")]).await;
        let copy_source = format!("{BUCKET}/source");
        let copy = fixture
            .call(
                "PUT",
                "copy",
                &[
                    ("x-amz-copy-source", &copy_source),
                    ("x-amz-acl", "authenticated-read"),
                ],
                "",
            )
            .await;
        assert_eq!(copy.status, 200, "{}", copy.body);
        assert_eq!(
            fixture.acls.get(BUCKET, "copy"),
            Some(CannedAcl::AuthenticatedRead)
        );
        assert_eq!(fixture.acls.get(BUCKET, "source"), Some(CannedAcl::PublicRead));
    }

    #[tokio::test]
    async fn deleted_objects_lose_their_acl() {
        let fixture = Fixture::new();
        for key in ["one", "two", "three"] {
            fixture.put(key, &[("x-amz-acl", "public-read")]).await;
        }
        assert_eq!(fixture.call("DELETE", "one", &[], "").await.status, 204);
        let delete = "<Delete><Object><Key>two</Key></Object></Delete>";
        let answer = fixture.call("POST", "?delete", &[], delete).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(fixture.acls.get(BUCKET, "one"), None);
        assert_eq!(fixture.acls.get(BUCKET, "two"), None);
        assert_eq!(fixture.acls.get(BUCKET, "three"), Some(CannedAcl::PublicRead));
    }

    #[tokio::test]
    async fn only_an_empty_bucket_is_deleted() {
        let fixture = Fixture::new();
        assert_eq!(fixture.put("dir/a.txt", &[]).await.status, 200);
        let answer = fixture.call("DELETE", "", &[], "").await;
        assert_eq!(answer.status, 409, "{}", answer.body);
        assert!(
            answer.body.contains("<Code>BucketNotEmpty</Code>"),
            "{}",
            answer.body
        );
        assert_eq!(fixture.call("DELETE", "dir/a.txt", &[], "").await.status, 204);
        // The empty directory s3s-fs leaves behind is no object.
        let answer = fixture.call("DELETE", "", &[], "").await;
        assert_eq!(answer.status, 204, "{}", answer.body);
        assert_eq!(fixture.call("DELETE", "", &[], "").await.status, 404);
    }

    #[tokio::test]
    async fn multipart_upload_gets_the_acl_it_started_with() {
        let fixture = Fixture::new();
        let created = fixture
            .call("POST", "big?uploads", &[("x-amz-acl", "public-read-write")], "")
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let upload_id = between(&created.body, "<UploadId>", "</UploadId>")
            .unwrap()
            .to_owned();
        let part = fixture
            .call(
                "PUT",
                &format!("big?partNumber=1&uploadId={upload_id}"),
                &[],
                "part one",
            )
            .await;
        assert_eq!(part.status, 200, "{}", part.body);
        assert_eq!(fixture.acls.get(BUCKET, "big"), None, "not an object yet");
        let complete =
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>";
        let done = fixture
            .call("POST", &format!("big?uploadId={upload_id}"), &[], complete)
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(fixture.acls.get(BUCKET, "big"), Some(CannedAcl::PublicReadWrite));
    }

    #[tokio::test]
    async fn a_read_pinned_to_another_etag_is_refused() {
        let fixture = Fixture::new();
        let put = fixture.put("k", &[]).await;
        assert_eq!(put.status, 200, "{}", put.body);
        // The ETag of a single PUT is the MD5 of its body, `content`.
        let etag = "\"9a0364b9e99bb480dd25e1f0284c8555\"";
        let same = fixture.call("GET", "k", &[("if-match", etag)], "").await;
        assert_eq!(same.status, 200, "{}", same.body);
        let other = fixture
            .call(
                "GET",
                "k",
                &[("if-match", "\"0123456789abcdef0123456789abcdef\"")],
                "",
            )
            .await;
        assert_eq!(other.status, 412, "{}", other.body);
        assert!(other.body.contains("PreconditionFailed"), "{}", other.body);
    }

    #[test]
    fn canned_acl_names_round_trip() {
        for acl in CannedAcl::ALL {
            assert_eq!(CannedAcl::from_name(acl.as_str()), Some(acl));
        }
        assert_eq!(
            CannedAcl::from_name("Public-Read"),
            None,
            "names are case-sensitive"
        );
    }

    #[test]
    fn owner_id_is_64_hex_digits_of_the_access_key() {
        let id = owner_of("AKIDEXAMPLE").id.unwrap();
        assert_eq!(id.len(), 64);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(owner_of("OTHERKEY").id.unwrap(), id);
    }
}
