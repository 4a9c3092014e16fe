//! The flows of the e-contract APIs integrators come from (issue 15): their own references on
//! envelopes and documents, lists that filter and page by cursor, voiding, reminders, signing
//! links on demand, the audit trail and events at every state, every timestamp, originals
//! and a ZIP of the sealed documents.

use crate::helpers::{fixture, spawn, TestApp};
use crate::rest::{call, draft, key_for, org_with_key};
use crate::webhooks::{sign_as, sign_urls};
use dojang_core::model::Mode;
use serde_json::{json, Value};
use std::io::Read as _;
use std::time::{Duration, Instant};

const PDF: &str = "basic__002-trivial-libre-office-writer.pdf";

pub(crate) async fn upload_with(app: &TestApp, key: &str, texts: &[(&str, &str)]) -> crate::helpers::Reply {
    let part = reqwest::multipart::Part::bytes(fixture(PDF)).file_name(PDF.to_owned()).mime_str("application/pdf").unwrap();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in texts {
        form = form.text(k.to_string(), v.to_string());
    }
    let res = app.client.post(app.url("/api/v1/documents")).bearer_auth(key).multipart(form.part("file", part)).send().await.unwrap();
    crate::helpers::Reply { status: res.status().as_u16(), headers: res.headers().clone(), body: res.text().await.unwrap() }
}

