//! `--connect-to HOST:PORT:ADDR:PORT`, as curl has it: requests for
//! HOST:PORT connect to ADDR:PORT instead, while the URL, the `host`
//! header, the TLS server name and certificate check, and so the
//! signature, stay those of HOST. An empty HOST or PORT matches any; an
//! empty ADDR or PORT keeps the request's own. IPv6 addresses go in
//! brackets: `::[::1]:9000`.

use std::fmt;
use std::str::FromStr;

/// One `HOST:PORT:ADDR:PORT` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTo {
    /// The request host it applies to (lower case, no brackets); `None`:
    /// every host.
    pub host: Option<String>,
    /// The request port it applies to (the scheme's default when the URL
    /// has none); `None`: every port.
    pub port: Option<u16>,
    /// Where to connect instead: a host name or an IP address (no
    /// brackets); `None`: the request's own host.
    pub target_host: Option<String>,
    /// The port to connect to; `None`: the request's own port.
    pub target_port: Option<u16>,
}

impl ConnectTo {
    /// Whether this rule applies to a request for `host` (as given by
    /// [`normalize_host`]) and `port`.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        self.host.as_deref().is_none_or(|h| h == host) && self.port.is_none_or(|p| p == port)
    }

    /// Where a request for `host` and `port` connects under this rule.
    pub fn target<'a>(&'a self, host: &'a str, port: u16) -> (&'a str, u16) {
        (
            self.target_host.as_deref().unwrap_or(host),
            self.target_port.unwrap_or(port),
        )
    }
}

/// The first rule that applies to `host` and `port`, as curl picks it.
pub fn find<'a>(rules: &'a [ConnectTo], host: &str, port: u16) -> Option<&'a ConnectTo> {
    rules.iter().find(|rule| rule.matches(host, port))
}

/// A host as rules compare it: lower case, without IPv6 brackets or a
/// final dot (`Bucket.S3.amazonaws.com.` is `bucket.s3.amazonaws.com`).
pub fn normalize_host(host: &str) -> String {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let host = host.strip_suffix('.').unwrap_or(host);
    host.to_ascii_lowercase()
}

impl FromStr for ConnectTo {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let fields = split_fields(text)?;
        let [host, port, target_host, target_port] = fields.as_slice() else {
            return Err(format!(
                "`{text}` is not HOST:PORT:ADDR:PORT (four fields, IPv6 addresses in brackets)"
            ));
        };
        Ok(Self {
            host: host_field(host, "HOST")?,
            port: port_field(port, "PORT")?,
            target_host: host_field(target_host, "ADDR")?,
            target_port: port_field(target_port, "the second PORT")?,
        })
    }
}

impl fmt::Display for ConnectTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = |h: &Option<String>| match h {
            Some(h) if h.contains(':') => format!("[{h}]"),
            Some(h) => h.clone(),
            None => String::new(),
        };
        let port = |p: Option<u16>| p.map(|p| p.to_string()).unwrap_or_default();
        write!(
            f,
            "{}:{}:{}:{}",
            host(&self.host),
            port(self.port),
            host(&self.target_host),
            port(self.target_port)
        )
    }
}

/// Splits on the colons that are not inside `[...]`.
fn split_fields(text: &str) -> Result<Vec<&str>, String> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut in_brackets = false;
    for (i, c) in text.char_indices() {
        match c {
            '[' if !in_brackets => in_brackets = true,
            ']' if in_brackets => in_brackets = false,
            ':' if !in_brackets => {
                fields.push(text.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_brackets {
        return Err(format!("`{text}` has an unclosed `[`"));
    }
    fields.push(text.get(start..).unwrap_or_default());
    Ok(fields)
}

fn host_field(text: &str, name: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        return match inner.parse::<std::net::Ipv6Addr>() {
            Ok(v6) => Ok(Some(v6.to_string())),
            Err(_) => Err(format!("{name} `{text}` is not an IPv6 address in brackets")),
        };
    }
    let valid = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !valid {
        return Err(format!("{name} `{text}` is not a host name or IP address"));
    }
    Ok(Some(normalize_host(text)))
}

fn port_field(text: &str, name: &str) -> Result<Option<u16>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(Some(port)),
        _ => Err(format!("{name} `{text}` is not a port (1 to 65535)")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rule(text: &str) -> ConnectTo {
        text.parse().unwrap()
    }

    #[test]
    fn four_fields_with_empty_ones_meaning_any_or_same() {
        let r = rule("bucket.s3.eu-west-1.amazonaws.com:443:127.0.0.1:8443");
        assert_eq!(r.host.as_deref(), Some("bucket.s3.eu-west-1.amazonaws.com"));
        assert_eq!(r.port, Some(443));
        assert_eq!(r.target_host.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.target_port, Some(8443));
        let r = rule("::127.0.0.1:");
        assert_eq!((r.host, r.port, r.target_port), (None, None, None));
        assert_eq!(r.target_host.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn ipv6_addresses_are_bracketed_and_stored_bare() {
        let r = rule("[2001:DB8::1]:443:[::1]:9000");
        assert_eq!(r.host.as_deref(), Some("2001:db8::1"));
        assert_eq!(r.target_host.as_deref(), Some("::1"));
        assert_eq!(r.to_string(), "[2001:db8::1]:443:[::1]:9000");
        assert!(r.matches(&normalize_host("[2001:db8::1]"), 443));
    }

    #[test]
    fn host_matches_without_case_or_final_dot() {
        let r = rule("Bucket.S3.amazonaws.com::127.0.0.1:");
        assert!(r.matches(&normalize_host("bucket.s3.amazonaws.com."), 443));
        assert!(r.matches("bucket.s3.amazonaws.com", 80));
        assert!(!r.matches("other.s3.amazonaws.com", 443));
        assert_eq!(r.target("bucket.s3.amazonaws.com", 443), ("127.0.0.1", 443));
    }

    #[test]
    fn first_matching_rule_wins() {
        let rules = [rule("a.example:443:127.0.0.1:1"), rule("::127.0.0.1:2")];
        assert_eq!(find(&rules, "a.example", 443).unwrap().target_port, Some(1));
        assert_eq!(find(&rules, "a.example", 80).unwrap().target_port, Some(2));
        assert!(find(&rules[..1], "b.example", 443).is_none());
    }

    #[test]
    fn malformed_rules_are_refused_with_the_reason() {
        for (text, reason) in [
            ("host:443:addr", "HOST:PORT:ADDR:PORT"),
            ("host:443:addr:1:2", "HOST:PORT:ADDR:PORT"),
            ("host:https:addr:443", "PORT `https`"),
            ("host:443:addr:70000", "second PORT"),
            ("host:0:addr:443", "PORT `0`"),
            ("[::1:443:addr:443", "unclosed"),
            ("[nope]:443:addr:443", "IPv6"),
            ("ho st:443:addr:443", "HOST `ho st`"),
            ("host:443:a/b:443", "ADDR `a/b`"),
            ("", "HOST:PORT:ADDR:PORT"),
        ] {
            let error = text.parse::<ConnectTo>().unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }
}
