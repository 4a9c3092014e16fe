//! Verifying a PDF: was it sealed by this instance, is it exactly as sealed, and which
//! contract is it? Signatures are found by scanning the bytes (so a damaged or altered file
//! still gets an answer), checked against their byte ranges, and their certificates against
//! the certificates this instance has sealed with.

use super::keys;
use crate::document::sha256_hex;
use crate::error::AppResult;
use crate::infra::db::{Db, Timestamp};
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::{Decode, Encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureReport {
    pub sub_filter: String,
    pub signer: String,
    /// The signature covers every byte of the file (nothing was appended after it).
    pub covers_whole_file: bool,
    /// The signed bytes hash to the digest the signature carries.
    pub digest_matches: bool,
    /// The signature value verifies with the signer's certificate.
    pub signature_valid: bool,
    /// The signer's certificate is one of this instance's sealing certificates.
    pub issued_by_this_instance: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignerReport {
    pub name: String,
    pub email: String,
    pub signed_at: Option<String>,
    /// The identity checks the signer passed before signing (empty: the link alone), and when.
    #[serde(default)]
    pub verified_by: Vec<String>,
    #[serde(default)]
    pub verified_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeReport {
    pub id: String,
    pub name: String,
    /// `live`, or `test` (made with a test key: not legally binding).
    pub mode: String,
    pub organization: String,
    pub completed_at: Option<String>,
    pub sealed_at: Option<String>,
    pub signers: Vec<SignerReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub sha256: String,
    /// A valid seal of this instance covers the whole file.
    pub sealed_by_this_instance: bool,
    /// Exactly the file that was sealed: signature valid and nothing changed or added.
    pub intact: bool,
    /// Sealed here, but bytes were changed or added afterwards.
    pub modified_after_sealing: bool,
    pub envelope: Option<EnvelopeReport>,
    pub signatures: Vec<SignatureReport>,
    pub summary: String,
}

struct Found {
    range: [usize; 4],
    contents: Vec<u8>,
    sub_filter: String,
}

/// Signatures examined in one file at most; a real document has a handful.
pub const MAX_SIGNATURES: usize = 16;
/// Largest `/Contents` hex string examined (a PAdES signature with its chain and timestamp
/// fits in a few dozen kilobytes).
const MAX_CONTENTS_HEX: usize = 1024 * 1024;

/// Every `/ByteRange [0 b c d]` whose gap `b..c` is exactly a `<…>` hex string, by scanning
/// the raw bytes once (so a damaged or altered file still gets an answer). Work stays linear
/// in the file: each candidate is checked in constant time before its gap is read, gaps are
/// bounded, repeats are skipped and at most `MAX_SIGNATURES` are kept.
fn find_signatures(bytes: &[u8]) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    for at in memchr::memmem::find_iter(bytes, b"/ByteRange") {
        if out.len() >= MAX_SIGNATURES {
            break;
        }
        let Some(range) = parse_range(&bytes[at + 10..(at + 10 + 128).min(bytes.len())]) else {
            continue;
        };
        let [a, b, c, d] = range;
        let well_formed = a == 0
            && b < c
            && c - b >= 2
            && c - b <= MAX_CONTENTS_HEX
            && c.checked_add(d).is_some_and(|end| end <= bytes.len())
            && bytes[b] == b'<'
            && bytes[c - 1] == b'>';
        if !well_formed || out.iter().any(|f| f.range == range) {
            continue;
        }
        let hex: Vec<u8> = bytes[b + 1..c - 1].iter().copied().filter(|x| x.is_ascii_hexdigit()).collect();
        let Ok(padded) = hex::decode(if hex.len().is_multiple_of(2) { &hex[..] } else { &hex[..hex.len() - 1] }) else {
            continue;
        };
        // The gap is zero-padded after the DER value; its own length says where it ends (a
        // signature may well end in a zero byte, so trimming zeros would cut it).
        let contents = padded[..der_len(&padded).unwrap_or(padded.len())].to_vec();
        // The dictionary around it: look a little before and after for /SubFilter.
        let window = &bytes[at.saturating_sub(2048)..(at + 2048).min(bytes.len())];
        let sub_filter = memchr::memmem::find(window, b"/SubFilter")
            .and_then(|i| window[i + 10..].split(|b| *b == b'/').nth(1))
            .map(|n| String::from_utf8_lossy(n.split(|b| !b.is_ascii_alphanumeric() && *b != b'.').next().unwrap_or(b"")).into_owned())
            .unwrap_or_default();
        out.push(Found { range, contents, sub_filter });
    }
    out
}

/// The length of the DER value at the start of `b` (tag, length octets and content), if it fits.
fn der_len(b: &[u8]) -> Option<usize> {
    let first = *b.get(1)?;
    let (head, len) = if first < 0x80 {
        (2, first as usize)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        (2 + n, b.get(2..2 + n)?.iter().fold(0usize, |acc, x| acc << 8 | *x as usize))
    };
    let total = head.checked_add(len)?;
    (total <= b.len()).then_some(total)
}

fn parse_range(s: &[u8]) -> Option<[usize; 4]> {
    let start = s.iter().position(|b| *b == b'[')?;
    if start > 8 {
        return None;
    }
    let end = start + s[start..].iter().position(|b| *b == b']')?;
    let nums: Vec<usize> = std::str::from_utf8(&s[start + 1..end]).ok()?.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    (nums.len() == 4).then(|| [nums[0], nums[1], nums[2], nums[3]])
}

/// Checks one signature's CMS against the bytes it covers.
fn check(bytes: &[u8], f: &Found, known: &[(String, Vec<u8>)]) -> SignatureReport {
    let mut report = SignatureReport {
        sub_filter: f.sub_filter.clone(),
        signer: String::new(),
        covers_whole_file: f.range[2] + f.range[3] == bytes.len(),
        digest_matches: false,
        signature_valid: false,
        issued_by_this_instance: false,
    };
    let Ok(ci) = ContentInfo::from_der(&f.contents) else {
        return report;
    };
    let Ok(sd) = ci.content.decode_as::<SignedData>() else {
        return report;
    };
    let Some(si) = sd.signer_infos.0.iter().next() else {
        return report;
    };
    let certs: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let signer = match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            certs.iter().find(|c| c.tbs_certificate.issuer == ias.issuer && c.tbs_certificate.serial_number == ias.serial_number)
        }
        SignerIdentifier::SubjectKeyIdentifier(_) => certs.first(),
    };
    let Some(cert) = signer else { return report };
    report.signer = cert.tbs_certificate.subject.to_string();
    let mut h = Sha256::new();
    h.update(&bytes[..f.range[1]]);
    h.update(&bytes[f.range[2]..f.range[2] + f.range[3]]);
    let digest = h.finalize();
    let Some(attrs) = &si.signed_attrs else {
        return report;
    };
    let carried = attrs
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<der::asn1::OctetString>().ok());
    report.digest_matches = carried.is_some_and(|d| d.as_bytes() == digest.as_slice());
    let Ok(signed) = attrs.to_der() else {
        return report;
    };
    report.signature_valid = verify_with(cert, &signed, si.signature.as_bytes());
    let cert_der = cert.to_der().unwrap_or_default();
    report.issued_by_this_instance = known.iter().any(|(kind, der)| {
        (kind == "seal" && *der == cert_der)
            || (kind == "root"
                && Certificate::from_der(der).is_ok_and(|root| {
                    root.tbs_certificate.subject == cert.tbs_certificate.issuer
                        && cert.tbs_certificate.to_der().is_ok_and(|tbs| verify_with(&root, &tbs, cert.signature.raw_bytes()))
                }))
    });
    report
}

