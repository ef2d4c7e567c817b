//! The outgoing-address policy: which IP addresses the component's requests
//! may reach.
//!
//! The check runs on the addresses a host name resolves to, before any
//! connection, and the connection then goes to the very addresses checked:
//! a name that resolves to a private address is caught like the address
//! itself, and a second lookup (DNS rebinding) never happens.
//!
//! By default only public unicast addresses are reachable. Loopback is
//! reachable when the caller named that destination itself (the
//! connection's endpoint, or a `--connect-to` target); private networks
//! only with an explicit opt-in. Link-local addresses, the cloud metadata
//! service `169.254.169.254` among them, are never reachable.
//!
//! Ranges from the IANA special-purpose address registries
//! (<https://www.iana.org/assignments/iana-ipv4-special-registry>,
//! <https://www.iana.org/assignments/iana-ipv6-special-registry>).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What an IP address is, as far as reaching it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressKind {
    /// Globally routable unicast: the Internet.
    Public,
    /// This machine: `127.0.0.0/8`, `::1`.
    Loopback,
    /// A private network: `10/8`, `172.16/12`, `192.168/16`, the carrier-grade
    /// NAT range `100.64/10`, IPv6 unique-local `fc00::/7` and the old
    /// site-local `fec0::/10`, local-use NAT64 `64:ff9b:1::/48`.
    Private,
    /// Link-local: `169.254/16` (where cloud metadata services answer) and
    /// `fe80::/10`.
    LinkLocal,
    /// A cloud metadata service outside the link-local range: EC2's IPv6
    /// `fd00:ec2::254`, Alibaba Cloud's `100.100.100.200`. They hand out
    /// the machine's credentials, so no opt-in reaches them.
    MetadataService,
    /// "This host" or "this network": `0.0.0.0/8`, `::`. Connecting to
    /// `0.0.0.0` reaches the local machine on Linux.
    Unspecified,
    /// The limited broadcast address `255.255.255.255`.
    Broadcast,
    /// Multicast: `224/4`, `ff00::/8`.
    Multicast,
    /// Reserved for documentation: `192.0.2/24`, `198.51.100/24`,
    /// `203.0.113/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// Reserved for benchmarking: `198.18/15`, `2001:2::/48`.
    Benchmarking,
    /// Any other special-purpose or unallocated range (`240/4`,
    /// `192.0.0/24`, IPv6 outside `2000::/3`, ...).
    Reserved,
}

impl AddressKind {
    /// The kind as a phrase: "a private address".
    pub fn describe(self) -> &'static str {
        match self {
            AddressKind::Public => "a public address",
            AddressKind::Loopback => "a loopback address",
            AddressKind::Private => "a private-network address",
            AddressKind::LinkLocal => "a link-local address (cloud metadata services live there)",
            AddressKind::MetadataService => "a cloud metadata service address",
            AddressKind::Unspecified => "an unspecified address",
            AddressKind::Broadcast => "the broadcast address",
            AddressKind::Multicast => "a multicast address",
            AddressKind::Documentation => "a documentation address",
            AddressKind::Benchmarking => "a benchmarking address",
            AddressKind::Reserved => "a reserved address",
        }
    }
}

/// How the destination of a connection was named, which decides how far
/// it may be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// By the component, from its own rules (an AWS host name, a region
    /// redirect): only public addresses.
    Component,
    /// The endpoint the caller gave explicitly, in the call's connection:
    /// loopback too.
    ExplicitEndpoint,
    /// A `--connect-to` target: the operator's own mapping, so loopback
    /// and private addresses too.
    ConnectTo,
}

/// The policy: by default, public unicast addresses only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Private networks (`10/8`, `172.16/12`, `192.168/16`, `100.64/10`,
    /// `fc00::/7`) are reachable too: an S3-compatible server on a LAN.
    pub allow_private_network: bool,
}

/// Why an address was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The address refused.
    pub address: IpAddr,
    /// What it is.
    pub kind: AddressKind,
    /// Whether `allow_private_network` would let it through.
    pub private_opt_in: bool,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}", self.address, self.kind.describe())?;
        match self.kind {
            AddressKind::Loopback => {
                f.write_str(", reachable only as the connection's explicit endpoint or a --connect-to target")
            }
            AddressKind::Private if self.private_opt_in => {
                f.write_str(", reachable only with --allow-private-network")
            }
            _ => Ok(()),
        }
    }
}

