//! Claims on the rows of the persisted queues (jobs, the mail outbox, webhook messages) and
//! leases for periodic work, shared by every instance on one database.
//!
//! A claim locks one due row for a while and carries a fencing token: renewing it, finishing
//! the row's work and writing its outcome all check the token, so a worker whose claim lapsed
//! (it stalled, its process was stopped) can neither extend it, nor complete the row, nor
//! overwrite what the worker that took it over wrote. On PostgreSQL the next row is chosen
//! with `FOR UPDATE SKIP LOCKED`, so claimers do not queue behind each other.

use crate::error::AppResult;
use crate::infra::db::{changed_one, Backend, Db, Timestamp, Tx};
use std::sync::OnceLock;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// This process, as it names itself in leases and logs (host, process id and a random part).
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
        format!("{}-{}-{}", if host.is_empty() { "dojang" } else { &host }, std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8])
    })
}

/// A queue: its table, the status of rows waiting, and the column saying when a row is due.
#[derive(Clone, Copy, Debug)]
pub struct Queue {
    pub table: &'static str,
    pub waiting: &'static str,
    pub due: &'static str,
}

/// The SQL that claims the oldest due row of `q` whose claim is free or lapsed: `$1` is the
/// lock's end, `$2` now, `$3` the new fencing token; `extra` (starting with `AND`, parameters
/// from `$4`) narrows the rows, `also` adds to the SET list; returns the `returning` columns.
/// The conditional update makes the claim atomic on SQLite and PostgreSQL alike.
pub fn claim_sql(backend: Backend, q: Queue, extra: &str, also: &str, returning: &str) -> String {
    let Queue { table, waiting, due } = q;
    let skip = if backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    format!(
        "UPDATE {table} SET locked_until = $1, updated_at = $2, claim_token = $3{also} \
         WHERE id = (SELECT id FROM {table} WHERE status = '{waiting}' AND {due} <= $2 \
                     AND (locked_until IS NULL OR locked_until < $2){extra} ORDER BY {due}, id LIMIT 1{skip}) \
           AND (locked_until IS NULL OR locked_until < $2) \
         RETURNING {returning}"
    )
}

/// Claims the oldest due row of `q` that counts one more attempt (`attempts = attempts + 1`),
/// locked for `lock`: the row (its `returning` columns, `id` first among them) and the claim.
pub async fn claim_attempt<T>(db: &Db, q: Queue, lock: time::Duration, returning: &str, id: impl Fn(&T) -> String) -> AppResult<Option<(T, Claim)>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let now = Timestamp::now();
    let token = Claim::token();
    let row: Option<T> = sqlx::query_as(&claim_sql(db.backend(), q, "", ", attempts = attempts + 1", returning))
        .bind(now.plus(lock))
        .bind(now)
        .bind(&token)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| {
        let claim = Claim::new(q, id(&r), token);
        (r, claim)
    }))
}

/// One worker's claim on one row.
#[derive(Clone, Debug)]
pub struct Claim {
    table: &'static str,
    pub id: String,
    token: String,
}

impl Claim {
    /// A fresh fencing token for a claim about to be made (bind it as `$3` of `claim_sql`).
    pub fn token() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    pub fn new(q: Queue, id: String, token: String) -> Self {
        Self { table: q.table, id, token }
    }

    /// Extends the claim to `until`; false when it was lost (another worker holds the row now,
    /// or its outcome was written).
    pub async fn renew(&self, db: &Db, until: Timestamp) -> AppResult<bool> {
        let sql = format!("UPDATE {} SET locked_until = $3 WHERE id = $1 AND claim_token = $2", self.table);
        Ok(changed_one(&sqlx::query(&sql).bind(&self.id).bind(&self.token).bind(until).execute(db.pool()).await?))
    }

    /// Within `tx`: whether the claim still holds, locking the row until the transaction ends
    /// (work recorded in `tx` is then this claim's, or nobody's).
    pub async fn holds(&self, tx: &mut Tx) -> AppResult<bool> {
        let sql = format!("UPDATE {} SET claim_token = claim_token WHERE id = $1 AND claim_token = $2", self.table);
        Ok(changed_one(&sqlx::query(&sql).bind(&self.id).bind(&self.token).execute(&mut **tx).await?))
    }

    /// Within `tx`, before writing the row's outcome: ends the claim if it still holds; false
    /// when it lapsed (then write nothing: the row is another worker's).
    pub async fn settle(&self, tx: &mut Tx) -> AppResult<bool> {
        let sql = format!("UPDATE {} SET claim_token = NULL, locked_until = NULL WHERE id = $1 AND claim_token = $2", self.table);
        let held = changed_one(&sqlx::query(&sql).bind(&self.id).bind(&self.token).execute(&mut **tx).await?);
        if !held {
            tracing::warn!(table = self.table, id = %self.id, "a claim lapsed before its work was recorded; the row is left to its new holder");
        }
        Ok(held)
    }

    /// Renews the claim every `every` for `lock` more while the returned guard lives; the
    /// guard's `lost` is cancelled when a renewal finds the claim gone.
    pub fn keep_alive(&self, db: &Db, lock: time::Duration, every: Duration) -> KeepAlive {
        let (claim, db, lost) = (self.clone(), db.clone(), CancellationToken::new());
        let signal = lost.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match claim.renew(&db, Timestamp::now().plus(lock)).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(table = claim.table, id = %claim.id, "claim lost to another worker");
                        signal.cancel();
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e.message, "renewing a claim"),
                }
            }
        });
        KeepAlive { task, lost }
    }
}

/// Keeps a claim renewed until dropped.
pub struct KeepAlive {
    task: tokio::task::JoinHandle<()>,
    pub lost: CancellationToken,
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether periodic work named `name` is due now across the cluster; if so this instance takes
/// it for `period` (no other instance gets it before then). One upsert, atomic on both
/// databases.
pub async fn lease_due(db: &Db, name: &str, period: time::Duration) -> AppResult<bool> {
    let now = Timestamp::now();
    let res = sqlx::query(
        "INSERT INTO leases (name, holder, until, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until, updated_at = excluded.updated_at \
         WHERE leases.until <= $4",
    )
    .bind(name)
    .bind(instance_id())
    .bind(now.plus(period))
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(changed_one(&res))
}