pub(crate) async fn envelope(app: &TestApp, key: &str, id: &str) -> Value {
    let r = call(app, key, "GET", &format!("/envelopes/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

pub(crate) async fn completed(app: &TestApp, key: &str, id: &str) -> Value {
    let t = Instant::now();
    loop {
        let e = envelope(app, key, id).await;
        if e["status"] == "completed" {
            return e;
        }
        assert!(t.elapsed() < Duration::from_secs(90), "not sealed: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn external_ids_and_metadata_are_kept_found_changed_at_any_state_and_unique() {
    let app = spawn().start().await;
    let key = key_for(&app, "refs").await;
    let (id, doc) = draft(&app, &key).await;

    let r = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "externalId": "계약-2026-001", "metadata": { "crm": { "deal": 42 } } }))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["externalId"], "계약-2026-001");
    assert_eq!(r.json()["metadata"]["crm"]["deal"], 42);

    // Unique per organization and mode.
    let (other, _) = draft(&app, &key).await;
    let r = call(&app, &key, "PATCH", &format!("/envelopes/{other}"), Some(json!({ "externalId": "계약-2026-001" }))).await;
    assert_eq!((r.status, r.code().as_str()), (409, "EXTERNAL_ID_TAKEN"), "{}", r.body);
    let body = json!({ "subject": "x", "documentIds": [doc], "externalId": "계약-2026-001" });
    let r = call(&app, &key, "POST", "/envelopes", Some(body.clone())).await;
    assert_eq!((r.status, r.code().as_str()), (409, "EXTERNAL_ID_TAKEN"), "{}", r.body);
    // Another organization, and the test mode of the same one, may use it.
    let stranger = key_for(&app, "refs-other").await;
    let sdoc = upload_with(&app, &stranger, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let r = call(&app, &stranger, "POST", "/envelopes", Some(json!({ "subject": "x", "documentIds": [sdoc], "externalId": "계약-2026-001" }))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(call(&app, &stranger, "GET", "/envelopes?externalId=%EA%B3%84%EC%95%BD-2026-001", None).await.json()["data"].as_array().unwrap().len(), 1);

    // Bad metadata.
    let big = "x".repeat(9000);
    for (bad, code) in
        [(json!({ "metadata": [1, 2] }), "invalid"), (json!({ "metadata": { "big": big } }), "too_large"), (json!({ "metadata": "text" }), "invalid")]
    {
        let r = call(&app, &key, "PATCH", &format!("/envelopes/{other}"), Some(bad)).await;
        assert_eq!((r.status, r.code().as_str()), (422, "VALIDATION_FAILED"), "{}", r.body);
        assert_eq!(r.json()["fields"][0]["code"], code);
    }

    // Found by it; changed after sending (other keys are refused once sent).
    let found = call(&app, &key, "GET", "/envelopes?externalId=%EA%B3%84%EC%95%BD-2026-001", None).await.json();
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(found["data"][0]["id"], id.as_str());
    assert_eq!(call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await.status, 200);
    let r = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "metadata": { "stage": "sent" }, "externalId": null }))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["metadata"], json!({ "stage": "sent" }));
    assert_eq!(r.json()["externalId"], Value::Null);
    assert_eq!(r.json()["status"], "sent");
    let r = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "subject": "바뀐 제목", "metadata": {} }))).await;
    assert_eq!((r.status, r.code().as_str()), (409, "ENVELOPE_NOT_DRAFT"), "{}", r.body);
    assert_eq!(envelope(&app, &key, &id).await["metadata"], json!({ "stage": "sent" }), "a refused change changes nothing");

    // Documents: set at upload (multipart text fields), found, changed.
    let up = upload_with(&app, &key, &[("externalId", "doc-7"), ("metadata", r#"{"kind":"근로계약"}"#)]).await;
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(up.json()["externalId"], "doc-7");
    assert_eq!(up.json()["metadata"]["kind"], "근로계약");
    let up_id = up.json()["id"].as_str().unwrap().to_owned();
    let again = upload_with(&app, &key, &[("externalId", "doc-7")]).await;
    assert_eq!((again.status, again.code().as_str()), (409, "EXTERNAL_ID_TAKEN"), "{}", again.body);
    let bad = upload_with(&app, &key, &[("metadata", "[1]")]).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let listed = call(&app, &key, "GET", "/documents?externalId=doc-7", None).await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["id"], up_id.as_str());
    let r = call(&app, &key, "PATCH", &format!("/documents/{up_id}"), Some(json!({ "externalId": "doc-8" }))).await;
    assert_eq!((r.status, r.json()["externalId"].as_str()), (200, Some("doc-8")), "{}", r.body);
    assert_eq!(r.json()["metadata"]["kind"], "근로계약", "absent keys stay");
    // Another organization sees neither the document nor its reference.
    assert_eq!(call(&app, &stranger, "PATCH", &format!("/documents/{up_id}"), Some(json!({ "externalId": "x" }))).await.status, 404);
    assert_eq!(call(&app, &stranger, "GET", "/documents?externalId=doc-8", None).await.json()["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn lists_filter_by_status_recipient_subject_and_time_and_page_by_cursor() {
    let app = spawn().start().await;
    let key = key_for(&app, "lists").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(draft(&app, &key).await.0);
    }
    let doc = upload_with(&app, &key, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let special = call(
        &app,
        &key,
        "POST",
        "/envelopes",
        Some(json!({ "subject": "임대차 계약 100%_완료", "documentIds": [doc], "recipients": [{ "email": "Tenant@Example.com", "name": "박지호" }] })),
    )
    .await;
    assert_eq!(special.status, 201, "{}", special.body);
    let special = special.json()["id"].as_str().unwrap().to_owned();
    call(&app, &key, "POST", &format!("/envelopes/{}/send", ids[0]), None).await;

    let ids_of = |v: &Value| v["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    // Cursor paging: every envelope exactly once, newest first.
    let mut seen = Vec::new();
    let mut path = "/envelopes?limit=2".to_owned();
    loop {
        let page = call(&app, &key, "GET", &path, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        seen.extend(ids_of(&page));
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(page["hasMore"], true);
                path = format!("/envelopes?limit=2&cursor={next}");
            }
            None => break,
        }
    }
    let mut all = ids.clone();
    all.push(special.clone());
    all.reverse();
    assert_eq!(seen, all);

    let get = |q: &str| {
        let (app, key, q) = (&app, &key, q.to_owned());
        async move { call(app, key, "GET", &format!("/envelopes?{q}"), None).await }
    };
    assert_eq!(ids_of(&get("status=sent").await.json()), vec![ids[0].clone()]);
    assert_eq!(ids_of(&get("recipientEmail=tenant%40example.com").await.json()), vec![special.clone()]);
    assert_eq!(ids_of(&get("q=%EC%9E%84%EB%8C%80%EC%B0%A8").await.json()), vec![special.clone()], "Korean words of the subject");
    assert_eq!(ids_of(&get("q=100%25_").await.json()), vec![special.clone()], "wildcards are literal");
    assert_eq!(ids_of(&get("q=1%25").await.json()).len(), 0, "a literal %, not any text");
    assert_eq!(ids_of(&get("createdAfter=2999-01-01T00:00:00Z").await.json()).len(), 0);
    assert_eq!(ids_of(&get("createdBefore=2999-01-01T09:00:00%2B09:00&updatedAfter=2000-01-01T00:00:00Z").await.json()).len(), 6);

    let long_q = format!("q={}", "가".repeat(201));
    let long_id = format!("externalId={}", "x".repeat(256));
    for (q, field) in [
        ("cursor=bm9wZQ", "cursor"),
        ("cursor=%21%21", "cursor"),
        ("createdAfter=yesterday", "createdAfter"),
        ("limit=0", "limit"),
        (long_q.as_str(), "q"),
        (long_id.as_str(), "externalId"),
    ] {
        let r = get(q).await;
        assert_eq!((r.status, r.code().as_str()), (422, "VALIDATION_FAILED"), "{q}: {}", r.body);
        assert_eq!(r.json()["fields"][0]["field"], field, "{q}");
    }
    let first = get("limit=2").await.json();
    let r = get(&format!("cursor={}&offset=2", first["next"].as_str().unwrap())).await;
    assert_eq!(r.status, 422, "a cursor or an offset: {}", r.body);

    // A cursor only narrows the caller's own scope: another organization's cursor shows it nothing.
    let stranger = key_for(&app, "lists-other").await;
    let r = call(&app, &stranger, "GET", &format!("/envelopes?cursor={}", first["next"].as_str().unwrap()), None).await;
    assert_eq!((r.status, r.json()["data"].as_array().unwrap().len()), (200, 0));

    // Documents page the same way.
    let docs = call(&app, &key, "GET", "/documents?limit=4", None).await.json();
    let rest = call(&app, &key, "GET", &format!("/documents?limit=100&cursor={}", docs["next"].as_str().unwrap()), None).await.json();
    assert_eq!(docs["data"].as_array().unwrap().len() + rest["data"].as_array().unwrap().len(), 6);
    assert_eq!(rest["next"], Value::Null);
}

#[tokio::test]
async fn delete_voids_a_sent_envelope_and_deletes_a_draft_and_remind_sends_a_fresh_link() {
    let app = spawn().start().await;
    let key = key_for(&app, "life").await;

    let (draft_id, _) = draft(&app, &key).await;
    let r = call(&app, &key, "DELETE", &format!("/envelopes/{draft_id}"), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(call(&app, &key, "GET", &format!("/envelopes/{draft_id}"), None).await.status, 404);

    let (id, _) = draft(&app, &key).await;
    let r = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "reminderDays": 3 }))).await;
    assert_eq!(r.json()["reminderDays"], 3);
    let r = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "reminderDays": 99 }))).await;
    assert_eq!((r.status, r.json()["fields"][0]["field"].as_str()), (422, Some("reminderDays")), "{}", r.body);
    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.json()["envelope"]["reminderDays"], 3, "sending through the API keeps the reminders");
    let first = sign_urls(&sent.json())[0].rsplit('/').next().unwrap().to_owned();

    // Remind: the signer whose turn it is (sequential: the first) gets a fresh link; not twice an hour.
    let mails = |kind: &'static str| {
        let (db, id) = (app.db.clone(), id.clone());
        async move {
            sqlx::query_scalar::<_, String>("SELECT text FROM emails WHERE envelope_id = $1 AND kind = $2")
                .bind(id)
                .bind(kind)
                .fetch_all(db.pool())
                .await
                .unwrap()
        }
    };
    let r = call(&app, &key, "POST", &format!("/envelopes/{id}/remind"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let minjun = sent.json()["recipients"][0]["recipientId"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["reminded"], json!([minjun]));
    let reminders = mails("reminder").await;
    assert_eq!(reminders.len(), 1);
    let token = crate::smtp::Mail { to: String::new(), subject: String::new(), text: reminders[0].clone(), html: String::new(), attachments: vec![] }.token();
    assert_ne!(token, first, "a fresh link");
    assert_eq!(app.new_browser().call("sign/view", &[("token", &token)]).await.status, 200);
    let r = call(&app, &key, "POST", &format!("/envelopes/{id}/remind"), None).await;
    assert_eq!(r.json()["reminded"], json!([]), "{}", r.body);
    assert_eq!(mails("reminder").await.len(), 1);

    // Void: cancelled, every link stops working, the invited are told.
    let r = call(&app, &key, "DELETE", &format!("/envelopes/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "cancelled");
    let view = app.new_browser().call("sign/view", &[("token", &first)]).await;
    assert!(view.body.contains("cancelled") || view.body.contains("Cancelled"), "{}", view.body);
    assert_eq!(mails("cancelled").await.len(), 1, "the invited signer is told");
    let r = call(&app, &key, "DELETE", &format!("/envelopes/{id}"), None).await;
    assert!(r.status == 409 || r.status == 410, "{}", r.body);
    let r = call(&app, &key, "POST", &format!("/envelopes/{id}/remind"), None).await;
    assert_eq!(r.code(), "ENVELOPE_CANCELLED", "{}", r.body);
}

#[tokio::test]
async fn signing_links_are_minted_on_demand_short_lived_and_only_for_ones_own_envelopes() {
    let app = spawn().var("DOJANG_SWEEP_SECONDS", "1").start().await;
    let key = key_for(&app, "links").await;
    let (id, _) = draft(&app, &key).await;
    let e = envelope(&app, &key, &id).await;
    let rid = e["recipients"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/envelopes/{id}/recipients/{rid}/signing-link");
    let r = call(&app, &key, "POST", &path, None).await;
    assert_eq!(r.code(), "ENVELOPE_NOT_SENT", "{}", r.body);

    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    let emailed = sign_urls(&sent.json())[0].rsplit('/').next().unwrap().to_owned();
    let r = call(&app, &key, "POST", &path, Some(json!({ "expiresIn": 300 }))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let url = r.json()["signUrl"].as_str().unwrap().to_owned();
    assert!(url.contains("/sign/"), "{url}");
    let token = url.rsplit('/').next().unwrap().to_owned();
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    let until = dojang_core::infra::db::Timestamp::parse(r.json()["expiresAt"].as_str().unwrap()).unwrap();
    let left = until.unix_seconds() - dojang_core::infra::db::Timestamp::now().unix_seconds();
    assert!((290..=300).contains(&left), "{left}");
    assert_eq!(app.new_browser().call("sign/view", &[("token", &token)]).await.status, 200);
    assert_eq!(app.new_browser().call("sign/view", &[("token", &emailed)]).await.status, 200, "the emailed link still works");

    // Once its time is up it opens nothing.
    // (A minute ago, not long ago: the sweeper, running every second here, must not remove it yet.)
    let minute_ago = dojang_core::infra::db::Timestamp::now().plus(time::Duration::minutes(-1)).to_db();
    sqlx::query("UPDATE signing_links SET expires_at = $1 WHERE expires_at IS NOT NULL").bind(minute_ago).execute(app.db.pool()).await.unwrap();
    assert_eq!(app.new_browser().call("sign/view", &[("token", &token)]).await.code(), "SIGNING_LINK_INVALID");

    // revokeOthers retires every earlier link, the emailed one too.
    let r = call(&app, &key, "POST", &path, Some(json!({ "revokeOthers": true }))).await;
    let newest = r.json()["signUrl"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(app.new_browser().call("sign/view", &[("token", &emailed)]).await.code(), "SIGNING_LINK_INVALID");
    assert_eq!(app.new_browser().call("sign/view", &[("token", &newest)]).await.status, 200);

    for (body, field) in [(json!({ "expiresIn": 10 }), "expiresIn"), (json!({ "expiresIn": 99_999_999 }), "expiresIn")] {
        let r = call(&app, &key, "POST", &path, Some(body)).await;
        assert_eq!((r.status, r.json()["fields"][0]["field"].as_str()), (422, Some(field)), "{}", r.body);
    }
    let r = call(&app, &key, "POST", &format!("/envelopes/{id}/recipients/{}/signing-link", "0".repeat(32)), None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    // Another organization's key, and the test key of the same organization, cannot.
    let stranger = key_for(&app, "links-other").await;
    assert_eq!(call(&app, &stranger, "POST", &path, None).await.status, 404);
    let test = org_with_key(&app, "links-test", Mode::Test).await.key;
    assert_eq!(call(&app, &test, "POST", &path, None).await.status, 404);

    // Ended links do not pile up: the sweeper removes them a day after they ended.
    let now = dojang_core::infra::db::Timestamp::now().to_db();
    let aged = sqlx::query(
        "UPDATE signing_links SET revoked_at = CASE WHEN revoked_at IS NULL THEN NULL ELSE '2000-01-01T00:00:00.000Z' END, \
         expires_at = CASE WHEN expires_at < $1 THEN '2000-01-01T00:00:00.000Z' ELSE expires_at END \
         WHERE revoked_at IS NOT NULL OR expires_at < $1",
    )
    .bind(&now)
    .execute(app.db.pool())
    .await
    .unwrap()
    .rows_affected();
    assert!(aged >= 2, "the expired and the retired links: {aged}");
    let ended = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM signing_links WHERE revoked_at IS NOT NULL OR expires_at < $1")
            .bind(&now)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };
    let t = Instant::now();
    while ended().await > 0 {
        assert!(t.elapsed() < Duration::from_secs(20), "ended links are swept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.new_browser().call("sign/view", &[("token", &newest)]).await.status, 200, "the live link stays");

    // A client token mints links for its own envelopes only.
    let token_of = |external: &'static str| {
        let (app, key) = (&app, &key);
        async move {
            let c = call(app, key, "POST", "/clients", Some(json!({ "externalId": external, "name": "정하늘", "email": format!("{external}@example.com") })))
                .await
                .json();
            call(app, key, "POST", "/auth/client-token", Some(json!({ "clientId": c["id"] }))).await.json()["clientToken"].as_str().unwrap().to_owned()
        }
    };
    let (mine, theirs) = (token_of("c-1").await, token_of("c-2").await);
    let (own, _) = draft(&app, &mine).await;
    assert_eq!(call(&app, &mine, "POST", &format!("/envelopes/{own}/send"), None).await.status, 200);
    let own_rid = envelope(&app, &mine, &own).await["recipients"][0]["id"].as_str().unwrap().to_owned();
    let own_path = format!("/envelopes/{own}/recipients/{own_rid}/signing-link");
    assert_eq!(call(&app, &mine, "POST", &own_path, None).await.status, 200);
    assert_eq!(call(&app, &theirs, "POST", &own_path, None).await.status, 404, "another client's envelope");
    assert_eq!(call(&app, &mine, "POST", &path, None).await.status, 404, "the integrator's own envelope");

    // A signed recipient gets no new link.
    sign_as(&app, &id, &format!("/sign/{newest}"), "minjun@example.com").await;
    let r = call(&app, &key, "POST", &path, None).await;
    assert_eq!(r.code(), "ALREADY_SIGNED", "{}", r.body);
}

#[tokio::test]
async fn every_timestamp_the_events_the_audit_trail_at_every_state_originals_and_a_zip() {
    let app = spawn().start().await;
    let key = key_for(&app, "trail").await;
    let (id, doc) = draft(&app, &key).await;
    // A second document makes the ZIP worth having.
    let second = upload_with(&app, &key, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let r = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "documentIds": [doc, second] }))).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The original downloads as uploaded.
    let (status, headers, bytes) = app.get_bytes(&format!("/api/v1/documents/{doc}/file")).await;
    assert_eq!(status, 401, "the API needs a credential: {headers:?}");
    drop(bytes);
    let res = app.client.get(app.url(&format!("/api/v1/documents/{doc}/file"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.bytes().await.unwrap().to_vec(), fixture(PDF));

    // The interim audit trail of a draft, then of a sent envelope.
    let trail = |id: String| {
        let (app, key) = (&app, &key);
        async move {
            let res = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/audit-trail"))).bearer_auth(key).send().await.unwrap();
            let kind = res.headers().get("dojang-audit-trail").map(|v| v.to_str().unwrap().to_owned());
            (res.status().as_u16(), kind, res.bytes().await.unwrap().to_vec())
        }
    };
    let (status, kind, pdf) = trail(id.clone()).await;
    assert_eq!((status, kind.as_deref()), (200, Some("interim")));
    assert!(pdf.starts_with(b"%PDF-"));
    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    let urls = sign_urls(&sent.json());
    let e = envelope(&app, &key, &id).await;
    assert!(e["recipients"][0]["sentAt"].is_string());
    assert_eq!(e["recipients"][0]["viewedAt"], Value::Null);
    assert_eq!(e["recipients"][0]["consentedAt"], Value::Null);
    assert_eq!(e["recipients"][0]["verifiedAt"], Value::Null);

    // Opening the signing page sets viewedAt; consenting sets consentedAt.
    let token = urls[0].rsplit('/').next().unwrap();
    let signer = app.new_browser();
    let page = signer.get(&format!("/sign/{token}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(signer.call("sign/opened", &[("token", token)]).await.status, 200);
    let e = envelope(&app, &key, &id).await;
    assert!(e["recipients"][0]["viewedAt"].is_string(), "{e}");
    assert_eq!(e["recipients"][0]["status"], "viewed");
    assert_eq!(signer.call("sign/consent", &[("token", token)]).await.status, 200);
    assert!(envelope(&app, &key, &id).await["recipients"][0]["consentedAt"].is_string());

    let events = call(&app, &key, "GET", &format!("/envelopes/{id}/events"), None).await;
    assert_eq!(events.status, 200, "{}", events.body);
    let events = events.json();
    assert_eq!(events["auditIntegrity"]["intact"], true);
    let kinds: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"envelope.created"), "{kinds:?}");
    assert!(kinds.contains(&"envelope.sent") && kinds.contains(&"recipient.viewed"), "{kinds:?}");
    assert_eq!(events["data"].as_array().unwrap().len() as i64, events["auditIntegrity"]["events"].as_i64().unwrap());
    let (status, kind, _) = trail(id.clone()).await;
    assert_eq!((status, kind.as_deref()), (200, Some("interim")));
    let r = call(&app, &key, "GET", &format!("/envelopes/{id}/signed-documents"), None).await;
    assert_eq!(r.status, 404, "no ZIP before it is sealed: {}", r.body);

    sign_as(&app, &id, &urls[0], "minjun@example.com").await;
    sign_as(&app, &id, &urls[1], "seoyeon@example.com").await;
    let e = completed(&app, &key, &id).await;
    for r in e["recipients"].as_array().unwrap() {
        assert!(r["signedAt"].is_string() && r["consentedAt"].is_string() && r["viewedAt"].is_string(), "{r}");
    }
    for d in e["documents"].as_array().unwrap() {
        assert!(d["sealedAt"].is_string() && d["sealedSha256"].is_string(), "{d}");
    }
    let (status, kind, sealed_trail) = trail(id.clone()).await;
    assert_eq!((status, kind.as_deref()), (200, Some("sealed")));

    // The ZIP: each sealed document (as its own download) and the audit trail.
    let res = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/signed-documents"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let zip_bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    assert_eq!(zip.len(), 3);
    let mut names = Vec::new();
    for (i, d) in e["documents"].as_array().unwrap().iter().enumerate() {
        let mut entry = zip.by_index(i).unwrap();
        names.push(entry.name().to_owned());
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        assert_eq!(dojang_core::document::sha256_hex(&bytes), d["sealedSha256"].as_str().unwrap());
    }
    assert_ne!(names[0], names[1], "two documents of one name get two names: {names:?}");
    let mut trail_entry = Vec::new();
    zip.by_index(2).unwrap().read_to_end(&mut trail_entry).unwrap();
    assert_eq!(trail_entry, sealed_trail);
    // Another organization gets none of it.
    let stranger = key_for(&app, "trail-other").await;
    for path in [
        format!("/envelopes/{id}/signed-documents"),
        format!("/envelopes/{id}/events"),
        format!("/envelopes/{id}/audit-trail"),
        format!("/documents/{doc}/file"),
    ] {
        assert_eq!(call(&app, &stranger, "GET", &path, None).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn usage_says_which_mode_the_key_is() {
    let app = spawn().start().await;
    let live = org_with_key(&app, "usage-live", Mode::Live).await.key;
    let test = org_with_key(&app, "usage-test", Mode::Test).await.key;
    assert_eq!(call(&app, &live, "GET", "/usage", None).await.json()["mode"], "live");
    assert_eq!(call(&app, &test, "GET", "/usage", None).await.json()["mode"], "test");
}

#[tokio::test]
async fn keys_are_managed_over_the_api_and_their_scopes_bind_every_route() {
    let app = spawn().start().await;
    let root = org_with_key(&app, "scopes", Mode::Live).await;
    let admin =
        call(&app, &root.key, "POST", "/auth/admin-token", Some(json!({ "secret": root.secret }))).await.json()["adminToken"].as_str().unwrap().to_owned();

    // Made by an admin token, shown once, listed with its scopes and mode.
    let made = call(&app, &admin, "POST", "/keys", Some(json!({ "name": "리포트", "scopes": ["read"] }))).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let read = made.json();
    assert_eq!(read["scopes"], json!(["read"]));
    assert_eq!(read["mode"], "live");
    let read_key = read["key"].as_str().unwrap().to_owned();
    let listed = call(&app, &admin, "GET", "/keys", None).await.json();
    let row = listed["data"].as_array().unwrap().iter().find(|k| k["id"] == read["id"]).unwrap().clone();
    assert_eq!(row["name"], "리포트");
    assert!(row.get("key").is_none() && row.get("secret").is_none(), "shown once: {row}");
    for bad in [json!({ "scopes": [] }), json!({ "scopes": ["admin"] })] {
        let r = call(&app, &admin, "POST", "/keys", Some(bad)).await;
        assert_eq!(r.status, 422, "{}", r.body);
    }

    // A read-only key reads and changes nothing.
    let (id, _) = draft(&app, &root.key).await;
    assert_eq!(call(&app, &read_key, "GET", &format!("/envelopes/{id}"), None).await.status, 200);
    assert_eq!(call(&app, &read_key, "GET", "/documents", None).await.status, 200);
    for (method, path, body) in [
        ("POST", format!("/envelopes/{id}/send"), None),
        ("PATCH", format!("/envelopes/{id}"), Some(json!({ "metadata": {} }))),
        ("DELETE", format!("/envelopes/{id}"), None),
        ("POST", "/webhooks".to_owned(), Some(json!({ "url": "https://example.com/h", "events": ["envelope.sent"] }))),
        ("GET", "/keys".to_owned(), None),
        ("POST", "/keys".to_owned(), Some(json!({ "scopes": ["read"] }))),
        ("PUT", "/embedding".to_owned(), Some(json!({ "allowedOrigins": [] }))),
    ] {
        let r = call(&app, &read_key, method, &path, body).await;
        assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"), "{method} {path}: {}", r.body);
    }
    assert_eq!(crate::rest::upload(&app, &read_key, PDF, &[]).await.status, 403);
    assert_eq!(envelope(&app, &root.key, &id).await["status"], "draft", "nothing was changed");
    // Its admin token carries the same scopes.
    let read_secret = read["secret"].as_str().unwrap();
    let read_admin = call(&app, &read_key, "POST", "/auth/admin-token", Some(json!({ "secret": read_secret }))).await;
    assert_eq!(read_admin.status, 200, "{}", read_admin.body);
    let read_admin = read_admin.json()["adminToken"].as_str().unwrap().to_owned();
    assert_eq!(call(&app, &read_admin, "POST", &format!("/envelopes/{id}/send"), None).await.status, 403);
    assert_eq!(call(&app, &read_admin, "GET", &format!("/envelopes/{id}"), None).await.status, 200);

    // A documents key uploads but touches no envelope, webhook or key.
    let docs_key = call(&app, &admin, "POST", "/keys", Some(json!({ "scopes": ["documents"] }))).await.json()["key"].as_str().unwrap().to_owned();
    assert_eq!(crate::rest::upload(&app, &docs_key, PDF, &[]).await.status, 201);
    assert_eq!(call(&app, &docs_key, "GET", &format!("/envelopes/{id}"), None).await.status, 403);
    assert_eq!(call(&app, &docs_key, "GET", "/webhooks", None).await.status, 403);

    // Client tokens never manage keys.
    let client = call(&app, &root.key, "POST", "/clients", Some(json!({ "externalId": "u-1", "name": "최유나", "email": "yuna@example.com" }))).await.json();
    let token =
        call(&app, &root.key, "POST", "/auth/client-token", Some(json!({ "clientId": client["id"] }))).await.json()["clientToken"].as_str().unwrap().to_owned();
    for (method, path) in [("GET", "/keys"), ("POST", "/keys")] {
        let r = call(&app, &token, method, path, Some(json!({}))).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
    }

    // A test key sees and makes test keys only.
    let test = org_with_key(&app, "scopes-test", Mode::Test).await;
    let made = call(&app, &test.key, "POST", "/keys", None).await.json();
    assert_eq!(made["mode"], "test");
    assert!(made["key"].as_str().unwrap().starts_with("dj_test_"));
    assert!(call(&app, &test.key, "GET", "/keys", None).await.json()["data"].as_array().unwrap().iter().all(|k| k["mode"] == "test"));

    // Revoked: the key and its tokens stop at once; others' keys cannot be revoked.
    let r = call(&app, &admin, "DELETE", &format!("/keys/{}", read["id"].as_str().unwrap()), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(call(&app, &read_key, "GET", "/documents", None).await.status, 401);
    assert_eq!(call(&app, &read_admin, "GET", "/documents", None).await.status, 401);
    assert_eq!(call(&app, &test.key, "DELETE", &format!("/keys/{}", root.id), None).await.status, 404);
    assert_eq!(call(&app, &root.key, "GET", "/documents", None).await.status, 200);
}

/// Revokes the key `id` in the database behind the app's back, as another instance sharing it would.
async fn revoke_elsewhere(app: &TestApp, id: &str) {
    let now = dojang_core::infra::db::Timestamp::now().to_db();
    let n = sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1").bind(id).bind(&now).execute(app.db.pool()).await.unwrap().rows_affected();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_key_revoked_by_another_process_is_refused_when_its_cached_entry_lapses_and_at_once_without_the_cache() {
    // A key found active is believed for the cache's lifetime (the SQLite default is 60 s).
    let app = spawn().var("DOJANG_API_KEY_CACHE_SECONDS", "3").start().await;
    let k = org_with_key(&app, "cache-one", Mode::Live).await;
    assert_eq!(call(&app, &k.key, "GET", "/usage", None).await.status, 200);
    let revoked = Instant::now();
    revoke_elsewhere(&app, k.id.as_str()).await;
    assert_eq!(call(&app, &k.key, "GET", "/usage", None).await.status, 200, "still believed: the cache is in use");
    loop {
        let status = call(&app, &k.key, "GET", "/usage", None).await.status;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(revoked.elapsed() < Duration::from_secs(8), "refused once the entry lapsed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(revoked.elapsed() >= Duration::from_secs(2), "{:?}", revoked.elapsed());

    // Without the cache (the PostgreSQL default: instances revoke for each other), every
    // request reads the key's row.
    let shared = spawn().var("DOJANG_API_KEY_CACHE_SECONDS", "0").start().await;
    let k = org_with_key(&shared, "cache-shared", Mode::Live).await;
    assert_eq!(call(&shared, &k.key, "GET", "/usage", None).await.status, 200);
    revoke_elsewhere(&shared, k.id.as_str()).await;
    assert_eq!(call(&shared, &k.key, "GET", "/usage", None).await.status, 401);
}

#[tokio::test]
async fn signers_without_fields_sign_on_an_appended_signature_page_that_is_sealed_like_any_other() {
    let app = spawn().start().await;
    let key = key_for(&app, "fieldless").await;
    let docs: Vec<String> = {
        let mut v = Vec::new();
        for _ in 0..2 {
            v.push(upload_with(&app, &key, &[]).await.json()["id"].as_str().unwrap().to_owned());
        }
        v
    };
    // Certyneo's quick start: subject, documents, recipients — no fields.
    let created = call(
        &app,
        &key,
        "POST",
        "/envelopes",
        Some(json!({
            "subject": "용역 계약서",
            "documentIds": docs,
            "recipients": [
                { "email": "minjun@example.com", "name": "김민준", "role": "SIGNER" },
                { "email": "viewer@example.com", "name": "열람자", "role": "VIEWER" },
                { "email": "seoyeon@example.com", "name": "이서연", "role": "SIGNER" },
            ],
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents").fetch_one(app.db.pool()).await.unwrap();
    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let e = sent.json()["envelope"].clone();
    let documents = e["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 3, "the signature page is appended: {e}");
    let page_doc = documents[2]["id"].as_str().unwrap().to_owned();
    assert!(documents[2]["name"].as_str().unwrap().contains("서명"), "{}", documents[2]["name"]);
    let fields = e["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 4, "a signature and a date for each signer, none for the viewer: {fields:?}");
    for email in ["minjun@example.com", "seoyeon@example.com"] {
        let mine: Vec<&Value> = fields.iter().filter(|f| f["recipient"] == email).collect();
        let kinds: Vec<&str> = mine.iter().map(|f| f["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["signature", "date"], "{email}");
        assert!(mine.iter().all(|f| f["document"] == page_doc.as_str()));
    }
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM documents").fetch_one(app.db.pool()).await.unwrap(), before + 1);

    // A send that fails (the month's quota is used up) leaves no signature page behind.
    let bad = call(
        &app,
        &key,
        "POST",
        "/envelopes",
        Some(json!({ "subject": "x", "documentIds": [docs[0]], "recipients": [{ "email": "a@example.com", "name": "한 명" }] })),
    )
    .await;
    let bad = bad.json()["id"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE organizations SET monthly_quota = 1").execute(app.db.pool()).await.unwrap();
    let keys_before = app.stored_keys("documents/").await.len();
    let r = call(&app, &key, "POST", &format!("/envelopes/{bad}/send"), None).await;
    assert_eq!(r.code(), "QUOTA_EXCEEDED", "{}", r.body);
    assert_eq!(envelope(&app, &key, &bad).await["documents"].as_array().unwrap().len(), 1);
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM documents").fetch_one(app.db.pool()).await.unwrap(), before + 1);
    assert_eq!(app.stored_keys("documents/").await.len(), keys_before, "no stored original left behind");

    // Each signer signs on the page; the envelope is sealed and verifies.
    let links = sent.json()["recipients"].as_array().unwrap().clone();
    for email in ["minjun@example.com", "seoyeon@example.com"] {
        let link = links.iter().find(|l| l["email"] == email).unwrap()["signUrl"].as_str().unwrap().to_owned();
        let token = link.rsplit('/').next().unwrap().to_owned();
        let signer = app.new_browser();
        assert_eq!(signer.call("sign/view", &[("token", &token)]).await.status, 200);
        assert_eq!(signer.call("sign/consent", &[("token", &token)]).await.status, 200);
        let signature_field = fields.iter().find(|f| f["recipient"] == email && f["type"] == "signature").unwrap()["id"].as_str().unwrap().to_owned();
        let r = signer
            .call_json(
                "sign/submit",
                json!({ "token": token, "submission": { "fields": [{ "field_id": signature_field, "signature": 0 }], "signatures": [crate::signing::drawing("pen", true)] } }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let done = completed(&app, &key, &id).await;
    let sealed = done["documents"][2]["sealedSha256"].as_str().unwrap().to_owned();
    let res = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/signed-document?document={page_doc}"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let pdf = res.bytes().await.unwrap().to_vec();
    assert_eq!(dojang_core::document::sha256_hex(&pdf), sealed);
    // The page's own text survives the stamp of the signatures (pdftotext from poppler).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("page.pdf"), &pdf).unwrap();
    let text = std::process::Command::new("pdftotext").arg(dir.path().join("page.pdf")).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    for words in ["Signatures · 서명", "용역 계약서", "김민준", "seoyeon@example.com", "Signature · 서명", "Date · 날짜"] {
        assert!(text.contains(words), "{words:?} in {text}");
    }
    let part = reqwest::multipart::Part::bytes(pdf).file_name("sealed.pdf").mime_str("application/pdf").unwrap();
    let verified = app.client.post(app.url("/api/v1/verify")).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    let verified: Value = verified.json().await.unwrap();
    assert_eq!(verified["intact"], true, "{verified}");
    let events = call(&app, &key, "GET", &format!("/envelopes/{id}/events"), None).await.json();
    assert_eq!(events["data"].as_array().unwrap().iter().filter(|e| e["type"] == "recipient.signed").count(), 2);
}
