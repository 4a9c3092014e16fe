//! Draft contracts: the editor's save (recipients + fields), versions, validation, documents,
//! naming, the list, and isolation between organizations.

use crate::helpers::{fixture, spawn_app, Account, TestApp};
use serde_json::{json, Value};

struct Draft {
    id: String,
    docs: Vec<String>,
}

async fn draft_with_two_documents(app: &TestApp) -> Draft {
    app.sign_up(&Account::unique("contracts")).await;
    let a = app.upload(None, "계약서.pdf", fixture("rotate-boxes__boxes.pdf")).await.json();
    let id = a["contractId"].as_str().unwrap().to_owned();
    let b = app.upload(Some(&id), "annex.pdf", fixture("basic__002-trivial-libre-office-writer.pdf")).await;
    assert_eq!(b.status, 201, "{}", b.body);
    let docs = vec![a["document"]["id"].as_str().unwrap().to_owned(), b.json()["document"]["id"].as_str().unwrap().to_owned()];
    Draft { id, docs }
}

fn hex_id(n: u8) -> String {
    format!("{:032x}", 0xabc0_0000_0000_0000_0000_0000_0000_0000u128 + n as u128)
}

fn recipient(n: u8, name: &str, email: &str, order: i64) -> Value {
    json!({ "id": hex_id(n), "name": name, "email": email, "role": "signer", "order": order })
}

fn field(n: u8, recipient: u8, doc: &str, page: u32, x: f64, kind: &str) -> Value {
    json!({
        "id": hex_id(100 + n), "recipient_id": hex_id(recipient), "document_id": doc, "page": page,
        "rect": { "x": x, "y": 0.5, "width": 0.2, "height": 0.05 }, "kind": kind, "required": true,
        "label": "", "placeholder": "", "options": if kind == "select" { json!(["A", "B"]) } else { json!([]) },
    })
}

async fn save(app: &TestApp, id: &str, version: i64, recipients: Value, fields: Value) -> crate::helpers::Reply {
    let csrf = app.csrf_token().await;
    app.call_json("contracts/save", json!({ "csrf": csrf, "id": id, "version": version, "recipients": recipients, "fields": fields })).await
}

