//! Put Object from a host-held source, of any size: one PUT below the
//! multipart threshold, else a multipart upload.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>
//!
//! The bytes go from the host's source to the network without passing
//! through the component (`Exchange::FromSource`). The component reads them
//! only to hash them, when the payload is signed or `Content-MD5` is asked
//! for: one pass of 1 MiB chunks per part, so its memory stays at one chunk
//! whatever the size.
//!
//! Parts go `concurrency` at a time (the host sends them in parallel); each
//! part that fails is retried on its own (the client's retries, then one
//! more round). An upload that fails for good (a 4xx such as access denied, an
//! unreadable source) is aborted, so that no parts are left billing the
//! user; one that fails on faults that may pass (network, 5xx, throttling)
//! is kept, and the error carries its id: given back as
//! `resume_upload_id`, the upload goes on from the parts S3 lists.

use md5::Md5;
use sha2::{Digest as _, Sha256};

use crate::client::{Client, Exchange};
use crate::error::{Error, ErrorCode, ErrorKind, UploadFailure};
use crate::http::{BodyError, Digest, Method, OpRequest};
use crate::model::{PutObjectOutput, PutObjectStreamInput};
use crate::ops::multipart::{self, PartPlan, MAX_PART_SIZE, MIN_PART_SIZE};
use crate::ops::put_object::{object_headers, signs_payload, DEFAULT_FILE_MIME};
use crate::ops::write_options::WriteOptions;
use crate::sigv4::{hex, UNSIGNED_PAYLOAD};
use crate::validate;

/// Objects larger than this go in parts when no threshold is given.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;

/// How many parts go at once when no concurrency is given.
pub const DEFAULT_CONCURRENCY: u32 = 4;

/// The most parts that may go at once.
pub const MAX_CONCURRENCY: u32 = 16;

/// How much of the source the component reads at a time to hash it.
const HASH_CHUNK: u32 = 1024 * 1024;

/// Rounds of the client's retries a part gets before the upload gives up.
const PART_ROUNDS: u32 = 2;

/// What to send with one body: its payload hash (or `UNSIGNED-PAYLOAD`) and
/// its MD5, if asked for.
struct Digests {
    payload_hash: String,
    /// The MD5 itself, not its base64: checking a part against its ETag
    /// needs the bytes, and keeping them spares the component a base64
    /// decoder.
    md5: Option<Vec<u8>>,
}

impl Digests {
    /// The `Content-MD5` header's value (RFC 1864: the base64 of the MD5).
    fn content_md5(&self) -> Option<String> {
        self.md5.as_deref().map(crate::base64::encode)
    }
}

/// Runs Put Object from the call's source.
///
/// The write's storage options go on the PUT (or the upload's creation),
/// its conditions on the PUT (or the upload's completion).
pub fn run(
    client: &mut Client<'_>,
    input: &PutObjectStreamInput,
    write: &WriteOptions,
) -> Result<PutObjectOutput, Error> {
    validate::bucket_name(&input.bucket_name)?;
    validate::object_key("object_path", &input.object_path)?;
    let mime = input.mime_type.as_deref().unwrap_or(DEFAULT_FILE_MIME);
    validate::mime_type(mime)?;
    write.validate()?;
    let mut headers = object_headers(mime.trim(), input.acl, &input.metadata)?;
    headers.extend(write.storage_headers());
    let options = &input.options;
    let threshold = options.multipart_threshold.unwrap_or(DEFAULT_MULTIPART_THRESHOLD);
    if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&threshold) {
        return Err(Error::invalid_input(
            "multipart_threshold",
            format!(
                "is {threshold} bytes; it must be from 5 MiB to 5 GiB, the sizes of a single PUT S3 takes"
            ),
        ));
    }
    if let Some(id) = &options.resume_upload_id {
        multipart::upload_id_field(id)?;
    }
    let size = client
        .transport
        .source_size()
        .ok_or(Error::body(BodyError::Missing))?;
    let plan = PartPlan::new(size, options.part_size)?;
    let sign = signs_payload(client, options.payload_signing.unwrap_or_default());
    let concurrency = options.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
        return Err(Error::invalid_input(
            "concurrency",
            format!("is {concurrency}; from 1 (one part at a time) to {MAX_CONCURRENCY} parts may be sent at once"),
        ));
    }
    if size <= threshold && options.resume_upload_id.is_none() {
        headers.extend(write.condition_headers());
        return single_put(client, input, headers, size, sign);
    }
    let settings = Settings {
        headers,
        conditions: write.condition_headers(),
        plan,
        sign,
        concurrency: concurrency as usize,
    };
    multipart_upload(client, input, settings)
}

/// One `PUT` of the whole source.
fn single_put(
    client: &mut Client<'_>,
    input: &PutObjectStreamInput,
    headers: Vec<(String, String)>,
    size: u64,
    sign: bool,
) -> Result<PutObjectOutput, Error> {
    let digests = digests(client, 0, size, sign, input.options.content_md5)?;
    let mut request = OpRequest::new(Method::Put, Some(&input.bucket_name), Some(&input.object_path));
    request.headers = headers;
    request = request.with_header("x-amz-content-sha256", &digests.payload_hash);
    if let Some(md5) = &digests.content_md5() {
        request = request.with_header("content-md5", md5);
    }
    let response = client.exchange(
        &request,
        Exchange::FromSource {
            offset: 0,
            length: size,
        },
    )?;
    client.transport.progress(size, Some(size));
    crate::ops::put_object::parse(&response, &input.object_path)
}

