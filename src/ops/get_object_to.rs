//! Get Object into the call's host-held sink, of any size, resuming a body
//! cut short.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>
//!
//! The bytes go from the network to the sink in the host
//! (`Exchange::IntoSink`); the component only compares what the sink holds
//! with `Content-Length`. When a body breaks off, the rest is asked for with
//! `Range: bytes=<next>-<last>` and `If-Match: <first ETag>`: an object
//! overwritten in between answers 412 and is refused, never stitched onto
//! the bytes of the old one. On any failure the sink is cut back to what it
//! held before the call, so that no half-written object is left in it.

use crate::client::{Client, Exchange};
use crate::error::{Error, ErrorCode};
use crate::http::{OpRequest, TransportError};
use crate::model::{GetObjectInput, ObjectMetadata};
use crate::ops::get_object;
use crate::ops::head_object::parse_metadata;

/// How many times a body that broke off is resumed before giving up.
pub const MAX_RESUMES: u32 = 8;

/// Runs Get Object into the sink; the metadata is the first answer's.
pub fn run(client: &mut Client<'_>, input: &GetObjectInput) -> Result<ObjectMetadata, Error> {
    let request = get_object::request(input)?;
    let base = client.transport.sink_written().map_err(Error::Body)?;
    let result = download(client, input, &request, base);
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
    let metadata = parse_metadata(&response)?;
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
        let got = client.transport.sink_written().map_err(Error::Body)? - base;
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
            return Err(Error::Transport {
                error: TransportError::Connection(format!(
                    "the download broke off after {got} of {total} bytes, {MAX_RESUMES} times resumed"
                )),
                attempts: resumes + 1,
            });
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
            Err(Error::Service(mut error)) if error.code == ErrorCode::PreconditionFailed => {
                error.message = format!(
                    "the object changed during the download (its ETag is no longer {etag}): the \
                     {got} bytes received were dropped rather than stitched to the new object"
                );
                return Err(Error::Service(error));
            }
            Err(error) => return Err(error),
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
        match error {
            Error::Service(e) => {
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
        assert!(matches!(error, Error::Transport { .. }), "{error:?}");
        assert_eq!(t.sent.len() as u32, MAX_RESUMES + 1);
    }

    #[test]
    fn a_server_that_ignores_the_range_is_refused() {
        let mut t = FakeTransport::with_sink();
        t.answer(200, &[("content-length", "20"), ("etag", "\"e\"")], &BODY[..7])
            .answer(200, &[("content-length", "20")], BODY);
        let error = with_client(&mut t, Operation::GetObject, |c| run(c, &input(None))).unwrap_err();
        assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}");
        assert_eq!(t.sink.as_deref(), Some(&b""[..]));
    }
}
