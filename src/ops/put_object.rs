//! One PUT of a whole object, for Put Object (Text) and Put Object (File).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>
//!
//! Every upload carries `Content-MD5`, so S3 refuses (400 `BadDigest`) a
//! body changed on the way instead of storing it. Its SHA-256 is signed
//! over plain HTTP only: over HTTPS the payload is `UNSIGNED-PAYLOAD`, as
//! the AWS SDKs send it, since TLS and `Content-MD5` already protect the
//! bytes, and a second pass over the body would only cost time.
//!
//! User metadata goes in `x-amz-meta-<name>` headers, which carry printable
//! ASCII only (see [`validate::metadata`]). Writing the same bytes to the
//! same key twice has the same effect as once, so the request may be
//! retried.

use md5::{Digest as _, Md5};

use crate::client::Client;
use crate::error::{Error, ErrorCode, ErrorKind};
use crate::http::{Body, HttpResponse, Method, OpRequest};
use crate::model::{
    CannedAcl, ObjectRef, PayloadSigning, PutObjectFileInput, PutObjectOutput, PutObjectTextInput,
};
use crate::ops::object::META_PREFIX;
use crate::ops::write_options::WriteOptions;
use crate::sigv4::UNSIGNED_PAYLOAD;
use crate::validate;

/// The mime type of text when none is given.
pub const DEFAULT_TEXT_MIME: &str = "text/plain";

/// The mime type of a file when none is given.
pub const DEFAULT_FILE_MIME: &str = "application/octet-stream";

/// The largest body taken in memory, in the call itself. A body given in
/// JSON is held as the input's text and as the value read from it before
/// it becomes the request's body, so a larger one could exhaust the
/// component's memory: it is refused before it is copied, and goes
/// through a host-held source instead (`put-object-stream`, or the JSON
/// face's `invoke-streamed`), which has no such limit. No other text of an
/// input is taken longer than this either ([`crate::decode`]).
pub const MAX_IN_MEMORY_BODY: usize = 32 * 1024 * 1024;

/// Refuses a body over [`MAX_IN_MEMORY_BODY`], naming the field.
fn check_in_memory(field: &str, len: usize) -> Result<(), Error> {
    if len > MAX_IN_MEMORY_BODY {
        return Err(Error::invalid_input(field, over_memory(len)));
    }
    Ok(())
}

/// What is wrong with a body (or any text of an input) of `len` bytes, over
/// [`MAX_IN_MEMORY_BODY`].
#[cold]
pub fn over_memory(len: usize) -> String {
    format!(
        "is {len} bytes, over the {MAX_IN_MEMORY_BODY} bytes a call takes in memory; \
         send it from a host-held source instead (put-object-stream, or the JSON face's \
         invoke-streamed; the CLI's --file does), which takes objects of any size"
    )
}

/// Builds the request for Put Object (Text): the text as UTF-8, its mime
/// type with `charset=utf-8` added when no charset is given. The text
/// becomes the body as it is, not copied.
pub fn request_text(input: PutObjectTextInput) -> Result<OpRequest, Error> {
    check_in_memory("content", input.content.len())?;
    validate::bucket_name(&input.bucket_name)?;
    validate::object_key("object_path", &input.object_path)?;
    let mime = input.mime_type.as_deref().unwrap_or(DEFAULT_TEXT_MIME);
    validate::mime_type(mime)?;
    let content_type = if validate::mime_parameter(mime, "charset").is_some() {
        mime.trim().to_owned()
    } else {
        // `text/plain;` has an empty parameter: drop it rather than send `;;`.
        format!("{}; charset=utf-8", mime.trim().trim_end_matches([';', ' ']))
    };
    put_request(
        &input.bucket_name,
        &input.object_path,
        &content_type,
        input.content.into(),
        input.acl,
        &input.metadata,
    )
}

/// Builds the request for Put Object (File): the key is `object_path`, or
/// the file name when there is none. The content becomes the body as it
/// is, not copied.
pub fn request_file(input: PutObjectFileInput) -> Result<OpRequest, Error> {
    check_in_memory("content", input.content.len())?;
    validate::bucket_name(&input.bucket_name)?;
    let key = match &input.object_path {
        Some(path) => {
            validate::object_key("object_path", path)?;
            path
        }
        None => {
            validate::object_key("file_name", &input.file_name)?;
            &input.file_name
        }
    };
    let mime = input.mime_type.as_deref().unwrap_or(DEFAULT_FILE_MIME);
    validate::mime_type(mime)?;
    put_request(
        &input.bucket_name,
        key,
        mime.trim(),
        input.content.into(),
        input.acl,
        &input.metadata,
    )
}

