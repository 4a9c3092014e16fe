//! Several instances on one database and one store: web and worker roles, fenced claims on
//! the queues, sweeps once per period, and sessions and rate limits that hold whichever
//! instance answers.

use crate::evidence::signed;
use crate::helpers::{spawn, start_binary, Account, TestApp};
use crate::rest::{call, key_for};
use crate::smtp::free_port;
use dojang_core::infra::claim::{claim_sql, lease_due, Claim};
use dojang_core::infra::db::{Db, Timestamp};
use dojang_core::infra::jobs;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Queues `n` jobs of a kind no worker runs (so only the test claims them).
async fn queue_jobs(db: &Db, n: usize) -> Vec<String> {
    let now = Timestamp::now();
    let mut ids = Vec::new();
    for i in 0..n {
        let id = format!("fence{i:04}{}", &uuid_hex()[..16]);
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, attempts, run_at, created_at, updated_at) VALUES ($1, 'fence-test', '{}', 'pending', 0, $2, $2, $2)",
        )
        .bind(&id)
        .bind(now)
        .execute(db.pool())
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

fn uuid_hex() -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(format!("{:?}{:?}", Instant::now(), std::thread::current().id()).as_bytes()))
}

/// Claims the next fence-test job as a worker would.
async fn claim(db: &Db) -> Option<Claim> {
    let now = Timestamp::now();
    let token = Claim::token();
    let sql = claim_sql(db.backend(), jobs::QUEUE, " AND kind = $4", ", attempts = attempts + 1", "id");
    let id: Option<String> =
        sqlx::query_scalar(&sql).bind(now.plus(time::Duration::seconds(30))).bind(now).bind(&token).bind("fence-test").fetch_optional(db.pool()).await.unwrap();
    id.map(|id| Claim::new(jobs::QUEUE, id, token))
}

#[tokio::test]
async fn a_lapsed_claim_can_neither_renew_nor_record_and_its_new_holder_wins() {
    let app = spawn().start().await;
    let db = &app.db;
    let [job] = queue_jobs(db, 1).await.try_into().unwrap();
    let first = claim(db).await.expect("a due job is claimed");
    assert!(claim(db).await.is_none(), "a held claim is not claimed again");

    // The first worker stalls past its lock; another takes the job over.
    sqlx::query("UPDATE jobs SET locked_until = $2 WHERE id = $1")
        .bind(&job)
        .bind(Timestamp::now().plus(time::Duration::seconds(-1)))
        .execute(db.pool())
        .await
        .unwrap();
    let second = claim(db).await.expect("a lapsed claim is taken over");
    assert_eq!(second.id, job);

    let later = Timestamp::now().plus(time::Duration::seconds(30));
    assert!(!first.renew(db, later).await.unwrap(), "the stalled worker cannot renew");
    let mut tx = db.begin().await.unwrap();
    assert!(!first.holds(&mut tx).await.unwrap(), "nor record under its claim");
    assert!(!first.settle(&mut tx).await.unwrap(), "nor complete the job");
    drop(tx);
    assert!(second.renew(db, later).await.unwrap());
    let mut tx = db.begin().await.unwrap();
    assert!(second.settle(&mut tx).await.unwrap());
    sqlx::query("UPDATE jobs SET status = 'done' WHERE id = $1").bind(&job).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    // The stalled worker wakes up and tries to record a failure over the finished job.
    let mut tx = db.begin().await.unwrap();
    assert!(!first.settle(&mut tx).await.unwrap(), "the finished job is not the stalled worker's to overwrite");
    drop(tx);
    let (status, token): (String, Option<String>) =
        sqlx::query_as("SELECT status, claim_token FROM jobs WHERE id = $1").bind(&job).fetch_one(db.pool()).await.unwrap();
    assert_eq!((status.as_str(), token), ("done", None));
    app.stop().await;
}

#[tokio::test]
async fn racing_claimers_take_every_job_exactly_once() {
    let app = spawn().start().await;
    let ids = queue_jobs(&app.db, 60).await;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let db = app.db.clone();
        workers.spawn(async move {
            let mut mine = Vec::new();
            while let Some(c) = claim(&db).await {
                mine.push(c.id);
            }
            mine
        });
    }
    let mut all = Vec::new();
    while let Some(mine) = workers.join_next().await {
        all.extend(mine.unwrap());
    }
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "no job claimed twice");
    assert_eq!(distinct.len(), ids.len(), "every job claimed");
    app.stop().await;
}

