use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_200_when_database_and_pdfium_are_up() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");

    let r = app.get("/readyz").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["database"], "ok");
    assert_eq!(r.json()["pdfium"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn readyz_answers_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.close().await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["database"], "unavailable");
    assert_eq!(r.json()["pdfium"], "ok");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    let id = r.header("x-request-id").expect("request id");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert!(r.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert!(r.header("referrer-policy").is_some());
    assert!(r.header("strict-transport-security").is_none(), "no HSTS over plain http");

    let r = app.get_with("/healthz", &[("x-request-id", "given-by-proxy-123")]).await;
    assert_eq!(r.header("x-request-id").as_deref(), Some("given-by-proxy-123"), "an incoming id is kept");
    app.stop().await;
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = crate::helpers::spawn().var("DOJANG_PUBLIC_URL", "https://sign.example.com").start().await;
    let r = app.get("/healthz").await;
    assert!(r.header("strict-transport-security").unwrap().contains("max-age="));
    app.stop().await;
}

#[tokio::test]
async fn unknown_api_routes_answer_json_404() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "NOT_FOUND");
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    app.stop().await;
}
