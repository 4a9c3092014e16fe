//! Envelopes: creating and changing drafts (recipients, fields), sending, cancelling, and an envelope as reported.

use super::{b64url, nullable};
use dojang_core::envelope::Overview;
use dojang_core::ids::RecipientId;
use dojang_core::model::{
    AuthMethod, Channel, DocumentInfo, FieldDraft, FieldKind, Fieldless, Language, RecipientProgress, RecipientRole, SealedDocument, SigningOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    /// Checks before the signing page shows the contract: one name or a list, all of which
    /// must pass (`emailCode`, `smsCode`, `accessCode`, `knowledge`); none: the link alone.
    #[serde(default)]
    #[schema(value_type = Option<Vec<AuthMethod>>)]
    pub auth_method: Option<OneOrMany<AuthMethod>>,
    /// The recipient's phone: for SMS and the `smsCode` and `knowledge` checks (E.164, or a
    /// Korean number such as `010-1234-5678`).
    #[serde(default)]
    pub phone: Option<String>,
    /// How invitations, reminders and codes reach the recipient (`email` by default).
    #[serde(default)]
    pub channel: Option<Channel>,
    /// For `accessCode`: the code you share with the recipient (4–64 characters; stored
    /// hashed, never returned).
    #[serde(default)]
    pub access_code: Option<String>,
    /// For `knowledge`: the recipient's birth date, `YYYY-MM-DD` (stored hashed, never returned).
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// One value or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            Self::One(v) => vec![v],
            Self::Many(v) => v,
        }
    }
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
    /// The field's name (templates prefill values by it; at most 100 characters).
    #[serde(default)]
    pub name: Option<String>,
    /// A value filled in before signing (not for signature, initials and date fields): a
    /// text, a number, an email, `true`/`false` for a checkbox, one of the options.
    #[serde(default)]
    pub value: Option<String>,
    /// The signer sees `value` but cannot change it.
    #[serde(default)]
    pub read_only: bool,
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
    /// Days between reminders to signers who have not signed yet (1–30); none when absent.
    #[serde(default)]
    pub reminder_days: Option<i64>,
    /// How signers given no fields sign: on a signature page appended when sending
    /// (`appendPage`, the default), or by placing their signature on any page (`freeForm`).
    #[serde(default)]
    pub fieldless: Option<Fieldless>,
    /// Your id of this envelope (unique per organization and mode): find it with `?externalId=`.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Your own JSON object (at most 8 KB), returned with the envelope and in webhooks.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

/// A change: absent keys stay; `recipients`, `fields` and `documentIds` replace the whole
/// list; `null` clears `expiresIn`, `redirectUrl`, `reminderDays`, `externalId` and
/// `metadata`. Only a draft changes, except `externalId`, `metadata` and `reminderDays`,
/// which change at any state.
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
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub reminder_days: Option<Option<i64>>,
    #[serde(default)]
    pub fieldless: Option<Fieldless>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Option<serde_json::Value>>,
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
    /// When the signing page first opened.
    pub viewed_at: Option<String>,
    /// When the recipient agreed to sign electronically.
    pub consented_at: Option<String>,
    /// The checks before signing (empty: the link alone).
    pub auth_method: Vec<AuthMethod>,
    /// When the recipient first passed every check, and which.
    pub verified_at: Option<String>,
    pub verified_methods: Vec<AuthMethod>,
    /// Locked out after 5 wrong answers (`POST …/recipients/{id}/unlock` lets them try again).
    pub locked: bool,
    /// E.164.
    pub phone: Option<String>,
    pub channel: Channel,
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
    pub name: Option<String>,
    /// The value filled in before signing.
    pub value: Option<String>,
    pub read_only: bool,
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
    /// When the sealed PDF was made.
    pub sealed_at: Option<String>,
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
    /// Days between reminders to signers who have not signed (none: no reminders).
    pub reminder_days: Option<i64>,
    /// How signers given no fields sign: `appendPage` or `freeForm`.
    pub fieldless: Fieldless,
    pub external_id: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
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

