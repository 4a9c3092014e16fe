//! Secrets: values kept at rest — AES-256-GCM under a key derived from `DOJANG_SECRET_KEY`
//! (HKDF-SHA256), one key per purpose, so a value sealed for one use never opens as another,
//! stored as `v1:` and the base64 of nonce ‖ ciphertext — and the bearer tokens of links,
//! of which only a hash is stored.

use crate::infra::config::Secret;
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
    /// Messages waiting in (and kept by) the outboxes that carry one-time codes or links.
    OutboxMessage,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::StoredKey => b"seal-private-key-v1",
            Self::IdempotentResponse => b"idempotency-response-v1",
            Self::OutboxMessage => b"outbox-message-v1",
        }
    }
}

/// The 32-byte key for `label`, derived from the instance secret (HKDF-SHA256).
fn derive_key(secret: &Secret, label: &[u8]) -> [u8; 32] {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"dojang"), secret.expose().as_bytes());
    let mut key = [0u8; 32];
    hk.expand(label, &mut key).expect("32 bytes is a valid HKDF length");
    key
}

fn cipher(secret: &Secret, purpose: Purpose) -> Aes256Gcm {
    Aes256Gcm::new_from_slice(&derive_key(secret, purpose.label())).expect("a 32-byte key")
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

/// A key the instance keeps (sealing keys, token keys, webhook secrets), sealed for storage.
pub fn encrypt_key(secret: &Secret, plain: &[u8]) -> anyhow::Result<String> {
    encrypt(secret, Purpose::StoredKey, plain)
}

/// A key sealed by `encrypt_key`, opened.
pub fn decrypt_key(secret: &Secret, stored: &str) -> anyhow::Result<Vec<u8>> {
    decrypt(secret, Purpose::StoredKey, stored)
}

/// A keyed hash of a short secret (a one-time code, an access code, a birth date): HMAC-SHA256
/// under a key derived from `DOJANG_SECRET_KEY` for `label`, hex. Unlike a plain hash, a
/// stolen table cannot be searched through a million six-digit codes without the key.
pub fn keyed_hash(secret: &Secret, label: &[u8], value: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derive_key(secret, label)).expect("any key length");
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Equal byte strings, compared in constant time for equal lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token of a signing link (download links use the same form): 256 random bits as 43
/// URL-safe base64 characters — or, for the short links SMS carry, 128 random bits as 22.
/// Only its SHA-256 is stored; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningToken(String);

impl SigningToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A 128-bit token (22 characters), for links that must be short (SMS).
    pub fn generate_short() -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as it appears in a URL; anything else cannot name a link.
    pub fn parse(s: &str) -> Option<Self> {
        (matches!(s.len(), 22 | 43) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')).then(|| Self(s.to_owned()))
    }

    /// What is stored to find the link again.
    pub fn hash(&self) -> String {
        token_hash(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SigningToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningToken(<redacted>)")
    }
}

/// The stored form of a bearer token: its SHA-256, hex (the token carries ≥ 128 random bits,
/// so a fast hash is enough).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_tokens_are_long_random_and_stored_hashed() {
        let (a, b) = (SigningToken::generate(), SigningToken::generate());
        assert_ne!(a, b);
        assert_eq!(SigningToken::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.hash().len(), 64);
        assert!(!a.hash().contains(a.as_str()));
        assert!(!format!("{a:?}").contains(a.as_str()));
        let short = SigningToken::generate_short();
        assert_eq!(short.as_str().len(), 22);
        assert_eq!(SigningToken::parse(short.as_str()), Some(short.clone()));
        assert_ne!(short, SigningToken::generate_short());
        for bad in ["", "short", &"A".repeat(44), &format!("{}=", "A".repeat(42)), &format!("{}/", "A".repeat(42))] {
            assert_eq!(SigningToken::parse(bad), None, "{bad}");
        }
    }

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
