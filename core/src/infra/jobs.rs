//! The persisted job queue for work that leaves a request: written in the transaction that
//! causes it, run by a worker, retried with backoff, resumed after a restart (a job claimed
//! by a process that died is claimed again once its lock expires).

use crate::error::{AppError, AppResult};
use crate::infra::db::{Db, Timestamp, Tx};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a claimed job is left alone before another worker may take it over. A running
/// job keeps renewing its claim, so only the jobs of a process that died become free again.
const LOCK: time::Duration = time::Duration::seconds(30);
const RENEW: Duration = Duration::from_secs(10);

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// Seals a completed envelope (`seal::handle`).
    Seal,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seal => "seal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s == "seal").then_some(Self::Seal)
    }
}

crate::infra::db::db_enum!(JobKind);

pub async fn enqueue(tx: &mut Tx, kind: JobKind, payload: &Value) -> AppResult<String> {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let now = Timestamp::now();
    sqlx::query("INSERT INTO jobs (id, kind, payload, status, attempts, run_at, created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4)")
        .bind(&id)
        .bind(kind)
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// What a job handler returns on failure: the error, and whether to try again.
pub struct JobError {
    pub error: AppError,
    pub retry: bool,
}

impl From<AppError> for JobError {
    fn from(error: AppError) -> Self {
        Self { error, retry: true }
    }
}

/// Runs one job: the context the worker was given (`C`, the application's state), the
/// job's id and its payload.
pub type Handler<C> = for<'a> fn(&'a C, &'a str, &'a Value) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// A job claimed for one run.
#[derive(sqlx::FromRow)]
struct Claimed {
    id: String,
    kind: String,
    payload: String,
    attempts: i64,
}

/// Runs due jobs until cancelled; `handlers` maps kinds to functions.
pub async fn worker<C: Sync>(db: Db, ctx: C, handlers: &'static [(JobKind, Handler<C>)], wake: std::sync::Arc<tokio::sync::Notify>, cancel: CancellationToken) {
    drain("jobs", Duration::from_secs(1), Some(&*wake), &cancel, || run_next(&db, &ctx, handlers)).await
}

/// The loop of every queue worker: runs `step` while it finds work (it answers true), then
/// waits for `wake`, `idle` or cancellation. Errors are logged and the loop goes on.
pub async fn drain<F, Fut>(what: &str, idle: Duration, wake: Option<&tokio::sync::Notify>, cancel: &CancellationToken, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<bool>>,
{
    loop {
        match step().await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e.message, worker = what, "queue worker"),
        }
        let woken = async {
            match wake {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = woken => {}
            _ = tokio::time::sleep(idle) => {}
        }
    }
}

/// How every persisted queue (jobs, the mail outbox, webhook messages) claims its next row:
/// the oldest due row in `status` whose claim is free or expired, locked until `$1` (`$2` is
/// now), with `also` added to the SET list; returns the `returning` columns. The conditional
/// update makes the claim atomic on SQLite and PostgreSQL alike.
pub fn claim_sql(table: &str, status: &str, due: &str, also: &str, returning: &str) -> String {
    claim_sql_where(table, status, due, "", also, returning)
}

/// `claim_sql` with a further condition on the rows that may be claimed (`extra`, starting
/// with `AND`).
pub fn claim_sql_where(table: &str, status: &str, due: &str, extra: &str, also: &str, returning: &str) -> String {
    format!(
        "UPDATE {table} SET locked_until = $1, updated_at = $2{also} \
         WHERE id = (SELECT id FROM {table} WHERE status = '{status}' AND {due} <= $2 \
                     AND (locked_until IS NULL OR locked_until < $2){extra} ORDER BY {due}, id LIMIT 1) \
           AND (locked_until IS NULL OR locked_until < $2) \
         RETURNING {returning}"
    )
}

/// Claims one due job and runs it; false when none was due.
pub async fn run_next<C: Sync>(db: &Db, ctx: &C, handlers: &[(JobKind, Handler<C>)]) -> AppResult<bool> {
    let now = Timestamp::now();
    let claimed: Option<Claimed> = sqlx::query_as(&claim_sql("jobs", "pending", "run_at", ", attempts = attempts + 1", "id, kind, payload, attempts"))
        .bind(now.plus(LOCK))
        .bind(now)
        .fetch_optional(db.pool())
        .await?;
    let Some(Claimed { id, kind, payload, attempts }) = claimed else { return Ok(false) };
    let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
    let heartbeat = {
        let (db, id) = (db.clone(), id.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RENEW).await;
                let _ = sqlx::query("UPDATE jobs SET locked_until = $2 WHERE id = $1 AND status = 'pending'")
                    .bind(&id)
                    .bind(Timestamp::now().plus(LOCK))
                    .execute(db.pool())
                    .await;
            }
        })
    };
    let result = match handlers.iter().find(|(k, _)| Some(*k) == JobKind::parse(&kind)) {
        Some((_, h)) => h(ctx, &id, &payload).await,
        None => Err(JobError { error: AppError::internal_msg(format!("no handler for job kind {kind}")), retry: false }),
    };
    heartbeat.abort();
    let now = Timestamp::now();
    match result {
        Ok(()) => {
            sqlx::query("UPDATE jobs SET status = 'done', locked_until = NULL, last_error = NULL, updated_at = $2 WHERE id = $1")
                .bind(&id)
                .bind(now)
                .execute(db.pool())
                .await?;
            tracing::info!(job = %id, kind = %kind, "job done");
        }
        Err(JobError { error, retry }) => {
            let status = if retry { "pending" } else { "failed" };
            sqlx::query("UPDATE jobs SET status = $2, locked_until = NULL, last_error = $3, run_at = $4, updated_at = $5 WHERE id = $1")
                .bind(&id)
                .bind(status)
                .bind(&error.message)
                .bind(now.plus(backoff(attempts)))
                .bind(now)
                .execute(db.pool())
                .await?;
            tracing::warn!(job = %id, kind = %kind, attempts, retry, error = %error.message, "job failed");
        }
    }
    Ok(true)
}

/// 10 s, 20 s, 40 s, … at most an hour.
pub fn backoff(attempts: i64) -> time::Duration {
    time::Duration::seconds((10i64 << (attempts - 1).clamp(0, 9)).min(3600))
}