async fn get(app: &TestApp, id: &str) -> Value {
    let r = app.call("contracts/get", &[("id", id)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[tokio::test]
async fn the_editor_saves_recipients_and_fields_and_reloads_them_exactly() {
    let app = spawn_app().await;
    let d = draft_with_two_documents(&app).await;
    let c = get(&app, &d.id).await;
    assert_eq!(c["name"], "계약서", "named after the first file");
    assert_eq!(c["status"], "draft");
    let docs: Vec<&str> = c["documents"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(docs, d.docs);

    let recipients = json!([recipient(1, "김철수", "chulsoo@example.com", 1), recipient(2, "Jane Doe", "JANE@example.com", 2)]);
    let fields =
        json!([field(1, 1, &d.docs[0], 0, 0.1, "signature"), field(2, 1, &d.docs[0], 2, 0.3333333333, "date"), field(3, 2, &d.docs[1], 0, 0.6, "select"),]);
    let r = save(&app, &d.id, c["version"].as_i64().unwrap(), recipients, fields.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: i64 = r.json().as_i64().unwrap();
    assert_eq!(v, c["version"].as_i64().unwrap() + 1);

    let c = get(&app, &d.id).await;
    assert_eq!(c["version"], v);
    assert_eq!(c["recipients"][0]["name"], "김철수");
    assert_eq!(c["recipients"][1]["email"], "jane@example.com", "emails are normalised");
    let saved = c["fields"].as_array().unwrap();
    assert_eq!(saved.len(), 3);
    assert_eq!(saved[1]["rect"]["x"], fields[1]["rect"]["x"], "positions survive exactly");
    assert_eq!(saved[1]["page"], 2);
    assert_eq!(saved[1]["format"], "YYYY-MM-DD", "date fields get a default format");
    assert_eq!(saved[2]["options"], json!(["A", "B"]));
    assert_eq!(saved[2]["recipient_id"], hex_id(2));
    app.stop().await;
}

#[tokio::test]
async fn a_stale_version_is_refused_instead_of_overwriting() {
    let app = spawn_app().await;
    let d = draft_with_two_documents(&app).await;
    let v = get(&app, &d.id).await["version"].as_i64().unwrap();
    let r = save(&app, &d.id, v, json!([recipient(1, "A", "a@example.com", 1)]), json!([])).await;
    assert_eq!(r.status, 200);
    let r = save(&app, &d.id, v, json!([recipient(2, "B", "b@example.com", 1)]), json!([])).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.code(), "VERSION_CONFLICT");
    assert_eq!(get(&app, &d.id).await["recipients"][0]["name"], "A", "the first save stands");
    app.stop().await;
}

#[tokio::test]
async fn invalid_fields_are_reported_with_their_paths_and_nothing_is_saved() {
    let app = spawn_app().await;
    let d = draft_with_two_documents(&app).await;
    let v = get(&app, &d.id).await["version"].as_i64().unwrap();
    let mut outside = field(1, 1, &d.docs[0], 0, 0.9, "text");
    outside["rect"]["width"] = json!(0.3);
    let mut no_options = field(2, 1, &d.docs[0], 0, 0.1, "radio");
    no_options["options"] = json!([]);
    let bad = json!([
        outside,
        no_options,
        field(3, 9, &d.docs[0], 0, 0.1, "text"),
        field(4, 1, &d.docs[1], 5, 0.1, "text"),
        field(5, 1, &hex_id(77), 0, 0.1, "text"),
    ]);
    let r = save(&app, &d.id, v, json!([recipient(1, "A", "not-an-email", 1)]), bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let paths: Vec<String> = r.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect();
    for want in ["recipients[0].email", "fields[0].rect", "fields[1].options", "fields[2].recipient", "fields[3].page", "fields[4].document"] {
        assert!(paths.iter().any(|p| p == want), "{want} missing from {paths:?}");
    }
    let c = get(&app, &d.id).await;
    assert_eq!(c["version"], v, "nothing changed");
    assert!(c["recipients"].as_array().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn drafts_may_hold_unfinished_recipients() {
    let app = spawn_app().await;
    let d = draft_with_two_documents(&app).await;
    let v = get(&app, &d.id).await["version"].as_i64().unwrap();
    let r = save(&app, &d.id, v, json!([recipient(1, "", "", 1)]), json!([field(1, 1, &d.docs[0], 0, 0.1, "signature")])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn documents_can_be_reordered_and_removed_with_their_fields() {
    let app = spawn_app().await;
    let d = draft_with_two_documents(&app).await;
    let v = get(&app, &d.id).await["version"].as_i64().unwrap();
    save(
        &app,
        &d.id,
        v,
        json!([recipient(1, "A", "a@example.com", 1)]),
        json!([field(1, 1, &d.docs[0], 0, 0.1, "text"), field(2, 1, &d.docs[1], 0, 0.1, "text")]),
    )
    .await;

    let csrf = app.csrf_token().await;
    let r = app.call_json("contracts/reorder_documents", json!({ "csrf": csrf, "id": d.id, "order": [d.docs[1], d.docs[0]] })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = get(&app, &d.id).await;
    assert_eq!(c["documents"][0]["id"], d.docs[1].as_str());
    let r = app.call_json("contracts/reorder_documents", json!({ "csrf": csrf, "id": d.id, "order": [d.docs[1]] })).await;
    assert_eq!(r.status, 422, "must name every document");

    let r = app.call("contracts/remove_document", &[("csrf", &csrf), ("id", &d.id), ("document_id", &d.docs[0])]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = get(&app, &d.id).await;
    assert_eq!(c["documents"].as_array().unwrap().len(), 1);
    let fields = c["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "the removed document's field went with it");
    assert_eq!(fields[0]["document_id"], d.docs[1].as_str());
    app.stop().await;
}

#[tokio::test]
async fn a_contract_holds_at_most_twenty_documents() {
    let app = spawn_app().await;
    app.sign_up(&Account::unique("twenty")).await;
    let pdf = fixture("pdf20__Simple_PDF_2.0_file.pdf");
    let id = app.upload(None, "1.pdf", pdf.clone()).await.json()["contractId"].as_str().unwrap().to_owned();
    for i in 2..=20 {
        assert_eq!(app.upload(Some(&id), &format!("{i}.pdf"), pdf.clone()).await.status, 201);
    }
    let r = app.upload(Some(&id), "21.pdf", pdf).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.code(), "TOO_MANY_DOCUMENTS");
    app.stop().await;
}

#[tokio::test]
async fn naming_and_listing_contracts() {
    let app = spawn_app().await;
    let d = draft_with_two_documents(&app).await;
    let csrf = app.csrf_token().await;
    let r = app.call("contracts/rename", &[("csrf", &csrf), ("id", &d.id), ("name", "  ")]).await;
    assert_eq!(r.status, 422);
    let r = app.call("contracts/rename", &[("csrf", &csrf), ("id", &d.id), ("name", "2027년 근로계약서")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = app.call("contracts/list", &[]).await.json();
    let row = &list[0];
    assert_eq!(row["name"], "2027년 근로계약서");
    assert_eq!(row["status"], "draft");
    assert_eq!(row["documents"], json!(["계약서.pdf", "annex.pdf"]));
    assert!(row["updated_at"].as_str().unwrap().ends_with('Z'));
    app.stop().await;
}

#[tokio::test]
async fn another_organization_sees_none_of_it() {
    let app = spawn_app().await;
    let d = draft_with_two_documents(&app).await;
    let other = app.new_browser();
    other.sign_up(&Account::unique("stranger")).await;
    assert_eq!(other.call("contracts/get", &[("id", &d.id)]).await.status, 404);
    let r = save(&other, &d.id, 1, json!([]), json!([])).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let csrf = other.csrf_token().await;
    assert_eq!(other.call("contracts/rename", &[("csrf", &csrf), ("id", &d.id), ("name", "x")]).await.status, 404);
    assert_eq!(other.call("contracts/remove_document", &[("csrf", &csrf), ("id", &d.id), ("document_id", &d.docs[0])]).await.status, 404);
    assert!(other.call("contracts/list", &[]).await.json().as_array().unwrap().is_empty());
    assert_eq!(other.call("contracts/get", &[("id", "not-an-id")]).await.status, 404);
    app.stop().await;
}

/// Field coordinates come back as the very doubles stored, whatever way they are read (text
/// forms such as SQLite's JSON keep only 15 digits): a hair off and the seal would stamp
/// elsewhere, and its evidence check refuse a signer-placed field.
#[tokio::test]
async fn field_coordinates_come_back_exactly_as_stored() {
    let app = crate::helpers::spawn().start().await;
    let key = crate::rest::key_for(&app, "exact").await;
    let (id, doc) = crate::rest::draft(&app, &key).await;
    let (x, y, w, h) = (0.1 + 0.2, 1.0 / 3.0, 0.123_456_789_012_345_68, 2.0f64.sqrt() / 100.0);
    let body = serde_json::json!({ "fields": [
        { "document": doc, "page": 0, "x": x, "y": y, "width": w, "height": h, "type": "signature", "recipient": "minjun@example.com" },
        { "document": doc, "page": 0, "x": 0.5, "y": 0.9, "width": 0.3, "height": 0.05, "type": "text", "recipient": "seoyeon@example.com" },
    ] });
    let r = crate::rest::call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for got in [r.json(), crate::rest::call(&app, &key, "GET", &format!("/envelopes/{id}"), None).await.json()] {
        let f = &got["fields"][0];
        let back = (f["x"].as_f64().unwrap(), f["y"].as_f64().unwrap(), f["width"].as_f64().unwrap(), f["height"].as_f64().unwrap());
        assert_eq!(back, (x, y, w, h), "{f}");
        assert_eq!(got["fields"][1]["type"], "text", "in their saved order");
    }
    let listed = crate::rest::call(&app, &key, "GET", "/envelopes", None).await.json();
    assert_eq!(listed["data"][0]["fields"][0]["x"].as_f64(), Some(x));
}
