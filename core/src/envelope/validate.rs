//! Checking what an editor (the web app's or the API's) puts into a draft: recipients and
//! fields against the envelope's documents, every problem reported with its path.

use crate::error::{AppError, AppResult, FieldError};
use crate::geometry::FieldRect;
use crate::ids::DocumentId;
use crate::model::{FieldDraft, FieldKind, RecipientDraft, DATE_FORMATS};
use crate::types::{DisplayName, EmailAddress};
use std::collections::{HashMap, HashSet};

pub const MAX_RECIPIENTS: usize = 50;
pub const MAX_FIELDS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 200;

/// A contract name: trimmed, 1–200 characters, no control characters.
pub fn parse_name(raw: &str) -> AppResult<String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::field("name", "required", "Give the contract a name"));
    }
    if s.chars().count() > MAX_NAME_CHARS || s.chars().any(char::is_control) {
        return Err(AppError::field("name", "invalid", "Use at most 200 characters, without control characters"));
    }
    Ok(s.to_owned())
}

/// Checks the editor's recipients and fields against the envelope's documents, reporting
/// every problem with a path such as `recipients[1].email` or `fields[3].rect`.
pub fn validate(recipients: &[RecipientDraft], fields: &[FieldDraft], pages: &HashMap<DocumentId, u32>) -> AppResult<(Vec<RecipientDraft>, Vec<FieldDraft>)> {
    let mut errors = Vec::new();
    let mut err = |field: String, code: &str, message: &str| errors.push(FieldError { field, code: code.into(), message: message.into() });
    if recipients.len() > MAX_RECIPIENTS {
        err("recipients".into(), "too_many", "At most 50 recipients");
    }
    if fields.len() > MAX_FIELDS {
        err("fields".into(), "too_many", "At most 2000 fields");
    }
    let mut clean_recipients = Vec::with_capacity(recipients.len());
    let mut seen_ids = HashSet::new();
    let mut seen_emails = HashSet::new();
    // Drafts may hold unfinished recipients (a name or an email still to come); sending
    // checks that every recipient is complete. What is there must be valid.
    for (i, r) in recipients.iter().enumerate() {
        let name = r.name.trim();
        let email = r.email.trim();
        if name.chars().count() > DisplayName::MAX_CHARS || name.chars().any(char::is_control) {
            err(format!("recipients[{i}].name"), "invalid", "Use at most 100 characters");
        }
        let parsed = if email.is_empty() { None } else { Some(EmailAddress::parse(email)) };
        match &parsed {
            Some(Err(_)) => err(format!("recipients[{i}].email"), "invalid", "Enter a valid email address"),
            Some(Ok(e)) if !seen_emails.insert(e.as_str().to_owned()) => {
                err(format!("recipients[{i}].email"), "duplicate", "Each recipient needs their own email")
            }
            _ => {}
        }
        if !seen_ids.insert(r.id.clone()) {
            err(format!("recipients[{i}].id"), "duplicate", "Duplicate recipient");
        }
        if !(1..=MAX_RECIPIENTS as i64).contains(&r.order) {
            err(format!("recipients[{i}].order"), "invalid", "Order must be between 1 and 50");
        }
        let email = match parsed {
            Some(Ok(e)) => e.to_string(),
            _ => String::new(),
        };
        clean_recipients.push(RecipientDraft { name: name.to_owned(), email, ..r.clone() });
    }
    let mut clean_fields = Vec::with_capacity(fields.len());
    let mut seen_fields = HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let path = |p: &str| format!("fields[{i}].{p}");
        if !seen_fields.insert(f.id.clone()) {
            err(path("id"), "duplicate", "Duplicate field");
        }
        if !seen_ids.contains(&f.recipient_id) {
            err(path("recipient"), "unknown", "The field's recipient is not in the contract");
        }
        match pages.get(&f.document_id) {
            None => err(path("document"), "unknown", "The field's document is not in the contract"),
            Some(n) if f.page >= *n => err(path("page"), "unknown", "The page does not exist"),
            Some(_) => {}
        }
        let rect = FieldRect::parse(f.rect.x, f.rect.y, f.rect.width, f.rect.height);
        if rect.is_err() {
            err(path("rect"), "out_of_page", "A field must lie inside its page");
        }
        let label = f.label.trim().to_owned();
        let placeholder = f.placeholder.trim().to_owned();
        if label.chars().count() > 200 || placeholder.chars().count() > 200 {
            err(path("label"), "too_long", "Use at most 200 characters");
        }
        let options: Vec<String> = f.options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        if f.kind.has_options() {
            if options.is_empty() {
                err(path("options"), "required", "Give at least one option");
            }
            if options.len() > 50 || options.iter().any(|o| o.chars().count() > 200) {
                err(path("options"), "too_long", "At most 50 options of 200 characters");
            }
            if options.iter().collect::<HashSet<_>>().len() != options.len() {
                err(path("options"), "duplicate", "Options must differ");
            }
        }
        let format = match (f.kind, f.format.as_deref()) {
            (FieldKind::Date, None) => Some(DATE_FORMATS[0].to_owned()),
            (FieldKind::Date, Some(fmt)) if DATE_FORMATS.contains(&fmt) => Some(fmt.to_owned()),
            (FieldKind::Date, Some(_)) => {
                err(path("format"), "invalid", "Unknown date format");
                None
            }
            _ => None,
        };
        if let Ok(rect) = rect {
            clean_fields.push(FieldDraft { rect, label, placeholder, options: if f.kind.has_options() { options } else { Vec::new() }, format, ..f.clone() });
        }
    }
    if errors.is_empty() {
        Ok((clean_recipients, clean_fields))
    } else {
        Err(AppError::fields(errors))
    }
}