/// Verifies `sig` over `msg` with the certificate's public key (P-256 ECDSA or RSA, SHA-256).
fn verify_with(cert: &Certificate, msg: &[u8], sig: &[u8]) -> bool {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if let Ok(vk) = p256::ecdsa::VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes()) {
        use p256::ecdsa::signature::Verifier as _;
        return p256::ecdsa::DerSignature::from_bytes(sig).is_ok_and(|s| vk.verify(msg, &s).is_ok());
    }
    use rsa::pkcs1::DecodeRsaPublicKey as _;
    if let Ok(pk) = rsa::RsaPublicKey::from_pkcs1_der(spki.subject_public_key.raw_bytes()) {
        use rsa::signature::Verifier as _;
        let vk = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(pk);
        return rsa::pkcs1v15::Signature::try_from(sig).is_ok_and(|s| vk.verify(msg, &s).is_ok());
    }
    false
}

/// What the bytes alone say: every signature found and checked, the file's hash, and the
/// hashes of the revisions the signatures cover (CPU work, run off the async runtime).
pub struct Scan {
    pub signatures: Vec<SignatureReport>,
    pub sha256: String,
    /// The hash of the revision each valid signature of ours covers, latest first.
    revisions: Vec<String>,
}

/// Scans a file against the certificates this instance has sealed with.
pub fn scan(bytes: &[u8], known: &[(String, Vec<u8>)]) -> Scan {
    let found = find_signatures(bytes);
    let signatures: Vec<SignatureReport> = found.iter().map(|f| check(bytes, f, known)).collect();
    // Only the revisions our own valid seals cover can name a contract: a file with updates
    // appended after our seal names its envelope through the revision our seal covers.
    let mut ends: Vec<usize> = found
        .iter()
        .zip(&signatures)
        .filter(|(_, s)| s.issued_by_this_instance && s.digest_matches && s.signature_valid)
        .map(|(f, _)| f.range[2] + f.range[3])
        .collect();
    ends.sort_unstable_by(|a, b| b.cmp(a));
    ends.dedup();
    Scan { signatures, sha256: sha256_hex(bytes), revisions: ends.into_iter().map(|end| sha256_hex(&bytes[..end])).collect() }
}

