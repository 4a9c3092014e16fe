//! The append-only audit log of an envelope. Each event's hash covers the previous event's
//! hash and the event itself (with the recipient's name and email as they were), so changing
//! or removing any event breaks the chain after it; the envelope keeps the chain's length and
//! head, so removing the newest events is detected too. The head hash is printed in the
//! audit trail.

use crate::error::AppResult;
use crate::ids::{EnvelopeId, RecipientId, UserId};
use crate::infra::db::json::{self, Col::Plain};
use crate::infra::db::{Backend, Db, Timestamp, Tx};
use crate::model::{AuditEntry, AuditIntegrity};
use serde_json::Value;
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
            ip: extensions.get::<crate::infra::client_ip::ClientIp>().map(|c| c.0.to_string()),
            user_agent: headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(500).collect()),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of_request(&parts.extensions, &parts.headers))
    }
}

/// What an audit event records; its text is what the audit trail and the API show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditKind {
    EnvelopeCreated,
    EnvelopeSent,
    RecipientInvited,
    ReminderSent,
    RecipientViewed,
    RecipientConsented,
    FieldFilled,
    /// A signer placed a signature field themselves (free-form signing).
    FieldPlaced,
    RecipientSigned,
    RecipientDeclined,
    EnvelopeDeclined,
    EnvelopeCancelled,
    EnvelopeExpired,
    /// Everyone has signed (the sealed documents follow).
    EnvelopeCompleted,
    EnvelopeSealed,
    EmailQueued,
    EmailDelivered,
    EmailFailed,
    /// A check's provider started a request (a code was sent).
    IdentityRequested,
    /// A wrong answer to a check.
    IdentityFailed,
    /// A browser passed every check of the recipient (the first time: their verification).
    RecipientVerified,
    /// Another browser passed every check of a recipient verified before.
    IdentityPassed,
    /// Too many wrong answers.
    RecipientLocked,
    /// The sender let the recipient try again.
    RecipientUnlocked,
    SmsQueued,
    SmsDelivered,
    SmsFailed,
}

impl AuditKind {
    pub const ALL: [AuditKind; 27] = [
        Self::EnvelopeCreated,
        Self::EnvelopeSent,
        Self::RecipientInvited,
        Self::ReminderSent,
        Self::RecipientViewed,
        Self::RecipientConsented,
        Self::FieldFilled,
        Self::FieldPlaced,
        Self::RecipientSigned,
        Self::RecipientDeclined,
        Self::EnvelopeDeclined,
        Self::EnvelopeCancelled,
        Self::EnvelopeExpired,
        Self::EnvelopeCompleted,
        Self::EnvelopeSealed,
        Self::EmailQueued,
        Self::EmailDelivered,
        Self::EmailFailed,
        Self::IdentityRequested,
        Self::IdentityFailed,
        Self::RecipientVerified,
        Self::IdentityPassed,
        Self::RecipientLocked,
        Self::RecipientUnlocked,
        Self::SmsQueued,
        Self::SmsDelivered,
        Self::SmsFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EnvelopeCreated => "envelope.created",
            Self::EnvelopeSent => "envelope.sent",
            Self::RecipientInvited => "recipient.invited",
            Self::ReminderSent => "reminder.sent",
            Self::RecipientViewed => "recipient.viewed",
            Self::RecipientConsented => "recipient.consented",
            Self::FieldFilled => "field.filled",
            Self::FieldPlaced => "field.placed",
            Self::RecipientSigned => "recipient.signed",
            Self::RecipientDeclined => "recipient.declined",
            Self::EnvelopeDeclined => "envelope.declined",
            Self::EnvelopeCancelled => "envelope.cancelled",
            Self::EnvelopeExpired => "envelope.expired",
            Self::EnvelopeCompleted => "envelope.completed",
            Self::EnvelopeSealed => "envelope.sealed",
            Self::EmailQueued => "email.queued",
            Self::EmailDelivered => "email.delivered",
            Self::EmailFailed => "email.failed",
            Self::IdentityRequested => "identity.requested",
            Self::IdentityFailed => "identity.failed",
            Self::RecipientVerified => "recipient.verified",
            Self::IdentityPassed => "identity.passed",
            Self::RecipientLocked => "recipient.locked",
            Self::RecipientUnlocked => "recipient.unlocked",
            Self::SmsQueued => "sms.queued",
            Self::SmsDelivered => "sms.delivered",
            Self::SmsFailed => "sms.failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

crate::infra::db::db_enum!(AuditKind);

/// One thing that happened.
pub struct Event<'a> {
    pub envelope_id: &'a EnvelopeId,
    pub kind: AuditKind,
    pub recipient_id: Option<&'a RecipientId>,
    pub user_id: Option<&'a UserId>,
    pub origin: &'a Origin,
    pub data: Value,
}

/// What an event's hash covers, besides the previous hash.
pub struct Hashed<'a> {
    pub seq: i64,
    pub envelope_id: &'a str,
    pub kind: &'a str,
    pub recipient_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub data: &'a str,
    pub at: &'a str,
    /// The recipient as they were named at the time (version 2 on).
    pub recipient_name: Option<&'a str>,
    pub recipient_email: Option<&'a str>,
}

