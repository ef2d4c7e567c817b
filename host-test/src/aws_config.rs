//! The AWS shared configuration files, read as aws-cli and the SDKs read
//! them: `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`) and
//! `~/.aws/config` (or `AWS_CONFIG_FILE`), one profile chosen by
//! `--profile`, else `AWS_PROFILE`, else `default`.
//!
//! What is taken from a profile: `aws_access_key_id`,
//! `aws_secret_access_key`, `aws_session_token`, `credential_process`,
//! `region`, `endpoint_url`, and the `s3` sub-section's `endpoint_url` and
//! `addressing_style` (`path` is path-style). The credentials file's section
//! is `[NAME]`; the config file's is `[profile NAME]` (`[default]` for the
//! default profile); a key in the credentials file wins over the same key
//! in the config file, as in the SDKs.
//!
//! `credential_process` is run as aws-cli runs it: split into words as a
//! shell would (quotes respected, no shell), its standard output JSON with
//! `Version: 1`, `AccessKeyId`, `SecretAccessKey` and optionally
//! `SessionToken` and `Expiration`. What it prints is never echoed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One profile's settings, as found.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name.
    pub name: String,
    /// `aws_access_key_id`.
    pub access_key: Option<String>,
    /// `aws_secret_access_key`.
    pub secret_key: Option<String>,
    /// `aws_session_token`.
    pub session_token: Option<String>,
    /// `credential_process`.
    pub credential_process: Option<String>,
    /// `region`.
    pub region: Option<String>,
    /// `s3.endpoint_url`, else `endpoint_url`.
    pub endpoint: Option<String>,
    /// `s3.addressing_style = path`.
    pub path_style: Option<bool>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<masked>"))
            .field("session_token", &self.session_token.as_ref().map(|_| "<masked>"))
            .field("credential_process", &self.credential_process)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// Where a profile was looked for: the two files, and whether each was
/// there and held the profile. Named in the error when no credentials are
/// found.
#[derive(Clone, Debug, Default)]
pub struct Looked {
    /// The profile's name.
    pub profile: String,
    /// Each file, and what was found: `missing`, `no such profile`, `read`.
    pub files: Vec<(PathBuf, &'static str)>,
}

impl Looked {
    /// `profile `NAME` in FILE (missing), FILE (read)`.
    pub fn describe(&self) -> String {
        let files: Vec<String> = self
            .files
            .iter()
            .map(|(path, found)| format!("{} ({found})", path.display()))
            .collect();
        format!("profile `{}` in {}", self.profile, files.join(" and "))
    }
}

/// The files and profile the environment names: `AWS_SHARED_CREDENTIALS_FILE`,
/// `AWS_CONFIG_FILE`, `HOME`; `flag` (`--profile`) beats `AWS_PROFILE`.
pub fn locate(env: &[(String, String)], flag: Option<&str>) -> (String, PathBuf, PathBuf) {
    let var = |name: &str| {
        env.iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    let home = var("HOME").map(PathBuf::from).unwrap_or_default();
    let profile = flag
        .map(str::to_owned)
        .or_else(|| var("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let credentials = var("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let config = var("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/config"));
    (profile, credentials, config)
}

/// Reads profile `name` from the credentials and config files. A file that
/// is missing is skipped; one that cannot be read is an error naming it.
pub fn load(name: &str, credentials: &Path, config: &Path) -> Result<(Profile, Looked), String> {
    let mut looked = Looked {
        profile: name.to_owned(),
        files: Vec::new(),
    };
    let mut keys: HashMap<String, String> = HashMap::new();
    // Config first, then credentials over it.
    let config_section = if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {name}")
    };
    for (path, section) in [(config, config_section.as_str()), (credentials, name)] {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                looked.files.push((path.to_owned(), "missing"));
                continue;
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        match parse_section(&text, section) {
            Some(found) => {
                looked.files.push((path.to_owned(), "read"));
                keys.extend(found);
            }
            None => looked.files.push((path.to_owned(), "no such profile")),
        }
    }
    let take = |key: &str| keys.get(key).filter(|v| !v.is_empty()).cloned();
    let profile = Profile {
        name: name.to_owned(),
        access_key: take("aws_access_key_id"),
        secret_key: take("aws_secret_access_key"),
        session_token: take("aws_session_token"),
        credential_process: take("credential_process"),
        region: take("region"),
        endpoint: take("s3.endpoint_url").or_else(|| take("endpoint_url")),
        path_style: take("s3.addressing_style").map(|style| style.eq_ignore_ascii_case("path")),
    };
    Ok((profile, looked))
}

/// The keys of section `[name]` of an INI text (`None` when there is no
/// such section). A key whose value is empty and whose next lines are
/// indented is a sub-section: its keys come back as `key.subkey`. Comments
/// start with `#` or `;` at the start of a line.
pub fn parse_section(text: &str, name: &str) -> Option<HashMap<String, String>> {
    let mut keys = HashMap::new();
    let mut inside = false;
    let mut found = false;
    let mut parent: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            let header = header.split_whitespace().collect::<Vec<_>>().join(" ");
            inside = header == name;
            found |= inside;
            parent = None;
            continue;
        }
        if !inside {
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim().to_ascii_lowercase(), value.trim().to_owned());
        let indented = line.starts_with([' ', '\t']);
        match (&parent, indented) {
            (Some(parent), true) => {
                keys.insert(format!("{parent}.{key}"), value);
            }
            _ if value.is_empty() => parent = Some(key),
            _ => {
                parent = None;
                keys.insert(key, value);
            }
        }
    }
    found.then_some(keys)
}

