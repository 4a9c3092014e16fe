//! Prometheus metrics at `/metrics`: on a separate address (`DOJANG_METRICS_BIND`, no
//! credential) and/or on the main one behind `Authorization: Bearer <DOJANG_METRICS_TOKEN>`;
//! not served when neither is set. Counters and histograms are recorded where things happen
//! (requests here, jobs, mail, webhooks and renders in `dojang_core`); queue depths, the
//! oldest waiting item and the database pool are read from the database at each scrape.
//! Every metric is listed in the README.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::infra::db::Timestamp;
use dojang_core::state::AppState;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Histogram buckets for every `…_seconds` metric: 5 ms to 2 min.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

/// The process's recorder (installed once, whatever number of apps a process builds).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder =
            PrometheusBuilder::new().set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS).expect("buckets are not empty").build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only what it records");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!("dojang_http_requests_total", "HTTP requests answered, by method, route template and status");
    describe_histogram!("dojang_http_request_duration_seconds", Unit::Seconds, "Time to answer an HTTP request, by method and route template");
    describe_gauge!("dojang_jobs_queued", "Jobs waiting to run (due or not), by kind");
    describe_gauge!("dojang_jobs_oldest_seconds", "Age of the oldest job due to run, by kind");
    describe_gauge!("dojang_jobs_failed", "Jobs that failed for good, by kind");
    describe_gauge!("dojang_mail_queued", "Emails waiting in the outbox");
    describe_gauge!("dojang_mail_oldest_seconds", "Age of the oldest email due to be sent");
    describe_gauge!("dojang_mail_failed", "Emails that could not be delivered after every attempt");
    describe_gauge!("dojang_webhooks_queued", "Webhook messages waiting for delivery");
    describe_gauge!("dojang_webhooks_oldest_seconds", "Age of the oldest webhook message due for delivery");
    describe_gauge!("dojang_webhooks_failed", "Webhook messages given up on (their endpoint was disabled)");
    describe_gauge!("dojang_db_pool_connections", "Database pool connections, by state (idle, busy)");
    describe_gauge!("dojang_db_pool_max_connections", "The database pool's size limit");
}

/// Counts and times every request by its route template (never its concrete path, which may
/// carry a token). Applied inside the router, where the matched route is known.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::histogram!("dojang_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone()).record(start.elapsed().as_secs_f64());
    metrics::counter!("dojang_http_requests_total", "method" => method, "route" => route, "status" => status).increment(1);
    res
}

/// `GET /metrics` on the main address: only with the configured bearer token.
pub async fn guarded(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = st.settings.metrics_token.as_ref() else {
        return AppError::not_found("Page").into_response();
    };
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    // Compared as digests: the time taken says nothing about how much of the token matched.
    use sha2::Digest as _;
    if sha2::Sha256::digest(given.as_bytes()) != sha2::Sha256::digest(expected.expose().as_bytes()) {
        let mut res = AppError::new(ErrorCode::Unauthenticated, "Send the metrics token as a bearer credential").into_response();
        res.headers_mut().insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer realm=\"metrics\""));
        return res;
    }
    scrape(State(st)).await
}

/// `GET /metrics` on the metrics address.
pub async fn scrape(State(st): State<AppState>) -> Response {
    if let Err(e) = read_queues(&st).await {
        tracing::warn!(error = %e, "reading queue metrics");
    }
    let pool = st.db.pool();
    let idle = pool.num_idle() as f64;
    metrics::gauge!("dojang_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("dojang_db_pool_connections", "state" => "busy").set((f64::from(pool.size()) - idle).max(0.0));
    metrics::gauge!("dojang_db_pool_max_connections").set(f64::from(pool.options().get_max_connections()));
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle().render()).into_response()
}

#[derive(sqlx::FromRow)]
struct Depth {
    kind: String,
    queued: i64,
    oldest_due: Option<Timestamp>,
}

async fn read_queues(st: &AppState) -> Result<(), sqlx::Error> {
    let now = Timestamp::now();
    let age = |t: Option<Timestamp>| t.map_or(0.0, |t| (now.datetime() - t.datetime()).as_seconds_f64().max(0.0));
    let jobs: Vec<Depth> = sqlx::query_as(
        "SELECT kind, COUNT(*) AS queued, MIN(CASE WHEN run_at <= $1 THEN run_at END) AS oldest_due FROM jobs WHERE status = 'pending' GROUP BY kind",
    )
    .bind(now)
    .fetch_all(st.db.pool())
    .await?;
    for kind in ["seal", "render"] {
        let d = jobs.iter().find(|d| d.kind == kind);
        metrics::gauge!("dojang_jobs_queued", "kind" => kind).set(d.map_or(0, |d| d.queued) as f64);
        metrics::gauge!("dojang_jobs_oldest_seconds", "kind" => kind).set(age(d.and_then(|d| d.oldest_due)));
    }
    let failed: Vec<(String, i64)> = sqlx::query_as("SELECT kind, COUNT(*) FROM jobs WHERE status = 'failed' GROUP BY kind").fetch_all(st.db.pool()).await?;
    for kind in ["seal", "render"] {
        metrics::gauge!("dojang_jobs_failed", "kind" => kind).set(failed.iter().find(|f| f.0 == kind).map_or(0, |f| f.1) as f64);
    }
    for (table, waiting, metric) in [("emails", "queued", "mail"), ("webhook_messages", "pending", "webhooks")] {
        let (queued, oldest): (i64, Option<Timestamp>) =
            sqlx::query_as(&format!("SELECT COUNT(*), MIN(CASE WHEN next_attempt_at <= $1 THEN next_attempt_at END) FROM {table} WHERE status = '{waiting}'"))
                .bind(now)
                .fetch_one(st.db.pool())
                .await?;
        let failed: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE status = 'failed'")).fetch_one(st.db.pool()).await?;
        metrics::gauge!(format!("dojang_{metric}_queued")).set(queued as f64);
        metrics::gauge!(format!("dojang_{metric}_oldest_seconds")).set(age(oldest));
        metrics::gauge!(format!("dojang_{metric}_failed")).set(failed as f64);
    }
    Ok(())
}
