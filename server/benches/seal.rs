//! Sealing benchmark (not a test): `scripts/bench.sh seal` (release build).
//!
//! Seals a 100-page PDF (the first 100 pages of the corpus's book) carrying 40 filled fields
//! — drawn signatures with pressure, Korean text, dates, checkboxes — plus the audit trail
//! pages, and signs it (PAdES B-B), the way the sealing job does. Beside it, the Node script
//! in `server/benches/node/seal.mjs` does the same stamping and signing with `pdf-lib` and
//! `@signpdf/signpdf` (the stack open-source peers use) on the same input and fields.
//!
//! Wall time per seal, median of several runs in one warm process each (program start and
//! key generation excluded on both sides). Prints a Markdown table and writes it to
//! `server/benches/results/seal.md`. Both outputs are checked with poppler's `pdfsig`.

use dojang_core::geometry::{FieldRect, PageGeometry};
use dojang_core::model::{AuditEntry, DrawnSignature, PointerKind, Stroke, StrokePoint};
use dojang_core::pdf::font::FontKind;
use dojang_core::pdf::PdfEngine;
use dojang_core::seal::compose::{Mark, Placed};
use dojang_core::seal::trail::{Trail, TrailDocument, TrailRecipient};
use dojang_core::seal::{cms, keys, seal_document, sign};
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod common;
use common::{cpu_model, num_cores, root, today};

const PAGES: u32 = 100;
const FIELDS: u32 = 40;
const RUNS: usize = 7;

