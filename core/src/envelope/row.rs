//! The envelope row, with its organization's name and time zone and its sender, and the
//! loaders every caller uses: by id for code that already holds access (a signing link, a
//! worker), or within a caller's scope (404 otherwise). Each loader takes a connection, so
//! the same query serves a pool and a transaction that just changed the row.

use crate::actor::Actor;
use crate::api::scope;
use crate::error::{AppError, AppResult};
use crate::ids::{ClientId, EnvelopeId, OrganizationId, UserId};
use crate::infra::db::Timestamp;
use crate::model::{EnvelopeStatus, Fieldless, Language, Mode, SealStatus, SigningOrder};
use sqlx::AnyConnection;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Envelope {
    pub id: EnvelopeId,
    pub organization_id: OrganizationId,
    pub created_by: Option<UserId>,
    pub name: String,
    pub status: EnvelopeStatus,
    /// Bumped by every change of a draft; a save names the version it started from.
    pub version: i64,
    pub mode: Mode,
    pub client_id: Option<ClientId>,
    pub message: String,
    pub signing_order: SigningOrder,
    pub expires_at: Option<Timestamp>,
    /// An expiry chosen before sending, as a duration from the moment of sending.
    pub expires_in_seconds: Option<i64>,
    pub reminder_days: Option<i64>,
    /// How signers without fields sign.
    pub fieldless: Fieldless,
    pub redirect_url: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub cancel_reason: Option<String>,
    pub seal_status: Option<SealStatus>,
    pub seal_error: Option<String>,
    pub sealed_at: Option<Timestamp>,
    pub audit_trail_key: Option<String>,
    pub audit_trail_sha256: Option<String>,
    /// How many events its audit log recorded, and the newest one's hash.
    pub audit_seq: i64,
    pub audit_head: Option<String>,
    /// The integrator's id of it and its own JSON object (`api::reference`).
    pub external_id: Option<String>,
    pub metadata: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub organization_name: String,
    /// The organization's IANA time zone (dates filled in, times in the audit trail).
    pub time_zone: String,
    sender: Option<String>,
    sender_email: Option<String>,
    sender_language: Option<Language>,
    /// The origins its organization lets frame screens of the envelope's mode (space-separated).
    embed_origins: String,
}

const COLUMNS: &str = "e.id, e.organization_id, e.created_by, e.name, e.status, e.version, e.mode, e.client_id, e.message, \
     e.signing_order, e.expires_at, e.expires_in_seconds, e.reminder_days, e.fieldless, e.redirect_url, e.sent_at, e.completed_at, \
     e.cancelled_at, e.cancel_reason, e.seal_status, e.seal_error, e.sealed_at, e.audit_trail_key, e.audit_trail_sha256, \
     e.audit_seq, e.audit_head, e.external_id, e.metadata, e.created_at, e.updated_at, o.name AS organization_name, o.time_zone, u.name AS sender, u.email AS sender_email, \
     u.language AS sender_language, CASE WHEN e.mode = 'test' THEN o.embed_origins_test ELSE o.embed_origins END AS embed_origins";
const FROM: &str = "FROM envelopes e JOIN organizations o ON o.id = e.organization_id LEFT JOIN users u ON u.id = e.created_by";

impl Envelope {
    /// The envelope, for code that already holds access to it.
    pub async fn load(conn: &mut AnyConnection, id: &EnvelopeId) -> AppResult<Option<Self>> {
        let sql = format!("SELECT {COLUMNS} {FROM} WHERE e.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?)
    }

    /// The `SELECT` of the envelope's columns and `more` (`, …` columns) over `envelopes e`, its
    /// organization and sender, and `rest` (further joins and a `WHERE`), for a caller that
    /// reads more than the envelope in the same statement (built once: see `json::Sql`).
    pub(crate) fn select(more: &str, rest: &str) -> String {
        format!("SELECT {COLUMNS}{more} {FROM} {rest}")
    }

    /// The envelope, or 404.
    pub async fn find(conn: &mut AnyConnection, id: &EnvelopeId) -> AppResult<Self> {
        Self::load(conn, id).await?.ok_or_else(|| AppError::not_found("Contract"))
    }

    /// The envelope if `actor` may see it (organization, mode and client), else 404 — one query.
    pub async fn find_for(conn: &mut AnyConnection, actor: &Actor, id: &EnvelopeId) -> AppResult<Self> {
        let sql = format!("SELECT {COLUMNS} {FROM} WHERE e.id = $3 AND {}", scope::list_condition(actor, "e").replace("$3", "$4"));
        let mut q = sqlx::query_as(&sql).bind(&actor.organization_id).bind(actor.mode).bind(id);
        if let Some(c) = &actor.client_id {
            q = q.bind(c);
        }
        q.fetch_optional(conn).await?.ok_or_else(|| AppError::not_found("Contract"))
    }

    /// Those of `ids` that `actor` may see, in one query (in no particular order), each row
    /// read as `T`: the envelope's columns and `more` (`, …` columns on `envelopes e`).
    pub(crate) async fn find_many_for<T>(conn: &mut AnyConnection, actor: &Actor, ids: &[EnvelopeId], more: &str) -> AppResult<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let first = if actor.client_id.is_some() { 4 } else { 3 };
        let sql =
            format!("SELECT {COLUMNS}{more} {FROM} WHERE {} AND e.id IN ({})", scope::list_condition(actor, "e"), crate::infra::db::marks(first, ids.len()));
        let mut q = sqlx::query_as(&sql).bind(&actor.organization_id).bind(actor.mode);
        if let Some(c) = &actor.client_id {
            q = q.bind(c);
        }
        for id in ids {
            q = q.bind(id);
        }
        Ok(q.fetch_all(conn).await?)
    }

    /// Whoever sent it: the user who made it, else the organization (API envelopes).
    pub fn sender_name(&self) -> &str {
        self.sender.as_deref().unwrap_or(&self.organization_name)
    }

    /// The sender's email, when a user made it.
    pub fn sender_email(&self) -> Option<&str> {
        self.sender_email.as_deref().filter(|e| !e.is_empty())
    }

    /// The origins that may frame its signing pages (`embed::allowed_origins` of its mode).
    pub fn embed_origins(&self) -> Vec<String> {
        crate::embed::split_origins(&self.embed_origins)
    }

    /// The language of the mail its sender gets.
    pub fn sender_language(&self) -> Language {
        self.sender_language.unwrap_or_default()
    }

    /// Sent, but its expiry has passed (the sweeper may not have marked it yet).
    pub fn is_past_expiry(&self) -> bool {
        self.status == EnvelopeStatus::Sent && self.expires_at.is_some_and(|e| e <= Timestamp::now())
    }

    pub fn is_sealed(&self) -> bool {
        self.seal_status == Some(SealStatus::Sealed)
    }

    /// What it is reported as (`sealing` until sealed, `expired` once past its expiry).
    pub fn reported_status(&self) -> EnvelopeStatus {
        self.status.reported(self.is_sealed(), self.is_past_expiry())
    }

    pub fn is_test(&self) -> bool {
        self.mode == Mode::Test
    }
}
