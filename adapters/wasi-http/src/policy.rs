//! Where a request may go: the URL taken apart as `wasi:http` wants it
//! (scheme, authority, path with query), and the outgoing-address policy
//! the adapter keeps on behalf of a host that has none.
//!
//! The adapter sees the URL, not the address a name resolves to (the host
//! resolves it), so it checks what it can: the scheme, and hosts that are
//! IP literals (in any form a resolver would take as one: `127.1`,
//! `0x7f.0.0.1` and `2130706433` are `127.0.0.1` to `inet_aton`) or the
//! name `localhost`. A public name that resolves to a private address is
//! beyond its sight; a host that needs that guard keeps it itself.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::address::{classify, AddressKind};

/// The environment variable that lets requests reach loopback addresses
/// (`127.0.0.0/8`, `::1`, `localhost`): a local S3 server.
pub const ALLOW_LOOPBACK: &str = "S3_CONNECTOR_ALLOW_LOOPBACK";

/// The environment variable that lets requests reach private networks
/// (`10/8`, `172.16/12`, `192.168/16`, `100.64/10`, `fc00::/7`): an
/// S3-compatible server on a LAN.
pub const ALLOW_PRIVATE_NETWORK: &str = "S3_CONNECTOR_ALLOW_PRIVATE_NETWORK";

/// What the environment opens beyond public addresses. Link-local
/// addresses (the cloud metadata service `169.254.169.254`) and the other
/// special ranges stay closed whatever it says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allowances {
    /// Loopback addresses are reachable.
    pub loopback: bool,
    /// Private networks are reachable.
    pub private_network: bool,
}

impl Allowances {
    /// The allowances the environment's variables give: [`ALLOW_LOOPBACK`]
    /// and [`ALLOW_PRIVATE_NETWORK`] set to `1`, `true` or `yes`.
    pub fn from_environment<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut allowances = Allowances::default();
        for (name, value) in vars {
            let on = ["1", "true", "yes"]
                .iter()
                .any(|yes| value.trim().eq_ignore_ascii_case(yes));
            if name == ALLOW_LOOPBACK {
                allowances.loopback = on;
            } else if name == ALLOW_PRIVATE_NETWORK {
                allowances.private_network = on;
            }
        }
        allowances
    }
}

/// `http` or `https`: the only schemes that leave the adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// A request's destination, as `wasi:http` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The scheme.
    pub scheme: Scheme,
    /// `host[:port]` exactly as the URL has it (the `Host` header the host
    /// sends is made from it).
    pub authority: String,
    /// The path and query exactly as the URL has them (as signed), `/` when
    /// the URL has none.
    pub path_with_query: String,
}

/// Why a URL may not be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The policy refuses the destination: the text names it and what it is.
    Denied(String),
    /// The URL is not one the adapter can send.
    Invalid(String),
}

/// Takes `url` apart and checks its destination against the policy.
pub fn check(url: &str, allowances: Allowances) -> Result<Target, Refusal> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(Refusal::Invalid(format!("not an absolute URL: {url}")));
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => {
            return Err(Refusal::Denied(format!(
                "scheme `{other}` is not allowed, only http and https"
            )))
        }
    };
    if rest.contains('#') {
        return Err(Refusal::Invalid(format!("a URL to send has no fragment: {url}")));
    }
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path_with_query = match path.chars().next() {
        None => "/".to_owned(),
        Some('?') => format!("/{path}"),
        Some(_) => path.to_owned(),
    };
    let host = host_of(authority).map_err(|why| Refusal::Invalid(format!("{why}: {url}")))?;
    check_host(&host, allowances).map_err(Refusal::Denied)?;
    Ok(Target {
        scheme,
        authority: authority.to_owned(),
        path_with_query,
    })
}

/// A URL's host, as far as the policy goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Host {
    /// An IP address, however it was written.
    Ip(IpAddr),
    /// `localhost` or a name under it (RFC 6761: always loopback).
    Localhost(String),
    /// Any other name, resolved by the host.
    Name,
}

/// The host of `authority` (`host[:port]`, `[v6]:port`), or why it has none.
fn host_of(authority: &str) -> Result<Host, &'static str> {
    if authority.contains('@') {
        return Err("a URL to send carries no user name or password");
    }
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        let (literal, after) = bracketed.split_once(']').ok_or("unclosed `[` in the host")?;
        check_port(after, true)?;
        let address: Ipv6Addr = literal.parse().map_err(|_| "not an IPv6 address in `[...]`")?;
        return Ok(Host::Ip(IpAddr::V6(address)));
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => {
                check_port(port, false)?;
                host
            }
            None => authority,
        }
    };
    if host.is_empty() {
        return Err("no host in the URL");
    }
    let host = host.to_ascii_lowercase();
    let name = host.strip_suffix('.').unwrap_or(&host);
    if let Some(address) = lenient_ipv4(name) {
        return Ok(Host::Ip(IpAddr::V4(address)));
    }
    // A resolver takes a name whose last label is a number as an IPv4
    // address (and fails), never as a name to look up.
    if name
        .rsplit('.')
        .next()
        .is_some_and(|last| numeric_label(last).is_some())
    {
        return Err("a host that looks like an IPv4 address but is not one");
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return Ok(Host::Localhost(host));
    }
    Ok(Host::Name)
}

