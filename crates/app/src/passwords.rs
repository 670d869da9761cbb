//! Password hashing (Argon2id, 19 MiB and two passes per hash), bounded in memory and in time.
//!
//! At most [`HashingLimits::in_flight`] hashes run at once in the process (one per core by default: more would
//! only queue on the CPU); a request waits up to [`HashingLimits::wait`] for a turn and is then refused
//! [`PasswordHashError::Busy`] (503 with `Retry-After`). Each turn hashes in working memory of its own that is
//! kept and reused, never freed: the allocator would otherwise keep a freed 19 MiB in each thread's arena, and
//! a burst of logins would leave the process hundreds of megabytes larger for good. So memory for hashing is
//! exactly `in_flight` × 19 MiB, whatever the load.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;

#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task failed: {0}")]
    Task(String),
    /// Every turn is taken and none came free within the wait: try again in `retry_after_secs`.
    #[error("too many password checks in flight")]
    Busy { retry_after_secs: u64 },
}

/// How many Argon2 hashes may run at once in this process, and how long a request waits for a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    pub in_flight: usize,
    pub wait: std::time::Duration,
}

impl Default for HashingLimits {
    /// One hash per core, a second's wait.
    fn default() -> HashingLimits {
        HashingLimits {
            in_flight: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            wait: std::time::Duration::from_secs(1),
        }
    }
}

/// Argon2's working memory for one hash.
type Memory = Vec<Block>;

/// The most working memory a stored hash may ask for (64 MiB): a hash is ours, but a corrupt one must not
/// make the process allocate without bound.
const MAX_BLOCKS: usize = 64 * 1024;

/// Turns to hash, each with its working memory.
#[derive(Debug)]
struct HashGate {
    permits: tokio::sync::Semaphore,
    limits: HashingLimits,
    /// Working memories not in use; never more than `in_flight` exist.
    spare: std::sync::Mutex<Vec<Memory>>,
}

/// A turn: the permit, and the working memory to hash in (given back when done).
struct Turn<'a> {
    gate: &'a HashGate,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl HashGate {
    fn new(limits: HashingLimits) -> HashGate {
        let limits = HashingLimits {
            in_flight: limits.in_flight.max(1),
            ..limits
        };
        HashGate {
            permits: tokio::sync::Semaphore::new(limits.in_flight),
            limits,
            spare: std::sync::Mutex::new(Vec::new()),
        }
    }

    async fn turn(&self) -> Result<Turn<'_>, PasswordHashError> {
        match tokio::time::timeout(self.limits.wait, self.permits.acquire()).await {
            Ok(Ok(p)) => Ok(Turn { gate: self, _permit: p }),
            Ok(Err(closed)) => Err(PasswordHashError::Task(closed.to_string())),
            Err(_) => {
                tracing::warn!("password hashing at its bound; a request was refused with 503");
                Err(PasswordHashError::Busy { retry_after_secs: 1 })
            }
        }
    }
}

impl Turn<'_> {
    fn take_memory(&self) -> Memory {
        self.gate
            .spare
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn give_back(&self, m: Memory) {
        self.gate.spare.lock().unwrap_or_else(|p| p.into_inner()).push(m);
    }

    /// Runs `work` off the async threads with this turn's working memory.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> Result<T, PasswordHashError> + Send + 'static,
    ) -> Result<T, PasswordHashError> {
        let mut memory = self.take_memory();
        let (memory, result) = tokio::task::spawn_blocking(move || {
            let r = work(&mut memory);
            (memory, r)
        })
        .await
        .map_err(|e| PasswordHashError::Task(e.to_string()))?;
        self.give_back(memory);
        result
    }
}

static HASHING: std::sync::OnceLock<HashGate> = std::sync::OnceLock::new();

/// Sets the process-wide bound; `false` when hashing had already started under another (the first one holds).
pub fn limit_password_hashing(limits: HashingLimits) -> bool {
    let wanted = HashGate::new(limits).limits;
    HASHING.get_or_init(|| HashGate::new(wanted)).limits == wanted
}

fn gate() -> &'static HashGate {
    HASHING.get_or_init(|| HashGate::new(HashingLimits::default()))
}

fn hash_err(e: impl std::fmt::Display) -> PasswordHashError {
    PasswordHashError::Hash(e.to_string())
}

/// Argon2 of `password` with `salt` into an output of `len` bytes, in `memory`.
fn argon2_in(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    len: usize,
    memory: &mut Memory,
) -> Result<Output, PasswordHashError> {
    let blocks = argon.params().block_count();
    if blocks > MAX_BLOCKS {
        return Err(PasswordHashError::Hash(format!("{blocks} KiB of working memory asked")));
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .map_err(|_| argon2::password_hash::Error::Password)
    })
    .map_err(hash_err)
}

