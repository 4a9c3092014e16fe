//! Isolation inside one organization: embedded client users never reach each other's
//! contracts, documents or page images through the web app's functions and `/_app` routes;
//! an embed session of a test key never reaches live data, nor a signed-in user test data;
//! and an embed session never takes over a browser that is signed in (session fixation).

use crate::helpers::{fixture, spawn_app, Account, Browser, Reply, TestApp};
use crate::rest::{call, upload as api_upload};
use dojang_core::api::keys;
use dojang_core::model::Mode;
use serde_json::{json, Value};

const PDF: &str = "basic__002-trivial-libre-office-writer.pdf";
const HOST: &str = "https://host.example";

/// An organization signed up in `owner`, with a live and a test key, embedding allowed from HOST.
struct Org {
    owner: Browser,
    live: String,
    test: String,
}

async fn org(app: &TestApp, tag: &str) -> Org {
    let owner = Browser::new(app);
    let a = Account::unique(tag);
    assert!(owner.sign_up(&a).await.status < 400);
    let id = dojang_core::accounts::find_organization_by_name(&app.db, &a.org).await.unwrap().unwrap();
    let live = keys::create(&app.db, &id, Mode::Live, "live").await.unwrap().key;
    let test = keys::create(&app.db, &id, Mode::Test, "test").await.unwrap().key;
    for key in [&live, &test] {
        let r = call(app, key, "PUT", "/embedding", Some(json!({ "allowedOrigins": [HOST] }))).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    Org { owner, live, test }
}

/// A client user of `key`'s integrator with an embed session in a fresh browser.
async fn embedded(app: &TestApp, key: &str, external_id: &str) -> Browser {
    let c =
        call(app, key, "POST", "/clients", Some(json!({ "externalId": external_id, "name": "김하늘", "email": format!("{external_id}@example.com") }))).await;
    assert!(c.status < 300, "{}", c.body);
    let t = call(app, key, "POST", "/auth/client-token", Some(json!({ "clientId": c.json()["id"] }))).await;
    let token = t.json()["clientToken"].as_str().unwrap().to_owned();
    let mut b = Browser::new(app);
    b.embedded = true;
    let r = b.get(&format!("/contract/upload?token={token}")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(b.cookie("dojang_embed").is_some(), "the exchange gave the browser an embed session");
    b
}

/// A draft made in `b` with one document and a recipient; returns (contract, document).
async fn contract_of(b: &Browser, recipient_email: &str) -> (String, String) {
    let up = b.upload(None, "비밀계약서.pdf", fixture(PDF)).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let (contract, doc) = (up.json()["contractId"].as_str().unwrap().to_owned(), up.json()["document"]["id"].as_str().unwrap().to_owned());
    let rid = format!("{:032x}", uuid::Uuid::new_v4().as_u128());
    let csrf = b.csrf().await;
    let recipients = json!([{ "id": rid, "name": "피해자", "email": recipient_email, "role": "signer", "order": 1 }]);
    let r = b.call_json("contracts/save", json!({ "csrf": csrf, "id": contract, "version": 1, "recipients": recipients, "fields": [] })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (contract, doc)
}

/// Every web-app function and `/_app` route the editor has, aimed at `contract`/`doc` by a
/// browser that must not see them: each answers 404, never 403, and reveals nothing.
async fn every_route_is_not_found(b: &Browser, contract: &str, doc: &str, secret: &str) {
    let csrf = b.csrf().await;
    let list = b.call("contracts/list", &[]).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(!list.body.contains(contract) && !list.body.contains(secret), "the list leaks: {}", list.body);
    let attempts: Vec<(&str, Reply)> = vec![
        ("get", b.call("contracts/get", &[("id", contract)]).await),
        ("save", b.call_json("contracts/save", json!({ "csrf": csrf, "id": contract, "version": 2, "recipients": [], "fields": [] })).await),
        ("rename", b.call("contracts/rename", &[("csrf", &csrf), ("id", contract), ("name", "빼앗김")]).await),
        ("delete", b.call("contracts/delete", &[("csrf", &csrf), ("id", contract)]).await),
        ("reorder", b.call_json("contracts/reorder_documents", json!({ "csrf": csrf, "id": contract, "order": [doc] })).await),
        ("remove", b.call("contracts/remove_document", &[("csrf", &csrf), ("id", contract), ("document_id", doc)]).await),
        ("page", b.get(&format!("/_app/documents/{doc}/pages/0")).await),
        ("thumb", b.get(&format!("/_app/documents/{doc}/pages/0?size=thumb")).await),
        ("upload into", b.upload(Some(contract), "x.pdf", fixture(PDF)).await),
    ];
    for (what, r) in attempts {
        assert_eq!(r.status, 404, "{what}: {} {}", r.status, r.body);
        assert_eq!(r.code(), "NOT_FOUND", "{what}");
        assert!(!r.body.contains(secret), "{what} leaks: {}", r.body);
    }
}

async fn name_and_recipients(b: &Browser, contract: &str) -> (String, Value) {
    let c = b.call("contracts/get", &[("id", contract)]).await;
    assert_eq!(c.status, 200, "{}", c.body);
    let j = c.json();
    (j["name"].as_str().unwrap().to_owned(), j["recipients"].clone())
}

#[tokio::test]
async fn an_embedded_client_never_reaches_another_clients_contracts() {
    let app = spawn_app().await;
    let o = org(&app, "two-clients").await;
    let alice = embedded(&app, &o.live, "alice").await;
    let bob = embedded(&app, &o.live, "bob").await;
    let (contract, doc) = contract_of(&alice, "alice-secret@example.com").await;
    let before = name_and_recipients(&alice, &contract).await;

    every_route_is_not_found(&bob, &contract, &doc, "alice-secret@example.com").await;

    assert_eq!(name_and_recipients(&alice, &contract).await, before, "Alice's draft is as she left it");
    assert_eq!(alice.get(&format!("/_app/documents/{doc}/pages/0")).await.status, 200, "her own page image she sees");
    // Bob works on his own contracts all the same.
    let (own, _) = contract_of(&bob, "bob-own@example.com").await;
    let list = bob.call("contracts/list", &[]).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], own.as_str());
    // The organization's signed-in user sees both (as its live API key does).
    let owner_list = o.owner.call("contracts/list", &[]).await.body;
    assert!(owner_list.contains(&contract) && owner_list.contains(&own));
}

#[tokio::test]
async fn test_mode_and_live_mode_never_see_each_other_in_the_web_app() {
    let app = spawn_app().await;
    let o = org(&app, "modes").await;
    // Live data: a contract of a live client user and one of the signed-in user.
    let alice = embedded(&app, &o.live, "alice").await;
    let (live_contract, live_doc) = contract_of(&alice, "live-secret@example.com").await;
    let (owner_contract, owner_doc) = contract_of(&o.owner, "owner-secret@example.com").await;
    // An embed session made with the test key (a client registered in test mode).
    let tester = embedded(&app, &o.test, "alice").await;
    every_route_is_not_found(&tester, &live_contract, &live_doc, "live-secret@example.com").await;
    every_route_is_not_found(&tester, &owner_contract, &owner_doc, "owner-secret@example.com").await;

    // Test data, made through the test key, is invisible to the signed-in (live) user.
    let doc = api_upload(&app, &o.test, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let body =
        json!({ "subject": "테스트 계약", "documentIds": [doc], "recipients": [{ "email": "test-secret@example.com", "name": "테스트", "role": "SIGNER" }] });
    let env = call(&app, &o.test, "POST", "/envelopes", Some(body)).await.json()["id"].as_str().unwrap().to_owned();
    every_route_is_not_found(&o.owner, &env, &doc, "test-secret@example.com").await;
    let detail = o.owner.call("envelopes/get", &[("id", &env)]).await;
    assert_eq!((detail.status, detail.code()), (404, "NOT_FOUND".to_owned()), "{}", detail.body);
    let trail = o.owner.get(&format!("/_app/envelopes/{env}/audit-trail.pdf")).await;
    assert_eq!(trail.status, 404);
    let csrf = o.owner.csrf().await;
    let sent = o.owner.call_json("envelopes/send", json!({ "csrf": csrf, "id": env, "request": {} })).await;
    assert_eq!(sent.status, 404, "{}", sent.body);
    let cancel = o.owner.call("envelopes/cancel", &[("csrf", &csrf), ("id", &env), ("reason", "x")]).await;
    assert_eq!(cancel.status, 404, "{}", cancel.body);
}

#[tokio::test]
async fn an_embed_link_never_takes_over_a_signed_in_browser() {
    let app = spawn_app().await;
    let attacker = org(&app, "attacker").await;
    let c = call(&app, &attacker.live, "POST", "/clients", Some(json!({ "externalId": "trap", "name": "함정", "email": "trap@example.com" }))).await;
    let client = c.json()["id"].as_str().unwrap().to_owned();
    let token = || async {
        call(&app, &attacker.live, "POST", "/auth/client-token", Some(json!({ "clientId": client }))).await.json()["clientToken"].as_str().unwrap().to_owned()
    };

    // A signed-in victim follows the attacker's link: no embed session, a page that says why.
    let victim = Browser::new(&app);
    let account = Account::unique("victim");
    assert!(victim.sign_up(&account).await.status < 400);
    let r = victim.get(&format!("/contract/upload?token={}", token().await)).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("data-code=\"SIGNED_IN\""), "{}", r.body);
    assert!(victim.cookie("dojang_embed").is_none(), "no embed session was started");
    let up = victim.upload(None, "내 계약서.pdf", fixture(PDF)).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let mine = up.json()["contractId"].as_str().unwrap().to_owned();
    let org_of = |id: String| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT o.name FROM envelopes e JOIN organizations o ON o.id = e.organization_id WHERE e.id = $1")
                .bind(id)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    assert_eq!(org_of(mine).await, account.org, "the upload stays in the victim's organization");

    // A victim not signed in yet: the link leaves an embed session, then they sign in. The
    // signed-in user wins from the next request on and the embed session ends.
    let later = Browser::new(&app);
    let r = later.get(&format!("/contract/upload?token={}", token().await)).await;
    assert_eq!(r.status, 303);
    assert!(later.cookie("dojang_embed").is_some());
    assert_eq!(later.call("auth/current_user", &[]).await.json(), Value::Null, "an embed session is nobody on the app's other screens");
    let second = Account::unique("victim2");
    assert!(later.sign_up(&second).await.status < 400);
    let up = later.upload(None, "두번째.pdf", fixture(PDF)).await;
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(org_of(up.json()["contractId"].as_str().unwrap().to_owned()).await, second.org);
    assert!(later.cookie("dojang_embed").is_none(), "the embed cookie was cleared");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM embed_sessions WHERE client_id = $1").bind(&client).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(left, 0, "the signed-in victim never got one; the other ended when its browser signed in");
}
