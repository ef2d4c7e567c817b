//! Stage 3: the signing key and the signature.

use std::cell::RefCell;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::{Date, OffsetDateTime};

use super::string_to_sign::{date_stamp, utc};
use super::{hex, SigningContext};
use crate::connection::Secret;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length (a long key is hashed first), so the
    // error arm cannot be taken.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The signing key: `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, time: OffsetDateTime, region: &str, service: &str) -> [u8; 32] {
    let mut first = Vec::with_capacity(4 + secret.len());
    first.extend_from_slice(b"AWS4");
    first.extend_from_slice(secret.as_bytes());
    let k_date = hmac(&first, date_stamp(time).as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The hex signature of a string to sign.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex(&hmac(signing_key, string_to_sign.as_bytes()))
}

/// A derived signing key, ready to sign: its HMAC is keyed once (the inner
/// and outer pads hashed), so each signature costs two SHA-256 blocks less
/// than [`signature`]. Its `Debug` output never shows the key.
///
/// It also keeps the HMAC with the first 64 bytes of the last string it
/// signed absorbed. A string to sign starts with the algorithm, the time to
/// the second and the scope, so the strings of requests signed within one
/// second share those bytes, and each after the first costs one SHA-256
/// block less (three instead of four).
pub struct SigningKey {
    mac: HmacSha256,
    first_block: RefCell<Option<FirstBlock>>,
}

/// The first block of a string signed, and the HMAC that absorbed it.
struct FirstBlock {
    bytes: [u8; BLOCK],
    mac: HmacSha256,
}

/// SHA-256's block size.
const BLOCK: usize = 64;

impl Clone for SigningKey {
    /// The key; what it last signed is not carried over.
    fn clone(&self) -> Self {
        SigningKey {
            mac: self.mac.clone(),
            first_block: RefCell::new(None),
        }
    }
}

