use crate::helpers::{set_cookie, spawn, spawn_app, Account, TestApp};
use crate::signing::send_envelope;
use crate::smtp::SmtpSink;

const SESSION: &str = "dojang_session";

#[tokio::test]
async fn sign_up_creates_an_organization_and_signs_its_owner_in() {
    let app = spawn_app().await;
    let a = Account::unique("signup");
    let r = app.sign_up(&a).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    let user = app.current_user().await;
    assert_eq!(user["email"], a.email);
    assert_eq!(user["name"], a.name);
    assert_eq!(user["organization_name"], a.org);
    assert_eq!(user["role"], "owner");

    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE email = $1").bind(&a.email).fetch_one(app.db.pool()).await.unwrap();
    assert!(hash.starts_with("$argon2id$"), "stored as an argon2id hash");
    assert!(!hash.contains(&a.password));
    app.stop().await;
}

#[tokio::test]
async fn session_cookie_is_httponly_lax_and_secure_only_over_https() {
    let app = spawn_app().await;
    let r = app.call("auth/csrf_token", &[]).await;
    let cookie = set_cookie(&r, SESSION).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Max-Age=7200") || cookie.contains("Expires="), "idle expiry: {cookie}");
    app.stop().await;

    let app = spawn().var("DOJANG_PUBLIC_URL", "https://sign.example.com").start().await;
    let r = app.call("auth/csrf_token", &[]).await;
    assert!(set_cookie(&r, SESSION).unwrap().contains("Secure"));
    app.stop().await;
}

#[tokio::test]
async fn login_cycles_the_session_id() {
    let app = spawn_app().await;
    let a = Account::unique("cycle");
    app.sign_up(&a).await;
    app.log_out().await;

    let before = app.call("auth/csrf_token", &[]).await;
    let before = set_cookie(&before, SESSION).expect("a fresh anonymous session");
    let csrf = app.csrf_token().await;
    let r = app.call("auth/log_in", &[("csrf", &csrf), ("email", &a.email), ("password", &a.password)]).await;
    assert!(r.status < 400, "{}", r.body);
    let after = set_cookie(&r, SESSION).expect("login sets a new session cookie");
    let value = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(value(&before), value(&after), "no session fixation");
    assert_eq!(app.current_user().await["email"], a.email);
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    app.sign_up(&Account::unique("logout")).await;
    assert!(app.current_user().await.is_object());
    let r = app.log_out().await;
    assert!(r.status < 400, "{}", r.body);
    assert!(app.current_user().await.is_null());
    app.stop().await;
}

#[tokio::test]
async fn sign_up_reports_every_invalid_field_at_once() {
    let app = spawn_app().await;
    let csrf = app.csrf_token().await;
    let r = app.call("auth/sign_up", &[("csrf", &csrf), ("org_name", " "), ("name", ""), ("email", "nope"), ("password", "short")]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let body = r.json();
    assert_eq!(body["code"], "VALIDATION_FAILED");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["orgName", "name", "email", "password"]);
    app.stop().await;
}

#[tokio::test]
async fn a_second_sign_up_with_the_same_email_is_refused() {
    let app = spawn_app().await;
    let a = Account::unique("dup");
    app.sign_up(&a).await;
    let other = app.new_browser();
    let mut b = Account::unique("dup2");
    b.email = a.email.to_uppercase();
    let r = other.sign_up(&b).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.code(), "EMAIL_TAKEN");
    assert_eq!(r.json()["fields"][0]["field"], "email");
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    let a = Account::unique("same");
    app.sign_up(&a).await;
    app.log_out().await;
    let wrong = app.log_in(&a.email, "wrong password!").await;
    let unknown = app.log_in("nobody-here@example.com", "wrong password!").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    app.stop().await;
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    let a = Account::unique("throttle");
    app.sign_up(&a).await;
    app.log_out().await;
    for _ in 0..dojang_core::accounts::throttle::ACCOUNT_LIMIT {
        assert_eq!(app.log_in(&a.email, "wrong password!").await.status, 401);
    }
    let r = app.log_in(&a.email, &a.password).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.code(), "LOGIN_THROTTLED");
    let retry: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(app.current_user().await.is_null());
    app.stop().await;
}

