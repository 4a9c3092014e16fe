//! The bulk job: takes a batch's rows in order, at the configured pace, and for each makes
//! its envelope from the template (recording it on the row in the same transaction) and sends
//! it. A run taken over after a crash picks up where the rows stand: a created row is sent,
//! never made again. The quota running out stops the batch with the rest marked skipped.

use super::{BatchStatus, Row, RowRef, RowStatus};
use crate::actor::Actor;
use crate::api::reference::ReferenceChange;
use crate::audit::Origin;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::identity::IdentitySpec;
use crate::ids::{BatchId, ClientId, EnvelopeId, OrganizationId, TemplateId, UserId};
use crate::infra::claim::Claim;
use crate::infra::db::{Timestamp, Tx};
use crate::infra::jobs::JobError;
use crate::model::{EnvelopeStatus, Mode};
use crate::state::AppState;
use crate::template::{self, Assignment, FromTemplate, Prefill};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

#[derive(sqlx::FromRow)]
struct Owner {
    organization_id: OrganizationId,
    created_by: Option<UserId>,
    mode: Mode,
    client_id: Option<ClientId>,
    template_id: TemplateId,
    status: BatchStatus,
}

#[derive(sqlx::FromRow)]
struct Pending {
    row_index: i64,
    status: RowStatus,
    input: String,
    envelope_id: Option<EnvelopeId>,
}

/// The job handler (`JobKind::Bulk`).
pub fn handle<'a>(st: &'a AppState, claim: &'a Claim, payload: &'a Value) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>> {
    Box::pin(async move {
        let Some(id) = payload["batch"].as_str().and_then(|s| BatchId::parse(s).ok()) else {
            return Err(JobError { error: AppError::internal_msg("bulk job without a batch"), retry: false });
        };
        run(st, claim, &id).await.map_err(JobError::from)
    })
}

async fn run(st: &AppState, claim: &Claim, id: &BatchId) -> AppResult<()> {
    let interval = Duration::from_secs_f64(60.0 / f64::from(st.settings.bulk_per_minute.max(1)));
    let mut next_at = Instant::now();
    loop {
        let owner: Owner = sqlx::query_as("SELECT organization_id, created_by, mode, client_id, template_id, status FROM batches WHERE id = $1")
            .bind(id)
            .fetch_one(st.db.pool())
            .await?;
        if owner.status != BatchStatus::Running {
            return Ok(());
        }
        let actor =
            Actor { organization_id: owner.organization_id.clone(), user_id: owner.created_by.clone(), mode: owner.mode, client_id: owner.client_id.clone() };
        let rows: Vec<Pending> = sqlx::query_as(
            "SELECT row_index, status, input, envelope_id FROM batch_rows WHERE batch_id = $1 AND status IN ($2, $3) ORDER BY row_index LIMIT 20",
        )
        .bind(id)
        .bind(RowStatus::Pending)
        .bind(RowStatus::Created)
        .fetch_all(st.db.pool())
        .await?;
        if rows.is_empty() {
            finish(st, id, BatchStatus::Done).await?;
            return Ok(());
        }
        for row in rows {
            // A run that lost its claim (this process stalled, another took over) stops.
            let mut check = st.db.begin().await?;
            let held = claim.holds(&mut check).await?;
            check.commit().await?;
            if !held {
                return Ok(());
            }
            let now = Instant::now();
            if next_at > now {
                tokio::time::sleep(next_at - now).await;
            }
            next_at = Instant::now().max(next_at) + interval;
            if still_running(st, id).await? != BatchStatus::Running {
                return Ok(());
            }
            if let Stop::Quota = one(st, &actor, id, &owner.template_id, row).await? {
                return Ok(());
            }
        }
    }
}

enum Stop {
    Go,
    Quota,
}

async fn still_running(st: &AppState, id: &BatchId) -> AppResult<BatchStatus> {
    Ok(sqlx::query_scalar("SELECT status FROM batches WHERE id = $1").bind(id).fetch_one(st.db.pool()).await?)
}

