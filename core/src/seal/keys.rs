//! The instance's sealing keys. On first start Dojang creates its own root certificate and a
//! sealing certificate issued by it, so sealing never waits for an operator. An operator may
//! import a PKCS#12 instead, and rotate keys with the admin CLI; old certificates stay known,
//! so documents sealed with them still verify. Private keys are encrypted at rest with a key
//! derived from `DOJANG_SECRET_KEY` (HKDF-SHA256 → AES-256-GCM).

use crate::infra::config::Secret;
use crate::infra::crypto;
use crate::infra::db::{Db, Timestamp};
use anyhow::{anyhow, bail, Context as _};
use base64::Engine as _;
use der::{Decode, Encode};
use rand::RngCore as _;
use sha2::Sha256;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use std::str::FromStr as _;
use std::time::Duration;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;
use x509_cert::Certificate;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A private key that can sign digests for CMS.
pub enum Signer {
    P256(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl Signer {
    /// Signs `message` (SHA-256 is applied by the algorithm).
    pub fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        match self {
            Signer::P256(k) => {
                use p256::ecdsa::signature::Signer as _;
                let sig: p256::ecdsa::DerSignature = k.sign(message);
                Ok(sig.as_bytes().to_vec())
            }
            Signer::Rsa(k) => {
                use rsa::signature::{SignatureEncoding as _, Signer as _};
                let key = rsa::pkcs1v15::SigningKey::<Sha256>::new((**k).clone());
                Ok(key.sign(message).to_vec())
            }
        }
    }

    /// The CMS `signatureAlgorithm` for this key with SHA-256.
    pub fn algorithm(&self) -> AlgorithmIdentifierOwned {
        match self {
            Signer::P256(_) => AlgorithmIdentifierOwned { oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256, parameters: None },
            Signer::Rsa(_) => AlgorithmIdentifierOwned { oid: const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION, parameters: Some(der::Any::null()) },
        }
    }

    fn to_pkcs8(&self) -> anyhow::Result<Vec<u8>> {
        use pkcs8::EncodePrivateKey as _;
        Ok(match self {
            Signer::P256(k) => k.to_pkcs8_der()?.as_bytes().to_vec(),
            Signer::Rsa(k) => k.to_pkcs8_der()?.as_bytes().to_vec(),
        })
    }

    fn from_pkcs8(der: &[u8]) -> anyhow::Result<Self> {
        use pkcs8::DecodePrivateKey as _;
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(Signer::P256(k));
        }
        rsa::RsaPrivateKey::from_pkcs8_der(der).map(|k| Signer::Rsa(Box::new(k))).map_err(|_| anyhow!("the private key is neither P-256 ECDSA nor RSA"))
    }
}

/// The key and certificates that seal documents now.
pub struct SealKey {
    pub id: String,
    pub signer: Signer,
    pub certificate: Vec<u8>,
    /// Issuer certificates, up to the root.
    pub chain: Vec<Vec<u8>>,
    pub subject: String,
}

fn random_serial() -> anyhow::Result<SerialNumber> {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[0] &= 0x7f;
    Ok(SerialNumber::new(&b)?)
}

fn p256_spki(k: &p256::ecdsa::SigningKey) -> anyhow::Result<SubjectPublicKeyInfoOwned> {
    Ok(SubjectPublicKeyInfoOwned::from_key(*k.verifying_key())?)
}

/// A self-signed root, valid 20 years.
fn make_root(label: &str) -> anyhow::Result<(p256::ecdsa::SigningKey, Certificate)> {
    let key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let subject = Name::from_str(&format!("CN=Dojang Root CA {label},O=Dojang"))?;
    let validity = Validity::from_now(Duration::from_secs(20 * 365 * 86_400))?;
    let builder = CertificateBuilder::new(Profile::Root, random_serial()?, validity, subject, p256_spki(&key)?, &key)?;
    let cert = builder.build::<p256::ecdsa::DerSignature>()?;
    Ok((key, cert))
}

/// A sealing certificate issued by `root`, valid 5 years.
fn make_seal(root_key: &p256::ecdsa::SigningKey, root: &Certificate, label: &str) -> anyhow::Result<(p256::ecdsa::SigningKey, Certificate)> {
    let key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let subject = Name::from_str(&format!("CN=Dojang Seal {label},O=Dojang"))?;
    let validity = Validity::from_now(Duration::from_secs(5 * 365 * 86_400))?;
    let profile = Profile::Leaf { issuer: root.tbs_certificate.subject.clone(), enable_key_agreement: false, enable_key_encipherment: false };
    let builder = CertificateBuilder::new(profile, random_serial()?, validity, subject, p256_spki(&key)?, root_key)?;
    let cert = builder.build::<p256::ecdsa::DerSignature>()?;
    Ok((key, cert))
}

/// A root and a sealing key held only in memory (benchmarks; nothing stored).
pub fn ephemeral() -> anyhow::Result<SealKey> {
    let (root_key, root) = make_root("ephemeral")?;
    let (key, cert) = make_seal(&root_key, &root, "ephemeral")?;
    Ok(SealKey {
        id: "ephemeral".into(),
        subject: cert.tbs_certificate.subject.to_string(),
        signer: Signer::P256(key),
        certificate: cert.to_der()?,
        chain: vec![root.to_der()?],
    })
}

fn not_after(c: &Certificate) -> String {
    c.tbs_certificate.validity.not_after.to_unix_duration().as_secs().to_string()
}

