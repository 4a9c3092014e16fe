//! The append-only audit log of an envelope. Each event's hash covers the previous event's
//! hash and the event itself, so changing or removing any event breaks the chain after it;
//! the head hash is printed in the audit trail.

use crate::db::{Db, Timestamp, Tx};
use crate::error::AppResult;
use crate::ids::{EnvelopeId, RecipientId, UserId};
use crate::model::AuditEntry;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a request came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// Where a request came from: its client's address (as `client_ip` resolved it) and its
    /// user agent (at most 500 characters).
    pub fn of_request(extensions: &http::Extensions, headers: &http::HeaderMap) -> Self {
        Self {
            ip: extensions.get::<crate::client_ip::ClientIp>().map(|c| c.0.to_string()),
            user_agent: headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(500).collect()),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of_request(&parts.extensions, &parts.headers))
    }
}

/// One thing that happened.
pub struct Event<'a> {
    pub envelope_id: &'a EnvelopeId,
    pub kind: &'static str,
    pub recipient_id: Option<&'a RecipientId>,
    pub user_id: Option<&'a UserId>,
    pub origin: &'a Origin,
    pub data: Value,
}

/// The hash of an event given the previous hash: SHA-256 over the previous hash and the
/// event's fields as canonical JSON (keys sorted).
#[allow(clippy::too_many_arguments)]
pub fn event_hash(
    prev: &str,
    seq: i64,
    envelope_id: &str,
    kind: &str,
    recipient_id: Option<&str>,
    user_id: Option<&str>,
    ip: Option<&str>,
    user_agent: Option<&str>,
    data: &str,
    at: &str,
) -> String {
    let body = json!({
        "at": at, "data": data, "envelope": envelope_id, "ip": ip, "kind": kind,
        "recipient": recipient_id, "seq": seq, "user": user_id, "user_agent": user_agent,
    });
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction.
pub async fn record(tx: &mut Tx, e: Event<'_>) -> AppResult<()> {
    // Take the envelope's row lock (a no-op update) so appends to one log never interleave.
    sqlx::query("UPDATE envelopes SET updated_at = updated_at WHERE id = $1").bind(e.envelope_id).execute(&mut **tx).await?;
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events WHERE envelope_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(e.envelope_id)
            .fetch_optional(&mut **tx)
            .await?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_owned()),
    };
    let now = Timestamp::now();
    let data = e.data.to_string();
    let hash = event_hash(
        &prev,
        seq,
        e.envelope_id.as_str(),
        e.kind,
        e.recipient_id.map(|r| r.as_str()),
        e.user_id.map(|u| u.as_str()),
        e.origin.ip.as_deref(),
        e.origin.user_agent.as_deref(),
        &data,
        &now.to_db(),
    );
    sqlx::query(
        "INSERT INTO audit_events (id, envelope_id, seq, kind, recipient_id, user_id, ip, user_agent, data, prev_hash, hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(uuid::Uuid::now_v7().simple().to_string())
    .bind(e.envelope_id)
    .bind(seq)
    .bind(e.kind)
    .bind(e.recipient_id)
    .bind(e.user_id)
    .bind(e.origin.ip.as_deref())
    .bind(e.origin.user_agent.as_deref())
    .bind(&data)
    .bind(&prev)
    .bind(&hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    crate::webhooks::emit(tx, e.envelope_id, e.kind, e.recipient_id, &e.data, now).await
}

type Row = (i64, String, Option<String>, Option<String>, Option<String>, Option<String>, String, String, String, Timestamp, Option<String>);

/// The envelope's events in order, with recipient names, and whether the chain holds.
pub async fn events(db: &Db, envelope_id: &EnvelopeId) -> AppResult<(Vec<AuditEntry>, bool)> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.seq, a.kind, a.recipient_id, a.user_id, a.ip, a.user_agent, a.data, a.prev_hash, a.hash, a.created_at, r.name \
         FROM audit_events a LEFT JOIN recipients r ON r.id = a.recipient_id WHERE a.envelope_id = $1 ORDER BY a.seq",
    )
    .bind(envelope_id)
    .fetch_all(db.pool())
    .await?;
    let mut prev = GENESIS.to_owned();
    let mut intact = true;
    let mut out = Vec::with_capacity(rows.len());
    for (seq, kind, recipient, user, ip, ua, data, prev_hash, hash, at, name) in rows {
        let expected = event_hash(
            &prev,
            seq,
            envelope_id.as_str(),
            &kind,
            recipient.as_deref(),
            user.as_deref(),
            ip.as_deref(),
            ua.as_deref(),
            &data,
            &at.to_db(),
        );
        intact &= prev_hash == prev && expected == hash;
        prev = hash.clone();
        out.push(AuditEntry {
            seq,
            kind,
            at: at.to_db(),
            recipient: name,
            ip,
            user_agent: ua,
            data: serde_json::from_str(&data).unwrap_or(Value::Null),
            hash,
        });
    }
    Ok((out, intact))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_the_previous_hash_and_every_field() {
        let base = event_hash(GENESIS, 1, "e", "k", Some("r"), None, Some("1.2.3.4"), Some("ua"), "{}", "t");
        assert_eq!(base.len(), 64);
        assert_ne!(base, event_hash(&base, 1, "e", "k", Some("r"), None, Some("1.2.3.4"), Some("ua"), "{}", "t"));
        assert_ne!(base, event_hash(GENESIS, 2, "e", "k", Some("r"), None, Some("1.2.3.4"), Some("ua"), "{}", "t"));
        assert_ne!(base, event_hash(GENESIS, 1, "e", "k", Some("r"), None, Some("1.2.3.5"), Some("ua"), "{}", "t"));
        assert_ne!(base, event_hash(GENESIS, 1, "e", "k", Some("r"), None, Some("1.2.3.4"), Some("ua"), "{\"a\":1}", "t"));
        assert_eq!(base, event_hash(GENESIS, 1, "e", "k", Some("r"), None, Some("1.2.3.4"), Some("ua"), "{}", "t"));
    }
}
