//! Secrets in every form they could be printed in, and text masked of them:
//! what the CLI (`redact.rs`) and the HTTP face (`adapters/http-face`,
//! which includes this file by path) mask before anything leaves them.
//!
//! A secret is masked as written, percent-encoded (either hex case) and
//! JSON-escaped. The one place a session token stays is the
//! `X-Amz-Security-Token=` parameter of a presigned URL, where S3 needs it
//! for the URL to work. Values shorter than [`MIN_SECRET_LEN`] are not
//! masked: they are no credential AWS issues, and masking them would garble
//! the output.

use std::borrow::Cow;

use memchr::memmem::Finder;

/// What a masked secret is printed as.
pub const MASK: &str = "****";

/// The shortest value masked as a secret.
pub const MIN_SECRET_LEN: usize = 6;

/// The query parameter of a presigned URL that carries the session token.
const TOKEN_PARAMETER: &str = "x-amz-security-token=";

/// Secrets, in every form they could be printed in.
#[derive(Default)]
pub struct Secrets {
    /// Each form, longest first.
    forms: Vec<Form>,
}

/// One form of a secret, with its searcher built once: the CLI masks every
/// answer (a 1000-key listing is some 300 KB of text) for every form.
struct Form {
    /// The form as it would be printed.
    text: String,
    /// Finds `text` in an answer.
    finder: Finder<'static>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} forms)", self.forms.len())
    }
}

impl Secrets {
    /// Adds `secret`, as written, percent-encoded and JSON-escaped.
    pub fn add(&mut self, secret: &str) {
        if secret.chars().count() < MIN_SECRET_LEN {
            return;
        }
        // As a JSON string shows it, without the quotes around it (only
        // those: a secret may end in an escaped quote).
        let mut json = String::new();
        s3_connector_wire::json_text::string(&mut json, secret);
        let json = json.get(1..json.len() - 1).unwrap_or_default().to_owned();
        let candidates = [
            secret.to_owned(),
            percent_encode(secret, true),
            percent_encode(secret, false),
            json,
        ];
        for form in candidates {
            if !self.forms.iter().any(|known| known.text == form) {
                let finder = Finder::new(&form).into_owned();
                self.forms.push(Form { text: form, finder });
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.text.len()));
    }

    /// `text` with every known secret masked, except a token as a presigned
    /// URL's `X-Amz-Security-Token`.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for form in &self.forms {
            if let Some(first) = form.finder.find(text.as_bytes()) {
                text = Cow::Owned(mask_form(&text, form, first));
            }
        }
        text
    }
}

/// `text` with `form`, first found at byte `first`, masked wherever it is
/// not a presigned URL's token. A match starts on a character boundary:
/// `form` is text, so its first byte never continues a character.
fn mask_form(text: &str, form: &Form, first: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let mut next = Some(first);
    while let Some(at) = next {
        out.push_str(&text[rest..at]);
        let before = &text.as_bytes()[..at];
        let is_url_token = before.len() >= TOKEN_PARAMETER.len()
            && before[before.len() - TOKEN_PARAMETER.len()..]
                .eq_ignore_ascii_case(TOKEN_PARAMETER.as_bytes());
        out.push_str(if is_url_token { &form.text } else { MASK });
        rest = at + form.text.len();
        next = form
            .finder
            .find(&text.as_bytes()[rest..])
            .map(|found| rest + found);
    }
    out.push_str(&text[rest..]);
    out
}

/// `value` percent-encoded as a URL query would carry it (unreserved
/// characters as they are).
pub(crate) fn percent_encode(value: &str, upper: bool) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ if upper => format!("%{b:02X}"),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_masked_but_a_presigned_urls_token() {
        let mut secrets = Secrets::default();
        secrets.add("wJal/K7+MD\"ENG");
        secrets.add("IQoJ/Token+==");
        let text = "raw wJal/K7+MD\"ENG upper wJal%2FK7%2BMD%22ENG lower wJal%2fK7%2bMD%22ENG \
                    json wJal/K7+MD\\\"ENG token IQoJ/Token+== \
                    url ?X-Amz-Security-Token=IQoJ%2FToken%2B%3D%3D&X-Amz-Date=1";
        assert_eq!(
            secrets.mask(text),
            "raw **** upper **** lower **** json **** token **** \
             url ?X-Amz-Security-Token=IQoJ%2FToken%2B%3D%3D&X-Amz-Date=1"
        );
    }

    #[test]
    fn every_occurrence_is_masked_first_last_and_side_by_side() {
        let mut secrets = Secrets::default();
        secrets.add("SeCrEt1");
        assert_eq!(
            secrets.mask("SeCrEt1 a SeCrEt1SeCrEt1 b SeCrEt SeCrEt1"),
            "**** a ******** b SeCrEt ****"
        );
        assert!(matches!(secrets.mask("SeCrEt no secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_ending_in_a_quote_is_masked_as_json_shows_it() {
        let mut secrets = Secrets::default();
        secrets.add("\"SeCrEt1\"");
        // serde_json's text of the secret, as the CLI would print it.
        let printed = serde_json::to_string("\"SeCrEt1\"").unwrap();
        assert_eq!(secrets.mask(&printed), "\"****\"");
    }

    #[test]
    fn short_and_empty_values_are_not_secrets() {
        let mut secrets = Secrets::default();
        secrets.add("");
        secrets.add("abc");
        assert_eq!(secrets.mask("abc"), "abc");
        assert_eq!(format!("{secrets:?}"), "Secrets(0 forms)");
    }
}