async fn store(db: &Db, secret: &Secret, kind: &str, source: &str, signer: &Signer, cert: &Certificate, chain: &[Vec<u8>]) -> anyhow::Result<String> {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let now = Timestamp::now();
    let chain = chain.iter().map(|c| B64.encode(c)).collect::<Vec<_>>().join(",");
    sqlx::query(
        "INSERT INTO seal_keys (id, kind, source, subject, certificate, chain, private_key, active, not_after, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9)",
    )
    .bind(&id)
    .bind(kind)
    .bind(source)
    .bind(cert.tbs_certificate.subject.to_string())
    .bind(B64.encode(cert.to_der()?))
    .bind(chain)
    .bind(crypto::encrypt_key(secret, &signer.to_pkcs8()?)?)
    .bind(not_after(cert))
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(id)
}

async fn activate(db: &Db, kind: &str, id: &str) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE seal_keys SET active = 0 WHERE kind = $1").bind(kind).execute(&mut *tx).await?;
    sqlx::query("UPDATE seal_keys SET active = 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates the root and the first sealing key when there are none (first start).
pub async fn ensure(db: &Db, secret: &Secret) -> anyhow::Result<()> {
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM seal_keys WHERE kind = 'seal' AND active = 1").fetch_one(db.pool()).await?;
    if have > 0 {
        return Ok(());
    }
    let label = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let (root_key, root) = make_root(label)?;
    let root_id = store(db, secret, "root", "generated", &Signer::P256(root_key.clone()), &root, &[]).await?;
    activate(db, "root", &root_id).await?;
    rotate_with(db, secret, &root_key, &root, label).await?;
    tracing::info!("created the instance's root and sealing certificates");
    Ok(())
}

async fn rotate_with(db: &Db, secret: &Secret, root_key: &p256::ecdsa::SigningKey, root: &Certificate, label: &str) -> anyhow::Result<String> {
    let (key, cert) = make_seal(root_key, root, label)?;
    let id = store(db, secret, "seal", "generated", &Signer::P256(key), &cert, &[root.to_der()?]).await?;
    activate(db, "seal", &id).await?;
    Ok(id)
}

/// A new sealing key issued by the instance's root; the old one stays known for verifying.
pub async fn rotate(db: &Db, secret: &Secret) -> anyhow::Result<String> {
    let (id, cert, key): (String, String, String) = sqlx::query_as("SELECT id, certificate, private_key FROM seal_keys WHERE kind = 'root' AND active = 1")
        .fetch_optional(db.pool())
        .await?
        .context("no root certificate: start the server once first")?;
    let root = Certificate::from_der(&B64.decode(cert)?)?;
    let Signer::P256(root_key) = Signer::from_pkcs8(&crypto::decrypt_key(secret, &key)?)? else { bail!("the root key {id} is not P-256") };
    let label = &uuid::Uuid::new_v4().simple().to_string()[..8];
    rotate_with(db, secret, &root_key, &root, label).await
}

/// Makes a PKCS#12 (certificate chain and private key) the sealing key.
pub async fn import_pkcs12(db: &Db, secret: &Secret, p12: &[u8], password: &str) -> anyhow::Result<String> {
    let store_ = p12_keystore::KeyStore::from_pkcs12(p12, password).map_err(|e| anyhow!("reading the PKCS#12: {e}"))?;
    let (_, chain) = store_.private_key_chain().context("the PKCS#12 holds no private key with a certificate")?;
    let signer = Signer::from_pkcs8(chain.key())?;
    let certs = chain.chain();
    let leaf = certs.first().context("the PKCS#12 chain is empty")?;
    let cert = Certificate::from_der(leaf.as_der())?;
    let issuers: Vec<Vec<u8>> = certs.iter().skip(1).map(|c| c.as_der().to_vec()).collect();
    let id = store(db, secret, "seal", "pkcs12", &signer, &cert, &issuers).await?;
    activate(db, "seal", &id).await?;
    Ok(id)
}

/// The sealing key in use.
pub async fn active(db: &Db, secret: &Secret) -> anyhow::Result<SealKey> {
    let (id, cert, chain, key, subject): (String, String, String, String, String) =
        sqlx::query_as("SELECT id, certificate, chain, private_key, subject FROM seal_keys WHERE kind = 'seal' AND active = 1")
            .fetch_optional(db.pool())
            .await?
            .context("no sealing key")?;
    Ok(SealKey {
        id,
        signer: Signer::from_pkcs8(&crypto::decrypt_key(secret, &key)?)?,
        certificate: B64.decode(cert)?,
        chain: chain.split(',').filter(|c| !c.is_empty()).map(|c| B64.decode(c)).collect::<Result<_, _>>()?,
        subject,
    })
}

/// Every certificate this instance has sealed with or issued from (for verification).
pub async fn known_certificates(db: &Db) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT kind, certificate FROM seal_keys").fetch_all(db.pool()).await?;
    rows.into_iter().map(|(k, c)| Ok((k, B64.decode(c)?))).collect()
}

/// The active root certificate as PEM, for anyone who wants to trust this instance's seals.
pub async fn root_pem(db: &Db) -> anyhow::Result<String> {
    let cert: String = sqlx::query_scalar("SELECT certificate FROM seal_keys WHERE kind = 'root' AND active = 1")
        .fetch_optional(db.pool())
        .await?
        .context("no root certificate")?;
    let der = B64.decode(&cert)?;
    let body = B64.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    Ok(format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seal_certificate_is_issued_by_the_root() {
        let (rk, root) = make_root("t").unwrap();
        let (sk, seal) = make_seal(&rk, &root, "t").unwrap();
        assert_eq!(seal.tbs_certificate.issuer, root.tbs_certificate.subject);
        let signer = Signer::P256(sk);
        let sig = signer.sign(b"hello").unwrap();
        use p256::ecdsa::signature::Verifier as _;
        let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(seal.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes()).unwrap();
        vk.verify(b"hello", &p256::ecdsa::DerSignature::from_bytes(&sig).unwrap()).unwrap();
    }
}
