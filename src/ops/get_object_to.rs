//! Get Object into the call's host-held sink, of any size, resuming a body
//! cut short.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>
//!
//! The bytes go from the network to the sink in the host
//! (`Exchange::IntoSink`, `send_into_each`); the component only counts
//! them. A whole object comes in ranges read in parallel, each written at
//! its place in the sink; a range (or a body) that breaks off is asked for
//! again from the byte where it stopped. Every request after the first is
//! pinned with `If-Match: <first ETag>`: an object overwritten in between
//! answers 412 and is refused, never stitched onto the bytes of the old
//! one. On any failure the sink is cut back to what it held before the
//! call, so that no half-written object is left in it.

use crate::client::{Client, Exchange};
use crate::error::{Error, ErrorCode, ErrorKind};
use crate::http::{HttpResponse, OpRequest, TransportError};
use crate::model::{GetObjectInput, ObjectMetadata};
use crate::ops::get_object;
use crate::ops::object::parse_metadata;

/// How many times a body that broke off is resumed before giving up.
pub const MAX_RESUMES: u32 = 8;

/// The size of the ranges a whole object is read in, the first one alone.
pub const RANGE_SIZE: u64 = 8 * 1024 * 1024;

/// How many ranges are handed to the host in one `send-into-each`. The
/// host decides how many it reads at once (this project's: ten, each worker
/// taking the next range as soon as its own is done); handing it more than
/// that keeps its connections busy instead of waiting at the end of each
/// batch for the slowest range. The call's deadline moves on with each
/// range completed, so a batch may take as long as it progresses.
pub const RANGES_PER_CALL: usize = 40;

/// Runs Get Object into the sink; the metadata is the first answer's.
///
/// A whole object is read as ranges of [`RANGE_SIZE`]: the first alone (an
/// object that fits in it costs one request), the rest [`RANGES_PER_CALL`]
/// at a time, each written at its place in the sink and pinned with
/// `If-Match` on the first answer's ETag. A range the input asks for is
/// read in one request.
pub fn run(client: &mut Client<'_>, input: &GetObjectInput) -> Result<ObjectMetadata, Error> {
    let request = get_object::request(input)?;
    let base = client.transport.sink_written().map_err(Error::body)?;
    let result = if input.range.is_some() {
        download(client, input, &request, base)
    } else {
        download_in_ranges(client, input, &request, base)
    };
    if result.is_err() {
        // Best effort: the error that stopped the download is the one to report.
        let _ = client.transport.truncate_sink(base);
    }
    result
}

fn download(
    client: &mut Client<'_>,
    input: &GetObjectInput,
    request: &OpRequest,
    base: u64,
) -> Result<ObjectMetadata, Error> {
    let response = client.exchange(request, Exchange::IntoSink)?;
    finish(client, input, request, base, &response)
}

/// Completes a download whose first answer is `response`, resuming a body
/// cut short from where it broke off.
fn finish(
    client: &mut Client<'_>,
    input: &GetObjectInput,
    request: &OpRequest,
    base: u64,
    response: &HttpResponse,
) -> Result<ObjectMetadata, Error> {
    let metadata = parse_metadata(response)?;
    let total = metadata.content_length;
    let encoded = response
        .header("content-encoding")
        .is_some_and(|coding| !coding.trim().eq_ignore_ascii_case("identity"));
    if response.header("content-length").is_none() || encoded {
        // Without a plain length there is nothing to resume against: the
        // body is taken as it came, as the in-memory Get Object does.
        return Ok(metadata);
    }
    let first = input.range.map_or(0, |range| range.from);
    let mut resumes = 0;
    loop {
        let got = client.transport.sink_written().map_err(Error::body)? - base;
        client.transport.progress(got, Some(total));
        if got == total {
            return Ok(metadata);
        }
        if got > total {
            return Err(Error::invalid_response(format!(
                "the body is {got} bytes but Content-Length says {total}"
            )));
        }
        if resumes == MAX_RESUMES {
            return Err(Error::transport(
                TransportError::Connection(format!(
                    "the download broke off after {got} of {total} bytes, {MAX_RESUMES} times resumed"
                )),
                resumes + 1,
            ));
        }
        let Some(etag) = metadata.etag.as_deref() else {
            return Err(Error::invalid_response(format!(
                "the download broke off after {got} of {total} bytes, and S3 gave no ETag to \
                 resume it safely with"
            )));
        };
        resumes += 1;
        let mut resume = request.clone();
        resume.headers.retain(|(name, _)| name != "range");
        let resume = resume
            .with_header("range", &format!("bytes={}-{}", first + got, first + total - 1))
            .with_header("if-match", etag);
        let answer = match client.exchange(&resume, Exchange::IntoSink) {
            Ok(answer) => answer,
            Err(mut error) => {
                if let ErrorKind::Service(service) = error.kind_mut() {
                    if service.code == ErrorCode::PreconditionFailed {
                        service.message = changed(etag, got);
                    }
                }
                return Err(error);
            }
        };
        if answer.status != 206 {
            return Err(Error::invalid_response(format!(
                "asked for the rest of the object from byte {}, the server answered {} instead \
                 of 206 Partial Content",
                first + got,
                answer.status
            )));
        }
    }
}