#[tokio::test]
async fn periodic_work_is_taken_once_per_period() {
    let app = spawn().start().await;
    let name = format!("test-{}", &uuid_hex()[..12]);
    let period = time::Duration::seconds(60);
    let takes = futures::future::join_all((0..6).map(|_| lease_due(&app.db, &name, period))).await;
    assert_eq!(takes.into_iter().filter(|t| *t.as_ref().unwrap()).count(), 1, "one of six racing instances takes the period");
    assert!(!lease_due(&app.db, &name, period).await.unwrap(), "not again within the period");
    sqlx::query("UPDATE leases SET until = $2 WHERE name = $1")
        .bind(&name)
        .bind(Timestamp::now().plus(time::Duration::seconds(-1)))
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(lease_due(&app.db, &name, period).await.unwrap(), "the next period is taken again");
    app.stop().await;
}

fn stop(mut child: std::process::Child) {
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

#[tokio::test]
async fn web_and_worker_instances_share_the_database_the_store_sessions_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let shared = [("DOJANG_RATE_LIMITS", "database"), ("DOJANG_API_BURST", "20"), ("DOJANG_API_RATE_PER_MINUTE", "1"), ("DOJANG_SWEEP_SECONDS", "1")];
    let with_role = |role: &'static str| {
        let mut v = shared.to_vec();
        v.push(("DOJANG_ROLE", role));
        v
    };
    let (port_a, port_b) = (free_port(), free_port());
    let web_a = start_binary(dir.path(), port_a, &with_role("web"));
    let web_b = start_binary(dir.path(), port_b, &with_role("web"));
    let a = TestApp::external(format!("http://127.0.0.1:{port_a}"), dir.path()).await;
    let mut b = TestApp::external(format!("http://127.0.0.1:{port_b}"), dir.path()).await;

    // A session started on one instance works on the other, CSRF token included.
    let account = Account::unique("two-instances");
    assert!(a.sign_up(&account).await.status < 400);
    b.client = a.client.clone();
    assert_eq!(b.current_user().await["email"], account.email.as_str());
    let csrf = a.csrf_token().await;
    let r = b.call("api-keys/create", &[("csrf", &csrf), ("name", "인스턴스 B에서 만든 키"), ("mode", "test")]).await;
    assert_eq!(r.status, 200, "a token from A is good on B: {}", r.body);

    // Web instances run no queued work: a signed envelope waits for a worker.
    let key = key_for(&a, "cluster").await;
    let envelope = signed(&a, &key).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seal: Option<String> = sqlx::query_scalar("SELECT seal_status FROM envelopes WHERE id = $1").bind(&envelope).fetch_one(a.db.pool()).await.unwrap();
    assert_ne!(seal.as_deref(), Some("sealed"), "no worker yet");
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE envelope_id = $1 AND status = 'queued'").bind(&envelope).fetch_one(a.db.pool()).await.unwrap();
    assert!(queued > 0, "mail waits in the outbox");

    // A worker instance does it, and serves nothing but its health.
    let port_w = free_port();
    let worker = start_binary(dir.path(), port_w, &with_role("worker"));
    let w = TestApp::external(format!("http://127.0.0.1:{port_w}"), dir.path()).await;
    assert_eq!(w.get("/healthz").await.status, 200);
    assert_eq!(w.get("/api/v1/envelopes").await.status, 404, "a worker serves no API");
    let t = Instant::now();
    loop {
        let r = call(&b, &key, "GET", &format!("/envelopes/{envelope}"), None).await.json();
        if r["status"] == "completed" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(120), "not sealed by the worker: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let res = b.client.get(b.url(&format!("/api/v1/envelopes/{envelope}/signed-document"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), 200, "the file the worker sealed downloads from a web instance");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE envelope_id = $1 AND status IN ('sent', 'captured')")
        .bind(&envelope)
        .fetch_one(a.db.pool())
        .await
        .unwrap();
    assert!(sent >= queued, "the worker delivered the outbox");

    // One key's burst (20) is counted across both web instances, not per instance.
    let fresh = key_for(&a, "cluster-limit").await;
    let mut passed = 0;
    for i in 0..24 {
        let on = if i % 2 == 0 { &a } else { &b };
        if call(on, &fresh, "GET", "/envelopes", None).await.status == 200 {
            passed += 1;
        }
    }
    assert_eq!(passed, 20, "twenty across the cluster");
    let refused = call(&a, &fresh, "GET", "/envelopes", None).await;
    assert_eq!(refused.status, 429);
    assert!(refused.headers.get("retry-after").is_some());

    stop(worker);
    stop(web_a);
    stop(web_b);
}
