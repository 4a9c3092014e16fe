//! What an envelope holds — its documents (with every page), recipients and fields — loaded
//! in a constant number of queries whatever their numbers.

use crate::document;
use crate::error::{AppError, AppResult};
use crate::geometry::FieldRect;
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};
use crate::infra::db::Timestamp;
use crate::model::{AuthMethod, Channel, DocumentInfo, FieldDraft, FieldKind, Language, RecipientDraft, RecipientProgress, RecipientRole};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// A recipient row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Recipient {
    pub id: RecipientId,
    pub envelope_id: EnvelopeId,
    pub name: String,
    pub email: String,
    pub role: RecipientRole,
    /// Signing position, from 1; equal numbers sign in parallel.
    pub signing_order: i64,
    pub language: Language,
    pub invited_at: Option<Timestamp>,
    pub viewed_at: Option<Timestamp>,
    pub consented_at: Option<Timestamp>,
    pub consent_version: Option<String>,
    pub signed_at: Option<Timestamp>,
    pub declined_at: Option<Timestamp>,
    pub decline_reason: Option<String>,
    pub last_reminded_at: Option<Timestamp>,
    pub signed_ip: Option<String>,
    pub signed_user_agent: Option<String>,
    /// The checks before signing (`recipient_identity`; none: the link alone), comma-separated.
    pub auth_methods: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub channel: Option<Channel>,
    /// When a browser first passed every check.
    pub verified_at: Option<Timestamp>,
    pub verified_methods: Option<String>,
    /// Locked out after too many wrong answers (until the sender unlocks).
    pub locked_at: Option<Timestamp>,
}

/// A recipient with their identity settings (`r` and `i`), for a `WHERE` on `r`.
const RECIPIENT_SELECT: &str = "SELECT r.id, r.envelope_id, r.name, r.email, r.role, r.signing_order, r.language, r.invited_at, r.viewed_at, \
     r.consented_at, r.consent_version, r.signed_at, r.declined_at, r.decline_reason, r.last_reminded_at, r.signed_ip, r.signed_user_agent, \
     i.methods AS auth_methods, i.phone, i.channel, i.verified_at, i.verified_methods, i.locked_at \
     FROM recipients r LEFT JOIN recipient_identity i ON i.recipient_id = r.id";

impl Recipient {
    pub fn draft(&self) -> RecipientDraft {
        RecipientDraft { id: self.id.clone(), name: self.name.clone(), email: self.email.clone(), role: self.role, order: self.signing_order }
    }

    pub fn progress(&self) -> RecipientProgress {
        let ts = |t: Option<Timestamp>| t.map(|t| t.to_db());
        RecipientProgress {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            order: self.signing_order,
            language: self.language,
            invited_at: ts(self.invited_at),
            viewed_at: ts(self.viewed_at),
            consented_at: ts(self.consented_at),
            signed_at: ts(self.signed_at),
            declined_at: ts(self.declined_at),
            decline_reason: self.decline_reason.clone(),
            auth_method: self.methods(),
            phone: self.phone.clone(),
            channel: self.channel(),
            verified_at: ts(self.verified_at),
            verified_methods: self.verified_methods.as_deref().and_then(|m| AuthMethod::split(m).ok()).unwrap_or_default(),
            locked: self.locked_at.is_some(),
        }
    }

    /// The checks before signing, in order (a stored name this build does not know fails
    /// `identity::Identity::load`, which the signing page uses; here it is left out).
    pub fn methods(&self) -> Vec<AuthMethod> {
        self.auth_methods.as_deref().map(|m| AuthMethod::split(m).unwrap_or_default()).unwrap_or_default()
    }

    pub fn channel(&self) -> Channel {
        self.channel.unwrap_or_default()
    }

