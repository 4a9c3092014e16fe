//! Rows from CSV: a header, then one row per envelope. Per role `<role>.name`,
//! `<role>.email` and optionally `<role>.phone` and `<role>.language` (`ko`/`en`); an optional
//! `externalId`; every other column is a value for the fields of that name. UTF-8, with or
//! without a byte-order mark; empty cells are left out.

use super::{Row, RowRecipient, MAX_ROWS};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::Language;
use crate::template::Template;

/// The rows of `text`, the template telling role columns from value columns.
pub fn parse_csv(t: &Template, text: &str) -> AppResult<Vec<Row>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = ::csv::ReaderBuilder::new().has_headers(true).trim(::csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().map_err(|e| bad("csv", format!("The header cannot be read: {e}")))?.iter().map(str::to_owned).collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(bad("csv", "The CSV has no header".into()));
    }
    // What each column holds.
    enum Column {
        Recipient(String, &'static str),
        ExternalId,
        Value(String),
    }
    let columns: Vec<Column> = header
        .iter()
        .map(|h| {
            if h == "externalId" {
                return Column::ExternalId;
            }
            if let Some((role, part)) = h.rsplit_once('.') {
                let part = match part.to_ascii_lowercase().as_str() {
                    "name" => Some("name"),
                    "email" => Some("email"),
                    "phone" => Some("phone"),
                    "language" => Some("language"),
                    _ => None,
                };
                if let (Some(part), Some(r)) = (part, t.roles.iter().find(|r| r.name.to_lowercase() == role.trim().to_lowercase())) {
                    return Column::Recipient(r.name.clone(), part);
                }
            }
            Column::Value(h.clone())
        })
        .collect();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if i >= MAX_ROWS {
            return Err(bad("rows", format!("A batch holds at most {MAX_ROWS} rows")));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError { field: format!("rows[{i}]"), code: "invalid".into(), message: format!("This line cannot be read: {e}") });
                continue;
            }
        };
        let mut row = Row::default();
        for (cell, column) in record.iter().zip(&columns) {
            if cell.is_empty() {
                continue;
            }
            match column {
                Column::ExternalId => row.external_id = Some(cell.to_owned()),
                Column::Value(name) => {
                    row.values.insert(name.clone(), cell.to_owned());
                }
                Column::Recipient(role, part) => {
                    let at = match row.recipients.iter().position(|r| &r.role == role) {
                        Some(at) => at,
                        None => {
                            row.recipients.push(RowRecipient { role: role.clone(), email: String::new(), name: String::new(), phone: None, language: None });
                            row.recipients.len() - 1
                        }
                    };
                    let r = &mut row.recipients[at];
                    match *part {
                        "name" => r.name = cell.to_owned(),
                        "email" => r.email = cell.to_owned(),
                        "phone" => r.phone = Some(cell.to_owned()),
                        _ => match cell.to_ascii_lowercase().as_str() {
                            "ko" => r.language = Some(Language::Ko),
                            "en" => r.language = Some(Language::En),
                            _ => errors.push(FieldError {
                                field: format!("rows[{i}].recipients.{role}.language"),
                                code: "invalid".into(),
                                message: "ko or en".into(),
                            }),
                        },
                    }
                }
            }
        }
        rows.push(row);
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(AppError::fields(errors))
    }
}

fn bad(field: &str, message: String) -> AppError {
    AppError::fields(vec![FieldError { field: field.into(), code: "invalid".into(), message }])
}
