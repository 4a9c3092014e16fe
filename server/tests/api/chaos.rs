//! The kill -9 campaign: envelopes signed concurrently through two instances while the
//! instances are killed at random moments and restarted on the same data. Afterwards every
//! envelope is completed once, each document has one sealed PDF whose hash is the one the API
//! reports and which verifies intact, no invitation, SMS or webhook event was lost, and no
//! signer was asked to sign twice. `DOJANG_CHAOS_SECONDS` (default 30) sets how long the killing goes
//! on and `DOJANG_CHAOS_ENVELOPES` (default 6) how many envelopes are signed meanwhile;
//! `scripts/chaos.sh` runs a longer campaign.

use crate::helpers::{start_binary, TestApp};
use crate::rest::{call, draft, key_for};
use crate::smtp::{free_port, SmtpSink};
use crate::webhooks::{fields_of, register, sign_urls, Receiver};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A small xorshift: the campaign prints its seed, so a failure can be replayed.
struct Dice(AtomicU64);

impl Dice {
    fn roll(&self, below: u64) -> u64 {
        let mut x = self.0.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0.store(x, Ordering::Relaxed);
        x % below.max(1)
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Two instances on one data folder (one database, one store), each restartable.
struct Cluster {
    dir: std::path::PathBuf,
    ports: [u16; 2],
    vars: Vec<(String, String)>,
    children: Mutex<[Option<std::process::Child>; 2]>,
}

impl Cluster {
    fn start_one(&self, i: usize) {
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let child = start_binary(&self.dir, self.ports[i], &vars);
        self.children.lock().unwrap()[i] = Some(child);
    }

    fn kill(&self, i: usize) {
        if let Some(mut c) = self.children.lock().unwrap()[i].take() {
            let _ = std::process::Command::new("kill").args(["-KILL", &c.id().to_string()]).status();
            let _ = c.wait();
        }
    }

    fn ensure_up(&self) {
        for i in 0..2 {
            if self.children.lock().unwrap()[i].is_none() {
                self.start_one(i);
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill(0);
        self.kill(1);
    }
}

/// Calls the signer's function `name` on any live instance until it answers (connection
/// errors and 5xx mean the instance died under it: try again, maybe on the other one).
async fn signer_call(apps: &[TestApp; 2], dice: &Dice, name: &str, token: &str, submission: Option<&Value>) -> crate::helpers::Reply {
    let t = Instant::now();
    let mut last;
    loop {
        let app = &apps[dice.roll(2) as usize];
        let url = app.url(&format!("/_fn/{name}"));
        let req = match submission {
            Some(s) => app.client.post(url).json(&json!({ "token": token, "submission": s })),
            None => app.client.post(url).form(&[("token", token)]),
        };
        match req.send().await {
            Ok(res) if res.status().as_u16() < 500 => {
                let status = res.status().as_u16();
                let headers = res.headers().clone();
                return crate::helpers::Reply { status, headers, body: res.text().await.unwrap_or_default() };
            }
            Ok(res) => last = format!("{} {}", res.status(), res.text().await.unwrap_or_default()),
            Err(e) => last = e.to_string(),
        }
        assert!(t.elapsed() < Duration::from_secs(120), "{name} never answered; last: {last}");
        tokio::time::sleep(Duration::from_millis(100 + dice.roll(300))).await;
    }
}

/// Signs as the recipient with `email`; returns how often the submission was answered
/// "already signed" (a retried submission whose first try went through).
async fn sign(apps: &[TestApp; 2], dice: &Dice, envelope: &str, url: &str, fields: &[String]) -> usize {
    let token = url.rsplit('/').next().unwrap().to_owned();
    for step in ["sign/view", "sign/opened", "sign/consent"] {
        let r = signer_call(apps, dice, step, &token, None).await;
        assert_eq!(r.status, 200, "{step} for {envelope}: {}", r.body);
    }
    let values: Vec<Value> = fields.iter().map(|f| json!({ "field_id": f, "value": "서명합니다" })).collect();
    let submission = json!({ "fields": values, "signatures": [] });
    loop {
        let r = signer_call(apps, dice, "sign/submit", &token, Some(&submission)).await;
        match r.status {
            200 => return 0,
            409 if r.code() == "ALREADY_SIGNED" => return 1,
            409 if r.code() == "NOT_YOUR_TURN" => tokio::time::sleep(Duration::from_millis(200)).await,
            _ => panic!("submitting for {envelope}: {} {}", r.status, r.body),
        }
    }
}

#[tokio::test]
async fn killed_at_random_two_instances_seal_every_envelope_once_and_lose_nothing() {
    let seed = env_num("DOJANG_CHAOS_SEED", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1);
    println!("chaos seed {seed} (DOJANG_CHAOS_SEED replays it)");
    let dice = Arc::new(Dice(AtomicU64::new(seed)));
    let (seconds, count) = (env_num("DOJANG_CHAOS_SECONDS", 30), env_num("DOJANG_CHAOS_ENVELOPES", 6) as usize);
    let sink = SmtpSink::start();
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("DOJANG_SMTP_URL", sink.url()),
        ("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true".into()),
        ("DOJANG_WEBHOOK_RETRY_SCALE", "0.0002".into()),
        ("DOJANG_ADDRESS_RATE_SCALE", "100".into()),
        ("DOJANG_SWEEP_SECONDS", "1".into()),
    ];
    let cluster = Arc::new(Cluster {
        dir: dir.path().to_owned(),
        ports: [free_port(), free_port()],
        vars: vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        children: Mutex::new([None, None]),
    });
    cluster.ensure_up();
    let apps = Arc::new([
        TestApp::external(format!("http://127.0.0.1:{}", cluster.ports[0]), dir.path()).await,
        TestApp::external(format!("http://127.0.0.1:{}", cluster.ports[1]), dir.path()).await,
    ]);
    let key = key_for(&apps[0], "chaos").await;
    let hook = register(&apps[0], &key, &receiver.url(), &["envelope.sent", "recipient.signed", "envelope.completed"]).await;
    receiver.setup(json!({ "secret": hook["secret"] })).await;
    let mut sent = Vec::new();
    for i in 0..count {
        let app = &apps[i % 2];
        let (envelope, _) = draft(app, &key).await;
        // The second signer hears by SMS too: the SMS outbox lives through the kills as well.
        let both = json!({ "recipients": [
            { "email": "minjun@example.com", "name": "김민준", "role": "SIGNER", "order": 1 },
            { "email": "seoyeon@example.com", "name": "이서연", "role": "SIGNER", "order": 2, "language": "en", "channel": "both", "phone": "010-2345-6789" },
        ] });
        let r = call(app, &key, "PATCH", &format!("/envelopes/{envelope}"), Some(both)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = call(app, &key, "POST", &format!("/envelopes/{envelope}/send"), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        sent.push((envelope, sign_urls(&r.json())));
    }

    // The killing: every 1–3 s one instance dies (SIGKILL) and comes back 0.2–1 s later.
    let stop = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicU64::new(0));
    let chaos = {
        let (cluster, dice, stop, kills) = (cluster.clone(), dice.clone(), stop.clone(), kills.clone());
        tokio::spawn(async move {
            let until = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < until && !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(1000 + dice.roll(2000))).await;
                let i = dice.roll(2) as usize;
                cluster.kill(i);
                kills.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200 + dice.roll(800))).await;
                let c = cluster.clone();
                tokio::task::spawn_blocking(move || c.start_one(i)).await.unwrap();
            }
        })
    };