/// Credentials a `credential_process` gave.
#[derive(Clone, PartialEq, Eq)]
pub struct ProcessCredentials {
    /// `AccessKeyId`.
    pub access_key: String,
    /// `SecretAccessKey`.
    pub secret_key: String,
    /// `SessionToken`.
    pub session_token: Option<String>,
    /// `Expiration` (RFC 3339), as Unix seconds.
    pub expires_at: Option<u64>,
}

impl std::fmt::Debug for ProcessCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessCredentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<masked>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<masked>"))
            .finish()
    }
}

/// Runs `command` (a `credential_process`) and reads the credentials it
/// prints. Errors name the profile and what went wrong, never what the
/// command printed.
pub fn run_process(command: &str, profile: &str) -> Result<ProcessCredentials, String> {
    let words = split_words(command)
        .ok_or_else(|| format!("the credential_process of profile `{profile}` has an unclosed quote"))?;
    let Some((program, args)) = words.split_first() else {
        return Err(format!("the credential_process of profile `{profile}` is empty"));
    };
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the credential_process of profile `{profile}` ({program}): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the credential_process of profile `{profile}` ({program}) failed: {}",
            output.status
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|_| {
        format!("the credential_process of profile `{profile}` ({program}) did not print JSON")
    })?;
    if json["Version"] != 1 {
        return Err(format!(
            "the credential_process of profile `{profile}` ({program}) printed no `Version: 1`"
        ));
    }
    let text = |name: &str| json[name].as_str().filter(|v| !v.is_empty()).map(str::to_owned);
    match (text("AccessKeyId"), text("SecretAccessKey")) {
        (Some(access_key), Some(secret_key)) => Ok(ProcessCredentials {
            access_key,
            secret_key,
            session_token: text("SessionToken"),
            expires_at: text("Expiration").and_then(|at| rfc3339_to_unix(&at)),
        }),
        _ => Err(format!(
            "the credential_process of profile `{profile}` ({program}) printed no AccessKeyId and \
             SecretAccessKey"
        )),
    }
}

/// An RFC 3339 instant (`2026-11-29T12:00:00Z`) as Unix seconds.
pub fn rfc3339_to_unix(text: &str) -> Option<u64> {
    let at = time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(at.unix_timestamp()).ok()
}

