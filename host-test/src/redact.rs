//! Keeps the secret key and the session token out of everything the CLI
//! prints: results, errors, batch lines, and usage errors from the argument
//! parser.
//!
//! The component never puts a secret in what it returns, but text that came
//! from elsewhere can hold one: a server's error message that repeats the
//! request (AWS's `SignatureDoesNotMatch` repeats the canonical request,
//! token included), an object's content printed as text, or a command line
//! that put the input JSON where the parser expected something else. So the
//! CLI masks, at the point of printing:
//! - every secret it knows ([`Secrets`]): the `AWS_SECRET_ACCESS_KEY` and
//!   `AWS_SESSION_TOKEN` of the environment and the secret key and token of
//!   each connection it resolved, as written, percent-encoded (either hex
//!   case) and JSON-escaped. The one place a token stays is the
//!   `X-Amz-Security-Token=` parameter of a presigned URL, where S3 needs it
//!   for the URL to work;
//! - in a usage error, every argument that is not a flag name or a plain
//!   lowercase word ([`usage_error`]): the parser quotes the argument it
//!   refused, and that argument may be the input JSON with its secret key.
//!
//! Values shorter than [`MIN_SECRET_LEN`] are not masked: they are no
//! credential AWS issues, and masking them would garble the output.

use crate::wit::Connection;

pub use crate::secret_forms::{Secrets, MASK, MIN_SECRET_LEN};

impl Secrets {
    /// The secret key and session token of the environment.
    pub fn from_env(env: &[(String, String)]) -> Self {
        let mut secrets = Self::default();
        for (name, value) in env {
            if name == "AWS_SECRET_ACCESS_KEY" || name == "AWS_SESSION_TOKEN" {
                secrets.add(value);
            }
        }
        secrets
    }

    /// Adds the secret key and session token of `conn`.
    pub fn add_connection(&mut self, conn: &Connection) {
        self.add(&conn.secret_key);
        if let Some(token) = &conn.session_token {
            self.add(token);
        }
    }
}

/// A usage error of the argument parser, `rendered`, with every argument
/// of `args` (the command line, without the program's name) that could
/// hold a secret replaced by `<argument not shown>`: all but flag names
/// (`--input`; of `--input=VALUE` only the name is kept), plain lowercase
/// words such as operation names, and values too short to be a secret.
pub fn usage_error(rendered: &str, args: &[String], secrets: &Secrets) -> String {
    let mut hidden: Vec<&str> = args
        .iter()
        .filter_map(|arg| match arg.strip_prefix('-') {
            Some(flag) => flag.split_once('=').map(|(_, value)| value),
            None => Some(arg.as_str()),
        })
        .filter(|value| value.chars().count() >= MIN_SECRET_LEN && !is_plain_word(value))
        .collect();
    hidden.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut text = rendered.to_owned();
    for value in hidden {
        text = text.replace(value, "<argument not shown>");
    }
    secrets.mask(&text).into_owned()
}

/// A word no secret looks like: lowercase letters, digits and `-`, at most
/// 40 characters, starting with a letter.
fn is_plain_word(value: &str) -> bool {
    value.len() <= 40
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::secret_forms::percent_encode;

    const SECRET: &str = "Zq7/Secret+Key\"Quoted";
    const TOKEN: &str = "IQoJ/Token+==";

    fn secrets() -> Secrets {
        let mut secrets = Secrets::default();
        secrets.add(SECRET);
        secrets.add(TOKEN);
        secrets.add("short");
        secrets
    }

    #[test]
    fn every_form_is_masked_but_a_presigned_urls_token() {
        let secrets = secrets();
        let json = serde_json::to_string(SECRET).unwrap_or_default();
        let text = format!(
            "raw {SECRET} json {json} pct {} lower {} token {TOKEN} \
             url https://b.s3.amazonaws.com/k?X-Amz-Security-Token={}&x-amz-security-token={TOKEN} short",
            percent_encode(SECRET, true),
            percent_encode(SECRET, false),
            percent_encode(TOKEN, true),
        );
        let masked = secrets.mask(&text);
        assert!(!masked.contains("Secret+Key"), "{masked}");
        assert!(
            !masked.contains("Secret%2BKey") && !masked.contains("Secret%2bKey"),
            "{masked}"
        );
        assert!(masked.contains(&format!("X-Amz-Security-Token={}", percent_encode(TOKEN, true))));
        assert!(masked.contains(&format!("x-amz-security-token={TOKEN}")));
        assert!(masked.contains(&format!("token {MASK} url")), "{masked}");
        assert!(
            masked.ends_with("short"),
            "values under {MIN_SECRET_LEN} characters are kept"
        );
    }

    #[test]
    fn text_without_secrets_is_not_copied() {
        assert!(matches!(secrets().mask("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn usage_errors_keep_flags_and_words_and_hide_other_arguments() {
        let args: Vec<String> = [
            "get-object",
            r#"{"secret_key": "abc123/XYZ"}"#,
            "--input=PLAINSECRET",
            "--quiet",
            "ABCDEFGHIJ0123456789abcdefghij0123456789",
        ]
        .map(String::from)
        .to_vec();
        let rendered = format!(
            "error: unexpected argument '{}' found; '{}' and '{}' near '--quiet' for 'get-object'",
            args[1], "PLAINSECRET", args[4]
        );
        let text = usage_error(&rendered, &args, &Secrets::default());
        assert!(!text.contains("abc123") && !text.contains("PLAINSECRET") && !text.contains("ABCDEFGHIJ"));
        assert!(
            text.contains("'--quiet'") && text.contains("'get-object'"),
            "{text}"
        );
        assert!(text.contains("<argument not shown>"), "{text}");
    }
}