/// The hash version events are recorded with now (1: before recipients' names and emails
/// were covered).
pub const HASH_VERSION: i64 = 2;

/// SHA-256 over the previous hash and the event's fields as canonical JSON (keys sorted,
/// compact, strings escaped as serde_json does), written straight into the hash: every read
/// of an envelope checks its whole log, so this runs for each event of each envelope read.
pub fn event_hash(prev: &str, version: i64, e: &Hashed<'_>) -> String {
    let mut h = HashWriter(Sha256::new());
    h.0.update(prev.as_bytes());
    h.0.update(b"\n");
    let str_field = |h: &mut HashWriter, key: &str, v: Option<&str>| {
        h.0.update(key.as_bytes());
        // Writing a string or null into the hash cannot fail.
        let _ = serde_json::to_writer(&mut *h, &v);
    };
    str_field(&mut h, "{\"at\":", Some(e.at));
    str_field(&mut h, ",\"data\":", Some(e.data));
    str_field(&mut h, ",\"envelope\":", Some(e.envelope_id));
    str_field(&mut h, ",\"ip\":", e.ip);
    str_field(&mut h, ",\"kind\":", Some(e.kind));
    str_field(&mut h, ",\"recipient\":", e.recipient_id);
    if version >= 2 {
        str_field(&mut h, ",\"recipient_email\":", e.recipient_email);
        str_field(&mut h, ",\"recipient_name\":", e.recipient_name);
    }
    h.0.update(b",\"seq\":");
    h.0.update(e.seq.to_string().as_bytes());
    str_field(&mut h, ",\"user\":", e.user_id);
    str_field(&mut h, ",\"user_agent\":", e.user_agent);
    h.0.update(b"}");
    hex::encode(h.0.finalize())
}