/// Splits a command line into words as a POSIX shell would: blanks
/// separate words, single quotes keep everything, double quotes keep all
/// but `\"` and `\\`, a backslash outside quotes escapes the next
/// character. `None` for an unclosed quote.
fn split_words(command: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => word.push(c),
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# a comment
[default]
region = eu-west-1

[profile minio]
region=us-east-1
endpoint_url = http://global.example:9000
s3 =
    endpoint_url = http://127.0.0.1:9000
    addressing_style = path
output = json

[profile  spaced ]
region = ap-south-1
";

    const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default/secret

[minio]
aws_access_key_id = minio-key
; another comment
aws_secret_access_key = minio/secret
aws_session_token = token==
";

    #[test]
    fn sections_and_sub_sections_are_read() {
        let minio = parse_section(CONFIG, "profile minio").unwrap();
        assert_eq!(minio["region"], "us-east-1");
        assert_eq!(minio["s3.endpoint_url"], "http://127.0.0.1:9000");
        assert_eq!(minio["s3.addressing_style"], "path");
        assert_eq!(
            minio["output"], "json",
            "a key after a sub-section is the profile's again"
        );
        assert_eq!(
            parse_section(CONFIG, "profile spaced").unwrap()["region"],
            "ap-south-1"
        );
        assert!(parse_section(CONFIG, "profile nothing").is_none());
    }

    #[test]
    fn a_profile_joins_both_files_the_credentials_file_winning() {
        let dir = tempfile::tempdir().unwrap();
        let (credentials, config) = (dir.path().join("credentials"), dir.path().join("config"));
        std::fs::write(&credentials, CREDENTIALS).unwrap();
        std::fs::write(
            &config,
            format!("{CONFIG}\n[profile minio]\naws_access_key_id = from-config\n"),
        )
        .unwrap();
        let (minio, looked) = load("minio", &credentials, &config).unwrap();
        assert_eq!(minio.access_key.as_deref(), Some("minio-key"));
        assert_eq!(minio.secret_key.as_deref(), Some("minio/secret"));
        assert_eq!(minio.session_token.as_deref(), Some("token=="));
        assert_eq!(minio.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(minio.path_style, Some(true));
        assert!(looked.describe().contains("(read)"));
        assert!(!format!("{minio:?}").contains("minio/secret"));
        let (default, _) = load("default", &credentials, &config).unwrap();
        assert_eq!(default.region.as_deref(), Some("eu-west-1"));
        assert_eq!(default.access_key.as_deref(), Some("AKIADEFAULT"));
        let (_, looked) = load("absent", &dir.path().join("nope"), &config).unwrap();
        assert_eq!(looked.files[0].1, "no such profile");
        assert_eq!(looked.files[1].1, "missing");
    }

    #[test]
    fn commands_split_as_a_shell_would() {
        assert_eq!(
            split_words(r#"/bin/get-creds --profile 'a b' "c \"d\"" e\ f"#).unwrap(),
            ["/bin/get-creds", "--profile", "a b", "c \"d\"", "e f"]
        );
        assert!(split_words("unclosed 'quote").is_none());
    }

    #[test]
    fn a_credential_process_is_run_and_its_output_never_echoed() {
        let ok = r#"printf '{"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "proc/secret", "SessionToken": "tok"}'"#;
        let creds = run_process(&format!("sh -c {}", shell_quote(ok)), "p").unwrap();
        assert_eq!(
            (creds.access_key.as_str(), creds.secret_key.as_str()),
            ("AKIAPROC", "proc/secret")
        );
        assert_eq!(creds.session_token.as_deref(), Some("tok"));
        let leaky = r#"printf '{"Version": 2, "SecretAccessKey": "leaked/secret"}'"#;
        let error = run_process(&format!("sh -c {}", shell_quote(leaky)), "p").unwrap_err();
        assert!(error.contains("Version") && !error.contains("leaked"), "{error}");
        let error = run_process("sh -c 'exit 3'", "p").unwrap_err();
        assert!(error.contains("failed"), "{error}");
        assert!(run_process("/no/such/program", "p")
            .unwrap_err()
            .contains("cannot run"));
    }

    fn shell_quote(text: &str) -> String {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