    /// One recipient.
    pub async fn load(conn: &mut AnyConnection, id: &RecipientId) -> AppResult<Option<Self>> {
        let sql = format!("{RECIPIENT_SELECT} WHERE r.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?)
    }
}

/// An envelope's recipients in their saved order.
pub async fn recipients(conn: &mut AnyConnection, envelope: &EnvelopeId) -> AppResult<Vec<Recipient>> {
    let sql = format!("{RECIPIENT_SELECT} WHERE r.envelope_id = $1 ORDER BY r.position");
    Ok(sqlx::query_as(&sql).bind(envelope).fetch_all(conn).await?)
}

const FIELD_COLUMNS: &str =
    "id, recipient_id, document_id, page_index, x, y, width, height, kind, required, label, placeholder, options, format, name, prefill, read_only, cover_x, cover_y, cover_width, cover_height";

#[derive(sqlx::FromRow)]
struct FieldRow {
    id: FieldId,
    recipient_id: RecipientId,
    document_id: DocumentId,
    page_index: i64,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    kind: FieldKind,
    required: i64,
    label: String,
    placeholder: String,
    options: String,
    format: Option<String>,
    name: Option<String>,
    prefill: Option<String>,
    read_only: i64,
    cover_x: Option<f64>,
    cover_y: Option<f64>,
    cover_width: Option<f64>,
    cover_height: Option<f64>,
}

impl FieldRow {
    fn draft(self) -> AppResult<FieldDraft> {
        let options: Vec<String> =
            serde_json::from_str(&self.options).map_err(|e| AppError::internal(anyhow::anyhow!("field {} has unreadable options: {e}", self.id)))?;
        Ok(FieldDraft {
            id: self.id,
            recipient_id: self.recipient_id,
            document_id: self.document_id,
            page: u32::try_from(self.page_index).map_err(|_| AppError::internal_msg("a field on a negative page"))?,
            rect: FieldRect { x: self.x, y: self.y, width: self.width, height: self.height },
            kind: self.kind,
            required: self.required != 0,
            label: self.label,
            placeholder: self.placeholder,
            options,
            format: self.format,
            name: self.name,
            prefill: self.prefill,
            read_only: self.read_only != 0,
            cover: crate::geometry::FieldRect::from_columns(self.cover_x, self.cover_y, self.cover_width, self.cover_height),
        })
    }
}

/// An envelope's fields in their saved order.
pub async fn fields(conn: &mut AnyConnection, envelope: &EnvelopeId) -> AppResult<Vec<FieldDraft>> {
    let rows: Vec<FieldRow> =
        sqlx::query_as(&format!("SELECT {FIELD_COLUMNS} FROM fields WHERE envelope_id = $1 ORDER BY position")).bind(envelope).fetch_all(conn).await?;
    rows.into_iter().map(FieldRow::draft).collect()
}

/// An envelope's documents in their order, each with every page.
pub async fn documents(conn: &mut AnyConnection, envelope: &EnvelopeId) -> AppResult<Vec<DocumentInfo>> {
    Ok(document::infos_of_envelopes(conn, std::slice::from_ref(envelope)).await?.into_iter().map(|(_, d)| d).collect())
}

/// The page count of each document of an envelope.
pub async fn page_counts(conn: &mut AnyConnection, envelope: &EnvelopeId) -> AppResult<HashMap<DocumentId, u32>> {
    let rows: Vec<(DocumentId, i64)> =
        sqlx::query_as("SELECT d.id, d.page_count FROM envelope_documents ed JOIN documents d ON d.id = ed.document_id WHERE ed.envelope_id = $1")
            .bind(envelope)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(d, n)| (d, n.max(0) as u32)).collect())
}

/// Everything an envelope holds.
#[derive(Clone, Debug)]
pub struct Contents {
    pub documents: Vec<DocumentInfo>,
    pub recipients: Vec<Recipient>,
    pub fields: Vec<FieldDraft>,
}

impl Contents {
    pub async fn load(conn: &mut AnyConnection, envelope: &EnvelopeId) -> AppResult<Self> {
        Ok(Self {
            documents: documents(&mut *conn, envelope).await?,
            recipients: recipients(&mut *conn, envelope).await?,
            fields: fields(conn, envelope).await?,
        })
    }

    /// What each of several envelopes holds, in four queries whatever their number.
    pub async fn load_many(conn: &mut AnyConnection, envelopes: &[EnvelopeId]) -> AppResult<HashMap<EnvelopeId, Self>> {
        let mut out: HashMap<EnvelopeId, Self> =
            envelopes.iter().map(|e| (e.clone(), Self { documents: Vec::new(), recipients: Vec::new(), fields: Vec::new() })).collect();
        if envelopes.is_empty() {
            return Ok(out);
        }
        for (e, info) in document::infos_of_envelopes(&mut *conn, envelopes).await? {
            out.entry(e).or_insert_with(|| Self { documents: Vec::new(), recipients: Vec::new(), fields: Vec::new() }).documents.push(info);
        }
        let marks = crate::infra::db::marks(1, envelopes.len());
        let sql = format!("{RECIPIENT_SELECT} WHERE r.envelope_id IN ({marks}) ORDER BY r.envelope_id, r.position");
        let mut q = sqlx::query_as::<_, Recipient>(&sql);
        for e in envelopes {
            q = q.bind(e);
        }
        for r in q.fetch_all(&mut *conn).await? {
            if let Some(c) = out.get_mut(&r.envelope_id) {
                c.recipients.push(r);
            }
        }
        let sql = format!("SELECT envelope_id, {FIELD_COLUMNS} FROM fields WHERE envelope_id IN ({marks}) ORDER BY envelope_id, position");
        let mut q = sqlx::query_as::<_, PlacedField>(&sql);
        for e in envelopes {
            q = q.bind(e);
        }
        for f in q.fetch_all(&mut *conn).await? {
            if let Some(c) = out.get_mut(&f.envelope_id) {
                c.fields.push(f.field.draft()?);
            }
        }
        Ok(out)
    }
}

#[derive(sqlx::FromRow)]
struct PlacedField {
    envelope_id: EnvelopeId,
    #[sqlx(flatten)]
    field: FieldRow,
}
