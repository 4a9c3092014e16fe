//! Delivers queued webhook messages: claims a due message (a claim of a process that died
//! expires), posts it signed to its endpoint, and records the attempt. A failed message is
//! tried again on a schedule of growing delays with jitter over about three days (or when
//! the receiver's `Retry-After` says); after the last attempt the message has failed and the
//! endpoint is disabled until its owner turns it back on.
//!
//! Only public addresses are called unless the operator allows private ones: the host is
//! resolved, every address checked, and the connection pinned to a checked address (so a
//! DNS answer cannot change between check and connect). Redirects are not followed.

use super::endpoints::open_secret;
use super::target::is_private;
use crate::error::AppResult;
use crate::infra::claim::{claim_sql, Claim, Queue};
use crate::infra::db::Timestamp;
use crate::state::AppState;
use rand::Rng as _;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Delay after each failed attempt (seconds, before scaling and jitter): about 2.8 days in
/// all, twelve attempts.
const SCHEDULE: [i64; 11] = [5, 60, 300, 1800, 3600, 7200, 14_400, 28_800, 43_200, 57_600, 86_400];
const LOCK: time::Duration = time::Duration::seconds(30);
/// How often a running attempt renews its claim.
const RENEW: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(15);
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: i64 = 86_400;

/// Messages delivered at once, over all endpoints.
pub const IN_FLIGHT: usize = 16;
/// Messages delivered at once to one endpoint: a receiver that hangs holds only these, and
/// every other endpoint's messages go on meanwhile.
pub const PER_ENDPOINT: usize = 2;
/// Messages delivered at once for one organization (all its endpoints): one tenant with many
/// hanging endpoints cannot take every slot.
pub const PER_ORGANIZATION: usize = 4;

/// What is being delivered now, by endpoint and by organization.
#[derive(Default)]
struct Busy {
    endpoints: HashMap<String, usize>,
    organizations: HashMap<String, usize>,
}

impl Busy {
    fn take(&mut self, endpoint: &str, organization: &str) {
        *self.endpoints.entry(endpoint.to_owned()).or_default() += 1;
        *self.organizations.entry(organization.to_owned()).or_default() += 1;
    }

