//! The API's JSON shapes (requests and responses), documented in the OpenAPI spec from these
//! very types. Names are camelCase on the wire.

use base64::Engine as _;
use dojang_core::model::{DocumentInfo, FieldKind, Language, RecipientRole, SigningOrder};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// `Some(None)` when the JSON says `null`, `None` when the key is absent.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub fn b64url(hex_digest: &str) -> String {
    hex::decode(hex_digest).map(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)).unwrap_or_default()
}

/// Every error: a stable machine `code`, a message for people, and the invalid fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// e.g. `NOT_FOUND`, `VALIDATION_FAILED`, `RATE_LIMITED`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
    /// Seconds to wait (429), also sent as `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldErrorBody {
    /// JSON path of the field, e.g. `recipients[1].email`.
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct PageOut {
    pub index: u32,
    /// Width and height in points as displayed (after /Rotate, within the CropBox).
    pub width: f64,
    pub height: f64,
    pub rotation: u16,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentOut {
    pub id: String,
    pub name: String,
    /// SHA-256 of the uploaded bytes, hex.
    pub sha256: String,
    /// The same digest, base64url without padding.
    pub sha256_base64url: String,
    pub size_bytes: i64,
    pub page_count: u32,
    pub pages: Vec<PageOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

impl DocumentOut {
    pub fn new(d: DocumentInfo, created_at: Option<String>) -> Self {
        Self {
            id: d.id.to_string(),
            sha256_base64url: b64url(&d.sha256),
            sha256: d.sha256,
            name: d.name,
            size_bytes: d.size_bytes,
            page_count: d.pages.len() as u32,
            pages: d
                .pages
                .iter()
                .map(|p| PageOut { index: p.index, width: p.geometry.display_width(), height: p.geometry.display_height(), rotation: p.geometry.rotation })
                .collect(),
            created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentList {
    pub data: Vec<DocumentOut>,
    pub has_more: bool,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = UploadForm)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The PDF.
    #[schema(value_type = String, format = Binary)]
    pub file: String,
}

/// A recipient's role as the API spells it, in capitals (`SIGNER`, `VIEWER`, as integrators
/// of e-signature APIs expect); the web app's JSON and the database use lowercase.
#[derive(Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    Signer,
    Viewer,
}

impl From<Role> for RecipientRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Signer => RecipientRole::Signer,
            Role::Viewer => RecipientRole::Viewer,
        }
    }
}