/// A whole object, as ranges read in parallel into their places.
fn download_in_ranges(
    client: &mut Client<'_>,
    input: &GetObjectInput,
    request: &OpRequest,
    base: u64,
) -> Result<ObjectMetadata, Error> {
    let first = request
        .clone()
        .with_header("range", &format!("bytes=0-{}", RANGE_SIZE - 1));
    let response = match client.exchange(&first, Exchange::IntoSink) {
        // An empty object has no byte 0: it is read whole.
        Err(error) if matches!(error.kind(), ErrorKind::Service(e) if e.status == 416) => {
            return download(client, input, request, base)
        }
        other => other?,
    };
    let Some(total) = response.header("content-range").and_then(range_total) else {
        // A server that ignored the range sent the whole object.
        return finish(client, input, request, base, &response);
    };
    let mut metadata = parse_metadata(&response)?;
    metadata.content_length = total;
    metadata.content_range = None;
    let Some(etag) = metadata.etag.clone() else {
        return Err(Error::invalid_response(
            "S3 gave no ETag, so the ranges of the object could not be pinned to one version of it",
        ));
    };
    let first_end = RANGE_SIZE.min(total);
    let got = client.transport.sink_written().map_err(Error::body)? - base;
    // Ranges still to read, as (start, end exclusive, resumes so far).
    let mut pending: std::collections::VecDeque<(u64, u64, u32)> = std::collections::VecDeque::new();
    if got < first_end {
        pending.push_back((got, first_end, 1));
    }
    let mut start = first_end;
    while start < total {
        let end = (start + RANGE_SIZE).min(total);
        pending.push_back((start, end, 0));
        start = end;
    }
    let mut done = total - pending.iter().map(|(s, e, _)| e - s).sum::<u64>();
    client.transport.progress(done, Some(total));
    while !pending.is_empty() {
        let window: Vec<(u64, u64, u32)> = pending.drain(..pending.len().min(RANGES_PER_CALL)).collect();
        let requests: Vec<OpRequest> = window
            .iter()
            .map(|(start, end, _)| {
                let mut ranged = request.clone();
                ranged.headers.retain(|(name, _)| name != "range");
                ranged
                    .with_header("range", &format!("bytes={start}-{}", end - 1))
                    .with_header("if-match", &etag)
            })
            .collect();
        let placed: Vec<(&OpRequest, u64)> = requests
            .iter()
            .zip(&window)
            .map(|(r, (start, _, _))| (r, base + start))
            .collect();
        let answers = client.send_into_each(&placed);
        for (((start, end, resumes), request), answer) in window.into_iter().zip(&requests).zip(answers) {
            let received = match answer {
                Ok((response, received)) if response.status == 206 => received,
                Ok((response, _)) if response.is_success() => {
                    return Err(Error::invalid_response(format!(
                        "asked for bytes {start}-{} of the object, the server answered {} instead of \
                         206 Partial Content",
                        end - 1,
                        response.status
                    )));
                }
                Ok((response, _)) => {
                    let mut error = client.service_error(request, &response, resumes + 1);
                    if error.code == ErrorCode::PreconditionFailed {
                        error.message = changed(&etag, done);
                        return Err(Error::service(error));
                    }
                    let may_pass = error.code.is_retryable() || error.status >= 500;
                    if !may_pass || resumes >= MAX_RESUMES {
                        return Err(Error::service(error));
                    }
                    0
                }
                Err(error) if resumes >= MAX_RESUMES || !error.is_retryable() => {
                    return Err(Error::transport(error, resumes + 1));
                }
                Err(_) => 0,
            };
            done += received.min(end - start);
            if start + received < end {
                if received == 0 {
                    // Nothing came: wait a little before asking again.
                    client
                        .transport
                        .pause(std::time::Duration::from_millis(100 * u64::from(resumes + 1)));
                }
                if resumes >= MAX_RESUMES {
                    return Err(Error::transport(
                        TransportError::Connection(format!(
                            "bytes {start}-{} of the object broke off {MAX_RESUMES} times",
                            end - 1
                        )),
                        resumes + 1,
                    ));
                }
                pending.push_back((start + received, end, resumes + 1));
            }
        }
        client.transport.progress(done, Some(total));
    }
    Ok(metadata)
}

