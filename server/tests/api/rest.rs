//! The REST API v1: credentials and tokens, every endpoint and its errors, tenant isolation,
//! test/live separation, client scoping, idempotency, rate limits, quotas and the spec.

use crate::helpers::{fixture, spawn, Account, Reply, TestApp};
use dojang_core::api::keys;
use dojang_core::model::{Mode, NewApiKey};
use serde_json::{json, Value};

const PDF: &str = "basic__002-trivial-libre-office-writer.pdf";

/// An organization made through sign-up, with an API key in `mode`.
pub async fn org_with_key(app: &TestApp, tag: &str, mode: Mode) -> NewApiKey {
    let browser = app.new_browser();
    let a = Account::unique(tag);
    assert!(browser.sign_up(&a).await.status < 400);
    let org = dojang_core::accounts::find_organization_by_name(&app.db, &a.org).await.unwrap().unwrap();
    keys::create(&app.db, &org, mode, tag).await.unwrap()
}

pub async fn key_for(app: &TestApp, tag: &str) -> String {
    org_with_key(app, tag, Mode::Live).await.key
}

async fn reply(res: reqwest::Response) -> Reply {
    Reply { status: res.status().as_u16(), headers: res.headers().clone(), body: res.text().await.unwrap_or_default() }
}

/// One API call with a bearer credential.
pub async fn call(app: &TestApp, bearer: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
    call_with(app, bearer, method, path, body, &[]).await
}

pub async fn call_with(app: &TestApp, bearer: &str, method: &str, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app.client.request(method, app.url(&format!("/api/v1{path}"))).bearer_auth(bearer);
    if let Some(b) = body {
        req = req.json(&b);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.send().await.expect("API call")).await
}

pub async fn upload(app: &TestApp, bearer: &str, name: &str, headers: &[(&str, &str)]) -> Reply {
    let part = reqwest::multipart::Part::bytes(fixture(name)).file_name(name.to_owned()).mime_str("application/pdf").unwrap();
    let mut req = app.client.post(app.url("/api/v1/documents")).bearer_auth(bearer).multipart(reqwest::multipart::Form::new().part("file", part));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.send().await.unwrap()).await
}

