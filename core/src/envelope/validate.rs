//! Checking what an editor (the web app's or the API's) puts into a draft: recipients and
//! fields against the envelope's documents, every problem reported with its path.

use crate::error::{AppError, AppResult, FieldError};
use crate::geometry::FieldRect;
use crate::ids::{DocumentId, FieldId, RecipientId};
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
    let mut p = Problems(Vec::new());
    if recipients.len() > MAX_RECIPIENTS {
        p.add("recipients".into(), "too_many", "At most 50 recipients");
    }
    if fields.len() > MAX_FIELDS {
        p.add("fields".into(), "too_many", "At most 2000 fields");
    }
    let (mut ids, mut emails) = (HashSet::new(), HashSet::new());
    let clean_recipients: Vec<RecipientDraft> = recipients.iter().enumerate().map(|(i, r)| recipient(&mut p, i, r, &mut ids, &mut emails)).collect();
    let mut seen_fields = HashSet::new();
    let clean_fields: Vec<FieldDraft> = fields.iter().enumerate().filter_map(|(i, f)| field(&mut p, i, f, &ids, pages, &mut seen_fields)).collect();
    if p.0.is_empty() {
        Ok((clean_recipients, clean_fields))
    } else {
        Err(AppError::fields(p.0))
    }
}

/// Every problem found, each with the path of what it is about.
struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, field: String, code: &str, message: &str) {
        self.0.push(FieldError { field, code: code.into(), message: message.into() });
    }
}

/// One recipient, trimmed. Drafts may hold unfinished recipients (a name or an email still to
/// come); sending checks that every recipient is complete. What is there must be valid.
fn recipient(p: &mut Problems, i: usize, r: &RecipientDraft, ids: &mut HashSet<RecipientId>, emails: &mut HashSet<String>) -> RecipientDraft {
    let name = r.name.trim();
    let email = r.email.trim();
    if name.chars().count() > DisplayName::MAX_CHARS || name.chars().any(char::is_control) {
        p.add(format!("recipients[{i}].name"), "invalid", "Use at most 100 characters");
    }
    let parsed = if email.is_empty() { None } else { Some(EmailAddress::parse(email)) };
    match &parsed {
        Some(Err(_)) => p.add(format!("recipients[{i}].email"), "invalid", "Enter a valid email address"),
        Some(Ok(e)) if !emails.insert(e.as_str().to_owned()) => p.add(format!("recipients[{i}].email"), "duplicate", "Each recipient needs their own email"),
        _ => {}
    }
    if !ids.insert(r.id.clone()) {
        p.add(format!("recipients[{i}].id"), "duplicate", "Duplicate recipient");
    }
    if !(1..=MAX_RECIPIENTS as i64).contains(&r.order) {
        p.add(format!("recipients[{i}].order"), "invalid", "Order must be between 1 and 50");
    }
    let email = match parsed {
        Some(Ok(e)) => e.to_string(),
        _ => String::new(),
    };
    RecipientDraft { name: name.to_owned(), email, ..r.clone() }
}

/// One field, cleaned; `None` when it cannot be placed (its rectangle is off the page).
fn field(
    p: &mut Problems,
    i: usize,
    f: &FieldDraft,
    recipients: &HashSet<RecipientId>,
    pages: &HashMap<DocumentId, u32>,
    seen: &mut HashSet<FieldId>,
) -> Option<FieldDraft> {
    let path = |x: &str| format!("fields[{i}].{x}");
    if !seen.insert(f.id.clone()) {
        p.add(path("id"), "duplicate", "Duplicate field");
    }
    if !recipients.contains(&f.recipient_id) {
        p.add(path("recipient"), "unknown", "The field's recipient is not in the contract");
    }
    match pages.get(&f.document_id) {
        None => p.add(path("document"), "unknown", "The field's document is not in the contract"),
        Some(n) if f.page >= *n => p.add(path("page"), "unknown", "The page does not exist"),
        Some(_) => {}
    }
    let rect = FieldRect::parse(f.rect.x, f.rect.y, f.rect.width, f.rect.height);
    if rect.is_err() {
        p.add(path("rect"), "out_of_page", "A field must lie inside its page");
    }
    let label = f.label.trim().to_owned();
    let placeholder = f.placeholder.trim().to_owned();
    if label.chars().count() > 200 || placeholder.chars().count() > 200 {
        p.add(path("label"), "too_long", "Use at most 200 characters");
    }
    let options = options(p, &path("options"), f);
    let format = date_format(p, &path("format"), f);
    let name = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    if name.as_ref().is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control)) {
        p.add(path("name"), "invalid", "Use at most 100 characters, without control characters");
    }
    let checked = FieldDraft { rect: rect.ok()?, label, placeholder, options, format, name, ..f.clone() };
    let prefill = prefill(p, &path("value"), &checked);
    Some(FieldDraft { prefill, ..checked })
}

/// A value given before signing: only for fields a signer types or chooses in, of the
/// field's kind; a read-only field needs one.
fn prefill(p: &mut Problems, path: &str, f: &FieldDraft) -> Option<String> {
    let raw = f.prefill.as_deref().map(str::trim);
    let takes_value = !matches!(f.kind, FieldKind::Signature | FieldKind::Initials | FieldKind::Date);
    match raw {
        Some(_) | None if !takes_value => {
            if raw.is_some() || f.read_only {
                p.add(path.into(), "not_allowed", "Signatures, initials and dates are given by the signer");
            }
            None
        }
        None | Some("") if f.read_only => {
            p.add(path.into(), "required", "A read-only field needs a value");
            None
        }
        None => None,
        Some(v) => match crate::signing::submission::typed_value(&FieldDraft { required: false, ..f.clone() }, v) {
            Ok(v) => v,
            Err((code, message)) => {
                p.add(path.into(), code, message);
                None
            }
        },
    }
}

/// A choice field's options: trimmed, at least one, at most 50 of 200 characters, distinct.
fn options(p: &mut Problems, path: &str, f: &FieldDraft) -> Vec<String> {
    if !f.kind.has_options() {
        return Vec::new();
    }
    let options: Vec<String> = f.options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
    if options.is_empty() {
        p.add(path.into(), "required", "Give at least one option");
    }
    if options.len() > 50 || options.iter().any(|o| o.chars().count() > 200) {
        p.add(path.into(), "too_long", "At most 50 options of 200 characters");
    }
    if options.iter().collect::<HashSet<_>>().len() != options.len() {
        p.add(path.into(), "duplicate", "Options must differ");
    }
    options
}

/// A date field's format (the first known one by default); other kinds have none.
fn date_format(p: &mut Problems, path: &str, f: &FieldDraft) -> Option<String> {
    match (f.kind, f.format.as_deref()) {
        (FieldKind::Date, None) => Some(DATE_FORMATS[0].to_owned()),
        (FieldKind::Date, Some(fmt)) if DATE_FORMATS.contains(&fmt) => Some(fmt.to_owned()),
        (FieldKind::Date, Some(_)) => {
            p.add(path.into(), "invalid", "Unknown date format");
            None
        }
        _ => None,
    }
}