/// A multipart upload of the whole source, new or resumed.
fn multipart_upload(
    client: &mut Client<'_>,
    input: &PutObjectStreamInput,
    settings: Settings,
) -> Result<PutObjectOutput, Error> {
    let Settings {
        headers,
        conditions,
        plan,
        sign,
        concurrency,
    } = settings;
    let (bucket, key) = (input.bucket_name.as_str(), input.object_path.as_str());
    let (upload_id, mut done) = match &input.options.resume_upload_id {
        Some(id) => match parts_held(client, bucket, key, id, &plan) {
            Ok(held) => (id.clone(), held),
            // The upload is gone: the attempt that failed may have completed
            // it after all (its answer lost). Then the object is this source.
            Err(error) if matches!(error.kind(), ErrorKind::Service(e) if e.code == ErrorCode::NoSuchUpload) =>
            {
                let parts = source_part_etags(client, &plan)?;
                return match completed_meanwhile(client, bucket, key, &parts) {
                    Some(etag) => Ok(PutObjectOutput {
                        key: key.to_owned(),
                        etag: Some(etag),
                        version_id: None,
                        parts: plan.parts,
                    }),
                    None => Err(error),
                };
            }
            Err(error) => return Err(error),
        },
        None => {
            let create = multipart::create_request(bucket, key, headers);
            let (response, attempts) = client.exchange_counted(&create, Exchange::InMemory)?;
            let upload_id = multipart::parse_create(&response)?;
            if attempts > 1 {
                abort_orphans(client, bucket, key, &upload_id);
            }
            (upload_id, no_parts(&plan))
        }
    };
    let upload = Upload {
        bucket,
        key,
        upload_id: &upload_id,
        plan,
    };
    let mut sent: u64 = numbered(&done)
        .filter(|(_, etag)| etag.is_some())
        .map(|(n, _)| plan.part(n).1)
        .sum();
    client.transport.progress(sent, Some(plan.size));
    let pending: Vec<u32> = numbered(&done)
        .filter(|(_, etag)| etag.is_none())
        .map(|(n, _)| n)
        .collect();
    for window in pending.chunks(concurrency) {
        // The parts of a window go at once; one that does not succeed is
        // sent again on its own, with the retries.
        let mut batch = Vec::with_capacity(window.len());
        for &number in window {
            let (offset, length) = plan.part(number);
            match digests(client, offset, length, sign, input.options.content_md5) {
                Ok(digests) => batch.push((number, upload.part_request(number, &digests), offset, length)),
                Err(cause) => return Err(upload.fail(client, count(&done), cause)),
            }
        }
        let answers = if batch.len() > 1 {
            let spans: Vec<(&OpRequest, u64, u64)> = batch.iter().map(|(_, r, o, l)| (r, *o, *l)).collect();
            client.send_each(&spans)
        } else {
            vec![None]
        };
        for ((number, request, offset, length), answer) in batch.iter().zip(answers) {
            let etag = match answer.map(|response| multipart::parse_upload_part(&response)) {
                Some(Ok(etag)) => Ok(etag),
                _ => upload.part(client, request, *offset, *length),
            };
            match etag {
                Ok(etag) => {
                    hold(&mut done, *number, etag);
                    sent += length;
                    client.transport.progress(sent, Some(plan.size));
                }
                Err(cause) => return Err(upload.fail(client, count(&done), cause)),
            }
        }
    }
    let parts: Vec<(u32, String)> = (1..).zip(done).filter_map(|(n, etag)| Some((n, etag?))).collect();
    let completed = multipart::complete_request(bucket, key, &upload_id, &parts)
        .and_then(|mut request| {
            request.headers.extend(conditions);
            client.send(&request)
        })
        .and_then(|response| multipart::parse_complete(&response));
    let completed = match completed {
        // An attempt whose answer was lost may have completed the upload
        // (the next one then finds it gone, or every answer was lost). The
        // object then carries the ETag these very parts give, and the upload
        // succeeded.
        Err(error) if may_have_completed(&error) => match completed_meanwhile(client, bucket, key, &parts) {
            Some(etag) => Ok((Some(etag), None)),
            None => Err(error),
        },
        other => other,
    };
    match completed {
        Ok((etag, version_id)) => Ok(PutObjectOutput {
            key: key.to_owned(),
            etag,
            version_id,
            parts: plan.parts,
        }),
        Err(cause) => Err(upload.fail(client, parts.len(), cause)),
    }
}

/// How a multipart upload is sent.
struct Settings {
    /// The headers of its creation: what describes the object.
    headers: Vec<(String, String)>,
    /// The conditions of its completion.
    conditions: Vec<(String, String)>,
    /// Its parts.
    plan: PartPlan,
    /// Whether each part's payload hash is signed.
    sign: bool,
    /// Parts sent at once.
    concurrency: usize,
}

