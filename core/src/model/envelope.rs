//! Envelopes: their states, recipients, drafts, lists, sending, and what the sender sees after (progress, the audit trail and its integrity, sealed results).

use super::{AuthMethod, Channel};
use super::{DocumentInfo, FieldDraft, Language};
use crate::ids::DocumentId;
use crate::ids::EnvelopeId;
use crate::ids::RecipientId;
use serde::{Deserialize, Serialize};

/// Where an envelope is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvelopeStatus {
    Draft,
    Sent,
    /// Everyone has signed and the sealed documents are being made. Reported, never stored:
    /// the stored status is `completed` from the last signature on, and the envelope is
    /// reported `completed` only once its sealed documents can be downloaded.
    Sealing,
    Completed,
    Declined,
    Cancelled,
    Expired,
}

impl EnvelopeStatus {
    pub const ALL: [EnvelopeStatus; 7] = [Self::Draft, Self::Sent, Self::Sealing, Self::Completed, Self::Declined, Self::Cancelled, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Sealing => "sealing",
            Self::Completed => "completed",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// What an envelope is reported as, from its stored status: `sealing` until the sealed
    /// documents exist, `expired` once a sent envelope's expiry has passed (before the sweeper
    /// marks it).
    pub fn reported(self, sealed: bool, past_expiry: bool) -> Self {
        match self {
            Self::Completed if !sealed => Self::Sealing,
            Self::Sent if past_expiry => Self::Expired,
            other => other,
        }
    }
}

/// Where the sealing of a completed envelope stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SealStatus {
    /// Queued: the seal job has not finished yet.
    Pending,
    /// An attempt failed (see the error); the job tries again.
    Retrying,
    /// Every document and the audit trail are sealed and stored.
    Sealed,
}

impl SealStatus {
    pub const ALL: [SealStatus; 3] = [Self::Pending, Self::Retrying, Self::Sealed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Retrying => "retrying",
            Self::Sealed => "sealed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipientRole {
    Signer,
    Viewer,
}

impl RecipientRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signer => "signer",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "signer" => Some(Self::Signer),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecipientDraft {
    pub id: RecipientId,
    pub name: String,
    pub email: String,
    pub role: RecipientRole,
    /// Signing position, from 1; equal numbers sign in parallel.
    pub order: i64,
}

/// Everything the contract editor shows and saves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeDraft {
    pub id: EnvelopeId,
    pub name: String,
    pub status: EnvelopeStatus,
    /// Bumped by every save; a save names the version it started from.
    pub version: i64,
    pub documents: Vec<DocumentInfo>,
    pub recipients: Vec<RecipientDraft>,
    pub fields: Vec<FieldDraft>,
}

/// A line in the contract list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeSummary {
    pub id: EnvelopeId,
    pub name: String,
    pub status: EnvelopeStatus,
    pub documents: Vec<String>,
    pub recipients: Vec<String>,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

/// Who signs when: everyone at once, or in order (equal order numbers sign together).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema), schema(as = Order))]
pub enum SigningOrder {
    #[default]
    Parallel,
    Sequential,
}

impl SigningOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parallel => "parallel",
            Self::Sequential => "sequential",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "parallel" => Some(Self::Parallel),
            "sequential" => Some(Self::Sequential),
            _ => None,
        }
    }
}

/// How signers given no fields sign: on a signature page appended at sending (the default), or
/// by placing their signature themselves on any page of the documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum Fieldless {
    #[default]
    AppendPage,
    FreeForm,
}

impl Fieldless {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AppendPage => "appendPage",
            Self::FreeForm => "freeForm",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::AppendPage, Self::FreeForm].into_iter().find(|f| f.as_str() == s)
    }
}

/// What the sender chooses when sending.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub signing_order: SigningOrder,
    /// An absolute expiry (RFC 3339)…
    #[serde(default)]
    pub expires_at: Option<String>,
    /// …or seconds from sending.
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// Remind signers whose turn it is every N days (none when absent).
    #[serde(default)]
    pub reminder_days: Option<i64>,
    /// Each recipient's language (recipients not named keep theirs).
    #[serde(default)]
    pub languages: Vec<(RecipientId, Language)>,
    /// Where the signer goes after finishing (instead of the finish page).
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// How signers without fields sign (the draft's choice stays when absent).
    #[serde(default)]
    pub fieldless: Option<Fieldless>,
    /// Each recipient's checks, phone and channel (recipients not named keep theirs).
    #[serde(default)]
    pub identities: Vec<(RecipientId, super::RecipientIdentity)>,
}

/// A recipient's progress, as the sender sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecipientProgress {
    pub id: RecipientId,
    pub name: String,
    pub email: String,
    pub role: RecipientRole,
    pub order: i64,
    pub language: Language,
    pub invited_at: Option<String>,
    pub viewed_at: Option<String>,
    pub consented_at: Option<String>,
    pub signed_at: Option<String>,
    pub declined_at: Option<String>,
    pub decline_reason: Option<String>,
    /// The checks before signing (none: the link alone).
    #[serde(default)]
    pub auth_method: Vec<AuthMethod>,
    /// E.164.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub channel: Channel,
    /// When the recipient first passed every check, and by which.
    #[serde(default)]
    pub verified_at: Option<String>,
    #[serde(default)]
    pub verified_methods: Vec<AuthMethod>,
    /// Locked out after too many wrong answers.
    #[serde(default)]
    pub locked: bool,
}

/// One line of the audit trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub kind: String,
    pub at: String,
    pub recipient: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub data: serde_json::Value,
    pub hash: String,
}

/// Whether an envelope's audit log is whole: every event's hash and its link to the one
/// before hold, and the log has as many events as the envelope recorded, ending in the head
/// it keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditIntegrity {
    pub intact: bool,
    pub events: i64,
    /// The newest event's hash (64 zeros for an empty log).
    pub head: String,
}

/// A contract as its sender sees it after sending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeDetail {
    pub id: EnvelopeId,
    pub name: String,
    pub status: EnvelopeStatus,
    pub message: String,
    pub signing_order: SigningOrder,
    pub sent_at: Option<String>,
    pub expires_at: Option<String>,
    pub completed_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub reminder_days: Option<i64>,
    #[serde(default)]
    pub fieldless: Fieldless,
    pub documents: Vec<DocumentInfo>,
    pub recipients: Vec<RecipientProgress>,
    pub field_count: usize,
    pub events: Vec<AuditEntry>,
    pub audit_integrity: AuditIntegrity,
    /// Once everyone has signed: pending, retrying (see `seal_error`) or sealed.
    pub seal_status: Option<SealStatus>,
    pub seal_error: Option<String>,
    pub sealed_documents: Vec<SealedDocument>,
    pub audit_trail_sha256: Option<String>,
}

/// A document's sealed result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SealedDocument {
    pub document_id: DocumentId,
    pub name: String,
    pub original_sha256: String,
    pub sealed_sha256: String,
}

/// What a download link from the completion email opens: the sealed documents of one
/// envelope (and its audit trail, which every sealed envelope has) — or, for a recipient's
/// link while their checks are not passed in this browser, the checks and no documents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DownloadView {
    pub envelope_name: String,
    pub documents: Vec<DownloadFile>,
    #[serde(default)]
    pub verification: Option<super::VerificationGate>,
}

/// One sealed document behind a download link, with the name it downloads under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadFile {
    pub document_id: DocumentId,
    pub file_name: String,
}