/// Makes (unless made) and sends one row's envelope.
async fn one(st: &AppState, actor: &Actor, batch: &BatchId, template_id: &TemplateId, row: Pending) -> AppResult<Stop> {
    let envelope = match (row.status, row.envelope_id) {
        (RowStatus::Created, Some(e)) => e,
        (RowStatus::Created, None) => {
            // Its draft was deleted (by hand) before it went out.
            mark(st, batch, row.row_index, RowStatus::Failed, Some(("NOT_FOUND", "The row's draft was deleted before sending"))).await?;
            return Ok(Stop::Go);
        }
        _ => {
            let input: Row = serde_json::from_str(&row.input).map_err(|e| AppError::internal_msg(format!("unreadable bulk row: {e}")))?;
            let req = request(input, RowRef { batch: batch.clone(), index: row.row_index })?;
            match template::envelope_from(&st.db, &st.settings, actor, template_id, req).await {
                Ok(e) => e,
                // Another run recorded this row meanwhile.
                Err(e) if e.code == ErrorCode::Conflict && e.message.contains("handled already") => return Ok(Stop::Go),
                Err(e) => {
                    mark(st, batch, row.row_index, RowStatus::Failed, Some((&e.code.as_str(), &detail(&e)))).await?;
                    return Ok(Stop::Go);
                }
            }
        }
    };
    match crate::envelope::send_stored(st, actor, &envelope, &Origin::default()).await {
        Ok(_) => mark(st, batch, row.row_index, RowStatus::Sent, None).await?,
        Err(e) if e.code == ErrorCode::QuotaExceeded => {
            // Nothing of this row went out (its draft stays, to send later): it and the rest
            // are skipped.
            let mut tx = st.db.begin().await?;
            sqlx::query(
                "UPDATE batch_rows SET status = $2, error_code = 'QUOTA_EXCEEDED', error_message = $3, updated_at = $4 \
                 WHERE batch_id = $1 AND status IN ($5, $6)",
            )
            .bind(batch)
            .bind(RowStatus::Skipped)
            .bind(&e.message)
            .bind(Timestamp::now())
            .bind(RowStatus::Pending)
            .bind(RowStatus::Created)
            .execute(&mut *tx)
            .await?;
            set_status(&mut tx, batch, BatchStatus::Done).await?;
            tx.commit().await?;
            tracing::warn!(batch_id = %batch, "bulk batch stopped at the quota");
            return Ok(Stop::Quota);
        }
        Err(e) => {
            // Sent by the run that crashed before recording it: done.
            let status: Option<EnvelopeStatus> =
                sqlx::query_scalar("SELECT status FROM envelopes WHERE id = $1").bind(&envelope).fetch_optional(st.db.pool()).await?;
            if status.is_some_and(|s| s != EnvelopeStatus::Draft) {
                mark(st, batch, row.row_index, RowStatus::Sent, None).await?;
            } else {
                mark(st, batch, row.row_index, RowStatus::Failed, Some((&e.code.as_str(), &detail(&e)))).await?;
            }
        }
    }
    Ok(Stop::Go)
}

/// The message with the first problem's path, for a row's error.
fn detail(e: &AppError) -> String {
    match e.fields.first() {
        Some(f) => format!("{}: {}", f.field, f.message),
        None => e.message.clone(),
    }
}

fn request(row: Row, at: RowRef) -> AppResult<FromTemplate> {
    Ok(FromTemplate {
        subject: None,
        recipients: row
            .recipients
            .into_iter()
            .map(|r| Assignment {
                role: r.role,
                email: r.email,
                name: r.name,
                order: None,
                language: r.language,
                identity: IdentitySpec { phone: r.phone, ..IdentitySpec::default() },
            })
            .collect(),
        values: row.values.into_iter().map(|(k, v)| (k, Prefill { value: v, read_only: false })).collect(),
        message: None,
        expires_in: None,
        redirect_url: None,
        language: None,
        reference: ReferenceChange::parse(row.external_id.map(Some), None)?,
        batch_row: Some(at),
    })
}

async fn mark(st: &AppState, batch: &BatchId, row: i64, status: RowStatus, error: Option<(&str, &str)>) -> AppResult<()> {
    // Only a row still in hand (a cancel may have come meanwhile).
    sqlx::query(
        "UPDATE batch_rows SET status = $3, error_code = $4, error_message = $5, updated_at = $6 \
         WHERE batch_id = $1 AND row_index = $2 AND status IN ($7, $8)",
    )
    .bind(batch)
    .bind(row)
    .bind(status)
    .bind(error.map(|e| e.0))
    .bind(error.map(|e| e.1))
    .bind(Timestamp::now())
    .bind(RowStatus::Pending)
    .bind(RowStatus::Created)
    .execute(st.db.pool())
    .await?;
    Ok(())
}

async fn set_status(tx: &mut Tx, batch: &BatchId, status: BatchStatus) -> AppResult<()> {
    sqlx::query("UPDATE batches SET status = $2, updated_at = $4 WHERE id = $1 AND status = $3")
        .bind(batch)
        .bind(status)
        .bind(BatchStatus::Running)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn finish(st: &AppState, batch: &BatchId, status: BatchStatus) -> AppResult<()> {
    let mut tx = st.db.begin().await?;
    set_status(&mut tx, batch, status).await?;
    tx.commit().await?;
    tracing::info!(batch_id = %batch, "bulk batch done");
    Ok(())
}

/// Cancels the rows not sent yet (a draft already made for one stays a draft).
pub(super) async fn cancel_rest(tx: &mut Tx, batch: &BatchId) -> AppResult<()> {
    sqlx::query("UPDATE batch_rows SET status = $2, updated_at = $3 WHERE batch_id = $1 AND status IN ($4, $5)")
        .bind(batch)
        .bind(RowStatus::Cancelled)
        .bind(Timestamp::now())
        .bind(RowStatus::Pending)
        .bind(RowStatus::Created)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
