//! Public verification under attack: a file crafted to make the signature scanner copy the
//! whole file for every `/ByteRange` it holds is answered promptly, with a bounded number of
//! signatures examined, while the server keeps answering others.

use crate::helpers::spawn;
use serde_json::Value;
use std::time::Duration;

/// About 2 MB of `/ByteRange [0 1 N 0] /Contents <…>` over and over: every occurrence claims
/// a gap spanning nearly the whole file.
fn crafted(size: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut i = 0;
    while out.len() < size {
        let entry = format!("{i} 0 obj << /Type /Sig /ByteRange [0 1 {size} 0] /Contents <{}> >> endobj\n", "00".repeat(8));
        out.extend_from_slice(entry.as_bytes());
        i += 1;
    }
    out.truncate(size);
    out
}

/// Signature-shaped entries whose gaps really are hex strings, each distinct.
fn many_valid_shapes(count: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    for _ in 0..count {
        let start = out.len() + 100;
        let contents = format!("<{}>", "00".repeat(64));
        let head = format!("<< /Type /Sig /SubFilter /adbe.pkcs7.detached /ByteRange [0 {start} {} 0]", start + contents.len());
        let pad = 100 - head.len() - 1;
        out.extend_from_slice(format!("{head}{} ", " ".repeat(pad)).as_bytes());
        out.extend_from_slice(contents.as_bytes());
        out.extend_from_slice(b" >>\n");
    }
    out
}

async fn verify(base: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("crafted.pdf");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let r =
        client.post(format!("{base}/api/v1/verify")).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.expect("an answer, not a hang");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_file_crafted_against_the_scanner_is_answered_promptly_and_bounded() {
    let app = spawn().start().await;
    let base = app.address.clone();
    let attack = tokio::spawn(async move { verify(&base, crafted(2 * 1024 * 1024)).await });
    // The server answers others meanwhile: the scan runs off the async runtime.
    for _ in 0..20 {
        assert_eq!(app.get("/healthz").await.status, 200);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, report) = attack.await.unwrap();
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["sealedByThisInstance"], false);
    assert_eq!(report["signatures"].as_array().unwrap().len(), 0, "no occurrence is a real signature gap");

    let (status, report) = verify(&app.address, many_valid_shapes(500)).await;
    assert_eq!(status, 200, "{report}");
    let n = report["signatures"].as_array().unwrap().len();
    assert_eq!(n, dojang_core::seal::verify::MAX_SIGNATURES, "at most this many signatures are examined");
    assert_eq!(report["intact"], false);
    app.stop().await;
}

/// A sealed file whose bytes changed only inside its signature's gap (the case of one hex
/// digit): the seal still verifies, but it is not the file that was sealed, so it is not
/// reported intact — nor may any other contract's revision inside it make it so.
#[tokio::test]
async fn a_sealed_file_changed_inside_its_signature_gap_is_not_intact() {
    use crate::seal::{sealed, sign_all};
    let app = spawn().start().await;
    let sent = crate::signing::send_envelope(&app, &[("가나다", "a@example.com", 1)], |_| serde_json::json!({})).await;
    sign_all(&app, &sent).await;
    let d = sealed(&app, &sent.envelope).await;
    let doc = d["sealed_documents"][0]["document_id"].as_str().unwrap().to_owned();
    let (status, _, bytes) = app.get_bytes(&format!("/_app/envelopes/{}/documents/{doc}/sealed.pdf", sent.envelope)).await;
    assert_eq!(status, 200);
    let (_, report) = verify(&app.address, bytes.clone()).await;
    assert_eq!(report["intact"], true, "{report}");

    let mut changed = bytes;
    let at = changed.windows(11).rposition(|w| w == b"/Contents <").expect("a signature") + 11;
    let digit = at + changed[at..].iter().position(|b| (b'A'..=b'F').contains(b)).expect("an upper-case hex digit");
    changed[digit] = changed[digit].to_ascii_lowercase();
    let (status, report) = verify(&app.address, changed).await;
    assert_eq!(status, 200);
    assert_eq!(report["sealedByThisInstance"], true, "the seal itself still verifies: {report}");
    assert_eq!(report["intact"], false, "{report}");
    assert_eq!(report["modifiedAfterSealing"], true, "{report}");
    app.stop().await;
}