/// Verifies `bytes` against this instance's seals and records. Intact means exactly a file
/// this instance recorded as sealed (its hash) carrying a valid seal of ours over all of it;
/// a file whose bytes differ in any way from every recorded one is not intact, even when a
/// seal inside it still verifies.
pub async fn verify(db: &Db, bytes: bytes::Bytes) -> AppResult<Verification> {
    let known = keys::known_certificates(db).await?;
    let Scan { signatures, sha256, revisions } = crate::infra::blocking::spawn_blocking_with_tracing(move || scan(&bytes, &known)).await?;
    let ours_valid = |s: &&SignatureReport| s.issued_by_this_instance && s.digest_matches && s.signature_valid;
    let sealed_by_this_instance = signatures.iter().filter(ours_valid).any(|s| s.covers_whole_file);
    let any_ours = signatures.iter().any(|s| s.issued_by_this_instance);
    let recorded = find_envelope(db, &sha256).await?;
    let intact = sealed_by_this_instance && recorded.is_some();
    let mut envelope_id = recorded;
    if envelope_id.is_none() {
        for revision in &revisions {
            if let Some(e) = find_envelope(db, revision).await? {
                envelope_id = Some(e);
                break;
            }
        }
    }
    let modified_after_sealing = !intact && (any_ours || envelope_id.is_some());
    let envelope = match envelope_id {
        Some(id) => Some(envelope_report(db, &id).await?),
        None => None,
    };
    let test = envelope.as_ref().is_some_and(|e| e.mode == "test");
    let summary = if intact && test {
        "Sealed by this Dojang instance and unchanged since — in test mode: not legally binding."
    } else if intact {
        "Sealed by this Dojang instance and unchanged since."
    } else if modified_after_sealing {
        "Sealed by this Dojang instance, but changed after sealing: this is not the sealed document."
    } else if signatures.is_empty() {
        "No digital signature found: this file was not sealed by this Dojang instance."
    } else {
        "Signed, but not sealed by this Dojang instance."
    };
    Ok(Verification { sha256, sealed_by_this_instance, intact, modified_after_sealing, envelope, signatures, summary: summary.into() })
}

async fn find_envelope(db: &Db, sha: &str) -> AppResult<Option<String>> {
    let doc: Option<String> =
        sqlx::query_scalar("SELECT envelope_id FROM sealed_documents WHERE sealed_sha256 = $1").bind(sha).fetch_optional(db.pool()).await?;
    if doc.is_some() {
        return Ok(doc);
    }
    Ok(sqlx::query_scalar("SELECT id FROM envelopes WHERE audit_trail_sha256 = $1").bind(sha).fetch_optional(db.pool()).await?)
}

async fn envelope_report(db: &Db, id: &str) -> AppResult<EnvelopeReport> {
    let (name, mode, org, completed, sealed): (String, String, String, Option<Timestamp>, Option<Timestamp>) = sqlx::query_as(
        "SELECT e.name, e.mode, o.name, e.completed_at, e.sealed_at FROM envelopes e JOIN organizations o ON o.id = e.organization_id WHERE e.id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let signers: Vec<(String, String, Option<Timestamp>, Option<String>, Option<Timestamp>)> = sqlx::query_as(
        "SELECT r.name, r.email, r.signed_at, i.verified_methods, i.verified_at FROM recipients r \
         LEFT JOIN recipient_identity i ON i.recipient_id = r.id WHERE r.envelope_id = $1 AND r.role = 'signer' ORDER BY r.position",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(EnvelopeReport {
        id: id.to_owned(),
        name,
        mode,
        organization: org,
        completed_at: completed.map(|t| t.to_db()),
        sealed_at: sealed.map(|t| t.to_db()),
        signers: signers
            .into_iter()
            .map(|(name, email, at, by, verified)| SignerReport {
                name,
                email,
                signed_at: at.map(|t| t.to_db()),
                verified_by: by.map(|m| m.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()).unwrap_or_default(),
                verified_at: verified.map(|t| t.to_db()),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_ending_in_a_zero_byte_is_read_whole() {
        // A DER value whose last content byte is 0 (as a signature may well be), zero-padded in its gap.
        let head = b"%PDF-1.7\n<</ByteRange [0 40 60 5] /SubFilter /ETSI.CAdES.detached /Contents ";
        let mut file = head.to_vec();
        file.truncate(40);
        file.resize(40, b' ');
        file.extend_from_slice(b"<3003020100000000>");
        file.extend_from_slice(b"  ");
        file.extend_from_slice(b">>\n%%");
        // The range must point at the gap: rebuild it with the real offsets.
        let gap_start = 40;
        let gap_end = gap_start + b"<3003020100000000>".len();
        let text = format!("/ByteRange [0 {gap_start} {gap_end} {}]", file.len() - gap_end);
        let mut with_range = file.clone();
        with_range[9..9 + text.len()].copy_from_slice(text.as_bytes());
        let found = find_signatures(&with_range);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].contents, vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    }

    #[test]
    fn der_lengths_long_and_short() {
        assert_eq!(der_len(&[0x30, 0x00]), Some(2));
        assert_eq!(der_len(&[0x30, 0x82, 0x01, 0x00]), None, "longer than the bytes");
        let mut long = vec![0x30, 0x82, 0x01, 0x00];
        long.resize(4 + 256 + 10, 0);
        assert_eq!(der_len(&long), Some(260));
    }
}
