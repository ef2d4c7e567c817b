//! Response parsing helpers and S3's `<Error>` body.
//!
//! Responses are read with quick-xml's event [`Reader`] rather than serde: a
//! 1000-key listing page is parsed in one pass without building a tree, and
//! every step that can fail says what it expected. [`walk`] drives the reader
//! and hands each element to a [`Visitor`] with its [`Path`] below the root;
//! each operation's visitor keeps only the elements it knows, so unknown
//! elements are skipped.
//!
//! The walk is a loop over a stack of element names (never recursion over
//! the input's depth), refuses document type declarations (the only place an
//! entity can be declared, hence no entity expansion), and resolves only the
//! five predefined entities and character references.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::reader::Reader;

use crate::error::{Error, ErrorCode, ServiceError};
use crate::http::HttpResponse;

/// How deeply elements may nest below the root. S3's documents nest four
/// levels at most; anything far deeper is not an S3 answer.
pub const MAX_DEPTH: usize = 32;

/// How many elements one document may hold. S3's largest answers (a page
/// of 1000 keys or versions, 10,000 buckets) hold well under 100,000; a
/// document with more is refused before it is kept in memory (a "page" of a
/// million entries would otherwise exhaust the component's memory).
pub const MAX_ELEMENTS: usize = 100_000;

/// The longest text one element may hold. The longest S3 sends is a key
/// (1024 bytes) or a continuation token; a longer text is not an S3 answer.
pub const MAX_TEXT: usize = 64 * 1024;

/// The fields of an S3 `<Error>` body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `<Code>`
    pub code: String,
    /// `<Message>`
    pub message: String,
    /// `<RequestId>`
    pub request_id: Option<String>,
    /// `<Resource>`
    pub resource: Option<String>,
    /// `<Region>` (AuthorizationHeaderMalformed, PermanentRedirect)
    pub region: Option<String>,
}

/// Whether a body is an S3 `<Error>` document (S3 can answer 200 with one,
/// e.g. CopyObject or CompleteMultipartUpload failing after the headers
/// were sent).
///
/// A cheap look at the root element's name only: a byte order mark, the XML
/// declaration, comments and whitespace before it are skipped.
pub fn is_error_body(body: &[u8]) -> bool {
    root_name(body).is_some_and(|name| local_part(name) == b"Error")
}

/// Parses an `<Error>` body; `None` when the body is empty or not one.
///
/// Missing fields are left empty. A body cut short still gives the fields
/// read before the cut: an error is better reported with a partial message
/// than as "could not parse".
pub fn parse_error_body(body: &[u8]) -> Option<ErrorBody> {
    if !is_error_body(body) {
        return None;
    }
    let mut visitor = ErrorBodyVisitor::default();
    // Whatever went wrong after the root, the fields read so far stand.
    let _ = walk(body, "Error", &mut visitor);
    Some(visitor.body)
}

/// The error an answer reports in its body although its status says
/// success: S3 answers 200 to a copy (CopyObject, UploadPartCopy) or a
/// multipart completion before the work is done, and a failure that comes
/// later is an `<Error>` document in that 200's body. `None` when the body
/// is not one. An `<Error>` without a `<Code>` is an internal error: the
/// work did not complete, whatever the status says.
pub fn error_in_success(response: &HttpResponse) -> Option<ServiceError> {
    let body = parse_error_body(&response.body)?;
    let code = match body.code.as_str() {
        "" => ErrorCode::InternalError,
        code => ErrorCode::from_code(code),
    };
    let message = match (body.message.is_empty(), code.description()) {
        (false, _) => body.message,
        (true, Some(text)) => text.to_owned(),
        (true, None) => format!(
            "HTTP {} with an <Error> body and no message: the request failed after S3 accepted it",
            response.status
        ),
    };
    Some(ServiceError {
        status: response.status,
        code,
        message,
        request_id: response
            .header("x-amz-request-id")
            .map(str::to_owned)
            .or(body.request_id),
        resource: body.resource,
        region: None,
        required_permission: None,
        attempts: 1,
    })
}

#[derive(Default)]
struct ErrorBodyVisitor {
    body: ErrorBody,
}

impl Visitor for ErrorBodyVisitor {
    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        let field = match path.names() {
            [name] => name.as_str(),
            _ => return Ok(()),
        };
        match field {
            "Code" => self.body.code = text.to_owned(),
            "Message" => self.body.message = text.to_owned(),
            "RequestId" => self.body.request_id = optional(text),
            "Resource" => self.body.resource = optional(text),
            "Region" => self.body.region = optional(text),
            _ => {}
        }
        Ok(())
    }
}

