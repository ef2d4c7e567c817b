//! Get Object's Signed URL: a presigned GET (or PUT) URL for one object.
//! Nothing is sent: the URL is signed locally with the connection's
//! credentials, for the region the bucket is known to be in.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>
//! (the operation it grants: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>)
//!
//! A signed `Range` is a header the fetcher must send as given; it is listed
//! in [`SignedUrl::signed_headers`]. The `response-*` overrides and
//! `versionId` apply to GET only, so they are refused for PUT, as is a range.

use crate::client::Client;
use crate::encode::Encode;
use crate::error::Error;
use crate::http::{Method, OpRequest};
use crate::model::{ByteRange, PresignMethod, SignedUrl, SignedUrlInput};
use crate::ops::get_object::range_header;
use crate::sigv4::presign::presign_url_with_key;
use crate::validate;

/// Builds the request to presign, after checking the input.
pub fn request(input: &SignedUrlInput) -> Result<OpRequest, Error> {
    validate::bucket_name(&input.bucket_name)?;
    validate::object_key("object_path", &input.object_path)?;
    validate::expires_seconds(input.expires_seconds)?;
    let method = input.method.unwrap_or_default();
    let range =
        match (input.range_from, input.range_to) {
            (None, None) => None,
            (None, Some(_)) => return Err(Error::invalid_input(
                "range_to",
                "is given without range-from; give range-from as well (range-from alone reads to the end)",
            )),
            (Some(from), to) => {
                validate::byte_range("range_to", from, to)?;
                Some(ByteRange { from, to })
            }
        };
    if method == PresignMethod::Put {
        let get_only = [
            ("range_from", range.is_some()),
            ("response_content_type", input.response_content_type.is_some()),
            (
                "response_content_disposition",
                input.response_content_disposition.is_some(),
            ),
            ("version_id", input.version_id.is_some()),
        ];
        if let Some((field, _)) = get_only.iter().find(|(_, given)| *given) {
            return Err(Error::invalid_input(
                field,
                "only applies to a GET URL; leave it out for PUT, or ask for a GET URL",
            ));
        }
    }
    let http_method = match method {
        PresignMethod::Get => Method::Get,
        PresignMethod::Put => Method::Put,
    };
    let mut request = OpRequest::new(http_method, Some(&input.bucket_name), Some(&input.object_path));
    // (field, query parameter, value)
    let overrides = [
        (
            "response_content_type",
            "response-content-type",
            &input.response_content_type,
        ),
        (
            "response_content_disposition",
            "response-content-disposition",
            &input.response_content_disposition,
        ),
    ];
    for (field, name, value) in overrides {
        if let Some(value) = value {
            validate::header_text(field, value)?;
            request = request.with_query(name, value);
        }
    }
    if let Some(version_id) = &input.version_id {
        validate::version_id(version_id)?;
        request = request.with_query("versionId", version_id);
    }
    if let Some(range) = &range {
        request = request.with_header("range", &range_header(range));
    }
    Ok(request)
}

/// The object's file name: the last segment of its key. A key ending in
/// `/` (a "folder") is named by the segment before; a key of slashes only
/// is its own name.
pub fn file_name(key: &str) -> &str {
    let trimmed = key.trim_end_matches('/');
    if trimmed.is_empty() {
        return key;
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Runs Get Object's Signed URL. Nothing is sent.
///
/// The URL is signed for the region learnt for this bucket. For a bucket on
/// AWS not seen yet by this instance, one HEAD of the key finds the bucket's
/// region first ([`Client::presign_region`]), whether the region is `auto`
/// or explicit (and maybe wrong); that needs no permission beyond the
/// `s3:GetObject` the URL needs anyway. Custom endpoints need no request.
pub fn run(client: &mut Client<'_>, input: &SignedUrlInput) -> Result<SignedUrl, Error> {
    let request = request(input)?;
    let region = client.presign_region(&input.bucket_name, &input.object_path);
    let http = client.connection.address(&request, &region);
    let context = client.signing_context(&region);
    let key = client.state.signing_key(&context);
    let now = u64::try_from(client.now.unix_timestamp()).unwrap_or(0);
    // Never valid longer than the credentials that sign it.
    let seconds = client
        .connection
        .credentials
        .validity(now, input.expires_seconds)?;
    let url = presign_url_with_key(&http, &context, key, seconds);
    Ok(SignedUrl {
        name: file_name(&input.object_path).to_owned(),
        url,
        expires: now.saturating_add(u64::from(seconds)),
        method: input.method.unwrap_or_default(),
        signed_headers: request.headers,
    })
}

/// The JSON output of Get Object's Signed URL.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignedUrlJson {
    /// The URL and what to send with it.
    pub file: SignedFile,
}

/// A presigned URL as the old connector returned it.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignedFile {
    /// Last segment of the key.
    pub name: String,
    /// The URL.
    pub url: String,
    /// The `response_content_type` asked for.
    pub mime_type: Option<String>,
    /// Unix time at which it expires.
    pub expires: u64,
    /// The method it is signed for.
    pub method: PresignMethod,
    /// Headers the fetcher must send (a signed `range`).
    #[serde(with = "crate::model::pairs_as_object")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, String>")
    )]
    pub signed_headers: Vec<(String, String)>,
}