/// How long before our own upload an orphan of a retried creation can have
/// been initiated: the retries' pauses (at most 10 s) and three requests'
/// timeouts, with room for a slow server.
const ORPHAN_WINDOW_SECONDS: i64 = 120;

/// Aborts the uploads that earlier attempts of our CreateMultipartUpload
/// may have started before their answers were lost: S3 gave them ids we
/// never learnt, and they would be left behind. Those are the uploads of
/// this very key initiated shortly before ours (within
/// [`ORPHAN_WINDOW_SECONDS`], by S3's clock on both sides), which no part
/// can have reached yet. Best effort: a failure here leaves them, as
/// before, and never fails the upload.
pub(crate) fn abort_orphans(client: &mut Client<'_>, bucket: &str, key: &str, ours: &str) {
    let input = crate::model::ListMultipartUploadsInput {
        bucket_name: bucket.to_owned(),
        prefix: Some(key.to_owned()),
        max_total: None,
    };
    let Ok(page) = crate::ops::list_multipart_uploads::request(&input, None)
        .and_then(|request| client.send(&request))
        .and_then(|response| crate::ops::list_multipart_uploads::parse(&response))
    else {
        return;
    };
    let initiated = |upload: &crate::model::MultipartUpload| {
        upload
            .initiated
            .as_deref()
            .and_then(|at| crate::date::parse_rfc3339(at).ok())
    };
    let Some(our_start) = page
        .uploads
        .iter()
        .find(|u| u.upload_id == ours)
        .and_then(initiated)
    else {
        return;
    };
    for upload in &page.uploads {
        let Some(start) = initiated(upload) else { continue };
        let before_ours = (our_start - start).whole_seconds();
        if upload.key == key && upload.upload_id != ours && (0..=ORPHAN_WINDOW_SECONDS).contains(&before_ours)
        {
            if let Ok(abort) = multipart::abort_request(bucket, key, &upload.upload_id) {
                let _ = client.send(&abort);
            }
        }
    }
}

/// Whether a CompleteMultipartUpload that failed so may have completed the
/// upload all the same: its answer was lost (a broken connection, a
/// timeout, a 5xx), or a retry found the upload gone.
pub(crate) fn may_have_completed(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::Service(error) => {
            // A conditional completion tried again meets its own first
            // attempt's object, as a 412.
            let again = matches!(
                error.code,
                ErrorCode::NoSuchUpload | ErrorCode::PreconditionFailed
            );
            (again && error.attempts > 1) || error.status >= 500
        }
        ErrorKind::Transport { .. } => true,
        _ => false,
    }
}

/// Each part's ETag as S3 gives it when it holds these bytes: the MD5 of
/// the source's span, in hex.
fn source_part_etags(client: &mut Client<'_>, plan: &PartPlan) -> Result<Vec<(u32, String)>, Error> {
    let mut etags = Vec::with_capacity(plan.parts as usize);
    for number in 1..=plan.parts {
        let (offset, length) = plan.part(number);
        let md5 = span_md5(client, offset, length)?
            .ok_or_else(|| Error::invalid_response("no MD5 of the source's span"))?;
        etags.push((number, hex(&md5)));
    }
    Ok(etags)
}

/// The MD5 of `length` bytes of the source from `offset`: the same digest a
/// `Content-MD5` carries (the host's, or hashed here), as bytes.
fn span_md5(client: &mut Client<'_>, offset: u64, length: u64) -> Result<Option<Vec<u8>>, Error> {
    Ok(digests(client, offset, length, false, true)?.md5)
}