impl From<RecipientRole> for Role {
    fn from(r: RecipientRole) -> Self {
        match r {
            RecipientRole::Signer => Role::Signer,
            RecipientRole::Viewer => Role::Viewer,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecipientIn {
    pub email: String,
    pub name: String,
    #[serde(default = "signer")]
    pub role: Role,
    /// Signing position from 1 (equal numbers sign in parallel); defaults to the list order.
    #[serde(default)]
    pub order: Option<i64>,
    /// Language of this recipient's emails and signing page; defaults to the envelope's.
    #[serde(default)]
    pub language: Option<Language>,
}

fn signer() -> Role {
    Role::Signer
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldIn {
    /// A document id of this envelope.
    pub document: String,
    /// 0-based page index.
    pub page: u32,
    /// Position and size as fractions 0–1 of the page as displayed, from the top-left corner.
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// The email of the recipient who fills this field.
    pub recipient: String,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub placeholder: Option<String>,
    /// Choices of radio and select fields.
    #[serde(default)]
    pub options: Option<Vec<String>>,
    /// Date format of date fields: `YYYY-MM-DD`, `YYYY. MM. DD.`, `YYYY년 MM월 DD일`, `MM/DD/YYYY` or `DD/MM/YYYY`.
    #[serde(default)]
    pub format: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateEnvelope {
    pub subject: String,
    /// Up to 20 document ids, in order.
    pub document_ids: Vec<String>,
    #[serde(default)]
    pub recipients: Vec<RecipientIn>,
    #[serde(default)]
    pub signing_order: Option<SigningOrder>,
    #[serde(default)]
    pub fields: Option<Vec<FieldIn>>,
    /// Seconds from sending until the signing links expire (60 s – 1 year).
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// Where signers go after finishing.
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// A message in the invitation email.
    #[serde(default)]
    pub message: Option<String>,
    /// Default language of recipients' emails and signing pages (`ko` when absent).
    #[serde(default)]
    pub language: Option<Language>,
}

/// A change to a draft: absent keys stay; `recipients`, `fields` and `documentIds` replace
/// the whole list; `null` clears `expiresIn` and `redirectUrl`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchEnvelope {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub document_ids: Option<Vec<String>>,
    #[serde(default)]
    pub recipients: Option<Vec<RecipientIn>>,
    #[serde(default)]
    pub signing_order: Option<SigningOrder>,
    #[serde(default)]
    pub fields: Option<Vec<FieldIn>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub expires_in: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub redirect_url: Option<Option<String>>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub language: Option<Language>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutRecipients {
    pub recipients: Vec<RecipientIn>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelIn {
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecipientOut {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub order: i64,
    pub language: Language,
    /// `pending`, `sent`, `viewed`, `signed` or `declined`.
    pub status: String,
    pub sent_at: Option<String>,
    pub viewed_at: Option<String>,
    pub signed_at: Option<String>,
    pub declined_at: Option<String>,
    pub decline_reason: Option<String>,
    /// When this recipient's link stops working (the envelope's expiry).
    pub expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldOut {
    pub id: String,
    pub document: String,
    pub page: u32,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// The recipient's email.
    pub recipient: String,
    pub required: bool,
    pub label: String,
    pub placeholder: String,
    pub options: Vec<String>,
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeDocumentOut {
    pub id: String,
    pub name: String,
    pub page_count: u32,
    pub sha256: String,
    pub sha256_base64url: String,
    /// Once sealed: SHA-256 of the sealed PDF.
    pub sealed_sha256: Option<String>,
    pub sealed_sha256_base64url: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeOut {
    pub id: String,
    pub subject: String,
    /// `draft`, `sent`, `sealing` (everyone has signed; the sealed documents are being made),
    /// `completed` (the sealed documents can be downloaded), `declined`, `cancelled` or `expired`.
    pub status: String,
    /// `live` or `test`.
    pub mode: String,
    pub signing_order: SigningOrder,
    pub message: String,
    pub redirect_url: Option<String>,
    pub expires_in: Option<i64>,
    pub expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
    pub completed_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub documents: Vec<EnvelopeDocumentOut>,
    pub recipients: Vec<RecipientOut>,
    pub fields: Vec<FieldOut>,
    pub audit_integrity: AuditIntegrityOut,
}

/// Whether the envelope's audit log is whole (hash chain, length and head all hold).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditIntegrityOut {
    pub intact: bool,
    pub events: i64,
    /// The newest event's hash (the one printed in the audit trail).
    pub head: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeList {
    pub data: Vec<EnvelopeOut>,
    pub has_more: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignLink {
    pub recipient_id: String,
    pub email: String,
    pub sign_url: String,
    /// Whether the invitation was emailed now (in sequential order, later signers are
    /// emailed when their turn comes; their link already works).
    pub emailed: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendOut {
    pub envelope: EnvelopeOut,
    pub recipients: Vec<SignLink>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminTokenIn {
    /// The API key's secret.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminTokenOut {
    pub admin_token: String,
    /// Seconds.
    pub expires_in: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientIn {
    /// Your system's id for this user.
    pub external_id: String,
    pub name: String,
    pub email: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientOut {
    pub id: String,
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClientList {
    pub data: Vec<ClientOut>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientTokenIn {
    pub client_id: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientTokenOut {
    pub client_token: String,
    pub expires_in: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageOut {
    pub period_start: String,
    pub period_end: String,
    /// Signature requests (live envelopes sent) in this period.
    pub sent: i64,
    /// Monthly quota; `null` is unlimited.
    pub quota: Option<i64>,
    pub remaining: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookIn {
    /// Where to post events: an http(s) URL.
    pub url: String,
    /// Event types to receive, e.g. `["envelope.completed", "recipient.signed"]`.
    pub events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookOut {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    /// False once the endpoint failed persistently (see `disabledReason`) until it is enabled again.
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub mode: String,
    pub created_at: String,
    /// The signing secret (`whsec_…`); only in the answer to the request that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookOut {
    pub fn new(e: dojang_core::webhooks::endpoints::Endpoint, secret: Option<String>) -> Self {
        Self {
            id: e.id.to_string(),
            url: e.url,
            events: e.events,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            mode: e.mode,
            created_at: e.created_at,
            secret,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<WebhookOut>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttemptOut {
    pub attempt: i64,
    /// The receiver's HTTP status, absent when no answer came (see `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: String,
    /// When the next attempt was scheduled after this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveryOut {
    /// The `webhook-id` the receiver saw (`msg_…`).
    pub id: String,
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// The body as sent (JSON).
    pub payload: serde_json::Value,
    pub attempts: Vec<WebhookAttemptOut>,
}

impl From<dojang_core::webhooks::endpoints::Delivery> for WebhookDeliveryOut {
    fn from(d: dojang_core::webhooks::endpoints::Delivery) -> Self {
        Self {
            id: d.id,
            event_type: d.event_type,
            envelope_id: d.envelope_id,
            status: d.status,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
            attempts: d
                .attempts
                .into_iter()
                .map(|a| WebhookAttemptOut {
                    attempt: a.attempt,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                    at: a.at,
                    next_attempt_at: a.next_attempt_at,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryList {
    pub data: Vec<WebhookDeliveryOut>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmbeddingSettings {
    /// Origins (`https://app.example.com`) allowed to frame Dojang's screens and receive
    /// their events; empty: nobody.
    pub allowed_origins: Vec<String>,
}