impl SigningKey {
    /// Wraps a key derived with [`signing_key`].
    pub fn from_bytes(key: &[u8; 32]) -> Self {
        let mac = match HmacSha256::new_from_slice(key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        SigningKey {
            mac,
            first_block: RefCell::new(None),
        }
    }

    /// Derives the key for `secret` at `time` (its UTC date), in `region`
    /// for `service`.
    pub fn derive(secret: &str, time: OffsetDateTime, region: &str, service: &str) -> Self {
        Self::from_bytes(&signing_key(secret, time, region, service))
    }

    /// Derives the key for a signing context.
    pub fn for_context(ctx: &SigningContext<'_>) -> Self {
        Self::derive(
            ctx.credentials.secret_key.expose(),
            ctx.time,
            ctx.region,
            ctx.service,
        )
    }

    /// The hex signature of a string to sign (as [`signature`]).
    pub fn sign(&self, string_to_sign: &str) -> String {
        hex(&self.signature_bytes(string_to_sign))
    }

    /// The signature of a string to sign, as bytes.
    pub fn signature_bytes(&self, string_to_sign: &str) -> [u8; 32] {
        let bytes = string_to_sign.as_bytes();
        let mac = match (
            bytes.split_first_chunk::<BLOCK>(),
            self.first_block.try_borrow_mut(),
        ) {
            (Some((head, rest)), Ok(mut memo)) => {
                let mut mac = match memo.as_ref() {
                    Some(seen) if crate::ascii::same(&seen.bytes, head) => seen.mac.clone(),
                    _ => {
                        let mut mac = self.mac.clone();
                        mac.update(head);
                        *memo = Some(FirstBlock {
                            bytes: *head,
                            mac: mac.clone(),
                        });
                        mac
                    }
                };
                mac.update(rest);
                mac
            }
            _ => {
                let mut mac = self.mac.clone();
                mac.update(bytes);
                mac
            }
        };
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(****)")
    }
}

/// How many scopes a [`SigningKeyCache`] keeps. A client signs for one
/// region at a time, two while it follows a region redirect.
const CACHE_SLOTS: usize = 4;

/// Signing keys already derived, so that signing a request costs one HMAC
/// instead of five. A key depends on the date, region and service (the
/// credential scope) and on the credentials; it is reused only when all of
/// them match, the secret included, so changing a secret under the same
/// access key id never signs with a stale key.
///
/// Its `Debug` output shows the scopes and access key ids, never a secret or
/// a key.
#[derive(Clone, Default)]
pub struct SigningKeyCache {
    entries: Vec<CachedKey>,
}

#[derive(Clone)]
struct CachedKey {
    date: Date,
    region: String,
    service: String,
    access_key: String,
    secret: Secret,
    key: SigningKey,
}

impl CachedKey {
    fn matches(&self, date: Date, ctx: &SigningContext<'_>) -> bool {
        let same = |a: &str, b: &str| crate::ascii::same(a.as_bytes(), b.as_bytes());
        self.date == date
            && same(&self.region, ctx.region)
            && same(&self.service, ctx.service)
            && same(&self.access_key, &ctx.credentials.access_key)
            && same(self.secret.expose(), ctx.credentials.secret_key.expose())
    }
}

impl SigningKeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The signing key for `ctx`'s credentials, date, region and service,
    /// derived once and then reused.
    pub fn key(&mut self, ctx: &SigningContext<'_>) -> &SigningKey {
        let date = utc(ctx.time).date();
        if let Some(at) = self.entries.iter().position(|e| e.matches(date, ctx)) {
            return &self.entries[at].key;
        }
        let secret = &ctx.credentials.secret_key;
        let key = SigningKey::for_context(ctx);
        // Keys of another day are never used again.
        self.entries.retain(|e| e.date == date);
        if self.entries.len() >= CACHE_SLOTS {
            self.entries.remove(0);
        }
        let at = self.entries.len();
        self.entries.push(CachedKey {
            date,
            region: ctx.region.to_owned(),
            service: ctx.service.to_owned(),
            access_key: ctx.credentials.access_key.clone(),
            secret: secret.clone(),
            key,
        });
        &self.entries[at].key
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scopes = self.entries.iter().map(|e| {
            let date = date_stamp(e.date.midnight().assume_utc());
            format!("{}/{date}/{}/{}/aws4_request", e.access_key, e.region, e.service)
        });
        f.debug_struct("SigningKeyCache")
            .field("scopes", &scopes.collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::Credentials;
    use time::macros::datetime;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// Keys compare by what they sign.
    fn probe(key: &SigningKey) -> String {
        key.sign("probe")
    }

    fn derived(secret: &str, t: OffsetDateTime, region: &str) -> String {
        signature(&signing_key(secret, t, region, "s3"), "probe")
    }

    fn ctx<'a>(credentials: &'a Credentials, region: &'a str, time: OffsetDateTime) -> SigningContext<'a> {
        SigningContext {
            credentials,
            region,
            service: "s3",
            time,
        }
    }

    #[test]
    fn signing_key_matches_the_s3_documentation() {
        let key = signing_key(SECRET, datetime!(2013-05-24 00:00:00 UTC), "us-east-1", "s3");
        assert_eq!(
            hex(&key),
            "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
        );
    }

    #[test]
    fn a_keyed_signing_key_signs_as_the_plain_hmac() {
        let t = datetime!(2013-05-24 00:00:00 UTC);
        let bytes = signing_key(SECRET, t, "us-east-1", "s3");
        for sts in ["", "AWS4-HMAC-SHA256\n20130524T000000Z", &"x".repeat(200)] {
            assert_eq!(SigningKey::from_bytes(&bytes).sign(sts), signature(&bytes, sts));
            assert_eq!(
                SigningKey::derive(SECRET, t, "us-east-1", "s3").sign(sts),
                signature(&bytes, sts)
            );
        }
    }

    #[test]
    fn a_first_block_kept_from_the_last_signature_signs_as_the_whole_string() {
        let bytes = signing_key(SECRET, datetime!(2013-05-24 00:00:00 UTC), "us-east-1", "s3");
        let key = SigningKey::from_bytes(&bytes);
        let at = |second: &str, hash: &str| {
            format!("AWS4-HMAC-SHA256\n20130524T0000{second}Z\n20130524/us-east-1/s3/aws4_request\n{hash}")
        };
        let strings = [
            at("00", "aa"),
            // The same first 64 bytes: signed from the kept block.
            at("00", "bb"),
            at("00", "aa"),
            // Another second: another first block, kept in its place.
            at("01", "aa"),
            at("00", "bb"),
            // Exactly one block, then shorter than one.
            "x".repeat(64),
            "x".repeat(64),
            "probe".to_owned(),
            String::new(),
            at("00", "cc"),
        ];
        for string in &strings {
            assert_eq!(key.sign(string), signature(&bytes, string), "{string:?}");
        }
        // The block kept is the last long string's.
        let kept = key
            .first_block
            .borrow()
            .as_ref()
            .map(|block| block.bytes.to_vec());
        assert_eq!(kept.as_deref(), strings[9].as_bytes().get(..BLOCK));
        // A clone signs the same, without what the original last signed.
        let clone = key.clone();
        assert!(clone.first_block.borrow().is_none());
        assert_eq!(clone.sign(&strings[1]), signature(&bytes, &strings[1]));
    }

    #[test]
    fn cache_returns_the_derived_key_and_reuses_it() {
        let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, None);
        let t = datetime!(2013-05-24 00:00:00 UTC);
        let mut cache = SigningKeyCache::new();
        let first = probe(cache.key(&ctx(&creds, "us-east-1", t)));
        assert_eq!(first, derived(SECRET, t, "us-east-1"));
        let again = cache.key(&ctx(&creds, "us-east-1", datetime!(2013-05-24 23:59:59 UTC)));
        assert_eq!(probe(again), first);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn cache_derives_a_new_key_per_region_day_and_secret() {
        let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, None);
        let other_secret = Credentials::new("AKIAIOSFODNN7EXAMPLE", "another", None);
        let t = datetime!(2013-05-24 00:00:00 UTC);
        let next_day = datetime!(2013-05-25 00:00:00 UTC);
        let mut cache = SigningKeyCache::new();
        let base = probe(cache.key(&ctx(&creds, "us-east-1", t)));
        let eu = probe(cache.key(&ctx(&creds, "eu-west-1", t)));
        assert_ne!(eu, base);
        assert_eq!(eu, derived(SECRET, t, "eu-west-1"));
        let rotated = probe(cache.key(&ctx(&other_secret, "us-east-1", t)));
        assert_eq!(rotated, derived("another", t, "us-east-1"));
        let tomorrow = probe(cache.key(&ctx(&creds, "us-east-1", next_day)));
        assert_eq!(tomorrow, derived(SECRET, next_day, "us-east-1"));
        // Yesterday's keys were dropped.
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn cache_keeps_at_most_a_few_keys() {
        let creds = Credentials::new("AKID", SECRET, None);
        let t = datetime!(2013-05-24 00:00:00 UTC);
        let mut cache = SigningKeyCache::new();
        for region in ["r1", "r2", "r3", "r4", "r5", "r6"] {
            let key = cache.key(&ctx(&creds, region, t));
            assert_eq!(probe(key), derived(SECRET, t, region));
        }
        assert_eq!(cache.len(), CACHE_SLOTS);
    }

    #[test]
    fn cache_debug_shows_neither_secret_nor_key() {
        let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, Some("TOKEN"));
        let t = datetime!(2013-05-24 00:00:00 UTC);
        let mut cache = SigningKeyCache::new();
        let key = cache.key(&ctx(&creds, "us-east-1", t)).clone();
        let shown = format!("{cache:?} {key:?}");
        assert!(
            shown.contains("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"),
            "{shown}"
        );
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        let bytes = signing_key(SECRET, t, "us-east-1", "s3");
        assert!(!shown.contains(&hex(&bytes)), "{shown}");
        assert!(!shown.contains(&format!("{bytes:?}")), "{shown}");
    }
}
