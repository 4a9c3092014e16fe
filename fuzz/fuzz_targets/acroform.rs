//! A PDF's own form as Dojang reads it (the fields a template or the editor takes) and writes
//! values back into it when sealing. Whatever the bytes: fields with a name and real widget
//! boxes, or none — and writing every field's value gives a file or an error, never a panic.
#![no_main]

use dojang_core::pdf::acroform::{self, FormValue};
use dojang_core::pdf::write::Update;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fields = acroform::fields(data);
    for f in &fields {
        assert!(!f.name.is_empty() && !f.widgets.is_empty(), "{f:?}");
        for (_, r) in &f.widgets {
            assert!(r.right > r.left && r.top > r.bottom, "{f:?}");
        }
    }
    let Ok(doc) = lopdf::Document::load_mem(data) else { return };
    let values: Vec<FormValue> = fields
        .iter()
        .map(|f| FormValue { name: f.name.clone(), kind: f.kind, value: f.options.first().cloned().unwrap_or_else(|| "가나다 true".to_owned()) })
        .collect();
    let mut up = Update::new(&doc);
    if let Ok(written) = acroform::fill(&doc, &mut up, &values) {
        assert!(written.len() <= values.len());
        let _ = up.finish(data);
    }
});