/// Argon2id with the crate's recommended parameters (19 MiB, 2 passes), in PHC string form.
pub async fn hash_password(password: &str) -> Result<String, PasswordHashError> {
    let password = password.to_string();
    let turn = gate().turn().await?;
    turn.run(move |memory| {
        let salt = SaltString::generate(&mut OsRng);
        let mut buf = [0u8; 64];
        let salt_bytes = salt.as_salt().decode_b64(&mut buf).map_err(hash_err)?;
        let argon = Argon2::default();
        let output = argon2_in(
            &argon,
            password.as_bytes(),
            salt_bytes,
            Params::DEFAULT_OUTPUT_LEN,
            memory,
        )?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(argon.params()).map_err(hash_err)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(hash.to_string())
    })
    .await
}

/// A hash of a password nobody has: verifying against it when an account does not exist takes as long as a
/// real check, so response time does not tell which accounts exist.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3NjYXJkZGVjb3lzYWx0$K6Hc2b3kOlaR2b9xg2QkbdwZQw0TEKbqdGbAPmw1vbI";

/// `true` when `password` matches `hash` (compared in constant time); `None` hash checks against a decoy and
/// is always `false`. A stored hash that does not parse is an error, not a mismatch.
pub async fn verify_password(password: &str, hash: Option<&str>) -> Result<bool, PasswordHashError> {
    let password = password.to_string();
    let real = hash.is_some();
    let hash = hash.unwrap_or(DECOY_HASH).to_string();
    let turn = gate().turn().await?;
    turn.run(move |memory| {
        let parsed = PasswordHash::new(&hash).map_err(hash_err)?;
        let algorithm = Algorithm::try_from(parsed.algorithm).map_err(hash_err)?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).map_err(hash_err)?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).map_err(hash_err)?;
        let expected = parsed.hash.ok_or_else(|| hash_err("no hash in the stored value"))?;
        let salt = parsed.salt.ok_or_else(|| hash_err("no salt in the stored value"))?;
        let mut buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut buf).map_err(hash_err)?;
        let argon = Argon2::new(algorithm, version, params);
        let output = argon2_in(&argon, password.as_bytes(), salt_bytes, expected.len(), memory)?;
        // `Output`'s equality is constant-time.
        Ok(output == expected && real)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[tokio::test]
    async fn argon2id_round_trip_and_agreement_with_the_crate() {
        let h = hash_password("secret123").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("secret123", Some(&h)).await.unwrap());
        assert!(!verify_password("secret124", Some(&h)).await.unwrap());
        assert!(!verify_password("secret123", None).await.unwrap());
        assert!(verify_password("x", Some("not a hash")).await.is_err());
        // Our hash verifies with the crate's own code, and the crate's with ours.
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(Argon2::default().verify_password(b"secret123", &parsed).is_ok());
        let theirs = Argon2::default()
            .hash_password(b"pw-from-elsewhere1", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_password("pw-from-elsewhere1", Some(&theirs)).await.unwrap());
    }

    #[tokio::test]
    async fn hashing_beyond_the_bound_waits_then_is_refused() {
        let gate = HashGate::new(HashingLimits {
            in_flight: 2,
            wait: std::time::Duration::from_millis(20),
        });
        let one = gate.turn().await.unwrap();
        let _two = gate.turn().await.unwrap();
        assert!(matches!(
            gate.turn().await,
            Err(PasswordHashError::Busy { retry_after_secs: 1 })
        ));
        drop(one);
        assert!(gate.turn().await.is_ok(), "a freed turn is taken again");
    }

    #[tokio::test]
    async fn working_memory_is_reused_never_more_than_the_bound() {
        let gate = HashGate::new(HashingLimits {
            in_flight: 2,
            wait: std::time::Duration::from_secs(5),
        });
        for _ in 0..3 {
            let (a, b) = (gate.turn().await.unwrap(), gate.turn().await.unwrap());
            let ma = a.run(|m| {
                m.resize(8, Block::default());
                Ok(())
            });
            let mb = b.run(|m| {
                m.resize(8, Block::default());
                Ok(())
            });
            let (ra, rb) = tokio::join!(ma, mb);
            ra.unwrap();
            rb.unwrap();
        }
        assert_eq!(gate.spare.lock().unwrap().len(), 2, "two memories, made once, reused");
    }
}