impl AddressPolicy {
    /// Whether `address`, named as `origin` says, may be connected to.
    pub fn check(&self, address: IpAddr, origin: Origin) -> Result<(), Refusal> {
        let kind = classify(address);
        let allowed = match kind {
            AddressKind::Public => true,
            AddressKind::Loopback => matches!(origin, Origin::ExplicitEndpoint | Origin::ConnectTo),
            AddressKind::Private => self.allow_private_network || origin == Origin::ConnectTo,
            AddressKind::LinkLocal
            | AddressKind::MetadataService
            | AddressKind::Unspecified
            | AddressKind::Broadcast
            | AddressKind::Multicast
            | AddressKind::Documentation
            | AddressKind::Benchmarking
            | AddressKind::Reserved => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(Refusal {
                address,
                kind,
                private_opt_in: kind == AddressKind::Private,
            })
        }
    }
}

/// What `address` is. IPv6 forms that carry an IPv4 address (mapped
/// `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`)
/// are what that IPv4 address is.
pub fn classify(address: IpAddr) -> AddressKind {
    match address {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(address: Ipv4Addr) -> AddressKind {
    let [a, b, c, _] = address.octets();
    if address == Ipv4Addr::new(100, 100, 100, 200) {
        return AddressKind::MetadataService;
    }
    match (a, b, c) {
        (0, _, _) => AddressKind::Unspecified,
        (10, _, _) => AddressKind::Private,
        (100, 64..=127, _) => AddressKind::Private,
        (127, _, _) => AddressKind::Loopback,
        (169, 254, _) => AddressKind::LinkLocal,
        (172, 16..=31, _) => AddressKind::Private,
        (192, 0, 0) => AddressKind::Reserved,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressKind::Documentation,
        // The deprecated 6to4 relay anycast.
        (192, 88, 99) => AddressKind::Reserved,
        (192, 168, _) => AddressKind::Private,
        (198, 18..=19, _) => AddressKind::Benchmarking,
        (224..=239, _, _) => AddressKind::Multicast,
        _ if address == Ipv4Addr::BROADCAST => AddressKind::Broadcast,
        (240..=255, _, _) => AddressKind::Reserved,
        _ => AddressKind::Public,
    }
}

fn classify_v6(address: Ipv6Addr) -> AddressKind {
    let segments = address.segments();
    let embedded_v4 = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match segments {
        [0, 0, 0, 0, 0, 0, 0, 0] => AddressKind::Unspecified,
        [0, 0, 0, 0, 0, 0, 0, 1] => AddressKind::Loopback,
        [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] => AddressKind::MetadataService,
        // IPv4-mapped: a socket connects to the IPv4 address itself.
        [0, 0, 0, 0, 0, 0xffff, high, low] => classify_v4(embedded_v4(high, low)),
        // NAT64: the translator connects to the embedded IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => classify_v4(embedded_v4(high, low)),
        [0x64, 0xff9b, 1, ..] => AddressKind::Private,
        // 6to4: the embedded IPv4 address is the relay's destination.
        [0x2002, high, low, ..] => classify_v4(embedded_v4(high, low)),
        [0x2001, 0x2, 0, ..] => AddressKind::Benchmarking,
        [0x2001, 0xdb8, ..] => AddressKind::Documentation,
        [first, ..] if first & 0xfff0 == 0x3ff0 => AddressKind::Documentation,
        // 2001::/23: IETF protocol assignments (Teredo, ORCHID, ...).
        [0x2001, second, ..] if second < 0x200 => AddressKind::Reserved,
        [first, ..] if first & 0xfe00 == 0xfc00 => AddressKind::Private,
        [first, ..] if first & 0xffc0 == 0xfe80 => AddressKind::LinkLocal,
        [first, ..] if first & 0xffc0 == 0xfec0 => AddressKind::Private,
        [first, ..] if first & 0xff00 == 0xff00 => AddressKind::Multicast,
        // Global unicast is 2000::/3; everything else is unallocated or
        // special (IPv4-compatible ::a.b.c.d, discard-only 100::/64, ...).
        [first, ..] if first & 0xe000 == 0x2000 => AddressKind::Public,
        _ => AddressKind::Reserved,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    use AddressKind::*;

    const TABLE: &[(&str, AddressKind)] = &[
        // Public.
        ("52.95.110.1", Public),
        ("8.8.8.8", Public),
        ("1.1.1.1", Public),
        ("100.63.255.255", Public),
        ("100.128.0.0", Public),
        ("172.15.255.255", Public),
        ("172.32.0.0", Public),
        ("192.167.255.255", Public),
        ("198.17.255.255", Public),
        ("223.255.255.255", Public),
        ("2600:1f18::1", Public),
        ("2a05:d018::1", Public),
        ("64:ff9b::808:808", Public),
        ("2002:808:808::1", Public),
        ("::ffff:52.95.110.1", Public),
        // Loopback.
        ("127.0.0.1", Loopback),
        ("127.255.255.254", Loopback),
        ("::1", Loopback),
        ("::ffff:127.0.0.1", Loopback),
        // Private networks.
        ("10.0.0.1", Private),
        ("10.1.2.3", Private),
        ("172.16.0.1", Private),
        ("172.31.255.255", Private),
        ("192.168.1.1", Private),
        ("100.64.0.1", Private),
        ("100.127.255.255", Private),
        ("fc00::1", Private),
        ("fd12:3456::1", Private),
        ("fec0::1", Private),
        ("64:ff9b:1::a00:1", Private),
        ("::ffff:10.1.2.3", Private),
        ("::ffff:192.168.0.1", Private),
        ("64:ff9b::a01:203", Private),
        ("2002:c0a8:101::1", Private),
        // Link-local, the metadata service first.
        ("169.254.169.254", LinkLocal),
        ("169.254.0.1", LinkLocal),
        ("fe80::1", LinkLocal),
        ("febf::1", LinkLocal),
        ("::ffff:169.254.169.254", LinkLocal),
        ("64:ff9b::a9fe:a9fe", LinkLocal),
        ("2002:a9fe:a9fe::1", LinkLocal),
        ("fd00:ec2::254", MetadataService),
        ("100.100.100.200", MetadataService),
        ("::ffff:100.100.100.200", MetadataService),
        ("fd00:ec2::253", Private),
        ("100.100.100.201", Private),
        // The rest.
        ("0.0.0.0", Unspecified),
        ("0.1.2.3", Unspecified),
        ("::", Unspecified),
        ("::ffff:0.0.0.0", Unspecified),
        ("255.255.255.255", Broadcast),
        ("224.0.0.1", Multicast),
        ("239.255.255.250", Multicast),
        ("ff02::1", Multicast),
        ("192.0.2.1", Documentation),
        ("198.51.100.7", Documentation),
        ("203.0.113.9", Documentation),
        ("2001:db8::1", Documentation),
        ("3fff::1", Documentation),
        ("198.18.0.1", Benchmarking),
        ("198.19.255.255", Benchmarking),
        ("2001:2::1", Benchmarking),
        ("240.0.0.1", Reserved),
        ("192.0.0.8", Reserved),
        ("192.88.99.1", Reserved),
        ("2001::1", Reserved),
        ("2001:20::1", Reserved),
        ("100::1", Reserved),
        ("::127.0.0.1", Reserved),
        ("4000::1", Reserved),
    ];

    #[test]
    fn addresses_are_classified_as_the_registries_say() {
        for (text, kind) in TABLE {
            let address: IpAddr = text.parse().unwrap();
            assert_eq!(classify(address), *kind, "{text}");
        }
    }

    fn allowed(policy: AddressPolicy, text: &str, origin: Origin) -> bool {
        policy.check(text.parse().unwrap(), origin).is_ok()
    }

    #[test]
    fn by_default_only_public_addresses_are_reachable() {
        let policy = AddressPolicy::default();
        for (text, kind) in TABLE {
            let expected = *kind == Public;
            assert_eq!(allowed(policy, text, Origin::Component), expected, "{text}");
        }
    }

    #[test]
    fn explicit_endpoint_may_be_loopback_but_not_private_or_link_local() {
        let policy = AddressPolicy::default();
        for (text, kind) in TABLE {
            let expected = matches!(kind, Public | Loopback);
            assert_eq!(
                allowed(policy, text, Origin::ExplicitEndpoint),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn private_networks_need_the_opt_in_and_it_opens_nothing_else() {
        let policy = AddressPolicy {
            allow_private_network: true,
        };
        for (text, kind) in TABLE {
            let expected = matches!(kind, Public | Private);
            assert_eq!(allowed(policy, text, Origin::Component), expected, "{text}");
        }
    }

    #[test]
    fn connect_to_target_may_be_loopback_or_private_never_link_local() {
        for policy in [
            AddressPolicy::default(),
            AddressPolicy {
                allow_private_network: true,
            },
        ] {
            for (text, kind) in TABLE {
                let expected = matches!(kind, Public | Loopback | Private);
                assert_eq!(allowed(policy, text, Origin::ConnectTo), expected, "{text}");
            }
        }
    }

    #[test]
    fn refusal_names_the_address_and_the_way_out() {
        let policy = AddressPolicy::default();
        let refusal = policy
            .check("10.1.2.3".parse().unwrap(), Origin::ExplicitEndpoint)
            .unwrap_err();
        let text = refusal.to_string();
        assert!(
            text.starts_with("10.1.2.3 is a private-network address"),
            "{text}"
        );
        assert!(text.contains("--allow-private-network"), "{text}");
        let refusal = policy
            .check("169.254.169.254".parse().unwrap(), Origin::ConnectTo)
            .unwrap_err();
        let text = refusal.to_string();
        assert!(text.contains("169.254.169.254 is a link-local address"), "{text}");
        assert!(!text.contains("--allow"), "{text}");
    }
}
