//! Data the browser and the server both see.

use crate::ids::{OrganizationId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    Owner,
    Admin,
    Member,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

/// The signed-in user and their organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: UserRole,
    pub organization_id: OrganizationId,
    pub organization_name: String,
}

use crate::geometry::{FieldRect, PageGeometry};
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Signature,
    Initials,
    Date,
    Text,
    Number,
    Checkbox,
    Radio,
    Select,
    Name,
    Email,
}

impl FieldKind {
    pub const ALL: [FieldKind; 10] =
        [Self::Signature, Self::Initials, Self::Date, Self::Text, Self::Number, Self::Checkbox, Self::Radio, Self::Select, Self::Name, Self::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Initials => "initials",
            Self::Date => "date",
            Self::Text => "text",
            Self::Number => "number",
            Self::Checkbox => "checkbox",
            Self::Radio => "radio",
            Self::Select => "select",
            Self::Name => "name",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.to_ascii_lowercase())
    }

    /// Whether the field offers a list of options (radio group, select).
    pub fn has_options(self) -> bool {
        matches!(self, Self::Radio | Self::Select)
    }

    /// Default size as fractions of a portrait A4 page width/height.
    pub fn default_size(self) -> (f64, f64) {
        match self {
            Self::Signature => (0.25, 0.06),
            Self::Initials => (0.1, 0.05),
            Self::Checkbox => (0.03, 0.022),
            Self::Radio => (0.2, 0.06),
            _ => (0.22, 0.035),
        }
    }
}

/// A date (YYYY-MM-DD) written in a field's format, e.g. `2026년 11월 23일`.
pub fn format_date_preview(iso: &str, format: &str) -> String {
    let (y, m, d) = (iso.get(0..4).unwrap_or(""), iso.get(5..7).unwrap_or(""), iso.get(8..10).unwrap_or(""));
    format.replace("YYYY", y).replace("MM", m).replace("DD", d)
}

/// Date formats a date field can use (signing date).
pub const DATE_FORMATS: [&str; 5] = ["YYYY-MM-DD", "YYYY. MM. DD.", "YYYY년 MM월 DD일", "MM/DD/YYYY", "DD/MM/YYYY"];

/// One page of a document as the editor needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageInfo {
    pub index: u32,
    pub geometry: PageGeometry,
}

impl PageInfo {
    /// Displayed height / width, for laying the page out before its image arrives.
    pub fn aspect(&self) -> f64 {
        let w = self.geometry.display_width();
        if w > 0.0 {
            self.geometry.display_height() / w
        } else {
            1.414
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentInfo {
    pub id: DocumentId,
    pub name: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub pages: Vec<PageInfo>,
    /// How many page previews are ready (they are rendered in the background).
    pub pages_rendered: u32,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDraft {
    pub id: FieldId,
    pub recipient_id: RecipientId,
    pub document_id: DocumentId,
    pub page: u32,
    pub rect: FieldRect,
    pub kind: FieldKind,
    pub required: bool,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub placeholder: String,
    #[serde(default)]
    pub options: Vec<String>,
    /// Date format (date fields) — one of `DATE_FORMATS`.
    #[serde(default)]
    pub format: Option<String>,
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

/// What everything made in test mode says: sealed pages, the signing page, emails, the audit
/// trail — in both languages at once (`test_notice` in the locale files).
pub const TEST_NOTICE: &str = crate::i18n::both::TEST_NOTICE;

/// Live data carries legal weight; test data (made with a test API key) is sealed with a
/// visible mark, does not count toward quotas, and is never visible to the other mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Live,
    Test,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "live" => Some(Self::Live),
            "test" => Some(Self::Test),
            _ => None,
        }
    }
}

/// Every event type a webhook endpoint can subscribe to.
pub const WEBHOOK_EVENT_TYPES: [&str; 9] = [
    "envelope.created",
    "envelope.sent",
    "recipient.viewed",
    "recipient.signed",
    "recipient.declined",
    "envelope.completed",
    "envelope.declined",
    "envelope.cancelled",
    "envelope.expired",
];

/// A URL that receives an organization's webhooks (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: crate::ids::WebhookEndpointId,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub mode: String,
    pub created_at: String,
}

/// One try at delivering a webhook message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: String,
    pub next_attempt_at: Option<String>,
}

/// One event queued for an endpoint, with its attempts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// The `webhook-id` header (`msg_…`).
    pub id: String,
    pub event_type: String,
    pub envelope_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub payload: String,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub attempts: Vec<WebhookAttempt>,
}

/// A new endpoint with its signing secret, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhookEndpoint {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// An API key as listed to its organization: never the key or the secret themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub id: crate::ids::ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub mode: Mode,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A freshly created API key: the only time the key and the secret are shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub id: crate::ids::ApiKeyId,
    pub key: String,
    pub secret: String,
    pub mode: Mode,
    pub prefix: String,
}

/// The language of a recipient's emails and signing page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Ko,
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ko => "ko",
            Self::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().get(..2) {
            Some("ko") => Some(Self::Ko),
            Some("en") => Some(Self::En),
            _ => None,
        }
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
/// envelope (and its audit trail, which every sealed envelope has).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadView {
    pub envelope_name: String,
    pub documents: Vec<DownloadFile>,
}

/// One sealed document behind a download link, with the name it downloads under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadFile {
    pub document_id: DocumentId,
    pub file_name: String,
}

/// How a pointer touched the signature pad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointerKind {
    Mouse,
    Touch,
    Pen,
}

