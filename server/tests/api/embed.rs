//! Embedding: the client token exchanged for an embed session, the token gone from the
//! address, the session working (in a third-party context it is the only credential), the
//! framing policy per organization, the signing page's framing, and the clear pages for
//! forged, expired and not-allowed cases.

use crate::helpers::{fixture, spawn, Reply, TestApp};
use crate::rest::{call, org_with_key};
use dojang_core::api::{keys, tokens, AuthKind, Caller};
use dojang_core::ids::ClientId;
use dojang_core::model::Mode;
use serde_json::json;

const HOST: &str = "http://host.example:8080";

struct Integrator {
    key: String,
    secret: String,
    client_id: String,
}

async fn integrator(app: &TestApp, tag: &str, origins: &[&str]) -> Integrator {
    let k = org_with_key(app, tag, Mode::Live).await;
    let (key, secret) = (k.key, k.secret);
    let r = call(app, &key, "PUT", "/embedding", Some(json!({ "allowedOrigins": origins }))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = call(app, &key, "POST", "/clients", Some(json!({ "externalId": format!("u-{tag}"), "name": "정하늘", "email": "haneul@example.com" }))).await;
    Integrator { key, secret, client_id: c.json()["id"].as_str().unwrap().to_owned() }
}

async fn client_token(app: &TestApp, i: &Integrator) -> String {
    call(app, &i.key, "POST", "/auth/client-token", Some(json!({ "clientId": i.client_id }))).await.json()["clientToken"].as_str().unwrap().to_owned()
}

/// A browser without cookies of its own: the embed cookie is passed by hand, as a browser
/// in a third-party iframe would (the session cookie is not sent there).
async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> Reply {
    let mut req = crate::helpers::client().get(app.url(path));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.unwrap();
    Reply { status: r.status().as_u16(), headers: r.headers().clone(), body: r.text().await.unwrap_or_default() }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_client_token_opens_the_editor_as_that_client_without_staying_in_the_address() {
    let app = spawn().start().await;
    let i = integrator(&app, "embed", &[HOST, "https://other.example"]).await;
    let allow = call(&app, &i.key, "GET", "/embedding", None).await.json();
    assert_eq!(allow["allowedOrigins"], json!([HOST, "https://other.example"]));
    let token = client_token(&app, &i).await;

    let r = get(&app, &format!("/contract/upload?token={token}&origin={}", encode(HOST)), None).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap();
    assert!(!location.contains(&token) && !location.contains("token="), "the token leaves the address bar: {location}");
    assert!(location.starts_with("/contract/upload?embed=1") && location.contains(&format!("origin={}", encode(HOST))), "{location}");
    assert_eq!(r.header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let set_cookie = r.header("set-cookie").unwrap();
    for attr in ["dojang_embed=", "HttpOnly", "Secure", "SameSite=None", "Partitioned"] {
        assert!(set_cookie.contains(attr), "{attr} in {set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    // The screen, framable by the allowlist only, without leaking or caching.
    let page = get(&app, &location, Some(&cookie)).await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains(&format!("frame-ancestors 'self' {HOST} https://other.example")), "{csp}");
    assert!(page.header("x-frame-options").is_none());
    assert_eq!(page.header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
    assert!(page.body.contains("contract-page"), "the editor, not a login form");

    // The session works for the editor's calls, with its own CSRF token, as the client user.
    let embed_origins = app_call(&app, &cookie, "auth/embed_origins", &[]).await;
    assert_eq!(embed_origins.json(), json!([HOST, "https://other.example"]));
    let csrf: String = app_call(&app, &cookie, "auth/embed_csrf_token", &[]).await.json().as_str().unwrap().to_owned();
    let part = reqwest::multipart::Part::bytes(fixture("basic__002-trivial-libre-office-writer.pdf")).file_name("계약서.pdf");
    let up = reqwest::Client::new()
        .post(app.url("/_app/documents"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), 201);
    let contract = up.json::<serde_json::Value>().await.unwrap()["contractId"].as_str().unwrap().to_owned();
    let r = app_call(&app, &cookie, "contracts/rename", &[("csrf", &csrf), ("id", &contract), ("name", "입사 계약서")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app_call(&app, &cookie, "contracts/rename", &[("csrf", "forged"), ("id", &contract), ("name", "x")]).await;
    assert_eq!(r.status, 403, "CSRF still checked");
    let seen = call(&app, &token, "GET", &format!("/envelopes/{contract}"), None).await;
    assert_eq!((seen.status, seen.json()["subject"].as_str()), (200, Some("입사 계약서")), "the client user's own contract");

    // Reopening that contract by token; an origin off the allowlist is refused.
    let again = client_token(&app, &i).await;
    let r = get(&app, &format!("/contract/upload?token={again}&contractId={contract}"), None).await;
    assert!(r.header("location").unwrap().contains(&format!("contractId={contract}")));
    let r = get(&app, &format!("/contract/upload?token={again}&origin={}", encode("https://evil.example")), None).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("data-code=\"ORIGIN_NOT_ALLOWED\""), "{}", r.body);

    // Another organization's allowlist does not apply: with none, nobody may frame.
    let none = integrator(&app, "embed-none", &[]).await;
    let t = client_token(&app, &none).await;
    let r = get(&app, &format!("/contract/upload?token={t}"), None).await;
    let c = r.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let page = get(&app, &r.header("location").unwrap(), Some(&c)).await;
    assert!(page.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));

    // Without the embed session the usual pages stay unframable.
    let plain = get(&app, "/login", None).await;
    assert!(plain.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
}

async fn app_call(app: &TestApp, cookie: &str, name: &str, form: &[(&str, &str)]) -> Reply {
    let r = reqwest::Client::new().post(app.url(&format!("/_fn/{name}"))).header("cookie", cookie).form(form).send().await.unwrap();
    Reply { status: r.status().as_u16(), headers: r.headers().clone(), body: r.text().await.unwrap_or_default() }
}

#[tokio::test]
async fn forged_and_expired_tokens_get_their_clear_pages_not_a_login_form() {
    let app = spawn().start().await;
    let i = integrator(&app, "embed-bad", &[HOST]).await;
    let good = client_token(&app, &i).await;

    let mut forged = good.clone();
    forged.pop();
    forged.push(if good.ends_with('A') { 'B' } else { 'A' });
    let expired = {
        let active = keys::authenticate(&app.db, app.key_cache(), &i.key).await.unwrap();
        let caller = Caller { actor: active.actor(), key_id: active.id.clone(), kind: AuthKind::ApiKey, scopes: active.scopes };
        let settings = dojang_core::infra::config::Settings::from_lookup(|_| None).unwrap();
        tokens::issue_client_for(&app.db, &settings.secret_key, &app.address, &caller, &ClientId::parse(&i.client_id).unwrap(), -120).await.unwrap()
    };
    for (token, code, text) in
        [(forged.as_str(), "TOKEN_INVALID", "올바르지 않습니다"), (expired.as_str(), "TOKEN_EXPIRED", "만료"), ("garbage", "TOKEN_INVALID", "not valid")]
    {
        let r = get(&app, &format!("/contract/upload?token={token}&origin={}", encode(HOST)), None).await;
        assert_eq!(r.status, 401, "{code}");
        assert!(r.body.contains(&format!("data-code=\"{code}\"")) && r.body.contains(text), "{code}: {}", r.body);
        assert!(!r.body.contains("password"), "no login form");
        assert!(r.header("set-cookie").is_none());
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors *") && csp.contains("script-src 'nonce-"), "{csp}");
        // The host page hears about it, at the origin it named and nowhere else.
        assert!(r.body.contains(&format!("\"{HOST}\"")) && r.body.contains(code) && !r.body.contains("\"*\""), "{}", r.body);
    }
    // An admin token is not a client token.
    let admin = call(&app, &i.key, "POST", "/auth/admin-token", Some(json!({ "secret": i.secret }))).await.json()["adminToken"].as_str().unwrap().to_owned();
    let r = get(&app, &format!("/contract/upload?token={admin}"), None).await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("data-code=\"TOKEN_INVALID\""));

    // A stale embed cookie shows the ended-session message in place of the editor.
    let page = get(&app, "/contract/upload?embed=1", Some(&format!("dojang_embed={}", "ab".repeat(32)))).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("embed-expired"), "{}", &page.body[..page.body.len().min(2000)]);
}

#[tokio::test]
async fn a_signing_link_may_be_framed_by_its_organizations_allowlist_only() {
    let app = spawn().start().await;
    let i = integrator(&app, "embed-sign", &[HOST]).await;
    let (envelope, _) = crate::rest::draft(&app, &i.key).await;
    let sent = call(&app, &i.key, "POST", &format!("/envelopes/{envelope}/send"), None).await.json();
    let link = sent["recipients"][0]["signUrl"].as_str().unwrap().to_owned();
    let path = link.strip_prefix(&app.address).unwrap();
    let page = get(&app, path, None).await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains(&format!("frame-ancestors 'self' {HOST}")), "{csp}");
    assert!(page.header(dojang_core::embed::FRAME_ORIGINS_HEADER).is_none(), "the page's note to the embed layer never leaves the server");
    assert_eq!(page.header("referrer-policy").as_deref(), Some("no-referrer"));
    let view = app.call("sign/view", &[("token", path.rsplit('/').next().unwrap())]).await.json();
    assert_eq!(view["embed_origins"], json!([HOST]), "the page posts its events only there");

    // An unknown link is not framable.
    let unknown = get(&app, &format!("/sign/{}", "A".repeat(43)), None).await;
    assert!(unknown.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn a_client_token_opens_that_clients_template_in_the_editor_and_no_other() {
    let app = spawn().start().await;
    let i = integrator(&app, "embed-tpl", &[HOST]).await;
    let token = client_token(&app, &i).await;
    let template = |key: String| {
        let app = &app;
        async move {
            let doc = crate::rest::upload(app, &key, "basic__002-trivial-libre-office-writer.pdf", &[]).await.json()["id"].as_str().unwrap().to_owned();
            let body = json!({
                "name": "입사 서류", "documentIds": [doc], "roles": [{ "name": "입사자" }],
                "fields": [{ "document": doc, "page": 0, "x": 0.1, "y": 0.8, "width": 0.3, "height": 0.06, "type": "signature", "role": "입사자" }],
            });
            let r = call(app, &key, "POST", "/templates", Some(body)).await;
            assert_eq!(r.status, 201, "{}", r.body);
            r.json()["id"].as_str().unwrap().to_owned()
        }
    };
    let mine = template(token.clone()).await;
    let theirs = template(i.key.clone()).await;

    let r = get(&app, &format!("/template/edit?token={token}&templateId={mine}&origin={}", encode(HOST)), None).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap();
    assert!(location.starts_with("/template/edit?embed=1") && location.contains(&format!("templateId={mine}")) && !location.contains("token="), "{location}");
    let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let page = get(&app, &location, Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-security-policy").unwrap().contains(&format!("frame-ancestors 'self' {HOST}")));

    let opened = app_call(&app, &cookie, "templates/editor", &[("id", &mine)]).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    let t = opened.json();
    assert_eq!((t["roles"][0]["name"].as_str(), t["roles"][0]["email"].as_str(), t["fields"].as_array().map(Vec::len)), (Some("입사자"), Some(""), Some(1)));
    let csrf: String = app_call(&app, &cookie, "auth/embed_csrf_token", &[]).await.json().as_str().unwrap().to_owned();
    let mut roles = t["roles"].clone();
    roles[0]["name"] = json!("신입 사원");
    let saved = reqwest::Client::new()
        .post(app.url("/_fn/templates/save_editor"))
        .header("cookie", &cookie)
        .json(&json!({ "csrf": csrf, "id": mine, "version": t["version"], "recipients": roles, "fields": t["fields"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    let after = call(&app, &token, "GET", &format!("/templates/{mine}"), None).await.json();
    assert_eq!((after["roles"][0]["name"].as_str(), after["fields"][0]["role"].as_str()), (Some("신입 사원"), Some("신입 사원")), "{after}");

    // The organization's own template is not the client's; the other template calls are not
    // the embed session's at all.
    let other = app_call(&app, &cookie, "templates/editor", &[("id", &theirs)]).await;
    assert_eq!((other.status, other.code()), (404, "NOT_FOUND".into()), "{}", other.body);
    for name in ["templates/list", "bulk/get"] {
        let r = app_call(&app, &cookie, name, &[("id", &mine)]).await;
        assert!(r.status == 401 || r.status == 403, "{name}: {} {}", r.status, r.body);
    }
}