/// A draft with one document, two signers (Korean names) and a field for each.
pub async fn draft(app: &TestApp, bearer: &str) -> (String, String) {
    let doc = upload(app, bearer, PDF, &[]).await;
    assert_eq!(doc.status, 201, "{}", doc.body);
    let doc = doc.json()["id"].as_str().unwrap().to_owned();
    let r = call(app, bearer, "POST", "/envelopes", Some(envelope_body(&doc))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    (r.json()["id"].as_str().unwrap().to_owned(), doc)
}

fn envelope_body(doc: &str) -> Value {
    json!({
        "subject": "근로계약서",
        "documentIds": [doc],
        "recipients": [
            { "email": "minjun@example.com", "name": "김민준", "role": "SIGNER", "order": 1 },
            { "email": "seoyeon@example.com", "name": "이서연", "role": "SIGNER", "order": 2, "language": "en" },
        ],
        "signingOrder": "sequential",
        "fields": [
            { "document": doc, "page": 0, "x": 0.1, "y": 0.8, "width": 0.3, "height": 0.05, "type": "text", "recipient": "minjun@example.com" },
            { "document": doc, "page": 0, "x": 0.5, "y": 0.8, "width": 0.3, "height": 0.05, "type": "text", "recipient": "seoyeon@example.com" },
        ],
        "expiresIn": 86400,
        "message": "서명 부탁드립니다",
    })
}

#[tokio::test]
async fn documents_and_envelopes_from_upload_to_send_and_cancel() {
    let app = spawn().start().await;
    let key = key_for(&app, "flow").await;

    let up = upload(&app, &key, PDF, &[]).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let doc = up.json();
    assert_eq!(doc["pageCount"], 1);
    assert_eq!(doc["sha256"], dojang_core::document::sha256_hex(&fixture(PDF)));
    assert_eq!(doc["sha256Base64url"].as_str().unwrap().len(), 43);
    assert!(doc["pages"][0]["width"].as_f64().unwrap() > 500.0);
    let doc_id = doc["id"].as_str().unwrap();
    assert_eq!(call(&app, &key, "GET", &format!("/documents/{doc_id}"), None).await.json()["id"], doc_id);
    let list = call(&app, &key, "GET", "/documents?limit=1", None).await;
    assert_eq!(list.json()["data"].as_array().unwrap().len(), 1);

    let created = call(&app, &key, "POST", "/envelopes", Some(envelope_body(doc_id))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let e = created.json();
    let id = e["id"].as_str().unwrap().to_owned();
    assert_eq!(e["status"], "draft");
    assert_eq!(e["mode"], "live");
    assert_eq!(e["subject"], "근로계약서");
    assert_eq!(e["recipients"][1]["language"], "en");
    assert_eq!(e["fields"][1]["recipient"], "seoyeon@example.com");
    assert_eq!(e["expiresIn"], 86400);

    let patched =
        call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "subject": "근로계약서 (수정)", "redirectUrl": "https://example.com/done" })))
            .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.json()["subject"], "근로계약서 (수정)");
    assert_eq!(patched.json()["fields"].as_array().unwrap().len(), 2, "fields stay");

    // Replacing the recipients keeps the fields of those who stay.
    let put = call(
        &app,
        &key,
        "PUT",
        &format!("/envelopes/{id}/recipients"),
        Some(json!({ "recipients": [
        { "email": "minjun@example.com", "name": "김민준", "role": "SIGNER", "order": 1 },
        { "email": "viewer@example.com", "name": "박지호", "role": "VIEWER", "order": 1 },
    ] })),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let p = put.json();
    assert_eq!(p["recipients"].as_array().unwrap().len(), 2);
    assert_eq!(p["fields"].as_array().unwrap().len(), 1, "the field of the removed signer went with them");

    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let s = sent.json();
    assert_eq!(s["envelope"]["status"], "sent");
    let links = s["recipients"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    for l in links {
        let url = l["signUrl"].as_str().unwrap();
        assert!(url.starts_with(&app.address) && url.contains("/sign/"), "{url}");
    }
    assert!(s["envelope"]["expiresAt"].is_string());
    assert_eq!(s["envelope"]["recipients"][0]["status"], "sent");

    // A sent envelope is not a draft any more; its document is in use.
    let again = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "subject": "x" }))).await;
    assert_eq!((again.status, again.code().as_str()), (409, "ENVELOPE_NOT_DRAFT"));
    // (DELETE on a sent envelope voids it: integrators::delete_voids_a_sent_envelope…)
    let del = call(&app, &key, "DELETE", &format!("/documents/{doc_id}"), None).await;
    assert_eq!((del.status, del.code().as_str()), (409, "DOCUMENT_IN_USE"));
    assert_eq!(call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await.status, 409, "sending twice");
    let pdf = call(&app, &key, "GET", &format!("/envelopes/{id}/signed-document"), None).await;
    assert_eq!(pdf.status, 404, "not sealed yet");

    let listed = call(&app, &key, "GET", "/envelopes?status=sent", None).await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(call(&app, &key, "GET", "/envelopes?status=draft", None).await.json()["data"].as_array().unwrap().len(), 0);

    let cancelled = call(&app, &key, "POST", &format!("/envelopes/{id}/cancel"), Some(json!({ "reason": "조건 변경" }))).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.json()["status"], "cancelled");

    // A draft can be deleted; its document then can too.
    let (draft_id, draft_doc) = draft(&app, &key).await;
    assert_eq!(call(&app, &key, "DELETE", &format!("/envelopes/{draft_id}"), None).await.status, 204);
    assert_eq!(call(&app, &key, "GET", &format!("/envelopes/{draft_id}"), None).await.status, 404);
    assert_eq!(call(&app, &key, "DELETE", &format!("/documents/{draft_doc}"), None).await.status, 204);
    assert_eq!(call(&app, &key, "GET", &format!("/documents/{draft_doc}"), None).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_list_pages_newest_first_and_shows_each_envelope_as_its_own_read_does() {
    let app = spawn().start().await;
    let key = key_for(&app, "list-pages").await;
    let mut made = Vec::new();
    for i in 0..5 {
        let (id, _) = draft(&app, &key).await;
        if i % 2 == 0 {
            assert_eq!(call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await.status, 200);
        }
        made.push(id);
    }
    made.reverse();
    let mut seen = Vec::new();
    for offset in [0, 2, 4] {
        let page = call(&app, &key, "GET", &format!("/envelopes?limit=2&offset={offset}"), None).await.json();
        assert_eq!(page["hasMore"], offset < 4, "{page}");
        for e in page["data"].as_array().unwrap() {
            let id = e["id"].as_str().unwrap().to_owned();
            let mut one = call(&app, &key, "GET", &format!("/envelopes/{id}"), None).await.json();
            // The log may have grown in between (the mail worker records each delivery).
            let mut listed = e.clone();
            assert_eq!(listed["auditIntegrity"]["intact"], true);
            listed["auditIntegrity"] = Value::Null;
            one["auditIntegrity"] = Value::Null;
            assert_eq!(listed, one, "the listed envelope is the one read alone");
            seen.push(id);
        }
    }
    assert_eq!(seen, made, "newest first, each once");
    // Another organization's list holds none of them.
    let other = key_for(&app, "list-other").await;
    assert!(call(&app, &other, "GET", "/envelopes", None).await.json()["data"].as_array().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn every_error_has_a_code_and_the_right_status() {
    let app = spawn().start().await;
    let key = key_for(&app, "errors").await;
    let no_auth = app.client.get(app.url("/api/v1/envelopes")).send().await.unwrap();
    assert_eq!(no_auth.status(), 401);
    assert!(no_auth.headers().contains_key("www-authenticate"));
    let bad_key = call(&app, "dj_live_notarealkeyatallnotarealkey123456", "GET", "/envelopes", None).await;
    assert_eq!((bad_key.status, bad_key.code().as_str()), (401, "UNAUTHENTICATED"));

    let malformed =
        app.client.post(app.url("/api/v1/envelopes")).bearer_auth(&key).header("content-type", "application/json").body("{\"subject\":").send().await.unwrap();
    let malformed = reply(malformed).await;
    assert_eq!((malformed.status, malformed.code().as_str()), (400, "INVALID_JSON"));
    let wrong_type = app.client.post(app.url("/api/v1/envelopes")).bearer_auth(&key).header("content-type", "text/plain").body("hi").send().await.unwrap();
    let wrong_type = reply(wrong_type).await;
    assert_eq!((wrong_type.status, wrong_type.code().as_str()), (415, "UNSUPPORTED_MEDIA_TYPE"));
    let shape = call(&app, &key, "POST", "/envelopes", Some(json!({ "subject": 5 }))).await;
    assert_eq!((shape.status, shape.code().as_str()), (422, "VALIDATION_FAILED"));
    let unknown_field = call(&app, &key, "POST", "/envelopes", Some(json!({ "subject": "a", "documentIds": [], "colour": "red" }))).await;
    assert_eq!(unknown_field.status, 422);

    let invalid = call(
        &app,
        &key,
        "POST",
        "/envelopes",
        Some(json!({
            "subject": "", "documentIds": ["0193a2b4c5d6e7f8091a2b3c4d5e6f70"], "expiresIn": 5, "redirectUrl": "javascript:alert(1)",
        })),
    )
    .await;
    assert_eq!(invalid.status, 422, "{}", invalid.body);
    let fields: Vec<String> = invalid.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect();
    assert!(fields.contains(&"subject".to_owned()), "{fields:?}");

    let (id, doc) = draft(&app, &key).await;
    let field = |page: u32, x: f64, width: f64, recipient: &str| json!({ "document": doc, "page": page, "x": x, "y": 0.1, "width": width, "height": 0.1, "type": "text", "recipient": recipient });
    for (f, path) in [
        (field(0, 0.9, 0.5, "minjun@example.com"), "fields[0]"),
        (field(7, 0.1, 0.2, "minjun@example.com"), "fields[0].page"),
        (field(0, 0.1, 0.2, "nobody@example.com"), "fields[0].recipient"),
    ] {
        let r = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "fields": [f] }))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let paths: Vec<String> = r.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(paths, vec![path.to_owned()], "{}", r.body);
    }
    assert_eq!(call(&app, &key, "GET", &format!("/envelopes/{id}"), None).await.json()["fields"].as_array().unwrap().len(), 2, "nothing changed");
    for path in ["/envelopes/0193a2b4c5d6e7f8091a2b3c4d5e6f70", "/envelopes/not-an-id", "/documents/0193a2b4c5d6e7f8091a2b3c4d5e6f70", "/nowhere"] {
        let r = call(&app, &key, "GET", path, None).await;
        assert_eq!((r.status, r.code().as_str()), (404, "NOT_FOUND"), "{path}");
    }
    let method = call(&app, &key, "PUT", "/documents", None).await;
    assert_eq!((method.status, method.code().as_str()), (405, "METHOD_NOT_ALLOWED"));
    let paging = call(&app, &key, "GET", "/envelopes?limit=0", None).await;
    assert_eq!(paging.status, 422);
    let status = call(&app, &key, "GET", "/envelopes?status=archived", None).await;
    assert_eq!(status.status, 422);

    let not_pdf = {
        let part = reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("a.pdf");
        reply(
            app.client.post(app.url("/api/v1/documents")).bearer_auth(&key).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap(),
        )
        .await
    };
    assert_eq!((not_pdf.status, not_pdf.code().as_str()), (415, "NOT_A_PDF"));
    let incomplete = call(&app, &key, "POST", "/envelopes", Some(json!({ "subject": "빈 계약", "documentIds": [doc] }))).await;
    let incomplete_id = incomplete.json()["id"].as_str().unwrap().to_owned();
    let send = call(&app, &key, "POST", &format!("/envelopes/{incomplete_id}/send"), None).await;
    assert!(send.status == 422 || send.status == 409, "no recipients: {}", send.body);
    app.stop().await;
}

