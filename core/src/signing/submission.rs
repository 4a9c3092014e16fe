//! Checking what a signer submits, before anything is stored: the number of values, every
//! signature (a real drawing, a name, a PNG of at most 1 MB) and every field's value of the
//! right kind, required ones filled. Pure: the fuzz target runs it on any JSON.

use super::format_date;
use crate::envelope::transition::FieldValue;
use crate::error::{AppError, AppResult, ErrorCode, FieldError};
use crate::geometry::FieldRect;
use crate::ids::{DocumentId, FieldId, RecipientId};
use crate::model::{FieldDraft, FieldKind, SignSubmission, SignatureInput};
use base64::Engine as _;
use std::collections::HashMap;

/// Largest signature image accepted (PNG bytes).
pub const MAX_SIGNATURE_PNG: usize = 1024 * 1024;
/// Most signatures (and initials) in one submission.
pub const MAX_SIGNATURES: usize = 20;
/// Most signatures a free-form signer places.
pub const MAX_PLACEMENTS: usize = 20;
/// Most points of one drawn signature.
const MAX_SIGNATURE_POINTS: usize = 50_000;
const MAX_TEXT_VALUE: usize = 1000;

/// A signature as checked: how it was made, its picture, its strokes or typed text.
pub struct CheckedSignature {
    pub method: &'static str,
    pub png: Vec<u8>,
    pub strokes: Option<String>,
    pub typed: Option<String>,
}

/// A submission checked whole, nothing stored yet.
pub struct CheckedSubmission {
    pub signatures: Vec<CheckedSignature>,
    pub values: Vec<FieldValue>,
}

/// Checks everything a signer submits against their fields, before anything is stored: the
/// number of values, every signature (a real drawing, a name, a PNG of at most 1 MB), every
/// value of the right kind and every required field filled.
pub fn check_submission(mine: &[crate::model::FieldDraft], sub: &SignSubmission, today: &str) -> AppResult<CheckedSubmission> {
    if sub.signatures.len() > MAX_SIGNATURES || sub.fields.len() > crate::envelope::MAX_FIELDS {
        return Err(AppError::new(ErrorCode::BadRequest, "Too many values"));
    }
    let mut signatures = Vec::with_capacity(sub.signatures.len());
    for sig in &sub.signatures {
        let (method, png, strokes, typed) = match sig {
            SignatureInput::Drawn { drawing, png } => {
                let points: usize = drawing.strokes.iter().map(|s| s.points.len()).sum();
                if points > MAX_SIGNATURE_POINTS || !drawing.is_substantial() {
                    return Err(AppError::new(ErrorCode::SignatureEmpty, "Draw your signature (a dot or an empty pad is not a signature)"));
                }
                ("drawn", png, Some(serde_json::to_string(drawing).unwrap_or_default()), None)
            }
            SignatureInput::Typed { text, png } => {
                let t = text.trim();
                if t.is_empty() || t.chars().count() > 100 {
                    return Err(AppError::new(ErrorCode::SignatureEmpty, "Type your name to sign"));
                }
                ("typed", png, None, Some(t.to_owned()))
            }
            SignatureInput::Uploaded { png } => ("uploaded", png, None, None),
        };
        signatures.push(CheckedSignature { method, png: decode_png(png)?, strokes, typed });
    }
    let values = check_values(mine, sub, today)?;
    Ok(CheckedSubmission { signatures, values })
}

/// Checks the submission against the recipient's fields: every required field filled, every
/// value of the right kind. Date fields get the signing date, whatever was sent.
fn check_values(fields: &[crate::model::FieldDraft], sub: &SignSubmission, today: &str) -> AppResult<Vec<FieldValue>> {
    let given: HashMap<&FieldId, &crate::model::FieldInput> = sub.fields.iter().map(|f| (&f.field_id, f)).collect();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for f in fields {
        let path = format!("fields.{}", f.id);
        let input = given.get(&f.id);
        // A read-only field keeps the value it was given; an editable one starts from it.
        let given_value = input.map(|i| i.value.trim().to_owned());
        let raw = if f.read_only { f.prefill.clone() } else { given_value.or_else(|| f.prefill.clone()) }.unwrap_or_default();
        let mut bad = |code: &str, msg: &str| errors.push(FieldError { field: path.clone(), code: code.into(), message: msg.into() });
        let value = match f.kind {
            FieldKind::Signature | FieldKind::Initials => match input.and_then(|i| i.signature) {
                Some(i) if i < sub.signatures.len() => Some((String::new(), Some(i))),
                Some(_) => {
                    bad("invalid", "Unknown signature");
                    None
                }
                None => None,
            },
            FieldKind::Date => Some((format_date(today, f.format.as_deref().unwrap_or("YYYY-MM-DD")), None)),
            _ => match typed_value(f, &raw) {
                Ok(v) => v.map(|v| (v, None)),
                Err((code, msg)) => {
                    bad(code, msg);
                    None
                }
            },
        };
        match value {
            Some((v, sig)) => out.push(FieldValue { field_id: f.id.clone(), kind: f.kind, value: v, signature: sig }),
            None if f.kind == FieldKind::Name && !f.required => {}
            None if f.required && !errors.iter().any(|e: &FieldError| e.field == path) => {
                errors.push(FieldError { field: path, code: "required".into(), message: "This field is required".into() })
            }
            None => {}
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::fields(errors))
    }
}

