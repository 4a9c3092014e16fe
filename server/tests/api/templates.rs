//! Templates (issue 16): made from a PDF whose text tags (Korean and English, an upright and a
//! rotated page) and anchor strings place the fields; envelopes made from them with a
//! recipient per role and values by field name (read-only or not), copied so later edits never
//! reach them; signed and sealed with the values in the PDF and unfilled tags painted over;
//! and the template's boundaries (tenant, mode, client, scope) as an attacker tries them.

use crate::helpers::{ink_in, spawn, Reply, TestApp};
use crate::integrators::completed;
use crate::rest::{call, key_for, org_with_key};
use dojang_core::model::Mode;
use serde_json::{json, Value};

pub(crate) async fn upload_bytes(app: &TestApp, key: &str, name: &str, bytes: Vec<u8>) -> String {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str("application/pdf").unwrap();
    let res =
        app.client.post(app.url("/api/v1/documents")).bearer_auth(key).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn tagged_pdf() -> Vec<u8> {
    crate::tags::engine().run(|ctx| crate::tags::tagged_pdf(ctx.pdfium)).await.unwrap()
}

fn people() -> Value {
    json!([
        { "role": "근로자", "email": "worker@example.com", "name": "김근로" },
        { "role": "회사", "email": "hr@example.com", "name": "도장 주식회사" },
        // Roles are matched whatever their case.
        { "role": "company", "email": "ceo@example.com", "name": "Jane Doe" },
    ])
}

fn template_body(doc: &str) -> Value {
    json!({
        "name": "근로계약서",
        "documentIds": [doc],
        "roles": [{ "name": "근로자" }],
        "textTags": true,
        "anchors": [{
            "text": "서명:", "role": "근로자", "type": "text", "name": "memo", "required": false,
            "yOffset": { "points": 14 }, "width": { "fraction": 0.2 }, "height": { "points": 12 },
        }],
        "message": "계약서를 확인하고 서명해 주세요.",
    })
}

/// Signs as each recipient of a sent envelope: `answers` gives, per email, the values typed
/// into fields (by field name; signatures are drawn for every signature and initials field).
pub(crate) async fn sign_all(app: &TestApp, sent: &Value, answers: &[(&str, Vec<(&str, &str)>)]) {
    let fields = sent["envelope"]["fields"].as_array().unwrap().clone();
    for link in sent["recipients"].as_array().unwrap() {
        let email = link["email"].as_str().unwrap();
        let token = link["signUrl"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let signer = app.new_browser();
        assert_eq!(signer.call("sign/view", &[("token", &token)]).await.status, 200);
        assert_eq!(signer.call("sign/consent", &[("token", &token)]).await.status, 200);
        let typed: Vec<(&str, &str)> = answers.iter().find(|(e, _)| *e == email).map(|(_, a)| a.clone()).unwrap_or_default();
        let mut inputs = Vec::new();
        let mut used: Vec<&str> = Vec::new();
        for f in fields.iter().filter(|f| f["recipient"] == email) {
            let id = f["id"].as_str().unwrap();
            match f["type"].as_str().unwrap() {
                "signature" | "initials" => inputs.push(json!({ "field_id": id, "signature": 0 })),
                _ => {
                    // The first field of a name gets the answer; the others are left as given.
                    let name = f["name"].as_str().unwrap_or_default();
                    if let Some((_, v)) = typed.iter().find(|(n, _)| *n == name).filter(|(n, _)| !used.contains(n)) {
                        used.push(name);
                        inputs.push(json!({ "field_id": id, "value": v }));
                    }
                }
            }
        }
        let r = signer
            .call_json("sign/submit", json!({ "token": token, "submission": { "fields": inputs, "signatures": [crate::signing::drawing("pen", true)] } }))
            .await;
        assert_eq!(r.status, 200, "{email}: {}", r.body);
    }
}

pub(crate) async fn sealed_pdf(app: &TestApp, key: &str, id: &str, doc: &str) -> Vec<u8> {
    let res = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/signed-document?document={doc}"))).bearer_auth(key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.pdf"), pdf).unwrap();
    let out = std::process::Command::new("pdftotext").arg(dir.path().join("a.pdf")).arg("-").output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn field_errors(r: &Reply) -> Vec<(String, String)> {
    r.json()["fields"]
        .as_array()
        .map(|a| a.iter().map(|f| (f["field"].as_str().unwrap().to_owned(), f["code"].as_str().unwrap().to_owned())).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_template_from_text_tags_and_anchors_makes_envelopes_that_keep_their_copy_and_seal_the_values() {
    let app = spawn().start().await;
    let key = key_for(&app, "templates").await;
    let original = tagged_pdf().await;
    let doc = upload_bytes(&app, &key, "근로계약서.pdf", original.clone()).await;

    // An anchor found nowhere, and a field for a role the template does not have.
    let mut bad = template_body(&doc);
    bad["anchors"][0]["text"] = json!("없는 문구");
    let r = call(&app, &key, "POST", "/templates", Some(bad.clone())).await;
    assert_eq!((r.status, field_errors(&r)), (422, vec![("anchors[0].text".into(), "not_found".into())]), "{}", r.body);
    bad["anchors"][0]["ignoreIfNotPresent"] = json!(true);
    bad["fields"] = json!([{ "document": doc, "page": 0, "x": 0.1, "y": 0.1, "width": 0.2, "height": 0.05, "type": "text", "role": "대리인" }]);
    let r = call(&app, &key, "POST", "/templates", Some(bad)).await;
    assert_eq!((r.status, field_errors(&r)), (422, vec![("fields[0].role".into(), "unknown".into())]), "{}", r.body);

    let made = call(&app, &key, "POST", "/templates", Some(template_body(&doc))).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let t = made.json();
    let tid = t["id"].as_str().unwrap().to_owned();
    let roles: Vec<(&str, i64)> = t["roles"].as_array().unwrap().iter().map(|r| (r["name"].as_str().unwrap(), r["order"].as_i64().unwrap())).collect();
    assert_eq!(roles, vec![("근로자", 1), ("회사", 2), ("Company", 3)], "the tags' roles join in the order found");
    let fields = t["fields"].as_array().unwrap();
    let summary: Vec<(u64, &str, &str, bool)> = fields
        .iter()
        .map(|f| (f["page"].as_u64().unwrap(), f["type"].as_str().unwrap(), f["role"].as_str().unwrap(), f["fromTag"].as_bool().unwrap()))
        .collect();
    for want in [
        (0, "signature", "근로자", true),
        (0, "text", "회사", true),
        (1, "date", "Company", true),
        (1, "initials", "회사", true),
        (0, "text", "근로자", false),
        (1, "text", "근로자", false),
    ] {
        assert!(summary.contains(&want), "{want:?} in {summary:?}");
    }
    assert_eq!(fields.len(), 6, "four tags and the anchor on both pages: {summary:?}");
    let address = fields.iter().find(|f| f["name"] == "address").unwrap().clone();
    assert_eq!((address["label"].as_str(), address["required"].as_bool()), (Some("주소"), Some(false)));
    // The upright page's signature tag follows "근로자 서명: " written from x = 72 pt, on the
    // line whose baseline is 700 pt up an 842 pt page.
    let sig = fields.iter().find(|f| f["type"] == "signature").unwrap();
    let (x, y) = (sig["x"].as_f64().unwrap(), sig["y"].as_f64().unwrap());
    assert!(x > 72.0 / 595.0 + 0.05 && x < 0.3 && (y - (842.0 - 711.0) / 842.0).abs() < 0.01, "{sig}");

    // Envelopes need a recipient for every role and values for fields that exist.
    let path = format!("/templates/{tid}/envelopes");
    let from = |body: Value| call(&app, &key, "POST", &path, Some(body));
    let r = from(json!({ "recipients": [people()[0]] })).await;
    assert_eq!((r.status, field_errors(&r)), (422, vec![("recipients".into(), "missing_role".into())]), "{}", r.body);
    let mut twice = people();
    twice.as_array_mut().unwrap().push(json!({ "role": "회사", "email": "x@example.com", "name": "둘째" }));
    let r = from(json!({ "recipients": twice, "values": { "주소": "x" } })).await;
    assert_eq!(field_errors(&r), vec![("recipients[3].role".into(), "duplicate".into()), ("values.주소".into(), "unknown".into())], "{}", r.body);

    let values = json!({ "address": { "value": "서울시 강남구 테헤란로 1", "readOnly": true }, "memo": "메모" });
    let a = from(json!({ "recipients": people(), "values": values, "externalId": "hr-2026-001" })).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let a = a.json();
    let aid = a["id"].as_str().unwrap().to_owned();
    assert_eq!((a["subject"].as_str(), a["externalId"].as_str(), a["status"].as_str()), (Some("근로계약서"), Some("hr-2026-001"), Some("draft")));
    let af = a["fields"].as_array().unwrap();
    assert_eq!(af.len(), 6);
    let addr = af.iter().find(|f| f["name"] == "address").unwrap();
    assert_eq!(
        (addr["recipient"].as_str(), addr["value"].as_str(), addr["readOnly"].as_bool()),
        (Some("hr@example.com"), Some("서울시 강남구 테헤란로 1"), Some(true))
    );
    assert!(af.iter().filter(|f| f["name"] == "memo").all(|f| f["value"] == "메모" && f["readOnly"] == false && f["recipient"] == "worker@example.com"));

    // Changing the template (name, its roles: Company leaves with its field) leaves the
    // envelope as it was made.
    let changed =
        call(&app, &key, "PATCH", &format!("/templates/{tid}"), Some(json!({ "name": "근로계약서 v2", "roles": [{ "name": "근로자" }, { "name": "회사" }] })))
            .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let changed = changed.json();
    assert_eq!((changed["name"].as_str(), changed["version"].as_i64(), changed["fields"].as_array().unwrap().len()), (Some("근로계약서 v2"), Some(2), 5));
    let a_again = call(&app, &key, "GET", &format!("/envelopes/{aid}"), None).await.json();
    assert_eq!(
        (a_again["subject"].as_str(), a_again["fields"].as_array().unwrap().len(), a_again["recipients"].as_array().unwrap().len()),
        (Some("근로계약서"), 6, 3)
    );

    // A document a template holds is not deleted from the library; a deleted template's is.
    let doc2 = upload_bytes(&app, &key, "부속서.pdf", original.clone()).await;
    let t2 = call(
        &app,
        &key,
        "POST",
        "/templates",
        Some(json!({ "name": "부속서", "documentIds": [doc2], "roles": [{ "name": "갑" }],
        "fields": [{ "document": doc2, "page": 0, "x": 0.1, "y": 0.1, "width": 0.3, "height": 0.05, "type": "signature", "role": "갑" }] })),
    )
    .await;
    assert_eq!(t2.status, 201, "{}", t2.body);
    let t2 = t2.json()["id"].as_str().unwrap().to_owned();
    let r = call(&app, &key, "DELETE", &format!("/documents/{doc2}"), None).await;
    assert_eq!((r.status, r.code().as_str()), (409, "DOCUMENT_IN_USE"), "{}", r.body);
    assert_eq!(call(&app, &key, "DELETE", &format!("/templates/{t2}"), None).await.status, 204);
    assert_eq!(call(&app, &key, "GET", &format!("/templates/{t2}"), None).await.status, 404);
    assert_eq!(call(&app, &key, "DELETE", &format!("/documents/{doc2}"), None).await.status, 204);
    let listed = call(&app, &key, "GET", "/templates?q=V2", None).await.json();
    assert_eq!(listed["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect::<Vec<_>>(), vec![tid.as_str()]);

    // Signed: the read-only address keeps its value whatever is sent; the memo the signer
    // changed on page 1 is theirs, the one left alone keeps the value given.
    let sent = call(&app, &key, "POST", &format!("/envelopes/{aid}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let sent = sent.json();
    sign_all(&app, &sent, &[("worker@example.com", vec![("memo", "바뀐 메모")]), ("hr@example.com", vec![("address", "해킹된 주소")])]).await;
    completed(&app, &key, &aid).await;
    let text = pdftotext(&sealed_pdf(&app, &key, &aid, &doc).await);
    assert!(text.contains("서울시 강남구 테헤란로 1") && !text.contains("해킹된 주소"), "{text}");
    assert!(text.contains("바뀐 메모") && text.matches("메모").count() >= 2, "{text}");

    // Envelope B, from the changed template: the address left empty; its tag is painted over
    // in the sealed PDF (the original shows it).
    let b = from(json!({ "recipients": [people()[0], people()[1]] })).await;
    assert_eq!(b.status, 201, "{}", b.body);
    let bid = b.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(b.json()["subject"], "근로계약서 v2");
    let sent = call(&app, &key, "POST", &format!("/envelopes/{bid}/send"), None).await.json();
    sign_all(&app, &sent, &[]).await;
    completed(&app, &key, &bid).await;
    let dir = tempfile::tempdir().unwrap();
    // The whole line from the tag's start: the field is 200 pt wide, the tag's text longer.
    let area = {
        let (x, y, _, h) = ["x", "y", "width", "height"].map(|k| address[k].as_f64().unwrap()).into();
        (x, y, 0.98, y + h)
    };
    std::fs::write(dir.path().join("original.pdf"), &original).unwrap();
    std::fs::write(dir.path().join("sealed.pdf"), sealed_pdf(&app, &key, &bid, &doc).await).unwrap();
    assert!(ink_in(&dir.path().join("original.pdf"), area, dir.path()) > 20, "the tag shows in the original");
    assert_eq!(ink_in(&dir.path().join("sealed.pdf"), area, dir.path()), 0, "the unfilled tag is painted over");
}

#[tokio::test]
async fn templates_stay_in_their_tenant_mode_client_and_scope() {
    let app = spawn().start().await;
    let owner = org_with_key(&app, "tpl-owner", Mode::Live).await;
    let key = owner.key.clone();
    let doc = upload_bytes(&app, &key, "계약.pdf", tagged_pdf().await).await;
    let t = call(&app, &key, "POST", "/templates", Some(json!({ "name": "비밀 양식", "documentIds": [doc], "textTags": true }))).await;
    assert_eq!(t.status, 201, "{}", t.body);
    let tid = t.json()["id"].as_str().unwrap().to_owned();

    // Another organization, and the same organization's test mode, see nothing.
    let stranger = key_for(&app, "tpl-stranger").await;
    let org: dojang_core::ids::OrganizationId =
        sqlx::query_scalar("SELECT organization_id FROM api_keys WHERE id = $1").bind(owner.id.as_str()).fetch_one(app.db.pool()).await.unwrap();
    let test_key = dojang_core::api::keys::create(&app.db, &org, Mode::Test, "t").await.unwrap().key;
    for k in [&stranger, &test_key] {
        for (method, path, body) in [
            ("GET", format!("/templates/{tid}"), None),
            ("PATCH", format!("/templates/{tid}"), Some(json!({ "name": "탈취" }))),
            ("DELETE", format!("/templates/{tid}"), None),
            ("POST", format!("/templates/{tid}/envelopes"), Some(json!({ "recipients": people() }))),
        ] {
            let r = call(&app, k, method, &path, body).await;
            assert_eq!((r.status, r.code().as_str()), (404, "NOT_FOUND"), "{method} {path}: {}", r.body);
        }
        assert_eq!(call(&app, k, "GET", "/templates", None).await.json()["data"].as_array().unwrap().len(), 0);
        // Nor can they build a template on the owner's document.
        let r = call(&app, k, "POST", "/templates", Some(json!({ "name": "x", "documentIds": [doc], "textTags": true }))).await;
        assert_eq!((r.status, field_errors(&r)), (422, vec![("documentIds[0]".into(), "unknown".into())]), "{}", r.body);
    }
    assert_eq!(call(&app, &key, "GET", &format!("/templates/{tid}"), None).await.json()["name"], "비밀 양식");

    // A key scoped to documents reads nothing of templates it may not change, and makes none.
    let admin = call(&app, &key, "POST", "/auth/admin-token", Some(json!({ "secret": owner.secret }))).await.json()["adminToken"].as_str().unwrap().to_owned();
    let docs_key =
        call(&app, &admin, "POST", "/keys", Some(json!({ "name": "문서만", "scopes": ["documents"] }))).await.json()["key"].as_str().unwrap().to_owned();
    for (method, path, body) in [
        ("POST", "/templates".to_owned(), Some(json!({ "name": "x", "documentIds": [doc] }))),
        ("GET", format!("/templates/{tid}"), None),
        ("POST", format!("/templates/{tid}/envelopes"), Some(json!({ "recipients": people() }))),
    ] {
        let r = call(&app, &docs_key, method, &path, body).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
    }

    // A client's templates are that client's.
    let client = |ext: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let reg =
                call(app, &admin, "POST", "/clients", Some(json!({ "externalId": ext, "name": "고객", "email": format!("{ext}@example.com") }))).await.json();
            let id = reg["id"].as_str().unwrap().to_owned();
            call(app, &admin, "POST", "/auth/client-token", Some(json!({ "clientId": id }))).await.json()["clientToken"].as_str().unwrap().to_owned()
        }
    };
    let (c1, c2) = (client("c-1").await, client("c-2").await);
    let cdoc = upload_bytes(&app, &c1, "고객.pdf", tagged_pdf().await).await;
    let ct = call(&app, &c1, "POST", "/templates", Some(json!({ "name": "고객 양식", "documentIds": [cdoc], "textTags": true }))).await;
    assert_eq!(ct.status, 201, "{}", ct.body);
    let ctid = ct.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&app, &c2, "GET", &format!("/templates/{ctid}"), None).await.status, 404);
    assert_eq!(call(&app, &c2, "POST", &format!("/templates/{ctid}/envelopes"), Some(json!({ "recipients": people() }))).await.status, 404);
    assert_eq!(call(&app, &c1, "GET", &format!("/templates/{tid}"), None).await.status, 404, "a client does not see the integrator's own templates");
    let made = call(&app, &c1, "POST", &format!("/templates/{ctid}/envelopes"), Some(json!({ "recipients": people() }))).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let eid = made.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&app, &c2, "GET", &format!("/envelopes/{eid}"), None).await.status, 404, "the envelope is the client's too");
}

#[tokio::test]
async fn the_web_editor_keeps_a_tag_fields_cover_and_cannot_add_one() {
    let app = spawn().start().await;
    let browser = app.new_browser();
    let a = crate::helpers::Account::unique("cover");
    assert!(browser.sign_up(&a).await.status < 400);
    let org = dojang_core::accounts::find_organization_by_name(&app.db, &a.org).await.unwrap().unwrap();
    let key = dojang_core::api::keys::create(&app.db, &org, Mode::Live, "cover").await.unwrap().key;
    let doc = upload_bytes(&app, &key, "계약.pdf", tagged_pdf().await).await;
    let t = call(&app, &key, "POST", "/templates", Some(json!({ "name": "덮개", "documentIds": [doc], "textTags": true }))).await;
    assert_eq!(t.status, 201, "{}", t.body);
    let tid = t.json()["id"].as_str().unwrap().to_owned();
    let e = call(&app, &key, "POST", &format!("/templates/{tid}/envelopes"), Some(json!({ "recipients": people() }))).await;
    assert_eq!(e.status, 201, "{}", e.body);
    let id = dojang_core::ids::EnvelopeId::parse(e.json()["id"].as_str().unwrap()).unwrap();

    let mut conn = app.db.pool().acquire().await.unwrap();
    let stored = dojang_core::envelope::fields(&mut conn, &id).await.unwrap();
    let recipients: Vec<_> = dojang_core::envelope::recipients(&mut conn, &id).await.unwrap().iter().map(|r| r.draft()).collect();
    drop(conn);
    assert!(stored.iter().all(|f| f.cover.is_some()), "every tag field has a cover");
    // The browser sends the fields without covers, and a field of its own with a cover over
    // the whole page (which would hide a clause of the sealed copy).
    let mut fields: Vec<Value> = stored
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap();
            v["cover"] = Value::Null;
            v
        })
        .collect();
    let mut own = serde_json::to_value(&stored[0]).unwrap();
    own["id"] = json!("0123456789abcdef0123456789abcdef");
    own["rect"] = json!({ "x": 0.5, "y": 0.5, "width": 0.2, "height": 0.05 });
    own["cover"] = json!({ "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0 });
    fields.push(own);
    let version: i64 = sqlx::query_scalar("SELECT version FROM envelopes WHERE id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap();
    let csrf = browser.csrf_token().await;
    let r = browser.call_json("contracts/save", json!({ "csrf": csrf, "id": id, "version": version, "recipients": recipients, "fields": fields })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut conn = app.db.pool().acquire().await.unwrap();
    let after = dojang_core::envelope::fields(&mut conn, &id).await.unwrap();
    assert_eq!(after.len(), stored.len() + 1);
    for f in &stored {
        let kept = after.iter().find(|a| a.id == f.id).unwrap();
        assert_eq!(kept.cover, f.cover, "the tag field keeps its cover");
    }
    let added = after.iter().find(|a| a.id.as_str() == "0123456789abcdef0123456789abcdef").unwrap();
    assert_eq!(added.cover, None, "the browser cannot add a cover");
}
