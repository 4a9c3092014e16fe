//! Client addresses. Behind a trusted reverse proxy the audit log, the login throttle and the
//! per-address limits see each real client; forwarding headers a client sends itself count
//! for nothing; concurrent guesses cannot slip past the login throttle together; and every
//! public surface (signing, verify, sign-up/log-in, downloads) is limited per address.

use crate::helpers::{fixture, spawn, Account, Reply, TestApp};
use crate::signing::{drawing, link_token, send_envelope, Sent};
use serde_json::{json, Value};
use std::net::IpAddr;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A reverse proxy on loopback, as nginx would be in front of Dojang: it appends the address
/// of whoever connected to `X-Forwarded-For` and forwards from 127.0.0.1 (the address the app
/// trusts). One request per connection, to keep it small.
async fn start_proxy(upstream: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut client, peer)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let end = loop {
                    let mut chunk = [0u8; 4096];
                    let n = client.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                let mut lines: Vec<String> = Vec::new();
                let mut forwarded = false;
                for line in head.split("\r\n") {
                    let lower = line.to_ascii_lowercase();
                    if lower.starts_with("connection:") {
                        continue;
                    }
                    if lower.starts_with("x-forwarded-for:") {
                        lines.push(format!("{line}, {}", peer.ip()));
                        forwarded = true;
                    } else {
                        lines.push(line.to_owned());
                    }
                }
                if !forwarded {
                    lines.push(format!("X-Forwarded-For: {}", peer.ip()));
                }
                lines.push("Connection: close".into());
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
                let mut up = socket.connect(upstream.parse().unwrap()).await.unwrap();
                up.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes()).await.unwrap();
                up.write_all(&buf[end + 4..]).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
            });
        }
    });
    addr
}