/// A typed value (not a signature or date) checked against its field: `None` when empty
/// (a checkbox left empty is `false` unless required), else the value as stored, or the
/// error's code and message.
pub(crate) fn typed_value(f: &FieldDraft, raw: &str) -> Result<Option<String>, (&'static str, &'static str)> {
    match f.kind {
        FieldKind::Checkbox => match raw {
            "true" => Ok(Some("true".into())),
            "" | "false" => Ok((!f.required).then(|| "false".into())),
            _ => Err(("invalid", "A checkbox is true or false")),
        },
        _ if raw.is_empty() => Ok(None),
        _ if raw.chars().count() > MAX_TEXT_VALUE => Err(("too_long", "Use at most 1000 characters")),
        FieldKind::Number if raw.replace([',', ' '], "").parse::<f64>().is_err() => Err(("invalid", "Enter a number")),
        FieldKind::Email if crate::types::EmailAddress::parse(raw).is_err() => Err(("invalid", "Enter a valid email address")),
        FieldKind::Radio | FieldKind::Select if !f.options.iter().any(|o| o == raw) => Err(("invalid", "Choose one of the options")),
        _ => Ok(Some(raw.to_owned())),
    }
}

/// Checks a free-form signer's placements against the envelope's documents (id and page
/// count) and the submission's signatures: at least one, at most `MAX_PLACEMENTS`, each inside
/// a page of a document of the envelope. Each becomes a required signature field of
/// `recipient` with its value.
pub fn placed_fields(sub: &SignSubmission, recipient: &RecipientId, pages: &HashMap<DocumentId, u32>) -> AppResult<(Vec<FieldDraft>, Vec<FieldValue>)> {
    if sub.placements.is_empty() {
        return Err(AppError::field("placements", "required", "Place your signature on a page"));
    }
    if sub.placements.len() > MAX_PLACEMENTS {
        return Err(AppError::field("placements", "too_many", "Place your signature at most 20 times"));
    }
    let mut errors = Vec::new();
    let (mut fields, mut values) = (Vec::new(), Vec::new());
    for (i, p) in sub.placements.iter().enumerate() {
        let mut bad =
            |part: &str, code: &str, msg: &str| errors.push(FieldError { field: format!("placements[{i}].{part}"), code: code.into(), message: msg.into() });
        let Some(&count) = pages.get(&p.document_id) else {
            bad("documentId", "not_found", "Not a document of this contract");
            continue;
        };
        if p.page >= count {
            bad("page", "out_of_range", "The document has no such page");
            continue;
        }
        if p.signature >= sub.signatures.len() {
            bad("signature", "invalid", "Unknown signature");
            continue;
        }
        let Ok(rect) = FieldRect::parse(p.rect.x, p.rect.y, p.rect.width, p.rect.height) else {
            bad("rect", "out_of_page", "A signature must lie inside its page and have a size");
            continue;
        };
        let field = FieldDraft {
            id: FieldId::new(),
            recipient_id: recipient.clone(),
            document_id: p.document_id.clone(),
            page: p.page,
            rect,
            kind: FieldKind::Signature,
            required: true,
            label: crate::i18n::both::SIGNATURE_PAGE_SIGNATURE.to_owned(),
            placeholder: String::new(),
            options: Vec::new(),
            format: None,
            name: None,
            prefill: None,
            read_only: false,
            cover: None,
        };
        values.push(FieldValue { field_id: field.id.clone(), kind: FieldKind::Signature, value: String::new(), signature: Some(p.signature) });
        fields.push(field);
    }
    if errors.is_empty() {
        Ok((fields, values))
    } else {
        Err(AppError::fields(errors))
    }
}

/// A signature's PNG, checked.
fn decode_png(data: &str) -> AppResult<Vec<u8>> {
    let b64 = data.strip_prefix("data:image/png;base64,").unwrap_or(data);
    if b64.len() > MAX_SIGNATURE_PNG / 3 * 4 + 8 {
        return Err(AppError::new(ErrorCode::SignatureInvalid, "The signature must be a PNG image of at most 1 MB"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| AppError::new(ErrorCode::SignatureInvalid, "The signature image is not valid"))?;
    if bytes.len() > MAX_SIGNATURE_PNG || !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(AppError::new(ErrorCode::SignatureInvalid, "The signature must be a PNG image of at most 1 MB"));
    }
    Ok(bytes)
}