impl From<&dojang_core::model::AuditIntegrity> for AuditIntegrityOut {
    fn from(i: &dojang_core::model::AuditIntegrity) -> Self {
        Self { intact: i.intact, events: i.events, head: i.head.clone() }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeList {
    pub data: Vec<EnvelopeOut>,
    pub has_more: bool,
    /// The `cursor` of the next page, when more follow.
    pub next: Option<String>,
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

impl EnvelopeOut {
    /// An envelope as the API reports it: recipients in fields named by their email.
    pub fn new(overview: &Overview) -> Self {
        let d = overview.detail();
        let (fields, e) = (&overview.contents.fields, &overview.envelope);
        let email_of = |rid: &RecipientId| d.recipients.iter().find(|r| &r.id == rid).map(|r| r.email.clone()).unwrap_or_default();
        EnvelopeOut {
            id: e.id.to_string(),
            subject: d.name.clone(),
            status: d.status.as_str().to_owned(),
            mode: e.mode.as_str().to_owned(),
            signing_order: d.signing_order,
            message: d.message.clone(),
            redirect_url: e.redirect_url.clone(),
            expires_in: e.expires_in_seconds,
            expires_at: d.expires_at.clone(),
            created_at: e.created_at.to_db(),
            updated_at: e.updated_at.to_db(),
            sent_at: d.sent_at.clone(),
            completed_at: d.completed_at.clone(),
            cancelled_at: d.cancelled_at.clone(),
            reminder_days: e.reminder_days,
            fieldless: e.fieldless,
            external_id: e.external_id.clone(),
            metadata: dojang_core::api::reference::metadata_value(e.metadata.as_deref()),
            documents: d.documents.iter().map(|doc| EnvelopeDocumentOut::new(doc, &d.sealed_documents, e.sealed_at.filter(|_| e.is_sealed()))).collect(),
            recipients: d.recipients.iter().map(|r| RecipientOut::new(r, &d.expires_at)).collect(),
            fields: fields.iter().map(|f| FieldOut::new(f, email_of(&f.recipient_id))).collect(),
            audit_integrity: (&d.audit_integrity).into(),
        }
    }
}

impl EnvelopeDocumentOut {
    fn new(doc: &DocumentInfo, sealed: &[SealedDocument], sealed_at: Option<dojang_core::infra::db::Timestamp>) -> Self {
        let sealed = sealed.iter().find(|s| s.document_id == doc.id).map(|s| s.sealed_sha256.clone());
        Self {
            id: doc.id.to_string(),
            name: doc.name.clone(),
            page_count: doc.pages.len() as u32,
            sha256_base64url: b64url(&doc.sha256),
            sha256: doc.sha256.clone(),
            sealed_sha256_base64url: sealed.as_deref().map(b64url),
            sealed_at: sealed.as_ref().and(sealed_at).map(|t| t.to_db()),
            sealed_sha256: sealed,
        }
    }
}

impl RecipientOut {
    fn new(r: &RecipientProgress, expires_at: &Option<String>) -> Self {
        Self {
            id: r.id.to_string(),
            email: r.email.clone(),
            name: r.name.clone(),
            role: r.role.into(),
            order: r.order,
            language: r.language,
            status: if r.declined_at.is_some() {
                "declined"
            } else if r.signed_at.is_some() {
                "signed"
            } else if r.viewed_at.is_some() {
                "viewed"
            } else if r.invited_at.is_some() {
                "sent"
            } else {
                "pending"
            }
            .into(),
            sent_at: r.invited_at.clone(),
            viewed_at: r.viewed_at.clone(),
            consented_at: r.consented_at.clone(),
            auth_method: r.auth_method.clone(),
            verified_at: r.verified_at.clone(),
            verified_methods: r.verified_methods.clone(),
            locked: r.locked,
            phone: r.phone.clone(),
            channel: r.channel,
            signed_at: r.signed_at.clone(),
            declined_at: r.declined_at.clone(),
            decline_reason: r.decline_reason.clone(),
            expires_at: expires_at.clone(),
        }
    }
}

impl FieldOut {
    fn new(f: &FieldDraft, recipient: String) -> Self {
        Self {
            id: f.id.to_string(),
            document: f.document_id.to_string(),
            page: f.page,
            x: f.rect.x,
            y: f.rect.y,
            width: f.rect.width,
            height: f.rect.height,
            kind: f.kind,
            recipient,
            required: f.required,
            label: f.label.clone(),
            placeholder: f.placeholder.clone(),
            options: f.options.clone(),
            format: f.format.clone(),
            name: f.name.clone(),
            value: f.prefill.clone(),
            read_only: f.read_only,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemindOut {
    /// The recipients reminded now.
    pub reminded: Vec<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigningLinkIn {
    /// Seconds the link works (60 s – 30 days, never past the envelope's expiry); until the
    /// envelope ends when absent.
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// Retire the recipient's earlier links (the emailed one too).
    #[serde(default)]
    pub revoke_others: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningLinkOut {
    pub sign_url: String,
    /// When the link stops working (else when the envelope ends).
    pub expires_at: Option<String>,
}

/// One event of the audit log.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventOut {
    pub seq: i64,
    /// e.g. `envelope.sent`, `recipient.viewed`, `recipient.signed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub at: String,
    /// The recipient's name, for recipient events.
    pub recipient: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// What the event recorded (e.g. a decline's reason, a filled field's value).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The event's hash in the chain.
    pub hash: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventList {
    pub data: Vec<EventOut>,
    pub audit_integrity: AuditIntegrityOut,
}

impl EventList {
    pub fn new(o: &Overview) -> Self {
        Self {
            data: o
                .events
                .iter()
                .map(|e| EventOut {
                    seq: e.seq,
                    kind: e.kind.clone(),
                    at: e.at.clone(),
                    recipient: e.recipient.clone(),
                    ip: e.ip.clone(),
                    user_agent: e.user_agent.clone(),
                    data: e.data.clone(),
                    hash: e.hash.clone(),
                })
                .collect(),
            audit_integrity: (&o.integrity).into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnlockOut {
    pub unlocked: bool,
}
