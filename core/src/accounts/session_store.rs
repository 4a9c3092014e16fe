//! tower-sessions store over Dojang's own database (SQLite or PostgreSQL alike).

use crate::infra::db::{Db, Timestamp};
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, ExpiredDeletion, Result};
use tower_sessions::SessionStore;

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn backend<E: std::fmt::Display>(e: E) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Insert with a fresh id until it does not collide (128 random bits: practically once).
        loop {
            let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
            let now = Timestamp::now();
            let res = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(data)
            .bind(Timestamp::from_datetime(record.expiry_date))
            .bind(now)
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
            if res.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let now = Timestamp::now();
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (id) DO UPDATE SET data = $2, expires_at = $3, updated_at = $4",
        )
        .bind(record.id.to_string())
        .bind(data)
        .bind(Timestamp::from_datetime(record.expiry_date))
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row: Option<(String, Timestamp)> = sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id.to_string())
            .bind(Timestamp::now())
            .fetch_optional(self.db.pool())
            .await
            .map_err(backend)?;
        row.map(|(data, expires)| {
            Ok(Record { id: *id, data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?, expiry_date: expires.datetime() })
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string()).execute(self.db.pool()).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(Timestamp::now()).execute(self.db.pool()).await.map_err(backend)?;
        Ok(())
    }
}
