//! Stage 3: the signing key and the signature.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use super::string_to_sign::date_stamp;
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
    date: String,
    region: String,
    service: String,
    access_key: String,
    secret: Secret,
    key: [u8; 32],
}

impl CachedKey {
    fn matches(&self, date: &str, ctx: &SigningContext<'_>) -> bool {
        self.date == date
            && self.region == ctx.region
            && self.service == ctx.service
            && self.access_key == ctx.credentials.access_key
            && self.secret.expose() == ctx.credentials.secret_key.expose()
    }
}

impl SigningKeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The signing key for `ctx`'s credentials, date, region and service,
    /// derived once and then reused.
    pub fn key(&mut self, ctx: &SigningContext<'_>) -> [u8; 32] {
        let date = date_stamp(ctx.time);
        if let Some(found) = self.entries.iter().find(|e| e.matches(&date, ctx)) {
            return found.key;
        }
        let secret = &ctx.credentials.secret_key;
        let key = signing_key(secret.expose(), ctx.time, ctx.region, ctx.service);
        // Keys of another day are never used again.
        self.entries.retain(|e| e.date == date);
        if self.entries.len() >= CACHE_SLOTS {
            self.entries.remove(0);
        }
        self.entries.push(CachedKey {
            date,
            region: ctx.region.to_owned(),
            service: ctx.service.to_owned(),
            access_key: ctx.credentials.access_key.clone(),
            secret: secret.clone(),
            key,
        });
        key
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
            format!(
                "{}/{}/{}/{}/aws4_request",
                e.access_key, e.date, e.region, e.service
            )
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
    fn cache_returns_the_derived_key_and_reuses_it() {
        let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, None);
        let t = datetime!(2013-05-24 00:00:00 UTC);
        let mut cache = SigningKeyCache::new();
        let first = cache.key(&ctx(&creds, "us-east-1", t));
        assert_eq!(first, signing_key(SECRET, t, "us-east-1", "s3"));
        let again = cache.key(&ctx(&creds, "us-east-1", datetime!(2013-05-24 23:59:59 UTC)));
        assert_eq!(again, first);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn cache_derives_a_new_key_per_region_day_and_secret() {
        let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, None);
        let other_secret = Credentials::new("AKIAIOSFODNN7EXAMPLE", "another", None);
        let t = datetime!(2013-05-24 00:00:00 UTC);
        let next_day = datetime!(2013-05-25 00:00:00 UTC);
        let mut cache = SigningKeyCache::new();
        let base = cache.key(&ctx(&creds, "us-east-1", t));
        let eu = cache.key(&ctx(&creds, "eu-west-1", t));
        assert_ne!(eu, base);
        assert_eq!(eu, signing_key(SECRET, t, "eu-west-1", "s3"));
        let rotated = cache.key(&ctx(&other_secret, "us-east-1", t));
        assert_eq!(rotated, signing_key("another", t, "us-east-1", "s3"));
        let tomorrow = cache.key(&ctx(&creds, "us-east-1", next_day));
        assert_eq!(tomorrow, signing_key(SECRET, next_day, "us-east-1", "s3"));
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
            assert_eq!(key, signing_key(SECRET, t, region, "s3"));
        }
        assert_eq!(cache.len(), CACHE_SLOTS);
    }

    #[test]
    fn cache_debug_shows_neither_secret_nor_key() {
        let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET, Some("TOKEN"));
        let t = datetime!(2013-05-24 00:00:00 UTC);
        let mut cache = SigningKeyCache::new();
        let key = cache.key(&ctx(&creds, "us-east-1", t));
        let shown = format!("{cache:?}");
        assert!(
            shown.contains("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"),
            "{shown}"
        );
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(!shown.contains(&hex(&key)), "{shown}");
    }
}
