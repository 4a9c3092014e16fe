//! A signer's submission as the server receives it (JSON), checked against a recipient's
//! fields of every kind: either a clean error or values that fit — never a panic.
#![no_main]

use dojang_core::geometry::FieldRect;
use dojang_core::ids::{DocumentId, FieldId, RecipientId};
use dojang_core::model::{FieldDraft, FieldKind, SignSubmission};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn fields() -> &'static [FieldDraft] {
    static FIELDS: OnceLock<Vec<FieldDraft>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        FieldKind::ALL
            .iter()
            .enumerate()
            .map(|(i, kind)| FieldDraft {
                id: FieldId::parse(&format!("{:032x}", i + 1)).unwrap(),
                recipient_id: RecipientId::parse(&format!("{:032x}", 100)).unwrap(),
                document_id: DocumentId::parse(&format!("{:032x}", 200)).unwrap(),
                page: 0,
                rect: FieldRect { x: 0.1, y: 0.1, width: 0.2, height: 0.05 },
                kind: *kind,
                required: i % 2 == 0,
                label: String::new(),
                placeholder: String::new(),
                options: if kind.has_options() { vec!["가".into(), "B".into()] } else { Vec::new() },
                format: (*kind == FieldKind::Date).then(|| "YYYY년 MM월 DD일".to_owned()),
                name: Some(format!("f{i}")),
                // text, name and select carry a value before signing (name read-only): the
                // check keeps a read-only value and falls back to a prefill.
                prefill: matches!(kind, FieldKind::Text | FieldKind::Name | FieldKind::Select).then(|| "가".to_owned()),
                read_only: *kind == FieldKind::Name,
                cover: None,
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(sub) = serde_json::from_slice::<SignSubmission>(data) else { return };
    let _ = dojang_core::signing::submission::check_submission(fields(), &sub, "2026-12-01");
});
