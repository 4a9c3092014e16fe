//! CMS SignedData for PAdES baseline B-B (`ETSI.CAdES.detached`): detached, SHA-256, with
//! the signed attributes content-type, message-digest and signing-certificate-v2 (and no
//! signing-time: PAdES puts the time in the signature dictionary's /M).

use super::keys::SealKey;
use anyhow::Context as _;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{CertificateSet, DigestAlgorithmIdentifiers, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos};
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use const_oid::db::rfc5912::ID_SHA_256;
use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::Certificate;

pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
pub const ID_AA_TIMESTAMP_TOKEN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// ESSCertIDv2 with the default hash algorithm (SHA-256) left out.
#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

fn attribute(oid: ObjectIdentifier, value: Any) -> anyhow::Result<Attribute> {
    let mut values = SetOfVec::new();
    values.insert(value)?;
    Ok(Attribute { oid, values })
}

/// The signed attributes for a document digest and signer certificate.
pub fn signed_attributes(digest: &[u8], cert_der: &[u8]) -> anyhow::Result<SetOfVec<Attribute>> {
    let ess = SigningCertificateV2 { certs: vec![EssCertIdV2 { cert_hash: OctetString::new(Sha256::digest(cert_der).to_vec())? }] };
    let mut attrs = SetOfVec::new();
    attrs.insert(attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?)?;
    attrs.insert(attribute(ID_MESSAGE_DIGEST, Any::encode_from(&OctetString::new(digest.to_vec())?)?)?)?;
    attrs.insert(attribute(ID_AA_SIGNING_CERTIFICATE_V2, Any::from_der(&ess.to_der()?)?)?)?;
    Ok(attrs)
}

/// The signed attributes and the signature over them.
pub struct Signed {
    attrs: SetOfVec<Attribute>,
    pub signature: Vec<u8>,
}

/// Signs the attributes for `digest` (SHA-256 of the signed bytes).
pub fn sign_attributes(key: &SealKey, digest: &[u8]) -> anyhow::Result<Signed> {
    let attrs = signed_attributes(digest, &key.certificate)?;
    let signature = key.signer.sign(&attrs.to_der()?)?;
    Ok(Signed { attrs, signature })
}

/// The detached SignedData; `timestamp` (an RFC 3161 token over the signature value) is
/// added as an unsigned attribute, for PAdES B-T.
pub fn assemble(key: &SealKey, signed: Signed, timestamp: Option<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    let cert = Certificate::from_der(&key.certificate).context("the sealing certificate")?;
    let Signed { attrs, signature } = signed;
    let unsigned_attrs = match timestamp {
        Some(token) => {
            let mut set = SetOfVec::new();
            set.insert(attribute(ID_AA_TIMESTAMP_TOKEN, Any::from_der(&token)?)?)?;
            Some(set)
        }
        None => None,
    };
    let sha256 = AlgorithmIdentifierOwned { oid: ID_SHA_256, parameters: None };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: key.signer.algorithm(),
        signature: OctetString::new(signature)?,
        unsigned_attrs,
    };
    let mut digest_algorithms = DigestAlgorithmIdentifiers::new();
    digest_algorithms.insert(sha256)?;
    let mut certs = CertificateSet(Default::default());
    certs.0.insert(CertificateChoices::Certificate(cert))?;
    for issuer in &key.chain {
        certs.0.insert(CertificateChoices::Certificate(Certificate::from_der(issuer)?))?;
    }
    let mut signer_infos = SignerInfos(Default::default());
    signer_infos.0.insert(signer_info)?;
    let sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms,
        encap_content_info: EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: None },
        certificates: Some(certs),
        crls: None,
        signer_infos,
    };
    let ci = ContentInfo { content_type: ID_SIGNED_DATA, content: Any::from_der(&sd.to_der()?)? };
    Ok(ci.to_der()?)
}
