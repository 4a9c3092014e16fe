//! Bulk send (issue 16): one envelope per row from a template, sent by a paced, persisted job
//! (`run`). Rows come as JSON or CSV (`csv`), are all checked before a batch is accepted (a
//! dry run reports the same without keeping anything), and each row's state is kept: pending,
//! created (its envelope made, in the same transaction), sent, failed, skipped (the quota ran
//! out) or cancelled.

mod csv;
mod run;
mod web;

pub use self::csv::parse_csv;
pub use run::handle;
pub use web::{preview, send, view};

use crate::actor::Actor;
use crate::error::{AppError, AppResult, ErrorCode, FieldError};
use crate::ids::{BatchId, EnvelopeId, TemplateId};
use crate::infra::db::{Db, Timestamp, Tx};
use crate::infra::jobs::{self, JobKind};
use crate::model::Language;
pub use crate::model::{BatchStatus, RowStatus};
use crate::template::{self, Template};
use crate::types::{DisplayName, EmailAddress};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};

/// Most rows in one batch.
pub const MAX_ROWS: usize = 10_000;
/// Most problems reported for one refused batch.
const MAX_PROBLEMS: usize = 200;

/// A recipient of one row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RowRecipient {
    pub role: String,
    pub email: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

/// One row: an envelope's recipients (one per role), its values by field name and the
/// integrator's id of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Row {
    pub recipients: Vec<RowRecipient>,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

crate::infra::db::db_enum!(RowStatus, BatchStatus);

/// Every problem of every row, each named `rows[i]…`; none when all rows can be sent.
pub fn check_rows(t: &Template, rows: &[Row]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if rows.is_empty() {
        errors.push(FieldError { field: "rows".into(), code: "required".into(), message: "Give at least one row".into() });
    }
    if rows.len() > MAX_ROWS {
        errors.push(FieldError { field: "rows".into(), code: "too_many".into(), message: format!("A batch holds at most {MAX_ROWS} rows") });
        return errors;
    }
    let mut external_ids = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let mut bad = |part: String, code: &str, message: String| errors.push(FieldError { field: format!("rows[{i}]{part}"), code: code.into(), message });
        let mut roles = HashSet::new();
        for (j, r) in row.recipients.iter().enumerate() {
            let key = r.role.trim().to_lowercase();
            if !t.roles.iter().any(|role| role.name.to_lowercase() == key) {
                bad(format!(".recipients[{j}].role"), "unknown", format!("“{}” is not a role of the template", r.role.trim()));
            } else if !roles.insert(key) {
                bad(format!(".recipients[{j}].role"), "duplicate", "Each role takes one recipient".into());
            }
            if EmailAddress::parse(r.email.trim()).is_err() {
                bad(format!(".recipients[{j}].email"), "invalid", "Enter a valid email address".into());
            }
            if DisplayName::parse(r.name.trim()).is_err() {
                bad(format!(".recipients[{j}].name"), "invalid", "Give a name of 1 to 100 characters".into());
            }
            if r.phone.as_deref().is_some_and(|p| !p.trim().is_empty() && crate::identity::phone::Phone::parse(p).is_none()) {
                bad(format!(".recipients[{j}].phone"), "invalid", "Enter a phone number (E.164 or a Korean number)".into());
            }
        }
        for role in &t.roles {
            if !roles.contains(&role.name.to_lowercase()) {
                bad(format!(".recipients.{}", role.name), "missing_role", format!("Give a recipient for {}", role.name));
            }
        }
        for (name, value) in &row.values {
            match t.fields.iter().find(|f| f.name.as_deref() == Some(name.as_str())) {
                None => bad(format!(".values.{name}"), "unknown", "No field of the template has this name".into()),
                Some(f) => {
                    let draft = f.draft(crate::ids::RecipientId::new());
                    let takes_value = !matches!(f.kind, crate::model::FieldKind::Signature | crate::model::FieldKind::Initials | crate::model::FieldKind::Date);
                    if !takes_value {
                        bad(format!(".values.{name}"), "not_allowed", "Signatures, initials and dates are given by the signer".into());
                    } else if let Err((code, message)) =
                        crate::signing::submission::typed_value(&crate::model::FieldDraft { required: false, ..draft }, value.trim())
                    {
                        bad(format!(".values.{name}"), code, message.into());
                    }
                }
            }
        }
        if let Some(e) = row.external_id.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            if e.chars().count() > 255 {
                bad(".externalId".into(), "too_long", "Use at most 255 characters".into());
            } else if !external_ids.insert(e.to_owned()) {
                bad(".externalId".into(), "duplicate", "Another row has this externalId".into());
            }
        }
    }
    errors
}

fn refused(mut errors: Vec<FieldError>) -> AppError {
    let n = errors.len();
    errors.truncate(MAX_PROBLEMS);
    let mut e = AppError::fields(errors);
    e.message = format!("{n} problem(s) in the rows; nothing was sent");
    e
}

