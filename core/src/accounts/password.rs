//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes), always off the async
//! runtime. Unknown accounts are checked against a dummy hash so both cases cost the same.

use crate::error::AppError;
use crate::infra::blocking::spawn_blocking_with_tracing;
use crate::types::NewPassword;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_sync(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| AppError::internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn verify_sync(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).map(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_sync("dojang-dummy-password-for-timing").unwrap_or_default())
}

pub async fn hash_password(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    spawn_blocking_with_tracing(move || hash_sync(&password)).await?
}

/// Checks `password` against `hash`; with no hash (unknown account) it still spends the time
/// of one verification and answers false.
pub async fn verify_password(hash: Option<String>, password: String) -> Result<bool, AppError> {
    spawn_blocking_with_tracing(move || match hash {
        Some(h) => verify_sync(&h, &password),
        None => {
            let _ = verify_sync(dummy_hash(), &password);
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_salted() {
        let p = NewPassword::parse("비밀번호는 길어야 합니다").unwrap();
        let a = hash_password(&p).await.unwrap();
        let b = hash_password(&p).await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password(Some(a.clone()), p.expose().to_owned()).await.unwrap());
        assert!(!verify_password(Some(a), "wrong password".into()).await.unwrap());
        assert!(!verify_password(None, "anything at all".into()).await.unwrap());
    }
}
