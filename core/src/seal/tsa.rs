//! RFC 3161 time-stamping (PAdES B-T): the signature value is sent to a time-stamping
//! authority, whose token goes into the CMS as an unsigned attribute. When a TSA is
//! configured and does not answer properly, sealing fails and is retried — a seal is never
//! quietly issued without the timestamp that was asked for.

use anyhow::{bail, Context as _};
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::OctetString;
use der::{Decode, Encode};
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifier;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

/// Asks `url` for a timestamp token over `signature`; returns the token (a CMS ContentInfo).
pub async fn timestamp(url: &str, signature: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut nonce = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    nonce[0] &= 0x7f;
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifier { oid: ID_SHA_256, parameters: None },
            hashed_message: OctetString::new(Sha256::digest(signature).to_vec())?,
        },
        req_policy: None,
        nonce: Some(der::asn1::Int::new(&nonce)?),
        cert_req: true,
        extensions: None,
    };
    let body = req.to_der()?;
    let resp = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?
        .post(url)
        .header("content-type", "application/timestamp-query")
        .body(body)
        .send()
        .await
        .with_context(|| format!("reaching the timestamp authority {url}"))?;
    if !resp.status().is_success() {
        bail!("the timestamp authority answered HTTP {}", resp.status());
    }
    let bytes = resp.bytes().await?;
    let parsed = TimeStampResp::from_der(&bytes).context("the timestamp authority's answer is not a TimeStampResp")?;
    let status = parsed.status.status as u8;
    if status > 1 {
        bail!("the timestamp authority refused the request (status {status})");
    }
    let token = parsed.time_stamp_token.context("the timestamp authority sent no token")?;
    Ok(token.to_der()?)
}