#[tokio::test]
async fn forms_without_the_session_token_are_refused() {
    let app = spawn_app().await;
    let a = Account::unique("csrf");
    let _ = app.csrf_token().await;
    for token in ["", "0000", "forged-token-value"] {
        let r = app.call("auth/sign_up", &[("csrf", token), ("org_name", &a.org), ("name", &a.name), ("email", &a.email), ("password", &a.password)]).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.code(), "CSRF_FAILED");
    }
    // Another browser's token is no good either.
    let other = app.new_browser().csrf_token().await;
    let r = app.call("auth/log_in", &[("csrf", &other), ("email", &a.email), ("password", &a.password)]).await;
    assert_eq!(r.code(), "CSRF_FAILED");
    app.stop().await;
}

#[tokio::test]
async fn cross_site_posts_are_refused_before_any_work() {
    let app = spawn_app().await;
    let a = Account::unique("xsite");
    let csrf = app.csrf_token().await;
    let form = [("csrf", csrf.as_str()), ("org_name", &a.org), ("name", &a.name), ("email", &a.email), ("password", &a.password)];
    let r = app.call_with("auth/sign_up", &form, &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "CSRF_FAILED");
    let r = app.call_with("auth/sign_up", &form, &[("origin", "https://evil.example.com")]).await;
    assert_eq!(r.status, 403);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 0, "nothing was created");
    let r = app.call_with("auth/sign_up", &form, &[("sec-fetch-site", "same-origin")]).await;
    assert!(r.status < 400, "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_needs_a_signed_in_user() {
    let app = spawn_app().await;
    let r = app.get("/dashboard").await;
    assert!(!r.body.contains("data-testid=\"dashboard-empty\""), "no contracts shown to strangers");
    app.sign_up(&Account::unique("dash")).await;
    let r = app.get("/dashboard").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("data-testid=\"dashboard-empty\""));
    app.stop().await;
}

async fn stored_language(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT language FROM users WHERE email = $1").bind(email).fetch_one(app.db.pool()).await.unwrap()
}

async fn sign_up_with(app: &TestApp, a: &Account, headers: &[(&str, &str)]) {
    let csrf = app.csrf_token().await;
    let form = [("csrf", csrf.as_str()), ("org_name", &a.org), ("name", &a.name), ("email", &a.email), ("password", &a.password)];
    let r = app.call_with("auth/sign_up", &form, headers).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
}

#[tokio::test]
async fn sign_up_stores_the_language_of_the_interface() {
    let app = spawn_app().await;
    let english = Account::unique("english");
    sign_up_with(&app, &english, &[("accept-language", "en-US,en;q=0.9,ko;q=0.5")]).await;
    assert_eq!(stored_language(&app, &english.email).await, "en");

    let korean = Account::unique("korean");
    sign_up_with(&app.new_browser(), &korean, &[("accept-language", "ko-KR,ko;q=0.9")]).await;
    assert_eq!(stored_language(&app, &korean.email).await, "ko");

    // A language chosen on the page (the `dojang_lang` cookie) wins over the browser's.
    let chose = app.new_browser();
    assert_eq!(chose.get("/lang?set=ko&next=/signup").await.status, 303);
    let a = Account::unique("chose");
    sign_up_with(&chose, &a, &[("accept-language", "en-US")]).await;
    assert_eq!(stored_language(&app, &a.email).await, "ko");
    app.stop().await;
}

#[tokio::test]
async fn an_owner_who_signed_up_in_english_hears_of_a_decline_in_english() {
    let sink = SmtpSink::start();
    let app = spawn().var("DOJANG_SMTP_URL", &sink.url()).start().await;
    assert_eq!(app.get("/lang?set=en").await.status, 303, "the sender works in English");
    let sent = send_envelope(&app, &[("김철수", "kim@example.com", 1)], |_| serde_json::json!({})).await;
    let invite = sink.wait_for("kim@example.com", 1).await.remove(0);
    assert!(invite.subject.contains("서명 요청"), "the recipient keeps their own language: {}", invite.subject);
    let r = app.new_browser().call("sign/decline", &[("token", &invite.token()), ("reason", "금액이 다릅니다")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sender: String = sqlx::query_scalar("SELECT u.email FROM envelopes e JOIN users u ON u.id = e.created_by WHERE e.id = $1")
        .bind(&sent.envelope)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored_language(&app, &sender).await, "en");
    let notice = sink.wait_for(&sender, 1).await.remove(0);
    assert!(notice.subject.starts_with("Declined: "), "{}", notice.subject);
    assert!(notice.text.contains("김철수 declined to sign") && notice.text.contains("Reason: 금액이 다릅니다"), "{}", notice.text);
    assert!(notice.html.starts_with("<!DOCTYPE html><html lang=\"en\">") && notice.html.contains(">View the contract</a>"));
    app.stop().await;
}
