//! The persisted job queue for work that leaves a request: written in the transaction that
//! causes it, run by a worker, retried with backoff, resumed after a restart (a job claimed
//! by a process that died is claimed again once its lock expires, and its late outcome is
//! fenced off: see `claim`).

use crate::error::{AppError, AppResult};
use crate::infra::claim::{claim_sql, Claim, Queue};
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
    /// Renders every page of an uploaded document ahead of time (`document::render_job`).
    Render,
    /// Sends the rows of a bulk batch, paced (`bulk::handle`).
    Bulk,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seal => "seal",
            Self::Render => "render",
            Self::Bulk => "bulk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "seal" => Some(Self::Seal),
            "render" => Some(Self::Render),
            "bulk" => Some(Self::Bulk),
            _ => None,
        }
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
/// job's claim (its id, and the fence its outcome is recorded behind) and its payload.
pub type Handler<C> = for<'a> fn(&'a C, &'a Claim, &'a Value) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// The job queue, as claims see it.
pub const QUEUE: Queue = Queue { table: "jobs", waiting: "pending", due: "run_at" };

/// A job claimed for one run.
#[derive(sqlx::FromRow)]
struct Claimed {
    id: String,
    kind: String,
    payload: String,
    attempts: i64,
}

/// Runs due jobs of the `handlers`' kinds until cancelled.
pub async fn worker<C: Sync>(
    name: &str,
    db: Db,
    ctx: C,
    handlers: &'static [(JobKind, Handler<C>)],
    wake: std::sync::Arc<tokio::sync::Notify>,
    cancel: CancellationToken,
) {
    drain(name, Duration::from_secs(1), Some(&*wake), &cancel, || run_next(&db, &ctx, handlers)).await
}

/// The loop of every queue worker: runs `step` while it finds work (it answers true), then
/// waits for `wake`, `idle` or cancellation. Errors are logged and the loop goes on.
pub async fn drain<F, Fut>(what: &str, idle: Duration, wake: Option<&tokio::sync::Notify>, cancel: &CancellationToken, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<bool>>,
{
    loop {
        if cancel.is_cancelled() {
            return;
        }
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

/// Claims one due job of the handlers' kinds and runs it; false when none was due.
pub async fn run_next<C: Sync>(db: &Db, ctx: &C, handlers: &[(JobKind, Handler<C>)]) -> AppResult<bool> {
    let now = Timestamp::now();
    let kinds = format!(" AND kind IN ({})", crate::infra::db::marks(4, handlers.len()));
    let sql = claim_sql(db.backend(), QUEUE, &kinds, ", attempts = attempts + 1", "id, kind, payload, attempts");
    let token = Claim::token();
    let mut q = sqlx::query_as::<_, Claimed>(&sql).bind(now.plus(LOCK)).bind(now).bind(&token);
    for (kind, _) in handlers {
        q = q.bind(*kind);
    }
    let Some(Claimed { id, kind, payload, attempts }) = q.fetch_optional(db.pool()).await? else { return Ok(false) };
    let claim = Claim::new(QUEUE, id, token);
    let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
    let alive = claim.keep_alive(db, LOCK, RENEW);
    let started = std::time::Instant::now();
    let result = match handlers.iter().find(|(k, _)| Some(*k) == JobKind::parse(&kind)) {
        Some((_, h)) => h(ctx, &claim, &payload).await,
        None => Err(JobError { error: AppError::internal_msg(format!("no handler for job kind {kind}")), retry: false }),
    };
    drop(alive);
    let outcome = match &result {
        Ok(()) => "done",
        Err(JobError { retry: true, .. }) => "retry",
        Err(JobError { retry: false, .. }) => "failed",
    };
    metrics::histogram!("dojang_job_duration_seconds", "kind" => kind.clone(), "outcome" => outcome).record(started.elapsed().as_secs_f64());
    metrics::counter!("dojang_jobs_total", "kind" => kind.clone(), "outcome" => outcome).increment(1);
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    if !claim.settle(&mut tx).await? {
        return Ok(true);
    }
    let id = &claim.id;
    match result {
        Ok(()) => {
            sqlx::query("UPDATE jobs SET status = 'done', last_error = NULL, updated_at = $2 WHERE id = $1").bind(id).bind(now).execute(&mut *tx).await?;
            tracing::info!(job = %id, kind = %kind, "job done");
        }
        Err(JobError { error, retry }) => {
            let status = if retry { "pending" } else { "failed" };
            sqlx::query("UPDATE jobs SET status = $2, last_error = $3, run_at = $4, updated_at = $5 WHERE id = $1")
                .bind(id)
                .bind(status)
                .bind(&error.message)
                .bind(now.plus(backoff(attempts)))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tracing::warn!(job = %id, kind = %kind, attempts, retry, error = %error.message, "job failed");
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// 10 s, 20 s, 40 s, … at most an hour.
pub fn backoff(attempts: i64) -> time::Duration {
    time::Duration::seconds((10i64 << (attempts - 1).clamp(0, 9)).min(3600))
}
