//! What an envelope holds — its documents (with every page), recipients and fields — loaded
//! in a constant number of queries whatever their numbers.

use crate::document;
use crate::error::{AppError, AppResult};
use crate::geometry::FieldRect;
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};
use crate::infra::db::json::{self, Col, Col::Float, Col::Plain};
use crate::infra::db::Backend;
use crate::infra::db::Timestamp;
use crate::model::{AuthMethod, Channel, DocumentInfo, FieldDraft, FieldKind, Language, RecipientDraft, RecipientProgress, RecipientRole};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A recipient row.
#[derive(Clone, Debug, sqlx::FromRow, serde::Deserialize)]
pub struct Recipient {
    #[serde(deserialize_with = "json::de::text")]
    pub id: RecipientId,
    #[serde(deserialize_with = "json::de::text")]
    pub envelope_id: EnvelopeId,
    pub name: String,
    pub email: String,
    #[serde(deserialize_with = "json::de::text")]
    pub role: RecipientRole,
    /// Signing position, from 1; equal numbers sign in parallel.
    pub signing_order: i64,
    #[serde(deserialize_with = "json::de::text")]
    pub language: Language,
    #[serde(deserialize_with = "json::de::opt_text")]
    pub invited_at: Option<Timestamp>,
    #[serde(deserialize_with = "json::de::opt_text")]
    pub viewed_at: Option<Timestamp>,
    #[serde(deserialize_with = "json::de::opt_text")]
    pub consented_at: Option<Timestamp>,
    pub consent_version: Option<String>,
    #[serde(deserialize_with = "json::de::opt_text")]
    pub signed_at: Option<Timestamp>,
    #[serde(deserialize_with = "json::de::opt_text")]
    pub declined_at: Option<Timestamp>,
    pub decline_reason: Option<String>,
    #[serde(deserialize_with = "json::de::opt_text")]
    pub last_reminded_at: Option<Timestamp>,
    pub signed_ip: Option<String>,
    pub signed_user_agent: Option<String>,
    /// The checks before signing (`recipient_identity`; none: the link alone), comma-separated.
    pub auth_methods: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    #[serde(deserialize_with = "json::de::opt_text")]
    pub channel: Option<Channel>,
    /// When a browser first passed every check.
    #[serde(deserialize_with = "json::de::opt_text")]
    pub verified_at: Option<Timestamp>,
    pub verified_methods: Option<String>,
    /// Locked out after too many wrong answers (until the sender unlocks).
    #[serde(deserialize_with = "json::de::opt_text")]
    pub locked_at: Option<Timestamp>,
}

/// `Recipient`'s columns: its field, the expression on `recipients r` and `recipient_identity i`.
const RECIPIENT_COLUMNS: &[(&str, &str, Col)] = &[
    ("id", "r.id", Plain),
    ("envelope_id", "r.envelope_id", Plain),
    ("name", "r.name", Plain),
    ("email", "r.email", Plain),
    ("role", "r.role", Plain),
    ("signing_order", "r.signing_order", Plain),
    ("language", "r.language", Plain),
    ("invited_at", "r.invited_at", Plain),
    ("viewed_at", "r.viewed_at", Plain),
    ("consented_at", "r.consented_at", Plain),
    ("consent_version", "r.consent_version", Plain),
    ("signed_at", "r.signed_at", Plain),
    ("declined_at", "r.declined_at", Plain),
    ("decline_reason", "r.decline_reason", Plain),
    ("last_reminded_at", "r.last_reminded_at", Plain),
    ("signed_ip", "r.signed_ip", Plain),
    ("signed_user_agent", "r.signed_user_agent", Plain),
    ("auth_methods", "i.methods", Plain),
    ("phone", "i.phone", Plain),
    ("channel", "i.channel", Plain),
    ("verified_at", "i.verified_at", Plain),
    ("verified_methods", "i.verified_methods", Plain),
    ("locked_at", "i.locked_at", Plain),
];
const RECIPIENT_FROM: &str = "FROM recipients r LEFT JOIN recipient_identity i ON i.recipient_id = r.id";

/// A recipient with their identity settings (`r` and `i`), for a `WHERE` on `r`.
static RECIPIENT_SELECT: LazyLock<String> = LazyLock::new(|| format!("SELECT {} {RECIPIENT_FROM}", select_list(RECIPIENT_COLUMNS)));

/// A recipient (`r` with `i` joined) as the text of a JSON object `Recipient` reads.
pub(crate) fn recipient_object(backend: Backend) -> String {
    json::text(backend, &json::object(backend, RECIPIENT_COLUMNS))
}

/// `expr AS name, …` of a column list.
fn select_list(cols: &[(&str, &str, Col)]) -> String {
    cols.iter().map(|(name, expr, _)| format!("{expr} AS {name}")).collect::<Vec<_>>().join(", ")
}

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
        let sql = format!("{} WHERE r.id = $1", *RECIPIENT_SELECT);
        Ok(sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?)
    }
}

/// An envelope's recipients in their saved order.
pub async fn recipients(conn: &mut AnyConnection, envelope: &EnvelopeId) -> AppResult<Vec<Recipient>> {
    let sql = format!("{} WHERE r.envelope_id = $1 ORDER BY r.position", *RECIPIENT_SELECT);
    Ok(sqlx::query_as(&sql).bind(envelope).fetch_all(conn).await?)
}

