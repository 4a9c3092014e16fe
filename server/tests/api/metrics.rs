//! `/metrics`: not served without configuration, behind its bearer token on the main address,
//! openly on its own address, and its numbers move with what the app does.

use crate::helpers::{fixture, spawn};
use crate::smtp::free_port;

/// The value of the sample `name{labels}` (labels as Prometheus prints them, sorted), if any.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (series, value) = l.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        let ok = metric == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        ok.then(|| value.parse().ok()).flatten()
    })
}

#[tokio::test]
async fn metrics_need_their_token_or_their_own_address_and_the_numbers_move() {
    let unconfigured = spawn().start().await;
    assert_eq!(unconfigured.get("/metrics").await.status, 404, "not served unless configured");
    unconfigured.stop().await;

    let token = "metrics-token-0123456789";
    let port = free_port();
    let app = spawn().var("DOJANG_METRICS_TOKEN", token).var("DOJANG_METRICS_BIND", &format!("127.0.0.1:{port}")).start().await;
    let scrape = |bearer: Option<&'static str>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        req.send()
    };
    let refused = scrape(None).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_eq!(scrape(Some("metrics-token-wrong-guess")).await.unwrap().status(), 401);

    let before = scrape(Some(token)).await.unwrap().text().await.unwrap();
    let healthz = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    let n0 = sample(&before, "dojang_http_requests_total", &healthz).unwrap_or(0.0);
    for _ in 0..3 {
        assert_eq!(app.get("/healthz").await.status, 200);
    }
    // A signing link's path is counted by its template, never with the token in it.
    assert_eq!(app.get("/sign/not-a-real-token-but-long-enough-0123456789").await.status / 100, 4);
    app.sign_up(&crate::helpers::Account::unique("metrics")).await;
    let up = app.upload(None, "boxes.pdf", fixture("rotate-boxes__boxes.pdf")).await;
    assert!(up.status < 300, "{}", up.body);

    // The render job runs; the open address shows the same registry.
    let open = format!("http://127.0.0.1:{port}/metrics");
    let t = std::time::Instant::now();
    let after = loop {
        let text = reqwest::get(&open).await.unwrap().text().await.unwrap();
        if sample(&text, "dojang_jobs_total", &[("kind", "render"), ("outcome", "done")]).is_some_and(|n| n >= 1.0) {
            break text;
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(60), "no render job counted:\n{text}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let n1 = sample(&after, "dojang_http_requests_total", &healthz).unwrap();
    assert!(n1 >= n0 + 3.0, "{n0} → {n1}");
    assert!(sample(&after, "dojang_http_request_duration_seconds_count", &[("method", "GET"), ("route", "/healthz")]).is_some_and(|n| n >= 3.0));
    assert!(after.contains("route=\"/sign/{token}\""), "route templates label requests");
    assert!(!after.contains("not-a-real-token"), "no concrete path leaks");
    assert!(sample(&after, "dojang_render_seconds_count", &[("size", "page"), ("mode", "background")]).is_some_and(|n| n >= 1.0));
    for gauge in ["dojang_jobs_queued", "dojang_mail_queued", "dojang_webhooks_queued", "dojang_db_pool_max_connections"] {
        assert!(sample(&after, gauge, &[]).is_some(), "{gauge} is exported:\n{after}");
    }
    assert!(sample(&after, "dojang_db_pool_connections", &[("state", "idle")]).is_some());
    assert!(after.contains("# HELP dojang_http_requests_total"), "metrics are described");
    app.stop().await;
}