/// `PUT /bucket/key` with the body and its headers, after checking the metadata.
fn put_request(
    bucket: &str,
    key: &str,
    content_type: &str,
    body: Body,
    acl: Option<CannedAcl>,
    metadata: &[(String, String)],
) -> Result<OpRequest, Error> {
    let mut request = OpRequest::new(Method::Put, Some(bucket), Some(key));
    request.headers = object_headers(content_type, acl, metadata)?;
    // After the content type, as before the headers were shared.
    request
        .headers
        .insert(1, ("content-md5".to_owned(), content_md5(&body)));
    request.body = body;
    request.idempotent = true;
    Ok(request)
}

/// The headers that describe a new object, after checking the metadata:
/// its content type, canned ACL and `x-amz-meta-*`. A single PUT and the
/// start of a multipart upload carry the same.
pub fn object_headers(
    content_type: &str,
    acl: Option<CannedAcl>,
    metadata: &[(String, String)],
) -> Result<Vec<(String, String)>, Error> {
    validate::metadata(metadata)?;
    let mut headers = Vec::with_capacity(2 + metadata.len());
    headers.push(("content-type".to_owned(), content_type.to_owned()));
    if let Some(acl) = acl {
        headers.push(("x-amz-acl".to_owned(), acl.as_str().to_owned()));
    }
    for (name, value) in metadata {
        headers.push((
            format!("{META_PREFIX}{}", name.to_ascii_lowercase()),
            value.clone(),
        ));
    }
    Ok(headers)
}

/// The `Content-MD5` header value: the body's MD5, Base64 (not hex).
pub fn content_md5(body: &[u8]) -> String {
    crate::base64::encode(&Md5::digest(body))
}

/// Parses a successful answer: the ETag and version id S3 gave the object.
pub fn parse(response: &HttpResponse, key: &str) -> Result<PutObjectOutput, Error> {
    Ok(PutObjectOutput {
        key: key.to_owned(),
        etag: response.header("etag").map(str::to_owned),
        version_id: response.header("x-amz-version-id").map(str::to_owned),
        parts: 0,
    })
}

/// Runs Put Object (Text) with the write's options.
pub fn run_text(
    client: &mut Client<'_>,
    input: PutObjectTextInput,
    write: &WriteOptions,
) -> Result<PutObjectOutput, Error> {
    run(client, request_text(input)?, write)
}

/// Runs Put Object (File) with the write's options.
pub fn run_file(
    client: &mut Client<'_>,
    input: PutObjectFileInput,
    write: &WriteOptions,
) -> Result<PutObjectOutput, Error> {
    run(client, request_file(input)?, write)
}

/// The permission a put's `request` needs: `s3:PutObject`, and
/// `s3:PutObjectAcl` too with a canned ACL.
pub fn put_permission(request: &OpRequest) -> &'static str {
    let has = |header: &str| request.headers.iter().any(|(name, _)| name == header);
    match (has("x-amz-acl"), has("x-amz-tagging")) {
        (true, true) => "s3:PutObject, s3:PutObjectAcl, s3:PutObjectTagging",
        (true, false) => "s3:PutObject, s3:PutObjectAcl",
        (false, true) => "s3:PutObject, s3:PutObjectTagging",
        (false, false) => "s3:PutObject",
    }
}

fn run(
    client: &mut Client<'_>,
    mut request: OpRequest,
    write: &WriteOptions,
) -> Result<PutObjectOutput, Error> {
    write.validate()?;
    request.headers.extend(write.storage_headers());
    request.headers.extend(write.condition_headers());
    if !signs_payload(client, PayloadSigning::Auto) {
        request
            .headers
            .push(("x-amz-content-sha256".to_owned(), UNSIGNED_PAYLOAD.to_owned()));
    }
    let key = request.key.clone().unwrap_or_default();
    match client.send(&request) {
        Ok(response) => parse(&response, &key),
        // A conditional PUT tried again after an answer was lost meets its
        // own first attempt: the object now has these very bytes.
        Err(error)
            if matches!(error.kind(), ErrorKind::Service(e)
                if e.code == ErrorCode::PreconditionFailed && e.attempts > 1)
                && write.is_conditional() =>
        {
            let ours = format!("\"{}\"", hex_md5(&request.body));
            let bucket = request.bucket.clone().unwrap_or_default();
            let head = ObjectRef {
                bucket_name: bucket,
                object_path: key.clone(),
                version_id: None,
            };
            match crate::ops::head_object::run(client, &head) {
                Ok(metadata) if metadata.etag.as_deref() == Some(ours.as_str()) => Ok(PutObjectOutput {
                    key,
                    etag: metadata.etag,
                    version_id: metadata.version_id,
                    parts: 0,
                }),
                _ => Err(error),
            }
        }
        Err(error) => Err(error),
    }
}

