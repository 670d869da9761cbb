//! Secrets: random tokens and codes, their hashes, and password hashing (Argon2id).
//!
//! Every secret the platform hands out (session ids, bearer tokens, captcha answers, SMS codes, client secrets)
//! is stored only as a hash. Randomness comes through [`SecretSource`] so tests can know a captcha's answer
//! without reading it off an image; production uses the operating system's generator.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
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

#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task failed: {0}")]
    Task(String),
}

/// Argon2id with the crate's recommended parameters (19 MiB, 2 passes). Runs off the async threads.
pub async fn hash_password(password: &str) -> Result<String, PasswordHashError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordHashError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| PasswordHashError::Task(e.to_string()))?
}

/// A hash of a password nobody has: verifying against it when an account does not exist takes as long as a
/// real check, so response time does not tell which accounts exist.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3NjYXJkZGVjb3lzYWx0$K6Hc2b3kOlaR2b9xg2QkbdwZQw0TEKbqdGbAPmw1vbI";

/// `true` when `password` matches `hash`; `None` hash checks against a decoy and is always `false`.
/// A stored hash that does not parse is an error, not a mismatch.
pub async fn verify_password(password: &str, hash: Option<&str>) -> Result<bool, PasswordHashError> {
    let password = password.to_string();
    let real = hash.is_some();
    let hash = hash.unwrap_or(DECOY_HASH).to_string();
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| PasswordHashError::Hash(e.to_string()))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|e| PasswordHashError::Task(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2id_round_trip() {
        let h = hash_password("secret123").await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("secret123", Some(&h)).await.unwrap());
        assert!(!verify_password("secret124", Some(&h)).await.unwrap());
        assert!(!verify_password("secret123", None).await.unwrap());
        assert!(verify_password("x", Some("not a hash")).await.is_err());
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