    // Meanwhile every signer signs, all envelopes at once (each envelope's two in order).
    let mut signers = tokio::task::JoinSet::new();
    for (envelope, urls) in sent.clone() {
        let (apps, dice, seconds) = (apps.clone(), dice.clone(), seconds);
        let db = apps[0].db.clone();
        signers.spawn(async move {
            let mut repeats = 0;
            for (url, email) in urls.iter().zip(["minjun@example.com", "seoyeon@example.com"]) {
                // Signers come at random moments of the campaign.
                tokio::time::sleep(Duration::from_millis(dice.roll(seconds * 500))).await;
                let fields = fields_of(&db, &envelope, email).await;
                repeats += sign(&apps, &dice, &envelope, url, &fields).await;
            }
            repeats
        });
    }
    while let Some(done) = signers.join_next().await {
        done.unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    chaos.await.unwrap();
    cluster.ensure_up();
    println!("{} kills while {count} envelopes were signed", kills.load(Ordering::SeqCst));
    assert!(kills.load(Ordering::SeqCst) >= 1, "the campaign killed something");

    // Everything settles.
    let t = Instant::now();
    for (envelope, _) in &sent {
        loop {
            let r = call(&apps[0], &key, "GET", &format!("/envelopes/{envelope}"), None).await;
            if r.status == 200 && r.json()["status"] == "completed" {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(240), "{envelope} not completed: {}", r.body);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let db = &apps[0].db;
    for (envelope, urls) in &sent {
        let detail = call(&apps[1], &key, "GET", &format!("/envelopes/{envelope}"), None).await.json();
        let completions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE envelope_id = $1 AND kind = 'envelope.completed'")
            .bind(envelope)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(completions, 1, "{envelope} completed exactly once");
        for who in ["minjun@example.com", "seoyeon@example.com"] {
            let signed: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_events a JOIN recipients r ON r.id = a.recipient_id WHERE a.envelope_id = $1 AND a.kind = 'recipient.signed' AND r.email = $2",
            )
            .bind(envelope)
            .bind(who)
            .fetch_one(db.pool())
            .await
            .unwrap();
            assert_eq!(signed, 1, "{who} signed {envelope} once");
        }
        for url in urls {
            let token = url.rsplit('/').next().unwrap();
            let view = apps[0].call("sign/view", &[("token", token)]).await;
            assert_ne!(view.json()["state"], "ready", "a signer is never asked to sign again: {}", view.body);
        }
        let docs = detail["documents"].as_array().unwrap();
        let sealed_rows: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sealed_documents WHERE envelope_id = $1").bind(envelope).fetch_one(db.pool()).await.unwrap();
        assert_eq!(sealed_rows as usize, docs.len(), "one sealed result per document");
        for doc in docs {
            let id = doc["id"].as_str().unwrap();
            let res =
                apps[1].client.get(apps[1].url(&format!("/api/v1/envelopes/{envelope}/signed-document?document={id}"))).bearer_auth(&key).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let bytes = res.bytes().await.unwrap().to_vec();
            assert_eq!(dojang_core::document::sha256_hex(&bytes), doc["sealedSha256"].as_str().unwrap(), "{envelope}: the served file is the reported one");
            let part = reqwest::multipart::Part::bytes(bytes).file_name("sealed.pdf");
            let v: Value = apps[0]
                .client
                .post(apps[0].url("/api/v1/verify"))
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v["intact"], true, "{envelope}: {v}");
            assert_eq!(v["modifiedAfterSealing"], false, "{envelope}: {v}");
        }
        let stored = apps[0].stored_keys(&format!("sealed/{envelope}")).await;
        assert_eq!(stored.len(), docs.len(), "no second seal's file left behind: {stored:?}");
    }

    // Nothing lost: every invitation went out (at least once) and every webhook event arrived.
    let t = Instant::now();
    loop {
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE status NOT IN ('sent', 'captured')").fetch_one(db.pool()).await.unwrap();
        let undelivered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_messages WHERE status <> 'delivered'").fetch_one(db.pool()).await.unwrap();
        let texts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM text_messages WHERE status <> 'captured'").fetch_one(db.pool()).await.unwrap();
        if pending == 0 && undelivered == 0 && texts == 0 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(120), "{pending} emails, {texts} SMS and {undelivered} webhook messages still not delivered");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for (envelope, _) in &sent {
        let invitations: Vec<String> =
            sqlx::query_scalar("SELECT to_email FROM emails WHERE envelope_id = $1 AND kind = 'invitation'").bind(envelope).fetch_all(db.pool()).await.unwrap();
        assert_eq!(invitations.len(), 2, "{envelope}: an invitation per signer");
        let texts: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM text_messages WHERE envelope_id = $1 ORDER BY created_at").bind(envelope).fetch_all(db.pool()).await.unwrap();
        assert_eq!(texts, ["invitation", "completed"], "{envelope}: the second signer's invitation and copy by SMS, once each");
    }
    let mail_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE status = 'sent'").fetch_one(db.pool()).await.unwrap();
    assert!(sink.messages().len() as i64 >= mail_rows, "the SMTP server received every message sent");
    let messages: Vec<String> = sqlx::query_scalar("SELECT id FROM webhook_messages").fetch_all(db.pool()).await.unwrap();
    assert!(messages.len() >= count * 4, "sent, two signed and completed per envelope: {}", messages.len());
    let log = receiver.log().await;
    for id in messages {
        let id = format!("msg_{id}");
        assert!(log.iter().any(|e| e["id"] == id.as_str() && e["status"] == 200), "webhook message {id} was received");
    }
}