/// A batch as reported: its counts and each row's state.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub id: BatchId,
    pub template_id: TemplateId,
    pub status: BatchStatus,
    pub total: i64,
    pub counts: BTreeMap<&'static str, i64>,
    pub rows: Vec<RowState>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct RowState {
    #[serde(rename = "index")]
    pub row_index: i64,
    pub status: RowStatus,
    pub envelope_id: Option<EnvelopeId>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: BatchId,
    template_id: TemplateId,
    status: BatchStatus,
    total: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// Checks every row against the template and, unless `dry_run`, keeps the batch and queues
/// its job. Refused whole (422, each problem named `rows[i]…`) when any row has a problem.
pub async fn create(db: &Db, actor: &Actor, template_id: &TemplateId, rows: Vec<Row>, dry_run: bool) -> AppResult<Option<BatchId>> {
    let t = template::get(db, actor, template_id).await?;
    let errors = check_rows(&t, &rows);
    if !errors.is_empty() {
        return Err(refused(errors));
    }
    if dry_run {
        return Ok(None);
    }
    let id = BatchId::new();
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO batches (id, organization_id, created_by, mode, client_id, template_id, status, total, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(&actor.organization_id)
    .bind(actor.user_id.as_ref())
    .bind(actor.mode)
    .bind(actor.client_id.as_ref())
    .bind(template_id)
    .bind(BatchStatus::Running)
    .bind(rows.len() as i64)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for (i, row) in rows.iter().enumerate() {
        sqlx::query("INSERT INTO batch_rows (batch_id, row_index, status, input, updated_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(i as i64)
            .bind(RowStatus::Pending)
            .bind(serde_json::to_string(row).map_err(|e| AppError::internal(anyhow::Error::from(e)))?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    jobs::enqueue(&mut tx, JobKind::Bulk, &json!({ "batch": id })).await?;
    tx.commit().await?;
    tracing::info!(batch_id = %id, template_id = %template_id, rows = rows.len(), "bulk batch queued");
    Ok(Some(id))
}

/// Ok when the caller may see the batch (else 404).
async fn visible(conn: &mut sqlx::AnyConnection, actor: &Actor, id: &BatchId) -> AppResult<()> {
    let mut sql = "SELECT id FROM batches WHERE id = $1 AND organization_id = $2 AND mode = $3".to_owned();
    if actor.client_id.is_some() {
        sql.push_str(" AND client_id = $4");
    }
    let mut q = sqlx::query_scalar::<_, String>(&sql).bind(id).bind(&actor.organization_id).bind(actor.mode);
    if let Some(c) = &actor.client_id {
        q = q.bind(c);
    }
    q.fetch_optional(conn).await?.map(|_| ()).ok_or_else(|| AppError::not_found("Batch"))
}

/// A batch the caller may see, with rows `offset..offset + limit`.
pub async fn get(db: &Db, actor: &Actor, id: &BatchId, offset: i64, limit: i64) -> AppResult<Batch> {
    let mut conn = db.pool().acquire().await?;
    visible(&mut conn, actor, id).await?;
    let b: BatchRow =
        sqlx::query_as("SELECT id, template_id, status, total, created_at, updated_at FROM batches WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let counted: Vec<(RowStatus, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM batch_rows WHERE batch_id = $1 GROUP BY status").bind(id).fetch_all(&mut *conn).await?;
    let mut counts: BTreeMap<&'static str, i64> = RowStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for (s, n) in counted {
        counts.insert(s.as_str(), n);
    }
    let rows: Vec<RowState> = sqlx::query_as(
        "SELECT row_index, status, envelope_id, error_code, error_message FROM batch_rows WHERE batch_id = $1 ORDER BY row_index LIMIT $2 OFFSET $3",
    )
    .bind(id)
    .bind(limit.clamp(1, MAX_ROWS as i64))
    .bind(offset.max(0))
    .fetch_all(&mut *conn)
    .await?;
    Ok(Batch {
        id: b.id,
        template_id: b.template_id,
        status: b.status,
        total: b.total,
        counts,
        rows,
        created_at: b.created_at.to_db(),
        updated_at: b.updated_at.to_db(),
    })
}

/// Stops a running batch: rows not yet sent are cancelled.
pub async fn cancel(db: &Db, actor: &Actor, id: &BatchId) -> AppResult<()> {
    let mut tx = db.begin().await?;
    visible(&mut tx, actor, id).await?;
    let changed = sqlx::query("UPDATE batches SET status = $2, updated_at = $4 WHERE id = $1 AND status = $3")
        .bind(id)
        .bind(BatchStatus::Cancelled)
        .bind(BatchStatus::Running)
        .bind(Timestamp::now())
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::new(ErrorCode::Conflict, "The batch has finished"));
    }
    run::cancel_rest(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Records, in the transaction that creates it, the envelope of a pending row; refused when
/// the row is no longer pending (another run took it).
pub(crate) async fn attach(tx: &mut Tx, batch: &BatchId, row: i64, envelope: &EnvelopeId) -> AppResult<()> {
    let res = sqlx::query("UPDATE batch_rows SET status = $4, envelope_id = $3, updated_at = $6 WHERE batch_id = $1 AND row_index = $2 AND status = $5")
        .bind(batch)
        .bind(row)
        .bind(envelope)
        .bind(RowStatus::Created)
        .bind(RowStatus::Pending)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AppError::new(ErrorCode::Conflict, "This row was handled already"))
    }
}

/// The first `limit` rows' inputs, by index (the caller has seen the batch).
async fn inputs(db: &Db, id: &BatchId, limit: i64) -> AppResult<Vec<(i64, Row)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT row_index, input FROM batch_rows WHERE batch_id = $1 ORDER BY row_index LIMIT $2")
        .bind(id)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.into_iter()
        .map(|(i, input)| serde_json::from_str(&input).map(|r| (i, r)).map_err(|e| AppError::internal_msg(format!("unreadable bulk row: {e}"))))
        .collect()
}

/// A row of a batch, for the envelope made from it.
#[derive(Clone, Debug)]
pub struct RowRef {
    pub batch: BatchId,
    pub index: i64,
}
