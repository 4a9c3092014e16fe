//! What a caller (the REST API, the web app, an embedded screen) may see: its organization's rows in its own mode, and with a client
//! token only that client's. Everything else is reported as not found — never as forbidden,
//! so ids of other tenants, modes or clients reveal nothing.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ids::{DocumentId, EnvelopeId, TemplateId};
use crate::infra::db::Db;

/// The SQL condition (on a table aliased `t`) and whether the client id is bound as `$4`.
fn condition(actor: &Actor) -> &'static str {
    if actor.client_id.is_some() {
        "t.id = $1 AND t.organization_id = $2 AND t.mode = $3 AND t.client_id = $4"
    } else {
        "t.id = $1 AND t.organization_id = $2 AND t.mode = $3"
    }
}

async fn visible(conn: &mut sqlx::AnyConnection, actor: &Actor, table: &str, id: &str) -> AppResult<bool> {
    let sql = format!("SELECT t.id FROM {table} t WHERE {}", condition(actor));
    let mut q = sqlx::query_scalar::<_, String>(&sql).bind(id).bind(&actor.organization_id).bind(actor.mode.as_str());
    if let Some(c) = &actor.client_id {
        q = q.bind(c);
    }
    Ok(q.fetch_optional(conn).await?.is_some())
}

/// Ok when the caller may see this envelope, else 404.
pub async fn envelope(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppResult<()> {
    envelope_in(&mut *db.pool().acquire().await?, actor, id).await
}

/// Ok when the caller may see this envelope, else 404, on a connection (inside a
/// transaction too).
pub async fn envelope_in(conn: &mut sqlx::AnyConnection, actor: &Actor, id: &EnvelopeId) -> AppResult<()> {
    if visible(conn, actor, "envelopes", id.as_str()).await? {
        Ok(())
    } else {
        Err(AppError::not_found("Contract"))
    }
}

/// Ok when the caller may see this document, else 404.
pub async fn document(db: &Db, actor: &Actor, id: &DocumentId) -> AppResult<()> {
    if document_visible(&mut *db.pool().acquire().await?, actor, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("Document"))
    }
}

/// Whether the caller may see this document, on a connection (inside a transaction too).
pub async fn document_visible(conn: &mut sqlx::AnyConnection, actor: &Actor, id: &DocumentId) -> AppResult<bool> {
    visible(conn, actor, "documents", id.as_str()).await
}

/// Ok when the caller may see this template, else 404, on a connection (inside a
/// transaction too).
pub async fn template_in(conn: &mut sqlx::AnyConnection, actor: &Actor, id: &TemplateId) -> AppResult<()> {
    if visible(conn, actor, "templates", id.as_str()).await? {
        Ok(())
    } else {
        Err(AppError::not_found("Template"))
    }
}

/// The `WHERE` clause for lists: organization `$1`, mode `$2`, and client `$3` when there is one.
pub fn list_condition(actor: &Actor, alias: &str) -> String {
    let mut s = format!("{alias}.organization_id = $1 AND {alias}.mode = $2");
    if actor.client_id.is_some() {
        s.push_str(&format!(" AND {alias}.client_id = $3"));
    }
    s
}