/// `:port` after a bracketed host (`bracketed`), or the text after the last
/// `:` of another: digits, at most 65535; empty means the scheme's default.
fn check_port(port: &str, bracketed: bool) -> Result<(), &'static str> {
    let digits = if bracketed {
        match port.strip_prefix(':') {
            Some(digits) => digits,
            None if port.is_empty() => return Ok(()),
            None => return Err("text after `]` that is not a port"),
        }
    } else {
        port
    };
    if digits.is_empty() || (digits.bytes().all(|b| b.is_ascii_digit()) && digits.parse::<u16>().is_ok()) {
        Ok(())
    } else {
        Err("a port that is not a number from 0 to 65535")
    }
}

/// The value of one label of an IPv4 address as `inet_aton` reads it:
/// decimal, octal with a leading `0`, hexadecimal with `0x`.
fn numeric_label(label: &str) -> Option<u64> {
    let (digits, radix) = if let Some(hex) = label.strip_prefix("0x") {
        (hex, 16)
    } else if label.len() > 1 && label.starts_with('0') {
        (&label[1..], 8)
    } else {
        (label, 10)
    };
    if label.is_empty() || (digits.is_empty() && radix != 16) {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // More digits than any label may hold overflow: not an address.
    u64::from_str_radix(digits, radix).ok()
}

/// `text` as an IPv4 address in any form `inet_aton` accepts: one to four
/// labels, the last filling the bytes that remain (`127.1`, `2130706433`).
fn lenient_ipv4(text: &str) -> Option<Ipv4Addr> {
    let labels: Vec<&str> = text.split('.').collect();
    if labels.is_empty() || labels.len() > 4 {
        return None;
    }
    let values = labels
        .iter()
        .map(|label| numeric_label(label))
        .collect::<Option<Vec<u64>>>()?;
    let (last, leading) = values.split_last()?;
    let mut address: u64 = 0;
    for (i, value) in leading.iter().enumerate() {
        if *value > 255 {
            return None;
        }
        address |= value << (24 - 8 * i);
    }
    let remaining_bits = 32 - 8 * leading.len() as u32;
    if *last >= 1u64 << remaining_bits {
        return None;
    }
    address |= last;
    u32::try_from(address).ok().map(Ipv4Addr::from)
}

/// Whether the policy lets a request reach `host`; else what it refuses.
fn check_host(host: &Host, allowances: Allowances) -> Result<(), String> {
    let (named, kind) = match host {
        Host::Ip(address) => (address.to_string(), classify(*address)),
        Host::Localhost(name) => (name.clone(), AddressKind::Loopback),
        Host::Name => return Ok(()),
    };
    let (allowed, switch) = match kind {
        AddressKind::Public => (true, None),
        AddressKind::Loopback => (allowances.loopback, Some(ALLOW_LOOPBACK)),
        AddressKind::Private => (allowances.private_network, Some(ALLOW_PRIVATE_NETWORK)),
        _ => (false, None),
    };
    if allowed {
        return Ok(());
    }
    let mut message = format!("{named} is {}", kind.describe());
    if let Some(switch) = switch {
        message.push_str(&format!(", reachable only with {switch}=1 in the environment"));
    }
    Err(message)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NONE: Allowances = Allowances {
        loopback: false,
        private_network: false,
    };

    fn denied(url: &str, allowances: Allowances) -> String {
        match check(url, allowances) {
            Err(Refusal::Denied(message)) => message,
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn url_is_split_as_signed() {
        let target = check(
            "https://bucket.s3.eu-west-1.amazonaws.com/a%20b?x-id=GetObject",
            NONE,
        )
        .unwrap();
        assert_eq!(target.scheme, Scheme::Https);
        assert_eq!(target.authority, "bucket.s3.eu-west-1.amazonaws.com");
        assert_eq!(target.path_with_query, "/a%20b?x-id=GetObject");
        let target = check("HTTP://example.com:9000?list-type=2", NONE).unwrap();
        assert_eq!(target.scheme, Scheme::Http);
        assert_eq!(target.authority, "example.com:9000");
        assert_eq!(target.path_with_query, "/?list-type=2");
        assert_eq!(check("http://example.com", NONE).unwrap().path_with_query, "/");
    }

    #[test]
    fn other_schemes_are_denied() {
        for url in [
            "file:///etc/passwd",
            "ftp://example.com/x",
            "gopher://example.com/",
        ] {
            let message = denied(url, NONE);
            assert!(message.contains("only http and https"), "{message}");
        }
        assert!(matches!(check("no url", NONE), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn special_addresses_are_denied_naming_them() {
        for (url, address, kind) in [
            ("http://127.0.0.1:9000/b", "127.0.0.1", "loopback"),
            ("http://[::1]:9000/b", "::1", "loopback"),
            ("http://localhost:9000/b", "localhost", "loopback"),
            ("http://s3.localhost./b", "s3.localhost.", "loopback"),
            ("http://10.1.2.3/b", "10.1.2.3", "private"),
            ("http://192.168.0.1/b", "192.168.0.1", "private"),
            ("http://172.16.0.1/b", "172.16.0.1", "private"),
            ("http://100.64.0.1/b", "100.64.0.1", "private"),
            ("http://[fd00::1]/b", "fd00::1", "private"),
            (
                "http://169.254.169.254/latest/meta-data/",
                "169.254.169.254",
                "link-local",
            ),
            ("http://[fe80::1]/b", "fe80::1", "link-local"),
            ("http://0.0.0.0/b", "0.0.0.0", "unspecified"),
            ("http://[::]/b", "::", "unspecified"),
        ] {
            let message = denied(url, NONE);
            assert!(message.starts_with(&format!("{address} is ")), "{url}: {message}");
            assert!(message.contains(kind), "{url}: {message}");
        }
    }

    #[test]
    fn any_form_of_an_ipv4_literal_is_what_it_reads_as() {
        for (url, address) in [
            ("http://127.1/b", "127.0.0.1"),
            ("http://2130706433/b", "127.0.0.1"),
            ("http://0x7f.0.0.1/b", "127.0.0.1"),
            ("http://0177.0.0.1/b", "127.0.0.1"),
            ("http://0xA9FEA9FE/b", "169.254.169.254"),
            ("http://169.254.43518/b", "169.254.169.254"),
            ("http://[::ffff:169.254.169.254]/b", "169.254.169.254"),
            ("http://10.0.0.1./b", "10.0.0.1"),
        ] {
            let message = denied(url, NONE);
            assert!(message.contains(address), "{url}: {message}");
        }
        for url in ["http://1.2.3.999/b", "http://256.1/b", "http://09.1.1.1/b"] {
            assert!(matches!(check(url, NONE), Err(Refusal::Invalid(_))), "{url}");
        }
    }

    #[test]
    fn allowances_open_their_range_and_nothing_else() {
        let loopback = Allowances {
            loopback: true,
            private_network: false,
        };
        assert!(check("http://127.0.0.1:9000/b", loopback).is_ok());
        assert!(check("http://localhost:9000/b", loopback).is_ok());
        denied("http://10.1.2.3/b", loopback);
        denied("http://169.254.169.254/b", loopback);
        let private = Allowances {
            loopback: false,
            private_network: true,
        };
        assert!(check("http://10.1.2.3/b", private).is_ok());
        assert!(check("http://[fd12::1]:80/b", private).is_ok());
        denied("http://127.0.0.1/b", private);
        let both = Allowances {
            loopback: true,
            private_network: true,
        };
        for url in [
            "http://169.254.169.254/b",
            "http://[fe80::1]/b",
            "http://100.100.100.200/b",
        ] {
            denied(url, both);
        }
    }

    #[test]
    fn public_addresses_and_names_pass() {
        for url in [
            "https://s3.amazonaws.com/",
            "https://52.95.110.1/b",
            "https://[2600:1f18::1]:443/b",
            "http://minio.example.com:9000/b",
            "http://1.2.3.example/b",
        ] {
            assert!(check(url, NONE).is_ok(), "{url}");
        }
    }

    #[test]
    fn malformed_authorities_are_invalid() {
        for url in [
            "http://user:pw@example.com/",
            "http://:9000/",
            "http://example.com:99999/",
            "http://example.com:x/",
            "http://[::1/",
            "http://[::1]x/",
            "http://example.com/#frag",
        ] {
            assert!(matches!(check(url, NONE), Err(Refusal::Invalid(_))), "{url}");
        }
    }

    #[test]
    fn environment_switches_read_as_booleans() {
        let allowances =
            Allowances::from_environment([(ALLOW_LOOPBACK, "1"), (ALLOW_PRIVATE_NETWORK, "TRUE")]);
        assert!(allowances.loopback && allowances.private_network);
        let allowances = Allowances::from_environment([(ALLOW_LOOPBACK, "0"), ("OTHER", "1")]);
        assert_eq!(allowances, Allowances::default());
    }
}
