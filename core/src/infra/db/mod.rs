//! The database: one pool over SQLite (embedded default) or PostgreSQL, chosen by URL.
//!
//! SQL stays portable: `$1` placeholders (SQLite reads them as numbered parameters), TEXT ids
//! and timestamps, BIGINT integers, no driver-specific types. State changes that guard a row
//! do it with conditional `UPDATE … WHERE state = …` and check the affected row count, which
//! both databases serialise correctly.

pub mod json;
mod timestamp;
pub use timestamp::Timestamp;

use anyhow::Context as _;
use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::{Any, AnyPool, Transaction};
use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

pub type Tx = Transaction<'static, Any>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Which database a connection talks to.
    pub fn of(conn: &sqlx::AnyConnection) -> Self {
        if conn.backend_name() == "PostgreSQL" {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// The pool and which database is behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). A SQLite file and its folder are
    /// created when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_with(url, None).await
    }

    /// As `connect`, with at most `max_connections` in the pool (default 8 on SQLite, 16 on
    /// PostgreSQL).
    pub async fn connect_with(url: &str, max_connections: Option<u32>) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("DOJANG_DATABASE_URL must start with sqlite:// or postgres://");
        };
        let mut url = url.to_owned();
        if backend == Backend::Sqlite {
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&url).context("parsing the SQLite database URL")?;
            let file = opts.get_filename();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("creating the database folder {}", dir.display()))?;
            }
            if !url.contains("mode=") && !is_memory(file) {
                url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.unwrap_or(if backend == Backend::Sqlite { 8 } else { 16 }))
            .acquire_timeout(Duration::from_secs(10))
            // A SQLite connection is a file handle that cannot go stale; pinging it on every
            // acquire is a round trip to its thread for nothing. A PostgreSQL connection may
            // have been dropped by the server, so it is checked.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                        // Reads from memory: a 32 MB page cache per connection and the file mapped.
                        sqlx::query("PRAGMA cache_size = -32000").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA mmap_size = 268435456").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .context("connecting to the database")?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await.context("enabling WAL")?;
        }
        Ok(Self { pool, backend })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR.run(&self.pool).await.context("running database migrations")
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so a read-then-write never fails halfway with SQLITE_BUSY.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// `SELECT 1`: is the database reachable now?
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn is_memory(file: &Path) -> bool {
    file.as_os_str() == ":memory:" || file.as_os_str().is_empty()
}

/// Which unique constraint a failed insert violated, as `table.column` on SQLite and as the
/// constraint name on PostgreSQL. Constraints are named `<table>_<column>_key` so the two
/// map to the same field.
pub fn unique_violation(err: &sqlx::Error) -> Option<String> {
    let db = err.as_database_error()?;
    if !matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation) {
        return None;
    }
    if let Some(c) = db.constraint() {
        return Some(c.to_owned());
    }
    // SQLite: "UNIQUE constraint failed: users.email"
    let msg = db.message();
    msg.split_once("failed: ").map(|(_, cols)| {
        let first = cols.split(',').next().unwrap_or(cols).trim();
        format!("{}_key", first.replace('.', "_"))
    })
}

/// Locks the row `id` of `table` until the transaction ends, for a check that counts rows
/// under it before writing (a quota, a limit): on PostgreSQL other writers of that row wait
/// (and their count, a statement later, sees what this transaction wrote); on SQLite the
/// transaction already holds the database's write lock (`BEGIN IMMEDIATE`).
pub async fn lock(tx: &mut Tx, table: &str, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("UPDATE {table} SET id = id WHERE id = $1")).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// `$from, $from+1, …` for `n` values: the parameters of an `IN (…)` list.
pub fn marks(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// True when exactly one row changed: the guard of a conditional state change held.
pub fn changed_one(res: &AnyQueryResult) -> bool {
    res.rows_affected() == 1
}

/// Implements sqlx's Type/Encode/Decode for a type stored as TEXT.
macro_rules! text_type {
    ($t:ty, $from:expr, $to:expr) => {
        impl sqlx::Type<sqlx::Any> for $t {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }
        impl<'q> sqlx::Encode<'q, sqlx::Any> for $t {
            fn encode_by_ref(&self, buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let s: String = ($to)(self);
                <String as sqlx::Encode<'q, sqlx::Any>>::encode(s, buf)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $t {
            fn decode(value: <sqlx::Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(($from)(s)?)
            }
        }
        impl $crate::infra::db::json::DbText for $t {
            fn from_db_text(s: String) -> Result<Self, String> {
                ($from)(s).map_err(|e| e.to_string())
            }
        }
    };
}
pub(crate) use text_type;

/// Implements the database mapping of enums stored as their `as_str()` text; a stored value
/// that `parse` does not know is a decoding error (bad data is never read as a default).
macro_rules! db_enum {
    ($($t:ty),* $(,)?) => {
        $(
            $crate::infra::db::text_type!(
                $t,
                |s: String| <$t>::parse(&s).ok_or_else(|| format!("unknown {} {s:?} in the database", stringify!($t))),
                |v: &$t| v.as_str().to_owned()
            );
        )*
    };
}
pub(crate) use db_enum;