/// Every route with another organization's ids answers 404, and so do a test key's calls
/// with live ids (and the other way round).
#[tokio::test]
async fn other_tenants_and_the_other_mode_see_nothing() {
    let app = spawn().start().await;
    let a = org_with_key(&app, "tenant-a", Mode::Live).await;
    let (id, doc) = draft(&app, &a.key).await;
    let a_org = dojang_core::api::keys::authenticate(&app.db, app.key_cache(), &a.key).await.unwrap().organization_id;
    let a_test = keys::create(&app.db, &a_org, Mode::Test, "a test").await.unwrap();
    let b = org_with_key(&app, "tenant-b", Mode::Live).await;
    let client = call(&app, &a.key, "POST", "/clients", Some(json!({ "externalId": "u-1", "name": "고객", "email": "c@example.com" }))).await;
    let client_id = client.json()["id"].as_str().unwrap().to_owned();

    for other in [&b.key, &a_test.key] {
        let routes: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", format!("/envelopes/{id}"), None),
            ("PATCH", format!("/envelopes/{id}"), Some(json!({ "subject": "stolen" }))),
            ("DELETE", format!("/envelopes/{id}"), None),
            ("PUT", format!("/envelopes/{id}/recipients"), Some(json!({ "recipients": [] }))),
            ("POST", format!("/envelopes/{id}/send"), None),
            ("POST", format!("/envelopes/{id}/cancel"), None),
            ("GET", format!("/envelopes/{id}/signed-document"), None),
            ("GET", format!("/envelopes/{id}/audit-trail"), None),
            ("GET", format!("/documents/{doc}"), None),
            ("DELETE", format!("/documents/{doc}"), None),
            ("GET", format!("/clients/{client_id}"), None),
            ("POST", "/auth/client-token".into(), Some(json!({ "clientId": client_id }))),
        ];
        for (method, path, body) in routes {
            let r = call(&app, other, method, &path, body).await;
            assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
            assert_eq!(r.code(), "NOT_FOUND");
        }
        let steal = call(&app, other, "POST", "/envelopes", Some(json!({ "subject": "x", "documentIds": [doc] }))).await;
        assert_eq!(steal.status, 422, "another tenant's document cannot be used");
        assert!(call(&app, other, "GET", "/envelopes", None).await.json()["data"].as_array().unwrap().is_empty());
        assert!(call(&app, other, "GET", "/documents", None).await.json()["data"].as_array().unwrap().is_empty());
    }
    // Still intact for its owner.
    assert_eq!(call(&app, &a.key, "GET", &format!("/envelopes/{id}"), None).await.json()["subject"], "근로계약서");
    let t = call(&app, &a_test.key, "POST", "/envelopes", Some(json!({ "subject": "테스트", "documentIds": [] }))).await;
    assert_eq!(t.json()["mode"], "test");
    app.stop().await;
}

