//! Secrets at rest: AES-256-GCM under a key derived from `DOJANG_SECRET_KEY` (HKDF-SHA256),
//! one key per purpose, so a value sealed for one use never opens as another. Stored as
//! `v1:` and the base64 of nonce ‖ ciphertext.

use crate::config::Secret;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{anyhow, Context as _};
use base64::Engine as _;
use rand::RngCore as _;
use sha2::Sha256;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What a sealed value is for; each purpose has its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Keys the instance keeps: sealing keys, the keys of admin and client tokens, webhook
    /// signing secrets (the label predates the other purposes and stays for stored data).
    StoredKey,
    /// Responses kept for idempotent replay (they can carry signing links, secrets, tokens).
    IdempotentResponse,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::StoredKey => b"seal-private-key-v1",
            Self::IdempotentResponse => b"idempotency-response-v1",
        }
    }
}

fn cipher(secret: &Secret, purpose: Purpose) -> Aes256Gcm {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"dojang"), secret.expose().as_bytes());
    let mut key = [0u8; 32];
    hk.expand(purpose.label(), &mut key).expect("32 bytes is a valid HKDF length");
    Aes256Gcm::new_from_slice(&key).expect("a 32-byte key")
}

pub fn encrypt(secret: &Secret, purpose: Purpose, plain: &[u8]) -> anyhow::Result<String> {
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher(secret, purpose).encrypt(Nonce::from_slice(&nonce), plain).map_err(|_| anyhow!("encrypting a secret"))?;
    let mut blob = nonce.to_vec();
    blob.extend(ct);
    Ok(format!("v1:{}", B64.encode(blob)))
}

pub fn decrypt(secret: &Secret, purpose: Purpose, stored: &str) -> anyhow::Result<Vec<u8>> {
    let blob = B64.decode(stored.strip_prefix("v1:").context("unknown secret format")?)?;
    anyhow::ensure!(blob.len() > 12, "stored secret too short");
    cipher(secret, purpose)
        .decrypt(Nonce::from_slice(&blob[..12]), &blob[12..])
        .map_err(|_| anyhow!("cannot decrypt a stored secret: DOJANG_SECRET_KEY differs from the one it was stored with"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_open_only_with_the_same_secret_and_purpose() {
        let s = Secret::new("a-secret-of-some-length-for-testing-only");
        let enc = encrypt(&s, Purpose::StoredKey, b"private").unwrap();
        assert!(!enc.contains("private"));
        assert_eq!(decrypt(&s, Purpose::StoredKey, &enc).unwrap(), b"private");
        assert!(decrypt(&Secret::new("another secret entirely"), Purpose::StoredKey, &enc).is_err());
        assert!(decrypt(&s, Purpose::IdempotentResponse, &enc).is_err(), "purposes do not mix");
    }
}