/// The name of the first element of `body`, after the prolog.
fn root_name(body: &[u8]) -> Option<&[u8]> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut rest = body.strip_prefix(BOM).unwrap_or(body);
    // A prolog holds a declaration and perhaps a comment or two; a body that
    // is still in its prolog after this many items is not an S3 error.
    for _ in 0..8 {
        rest = trim_xml_whitespace(rest);
        if rest.starts_with(b"<?") {
            rest = after(rest, b"?>")?;
        } else if rest.starts_with(b"<!--") {
            rest = after(rest, b"-->")?;
        } else {
            break;
        }
    }
    let rest = rest.strip_prefix(b"<")?;
    let end = rest
        .iter()
        .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/'))
        .unwrap_or(rest.len());
    rest.get(..end)
}

fn trim_xml_whitespace(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// The bytes after the first `needle`.
fn after<'a>(haystack: &'a [u8], needle: &[u8]) -> Option<&'a [u8]> {
    let at = haystack.windows(needle.len()).position(|w| w == needle)?;
    haystack.get(at + needle.len()..)
}

/// `Error` for `s3:Error`.
fn local_part(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|b| *b == b':') {
        Some(colon) => name.get(colon + 1..).unwrap_or_default(),
        None => name,
    }
}

/// The open elements below the root, outermost first, by local name
/// (namespace prefixes removed).
#[derive(Debug, Default)]
pub struct Path {
    // Names are kept in a pool whose first `len` entries are in use, so a
    // 1000-entry page does not allocate a string per element.
    names: Vec<String>,
    len: usize,
}

impl Path {
    /// The open elements below the root; empty at the root itself.
    #[inline]
    pub fn names(&self) -> &[String] {
        self.names.get(..self.len).unwrap_or_default()
    }

    /// Whether the open elements below the root are exactly `expected`:
    /// `path.is(&["Contents", "Key"])` inside `<ListBucketResult>`.
    pub fn is(&self, expected: &[&str]) -> bool {
        let names = self.names();
        names.len() == expected.len()
            && names
                .iter()
                .zip(expected)
                .all(|(name, expected)| name_is(name, expected))
    }

    /// How many elements are open below the root.
    pub fn depth(&self) -> usize {
        self.len
    }