    fn release(&mut self, done: Result<(String, String), tokio::task::JoinError>) {
        let Ok((endpoint, organization)) = done else {
            return;
        };
        for (map, key) in [(&mut self.endpoints, endpoint), (&mut self.organizations, organization)] {
            if let Some(n) = map.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
    }

    fn full(map: &HashMap<String, usize>, bound: usize) -> Vec<String> {
        map.iter().filter(|(_, n)| **n >= bound).map(|(k, _)| k.clone()).collect()
    }
}

/// Delivers due messages until cancelled: up to `IN_FLIGHT` at once, at most `PER_ENDPOINT` of
/// them to any one endpoint and `PER_ORGANIZATION` for any one organization. On cancel,
/// deliveries under way finish (each is bounded by its timeout); a claim cut short lapses and
/// the message is sent again (at least once).
pub async fn worker(st: AppState, cancel: CancellationToken) {
    let mut running: JoinSet<(String, String)> = JoinSet::new();
    let mut busy = Busy::default();
    loop {
        while let Some(done) = running.try_join_next() {
            busy.release(done);
        }
        if running.len() < IN_FLIGHT {
            let endpoints = Busy::full(&busy.endpoints, PER_ENDPOINT);
            let organizations = Busy::full(&busy.organizations, PER_ORGANIZATION);
            match claim(&st, &endpoints, &organizations).await {
                Ok(Some((msg, organization))) => {
                    busy.take(&msg.row.endpoint_id, &organization);
                    let st = st.clone();
                    running.spawn(async move {
                        let endpoint = msg.row.endpoint_id.clone();
                        if let Err(e) = deliver(&st, msg).await {
                            tracing::warn!(error = %e.message, "webhook delivery");
                        }
                        (endpoint, organization)
                    });
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e.message, worker = "webhooks", "queue worker"),
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            Some(done) = running.join_next(), if !running.is_empty() => busy.release(done),
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
    while let Some(done) = running.join_next().await {
        busy.release(done);
    }
}

/// The webhook queue, as claims see it.
const QUEUE: Queue = Queue { table: "webhook_messages", waiting: "pending", due: "next_attempt_at" };

/// A message claimed for one attempt (under `claim`).
struct Claimed {
    row: ClaimedRow,
    claim: Claim,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: String,
    endpoint_id: String,
    payload: String,
    attempts: i64,
}

type EndpointRow = (String, String, i64);

/// Claims the oldest due message whose endpoint is in neither list (full endpoints, endpoints
/// of full organizations); returns it with its endpoint's organization.
async fn claim(st: &AppState, endpoints: &[String], organizations: &[String]) -> AppResult<Option<(Claimed, String)>> {
    let mut extra = String::new();
    let mut n = 3;
    let mut marks = |count: usize| {
        let m: Vec<String> = (0..count).map(|i| format!("${}", n + 1 + i)).collect();
        n += count;
        m.join(", ")
    };
    if !endpoints.is_empty() {
        extra.push_str(&format!(" AND endpoint_id NOT IN ({})", marks(endpoints.len())));
    }
    if !organizations.is_empty() {
        extra.push_str(&format!(" AND endpoint_id NOT IN (SELECT id FROM webhook_endpoints WHERE organization_id IN ({}))", marks(organizations.len())));
    }
    let sql = claim_sql(st.db.backend(), QUEUE, &extra, "", "id, endpoint_id, payload, attempts");
    let now = Timestamp::now();
    let token = Claim::token();
    let mut q = sqlx::query_as::<_, ClaimedRow>(&sql).bind(now.plus(LOCK)).bind(now).bind(&token);
    for e in endpoints.iter().chain(organizations) {
        q = q.bind(e);
    }
    let Some(row) = q.fetch_optional(st.db.pool()).await? else {
        return Ok(None);
    };
    let msg = Claimed { claim: Claim::new(QUEUE, row.id.clone(), token), row };
    let organization: Option<String> =
        sqlx::query_scalar("SELECT organization_id FROM webhook_endpoints WHERE id = $1").bind(&msg.row.endpoint_id).fetch_optional(st.db.pool()).await?;
    Ok(Some((msg, organization.unwrap_or_default())))
}

/// Attempts one claimed message and records the attempt.
async fn deliver(st: &AppState, msg: Claimed) -> AppResult<()> {
    let Claimed { row: ClaimedRow { id, endpoint_id, payload, attempts }, claim } = msg;
    let endpoint: Option<EndpointRow> =
        sqlx::query_as("SELECT url, secret, enabled FROM webhook_endpoints WHERE id = $1").bind(&endpoint_id).fetch_optional(st.db.pool()).await?;
    let Some((url, secret, enabled)) = endpoint else {
        return Ok(());
    };
    if enabled != 1 {
        // Disabled meanwhile: kept as failed, to be resent once the endpoint is on again.
        let mut tx = st.db.begin().await?;
        if claim.settle(&mut tx).await? {
            sqlx::query("UPDATE webhook_messages SET status = 'failed', updated_at = $2 WHERE id = $1")
                .bind(&id)
                .bind(Timestamp::now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        return Ok(());
    }
    let secret = open_secret(&st.settings, &secret)?;
    let started = Instant::now();
    let alive = claim.keep_alive(&st.db, LOCK, RENEW);
    let outcome = attempt(st.settings.webhook_allow_private, &url, &secret, &id, &payload).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let attempt_no = attempts + 1;
    let now = Timestamp::now();
    let (status_code, error, retry_after) = match &outcome {
        Outcome::Response { status, retry_after } => (Some(*status as i64), None, *retry_after),
        Outcome::Failed(e) => (None, Some(e.clone()), None),
    };
    let delivered = matches!(outcome, Outcome::Response { status, .. } if (200..300).contains(&status));
    let next = if delivered { None } else { next_delay(attempt_no, retry_after, st.settings.webhook_retry_scale).map(|d| now.plus(d)) };
    let status = match (delivered, next) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    metrics::counter!("dojang_webhook_attempts_total", "outcome" => match status { "pending" => "retry", s => s }).increment(1);
    drop(alive);
    let mut tx = st.db.begin().await?;
    if !claim.settle(&mut tx).await? {
        // Another worker took the message over (this attempt outlived its claim): its record wins.
        return Ok(());
    }
    let number: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_attempts WHERE message_id = $1").bind(&id).fetch_one(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO webhook_attempts (id, message_id, attempt, status_code, error, duration_ms, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(uuid::Uuid::now_v7().simple().to_string())
    .bind(&id)
    .bind(number + 1)
    .bind(status_code)
    .bind(&error)
    .bind(duration_ms)
    .bind(next)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE webhook_messages SET status = $2, attempts = $3, next_attempt_at = $4, updated_at = $5 WHERE id = $1")
        .bind(&id)
        .bind(status)
        .bind(attempt_no)
        .bind(next)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if status == "failed" {
        sqlx::query("UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $2, updated_at = $3 WHERE id = $1")
            .bind(&endpoint_id)
            .bind(format!("Disabled after {attempt_no} failed attempts to deliver a message"))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tracing::warn!(endpoint = %endpoint_id, "webhook endpoint disabled after persistent failure");
    }
    tx.commit().await?;
    tracing::info!(message = %id, attempt = attempt_no, status, code = ?status_code, error = ?error, "webhook attempt");
    Ok(())
}

/// When to try again after attempt `n` failed (None: that was the last). `Retry-After` (capped
/// at a day) wins over the schedule; the schedule is scaled and gets ±10 % jitter.
pub fn next_delay(n: i64, retry_after: Option<i64>, scale: f64) -> Option<time::Duration> {
    let base = *SCHEDULE.get(usize::try_from(n - 1).ok()?)?;
    if let Some(s) = retry_after {
        return Some(time::Duration::seconds(s.clamp(0, MAX_RETRY_AFTER)));
    }
    let jitter = rand::thread_rng().gen_range(0.9..1.1);
    Some(time::Duration::milliseconds((base as f64 * 1000.0 * scale * jitter).round() as i64))
}

enum Outcome {
    Response { status: u16, retry_after: Option<i64> },
    Failed(String),
}

async fn attempt(allow_private: bool, url: &str, secret: &str, id: &str, payload: &str) -> Outcome {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Outcome::Failed("invalid URL".into());
    };
    let host = parsed.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(a) => a.collect(),
        Err(e) => return Outcome::Failed(format!("cannot resolve {host}: {e}")),
    };
    let allowed: Vec<SocketAddr> = addrs.into_iter().filter(|a| allow_private || !is_private(a.ip())).collect();
    let Some(addr) = allowed.first().copied() else {
        return Outcome::Failed(format!("refused: {host} resolves to a loopback or private address"));
    };
    let msg_id = format!("msg_{id}");
    let ts = Timestamp::now().unix_seconds();
    let signature = match super::signature::sign(secret, &msg_id, ts, payload) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("signing: {e}")),
    };
    // No proxy from the environment: the connection must go to the address just checked.
    let client = match reqwest::Client::builder().no_proxy().resolve(&host, addr).redirect(reqwest::redirect::Policy::none()).timeout(TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("HTTP client: {e}")),
    };
    let sent = client
        .post(parsed)
        .header("content-type", "application/json")
        .header("user-agent", "Dojang-Webhooks/1")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(payload.to_owned())
        .send()
        .await;
    match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
            Outcome::Response { status, retry_after }
        }
        Err(e) if e.is_timeout() => Outcome::Failed("timed out".into()),
        Err(e) => Outcome::Failed(format!("{e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_grows_spans_about_three_days_and_ends() {
        let delays: Vec<i64> = (1..=11).map(|n| next_delay(n, None, 1.0).unwrap().whole_seconds()).collect();
        assert!(delays.windows(2).all(|w| w[1] > w[0]), "{delays:?}");
        let total: i64 = delays.iter().sum();
        assert!((2 * 86_400..4 * 86_400).contains(&total), "{total}");
        assert_eq!(next_delay(12, None, 1.0), None);
        assert_eq!(next_delay(2, Some(120), 1.0), Some(time::Duration::seconds(120)));
        assert_eq!(next_delay(2, Some(10_000_000), 1.0), Some(time::Duration::seconds(MAX_RETRY_AFTER)));
        assert_eq!(next_delay(12, Some(5), 1.0), None);
    }
}
