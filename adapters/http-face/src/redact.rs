//! Secrets never leave in an answer: every text the face sends is masked
//! with the secrets of the connection it used, as written, percent-encoded
//! and JSON-escaped (a server's error message may repeat a request).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What SigV4 leaves unencoded (RFC 3986's unreserved characters).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Secrets to mask.
#[derive(Default)]
pub struct Secrets {
    forms: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} forms)", self.forms.len())
    }
}

impl Secrets {
    /// Adds `secret` in every form it could be written in. Empty secrets
    /// are not masked (they would match everywhere).
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let json = serde_json::Value::from(secret).to_string();
        let json = json.trim_matches('"').to_owned();
        for form in [
            secret.to_owned(),
            utf8_percent_encode(secret, UNRESERVED).to_string(),
            json,
        ] {
            if !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        // Longest first, so that a form containing another is masked whole.
        self.forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    }

    /// `text` with every secret replaced by `****`.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), "****");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_masked() {
        let mut secrets = Secrets::default();
        secrets.add("wJal/K7+MD\"ENG");
        let text = "raw wJal/K7+MD\"ENG pct wJal%2FK7%2BMD%22ENG json wJal/K7+MD\\\"ENG";
        let masked = secrets.mask(text);
        assert_eq!(masked, "raw **** pct **** json ****");
    }

    #[test]
    fn empty_secrets_mask_nothing() {
        let mut secrets = Secrets::default();
        secrets.add("");
        assert_eq!(secrets.mask("abc"), "abc");
        assert!(!format!("{secrets:?}").contains("abc"));
    }
}