/// An HTTP client whose connections come from `from` (any 127.x address works on Linux).
/// Connections are kept alive: hundreds of fresh ones from one address could reuse a port
/// whose previous connection the server still holds in TIME_WAIT, and the SYN then waits
/// for retransmissions (seen as a request hanging for minutes in a full run).
fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .timeout(crate::helpers::REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post_form(client: &reqwest::Client, base: &str, name: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
    let mut req = client.post(format!("{base}/_fn/{name}")).form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    Reply { status: r.status().as_u16(), headers: r.headers().clone(), body: r.text().await.unwrap_or_default() }
}

async fn sign_through(client: &reqwest::Client, base: &str, sent: &Sent, token: &str, i: u32, headers: &[(&str, &str)]) {
    for name in ["sign/opened", "sign/consent"] {
        assert_eq!(post_form(client, base, name, &[("token", token)], headers).await.status, 200);
    }
    let fields = json!([{ "field_id": sent.field(100 + i), "signature": 0 }, { "field_id": sent.field(200 + i), "value": "주소" }]);
    let mut req = client
        .post(format!("{base}/_fn/sign/submit"))
        .json(&json!({ "token": token, "submission": { "fields": fields, "signatures": [drawing("pen", true)] } }));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    assert_eq!(req.send().await.unwrap().status(), 200);
}

async fn ips_of(app: &TestApp, recipient: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT DISTINCT ip FROM audit_events WHERE recipient_id = $1 AND ip IS NOT NULL")
        .bind(recipient)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_audit_log_and_the_throttle_see_each_client() {
    let app = spawn().var("DOJANG_TRUSTED_PROXIES", "127.0.0.1/32").var("DOJANG_ADDRESS_RATE_SCALE", "10").start().await;
    let proxy = start_proxy(app.address.trim_start_matches("http://").to_owned()).await;
    let sent = send_envelope(&app, &[("가", "a@example.com", 1), ("나", "b@example.com", 1), ("다", "c@example.com", 1)], |_| json!({})).await;
    let (a, b, c) = (link_token(&app, &sent, 0).await, link_token(&app, &sent, 1).await, link_token(&app, &sent, 2).await);

    // Two signers behind the proxy, one of them claiming another address itself.
    sign_through(&client_from("127.0.0.2"), &proxy, &sent, &a, 0, &[]).await;
    sign_through(&client_from("127.0.0.3"), &proxy, &sent, &b, 1, &[("x-forwarded-for", "6.6.6.6"), ("forwarded", "for=6.6.6.6")]).await;
    // One straight to the app, with a forged header: not a trusted proxy, so its own address.
    sign_through(&client_from("127.0.0.4"), &app.address, &sent, &c, 2, &[("x-forwarded-for", "6.6.6.6"), ("forwarded", "for=6.6.6.6")]).await;
    assert_eq!(ips_of(&app, &sent.recipients[0]).await, vec!["127.0.0.2"]);
    assert_eq!(ips_of(&app, &sent.recipients[1]).await, vec!["127.0.0.3"], "the client's own X-Forwarded-For is not believed");
    assert_eq!(ips_of(&app, &sent.recipients[2]).await, vec!["127.0.0.4"]);
    let signed: Vec<String> = sqlx::query_scalar("SELECT signed_ip FROM recipients WHERE envelope_id = $1 ORDER BY position")
        .bind(&sent.envelope)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(signed, vec!["127.0.0.2", "127.0.0.3", "127.0.0.4"]);

    // Thirty failed logins from one client behind the proxy lock that client out, not everyone.
    let owner = Account::unique("proxy-owner");
    assert!(app.new_browser().sign_up(&owner).await.status < 400);
    let attacker = crate::helpers::Browser::with_client(&proxy, client_from("127.0.0.2"));
    for i in 0..dojang_core::accounts::throttle::ADDRESS_LIMIT {
        let r = attacker.log_in(&Account { email: format!("nobody{i}@example.com"), ..Account::unique("x") }).await;
        assert_eq!(r.code(), "INVALID_CREDENTIALS", "attempt {i}: {}", r.body);
    }
    let r = attacker.log_in(&owner).await;
    assert_eq!(r.code(), "LOGIN_THROTTLED", "{}", r.body);
    let browser = crate::helpers::Browser::with_client(&proxy, client_from("127.0.0.3"));
    let r = browser.log_in(&owner).await;
    assert!(r.status < 400, "another client behind the same proxy still signs in: {} {}", r.status, r.body);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_guesses_cannot_pass_the_login_throttle_together() {
    let app = spawn().var("DOJANG_ADDRESS_RATE_SCALE", "10").start().await;
    let owner = Account::unique("guessed");
    assert!(app.new_browser().sign_up(&owner).await.status < 400);
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let browser = app.new_browser();
            let email = owner.email.clone();
            tokio::spawn(async move {
                let csrf = browser.csrf_token().await;
                browser.call("auth/log_in", &[("csrf", &csrf), ("email", &email), ("password", &format!("guess {i}"))]).await.code()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for g in guesses {
        codes.push(g.await.unwrap());
    }
    let checked = codes.iter().filter(|c| *c == "INVALID_CREDENTIALS").count();
    let throttled = codes.iter().filter(|c| *c == "LOGIN_THROTTLED").count();
    assert_eq!(checked as i64, dojang_core::accounts::throttle::ACCOUNT_LIMIT, "exactly the limit was checked: {codes:?}");
    assert_eq!(checked + throttled, 20, "{codes:?}");
    let r = app.new_browser().log_in(&owner.email, &owner.password).await;
    assert_eq!(r.code(), "LOGIN_THROTTLED", "even the right password waits out the window");
    app.stop().await;
}

async fn verify(client: &reqwest::Client, base: &str) -> Reply {
    let part = reqwest::multipart::Part::bytes(fixture("basic__002-trivial-libre-office-writer.pdf")).file_name("x.pdf");
    let r = client.post(format!("{base}/api/v1/verify")).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    Reply { status: r.status().as_u16(), headers: r.headers().clone(), body: r.text().await.unwrap_or_default() }
}

async fn get(client: &reqwest::Client, url: String) -> Reply {
    let r = client.get(url).send().await.unwrap();
    Reply { status: r.status().as_u16(), headers: r.headers().clone(), body: r.text().await.unwrap_or_default() }
}

fn assert_limited(r: &Reply, what: &str) {
    assert_eq!(r.status, 429, "{what}: {}", r.body);
    assert_eq!(r.code(), "RATE_LIMITED", "{what}");
    let wait: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{what}: {wait}");
}

#[tokio::test]
async fn every_public_surface_is_limited_per_address() {
    let app = spawn().start().await;
    let (one, other) = (client_from("127.0.0.5"), client_from("127.0.0.6"));
    let base = app.address.clone();

    for i in 0..10 {
        assert_eq!(verify(&one, &base).await.status, 200, "verify {i}");
    }
    assert_limited(&verify(&one, &base).await, "verify");
    assert_eq!(verify(&other, &base).await.status, 200, "another address is not limited");

    for _ in 0..30 {
        assert_ne!(post_form(&one, &base, "auth/log_in", &[("csrf", "x"), ("email", "a@example.com"), ("password", "x")], &[]).await.status, 429);
    }
    assert_limited(&post_form(&one, &base, "auth/sign_up", &[("csrf", "x")], &[]).await, "sign-up");

    let token = "A".repeat(43);
    for _ in 0..300 {
        assert_eq!(post_form(&one, &base, "sign/view", &[("token", &token)], &[]).await.status, 404);
    }
    assert_limited(&post_form(&one, &base, "sign/view", &[("token", &token)], &[]).await, "signing functions");
    assert_limited(&get(&one, format!("{base}/sign/{token}")).await, "the signing page");

    for _ in 0..60 {
        assert_eq!(get(&one, format!("{base}/download/{token}")).await.status, 404);
    }
    assert_limited(&get(&one, format!("{base}/download/{token}")).await, "download links");
    assert_limited(&post_form(&one, &base, "download/view", &[("token", &token)], &[]).await, "the download page's function");
    assert_eq!(get(&other, format!("{base}/download/{token}")).await.status, 404);

    // The session token sign-up and log-in start with (each call may store a session).
    for i in 0..120 {
        assert_ne!(post_form(&one, &base, "auth/csrf_token", &[], &[]).await.status, 429, "csrf token {i}");
    }
    assert_limited(&post_form(&one, &base, "auth/csrf_token", &[], &[]).await, "session tokens");

    // Embed token exchanges (each checks a token and may start an embed session).
    for i in 0..60 {
        assert_ne!(get(&one, format!("{base}/contract/upload?token=guess{i}")).await.status, 429, "exchange {i}");
    }
    assert_limited(&get(&one, format!("{base}/contract/upload?token=guess")).await, "embed exchanges");
    assert_ne!(get(&other, format!("{base}/contract/upload?token=guess")).await.status, 429);

    // Refused API credentials: only refusals count; past the limit the address waits, even with a good key.
    let key = crate::rest::key_for(&app, "address-api").await;
    let with_key = |c: &reqwest::Client, k: &str| c.get(format!("{base}/api/v1/envelopes")).bearer_auth(k.to_owned()).send();
    for _ in 0..100 {
        assert_eq!(with_key(&one, &key).await.unwrap().status(), 200, "accepted requests do not count");
    }
    for i in 0..60 {
        assert_eq!(with_key(&one, &format!("dj_live_guess{i}")).await.unwrap().status(), 401);
    }
    let r = with_key(&one, "dj_live_guess").await.unwrap();
    assert_limited(&Reply { status: r.status().as_u16(), headers: r.headers().clone(), body: r.text().await.unwrap() }, "API credential guesses");
    assert_eq!(with_key(&one, &key).await.unwrap().status(), 429, "the guessing address waits");
    assert_eq!(with_key(&other, &key).await.unwrap().status(), 200, "another address does not");

    // Authenticated and everyday routes are not limited by address.
    assert_eq!(get(&one, format!("{base}/healthz")).await.status, 200);
    let _: Value = serde_json::from_str(&get(&one, format!("{base}/api/v1/openapi.json")).await.body).unwrap();
    app.stop().await;
}