const FIELD_COLUMNS: &[(&str, &str, Col)] = &[
    ("id", "f.id", Plain),
    ("recipient_id", "f.recipient_id", Plain),
    ("document_id", "f.document_id", Plain),
    ("page_index", "f.page_index", Plain),
    ("x", "f.x", Float),
    ("y", "f.y", Float),
    ("width", "f.width", Float),
    ("height", "f.height", Float),
    ("kind", "f.kind", Plain),
    ("required", "f.required", Plain),
    ("label", "f.label", Plain),
    ("placeholder", "f.placeholder", Plain),
    ("options", "f.options", Plain),
    ("format", "f.format", Plain),
    ("name", "f.name", Plain),
    ("prefill", "f.prefill", Plain),
    ("read_only", "f.read_only", Plain),
    ("cover_x", "f.cover_x", Float),
    ("cover_y", "f.cover_y", Float),
    ("cover_width", "f.cover_width", Float),
    ("cover_height", "f.cover_height", Float),
];

#[derive(sqlx::FromRow, serde::Deserialize)]
struct FieldRow {
    #[serde(deserialize_with = "json::de::text")]
    id: FieldId,
    #[serde(deserialize_with = "json::de::text")]
    recipient_id: RecipientId,
    #[serde(deserialize_with = "json::de::text")]
    document_id: DocumentId,
    page_index: i64,
    #[serde(deserialize_with = "json::de::float")]
    x: f64,
    #[serde(deserialize_with = "json::de::float")]
    y: f64,
    #[serde(deserialize_with = "json::de::float")]
    width: f64,
    #[serde(deserialize_with = "json::de::float")]
    height: f64,
    #[serde(deserialize_with = "json::de::text")]
    kind: FieldKind,
    required: i64,
    label: String,
    placeholder: String,
    options: String,
    format: Option<String>,
    name: Option<String>,
    prefill: Option<String>,
    read_only: i64,
    #[serde(deserialize_with = "json::de::opt_float")]
    cover_x: Option<f64>,
    #[serde(deserialize_with = "json::de::opt_float")]
    cover_y: Option<f64>,
    #[serde(deserialize_with = "json::de::opt_float")]
    cover_width: Option<f64>,
    #[serde(deserialize_with = "json::de::opt_float")]
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
    let sql = format!("SELECT {} FROM fields f WHERE f.envelope_id = $1 ORDER BY f.position", select_list(FIELD_COLUMNS));
    let rows: Vec<FieldRow> = sqlx::query_as(&sql).bind(envelope).fetch_all(conn).await?;
    rows.into_iter().map(FieldRow::draft).collect()
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
    /// What the envelope holds, in one query.
    pub async fn load(conn: &mut AnyConnection, envelope: &EnvelopeId) -> AppResult<Self> {
        static SQL: json::Sql = json::Sql::new(|b| format!("SELECT {} FROM envelopes e WHERE e.id = $1", ContentsJson::columns(b)));
        let row: Option<ContentsJson> = sqlx::query_as(SQL.get(Backend::of(conn))).bind(envelope).fetch_optional(conn).await?;
        row.map_or_else(|| Ok(Self::empty()), ContentsJson::decode)
    }

    fn empty() -> Self {
        Self { documents: Vec::new(), recipients: Vec::new(), fields: Vec::new() }
    }
}

/// What an envelope holds and its values filled in so far, as the columns `columns` adds to a
/// query on `envelopes e`.
#[derive(sqlx::FromRow)]
pub(crate) struct WithValues {
    #[sqlx(flatten)]
    contents: ContentsJson,
    values_json: Option<String>,
}

impl WithValues {
    pub(crate) fn columns(backend: Backend) -> String {
        let values = json::array(
            backend,
            &json::object(backend, &[("field_id", "v.field_id", Plain), ("value", "v.value", Plain)]),
            "v.field_id",
            "FROM field_values v WHERE v.envelope_id = e.id",
        );
        format!("{}, {values} AS values_json", ContentsJson::columns(backend))
    }

    pub(crate) fn decode(self) -> AppResult<(Contents, HashMap<FieldId, String>)> {
        #[derive(serde::Deserialize)]
        struct Value {
            #[serde(deserialize_with = "json::de::text")]
            field_id: FieldId,
            value: String,
        }
        let values = json::rows::<Value>(self.values_json.as_deref(), "an envelope's values")?.into_iter().map(|v| (v.field_id, v.value)).collect();
        Ok((self.contents.decode()?, values))
    }
}

/// What an envelope holds, as the columns `columns` adds to a query on `envelopes e`: one
/// JSON array each of its documents' pages, its recipients and its fields, in their order.
#[derive(sqlx::FromRow)]
pub(crate) struct ContentsJson {
    documents_json: Option<String>,
    recipients_json: Option<String>,
    fields_json: Option<String>,
}

impl ContentsJson {
    pub(crate) fn columns(backend: Backend) -> String {
        let recipients = json::array(backend, &json::object(backend, RECIPIENT_COLUMNS), "r.position", &format!("{RECIPIENT_FROM} WHERE r.envelope_id = e.id"));
        let fields = json::array(backend, &json::object(backend, FIELD_COLUMNS), "f.position", "FROM fields f WHERE f.envelope_id = e.id");
        format!("{} AS documents_json, {recipients} AS recipients_json, {fields} AS fields_json", document::pages_column(backend))
    }

    pub(crate) fn decode(self) -> AppResult<Contents> {
        Ok(Contents {
            documents: document::infos_from_json(self.documents_json.as_deref())?,
            recipients: json::rows(self.recipients_json.as_deref(), "an envelope's recipients")?,
            fields: json::rows::<FieldRow>(self.fields_json.as_deref(), "an envelope's fields")?.into_iter().map(FieldRow::draft).collect::<AppResult<_>>()?,
        })
    }
}