/// One sampled point: position as fractions of the pad (x of its width, y of its height),
/// milliseconds since the signature began, and pressure 0–1 when the device reports it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrokePoint {
    pub x: f32,
    pub y: f32,
    pub t: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    pub pointer: PointerKind,
    pub points: Vec<StrokePoint>,
}

/// A drawn signature as vectors, with the pad's aspect (width / height) when drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrawnSignature {
    pub aspect: f32,
    pub strokes: Vec<Stroke>,
}

impl DrawnSignature {
    /// A real signature, not an empty pad or a dot: enough ink, spread over the pad.
    pub fn is_substantial(&self) -> bool {
        let pts: Vec<&StrokePoint> = self.strokes.iter().flat_map(|s| &s.points).collect();
        if pts.len() < 5 {
            return false;
        }
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in &pts {
            x0 = x0.min(p.x);
            x1 = x1.max(p.x);
            y0 = y0.min(p.y);
            y1 = y1.max(p.y);
        }
        let aspect = if self.aspect.is_finite() && self.aspect > 0.0 { self.aspect } else { 1.0 };
        let length: f32 = self.strokes.iter().flat_map(|s| s.points.windows(2)).map(|w| ((w[1].x - w[0].x) * aspect).hypot(w[1].y - w[0].y)).sum();
        (x1 - x0) * aspect > 0.05 && (x1 - x0).max(y1 - y0) > 0.05 && length > 0.15
    }
}

/// How a signer made their signature (or initials).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum SignatureInput {
    Drawn { drawing: DrawnSignature, png: String },
    Typed { text: String, png: String },
    Uploaded { png: String },
}

impl SignatureInput {
    /// The picture of the signature (a PNG data URL), however it was made.
    pub fn png(&self) -> &str {
        match self {
            Self::Drawn { png, .. } | Self::Typed { png, .. } | Self::Uploaded { png } => png,
        }
    }
}

/// A value a signer gives one field. Signature and initials fields name a signature by its
/// index in the submission's `signatures`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldInput {
    pub field_id: FieldId,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub signature: Option<usize>,
}

/// Everything a signer submits when finishing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignSubmission {
    pub fields: Vec<FieldInput>,
    pub signatures: Vec<SignatureInput>,
}

/// Where a signer stands when opening the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerState {
    /// Their turn: they may consent and sign.
    Ready,
    /// A recipient earlier in the order has not signed yet.
    NotYourTurn,
    Signed,
    Declined,
    Cancelled,
    Expired,
    Completed,
    /// A viewer: nothing to sign.
    ViewOnly,
}

impl SignerState {
    pub const ALL: [SignerState; 8] =
        [Self::Ready, Self::NotYourTurn, Self::Signed, Self::Declined, Self::Cancelled, Self::Expired, Self::Completed, Self::ViewOnly];

    /// The state's name on the wire (as serde writes it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::NotYourTurn => "not_your_turn",
            Self::Signed => "signed",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Completed => "completed",
            Self::ViewOnly => "view_only",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.name() == s)
    }

    /// The key of the sentence telling the signer where they stand (in the locale files).
    pub fn message_key(self) -> &'static str {
        match self {
            Self::Ready => "sign_ready",
            Self::NotYourTurn => "sign_not_your_turn",
            Self::Signed => "sign_done",
            Self::Declined => "sign_declined",
            Self::Cancelled => "sign_cancelled",
            Self::Expired => "sign_expired",
            Self::Completed => "sign_completed",
            Self::ViewOnly => "sign_view_only",
        }
    }
}

/// A field on the signer's page: theirs to fill, or someone else's shown for context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignerField {
    pub field: FieldDraft,
    pub mine: bool,
    /// A value already given (another signer's, shown as text).
    pub value: Option<String>,
}

/// The signing page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignerView {
    pub envelope_name: String,
    pub organization_name: String,
    pub sender_name: String,
    pub message: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub language: Language,
    pub state: SignerState,
    pub consented: bool,
    pub consent_version: String,
    pub consent_text: String,
    pub expires_at: Option<String>,
    pub documents: Vec<DocumentInfo>,
    pub fields: Vec<SignerField>,
    /// Today in the sender's terms, for date fields (YYYY-MM-DD).
    pub today: String,
    pub redirect_url: Option<String>,
    /// Origins the organization lets embed this page (where its events may be posted).
    #[serde(default)]
    pub embed_origins: Vec<String>,
    /// Made with a test API key: not legally binding, and the page says so.
    #[serde(default)]
    pub test_mode: bool,
}

/// What the signer sees after finishing or declining.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignOutcome {
    pub state: SignerState,
    pub redirect_url: Option<String>,
    pub envelope_completed: bool,
}

/// What the signer page's script needs besides the markup (written into the page as JSON):
/// the link's token, where the signer stands, where to go when done, who may hear events, and
/// the texts it shows after the page was rendered, in the signer's language.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignerBoot {
    pub token: String,
    pub consented: bool,
    pub signer_name: String,
    pub redirect_url: Option<String>,
    pub embed_origins: Vec<String>,
    /// Texts by their key in the locale files (`sign_done`, `pad_too_small`, `error.not_found`, …).
    pub texts: std::collections::BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_state_names_are_the_wire_names() {
        for s in SignerState::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::from(s.name()));
            assert_eq!(SignerState::from_name(s.name()), Some(s));
        }
        assert_eq!(SignerState::from_name("Ready"), None);
    }
}

// Stored as the text `as_str()` gives (which the migrations' CHECK constraints list), read
// back strictly.
#[cfg(feature = "server")]
crate::infra::db::db_enum!(EnvelopeStatus, SealStatus, RecipientRole, FieldKind, SigningOrder, Mode, Language, UserRole);