/// Get Object's Signed URL.
pub struct GetObjectSignedUrl;

impl crate::ops::Op for GetObjectSignedUrl {
    type Input = SignedUrlInput;
    type Output = SignedUrlJson;
    const NAME: &'static str = "get-object-signed-url";
    const TITLE: &'static str = "Get Object's Signed URL";
    const DESCRIPTION: &'static str = "A presigned GET or PUT URL for an object, made even for a key that \
        does not exist yet.";
    const REFERENCE: &'static str =
        "https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html";
    const PERMISSIONS: &'static [&'static str] = &["s3:GetObject", "s3:GetObjectVersion"];
    const IDEMPOTENT: bool = true;
    const EXAMPLE: &'static str =
        r#"{"bucket_name": "my-bucket", "object_path": "reports/2026.csv", "expires_seconds": 900}"#;

    fn permission(request: &OpRequest) -> &'static str {
        crate::ops::versioned(request, "s3:GetObject", "s3:GetObjectVersion")
    }

    fn run(call: &mut crate::ops::Invocation<'_, '_>, input: Self::Input) -> Result<Self::Output, Error> {
        let signed = run(call.client, &input)?;
        Ok(SignedUrlJson {
            file: SignedFile {
                name: signed.name,
                url: signed.url,
                mime_type: input.response_content_type,
                expires: signed.expires,
                method: signed.method,
                signed_headers: signed.signed_headers,
            },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::fake::{local_connection, with_client, FakeTransport};
    use crate::error::ErrorKind;
    use crate::ops::Operation;

    fn input(key: &str) -> SignedUrlInput {
        SignedUrlInput {
            bucket_name: "my-bucket".into(),
            object_path: key.into(),
            expires_seconds: 3600,
            range_from: None,
            range_to: None,
            method: None,
            response_content_type: None,
            response_content_disposition: None,
            version_id: None,
        }
    }

    fn field_of<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn file_name_is_the_last_segment() {
        let cases = [
            ("report.pdf", "report.pdf"),
            ("a/b/report.pdf", "report.pdf"),
            ("folder/", "folder"),
            ("a/b/", "b"),
            ("a/b//", "b"),
            ("/", "/"),
            ("//", "//"),
            ("/x", "x"),
            ("été/ü ß.txt", "ü ß.txt"),
        ];
        for (key, name) in cases {
            assert_eq!(file_name(key), name, "{key:?}");
        }
    }

    #[test]
    fn get_request_has_overrides_version_and_range() {
        let mut get = input("k");
        get.range_from = Some(0);
        get.range_to = Some(9);
        get.response_content_type = Some("application/pdf".into());
        get.response_content_disposition = Some("attachment; filename=\"r.pdf\"".into());
        get.version_id = Some("v1".into());
        let request = request(&get).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(
            request.query,
            vec![
                ("response-content-type".to_owned(), "application/pdf".to_owned()),
                (
                    "response-content-disposition".to_owned(),
                    "attachment; filename=\"r.pdf\"".to_owned()
                ),
                ("versionId".to_owned(), "v1".to_owned()),
            ]
        );
        assert_eq!(
            request.headers,
            vec![("range".to_owned(), "bytes=0-9".to_owned())]
        );
        assert!(request.body.is_empty());
    }

    #[test]
    fn open_range_reads_to_the_end() {
        let mut get = input("k");
        get.range_from = Some(100);
        assert_eq!(
            request(&get).unwrap().headers,
            vec![("range".to_owned(), "bytes=100-".to_owned())]
        );
    }

    #[test]
    fn put_request_is_bare() {
        let mut put = input("k");
        put.method = Some(PresignMethod::Put);
        let request = request(&put).unwrap();
        assert_eq!(request.method, Method::Put);
        assert!(request.query.is_empty());
        assert!(request.headers.is_empty());
    }

    #[test]
    fn bad_input_names_its_field() {
        let mut cases: Vec<(SignedUrlInput, &str)> = Vec::new();
        let mut bad = input("k");
        bad.bucket_name = "Bad Bucket".into();
        cases.push((bad, "bucket_name"));
        cases.push((input(""), "object_path"));
        for seconds in [0, 604_801] {
            let mut bad = input("k");
            bad.expires_seconds = seconds;
            cases.push((bad, "expires_seconds"));
        }
        let mut bad = input("k");
        bad.range_to = Some(9);
        cases.push((bad, "range_to"));
        let mut bad = input("k");
        bad.range_from = Some(10);
        bad.range_to = Some(9);
        cases.push((bad, "range_to"));
        let mut bad = input("k");
        bad.version_id = Some(String::new());
        cases.push((bad, "version_id"));
        let mut bad = input("k");
        bad.response_content_disposition = Some("inline\r\nSet-Cookie: x".into());
        cases.push((bad, "response_content_disposition"));
        let put_only = |f: fn(&mut SignedUrlInput)| {
            let mut bad = input("k");
            bad.method = Some(PresignMethod::Put);
            f(&mut bad);
            bad
        };
        cases.push((put_only(|i| i.range_from = Some(0)), "range_from"));
        cases.push((
            put_only(|i| i.response_content_type = Some("text/plain".into())),
            "response_content_type",
        ));
        cases.push((put_only(|i| i.version_id = Some("v".into())), "version_id"));
        for (bad, field) in cases {
            assert_eq!(field_of(request(&bad)), field, "{bad:?}");
            let mut transport = FakeTransport::default();
            let result = with_client(&mut transport, Operation::GetObjectSignedUrl, |c| run(c, &bad));
            assert_eq!(field_of(result), field, "{bad:?}");
        }
    }

    #[test]
    fn awkward_keys_are_encoded_once_in_the_address() {
        let cases = [
            ("a b", "/my-bucket/a%20b"),
            ("a+b", "/my-bucket/a%2Bb"),
            ("100%", "/my-bucket/100%25"),
            ("é", "/my-bucket/%C3%A9"),
            ("a/../b", "/my-bucket/a/../b"),
            ("//", "/my-bucket///"),
        ];
        for (key, path) in cases {
            let http = local_connection().address(&request(&input(key)).unwrap(), "us-east-1");
            assert_eq!(http.path, path, "{key:?}");
        }
    }

    #[test]
    fn run_signs_locally_and_sends_nothing() {
        let mut transport = FakeTransport::default();
        let mut get = input("reports/Q1 2024+final.pdf");
        get.range_from = Some(0);
        get.range_to = Some(9);
        get.response_content_disposition = Some("attachment; filename=\"q1.pdf\"".into());
        let signed = with_client(&mut transport, Operation::GetObjectSignedUrl, |c| run(c, &get)).unwrap();
        assert!(transport.sent.is_empty(), "a presigned URL needs no network");
        assert_eq!(signed.name, "Q1 2024+final.pdf");
        assert_eq!(signed.method, PresignMethod::Get);
        // 2013-05-24T00:00:00Z is 1369353600.
        assert_eq!(signed.expires, 1_369_353_600 + 3600);
        assert_eq!(
            signed.signed_headers,
            vec![("range".to_owned(), "bytes=0-9".to_owned())]
        );
        let url = &signed.url;
        assert!(
            url.starts_with("http://127.0.0.1:9000/my-bucket/reports/Q1%202024%2Bfinal.pdf?"),
            "{url}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request",
            "X-Amz-Date=20130524T000000Z",
            "X-Amz-Expires=3600",
            "X-Amz-SignedHeaders=host%3Brange",
            "X-Amz-Signature=",
            "response-content-disposition=attachment%3B%20filename%3D%22q1.pdf%22",
        ] {
            assert!(url.contains(part), "{part} missing from {url}");
        }
        assert!(!url.contains("wJalrXUtnFEMI"), "the secret must not leak: {url}");
    }

    /// Runs with temporary credentials that expire at `expires_at`.
    fn run_expiring(expires_at: u64, input: &SignedUrlInput) -> Result<SignedUrl, Error> {
        let mut connection = crate::client::fake::local_connection();
        connection.credentials = connection.credentials.clone().expiring(Some(expires_at));
        let mut transport = FakeTransport::default();
        crate::client::fake::with_client_on(&connection, &mut transport, Operation::GetObjectSignedUrl, |c| {
            run(c, input)
        })
    }

    #[test]
    fn a_url_never_outlives_its_credentials() {
        // 2013-05-24T00:00:00Z is 1369353600; the credentials live 10 more minutes.
        let signed = run_expiring(1_369_353_600 + 600, &input("k")).unwrap();
        assert_eq!(signed.expires, 1_369_353_600 + 600);
        assert!(signed.url.contains("X-Amz-Expires=600&"), "{}", signed.url);
        // Credentials that outlive the URL leave it as asked.
        let signed = run_expiring(1_369_353_600 + 86_400, &input("k")).unwrap();
        assert_eq!(signed.expires, 1_369_353_600 + 3600);
    }

    #[test]
    fn expired_credentials_sign_nothing() {
        match run_expiring(1_369_353_600, &input("k")).map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, .. }) => assert_eq!(field, "credentials_expire"),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn put_url_is_signed_for_put() {
        let mut transport = FakeTransport::default();
        let mut put = input("uploads/");
        put.method = Some(PresignMethod::Put);
        put.expires_seconds = 604_800;
        let signed = with_client(&mut transport, Operation::GetObjectSignedUrl, |c| run(c, &put)).unwrap();
        assert_eq!(signed.method, PresignMethod::Put);
        assert_eq!(signed.name, "uploads");
        assert!(signed.signed_headers.is_empty());
        assert!(signed.url.contains("X-Amz-Expires=604800"), "{}", signed.url);
        assert!(signed.url.contains("X-Amz-SignedHeaders=host&"), "{}", signed.url);
        // The same input at the same time gives the same URL; PUT and GET differ.
        let mut get = put.clone();
        get.method = None;
        let get_url = with_client(&mut transport, Operation::GetObjectSignedUrl, |c| run(c, &get))
            .unwrap()
            .url;
        assert_ne!(get_url, signed.url);
        let again = with_client(&mut transport, Operation::GetObjectSignedUrl, |c| run(c, &put)).unwrap();
        assert_eq!(again, signed);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod region_tests {
    use super::*;
    use crate::client::fake::{example_time, FakeTransport};
    use crate::client::InstanceState;
    use crate::connection::{Connection, Credentials, Region};
    use crate::ops::Operation;

    fn run_auto(transport: &mut FakeTransport, state: &mut InstanceState) -> SignedUrl {
        let connection = Connection {
            credentials: Credentials::new("AKIDEXAMPLE", "secret", None),
            region: Region::Auto,
            endpoint: None,
            path_style: false,
        };
        let mut client = Client {
            connection: &connection,
            transport,
            state,
            now: example_time(),
            operation: Operation::GetObjectSignedUrl,
        };
        let input = SignedUrlInput {
            bucket_name: "far-bucket".into(),
            object_path: "a.txt".into(),
            expires_seconds: 60,
            range_from: None,
            range_to: None,
            method: None,
            response_content_type: None,
            response_content_disposition: None,
            version_id: None,
        };
        run(&mut client, &input).unwrap()
    }

    #[test]
    fn auto_region_url_is_signed_for_the_buckets_region() {
        let mut transport = FakeTransport::default();
        transport
            .answer(301, &[("x-amz-bucket-region", "eu-west-1")], b"")
            .answer(404, &[], b"");
        let mut state = InstanceState::default();
        let url = run_auto(&mut transport, &mut state).url;
        assert!(
            url.starts_with("https://far-bucket.s3.eu-west-1.amazonaws.com/a.txt?"),
            "{url}"
        );
        assert!(url.contains("%2Feu-west-1%2Fs3%2Faws4_request"), "{url}");
        assert_eq!(
            transport.sent.len(),
            2,
            "one probe, then the probe re-sent to eu-west-1"
        );
        // The region is remembered: the next URL needs no request.
        let again = run_auto(&mut transport, &mut state).url;
        assert!(again.contains("eu-west-1"));
        assert_eq!(transport.sent.len(), 2);
    }

    #[test]
    fn failed_probe_still_gives_a_url() {
        let mut transport = FakeTransport::default();
        let url = run_auto(&mut transport, &mut InstanceState::default()).url;
        assert!(url.contains("us-east-1"), "{url}");
    }
}