fn work_dir() -> PathBuf {
    let d = root().join("target/bench-seal");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The first 100 pages of the book, written as a file of its own (input for both sides).
fn input_pdf() -> PathBuf {
    let mut doc = lopdf::Document::load(root().join("server/tests/fixtures/pdf/long__freeculture.pdf")).unwrap();
    let total = doc.get_pages().len() as u32;
    doc.delete_pages(&((PAGES + 1)..=total).collect::<Vec<_>>());
    doc.prune_objects();
    let out = work_dir().join("input-100.pdf");
    doc.save(&out).unwrap();
    out
}

/// A signature-like drawing: three strokes of a wave, 160 points, pressure varying.
fn signature(seed: u32) -> DrawnSignature {
    let strokes = (0..3)
        .map(|s| Stroke {
            pointer: PointerKind::Pen,
            points: (0..160)
                .map(|i| {
                    let t = i as f32 / 159.0;
                    StrokePoint {
                        x: 0.05 + 0.3 * s as f32 + 0.28 * t,
                        y: 0.5 + 0.3 * ((t * 12.0 + seed as f32 + s as f32).sin()),
                        t: (s * 400 + i * 6) as f32,
                        p: Some(0.3 + 0.5 * (t * 3.1).sin().abs()),
                    }
                })
                .collect(),
        })
        .collect();
    DrawnSignature { aspect: 3.0, strokes }
}

/// 40 fields over the 100 pages: a quarter each signatures, Korean text, dates, checkboxes.
fn fields() -> Vec<Placed> {
    (0..FIELDS)
        .map(|i| {
            let page = (i * PAGES / FIELDS) + (i % 2);
            let rect = FieldRect { x: 0.1 + 0.05 * (i % 4) as f64, y: 0.15 + 0.017 * i as f64, width: 0.3, height: 0.06 };
            let mark = match i % 4 {
                0 => Mark::Ink(signature(i)),
                1 => Mark::Text { text: format!("홍길동 Hong Gildong · 계약 조항 {i} 동의"), font: FontKind::Text },
                2 => Mark::Text { text: "2026-11-23".into(), font: FontKind::Text },
                _ => Mark::Check,
            };
            Placed { page, rect, mark }
        })
        .collect()
}

/// The audit trail: three recipients, 60 events.
fn trail(original_sha256: &str) -> Trail {
    let now = dojang_core::infra::db::Timestamp::now();
    let recipients = ["김서연", "이민준", "Alice Park"]
        .iter()
        .enumerate()
        .map(|(i, name)| TrailRecipient {
            name: (*name).into(),
            email: format!("signer{i}@example.com"),
            role: "signer".into(),
            order: i as i64 + 1,
            ip: Some(format!("203.0.113.{i}")),
            user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148".into()),
            invited: Some(now),
            viewed: Some(now),
            consented: Some(now),
            signed: Some(now),
            consent_version: Some("2026-01".into()),
            checks: Vec::new(),
            verified: None,
            signature: Some(Mark::Ink(signature(i as u32))),
        })
        .collect();
    let kinds = ["sent", "email.delivered", "opened", "consented", "field.filled", "signed"];
    let events = (0..60)
        .map(|i| AuditEntry {
            seq: i + 1,
            kind: kinds[i as usize % kinds.len()].into(),
            at: now.to_db(),
            recipient: Some(format!("signer{}@example.com", i % 3)),
            ip: Some("203.0.113.7".into()),
            user_agent: Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 Chrome/131.0".into()),
            data: json!({ "field": format!("f{i}") }),
            hash: format!("{:064x}", i * 7919),
        })
        .collect();
    Trail {
        envelope_id: "0193a1b2c3d4e5f60718293a4b5c6d7e".into(),
        name: "근로계약서 Employment agreement".into(),
        organization: "도장 주식회사".into(),
        sender: "sender@example.com".into(),
        time_zone: "Asia/Seoul".into(),
        sent_at: Some(now),
        completed_at: Some(now),
        documents: vec![TrailDocument { name: "input-100.pdf".into(), pages: PAGES as usize, original_sha256: original_sha256.into(), sealed_sha256: None }],
        recipients,
        consent_text: "I agree to sign electronically. 전자 서명에 동의합니다.".into(),
        events,
        chain_head: format!("{:064x}", 42),
        chain_intact: true,
        test_mode: false,
        interim: false,
    }
}

fn geometry(file: &Path) -> Vec<PageGeometry> {
    let lib = std::env::var("DOJANG_PDFIUM_LIB").unwrap_or_else(|_| root().join(".tools/pdfium/libpdfium.so").display().to_string());
    let engine = PdfEngine::start(Path::new(&lib)).expect("PDFium");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bytes = std::fs::read(file).unwrap();
    let boxes = rt.block_on(engine.run(move |ctx| dojang_core::pdf::inspect::inspect(ctx, &bytes, 10_000))).unwrap().unwrap();
    boxes.into_iter().map(|b| b.geometry).collect()
}

/// One seal as the job does it: the base check (a parse), marks and trail, signature.
fn seal_once(base: &[u8], geometry: &[PageGeometry], marks: &[Placed], trail: &Trail, key: &keys::SealKey) -> Vec<u8> {
    lopdf::Document::load_mem(base).unwrap();
    let info = sign::SignInfo {
        field_name: "Dojang seal bench",
        reason: "Sealed by Dojang",
        location: "Dojang",
        name: "Dojang",
        time: sign::pdf_date(time::OffsetDateTime::now_utc()),
    };
    let prepared = seal_document(base, dojang_core::seal::Layout::Pages, geometry, marks, &[], trail, &info).unwrap();
    let parts = cms::sign_attributes(key, &prepared.digest).unwrap();
    let der = cms::assemble(key, parts, None).unwrap();
    prepared.embed(&der).unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `pdfsig`'s verdict on a file: (signature valid, whole document signed).
fn pdfsig(file: &Path) -> (bool, bool) {
    let out = Command::new("pdfsig").arg(file).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    (out.contains("Signature is Valid"), out.contains("Total document signed"))
}

fn main() {
    let input = input_pdf();
    let base = std::fs::read(&input).unwrap();
    let geometry = geometry(&input);
    assert_eq!(geometry.len(), PAGES as usize);
    let marks = fields();
    let trail = trail(&dojang_core::document::sha256_hex(&base));
    let key = keys::ephemeral().unwrap();

    let mut times = Vec::new();
    let mut sealed = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        sealed = seal_once(&base, &geometry, &marks, &trail, &key);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let dojang_ms = median(times);
    let dojang_out = work_dir().join("sealed-dojang.pdf");
    std::fs::write(&dojang_out, &sealed).unwrap();
    eprintln!("dojang: {dojang_ms:.0} ms");

    // The same fields, in the page fractions both sides take, for the Node script.
    let spec = json!({
        "input": input,
        "output": work_dir().join("sealed-node.pdf"),
        "font": root().join("core/assets/fonts/NanumGothic.ttf"),
        "runs": RUNS,
        "fields": marks.iter().map(|m| {
            let (kind, text, strokes) = match &m.mark {
                Mark::Ink(d) => ("ink", String::new(), serde_json::to_value(&d.strokes).unwrap()),
                Mark::Text { text, .. } => ("text", text.clone(), json!([])),
                _ => ("check", String::new(), json!([])),
            };
            json!({ "page": m.page, "x": m.rect.x, "y": m.rect.y, "w": m.rect.width, "h": m.rect.height, "kind": kind, "text": text, "strokes": strokes })
        }).collect::<Vec<_>>(),
        "trail": {
            "title": trail.name,
            "lines": trail.events.iter().map(|e| format!("#{} {} {} {} {} {}", e.seq, e.at, e.kind, e.recipient.clone().unwrap_or_default(), e.ip.clone().unwrap_or_default(), e.hash)).collect::<Vec<_>>(),
            "recipients": trail.recipients.iter().map(|r| json!({ "name": r.name, "email": r.email, "strokes": match &r.signature { Some(Mark::Ink(d)) => serde_json::to_value(&d.strokes).unwrap(), _ => json!([]) } })).collect::<Vec<_>>(),
        },
    });
    let spec_file = work_dir().join("spec.json");
    std::fs::write(&spec_file, serde_json::to_vec(&spec).unwrap()).unwrap();
    let node_dir = root().join("server/benches/node");
    let out = Command::new("node").arg(node_dir.join("seal.mjs")).arg(&spec_file).current_dir(&node_dir).output().expect("node");
    assert!(out.status.success(), "node: {}", String::from_utf8_lossy(&out.stderr));
    let node: serde_json::Value = serde_json::from_slice(&out.stdout).expect("node prints JSON");
    let node_ms = node["medianMs"].as_f64().unwrap();
    let node_versions = node["versions"].as_str().unwrap_or("").to_owned();
    eprintln!("node: {node_ms:.0} ms");

    let node_out = work_dir().join("sealed-node.pdf");
    let (d_valid, d_total) = pdfsig(&dojang_out);
    let (n_valid, n_total) = pdfsig(&node_out);
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
    let yes = |b: bool| if b { "yes" } else { "no" };

    let mut md = String::new();
    writeln!(md, "# Sealing benchmark\n").unwrap();
    writeln!(md, "Measured {} on {} ({} cores), release build; Node {}.", today(), cpu_model(), num_cores(), node_versions).unwrap();
    writeln!(
        md,
        "Input: the first {PAGES} pages of `long__freeculture.pdf` ({:.1} MB); {FIELDS} fields (10 drawn signatures of 480 points with pressure, 10 Korean texts, 10 dates, 10 checkboxes) plus audit-trail pages (3 recipients with their signatures, 60 events). Wall time of one seal, median of {RUNS} runs in one warm process each.\n",
        base.len() as f64 / 1e6
    )
    .unwrap();
    writeln!(md, "| | Dojang (lopdf incremental update, P-256 PAdES B-B) | Node (pdf-lib + @signpdf/signpdf, RSA-2048) |").unwrap();
    writeln!(md, "| --- | ---: | ---: |").unwrap();
    writeln!(md, "| time per seal | {dojang_ms:.0} ms | {node_ms:.0} ms |").unwrap();
    writeln!(md, "| output size | {:.1} MB | {:.1} MB |", size(&dojang_out), size(&node_out)).unwrap();
    writeln!(md, "| pdfsig: signature valid / total document signed | {} / {} | {} / {} |", yes(d_valid), yes(d_total), yes(n_valid), yes(n_total)).unwrap();
    writeln!(md, "\nDojang / Node = {:.2} (goal: at most 0.33).", dojang_ms / node_ms).unwrap();
    print!("{md}");
    let out = root().join("server/benches/results/seal.md");
    std::fs::write(&out, md).unwrap();
    eprintln!("written to {}", out.display());
}
