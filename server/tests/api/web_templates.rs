//! Templates and bulk send from the web app (issue 16): a draft saved as a template (its
//! recipients become roles, its named fields stay named), a contract made from it, a CSV
//! checked row by row with each problem named by its column, sent without its broken rows,
//! followed to the end — and the same calls tried from another organization and without the
//! CSRF token.

use crate::helpers::{fixture, spawn, Account, Reply, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Ids the browser makes for recipients and fields, distinct per organization (`seed`).
fn hex_id(seed: usize, n: u8) -> String {
    format!("{:032x}", 0xfee0_0000_0000_0000_0000_0000_0000_0000u128 + ((seed as u128) << 16) + n as u128)
}

/// A signed-in organization with a saved draft: two recipients (근로자, 회사), a signature each
/// and the worker's named text field `주소`.
async fn draft(app: &TestApp, tag: &str) -> String {
    let r = app.sign_up(&Account::unique(tag)).await;
    assert!(r.status < 400, "{}", r.body);
    let up = app.upload(None, "근로계약서.pdf", fixture("basic__002-trivial-libre-office-writer.pdf")).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let (id, doc) = (up.json()["contractId"].as_str().unwrap().to_owned(), up.json()["document"]["id"].as_str().unwrap().to_owned());
    let field = |n: u8, who: u8, kind: &str, y: f64, name: Option<&str>| {
        json!({
            "id": hex_id(tag.len(), 100 + n), "recipient_id": hex_id(tag.len(), who), "document_id": doc, "page": 0,
            "rect": { "x": 0.1, "y": y, "width": 0.3, "height": 0.05 }, "kind": kind, "required": kind == "signature",
            "label": "", "placeholder": "", "options": [], "name": name,
        })
    };
    let recipients = json!([
        { "id": hex_id(tag.len(), 1), "name": "근로자", "email": "worker@example.com", "role": "signer", "order": 1 },
        { "id": hex_id(tag.len(), 2), "name": "회사", "email": "hr@example.com", "role": "signer", "order": 2 },
    ]);
    let fields = json!([field(1, 1, "signature", 0.7, None), field(2, 1, "text", 0.6, Some("주소")), field(3, 2, "signature", 0.8, None)]);
    let csrf = app.csrf_token().await;
    let r = app.call_json("contracts/save", json!({ "csrf": csrf, "id": id, "version": 1, "recipients": recipients, "fields": fields })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

async fn call(app: &TestApp, name: &str, mut body: Value) -> Reply {
    body["csrf"] = json!(app.csrf_token().await);
    app.call_json(name, body).await
}

const HEADER: &str = "근로자.name,근로자.email,회사.name,회사.email,주소\n";

#[tokio::test]
async fn a_draft_becomes_a_template_and_a_csv_is_checked_per_row_then_sent_without_its_broken_rows() {
    let app = spawn().var("DOJANG_BULK_RATE", "60000").start().await;
    let envelope = draft(&app, "webtpl").await;
    let made = call(&app, "templates/from_draft", json!({ "envelope_id": envelope, "name": "근로계약서 양식" })).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let template: String = made.json().as_str().unwrap().to_owned();
    let list = app.call("templates/list", &[]).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let t = &list.json()[0];
    assert_eq!((t["id"].as_str(), t["name"].as_str()), (Some(template.as_str()), Some("근로계약서 양식")));
    assert_eq!(t["roles"], json!(["근로자", "회사"]));
    assert_eq!(t["field_names"], json!(["주소"]));
    // The draft it came from stays a draft of its own.
    let still: String = sqlx::query_scalar("SELECT status FROM envelopes WHERE id = $1").bind(&envelope).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(still, "draft");

    // A contract from the template: a person per role, the fields copied to them.
    let people = json!([
        { "role": "근로자", "name": "김근로", "email": "kim@example.com" },
        { "role": "회사", "name": "도장 주식회사", "email": "company@example.com" },
    ]);
    let used = call(&app, "templates/use", json!({ "id": template, "recipients": people })).await;
    assert_eq!(used.status, 200, "{}", used.body);
    let new_envelope = used.json().as_str().unwrap().to_owned();
    let fields: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT r.email, f.name FROM fields f JOIN recipients r ON r.id = f.recipient_id WHERE f.envelope_id = $1 ORDER BY r.email, f.kind")
            .bind(&new_envelope)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(fields, vec![("company@example.com".into(), None), ("kim@example.com".into(), None), ("kim@example.com".into(), Some("주소".into()))]);
    let missing = call(&app, "templates/use", json!({ "id": template, "recipients": [people[0].clone()] })).await;
    assert_eq!((missing.status, missing.code()), (422, "VALIDATION_FAILED".into()), "{}", missing.body);

    // Five rows: a bad email, a role left empty, and an unknown column's value are each named
    // by their column; the CSV's own header names the roles.
    let mut csv = HEADER.replace(",주소\n", ",주소,nickname\n");
    csv.push_str("김일,one@example.com,도장,hr@example.com,서울 1,\n");
    csv.push_str("김이,not-an-email,도장,hr@example.com,서울 2,\n");
    csv.push_str("김삼,three@example.com,,,서울 3,\n");
    csv.push_str("김사,four@example.com,도장,hr@example.com,서울 4,별명\n");
    csv.push_str("김오,five@example.com,도장,hr@example.com,,\n");
    let p = call(&app, "bulk/preview", json!({ "template_id": template, "csv": csv })).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let p = p.json();
    let problems: Vec<(u64, Vec<(String, String)>)> = p["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let errs = r["errors"].as_array().unwrap().iter().map(|e| (e["column"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()));
            (r["index"].as_u64().unwrap(), errs.collect())
        })
        .collect();
    assert_eq!(
        problems,
        vec![
            (0, vec![]),
            (1, vec![("근로자.email".into(), "invalid".into())]),
            (2, vec![("회사".into(), "missing_role".into())]),
            (3, vec![("nickname".into(), "unknown".into())]),
            (4, vec![]),
        ],
        "{p}"
    );
    assert_eq!(p["rows"][0]["recipients"], json!(["김일 <one@example.com>", "도장 <hr@example.com>"]));
    assert_eq!(p["rows"][0]["values"], json!(["주소 = 서울 1"]));
    // Nothing kept by a preview.
    let batches = || async { sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM batches").fetch_one(app.db.pool()).await.unwrap() };
    assert_eq!(batches().await, 0);

    // Sent whole, the file is refused; without its three broken rows, the two good ones go.
    let whole = call(&app, "bulk/send", json!({ "template_id": template, "csv": csv, "skip_invalid": false })).await;
    assert_eq!((whole.status, whole.code()), (422, "VALIDATION_FAILED".into()), "{}", whole.body);
    assert_eq!(batches().await, 0);
    let sent = call(&app, "bulk/send", json!({ "template_id": template, "csv": csv, "skip_invalid": true })).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let batch = sent.json().as_str().unwrap().to_owned();
    let started = Instant::now();
    let view = loop {
        let v = app.call("bulk/get", &[("id", &batch)]).await;
        assert_eq!(v.status, 200, "{}", v.body);
        let v = v.json();
        if v["status"] != "running" {
            break v;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "batch still running: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!((view["status"].as_str(), view["total"].as_i64(), view["finished"].as_i64()), (Some("done"), Some(2), Some(2)), "{view}");
    let rows: Vec<(String, Value)> =
        view["rows"].as_array().unwrap().iter().map(|r| (r["status"].as_str().unwrap().to_owned(), r["recipients"].clone())).collect();
    assert_eq!(
        rows,
        vec![
            ("sent".into(), json!(["김일 <one@example.com>", "도장 <hr@example.com>"])),
            ("sent".into(), json!(["김오 <five@example.com>", "도장 <hr@example.com>"])),
        ],
        "{view}"
    );
    for r in view["rows"].as_array().unwrap() {
        let status: String =
            sqlx::query_scalar("SELECT status FROM envelopes WHERE id = $1").bind(r["envelope_id"].as_str().unwrap()).fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(status, "sent");
    }
    // A finished batch cannot be cancelled.
    let late = call(&app, "bulk/cancel", json!({ "id": batch })).await;
    assert_eq!((late.status, late.code()), (409, "CONFLICT".into()), "{}", late.body);
    // A file with no good row sends nothing.
    let none =
        call(&app, "bulk/send", json!({ "template_id": template, "csv": format!("{HEADER}김이,bad,도장,hr@example.com,\n"), "skip_invalid": true })).await;
    assert_eq!((none.status, none.code()), (422, "VALIDATION_FAILED".into()), "{}", none.body);

    // Another organization sees none of it; without the CSRF token nothing happens.
    let other = app.new_browser();
    let theirs = draft(&other, "webtpl-other").await;
    let empty = other.call("templates/list", &[]).await;
    assert_eq!(empty.json(), json!([]), "{}", empty.body);
    for (name, body) in [
        ("templates/use", json!({ "id": template, "recipients": people })),
        ("templates/delete", json!({ "id": template })),
        ("templates/from_draft", json!({ "envelope_id": envelope, "name": "stolen" })),
        ("bulk/preview", json!({ "template_id": template, "csv": csv })),
        ("bulk/send", json!({ "template_id": template, "csv": csv, "skip_invalid": true })),
        ("bulk/cancel", json!({ "id": batch })),
    ] {
        let r = call(&other, name, body).await;
        assert_eq!((r.status, r.code()), (404, "NOT_FOUND".into()), "{name}: {}", r.body);
    }
    let peek = other.call("bulk/get", &[("id", &batch)]).await;
    assert_eq!(peek.status, 404, "{}", peek.body);
    let form = other.call("contracts/form_fields", &[("id", &envelope), ("recipient_id", &hex_id(6, 1))]).await;
    assert_eq!((form.status, form.code()), (404, "NOT_FOUND".into()), "{}", form.body);
    // The owner's own draft: its PDF has no form, so no fields.
    let none = app.call("contracts/form_fields", &[("id", &envelope), ("recipient_id", &hex_id(6, 1))]).await;
    assert_eq!((none.status, none.json()), (200, json!([])), "{}", none.body);
    let forged = app.call_json("templates/from_draft", json!({ "csrf": "forged", "envelope_id": envelope, "name": "x" })).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let _ = theirs;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM templates").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 1, "only the owner's template exists");

    // Deleted by its owner; the contract made from it stays.
    let gone = call(&app, "templates/delete", json!({ "id": template })).await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelopes WHERE id = $1").bind(&new_envelope).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn a_template_opens_in_the_editor_and_saves_back_without_a_cover_the_browser_made() {
    let app = spawn().start().await;
    let envelope = draft(&app, "tpl-editor").await;
    let made = call(&app, "templates/from_draft", json!({ "envelope_id": envelope, "name": "근로계약서" })).await;
    let template = made.json().as_str().unwrap().to_owned();
    let opened = app.call("templates/editor", &[("id", &template)]).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    let t = opened.json();
    assert_eq!(t["version"], 1);
    assert_eq!(t["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect::<Vec<_>>(), ["근로자", "회사"]);
    assert!(t["roles"].as_array().unwrap().iter().all(|r| r["email"] == ""), "roles are not people");
    assert_eq!(t["fields"].as_array().unwrap().len(), 3);

    // The editor renames a role, moves a field and (as a forged browser would) adds a cover.
    let mut roles = t["roles"].clone();
    roles[0]["name"] = json!("직원");
    let mut fields = t["fields"].clone();
    let moved = fields.as_array_mut().unwrap().iter_mut().find(|f| f["kind"] == "text").unwrap();
    moved["rect"]["y"] = json!(0.2);
    moved["cover"] = json!({ "x": 0.0, "y": 0.0, "width": 1.0, "height": 0.5 });
    let saved = call(&app, "templates/save_editor", json!({ "id": template, "version": 1, "recipients": roles, "fields": fields })).await;
    assert_eq!((saved.status, saved.json()), (200, json!(2)), "{}", saved.body);
    let again = app.call("templates/editor", &[("id", &template)]).await.json();
    assert_eq!(again["roles"][0]["name"], "직원");
    let text = again["fields"].as_array().unwrap().iter().find(|f| f["kind"] == "text").unwrap().clone();
    assert_eq!((text["rect"]["y"].as_f64(), text["name"].as_str(), &text["cover"]), (Some(0.2), Some("주소"), &Value::Null), "{text}");
    let owner: String = again["roles"].as_array().unwrap().iter().find(|r| r["id"] == text["recipient_id"]).unwrap()["name"].as_str().unwrap().to_owned();
    assert_eq!(owner, "직원");

    // A save from the version before is refused, as is a field for nobody.
    let stale = call(&app, "templates/save_editor", json!({ "id": template, "version": 1, "recipients": roles, "fields": fields })).await;
    assert_eq!((stale.status, stale.code()), (409, "VERSION_CONFLICT".into()), "{}", stale.body);
    let mut orphan = again["fields"].clone();
    orphan[0]["recipient_id"] = json!(hex_id(9, 9));
    let r = call(&app, "templates/save_editor", json!({ "id": template, "version": 2, "recipients": again["roles"], "fields": orphan })).await;
    assert_eq!((r.status, r.code()), (422, "VALIDATION_FAILED".into()), "{}", r.body);
    let renamed = call(&app, "templates/rename", json!({ "id": template, "name": "근로계약서 2027" })).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(app.call("templates/editor", &[("id", &template)]).await.json()["name"], "근로계약서 2027");

    // Another organization can neither open nor save nor rename it.
    let other = app.new_browser();
    draft(&other, "tpl-editor-other").await;
    assert_eq!(other.call("templates/editor", &[("id", &template)]).await.status, 404);
    for (name, body) in [
        ("templates/save_editor", json!({ "id": template, "version": 3, "recipients": again["roles"], "fields": [] })),
        ("templates/rename", json!({ "id": template, "name": "stolen" })),
    ] {
        let r = call(&other, name, body).await;
        assert_eq!((r.status, r.code()), (404, "NOT_FOUND".into()), "{name}: {}", r.body);
    }
}

#[tokio::test]
async fn a_ten_thousand_row_csv_larger_than_other_calls_take_is_checked_and_a_bigger_one_refused() {
    let app = spawn().start().await;
    let envelope = draft(&app, "webtpl-big").await;
    let template = call(&app, "templates/from_draft", json!({ "envelope_id": envelope, "name": "대량" })).await.json().as_str().unwrap().to_owned();
    let mut csv = String::from(HEADER);
    let address = "서울특별시 강남구 테헤란로 123, 도장빌딩 4층 401호 (역삼동) — 계약 담당 부서 앞, 인사팀 김담당 님";
    for i in 0..10_000 {
        csv.push_str(&format!("근로자 {i},worker{i}@example.com,도장 주식회사,hr{i}@example.com,\"{address}\"\n"));
    }
    assert!(csv.len() > 2 * 1024 * 1024, "larger than other server functions take: {}", csv.len());
    let p = call(&app, "bulk/preview", json!({ "template_id": template, "csv": csv })).await;
    assert_eq!(p.status, 200, "{}", &p.body[..p.body.len().min(300)]);
    let rows = p.json()["rows"].as_array().unwrap().clone();
    assert_eq!((rows.len(), rows.iter().all(|r| r["errors"] == json!([]))), (10_000, true));
    // Beyond the bulk limit the body is refused before it is read whole.
    let huge = "x".repeat(17 * 1024 * 1024);
    let r = call(&app, "bulk/preview", json!({ "template_id": template, "csv": huge })).await;
    assert_eq!((r.status, r.code()), (413, "PAYLOAD_TOO_LARGE".into()), "{}", &r.body[..r.body.len().min(300)]);
    // Other calls keep their 2 MB.
    let r = call(&app, "templates/rename", json!({ "id": template, "name": "x".repeat(3 * 1024 * 1024) })).await;
    assert_eq!(r.status, 413);
}