/// Whether a PUT's payload hash is signed: `auto` signs over plain HTTP
/// only, where nothing else protects the bytes.
pub fn signs_payload(client: &Client<'_>, signing: PayloadSigning) -> bool {
    match signing {
        PayloadSigning::Signed => true,
        PayloadSigning::Unsigned => false,
        PayloadSigning::Auto => client
            .connection
            .endpoint
            .as_ref()
            .is_some_and(|endpoint| endpoint.scheme == "http"),
    }
}

/// The MD5 of `body` in lower-case hex: a single PUT's ETag.
fn hex_md5(body: &[u8]) -> String {
    crate::sigv4::hex(&Md5::digest(body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{local_connection, with_client, with_client_on, FakeTransport};
    use crate::error::ErrorCode;
    use crate::ops::object::fixtures::response;
    use crate::ops::Operation;

    fn text(key: &str, content: &str) -> PutObjectTextInput {
        PutObjectTextInput {
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            content: content.into(),
            mime_type: None,
            acl: None,
            metadata: Vec::new(),
        }
    }

    fn file(object_path: Option<&str>, file_name: &str, content: &[u8]) -> PutObjectFileInput {
        PutObjectFileInput {
            bucket_name: "my-bucket".into(),
            object_path: object_path.map(str::to_owned),
            file_name: file_name.into(),
            mime_type: None,
            content: content.to_vec(),
            acl: None,
            metadata: Vec::new(),
        }
    }

    fn field_of<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    fn header<'a>(request: &'a OpRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn content_md5_is_base64_of_the_digest() {
        let cases = [
            (&b""[..], "1B2M2Y8AsgTpgAmY7PhCfg=="),
            (b"hello world", "XrY7u+Ae7tCTyyK7j1rNww=="),
            ("été".as_bytes(), "3q9qHpYSpNjCIeaO4j1Y0g=="),
        ];
        for (body, md5) in cases {
            assert_eq!(content_md5(body), md5, "{body:?}");
        }
    }

    #[test]
    fn text_request_is_put_with_utf8_body_md5_and_default_type() {
        let request = request_text(text("notes/hello.txt", "hello world")).unwrap();
        assert_eq!(request.method, Method::Put);
        assert_eq!(request.key.as_deref(), Some("notes/hello.txt"));
        assert_eq!(request.body, b"hello world");
        assert!(request.query.is_empty());
        assert!(request.idempotent);
        assert_eq!(
            request.headers,
            vec![
                ("content-type".to_owned(), "text/plain; charset=utf-8".to_owned()),
                ("content-md5".to_owned(), "XrY7u+Ae7tCTyyK7j1rNww==".to_owned()),
            ]
        );
    }

    #[test]
    fn charset_is_added_only_when_none_is_given() {
        let cases = [
            (None, "text/plain; charset=utf-8"),
            (Some("text/csv"), "text/csv; charset=utf-8"),
            (Some("application/json"), "application/json; charset=utf-8"),
            (Some("text/plain;"), "text/plain; charset=utf-8"),
            (Some("text/html; charset=UTF-8"), "text/html; charset=UTF-8"),
            (Some("text/plain;Charset=us-ascii"), "text/plain;Charset=us-ascii"),
            (
                Some(" text/markdown; variant=GFM "),
                "text/markdown; variant=GFM; charset=utf-8",
            ),
        ];
        for (mime, content_type) in cases {
            let mut input = text("k", "x");
            input.mime_type = mime.map(str::to_owned);
            let request = request_text(input).unwrap();
            assert_eq!(header(&request, "content-type"), Some(content_type), "{mime:?}");
        }
    }

    #[test]
    fn acl_and_metadata_become_headers() {
        let mut input = text("k", "");
        input.acl = Some(CannedAcl::BucketOwnerFullControl);
        input.metadata = vec![
            ("Author".into(), "Jane Doe".into()),
            ("project-id".into(), "42".into()),
        ];
        let request = request_text(input).unwrap();
        assert_eq!(header(&request, "x-amz-acl"), Some("bucket-owner-full-control"));
        assert_eq!(header(&request, "x-amz-meta-author"), Some("Jane Doe"));
        assert_eq!(header(&request, "x-amz-meta-project-id"), Some("42"));
        assert_eq!(header(&request, "content-md5"), Some("1B2M2Y8AsgTpgAmY7PhCfg=="));
    }

    #[test]
    fn file_request_uses_object_path_or_else_file_name() {
        let with_path = request_file(file(Some("in/data.bin"), "data.bin", b"\x00\x01")).unwrap();
        assert_eq!(with_path.key.as_deref(), Some("in/data.bin"));
        let without = request_file(file(None, "report 2024.pdf", b"%PDF")).unwrap();
        assert_eq!(without.key.as_deref(), Some("report 2024.pdf"));
        assert_eq!(without.body, b"%PDF");
        assert_eq!(header(&without, "content-type"), Some("application/octet-stream"));
        assert_eq!(
            header(&without, "content-md5"),
            Some(content_md5(b"%PDF").as_str())
        );
    }

    #[test]
    fn file_mime_type_is_sent_as_given() {
        let mut input = file(None, "a.png", b"png");
        input.mime_type = Some("image/png".into());
        assert_eq!(
            header(&request_file(input).unwrap(), "content-type"),
            Some("image/png")
        );
    }

    #[test]
    fn awkward_keys_are_encoded_once_and_never_normalised() {
        let cases = [
            ("a b", "/my-bucket/a%20b"),
            ("1+1=2", "/my-bucket/1%2B1%3D2"),
            ("50%", "/my-bucket/50%25"),
            ("日本/語", "/my-bucket/%E6%97%A5%E6%9C%AC/%E8%AA%9E"),
            ("a/../b", "/my-bucket/a/../b"),
            ("a//b", "/my-bucket/a//b"),
            ("//", "/my-bucket///"),
        ];
        let connection = local_connection();
        for (key, path) in cases {
            let text_path = connection
                .address(&request_text(text(key, "x")).unwrap(), "us-east-1")
                .path;
            assert_eq!(text_path, path, "text {key:?}");
            let file_path = connection
                .address(&request_file(file(None, key, b"x")).unwrap(), "us-east-1")
                .path;
            assert_eq!(file_path, path, "file {key:?}");
        }
    }

    #[test]
    fn bad_input_names_its_field() {
        let mut bad_mime = text("k", "x");
        bad_mime.mime_type = Some("text/plain\r\nx-amz-acl: public-read".into());
        let mut bad_meta = text("k", "x");
        bad_meta.metadata = vec![("title".into(), "café".into())];
        let mut bad_name = text("k", "x");
        bad_name.metadata = vec![("my title".into(), "x".into())];
        let mut bad_bucket = text("k", "x");
        bad_bucket.bucket_name = "x".into();
        assert_eq!(field_of(request_text(bad_mime)), "mime_type");
        assert_eq!(field_of(request_text(bad_meta)), "metadata");
        assert_eq!(field_of(request_text(bad_name)), "metadata");
        assert_eq!(field_of(request_text(bad_bucket)), "bucket_name");
        assert_eq!(field_of(request_text(text("", "x"))), "object_path");
        assert_eq!(field_of(request_file(file(None, "", b"x"))), "file_name");
        assert_eq!(
            field_of(request_file(file(Some(""), "a.txt", b"x"))),
            "object_path"
        );
        let mut bad_file_mime = file(None, "a", b"x");
        bad_file_mime.mime_type = Some("png".into());
        assert_eq!(field_of(request_file(bad_file_mime)), "mime_type");
    }

    #[test]
    fn non_ascii_metadata_message_says_how_to_fix_it() {
        let mut input = text("k", "x");
        input.metadata = vec![("title".into(), "café".into())];
        match request_text(input).map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { message, .. }) => {
                assert!(
                    message.contains("non-ASCII") && message.contains("encode"),
                    "{message}"
                )
            }
            other => panic!("expected invalid metadata, got {other:?}"),
        }
    }

    /// The largest bodies are held once: the content given becomes the
    /// request's body.
    #[test]
    fn the_content_becomes_the_body_without_a_copy() {
        let input = text("k", "some text");
        let at = input.content.as_ptr();
        assert_eq!(request_text(input).unwrap().body.as_ptr(), at);
        let input = file(None, "a.bin", b"some bytes");
        let at = input.content.as_ptr();
        assert_eq!(request_file(input).unwrap().body.as_ptr(), at);
    }

    #[test]
    fn a_body_too_large_for_memory_is_refused_before_it_is_copied() {
        let mut input = text("k", "");
        input.content = "x".repeat(MAX_IN_MEMORY_BODY + 1);
        let error = request_text(input.clone()).unwrap_err();
        match error.into_kind() {
            ErrorKind::InvalidInput { field, message } => {
                assert_eq!(field, "content");
                assert!(message.contains("33554433 bytes"), "{message}");
                assert!(message.contains("put-object-stream"), "{message}");
            }
            other => panic!("expected invalid content, got {other:?}"),
        }
        input.content.truncate(MAX_IN_MEMORY_BODY);
        assert!(request_text(input).is_ok());
    }

    #[test]
    fn nothing_is_sent_for_bad_input() {
        let mut transport = FakeTransport::default();
        let mut input = text("k", "x");
        input.metadata = vec![("x".into(), "a\nb".into())];
        let result = with_client(&mut transport, Operation::PutObjectText, |c| {
            run_text(c, input, &WriteOptions::default())
        });
        assert_eq!(field_of(result), "metadata");
        assert!(transport.sent.is_empty());
    }

    #[test]
    fn answer_gives_etag_and_version() {
        let answer = response(
            include_str!("../../testdata/headers/put_object_versioned.http"),
            b"",
        );
        let output = parse(&answer, "a b").unwrap();
        assert_eq!(
            output,
            PutObjectOutput {
                key: "a b".into(),
                etag: Some("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"".into()),
                version_id: Some("43jfkodU8493jnFJD9fjj3HHNVfdsQUIFDNsidf038jfdsjGFDSIRp".into()),
                parts: 0,
            }
        );
    }

    #[test]
    fn run_text_sends_signed_put_with_md5() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("ETag", "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")], b"");
        let mut input = text("greetings/hello world.txt", "hello world");
        input.acl = Some(CannedAcl::PublicRead);
        let output = with_client(&mut transport, Operation::PutObjectText, |c| {
            run_text(c, input, &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(output.key, "greetings/hello world.txt");
        assert_eq!(
            output.etag.as_deref(),
            Some("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")
        );
        assert_eq!(output.version_id, None);
        let sent = &transport.sent[0];
        assert_eq!(sent.method, Method::Put);
        assert_eq!(
            sent.url(),
            "http://127.0.0.1:9000/my-bucket/greetings/hello%20world.txt"
        );
        assert_eq!(sent.body, b"hello world");
        assert_eq!(sent.header("content-md5"), Some("XrY7u+Ae7tCTyyK7j1rNww=="));
        assert_eq!(sent.header("x-amz-acl"), Some("public-read"));
        let authorization = sent.header("authorization").unwrap();
        assert!(
            authorization.contains("content-md5;content-type;"),
            "{authorization}"
        );
    }

    #[test]
    fn payload_is_signed_over_plain_http_only_and_md5_always_sent() {
        use crate::connection::{Endpoint, Region};
        let body = "hello world";
        let sha256 = crate::sigv4::sha256_hex(body.as_bytes());
        let cases = [
            (Endpoint::parse("http://127.0.0.1:9000").ok(), sha256.as_str()),
            (
                Endpoint::parse("https://minio.example.com").ok(),
                UNSIGNED_PAYLOAD,
            ),
            // AWS itself, always over HTTPS.
            (None, UNSIGNED_PAYLOAD),
        ];
        for (endpoint, expected) in cases {
            let connection = crate::connection::Connection {
                endpoint,
                region: Region::Named("us-east-1".into()),
                ..local_connection()
            };
            let mut transport = FakeTransport::default();
            transport.answer(200, &[("ETag", "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")], b"");
            with_client_on(&connection, &mut transport, Operation::PutObjectText, |c| {
                run_text(c, text("k", body), &WriteOptions::default())
            })
            .unwrap();
            let sent = &transport.sent[0];
            assert_eq!(
                sent.header("x-amz-content-sha256"),
                Some(expected),
                "{}",
                sent.host
            );
            assert_eq!(sent.header("content-md5"), Some("XrY7u+Ae7tCTyyK7j1rNww=="));
            assert_eq!(sent.body, body.as_bytes());
            let authorization = sent.header("authorization").unwrap();
            assert!(
                authorization.contains("content-md5;content-type;host;x-amz-content-sha256;x-amz-date"),
                "{authorization}"
            );
        }
    }

    #[test]
    fn run_file_returns_the_key_used() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("ETag", "\"e\""), ("x-amz-version-id", "v2")], b"");
        let input = file(None, "photo 1.jpg", b"\xff\xd8\xff");
        let output = with_client(&mut transport, Operation::PutObjectFile, |c| {
            run_file(c, input, &WriteOptions::default())
        })
        .unwrap();
        assert_eq!(output.key, "photo 1.jpg");
        assert_eq!(output.version_id.as_deref(), Some("v2"));
        assert_eq!(transport.sent[0].body, b"\xff\xd8\xff");
    }

    #[test]
    fn put_403_is_access_denied_naming_put_permissions() {
        let mut transport = FakeTransport::default();
        transport.answer(403, &[], b"");
        let input = text("k", "x");
        let result = with_client(&mut transport, Operation::PutObjectText, |c| {
            run_text(c, input, &WriteOptions::default())
        });
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => {
                assert_eq!(error.code, ErrorCode::AccessDenied);
                let permission = error.required_permission.unwrap_or_default();
                assert!(permission.contains("s3:PutObject"), "{permission}");
            }
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }

    fn create_only() -> WriteOptions {
        WriteOptions {
            if_none_match: Some("*".into()),
            ..WriteOptions::default()
        }
    }

    #[test]
    fn a_conditional_put_sends_its_condition_and_storage_options() {
        let mut transport = FakeTransport::default();
        transport.answer(200, &[("ETag", "\"e\"")], b"");
        let write = WriteOptions {
            storage_class: Some(crate::ops::write_options::StorageClass::StandardIa),
            tags: vec![("team".into(), "data".into())],
            ..create_only()
        };
        with_client(&mut transport, Operation::PutObjectText, |c| {
            run_text(c, text("k", "x"), &write)
        })
        .unwrap();
        let sent = &transport.sent[0];
        assert_eq!(sent.header("if-none-match"), Some("*"));
        assert_eq!(sent.header("x-amz-storage-class"), Some("STANDARD_IA"));
        assert_eq!(sent.header("x-amz-tagging"), Some("team=data"));
    }

    #[test]
    fn a_key_that_exists_is_precondition_failed() {
        let mut transport = FakeTransport::default();
        transport.answer(412, &[], b"<Error><Code>PreconditionFailed</Code></Error>");
        let result = with_client(&mut transport, Operation::PutObjectText, |c| {
            run_text(c, text("k", "x"), &create_only())
        });
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::Service(error)) => assert_eq!(error.code, ErrorCode::PreconditionFailed),
            other => panic!("expected precondition-failed, got {other:?}"),
        }
        assert_eq!(transport.sent.len(), 1, "a first refusal is final");
    }

    #[test]
    fn a_retry_that_meets_its_own_write_succeeds() {
        let mut transport = FakeTransport::default();
        // The first attempt's answer is lost; the retry finds the object,
        // and the object holds these bytes (MD5 of "x").
        transport
            .answers
            .push_back(Err(crate::http::TransportError::Connection("reset".into())));
        transport.answer(412, &[], b"<Error><Code>PreconditionFailed</Code></Error>");
        transport.answer(
            200,
            &[
                ("ETag", "\"9dd4e461268c8034f5c8564e155c67a6\""),
                ("Content-Length", "1"),
            ],
            b"",
        );
        let output = with_client(&mut transport, Operation::PutObjectText, |c| {
            run_text(c, text("k", "x"), &create_only())
        })
        .unwrap();
        assert_eq!(
            output.etag.as_deref(),
            Some("\"9dd4e461268c8034f5c8564e155c67a6\"")
        );
    }

    #[test]
    fn a_retry_that_meets_another_writers_object_is_precondition_failed() {
        let mut transport = FakeTransport::default();
        transport
            .answers
            .push_back(Err(crate::http::TransportError::Connection("reset".into())));
        transport.answer(412, &[], b"<Error><Code>PreconditionFailed</Code></Error>");
        transport.answer(200, &[("ETag", "\"0000\""), ("Content-Length", "1")], b"");
        let result = with_client(&mut transport, Operation::PutObjectText, |c| {
            run_text(c, text("k", "x"), &create_only())
        });
        assert!(matches!(
            result.map_err(Error::into_kind),
            Err(ErrorKind::Service(e)) if e.code == ErrorCode::PreconditionFailed
        ));
    }
}
