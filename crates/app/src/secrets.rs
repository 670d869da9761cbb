//! Secrets: random tokens and codes, their hashes, password hashing (Argon2id) and machine secrets (HMAC).
//!
//! Every secret the platform hands out (session ids, bearer tokens, captcha answers, SMS codes, client secrets)
//! is stored only as a hash. Randomness comes through [`SecretSource`] so tests can know a captcha's answer
//! without reading it off an image; production uses the operating system's generator.
//!
//! Two kinds of credential, two hashes:
//! - a person's password is low-entropy, so it gets Argon2id (19 MiB, tens of milliseconds). Hashes in flight
//!   are bounded process-wide ([`limit_password_hashing`]); beyond the bound a request waits a little and is
//!   then refused [`PasswordHashError::Busy`], so a flood costs time, never memory;
//! - a machine's secret (a channel client, a bank system) is a 256-bit random token that cannot be guessed,
//!   so a keyed hash (HMAC-SHA-256 under a per-record random key) checked in constant time is enough, and costs
//!   microseconds. Such secrets ship inside public mini-programs: their check must be cheap for anyone to call.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// Characters of a captcha: no 0/O, 1/I/L look-alikes, so an elderly reader is not tricked by the font.
pub const CAPTCHA_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXY3456789";

pub trait SecretSource: Send + Sync + std::fmt::Debug {
    /// 256 bits, URL-safe: session ids, bearer tokens, CSRF tokens, client secrets.
    fn token(&self) -> String;
    fn captcha_text(&self, len: usize) -> String;
    fn numeric_code(&self, len: usize) -> String;
}

/// The operating system's generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsSecrets;

impl SecretSource for OsSecrets {
    fn token(&self) -> String {
        let mut b = [0u8; 32];
        OsRng.fill_bytes(&mut b);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }
    fn captcha_text(&self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(CAPTCHA_ALPHABET[OsRng.gen_range(0..CAPTCHA_ALPHABET.len())]))
            .collect()
    }
    fn numeric_code(&self, len: usize) -> String {
        (0..len).map(|_| char::from(b'0' + OsRng.gen_range(0..10u8))).collect()
    }
}

/// SHA-256, hex. For high-entropy secrets (tokens) and short-lived low-entropy ones bound to a single use
/// (captcha answers, SMS codes), where the attempt limits, not the hash, are the defence.
pub fn sha256_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A new id for a stored record.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub use crate::passwords::{hash_password, limit_password_hashing, verify_password, HashingLimits, PasswordHashError};

/// The shortest machine secret accepted: 32 characters of a random token carry at least 190 bits.
pub const MACHINE_SECRET_MIN_CHARS: usize = 32;
const MACHINE_PREFIX: &str = "hmac-sha256$";

/// Whether a machine secret is long enough to be a random token (a chosen word is refused).
pub fn machine_secret_acceptable(secret: &str) -> bool {
    secret.chars().count() >= MACHINE_SECRET_MIN_CHARS
        && secret.chars().count() <= 256
        && !secret.contains(char::is_whitespace)
}

fn machine_mac(key: &[u8], secret: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(secret.as_bytes());
    mac
}

/// `hmac-sha256$<key, base64>$<tag, hex>` under a fresh random 128-bit key.
pub fn machine_secret_hash(secret: &str) -> String {
    let mut key = [0u8; 16];
    OsRng.fill_bytes(&mut key);
    let tag = machine_mac(&key, secret).finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{MACHINE_PREFIX}{}${hex}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(key)
    )
}

/// `true` when `secret` matches `stored`, compared in constant time. A `None` stored hash (no such client)
/// does the same work and is `false`. A hash from before machine secrets had their own (Argon2id) is still
/// checked, through the bounded password path. A stored hash that does not parse is an error, not a mismatch.
pub async fn verify_machine_secret(secret: &str, stored: Option<&str>) -> Result<bool, PasswordHashError> {
    let Some(stored) = stored else {
        let _ = machine_mac(b"decoy-key-0123456", secret).finalize();
        return Ok(false);
    };
    if stored.starts_with("$argon2") {
        return verify_password(secret, Some(stored)).await;
    }
    let malformed = || PasswordHashError::Hash("machine secret hash does not parse".into());
    let (key, tag) = stored
        .strip_prefix(MACHINE_PREFIX)
        .and_then(|rest| rest.split_once('$'))
        .ok_or_else(malformed)?;
    let key = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(key)
        .map_err(|_| malformed())?;
    let tag: Vec<u8> = (0..tag.len())
        .step_by(2)
        .map(|i| tag.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<_>>()
        .ok_or_else(malformed)?;
    Ok(machine_mac(&key, secret).verify_slice(&tag).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn machine_secrets_are_keyed_hashes() {
        let secret = OsSecrets.token();
        assert!(machine_secret_acceptable(&secret));
        assert!(!machine_secret_acceptable("demo2026pass"));
        let h = machine_secret_hash(&secret);
        assert!(h.starts_with("hmac-sha256$"), "{h}");
        assert_ne!(h, machine_secret_hash(&secret), "a fresh key each time");
        assert!(verify_machine_secret(&secret, Some(&h)).await.unwrap());
        assert!(!verify_machine_secret(&format!("{secret}x"), Some(&h)).await.unwrap());
        assert!(!verify_machine_secret(&secret, None).await.unwrap());
        assert!(verify_machine_secret(&secret, Some("hmac-sha256$zz$zz")).await.is_err());
        // A hash stored before machine secrets had their own still verifies.
        let legacy = hash_password(&secret).await.unwrap();
        assert!(verify_machine_secret(&secret, Some(&legacy)).await.unwrap());
    }

    #[test]
    fn os_secrets_shapes() {
        let s = OsSecrets;
        assert_eq!(s.token().len(), 43);
        assert_ne!(s.token(), s.token());
        let c = s.captcha_text(4);
        assert_eq!(c.len(), 4);
        assert!(c.bytes().all(|b| CAPTCHA_ALPHABET.contains(&b)));
        let code = s.numeric_code(6);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(sha256_hex(&["a", "b"]).len(), 64);
        assert_ne!(sha256_hex(&["ab", ""]), sha256_hex(&["a", "b"]));
    }
}