/// The MD5 an ETag names, when it is one (32 hex digits, quoted or not): a
/// part's ETag, or a single-PUT object's, unless the bucket encrypts with
/// KMS or a customer key.
fn etag_md5(etag: &str) -> Option<Vec<u8>> {
    let hex = etag.trim_matches('"');
    if hex.len() != 32 {
        return None;
    }
    (0..32)
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// The object's ETag when `key` now holds the object that these parts
/// complete into: S3 names a multipart object `"MD5-N"`, the MD5 of the
/// parts' MD5s one after the other and the number of parts. `None` when it
/// does not, or when that cannot be told (a part's ETag is no MD5, as under
/// KMS).
pub(crate) fn completed_meanwhile(
    client: &mut Client<'_>,
    bucket: &str,
    key: &str,
    parts: &[(u32, String)],
) -> Option<String> {
    let expected = multipart_etag(parts)?;
    let object = crate::model::ObjectRef {
        bucket_name: bucket.to_owned(),
        object_path: key.to_owned(),
        version_id: None,
    };
    let metadata = crate::ops::head_object::request(&object)
        .and_then(|request| client.send(&request))
        .and_then(|response| crate::ops::object::parse_metadata(&response))
        .ok()?;
    let etag = metadata.etag?;
    (etag.trim_matches('"') == expected).then_some(etag)
}

/// The ETag S3 gives the object these parts complete into, unquoted:
/// `hex(MD5(md5(part 1) || md5(part 2) || ...))-N`.
pub fn multipart_etag(parts: &[(u32, String)]) -> Option<String> {
    let mut md5 = Md5::new();
    for (_, etag) in parts {
        md5.update(etag_md5(etag)?);
    }
    Some(format!("{}-{}", hex(&md5.finalize()), parts.len()))
}

/// The parts of an upload, none done yet: the ETag of part `n` goes at
/// `n - 1` once S3 holds it (a plan has at most 10,000 parts). A vector
/// rather than a map: the numbers are dense, and a map's code weighed some
/// 5 KB in the component.
fn no_parts(plan: &PartPlan) -> Vec<Option<String>> {
    vec![None; plan.parts as usize]
}

/// The parts with their numbers, from 1.
fn numbered(parts: &[Option<String>]) -> impl Iterator<Item = (u32, &Option<String>)> {
    (1..).zip(parts)
}

/// Part `number` is done, with this ETag.
fn hold(parts: &mut [Option<String>], number: u32, etag: String) {
    if let Some(slot) = number.checked_sub(1).and_then(|at| parts.get_mut(at as usize)) {
        *slot = Some(etag);
    }
}

/// How many parts are done.
fn count(parts: &[Option<String>]) -> usize {
    parts.iter().filter(|etag| etag.is_some()).count()
}

/// The parts S3 already holds for a resumed upload, by number, that fit the
/// plan (a part of another size was cut for another plan, and is sent again).
fn parts_held(
    client: &mut Client<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    plan: &PartPlan,
) -> Result<Vec<Option<String>>, Error> {
    let mut held = no_parts(plan);
    let mut marker = None;
    // At most 10,000 parts in pages of 1000: a server that never ends the
    // listing is stopped.
    for _ in 0..=multipart::MAX_PARTS / 1000 {
        let request = multipart::list_parts_request(bucket, key, upload_id, marker);
        let page = multipart::parse_list_parts(&client.send(&request)?)?;
        for part in page.parts {
            let (offset, length) = plan.part(part.number);
            // A part listed without its ETag cannot be named when completing.
            let fits =
                (1..=plan.parts).contains(&part.number) && length == part.size && !part.etag.is_empty();
            if fits && holds_these_bytes(client, &part.etag, offset, length)? {
                hold(&mut held, part.number, part.etag);
            }
        }
        match page.next_marker {
            Some(next) if Some(next) != marker => marker = Some(next),
            _ => return Ok(held),
        }
    }
    Err(Error::invalid_response(
        "ListParts did not end after 10,000 parts; the upload cannot be resumed",
    ))
}

/// Whether a part S3 holds is the source's span: a part's ETag is the MD5
/// of its bytes (unless the bucket encrypts with KMS or a customer key,
/// when it is no MD5 and only the size can be compared). A part of a file
/// changed since the failed attempt is sent again rather than stitched in.
fn holds_these_bytes(client: &mut Client<'_>, etag: &str, offset: u64, length: u64) -> Result<bool, Error> {
    let Some(theirs) = etag_md5(etag) else {
        return Ok(true);
    };
    Ok(span_md5(client, offset, length)?.is_some_and(|ours| ours == theirs))
}

/// One multipart upload in flight.
struct Upload<'u> {
    bucket: &'u str,
    key: &'u str,
    upload_id: &'u str,
    plan: PartPlan,
}

impl Upload<'_> {
    /// The UploadPart request of part `number`, whose body has `digests`.
    fn part_request(&self, number: u32, digests: &Digests) -> OpRequest {
        multipart::upload_part_request(
            self.bucket,
            self.key,
            self.upload_id,
            number,
            &digests.payload_hash,
            digests.content_md5().as_deref(),
        )
    }

    /// Sends a part's `request`, with the retries, and returns its ETag.
    fn part(
        &self,
        client: &mut Client<'_>,
        request: &OpRequest,
        offset: u64,
        length: u64,
    ) -> Result<String, Error> {
        let mut round = 1;
        loop {
            match client.exchange(request, Exchange::FromSource { offset, length }) {
                Ok(response) => return multipart::parse_upload_part(&response),
                Err(error) if round < PART_ROUNDS && may_pass(&error) => round += 1,
                Err(error) => return Err(error),
            }
        }
    }

    /// The error for an upload stopped by `cause`, after aborting it when
    /// trying again could not help.
    fn fail(&self, client: &mut Client<'_>, parts_done: usize, cause: Error) -> Error {
        let aborted = !may_pass(&cause)
            && multipart::abort_request(self.bucket, self.key, self.upload_id)
                .and_then(|request| client.send(&request))
                .is_ok();
        Error::upload_incomplete(UploadFailure {
            upload_id: self.upload_id.to_owned(),
            parts_done: u32::try_from(parts_done).unwrap_or(u32::MAX),
            parts_total: self.plan.parts,
            aborted,
            cause,
        })
    }
}

/// Whether a failure may pass if the same request is sent later: no
/// answer, a 5xx, throttling.
fn may_pass(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::Transport { error, .. } => !matches!(error, crate::http::TransportError::Denied(_)),
        ErrorKind::Service(service) => service.code.is_retryable() || service.status >= 500,
        _ => false,
    }
}

