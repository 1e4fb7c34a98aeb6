//! Argon2id password hashing with the `argon2` crate's defaults (19 MiB, 2 passes), the
//! OWASP-recommended baseline. Hashing runs on the blocking pool: it takes tens of
//! milliseconds of CPU, which must not stall the async workers.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash as PhcHash, SaltString},
    Argon2, PasswordHasher as _, PasswordVerifier as _,
};
use async_trait::async_trait;
use domain::{
    auth::{Password, PasswordHasher},
    user::PasswordHash,
    DomainError, DomainResult,
};

#[derive(Clone, Copy, Debug, Default)]
pub struct Argon2Hasher;

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> DomainResult<PasswordHash> {
        let password = password.clone();
        blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|hash| PasswordHash::new(hash.to_string()))
                .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
        })
        .await
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> DomainResult<bool> {
        let password = password.clone();
        let hash = hash.clone();
        blocking(move || {
            let parsed = PhcHash::new(hash.as_str())
                .map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
            Ok(Argon2::default()
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> DomainResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DomainError::Unexpected(anyhow::anyhow!("password task failed: {e}")))?
        .map_err(DomainError::Unexpected)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = Argon2Hasher;
        let password = Password::parse("correct horse".into()).unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hasher.verify(&password, &hash).await.unwrap());
        let wrong = Password::parse("wrong horse".into()).unwrap();
        assert!(!hasher.verify(&wrong, &hash).await.unwrap());
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_salt() {
        let hasher = Argon2Hasher;
        let password = Password::parse("correct horse".into()).unwrap();
        let a = hasher.hash(&password).await.unwrap();
        let b = hasher.hash(&password).await.unwrap();
        assert_ne!(a.as_str(), b.as_str());
    }
}