/// The total size in a `Content-Range` answer: `bytes 0-9/443` is 443.
fn range_total(content_range: &str) -> Option<u64> {
    content_range
        .trim()
        .strip_prefix("bytes ")?
        .split_once('/')?
        .1
        .trim()
        .parse()
        .ok()
}

/// The message of a download refused because the object changed.
fn changed(etag: &str, got: u64) -> String {
    format!(
        "the object changed during the download (its ETag is no longer {etag}): the {got} bytes \
         received were dropped rather than stitched to the new object"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{with_client, FakeTransport};
    use crate::model::ByteRange;
    use crate::ops::Operation;

    fn input(range: Option<ByteRange>) -> GetObjectInput {
        GetObjectInput {
            bucket_name: "bucket".into(),
            object_path: "k".into(),
            version_id: None,
            range,
        }
    }

    const BODY: &[u8] = b"0123456789abcdefghij";

    #[test]
    fn whole_body_goes_to_the_sink() {
        let mut t = FakeTransport::with_sink();
        t.answer(200, &[("content-length", "20"), ("etag", "\"e\"")], BODY);
        let metadata = with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap();
        assert_eq!(metadata.content_length, 20);
        assert_eq!(t.sink.as_deref(), Some(BODY));
        assert_eq!(t.sent.len(), 1);
    }

    #[test]
    fn a_cut_body_is_resumed_by_range_pinned_to_the_etag() {
        let mut t = FakeTransport::with_sink();
        t.answer(200, &[("content-length", "20"), ("etag", "\"e\"")], &BODY[..7])
            .answer(206, &[("content-length", "13")], &BODY[7..12])
            .answer(206, &[("content-length", "8")], &BODY[12..]);
        with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap();
        assert_eq!(t.sink.as_deref(), Some(BODY));
        assert_eq!(t.sent[1].header("range"), Some("bytes=7-19"));
        assert_eq!(t.sent[1].header("if-match"), Some("\"e\""));
        assert_eq!(t.sent[2].header("range"), Some("bytes=12-19"));
    }

    #[test]
    fn a_ranged_download_resumes_inside_its_range() {
        let mut t = FakeTransport::with_sink();
        t.answer(206, &[("content-length", "10"), ("etag", "\"e\"")], &BODY[5..8])
            .answer(206, &[("content-length", "7")], &BODY[8..15]);
        let range = ByteRange {
            from: 5,
            to: Some(14),
        };
        with_client(&mut t, Operation::GetObject, |c| run(c, &input(Some(range)))).unwrap();
        assert_eq!(t.sink.as_deref(), Some(&BODY[5..15]));
        assert_eq!(t.sent[1].header("range"), Some("bytes=8-14"));
        assert_eq!(t.sent[1].headers.iter().filter(|(n, _)| n == "range").count(), 1);
    }

    #[test]
    fn an_object_overwritten_meanwhile_is_refused_and_the_sink_emptied() {
        let mut t = FakeTransport::with_sink();
        t.answer(200, &[("content-length", "20"), ("etag", "\"e\"")], &BODY[..7])
            .answer(
                412,
                &[],
                b"<Error><Code>PreconditionFailed</Code><Message>no</Message></Error>",
            );
        let error = with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap_err();
        match error.into_kind() {
            ErrorKind::Service(e) => {
                assert_eq!(e.code, ErrorCode::PreconditionFailed);
                assert!(e.message.contains("changed during the download"), "{}", e.message);
            }
            other => panic!("expected precondition-failed, got {other:?}"),
        }
        assert_eq!(t.sink.as_deref(), Some(&b""[..]));
    }

    #[test]
    fn a_body_that_keeps_breaking_ends_in_a_typed_error() {
        let mut t = FakeTransport::with_sink();
        t.answer(200, &[("content-length", "20"), ("etag", "\"e\"")], b"");
        for _ in 0..MAX_RESUMES {
            t.answer(206, &[], b"");
        }
        let error = with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::Transport { .. }), "{error:?}");
        assert_eq!(t.sent.len() as u32, MAX_RESUMES + 1);
    }

    #[test]
    fn a_server_that_ignores_the_range_is_refused() {
        let mut t = FakeTransport::with_sink();
        t.answer(200, &[("content-length", "20"), ("etag", "\"e\"")], &BODY[..7])
            .answer(200, &[("content-length", "20")], BODY);
        let error = with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidResponse(_)), "{error:?}");
        assert_eq!(t.sink.as_deref(), Some(&b""[..]));
    }

    fn big(size: usize) -> Vec<u8> {
        (0..size).map(|i| (i % 253) as u8).collect()
    }

    fn partial(bytes: &[u8], start: usize, end: usize, total: usize) -> (String, String, Vec<u8>) {
        (
            format!("bytes {start}-{}/{total}", end - 1),
            (end - start).to_string(),
            bytes[start..end].to_vec(),
        )
    }

    #[test]
    fn a_large_object_comes_in_ranges_written_in_place_and_a_cut_range_is_resumed() {
        const M: usize = RANGE_SIZE as usize;
        let total = 2 * M + 5;
        let bytes = big(total);
        let mut t = FakeTransport::with_sink();
        let (cr, cl, body) = partial(&bytes, 0, M, total);
        t.answer(
            206,
            &[("content-range", &cr), ("content-length", &cl), ("etag", "\"e\"")],
            &body,
        );
        // The window of the two other ranges: the second is cut after 2 bytes.
        let (cr, cl, body) = partial(&bytes, M, 2 * M, total);
        t.answer(206, &[("content-range", &cr), ("content-length", &cl)], &body);
        let (cr, cl, _) = partial(&bytes, 2 * M, total, total);
        t.answer(
            206,
            &[("content-range", &cr), ("content-length", &cl)],
            &bytes[2 * M..2 * M + 2],
        );
        let (cr, cl, body) = partial(&bytes, 2 * M + 2, total, total);
        t.answer(206, &[("content-range", &cr), ("content-length", &cl)], &body);
        let metadata = with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap();
        assert_eq!(metadata.content_length, total as u64);
        assert_eq!(metadata.content_range, None);
        assert!(
            t.sink.as_deref() == Some(&bytes[..]),
            "the bytes in the sink differ"
        );
        let ranges: Vec<&str> = t.sent.iter().map(|r| r.header("range").unwrap()).collect();
        assert_eq!(
            ranges,
            [
                format!("bytes=0-{}", M - 1),
                format!("bytes={M}-{}", 2 * M - 1),
                format!("bytes={}-{}", 2 * M, total - 1),
                format!("bytes={}-{}", 2 * M + 2, total - 1),
            ]
        );
        assert!(t.sent[1..].iter().all(|r| r.header("if-match") == Some("\"e\"")));
        assert_eq!(t.progress.last(), Some(&(total as u64, Some(total as u64))));
    }

    #[test]
    fn a_range_refused_by_if_match_fails_the_download_and_empties_the_sink() {
        const M: usize = RANGE_SIZE as usize;
        let total = M + 10;
        let bytes = big(total);
        let mut t = FakeTransport::with_sink();
        let (cr, cl, body) = partial(&bytes, 0, M, total);
        t.answer(
            206,
            &[("content-range", &cr), ("content-length", &cl), ("etag", "\"e\"")],
            &body,
        );
        t.answer(
            412,
            &[],
            b"<Error><Code>PreconditionFailed</Code><Message>no</Message></Error>",
        );
        let error = with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Service(e) if e.code == ErrorCode::PreconditionFailed
                && e.message.contains("changed during the download")),
            "{error:?}"
        );
        assert_eq!(t.sink.as_deref(), Some(&b""[..]));
    }

    #[test]
    fn an_empty_object_is_read_whole_after_its_range_is_refused() {
        let mut t = FakeTransport::with_sink();
        t.answer(
            416,
            &[],
            b"<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>",
        )
        .answer(200, &[("content-length", "0"), ("etag", "\"d41d8cd98f00b204e9800998ecf8427e\"")], b"");
        let metadata = with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap();
        assert_eq!(metadata.content_length, 0);
        assert_eq!(t.sent[1].header("range"), None);
    }

    #[test]
    fn content_range_totals() {
        assert_eq!(range_total("bytes 0-9/443"), Some(443));
        assert_eq!(range_total("bytes 0-9/*"), None);
        assert_eq!(range_total("items 0-9/443"), None);
    }
}