    fn push(&mut self, name: &str) {
        match self.names.get_mut(self.len) {
            Some(slot) => {
                slot.clear();
                slot.push_str(name);
            }
            None => self.names.push(name.to_owned()),
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    fn innermost(&self) -> Option<&str> {
        self.names().last().map(String::as_str)
    }
}

/// Receives the elements of a document from [`walk`].
pub trait Visitor {
    /// An element below the root opened (it is the last of `path`).
    fn open(&mut self, path: &Path) -> Result<(), Error> {
        let _ = path;
        Ok(())
    }

    /// An element closed (it is the last of `path`; the root when `path` is
    /// empty). `text` is its character data since it opened or since its
    /// last child closed, with references resolved: a leaf's whole value.
    fn close(&mut self, path: &Path, text: &str) -> Result<(), Error>;
}

/// Reads `body`, an XML document whose root element must be `root`, and
/// hands its elements to `visitor`.
///
/// Every failure is an [`ErrorKind::InvalidResponse`] that names the document
/// and what was expected: an empty body, another root element, malformed or
/// truncated XML, a `<!DOCTYPE>`, an unknown entity, nesting deeper than
/// [`MAX_DEPTH`], more than [`MAX_ELEMENTS`] elements, a text longer than
/// [`MAX_TEXT`], or whatever the visitor refuses.
///
/// [`ErrorKind::InvalidResponse`]: crate::error::ErrorKind::InvalidResponse
pub fn walk(body: &[u8], root: &str, visitor: &mut dyn Visitor) -> Result<(), Error> {
    let mut reader = Reader::from_reader(body);
    // The walk checks that an end tag closes the innermost open element
    // itself, against its own path ([`closes`]): quick-xml's check keeps a
    // second stack of the names and compares through the C library's
    // `memcmp`, some 180 instructions an end tag in the component.
    reader.config_mut().check_end_names = false;
    let mut path = Path::default();
    let mut text = Text::default();
    let mut in_root = false;
    let mut elements = 0usize;
    // XML 1.0 reads every carriage return as a line feed. S3's documents
    // carry none (a key's CR is sent as `&#13;`), and one search of the whole
    // body spares the 5000 texts of a 1000-key page a search each.
    let has_cr = memchr::memchr(b'\r', body).is_some();
    loop {
        if text.len() > MAX_TEXT {
            return Err(Error::invalid_response(format!(
                "the <{root}> document has an element whose text is longer than {MAX_TEXT} bytes; \
                 no S3 answer has one"
            )));
        }
        let event = reader.read_event().map_err(|e| {
            Error::invalid_response(format!(
                "malformed XML in the <{root}> document at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(start) | Event::Empty(start) if !in_root => {
                let name = element_name(&start);
                if name != root {
                    return Err(Error::invalid_response(format!(
                        "expected a <{root}> document, found <{name}>"
                    )));
                }
                in_root = true;
                if empty {
                    return visitor.close(&path, "");
                }
            }
            Event::Start(start) => {
                open(&mut path, root, element_name(&start), &mut elements)?;
                text.clear();
                visitor.open(&path)?;
            }
            Event::Empty(start) => {
                open(&mut path, root, element_name(&start), &mut elements)?;
                visitor.open(&path)?;
                visitor.close(&path, "")?;
                path.pop();
                text.clear();
            }
            Event::End(end) => {
                // An end tag with nothing open is refused by quick-xml, and
                // before the root nothing is open.
                let expected = path.innermost().unwrap_or(root);
                let qualified: &str = end.name().0;
                if !closes(qualified, expected) {
                    return Err(Error::invalid_response(format!(
                        "malformed XML in the <{root}> document at byte {}: expected </{expected}>, \
                         found </{qualified}>",
                        reader.buffer_position()
                    )));
                }
                visitor.close(&path, text.as_str())?;
                text.clear();
                if path.depth() == 0 {
                    // Anything after the root element is ignored.
                    return Ok(());
                }
                path.pop();
            }
            Event::Text(chars) if in_root && !has_cr => text.push(chars.into_inner()),
            Event::Text(chars) if in_root => text.push(chars.xml10_content()),
            Event::CData(chars) if in_root && !has_cr => text.push(chars.into_inner()),
            Event::CData(chars) if in_root => text.push(chars.xml10_content()),
            Event::GeneralRef(reference) if in_root => text.push_char(resolve_reference(root, &reference)?),
            Event::Text(chars) => {
                if !chars.trim().is_empty() {
                    return Err(Error::invalid_response(format!(
                        "expected a <{root}> document, found text before its root element"
                    )));
                }
            }
            Event::CData(_) | Event::GeneralRef(_) => {
                return Err(Error::invalid_response(format!(
                    "expected a <{root}> document, found character data before its root element"
                )));
            }
            Event::DocType(_) => {
                return Err(Error::invalid_response(format!(
                    "the <{root}> document has a document type declaration (<!DOCTYPE>), which is \
                     refused: S3 never sends one, and it could declare entities"
                )));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => {
                return Err(Error::invalid_response(match (in_root, path.innermost()) {
                    (false, _) if body.iter().all(u8::is_ascii_whitespace) => {
                        format!("expected a <{root}> document, got an empty body")
                    }
                    (false, _) => format!("expected a <{root}> document, found no element"),
                    (true, Some(inner)) => {
                        format!("the <{root}> document was cut short: expected </{inner}>")
                    }
                    (true, None) => format!("the <{root}> document was cut short: expected </{root}>"),
                }));
            }
        }
    }
}

/// An element's character data so far. Its one piece, a leaf's usual
/// case, is borrowed from the body; a second piece (text after a reference,
/// a CDATA section) copies it into a buffer kept from element to element.
/// A 1000-key page has some 5000 leaves, each copied once less.
#[derive(Default)]
struct Text<'a> {
    /// The one piece so far, while there is only one.
    borrowed: Option<&'a str>,
    /// Every piece so far, once there has been more than one.
    joined: String,
}

impl<'a> Text<'a> {
    /// Appends a piece of text.
    fn push(&mut self, piece: Cow<'a, str>) {
        match piece {
            Cow::Borrowed(piece) if self.borrowed.is_none() && self.joined.is_empty() => {
                self.borrowed = Some(piece);
            }
            piece => self.joined_mut().push_str(&piece),
        }
    }

    /// Appends a character (a resolved reference).
    fn push_char(&mut self, c: char) {
        self.joined_mut().push(c);
    }

    /// The buffer, holding the borrowed piece if there is one.
    fn joined_mut(&mut self) -> &mut String {
        if let Some(piece) = self.borrowed.take() {
            self.joined.push_str(piece);
        }
        &mut self.joined
    }

    /// The text so far.
    fn as_str(&self) -> &str {
        self.borrowed.unwrap_or(&self.joined)
    }

    /// Its length in bytes.
    fn len(&self) -> usize {
        self.as_str().len()
    }

    /// Empties it, keeping the buffer.
    fn clear(&mut self) {
        self.borrowed = None;
        self.joined.clear();
    }
}

fn element_name<'a>(start: &'a BytesStart<'_>) -> &'a str {
    let qualified: &str = start.name().0;
    // The local name, after a namespace prefix's `:` if there is one. S3's
    // names have none, which a word-wise scan settles (a byte loop cost
    // some 140 instructions per element in the guest, 0.8M per 1000-key
    // page; `rsplit` 320); a prefixed name is cut by a byte loop from the end.
    let bytes = qualified.as_bytes();
    if !crate::ascii::contains(bytes, b':') {
        return qualified;
    }
    let mut at = bytes.len();
    while at > 0 && bytes[at - 1] != b':' {
        at -= 1;
    }
    qualified.get(at..).unwrap_or(qualified)
}

/// Whether an end tag named `qualified` closes the element whose local
/// name is `local`: its name after any namespace prefix is `local` (the
/// prefix is not compared; S3 writes none). Compared from the end, so
/// that no search for the prefix's `:` is needed.
fn closes(qualified: &str, local: &str) -> bool {
    let (qualified, local) = (qualified.as_bytes(), local.as_bytes());
    let Some(cut) = qualified.len().checked_sub(local.len()) else {
        return false;
    };
    let tail = qualified.get(cut..).unwrap_or_default();
    // `local` has no `:`, so a `:` right before it is the prefix's last.
    crate::ascii::same_inline(tail, local) && (cut == 0 || qualified.get(cut - 1) == Some(&b':'))
}

fn open(path: &mut Path, root: &str, name: &str, elements: &mut usize) -> Result<(), Error> {
    *elements += 1;
    if *elements > MAX_ELEMENTS {
        return Err(Error::invalid_response(format!(
            "the <{root}> document holds more than {MAX_ELEMENTS} elements; no S3 answer does (a \
             listing page holds at most 1000 entries)"
        )));
    }
    if path.depth() >= MAX_DEPTH {
        return Err(Error::invalid_response(format!(
            "the <{root}> document nests elements more than {MAX_DEPTH} deep"
        )));
    }
    path.push(name);
    Ok(())
}

/// The character an entity or character reference stands for.
fn resolve_reference(root: &str, reference: &BytesRef<'_>) -> Result<char, Error> {
    match reference.resolve_char_ref() {
        Ok(Some(c)) => return Ok(c),
        Ok(None) => {}
        Err(e) => {
            return Err(Error::invalid_response(format!(
                "the <{root}> document has an invalid character reference `&{};`: {e}",
                &**reference
            )))
        }
    }
    match &**reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(Error::invalid_response(format!(
            "the <{root}> document uses the unknown entity `&{other};` (only &lt; &gt; &amp; \
             &apos; &quot; and character references are allowed)"
        ))),
    }
}

/// Whether the element name `name` is `expected`, by
/// [`crate::ascii::same_inline`]: inlined, and with `expected` a literal, one or
/// two compares of a word with constants for a name of up to 16 bytes
/// (every name S3 writes). A visitor of a page's entries compares each
/// element's name with it: `==` on strings goes through two calls and the
/// C library's `memcmp`, a loop over single bytes, some 250 instructions a
/// name in the component (1.8M of a 1000-key page's 24.7M).
#[inline(always)]
pub fn name_is(name: &str, expected: &str) -> bool {
    crate::ascii::same_inline(name.as_bytes(), expected.as_bytes())
}

/// `None` for an empty value, else the value.
pub fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Parses a whole number such as `<Size>`; the error names the element.
pub fn parse_u64(element: &str, text: &str) -> Result<u64, Error> {
    text.trim()
        .parse()
        .map_err(|_| Error::invalid_response(format!("<{element}> is `{text}`; expected a whole number")))
}

/// Parses `true` or `false` (any case) such as `<IsTruncated>`; the error
/// names the element.
pub fn parse_bool(element: &str, text: &str) -> Result<bool, Error> {
    let text_trimmed = text.trim();
    if text_trimmed.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text_trimmed.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(Error::invalid_response(format!(
            "<{element}> is `{text}`; expected `true` or `false`"
        )))
    }
}

/// Appends `text` to `out` escaped for XML element content.
///
/// A carriage return is written as `&#13;`: a literal one would reach the
/// server as a line feed (XML end-of-line handling). Characters that XML 1.0
/// cannot carry at all (control characters other than tab, CR and LF, and
/// U+FFFE/U+FFFF) are refused: the first is returned.
pub fn escape_text_into(out: &mut String, text: &str) -> Result<(), char> {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => return Err(c),
            c => out.push(c),
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// The fixture `name` of `testdata/xml/error/`.
    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/xml/error")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
    }

    /// The message of an invalid-response error; panics on any other outcome.
    fn invalid_response(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result.map_err(Error::into_kind) {
            Err(ErrorKind::InvalidResponse(message)) => message,
            other => panic!("expected an invalid response error, got {other:?}"),
        }
    }

    /// Records every element closed as `path=text`.
    #[derive(Default)]
    struct Recorder {
        seen: Vec<String>,
    }

    impl Visitor for Recorder {
        fn close(&mut self, path: &Path, text: &str) -> Result<(), Error> {
            self.seen.push(format!("{}={text}", path.names().join("/")));
            Ok(())
        }
    }

    fn record(body: &str, root: &str) -> Result<Vec<String>, Error> {
        let mut recorder = Recorder::default();
        walk(body.as_bytes(), root, &mut recorder)?;
        Ok(recorder.seen)
    }

    #[test]
    fn a_document_with_too_many_elements_or_too_long_a_text_is_refused() {
        let entries = "<Contents><Key>k</Key></Contents>".repeat(MAX_ELEMENTS / 2 + 1);
        let page = format!("<ListBucketResult>{entries}</ListBucketResult>");
        let error = record(&page, "ListBucketResult").unwrap_err().to_string();
        assert!(
            error.contains(&format!("more than {MAX_ELEMENTS} elements")),
            "{error}"
        );
        let fits = "<Contents><Key>k</Key></Contents>".repeat(MAX_ELEMENTS / 2 - 1);
        assert!(record(
            &format!("<ListBucketResult>{fits}</ListBucketResult>"),
            "ListBucketResult"
        )
        .is_ok());

        for long in [
            format!("<Error><Code>{}</Code></Error>", "x".repeat(MAX_TEXT + 1)),
            format!("<Error><Code>{}</Code></Error>", "&amp;".repeat(MAX_TEXT + 1)),
            format!(
                "<Error><Code><![CDATA[{}]]></Code></Error>",
                "x".repeat(MAX_TEXT + 1)
            ),
        ] {
            let error = record(&long, "Error").unwrap_err().to_string();
            assert!(
                error.contains(&format!("longer than {MAX_TEXT} bytes")),
                "{error}"
            );
        }
        assert!(record(
            &format!("<Error><Code>{}</Code></Error>", "x".repeat(MAX_TEXT)),
            "Error"
        )
        .is_ok());
    }

    #[test]
    fn error_body_gives_every_field() {
        let body = parse_error_body(&fixture("no-such-bucket.xml")).unwrap();
        assert_eq!(
            body,
            ErrorBody {
                code: "NoSuchBucket".into(),
                message: "The specified bucket does not exist".into(),
                request_id: Some("4442587FB7D0A2F9".into()),
                resource: Some("/missing-bucket".into()),
                region: None,
            }
        );
    }

    #[test]
    fn error_body_gives_the_region_of_a_redirect() {
        let body = parse_error_body(&fixture("authorization-header-malformed.xml")).unwrap();
        assert_eq!(body.code, "AuthorizationHeaderMalformed");
        assert_eq!(body.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn error_body_with_missing_fields_leaves_them_empty() {
        let body = parse_error_body(b"<Error><Code>SlowDown</Code></Error>").unwrap();
        assert_eq!(body.code, "SlowDown");
        assert_eq!(body.message, "");
        assert_eq!(body.request_id, None);
    }

    #[test]
    fn an_error_in_a_success_is_a_service_error_and_a_result_is_not() {
        let answer = |body: &[u8]| HttpResponse {
            status: 200,
            headers: [("x-amz-request-id", "HDR")].into_iter().collect(),
            body: body.to_vec(),
        };
        let error = error_in_success(&answer(&fixture("no-such-bucket.xml"))).unwrap();
        assert_eq!(error.status, 200);
        assert_eq!(error.code, ErrorCode::NoSuchBucket);
        assert_eq!(error.message, "The specified bucket does not exist");
        assert_eq!(error.request_id.as_deref(), Some("HDR"));
        assert_eq!(error.resource.as_deref(), Some("/missing-bucket"));
        // No code: the work did not complete all the same.
        let bare = error_in_success(&answer(b"  <Error></Error>")).unwrap();
        assert_eq!(bare.code, ErrorCode::InternalError);
        assert!(!bare.message.is_empty());
        for body in [&b""[..], b"<CopyObjectResult/>", b"   ", b"<ErrorList/>"] {
            assert_eq!(error_in_success(&answer(body)), None, "{body:?}");
        }
    }

    #[test]
    fn error_body_cut_short_keeps_what_was_read() {
        let body = parse_error_body(b"<Error><Code>InternalError</Code><Message>We encount").unwrap();
        assert_eq!(body.code, "InternalError");
    }

    #[test]
    fn error_body_with_bom_declaration_comment_and_namespace_is_recognised() {
        let body = b"\xEF\xBB\xBF\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- x -->\n\
                     <s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                     <s3:Code>AccessDenied</s3:Code><s3:Message>Access &amp; denied</s3:Message></s3:Error>";
        assert!(is_error_body(body));
        let parsed = parse_error_body(body).unwrap();
        assert_eq!(parsed.code, "AccessDenied");
        assert_eq!(parsed.message, "Access & denied");
    }

    #[test]
    fn error_body_nested_fields_are_not_taken_for_the_top_level_ones() {
        let body = parse_error_body(b"<Error><Detail><Code>Inner</Code></Detail><Code>Outer</Code></Error>")
            .unwrap();
        assert_eq!(body.code, "Outer");
    }

    #[test]
    fn only_an_error_root_is_an_error_body() {
        assert!(is_error_body(b"<Error/>"));
        assert!(is_error_body(b"  <Error>\n<Code>X</Code></Error>"));
        assert!(!is_error_body(b""));
        assert!(!is_error_body(b"   "));
        assert!(!is_error_body(b"<Errors></Errors>"));
        assert!(!is_error_body(b"<ListBucketResult><Error/></ListBucketResult>"));
        assert!(!is_error_body(
            b"<DeleteResult><Error><Key>a</Key></Error></DeleteResult>"
        ));
        assert!(!is_error_body(b"<?xml version=\"1.0\""));
        assert!(!is_error_body(b"plain text body"));
        assert!(!is_error_body(&[0xFF, 0xFE, 0x00]));
        assert_eq!(parse_error_body(b""), None);
        assert_eq!(parse_error_body(b"<ListAllMyBucketsResult/>"), None);
    }

    #[test]
    fn walk_reports_leaves_with_their_path_below_the_root() {
        let seen = record("<R><A><B>1</B><C/></A><D>x</D></R>", "R").unwrap();
        assert_eq!(seen, ["A/B=1", "A/C=", "A=", "D=x", "="]);
    }

    #[test]
    fn walk_ignores_namespaces_and_prefixes() {
        let seen = record(
            r#"<p:R xmlns:p="http://s3.amazonaws.com/doc/2006-03-01/" xmlns="urn:x"><p:A>1</p:A><B>2</B></p:R>"#,
            "R",
        )
        .unwrap();
        assert_eq!(seen, ["A=1", "B=2", "="]);
    }

    #[test]
    fn walk_unescapes_predefined_entities_and_character_references() {
        let seen = record(
            "<R><K>&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos; &#65;&#x42;&#x1F600;&#13;</K></R>",
            "R",
        )
        .unwrap();
        assert_eq!(seen[0], "K=<a> & \"b\" 'c' AB\u{1F600}\r");
    }

    #[test]
    fn walk_reads_a_literal_carriage_return_as_a_line_feed() {
        // XML 1.0 end-of-line handling: CR LF and a lone CR are each one LF,
        // in text and in CDATA alike; `&#13;` is a CR. Documents without a
        // literal CR skip the search per text, so both kinds are read here.
        let seen = record("<R><K>a\r\nb\rc&#13;</K><L><![CDATA[x\r\ny]]></L></R>", "R").unwrap();
        assert_eq!(seen[..2], ["K=a\nb\nc\r", "L=x\ny"]);
        let seen = record("<R><K>a\nb&#13;</K><L><![CDATA[x\ny]]></L></R>", "R").unwrap();
        assert_eq!(seen[..2], ["K=a\nb\r", "L=x\ny"]);
    }

    #[test]
    fn walk_joins_an_elements_pieces_and_starts_each_element_afresh() {
        // A leaf's one piece is borrowed; text, a reference and CDATA are
        // joined; the next leaf, and text after a child, start empty.
        let seen = record(
            "<R><K>one</K><K>a&amp;b<![CDATA[c]]>d</K><K>two</K><K>&lt;x</K><P>p<C>c</C>q</P></R>",
            "R",
        )
        .unwrap();
        assert_eq!(seen[..6], ["K=one", "K=a&bcd", "K=two", "K=<x", "P/C=c", "P=q"]);
    }

    #[test]
    fn walk_keeps_leading_and_trailing_spaces_and_cdata() {
        let seen = record("<R><K>  a b  </K><L><![CDATA[<x>&amp;]]></L></R>", "R").unwrap();
        assert_eq!(seen[..2], ["K=  a b  ", "L=<x>&amp;"]);
    }

    #[test]
    fn walk_normalises_literal_line_ends_as_xml_requires() {
        let seen = record("<R><K>a\r\nb\rc</K></R>", "R").unwrap();
        assert_eq!(seen[0], "K=a\nb\nc");
    }

    #[test]
    fn walk_refuses_a_doctype() {
        let message = invalid_response(record(
            "<?xml version=\"1.0\"?><!DOCTYPE R [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><R>&b;</R>",
            "R",
        ));
        assert!(message.contains("DOCTYPE"), "{message}");
    }

    #[test]
    fn walk_refuses_an_external_entity_doctype() {
        let message = invalid_response(record(
            "<!DOCTYPE R [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><R><K>&x;</K></R>",
            "R",
        ));
        assert!(message.contains("DOCTYPE"), "{message}");
    }

    #[test]
    fn walk_refuses_an_entity_declaration_outside_a_doctype() {
        invalid_response(record("<!ENTITY x \"y\"><R/>", "R"));
    }

    #[test]
    fn walk_refuses_unknown_entities() {
        let message = invalid_response(record("<R><K>&nbsp;</K></R>", "R"));
        assert!(message.contains("&nbsp;"), "{message}");
    }

    #[test]
    fn walk_refuses_bad_character_references() {
        for body in [
            "<R><K>&#0;</K></R>",
            "<R><K>&#xD800;</K></R>",
            "<R><K>&#x110000;</K></R>",
            "<R><K>&#xZZ;</K></R>",
        ] {
            invalid_response(record(body, "R"));
        }
    }

    #[test]
    fn walk_refuses_a_bare_ampersand() {
        invalid_response(record("<R><K>a & b</K></R>", "R"));
    }

    #[test]
    fn walk_names_the_element_a_truncated_document_left_open() {
        let message = invalid_response(record("<R><A><B>text", "R"));
        assert!(message.contains("expected </B>"), "{message}");
        let message = invalid_response(record("<R>", "R"));
        assert!(message.contains("expected </R>"), "{message}");
    }

    /// Names of every length up to 40 that differ in one byte at each
    /// position, and equal ones, against `==`.
    #[test]
    fn name_is_agrees_with_equality() {
        for len in 0..40usize {
            let a: String = (0..len).map(|i| char::from(b'A' + (i % 26) as u8)).collect();
            assert!(name_is(&a, &a.clone()));
            assert!(!name_is(&a, &format!("{a}x")));
            for at in 0..len {
                for byte in [b'a', b'Z', b'0'] {
                    let mut b = a.clone().into_bytes();
                    b[at] = byte;
                    let b = String::from_utf8(b).unwrap();
                    assert_eq!(name_is(&a, &b), a == b, "{a} {b}");
                    assert_eq!(name_is(&b, &a), a == b, "{b} {a}");
                }
            }
        }
        assert!(name_is("Contents", "Contents"));
        assert!(!name_is("Content\u{e9}", "Contentes"));
    }

    #[test]
    fn walk_names_the_expected_end_tag_of_a_mismatch() {
        let message = invalid_response(record("<R><A>1</B></R>", "R"));
        assert!(message.contains("expected </A>, found </B>"), "{message}");
        // The root's own end tag, names that end or start alike, and one
        // that differs past its first eight bytes.
        for (document, expected) in [
            ("<R><A>1</A></X>", "expected </R>, found </X>"),
            ("<R><Key>1</Ke></R>", "expected </Key>, found </Ke>"),
            ("<R><Key>1</AKey></R>", "expected </Key>, found </AKey>"),
            ("<R><Key>1</a:bKey></R>", "expected </Key>, found </a:bKey>"),
            ("<R><Key>1</Key:></R>", "expected </Key>, found </Key:>"),
            (
                "<R><ContentsA>1</ContentsB></R>",
                "expected </ContentsA>, found </ContentsB>",
            ),
        ] {
            let message = invalid_response(record(document, "R"));
            assert!(message.contains(expected), "{document}: {message}");
        }
        // Local names are compared, as the visitors see them: a prefix
        // that differs (S3 writes none) does not change which element
        // closes.
        assert_eq!(record("<s3:R><s3:A>1</A></x:R>", "R").unwrap(), ["A=1", "="]);
        assert_eq!(record("<R><A>1</s3:A></R>", "R").unwrap(), ["A=1", "="]);
    }

    #[test]
    fn walk_refuses_an_end_tag_with_nothing_open() {
        for document in ["</R>", "<?xml version=\"1.0\"?></X><R/>"] {
            let message = invalid_response(record(document, "R"));
            assert!(message.contains("malformed XML"), "{document}: {message}");
        }
    }

    #[test]
    fn walk_names_the_expected_root() {
        let message = invalid_response(record("<Other/>", "R"));
        assert!(
            message.contains("expected a <R> document, found <Other>"),
            "{message}"
        );
        let message = invalid_response(record("", "R"));
        assert!(message.contains("empty body"), "{message}");
        let message = invalid_response(record("hello", "R"));
        assert!(message.contains("<R>"), "{message}");
    }

    #[test]
    fn walk_refuses_invalid_utf8() {
        let mut recorder = Recorder::default();
        invalid_response(walk(b"<R><K>\xFF\xFE</K></R>", "R", &mut recorder));
    }

    #[test]
    fn walk_accepts_an_empty_root() {
        assert_eq!(record("<R/>", "R").unwrap(), ["="]);
        assert_eq!(record("<?xml version=\"1.0\"?>\n<R></R>\n", "R").unwrap(), ["="]);
    }

    #[test]
    fn walk_survives_a_depth_bomb_without_recursion() {
        let depth = 100_000;
        let body = format!("<R>{}{}</R>", "<a>".repeat(depth), "</a>".repeat(depth));
        let message = invalid_response(record(&body, "R"));
        assert!(message.contains("more than 32 deep"), "{message}");
        let body = format!("<R>{}", "<a>".repeat(depth));
        invalid_response(record(&body, "R"));
    }

    #[test]
    fn walk_stops_when_the_visitor_refuses() {
        struct Refuser;
        impl Visitor for Refuser {
            fn close(&mut self, _: &Path, _: &str) -> Result<(), Error> {
                Err(Error::invalid_response("refused"))
            }
        }
        assert_eq!(
            walk(b"<R><A/></R>", "R", &mut Refuser),
            Err(Error::invalid_response("refused"))
        );
    }

    #[test]
    fn typed_values_name_the_element_when_wrong() {
        assert_eq!(parse_u64("Size", "1024").unwrap(), 1024);
        assert!(invalid_response(parse_u64("Size", "abc")).contains("<Size> is `abc`"));
        invalid_response(parse_u64("Size", "-1"));
        invalid_response(parse_u64("Size", ""));
        assert!(parse_bool("IsTruncated", "true").unwrap());
        assert!(!parse_bool("IsTruncated", "false").unwrap());
        assert!(invalid_response(parse_bool("IsTruncated", "yes")).contains("<IsTruncated>"));
    }

    #[test]
    fn escape_writes_markup_characters_as_entities() {
        let mut out = String::new();
        escape_text_into(&mut out, "a<b>&\"c\"'d'\r\n\té").unwrap();
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#13;\n\té");
    }

    #[test]
    fn escape_refuses_characters_xml_cannot_carry() {
        for c in ['\u{0}', '\u{1}', '\u{1F}', '\u{FFFE}', '\u{FFFF}'] {
            let mut out = String::new();
            assert_eq!(escape_text_into(&mut out, &format!("a{c}b")), Err(c));
        }
    }

    #[test]
    fn escaped_text_reads_back_as_itself() {
        let original = "key with <all> & \"sorts\" of 'marks'\r\nand\ttabs";
        let mut escaped = String::new();
        escape_text_into(&mut escaped, original).unwrap();
        let seen = record(&format!("<R><K>{escaped}</K></R>"), "R").unwrap();
        assert_eq!(seen[0], format!("K={original}"));
    }
}