/// Hashes `length` bytes of the source from `offset` as asked: SHA-256 when
/// the payload is signed, MD5 for `Content-MD5`; no read at all when
/// neither is wanted.
fn digests(
    client: &mut Client<'_>,
    offset: u64,
    length: u64,
    sign: bool,
    md5: bool,
) -> Result<Digests, Error> {
    if !sign && !md5 {
        return Ok(Digests {
            payload_hash: UNSIGNED_PAYLOAD.to_owned(),
            md5: None,
        });
    }
    // The host holds the bytes: where it offers the digests, they cost no
    // pass through the component.
    let from_host =
        |client: &mut Client<'_>, wanted: bool, algorithm: Digest| -> Result<Option<Vec<u8>>, Error> {
            if !wanted {
                return Ok(None);
            }
            let digest = client
                .transport
                .source_digest(offset, length, algorithm)
                .map_err(Error::body)?;
            match digest {
                Some(bytes) if bytes.len() != algorithm.size() => Err(Error::body(BodyError::Io(format!(
                    "the host's {algorithm:?} digest is {} bytes, not {}",
                    bytes.len(),
                    algorithm.size()
                )))),
                other => Ok(other),
            }
        };
    let host_sha = from_host(client, sign, Digest::Sha256)?;
    let host_md5 = from_host(client, md5, Digest::Md5)?;
    if host_sha.is_some() == sign && host_md5.is_some() == md5 {
        return Ok(Digests {
            payload_hash: host_sha.map_or_else(|| UNSIGNED_PAYLOAD.to_owned(), |d| hex(&d)),
            md5: host_md5,
        });
    }
    let mut sha = sign.then(Sha256::new);
    let mut md = md5.then(Md5::new);
    let mut at = offset;
    let end = offset + length;
    while at < end {
        let want = u32::try_from((end - at).min(u64::from(HASH_CHUNK))).unwrap_or(HASH_CHUNK);
        let chunk = client.transport.read_source(at, want).map_err(Error::body)?;
        if chunk.is_empty() || chunk.len() > want as usize {
            return Err(Error::body(BodyError::OutOfRange));
        }
        if let Some(sha) = &mut sha {
            sha.update(&chunk);
        }
        if let Some(md) = &mut md {
            md.update(&chunk);
        }
        at += chunk.len() as u64;
    }
    Ok(Digests {
        payload_hash: match sha {
            Some(sha) => hex(&sha.finalize()),
            None => UNSIGNED_PAYLOAD.to_owned(),
        },
        md5: md.map(|md| md.finalize().to_vec()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{with_client, FakeTransport};
    use crate::http::TransportError;
    use crate::model::{PayloadSigning, UploadOptions};
    use crate::ops::Operation;

    const MIB: u64 = 1024 * 1024;

    fn input(options: UploadOptions) -> PutObjectStreamInput {
        PutObjectStreamInput {
            bucket_name: "bucket".into(),
            object_path: "big.bin".into(),
            mime_type: None,
            acl: None,
            metadata: vec![],
            options,
        }
    }

    fn source(size: usize) -> Vec<u8> {
        (0..size).map(|i| (i % 251) as u8).collect()
    }

    const CREATED: &[u8] =
        b"<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>";
    const COMPLETED: &[u8] =
        b"<CompleteMultipartUploadResult><ETag>\"whole-3\"</ETag></CompleteMultipartUploadResult>";
    const SLOW_DOWN: &[u8] = b"<Error><Code>SlowDown</Code><Message>slow</Message></Error>";
    const DENIED: &[u8] = b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
    const NO_SUCH_UPLOAD: &[u8] = b"<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>";

    #[test]
    fn small_source_is_one_signed_put_over_http_sent_from_the_source() {
        let mut t = FakeTransport::with_source(source(1000));
        t.answer(200, &[("etag", "\"e\"")], b"");
        let out = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(UploadOptions::default()), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(out.parts, 0);
        assert_eq!(out.etag.as_deref(), Some("\"e\""));
        assert_eq!(t.sent.len(), 1);
        assert_eq!(t.sent_from, vec![Some((0, 1000))]);
        // The fake connection is plain HTTP: `auto` signs the payload.
        assert_eq!(
            t.sent[0].header("x-amz-content-sha256"),
            Some(crate::sigv4::sha256_hex(&source(1000)).as_str())
        );
        assert!(
            t.sent[0].body.is_empty(),
            "the bytes are not copied into the request"
        );
        assert_eq!(
            t.sent[0].header("content-md5"),
            None,
            "no optional checksum by default"
        );
    }

    #[test]
    fn digests_the_host_offers_are_used_instead_of_reading_the_source() {
        let mut t = FakeTransport::with_source(source(1000));
        t.host_digests = true;
        t.answer(200, &[], b"");
        let options = UploadOptions {
            payload_signing: Some(PayloadSigning::Signed),
            content_md5: true,
            ..UploadOptions::default()
        };
        with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(t.source_reads, 0);
        assert_eq!(
            t.sent[0].header("x-amz-content-sha256"),
            Some(crate::sigv4::sha256_hex(&source(1000)).as_str())
        );
        let md5 = ::base64::Engine::encode(
            &::base64::engine::general_purpose::STANDARD,
            Md5::digest(source(1000)),
        );
        assert_eq!(t.sent[0].header("content-md5"), Some(md5.as_str()));
    }

    #[test]
    fn unsigned_payload_reads_nothing_and_md5_is_sent_when_asked() {
        let mut t = FakeTransport::with_source(source(10));
        t.answer(200, &[], b"");
        let options = UploadOptions {
            payload_signing: Some(PayloadSigning::Unsigned),
            ..UploadOptions::default()
        };
        with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(t.sent[0].header("x-amz-content-sha256"), Some(UNSIGNED_PAYLOAD));
        assert_eq!(t.source_reads, 0);
        let mut t = FakeTransport::with_source(b"hello".to_vec());
        t.answer(200, &[], b"");
        let options = UploadOptions {
            payload_signing: Some(PayloadSigning::Unsigned),
            content_md5: true,
            ..UploadOptions::default()
        };
        with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(t.sent[0].header("content-md5"), Some("XUFAKrxLKna5cZ2REBfFkg=="));
    }

    /// Parts of 5 MiB, one at a time (the fake answers in order).
    fn multipart_options() -> UploadOptions {
        UploadOptions {
            multipart_threshold: Some(5 * MIB),
            part_size: Some(5 * MIB),
            payload_signing: Some(PayloadSigning::Unsigned),
            concurrency: Some(1),
            ..UploadOptions::default()
        }
    }

    #[test]
    fn parts_go_in_windows_and_a_part_that_failed_in_one_is_sent_again_alone() {
        let mut t = FakeTransport::with_source(source(16 * MIB as usize));
        t.answer(200, &[], CREATED)
            // The window of parts 1 to 3: part 2 is throttled.
            .answer(200, &[("etag", "\"p1\"")], b"")
            .answer(503, &[], SLOW_DOWN)
            .answer(200, &[("etag", "\"p3\"")], b"")
            // Part 2 again, alone.
            .answer(200, &[("etag", "\"p2\"")], b"")
            // The window of part 4.
            .answer(200, &[("etag", "\"p4\"")], b"")
            .answer(200, &[], COMPLETED);
        let options = UploadOptions {
            concurrency: Some(3),
            ..multipart_options()
        };
        let out = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(out.parts, 4);
        let parts: Vec<Option<(u64, u64)>> = t.sent_from.clone();
        assert_eq!(
            parts,
            vec![
                None,
                Some((0, 5 * MIB)),
                Some((5 * MIB, 5 * MIB)),
                Some((10 * MIB, 5 * MIB)),
                Some((5 * MIB, 5 * MIB)),
                Some((15 * MIB, MIB)),
                None
            ]
        );
        let complete = String::from_utf8(t.sent.last().unwrap().body.to_vec()).unwrap();
        let order: Vec<usize> = ["p1", "p2", "p3", "p4"]
            .iter()
            .map(|p| complete.find(p).unwrap())
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "parts in order: {complete}"
        );
    }

    #[test]
    fn concurrency_out_of_bounds_is_refused() {
        let mut t = FakeTransport::with_source(source(10));
        for bad in [0, MAX_CONCURRENCY + 1] {
            let options = UploadOptions {
                concurrency: Some(bad),
                ..UploadOptions::default()
            };
            let error = with_client(&mut t, Operation::PutObjectFile, |c| {
                run(c, &input(options), &WriteOptions::default())
            })
            .unwrap_err();
            assert!(matches!(error.kind(), ErrorKind::InvalidInput { field, .. } if field == "concurrency"));
        }
        assert!(t.sent.is_empty());
    }

    #[test]
    fn large_source_goes_in_parts_with_a_ragged_last_one() {
        let size = 12 * MIB as usize + 7;
        let mut t = FakeTransport::with_source(source(size));
        t.answer(200, &[], CREATED)
            .answer(200, &[("etag", "\"p1\"")], b"")
            .answer(200, &[("etag", "\"p2\"")], b"")
            .answer(200, &[("etag", "\"p3\"")], b"")
            .answer(200, &[], COMPLETED);
        let out = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(multipart_options()), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(out.parts, 3);
        assert_eq!(out.etag.as_deref(), Some("\"whole-3\""));
        assert_eq!(
            t.sent_from,
            vec![
                None,
                Some((0, 5 * MIB)),
                Some((5 * MIB, 5 * MIB)),
                Some((10 * MIB, 2 * MIB + 7)),
                None
            ]
        );
        let complete = String::from_utf8(t.sent[4].body.to_vec()).unwrap();
        assert!(
            complete.contains("<PartNumber>3</PartNumber><ETag>&quot;p3&quot;</ETag>"),
            "{complete}"
        );
        assert_eq!(t.progress.last(), Some(&(size as u64, Some(size as u64))));
    }

    #[test]
    fn a_part_that_keeps_failing_leaves_a_resumable_upload() {
        let mut t = FakeTransport::with_source(source(11 * MIB as usize));
        t.answer(200, &[], CREATED)
            .answer(200, &[("etag", "\"p1\"")], b"");
        for _ in 0..6 {
            t.answer(503, &[], SLOW_DOWN);
        }
        let error = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(multipart_options()), &WriteOptions::default())
        })
        .unwrap_err();
        let error = error.into_kind();
        let ErrorKind::UploadIncomplete(failure) = error else {
            panic!("expected an incomplete upload, got {error:?}")
        };
        assert_eq!(failure.upload_id, "UP1");
        assert_eq!((failure.parts_done, failure.parts_total), (1, 3));
        assert!(!failure.aborted);
        assert!(matches!(failure.cause.kind(), ErrorKind::Service(e) if e.code == ErrorCode::SlowDown));
        // No abort was sent: the parts are kept for the resume.
        assert!(t.sent.iter().all(|r| r.method != Method::Delete));
    }

    #[test]
    fn the_multipart_etag_is_the_md5_of_the_parts_md5s() {
        let parts = [
            (1, "\"3303e12af474ca11d85ed2966a932992\"".to_owned()),
            (2, "3ea4e15b91a17dc76052c56cfcdf67a2".to_owned()),
        ];
        assert_eq!(
            multipart_etag(&parts).as_deref(),
            Some("0732917abc3288784e318ac0aab1757a-2")
        );
        assert_eq!(multipart_etag(&[(1, "\"not-an-md5\"".to_owned())]), None);
    }

    /// Three parts whose ETags are MD5s, and the object they complete into.
    fn md5_parts(t: &mut FakeTransport) -> String {
        let etags = [
            "\"3303e12af474ca11d85ed2966a932992\"",
            "\"3ea4e15b91a17dc76052c56cfcdf67a2\"",
            "\"3303e12af474ca11d85ed2966a932992\"",
        ];
        t.answer(200, &[], CREATED);
        for etag in etags {
            t.answer(200, &[("etag", etag)], b"");
        }
        let parts: Vec<(u32, String)> = (1..).zip(etags.map(str::to_owned)).collect();
        format!("\"{}\"", multipart_etag(&parts).unwrap())
    }

    #[test]
    fn a_completion_whose_answer_was_lost_is_found_done() {
        let mut t = FakeTransport::with_source(source(11 * MIB as usize));
        let whole = md5_parts(&mut t);
        t.answers
            .push_back(Err(TransportError::Connection("reset".into())));
        t.answer(404, &[], NO_SUCH_UPLOAD).answer(
            200,
            &[("etag", &whole), ("content-length", "11534336")],
            b"",
        );
        let out = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(multipart_options()), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(out.etag.as_deref(), Some(whole.as_str()));
        assert_eq!(t.sent.last().unwrap().method, Method::Head);
    }

    #[test]
    fn a_resume_of_an_upload_that_had_completed_finds_the_object() {
        let bytes = source(11 * MIB as usize);
        let parts: Vec<(u32, String)> = [(0, 5 * MIB), (5 * MIB, 5 * MIB), (10 * MIB, MIB)]
            .iter()
            .zip(1..)
            .map(|((offset, len), n)| {
                let span = &bytes[*offset as usize..(*offset + *len) as usize];
                (n, hex(&Md5::digest(span)))
            })
            .collect();
        let whole = format!("\"{}\"", multipart_etag(&parts).unwrap());
        let mut t = FakeTransport::with_source(bytes);
        t.answer(404, &[], NO_SUCH_UPLOAD)
            .answer(200, &[("etag", &whole)], b"");
        let options = UploadOptions {
            resume_upload_id: Some("UP1".into()),
            ..multipart_options()
        };
        let out = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options.clone()), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(out.etag.as_deref(), Some(whole.as_str()));
        // Another object at the key: the upload's absence is the error.
        let mut t = FakeTransport::with_source(source(11 * MIB as usize));
        t.answer(404, &[], NO_SUCH_UPLOAD)
            .answer(200, &[("etag", "\"other-3\"")], b"");
        let error = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Service(e) if e.code == ErrorCode::NoSuchUpload),
            "{error:?}"
        );
    }

    #[test]
    fn a_creation_that_took_two_attempts_aborts_the_orphan_the_first_left() {
        let mut t = FakeTransport::with_source(source(11 * MIB as usize));
        t.answers
            .push_back(Err(TransportError::Connection("reset".into())));
        t.answer(200, &[], CREATED);
        // Ours (UP1), the orphan of the lost first attempt, an older upload
        // and another key's: only the orphan goes.
        t.answer(
            200,
            &[],
            b"<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
              <Upload><Key>big.bin</Key><UploadId>OLD</UploadId><Initiated>2024-05-01T11:00:00.000Z</Initiated></Upload>\
              <Upload><Key>big.bin</Key><UploadId>ORPHAN</UploadId><Initiated>2024-05-01T12:00:00.000Z</Initiated></Upload>\
              <Upload><Key>big.bin</Key><UploadId>UP1</UploadId><Initiated>2024-05-01T12:00:01.000Z</Initiated></Upload>\
              <Upload><Key>big.bin.2</Key><UploadId>NEXT</UploadId><Initiated>2024-05-01T12:00:00.500Z</Initiated></Upload>\
              </ListMultipartUploadsResult>",
        )
        .answer(204, &[], b"");
        for n in 1..=3 {
            t.answer(200, &[("etag", &format!("\"p{n}\""))], b"");
        }
        t.answer(200, &[], COMPLETED);
        let out = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(multipart_options()), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(out.parts, 3);
        let aborts: Vec<String> = t
            .sent
            .iter()
            .filter(|r| r.method == Method::Delete)
            .map(|r| r.url())
            .collect();
        assert_eq!(aborts.len(), 1, "{aborts:?}");
        assert!(aborts[0].ends_with("?uploadId=ORPHAN"), "{aborts:?}");
    }

    #[test]
    fn a_completion_that_finds_another_object_fails() {
        let mut t = FakeTransport::with_source(source(11 * MIB as usize));
        md5_parts(&mut t);
        t.answers
            .push_back(Err(TransportError::Connection("reset".into())));
        t.answer(404, &[], NO_SUCH_UPLOAD)
            .answer(200, &[("etag", "\"someone-elses-3\"")], b"");
        let error = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(multipart_options()), &WriteOptions::default())
        })
        .unwrap_err();
        let error = error.into_kind();
        let ErrorKind::UploadIncomplete(failure) = error else {
            panic!("expected an incomplete upload, got {error:?}")
        };
        assert!(matches!(failure.cause.kind(), ErrorKind::Service(e) if e.code == ErrorCode::NoSuchUpload));
    }

    #[test]
    fn a_permanent_failure_aborts_the_upload() {
        let mut t = FakeTransport::with_source(source(11 * MIB as usize));
        t.answer(200, &[], CREATED)
            .answer(403, &[], DENIED)
            .answer(204, &[], b"");
        let error = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(multipart_options()), &WriteOptions::default())
        })
        .unwrap_err();
        let error = error.into_kind();
        let ErrorKind::UploadIncomplete(failure) = error else {
            panic!("expected an incomplete upload, got {error:?}")
        };
        assert!(failure.aborted);
        let abort = t.sent.last().unwrap();
        assert_eq!(abort.method, Method::Delete);
        assert!(abort.url().ends_with("?uploadId=UP1"), "{}", abort.url());
    }

    #[test]
    fn resume_lists_the_parts_held_and_sends_only_the_others() {
        let mut t = FakeTransport::with_source(source(11 * MIB as usize));
        let listing = format!(
            "<ListPartsResult><IsTruncated>false</IsTruncated>\
             <Part><PartNumber>1</PartNumber><ETag>\"p1\"</ETag><Size>{}</Size></Part>\
             <Part><PartNumber>3</PartNumber><ETag>\"old\"</ETag><Size>9</Size></Part>\
             </ListPartsResult>",
            5 * MIB
        );
        t.answer(200, &[], listing.as_bytes())
            .answer(200, &[("etag", "\"p2\"")], b"")
            .answer(200, &[("etag", "\"p3\"")], b"")
            .answer(200, &[], COMPLETED);
        let mut options = multipart_options();
        options.resume_upload_id = Some("UP1".into());
        let out = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(out.parts, 3);
        // Part 1 was held; part 3 had the wrong size and is sent again.
        assert_eq!(
            t.sent_from,
            vec![None, Some((5 * MIB, 5 * MIB)), Some((10 * MIB, MIB)), None]
        );
    }

    #[test]
    fn a_held_part_whose_md5_is_not_the_sources_is_sent_again() {
        let bytes = source(11 * MIB as usize);
        let good = crate::sigv4::hex(&Md5::digest(&bytes[..5 * MIB as usize]));
        let stale = crate::sigv4::hex(&Md5::digest(b"another file"));
        let listing = format!(
            "<ListPartsResult><IsTruncated>false</IsTruncated>\
             <Part><PartNumber>1</PartNumber><ETag>\"{good}\"</ETag><Size>{}</Size></Part>\
             <Part><PartNumber>2</PartNumber><ETag>\"{stale}\"</ETag><Size>{}</Size></Part>\
             </ListPartsResult>",
            5 * MIB,
            5 * MIB
        );
        let mut t = FakeTransport::with_source(bytes);
        t.answer(200, &[], listing.as_bytes())
            .answer(200, &[("etag", "\"p2\"")], b"")
            .answer(200, &[("etag", "\"p3\"")], b"")
            .answer(200, &[], COMPLETED);
        let mut options = multipart_options();
        options.resume_upload_id = Some("UP1".into());
        with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap();
        // Part 1 is the source's and kept; part 2 is another file's and sent again.
        assert_eq!(
            t.sent_from,
            vec![None, Some((5 * MIB, 5 * MIB)), Some((10 * MIB, MIB)), None]
        );
    }

    #[test]
    fn bad_options_are_refused_before_anything_is_sent() {
        let mut t = FakeTransport::with_source(source(10));
        let options = UploadOptions {
            part_size: Some(1),
            ..UploadOptions::default()
        };
        let error = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidInput { field, .. } if field == "part_size"));
        let options = UploadOptions {
            multipart_threshold: Some(10),
            ..UploadOptions::default()
        };
        let error = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(options), &WriteOptions::default())
        })
        .unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidInput { field, .. } if field == "multipart_threshold")
        );
        assert!(t.sent.is_empty());
    }

    #[test]
    fn no_source_is_a_body_error() {
        let mut t = FakeTransport::default();
        let error = with_client(&mut t, Operation::PutObjectFile, |c| {
            run(c, &input(UploadOptions::default()), &WriteOptions::default())
        })
        .unwrap_err();
        assert_eq!(error, Error::body(BodyError::Missing));
    }
}