/// Lets serde_json write into a hash.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Appends an event inside the caller's transaction; returns when it was recorded. (Events
/// webhooks report go through `envelope::report`.)
pub async fn record(tx: &mut Tx, e: &Event<'_>) -> AppResult<Timestamp> {
    // Taking the next number locks the envelope's row, so appends to one log never interleave.
    let (seq, prev): (i64, Option<String>) = sqlx::query_as("UPDATE envelopes SET audit_seq = audit_seq + 1 WHERE id = $1 RETURNING audit_seq, audit_head")
        .bind(e.envelope_id)
        .fetch_one(&mut **tx)
        .await?;
    let prev = prev.unwrap_or_else(|| GENESIS.to_owned());
    let recipient: Option<(String, String)> = match e.recipient_id {
        Some(r) => sqlx::query_as("SELECT name, email FROM recipients WHERE id = $1").bind(r).fetch_optional(&mut **tx).await?,
        None => None,
    };
    let now = Timestamp::now();
    let (data, at) = (e.data.to_string(), now.to_db());
    let hash = event_hash(
        &prev,
        HASH_VERSION,
        &Hashed {
            seq,
            envelope_id: e.envelope_id.as_str(),
            kind: e.kind.as_str(),
            recipient_id: e.recipient_id.map(|r| r.as_str()),
            user_id: e.user_id.map(|u| u.as_str()),
            ip: e.origin.ip.as_deref(),
            user_agent: e.origin.user_agent.as_deref(),
            data: &data,
            at: &at,
            recipient_name: recipient.as_ref().map(|r| r.0.as_str()),
            recipient_email: recipient.as_ref().map(|r| r.1.as_str()),
        },
    );
    sqlx::query(
        "INSERT INTO audit_events (id, envelope_id, seq, kind, recipient_id, user_id, ip, user_agent, data, prev_hash, hash, \
         hash_version, recipient_name, recipient_email, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
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
    .bind(HASH_VERSION)
    .bind(recipient.as_ref().map(|r| r.0.as_str()))
    .bind(recipient.as_ref().map(|r| r.1.as_str()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE envelopes SET audit_head = $2 WHERE id = $1").bind(e.envelope_id).bind(&hash).execute(&mut **tx).await?;
    Ok(now)
}

/// One stored event, as `events_column` writes it.
#[derive(serde::Deserialize)]
struct Row {
    seq: i64,
    kind: String,
    recipient_id: Option<String>,
    user_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    data: String,
    prev_hash: String,
    hash: String,
    created_at: String,
    hash_version: i64,
    recipient_name: Option<String>,
    recipient_email: Option<String>,
    /// The recipient's name now (for events recorded before names were).
    current_name: Option<String>,
}

/// The envelope's events in order and whether the log is whole: every hash as recorded,
/// every link to the one before, and as many events, ending in the head the envelope keeps.
pub async fn events(db: &Db, envelope_id: &EnvelopeId) -> AppResult<(Vec<AuditEntry>, AuditIntegrity)> {
    events_in(&mut *db.pool().acquire().await?, envelope_id).await
}

/// `events` on a connection.
pub async fn events_in(conn: &mut sqlx::AnyConnection, envelope_id: &EnvelopeId) -> AppResult<(Vec<AuditEntry>, AuditIntegrity)> {
    #[derive(sqlx::FromRow)]
    struct Log {
        audit_seq: i64,
        audit_head: Option<String>,
        events: Option<String>,
    }
    static SQL: json::Sql =
        json::Sql::new(|b| format!("SELECT e.audit_seq, e.audit_head, {} AS events FROM envelopes e WHERE e.id = $1", events_column(b, Wanted::Events)));
    let log: Option<Log> = sqlx::query_as(SQL.get(Backend::of(conn))).bind(envelope_id).fetch_optional(&mut *conn).await?;
    match log {
        Some(l) => check_json(envelope_id, l.events.as_deref(), (l.audit_seq, l.audit_head), Wanted::Events),
        None => Ok(check(envelope_id, Vec::new(), None, Wanted::Events)),
    }
}

/// How many events an envelope recorded and the newest one's hash, as the envelope row keeps
/// them (`audit_seq`, `audit_head`).
pub type Kept = (i64, Option<String>);

/// What a reader of logs wants: every log is checked whole either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// The integrity alone (the events are checked, not kept).
    Integrity,
    /// The events too.
    Events,
}

/// A column (correlated with the envelope row aliased `e`) holding every event of its log as
/// JSON, read back by `check_json`. The columns come back as the exact text stored, so the
/// hashes are checked on what was recorded; read in the same statement as the envelope's kept
/// count and head, they are of the same moment. For the integrity alone, neither the
/// recipients' current names are joined nor the events put in order (`check_json` orders them).
pub(crate) fn events_column(backend: Backend, wanted: Wanted) -> String {
    let mut cols = vec![
        ("seq", "a.seq", Plain),
        ("kind", "a.kind", Plain),
        ("recipient_id", "a.recipient_id", Plain),
        ("user_id", "a.user_id", Plain),
        ("ip", "a.ip", Plain),
        ("user_agent", "a.user_agent", Plain),
        ("data", "a.data", Plain),
        ("prev_hash", "a.prev_hash", Plain),
        ("hash", "a.hash", Plain),
        ("created_at", "a.created_at", Plain),
        ("hash_version", "a.hash_version", Plain),
        ("recipient_name", "a.recipient_name", Plain),
        ("recipient_email", "a.recipient_email", Plain),
    ];
    match wanted {
        Wanted::Integrity => json::array_in_any_order(backend, &json::object(backend, &cols), "FROM audit_events a WHERE a.envelope_id = e.id"),
        Wanted::Events => {
            cols.push(("current_name", "r.name", Plain));
            let from = "FROM audit_events a LEFT JOIN recipients r ON r.id = a.recipient_id WHERE a.envelope_id = e.id";
            json::array(backend, &json::object(backend, &cols), "a.seq", from)
        }
    }
}

/// The log `events_column` read, checked against the envelope's kept count and head (read
/// in the same statement): its integrity and, when wanted, its events.
pub(crate) fn check_json(envelope_id: &EnvelopeId, column: Option<&str>, kept: Kept, wanted: Wanted) -> AppResult<(Vec<AuditEntry>, AuditIntegrity)> {
    let mut rows: Vec<Row> = json::rows(column, &format!("the audit events of {envelope_id}"))?;
    rows.sort_by_key(|e| e.seq);
    Ok(check(envelope_id, rows, Some(kept), wanted))
}

/// One envelope's events (in order) checked: every hash as recorded, every link to the one
/// before, and — when the envelope's kept count and head are known (read before the events)
/// — at least as many events, the kept head at its place.
fn check(envelope_id: &EnvelopeId, rows: Vec<Row>, kept: Option<Kept>, wanted: Wanted) -> (Vec<AuditEntry>, AuditIntegrity) {
    let mut prev = GENESIS.to_owned();
    let mut intact = true;
    let events = rows.len() as i64;
    // The envelope row is read before (or with) its events, so events recorded in between may
    // follow the kept head; none may be missing up to it, and the kept head must be where it was.
    let kept_in_place = kept.is_none_or(|(count, head)| {
        let at = match usize::try_from(count) {
            Ok(0) => Some(GENESIS),
            Ok(n) => rows.get(n - 1).map(|r| r.hash.as_str()),
            Err(_) => None,
        };
        at == Some(head.as_deref().unwrap_or(GENESIS))
    });
    let mut out = Vec::with_capacity(if wanted == Wanted::Events { rows.len() } else { 0 });
    for (i, r) in rows.into_iter().enumerate() {
        // As written: `Timestamp`'s form (a stored value in another form is read the same way).
        let at = Timestamp::parse(&r.created_at).map(|t| t.to_db()).unwrap_or(r.created_at);
        let expected = event_hash(
            &prev,
            r.hash_version,
            &Hashed {
                seq: r.seq,
                envelope_id: envelope_id.as_str(),
                kind: &r.kind,
                recipient_id: r.recipient_id.as_deref(),
                user_id: r.user_id.as_deref(),
                ip: r.ip.as_deref(),
                user_agent: r.user_agent.as_deref(),
                data: &r.data,
                at: &at,
                recipient_name: r.recipient_name.as_deref(),
                recipient_email: r.recipient_email.as_deref(),
            },
        );
        intact &= r.seq == i as i64 + 1 && r.prev_hash == prev && expected == r.hash && (1..=HASH_VERSION).contains(&r.hash_version);
        prev = r.hash;
        if wanted == Wanted::Events {
            out.push(AuditEntry {
                seq: r.seq,
                kind: r.kind,
                at,
                recipient: r.recipient_name.or(r.current_name),
                ip: r.ip,
                user_agent: r.user_agent,
                data: serde_json::from_str(&r.data).unwrap_or(Value::Null),
                hash: prev.clone(),
            });
        }
    }
    intact &= kept_in_place;
    let head = if events == 0 { GENESIS.to_owned() } else { prev };
    (out, AuditIntegrity { intact, events, head })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event<'a>(seq: i64, ip: &'a str, data: &'a str, name: Option<&'a str>) -> Hashed<'a> {
        Hashed {
            seq,
            envelope_id: "e",
            kind: "k",
            recipient_id: Some("r"),
            user_id: None,
            ip: Some(ip),
            user_agent: Some("ua"),
            data,
            at: "t",
            recipient_name: name,
            recipient_email: Some("a@example.com"),
        }
    }

    /// The hash as first written: a `serde_json` map (sorted keys) turned into a string.
    fn hash_by_map(prev: &str, version: i64, e: &Hashed<'_>) -> String {
        let mut body = json!({
            "at": e.at, "data": e.data, "envelope": e.envelope_id, "ip": e.ip, "kind": e.kind,
            "recipient": e.recipient_id, "seq": e.seq, "user": e.user_id, "user_agent": e.user_agent,
        });
        if version >= 2 {
            body["recipient_email"] = json!(e.recipient_email);
            body["recipient_name"] = json!(e.recipient_name);
        }
        let mut h = Sha256::new();
        h.update(prev.as_bytes());
        h.update(b"\n");
        h.update(body.to_string().as_bytes());
        hex::encode(h.finalize())
    }

    #[test]
    fn the_streamed_hash_is_the_hash_of_the_canonical_json() {
        let odd = ["", "김민준 <a@b>", "quote \" back \\ slash", "ctl \u{1}\u{1f}\t\n\r", "\u{2028}\u{2029} 🖋", "{\"k\":[1,2]}", "/\u{7f}"];
        for (i, s) in odd.iter().enumerate() {
            for version in [1, 2] {
                let e = Hashed {
                    seq: [1, 9, 10, 12345, -1][i % 5],
                    envelope_id: s,
                    kind: "recipient.signed",
                    recipient_id: (i % 2 == 0).then_some(*s),
                    user_id: (i % 3 == 0).then_some(*s),
                    ip: Some(s),
                    user_agent: (i % 2 == 1).then_some(*s),
                    data: s,
                    at: s,
                    recipient_name: (i % 2 == 0).then_some(*s),
                    recipient_email: (i % 3 != 0).then_some(*s),
                };
                assert_eq!(event_hash(GENESIS, version, &e), hash_by_map(GENESIS, version, &e), "{s:?} v{version}");
                assert_eq!(event_hash(s, version, &e), hash_by_map(s, version, &e), "{s:?} v{version}");
            }
        }
    }

    #[test]
    fn the_hash_covers_the_previous_hash_and_every_field() {
        let base = event_hash(GENESIS, 2, &event(1, "1.2.3.4", "{}", Some("김민준")));
        assert_eq!(base.len(), 64);
        assert_ne!(base, event_hash(&base, 2, &event(1, "1.2.3.4", "{}", Some("김민준"))));
        assert_ne!(base, event_hash(GENESIS, 2, &event(2, "1.2.3.4", "{}", Some("김민준"))));
        assert_ne!(base, event_hash(GENESIS, 2, &event(1, "1.2.3.5", "{}", Some("김민준"))));
        assert_ne!(base, event_hash(GENESIS, 2, &event(1, "1.2.3.4", "{\"a\":1}", Some("김민준"))));
        assert_ne!(base, event_hash(GENESIS, 2, &event(1, "1.2.3.4", "{}", Some("이서연"))), "the name is covered");
        assert_eq!(base, event_hash(GENESIS, 2, &event(1, "1.2.3.4", "{}", Some("김민준"))));
        // Version 1 events keep the hash they were recorded with.
        assert_eq!(event_hash(GENESIS, 1, &event(1, "1.2.3.4", "{}", Some("김민준"))), event_hash(GENESIS, 1, &event(1, "1.2.3.4", "{}", None)));
    }
}