#[tokio::test]
async fn admin_and_client_tokens_follow_the_comake_flow() {
    let app = spawn().start().await;
    let k = org_with_key(&app, "tokens", Mode::Live).await;
    let wrong = call(&app, &k.key, "POST", "/auth/admin-token", Some(json!({ "secret": "djs_wrong" }))).await;
    assert_eq!((wrong.status, wrong.code().as_str()), (401, "INVALID_CREDENTIALS"));
    let admin = call(&app, &k.key, "POST", "/auth/admin-token", Some(json!({ "secret": k.secret }))).await;
    assert_eq!(admin.status, 200, "{}", admin.body);
    let admin_token = admin.json()["adminToken"].as_str().unwrap().to_owned();
    assert_eq!(admin.json()["expiresIn"], 3600);
    assert_eq!(
        call(&app, &admin_token, "POST", "/auth/admin-token", Some(json!({ "secret": k.secret }))).await.status,
        403,
        "a token cannot mint admin tokens"
    );

    let reg = call(&app, &admin_token, "POST", "/clients", Some(json!({ "externalId": "hr-42", "name": "최지우", "email": "jiwoo@example.com" }))).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let client_id = reg.json()["id"].as_str().unwrap().to_owned();
    let again = call(&app, &admin_token, "POST", "/clients", Some(json!({ "externalId": "hr-42", "name": "최지우", "email": "jiwoo2@example.com" }))).await;
    assert_eq!((again.status, again.json()["id"].as_str().unwrap()), (200, client_id.as_str()), "same external id: same client");
    let other = call(&app, &admin_token, "POST", "/clients", Some(json!({ "externalId": "hr-43", "name": "정하늘", "email": "sky@example.com" }))).await;
    let other_id = other.json()["id"].as_str().unwrap().to_owned();

    let ct = call(&app, &admin_token, "POST", "/auth/client-token", Some(json!({ "clientId": client_id }))).await;
    assert_eq!(ct.status, 200, "{}", ct.body);
    assert_eq!(ct.json()["expiresIn"], 3600);
    let client_token = ct.json()["clientToken"].as_str().unwrap().to_owned();
    let other_token =
        call(&app, &k.key, "POST", "/auth/client-token", Some(json!({ "clientId": other_id }))).await.json()["clientToken"].as_str().unwrap().to_owned();

    // A client sees only its own contracts; the integrator sees all.
    let (mine, _) = draft(&app, &client_token).await;
    let (theirs, _) = draft(&app, &other_token).await;
    assert_eq!(call(&app, &client_token, "GET", &format!("/envelopes/{theirs}"), None).await.status, 404);
    assert_eq!(call(&app, &client_token, "GET", &format!("/envelopes/{mine}"), None).await.status, 200);
    let listed = call(&app, &client_token, "GET", "/envelopes", None).await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(call(&app, &admin_token, "GET", "/envelopes", None).await.json()["data"].as_array().unwrap().len(), 2);
    assert_eq!(call(&app, &client_token, "GET", "/clients", None).await.status, 403, "clients cannot list clients");
    assert_eq!(call(&app, &client_token, "GET", "/usage", None).await.status, 403);

    // Typing and algorithms are checked: a client token is no admin token, `none` is refused,
    // a changed signature or payload fails.
    let parts: Vec<&str> = client_token.split('.').collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "dojang-client+jwt");
    let mut as_admin = header.clone();
    as_admin["typ"] = "dojang-admin+jwt".into();
    let forged = format!("{}.{}.{}", b64.encode(as_admin.to_string()), parts[1], parts[2]);
    let mut none = header.clone();
    none["alg"] = "none".into();
    let unsigned = format!("{}.{}.", b64.encode(none.to_string()), parts[1]);
    let mut claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = other_id.clone().into();
    let swapped = format!("{}.{}.{}", parts[0], b64.encode(claims.to_string()), parts[2]);
    let mut expired: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    expired["exp"] = 1.into();
    let stale = format!("{}.{}.{}", parts[0], b64.encode(expired.to_string()), parts[2]);
    for bad in [forged, unsigned, swapped, stale, format!("{client_token}x")] {
        let r = call(&app, &bad, "GET", "/envelopes", None).await;
        assert_eq!(r.status, 401, "{bad}");
    }

    // Rotation keeps live tokens working; retiring old keys ends them; revoking the key ends all.
    dojang_core::api::tokens::rotate(&app.db, &dojang_core::infra::config::Secret::new(dojang_core::infra::config::DEV_SECRET_KEY)).await.unwrap();
    assert_eq!(call(&app, &client_token, "GET", "/envelopes", None).await.status, 200);
    let fresh = call(&app, &k.key, "POST", "/auth/admin-token", Some(json!({ "secret": k.secret }))).await.json()["adminToken"].as_str().unwrap().to_owned();
    assert_ne!(serde_json::from_slice::<Value>(&b64.decode(fresh.split('.').next().unwrap()).unwrap()).unwrap()["kid"], header["kid"]);
    dojang_core::api::tokens::retire_previous(&app.db).await.unwrap();
    assert_eq!(call(&app, &client_token, "GET", "/envelopes", None).await.status, 401);
    assert_eq!(call(&app, &fresh, "GET", "/envelopes", None).await.status, 200);
    let org = keys::authenticate(&app.db, app.key_cache(), &k.key).await.unwrap().organization_id;
    keys::revoke(&app.db, app.key_cache(), &org, &k.id).await.unwrap();
    assert_eq!(call(&app, &fresh, "GET", "/envelopes", None).await.status, 401, "a revoked key voids its tokens");
    assert_eq!(call(&app, &k.key, "GET", "/envelopes", None).await.status, 401);
    let listed = keys::list(&app.db, &org).await.unwrap();
    assert!(listed[0].revoked_at.is_some() && listed[0].last_used_at.is_some() && listed[0].prefix.starts_with("dj_live_"));
    app.stop().await;
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_changes_and_wait_for_the_first() {
    let app = spawn().start().await;
    let key = key_for(&app, "idem").await;
    let doc = upload(&app, &key, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let body = envelope_body(&doc);
    let first = call_with(&app, &key, "POST", "/envelopes", Some(body.clone()), &[("Idempotency-Key", "create-1")]).await;
    assert_eq!(first.status, 201);
    let replay = call_with(&app, &key, "POST", "/envelopes", Some(body.clone()), &[("Idempotency-Key", "create-1")]).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.json()["id"], first.json()["id"], "the first response, not a second envelope");
    assert_eq!(replay.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(call(&app, &key, "GET", "/envelopes", None).await.json()["data"].as_array().unwrap().len(), 1);
    let mut changed = body.clone();
    changed["subject"] = "다른 계약".into();
    let reused = call_with(&app, &key, "POST", "/envelopes", Some(changed), &[("Idempotency-Key", "create-1")]).await;
    assert_eq!((reused.status, reused.code().as_str()), (422, "IDEMPOTENCY_KEY_REUSED"));

    // Uploads replay too, although every attempt has its own multipart boundary.
    let u1 = upload(&app, &key, PDF, &[("Idempotency-Key", "upload-1")]).await;
    let u2 = upload(&app, &key, PDF, &[("Idempotency-Key", "upload-1")]).await;
    assert_eq!(u1.json()["id"], u2.json()["id"]);

    // While the first request runs, the same key gets 409.
    let caller = keys::authenticate(&app.db, app.key_cache(), &key).await.unwrap();
    let begun = dojang_core::api::idempotency::begin(
        &app.db,
        &dojang_core::infra::config::Secret::new(dojang_core::infra::config::DEV_SECRET_KEY),
        caller.id.as_str(),
        "running-1",
        "some-hash",
    )
    .await
    .unwrap();
    assert!(matches!(begun, dojang_core::api::idempotency::Begin::Fresh));
    let running = call_with(&app, &key, "POST", "/envelopes", Some(body.clone()), &[("Idempotency-Key", "running-1")]).await;
    assert_eq!((running.status, running.code().as_str()), (409, "IDEMPOTENCY_IN_PROGRESS"));
    // Keys belong to their credential: another key may use the same string.
    let other = key_for(&app, "idem-other").await;
    let doc2 = upload(&app, &other, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let mine = call_with(&app, &other, "POST", "/envelopes", Some(envelope_body(&doc2)), &[("Idempotency-Key", "create-1")]).await;
    assert_eq!(mine.status, 201);
    assert_ne!(mine.json()["id"], first.json()["id"]);
    // Errors on our side are not kept; client errors are.
    let bad = call_with(&app, &key, "POST", "/envelopes", Some(json!({ "subject": "" , "documentIds": [] })), &[("Idempotency-Key", "bad-1")]).await;
    assert_eq!(bad.status, 422);
    let bad2 = call_with(&app, &key, "POST", "/envelopes", Some(json!({ "subject": "" , "documentIds": [] })), &[("Idempotency-Key", "bad-1")]).await;
    assert_eq!(bad2.header("idempotent-replayed").as_deref(), Some("true"));
    let long = "k".repeat(300);
    assert_eq!(call_with(&app, &key, "POST", "/envelopes", Some(body), &[("Idempotency-Key", &long)]).await.status, 422);
    assert_eq!(dojang_core::api::idempotency::sweep(&app.db).await.unwrap(), 0, "nothing expired yet");
    app.stop().await;
}

#[tokio::test]
async fn two_hundred_quick_requests_pass_and_the_next_is_told_when_to_retry() {
    let app = spawn().start().await;
    let key = key_for(&app, "rate").await;
    let other = key_for(&app, "rate-other").await;
    for i in 0..200 {
        let r = call(&app, &key, "GET", "/usage", None).await;
        assert_eq!(r.status, 200, "request {}: {}", i + 1, r.body);
        if i == 0 {
            assert!(r.header("ratelimit-policy").unwrap().contains("q=200;w=10"));
            assert!(r.header("ratelimit").is_some());
        }
    }
    let limited = call(&app, &key, "GET", "/usage", None).await;
    assert_eq!((limited.status, limited.code().as_str()), (429, "RATE_LIMITED"));
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    assert_eq!(call(&app, &other, "GET", "/usage", None).await.status, 200, "limits are per key");
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    assert_eq!(call(&app, &key, "GET", "/usage", None).await.status, 200, "Retry-After honoured");
    app.stop().await;
}

#[tokio::test]
async fn quotas_count_live_requests_only_and_test_envelopes_are_marked_when_sealed() {
    let app = spawn().start().await;
    let live = org_with_key(&app, "quota", Mode::Live).await;
    let org = keys::authenticate(&app.db, app.key_cache(), &live.key).await.unwrap().organization_id;
    let test = keys::create(&app.db, &org, Mode::Test, "test").await.unwrap();
    dojang_core::api::usage::set_quota(&app.db, &org, Some(1)).await.unwrap();
    let u = call(&app, &live.key, "GET", "/usage", None).await.json();
    assert_eq!((u["sent"].as_i64(), u["quota"].as_i64(), u["remaining"].as_i64()), (Some(0), Some(1), Some(1)));

    let (a, _) = draft(&app, &live.key).await;
    assert_eq!(call(&app, &live.key, "POST", &format!("/envelopes/{a}/send"), None).await.status, 200);
    let (b, _) = draft(&app, &live.key).await;
    let over = call(&app, &live.key, "POST", &format!("/envelopes/{b}/send"), None).await;
    assert_eq!((over.status, over.code().as_str()), (403, "QUOTA_EXCEEDED"));
    assert_eq!(call(&app, &live.key, "GET", &format!("/envelopes/{b}"), None).await.json()["status"], "draft", "nothing half-sent");

    // Test envelopes do not count, and their sealed PDF says they are tests.
    let doc = upload(&app, &test.key, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let created = call(
        &app,
        &test.key,
        "POST",
        "/envelopes",
        Some(json!({
            "subject": "테스트 계약", "documentIds": [doc],
            "recipients": [{ "email": "t@example.com", "name": "테스트", "role": "SIGNER" }],
            "fields": [{ "document": doc, "page": 0, "x": 0.1, "y": 0.8, "width": 0.4, "height": 0.05, "type": "text", "recipient": "t@example.com" }],
        })),
    )
    .await;
    let t = created.json()["id"].as_str().unwrap().to_owned();
    let sent = call(&app, &test.key, "POST", &format!("/envelopes/{t}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let url = sent.json()["recipients"][0]["signUrl"].as_str().unwrap().to_owned();
    let token = url.rsplit('/').next().unwrap().to_owned();
    assert_eq!(crate::signing::consent(&app, &token).await.status, 200);
    let field = call(&app, &test.key, "GET", &format!("/envelopes/{t}"), None).await.json()["fields"][0]["id"].as_str().unwrap().to_owned();
    let done =
        app.call_json("sign/submit", json!({ "token": token, "submission": { "fields": [{ "field_id": field, "value": "확인함" }], "signatures": [] } })).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let mut pdf = None;
    for _ in 0..300 {
        let r = app.client.get(app.url(&format!("/api/v1/envelopes/{t}/signed-document"))).bearer_auth(&test.key).send().await.unwrap();
        if r.status() == 200 {
            assert_eq!(r.headers()["content-type"], "application/pdf");
            pdf = Some(r.bytes().await.unwrap().to_vec());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let pdf = pdf.expect("sealed");
    let e = call(&app, &test.key, "GET", &format!("/envelopes/{t}"), None).await.json();
    assert_eq!(e["status"], "completed");
    assert_eq!(e["documents"][0]["sealedSha256"], dojang_core::document::sha256_hex(&pdf));
    assert_eq!(e["documents"][0]["sealedSha256Base64url"].as_str().unwrap().len(), 43);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = crate::seal::first_page_text(&path);
    assert!(text.contains("TEST") && text.contains("not legally binding"), "{text}");
    let mut trail = None;
    for _ in 0..300 {
        let r = app.client.get(app.url(&format!("/api/v1/envelopes/{t}/audit-trail"))).bearer_auth(&test.key).send().await.unwrap();
        if r.status() == 200 {
            trail = Some(r.bytes().await.unwrap().to_vec());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(&trail.expect("audit trail")[..5], b"%PDF-");
    let u = call(&app, &live.key, "GET", "/usage", None).await.json();
    assert_eq!(u["sent"], 1, "the test envelope did not count");
    app.stop().await;
}

#[tokio::test]
async fn the_spec_is_openapi_3_1_and_describes_every_route() {
    let app = spawn().start().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let spec = r.json();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"), "{}", spec["openapi"]);
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in [
        ("/documents", "post"),
        ("/documents", "get"),
        ("/documents/{id}", "get"),
        ("/documents/{id}", "delete"),
        ("/envelopes", "post"),
        ("/envelopes", "get"),
        ("/envelopes/{id}", "get"),
        ("/envelopes/{id}", "patch"),
        ("/envelopes/{id}", "delete"),
        ("/envelopes/{id}/recipients", "put"),
        ("/envelopes/{id}/send", "post"),
        ("/envelopes/{id}/cancel", "post"),
        ("/envelopes/{id}/signed-document", "get"),
        ("/envelopes/{id}/audit-trail", "get"),
        ("/auth/admin-token", "post"),
        ("/clients", "post"),
        ("/auth/client-token", "post"),
        ("/usage", "get"),
    ] {
        let op = &paths[path][method];
        assert!(op.is_object(), "{method} {path}");
        assert!(op["responses"]["404"].is_object() && op["responses"]["429"].is_object(), "{method} {path}: errors documented");
    }
    assert!(spec["components"]["schemas"]["ErrorBody"].is_object());
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    let page = app.get("/api/docs").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/api/v1/envelopes/{id}/send") && page.body.contains("CreateEnvelope"));
    assert!(!page.body.contains("<script"), "no scripts, no CDN");
    app.stop().await;
}

#[tokio::test]
async fn keys_are_made_listed_and_revoked_in_the_web_app() {
    let app = spawn().start().await;
    assert!(app.sign_up(&Account::unique("ui-keys")).await.status < 400);
    let page = app.get("/settings/api").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("api-keys-page"), "{}", &page.body[..page.body.len().min(500)]);
    let csrf = app.csrf_token().await;
    let made = app.call("api-keys/create", &[("csrf", &csrf), ("name", "ERP 연동"), ("mode", "test")]).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let k = made.json();
    let key = k["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("dj_test_"));
    assert_eq!(call(&app, &key, "GET", "/usage", None).await.status, 200);
    let list = app.call("api-keys/list", &[]).await.json();
    assert_eq!(list[0]["name"], "ERP 연동");
    assert!(!list.to_string().contains(&key), "the list never shows the key");
    assert!(list[0]["last_used_at"].is_string());
    let no_csrf = app.call("api-keys/create", &[("csrf", "forged"), ("name", "x"), ("mode", "live")]).await;
    assert_eq!(no_csrf.status, 403);
    let revoked = app.call("api-keys/revoke", &[("csrf", &csrf), ("id", k["id"].as_str().unwrap())]).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(call(&app, &key, "GET", "/usage", None).await.status, 401);
    // Another organization cannot revoke or see these keys.
    let other = app.new_browser();
    assert!(other.sign_up(&Account::unique("ui-keys-b")).await.status < 400);
    assert!(other.call("api-keys/list", &[]).await.json().as_array().unwrap().is_empty());
    let csrf_b = other.csrf_token().await;
    assert_eq!(other.call("api-keys/revoke", &[("csrf", &csrf_b), ("id", k["id"].as_str().unwrap())]).await.status, 404);
    app.stop().await;
}
