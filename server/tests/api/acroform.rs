//! A PDF's own form (issue 16): the corpus' Korean AcroForm (text, check boxes, a radio group
//! with Korean export names, choices) taken as a template's fields for two roles, exactly over
//! the form's widgets; an envelope from it prefilled by field name, signed, sealed — and the
//! values read back out of the sealed file's form fields by pyHanko and pdftotext, the fields
//! made read-only, the seal still valid.

use crate::helpers::{fixture, python, repo_root, spawn};
use crate::integrators::completed;
use crate::rest::{call, key_for};
use crate::templates::{field_errors, sealed_pdf, sign_all, upload_bytes};
use serde_json::{json, Value};
use std::process::Command;

/// The form as pyHanko reads it (`tools/form_values.py`).
fn form_values(pdf: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("form.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new(python()).arg(repo_root().join("server/tests/tools/form_values.py")).arg(&path).output().expect("pyHanko");
    assert!(out.status.success(), "form_values.py: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_korean_pdf_form_becomes_fields_of_two_roles_and_its_values_are_written_back_when_sealing() {
    let app = spawn().start().await;
    let key = key_for(&app, "acroform").await;
    let original = fixture("form-cjk__korean.pdf");
    let before = form_values(&original);
    assert_eq!(before["firstName1"]["value"], Value::Null, "{before}");
    let doc = upload_bytes(&app, &key, "신청서.pdf", original).await;

    // A role the template does not have is refused.
    let body = |role: &str| {
        json!({
            "name": "신청서", "documentIds": [doc],
            "roles": [{ "name": "신청인" }, { "name": "확인자" }],
            "formFields": { "role": "신청인", "roles": { "cb15": role } },
            "fields": [{ "document": doc, "page": 1, "x": 0.1, "y": 0.8, "width": 0.3, "height": 0.06, "type": "signature", "role": "신청인" }],
        })
    };
    let r = call(&app, &key, "POST", "/templates", Some(body("대리인"))).await;
    assert_eq!((r.status, field_errors(&r).first().map(|f| f.1.clone())), (422, Some("unknown".into())), "{}", r.body);

    let made = call(&app, &key, "POST", "/templates", Some(body("확인자"))).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let t = made.json();
    let fields = t["fields"].as_array().unwrap();
    let by_name = |n: &str| fields.iter().find(|f| f["name"] == n).unwrap_or_else(|| panic!("{n} in {fields:?}")).clone();
    // Each kind as the form has it, for the role asked.
    for (name, kind, role) in [
        ("firstName1", "text", "신청인"),
        ("note1", "text", "신청인"),
        ("cb11", "checkbox", "신청인"),
        ("cb15", "checkbox", "확인자"),
        ("gender1", "radio", "신청인"),
        ("city11", "select", "신청인"),
        ("city12", "select", "신청인"),
    ] {
        let f = by_name(name);
        assert_eq!((f["type"].as_str(), f["role"].as_str(), f["page"].as_u64()), (Some(kind), Some(role), Some(0)), "{f}");
    }
    assert_eq!(by_name("gender1")["options"], json!(["여자", "남성", "논바이너리"]));
    assert_eq!(by_name("city11")["options"], json!(["샌프란시스코", "상파울루", "비엔나"]));
    // Exactly over the widget: Rect [150 720 360 736.4] on a page cropped to [10 10 585 832].
    let f = by_name("firstName1");
    let near = |a: &Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-3;
    assert!(
        near(&f["x"], 140.0 / 575.0) && near(&f["y"], (832.0 - 736.4) / 822.0) && near(&f["width"], 210.0 / 575.0) && near(&f["height"], 16.4 / 822.0),
        "{f}"
    );
    // The radio group: one field over its three buttons ([150…296] × [660…672]).
    let g = by_name("gender1");
    assert!(near(&g["x"], 140.0 / 575.0) && near(&g["width"], 146.0 / 575.0), "{g}");
    assert_eq!(fields.len(), 24 + 1, "every form field and the signature: {fields:?}");

    // An envelope prefilled by the form's names; the signers fill the rest.
    let made = call(
        &app,
        &key,
        "POST",
        &format!("/templates/{}/envelopes", t["id"].as_str().unwrap()),
        Some(json!({
            "recipients": [
                { "role": "신청인", "email": "applicant@example.com", "name": "홍길동" },
                { "role": "확인자", "email": "checker@example.com", "name": "김확인" },
            ],
            "values": { "firstName1": { "value": "길동", "readOnly": true }, "city12": "인천" },
        })),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    sign_all(
        &app,
        &sent.json(),
        &[
            ("applicant@example.com", vec![("lastName1", "홍"), ("gender1", "남성"), ("cb11", "true"), ("city11", "비엔나"), ("note1", "첫 줄")]),
            ("checker@example.com", vec![("cb15", "true")]),
        ],
    )
    .await;
    completed(&app, &key, &id).await;
    let sealed = sealed_pdf(&app, &key, &id, &doc).await;

    // The values are in the form fields, which are read-only now.
    let after = form_values(&sealed);
    let v = |n: &str| after[n]["value"].clone();
    assert_eq!(
        (v("firstName1"), v("lastName1"), v("note1"), v("city11"), v("city12")),
        (json!("길동"), json!("홍"), json!("첫 줄"), json!("비엔나"), json!("인천")),
        "{after}"
    );
    // This file's producer spelled the radio buttons' states `#eb#82#a8…` (the UTF-8 of 남성,
    // escaped twice): Dojang offers them as the Korean they spell and writes back the name as
    // the file has it.
    let male = "#eb#82#a8#ec#84#b1";
    assert_eq!((v("gender1"), v("cb11"), v("cb15"), v("cb12")), (json!(male), json!("Yes"), json!("Yes"), json!("Off")), "{after}");
    assert_eq!(after["gender1"]["states"], json!(["Off", male, "Off"]), "{after}");
    assert_eq!(after["cb11"]["states"], json!(["Yes"]), "{after}");
    for n in ["firstName1", "lastName1", "gender1", "cb11", "cb15", "city11", "city12"] {
        assert_eq!(after[n]["readOnly"], true, "{n}: {after}");
    }
    // A field nobody filled keeps what the form held.
    assert_eq!(after["dob1"]["value"], before["dob1"]["value"], "{after}");
    // The text shows once, where the form field is (Dojang's drawing in the embedded font).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sealed.pdf");
    std::fs::write(&file, &sealed).unwrap();
    let text = crate::seal::first_page_text(&file);
    assert_eq!(text.matches("길동").count(), 1, "{text}");
    assert!(text.contains("비엔나") && text.contains("홍"), "{text}");
    // And the seal holds, for pyHanko and for Dojang's own check.
    let root = dir.path().join("root.pem");
    std::fs::write(&root, app.get("/verify/root.pem").await.body).unwrap();
    let sigs = crate::seal::pyhanko(&file, &root);
    assert_eq!(sigs.len(), 1, "{sigs:?}");
    assert_eq!((sigs[0]["intact"].as_bool(), sigs[0]["valid"].as_bool(), sigs[0]["trusted"].as_bool()), (Some(true), Some(true), Some(true)), "{sigs:?}");
    assert_eq!(crate::seal::verify_file(&app, sealed).await["intact"], true);
}

#[tokio::test]
async fn form_fields_on_rotated_pages_are_placed_as_the_page_is_shown_and_written_back() {
    let app = spawn().start().await;
    let key = key_for(&app, "acroform-rotated").await;
    // Nine Letter pages turned 0, 90, 0, 90, 180, 90, 0, 270, 0 degrees, three text boxes each
    // (two of them hidden).
    let doc = upload_bytes(&app, &key, "rotated.pdf", fixture("form-rotate__manual-appearances.pdf")).await;
    let made = call(
        &app,
        &key,
        "POST",
        "/templates",
        Some(json!({
            "name": "rotated", "documentIds": [doc], "roles": [{ "name": "Signer" }], "formFields": { "role": "Signer" },
            "fields": [{ "document": doc, "page": 0, "x": 0.1, "y": 0.9, "width": 0.3, "height": 0.06, "type": "signature", "role": "Signer" }],
        })),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let t = made.json();
    let fields = t["fields"].as_array().unwrap();
    // Text Box 19 is NoView and Text Box 21 Hidden: no signer would see them.
    assert_eq!(fields.len(), 25 + 1);
    assert!(!fields.iter().any(|f| f["name"] == "Text Box 19" || f["name"] == "Text Box 21"), "{fields:?}");
    let f = |n: &str| fields.iter().find(|f| f["name"] == n).unwrap().clone();
    let near = |a: &Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-3;
    // Rect [129.849 651.151 197.151 702.099]: upright on page 1; on page 2 (turned 90°
    // clockwise, shown 792 × 612) the box's user y runs across and its x down.
    let upright = f("Text Box 1");
    assert!(near(&upright["x"], 129.849 / 612.0) && near(&upright["y"], (792.0 - 702.099) / 792.0) && near(&upright["width"], 67.302 / 612.0), "{upright}");
    let turned = f("Text Box 4");
    assert_eq!(turned["page"], 1);
    assert!(
        near(&turned["x"], 651.151 / 792.0)
            && near(&turned["y"], 129.849 / 612.0)
            && near(&turned["width"], 50.948 / 792.0)
            && near(&turned["height"], 67.302 / 612.0),
        "{turned}"
    );
    for field in fields {
        for k in ["x", "y", "width", "height"] {
            assert!((0.0..=1.0).contains(&field[k].as_f64().unwrap()), "{field}");
        }
    }

    let made = call(
        &app,
        &key,
        "POST",
        &format!("/templates/{}/envelopes", t["id"].as_str().unwrap()),
        Some(json!({ "recipients": [{ "role": "Signer", "email": "rotated@example.com", "name": "이서명" }], "values": { "Text Box 4": "돌린 쪽", "Text Box 22": "270°" } })),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    sign_all(&app, &sent.json(), &[]).await;
    completed(&app, &key, &id).await;
    let after = form_values(&sealed_pdf(&app, &key, &id, &doc).await);
    assert_eq!((after["Text Box 4"]["value"].clone(), after["Text Box 22"]["value"].clone()), (json!("돌린 쪽"), json!("270°")), "{after}");
    assert_eq!(after["Text Box 4"]["readOnly"], true);
    assert_eq!(after["Text Box 5"]["readOnly"], false, "a field left empty is left as it was");
}
