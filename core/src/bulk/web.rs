//! The web app's bulk send: a CSV shown row by row with every problem marked before anything
//! is sent, sent whole or without its broken rows, and a batch's progress with each row's
//! people and envelope.

use super::{check_rows, parse_csv, Row, RowStatus};
use crate::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::{BatchId, TemplateId};
use crate::infra::db::Db;
use crate::model::{BatchRowView, BatchView, BulkPreview, PreviewRow, RowProblem};
use crate::template::{self, Template};
use std::collections::HashMap;

/// The rows of `csv` and what is wrong with each, nothing kept.
pub async fn preview(db: &Db, actor: &Actor, template_id: &TemplateId, csv: &str) -> AppResult<BulkPreview> {
    let t = template::get(db, actor, template_id).await?;
    Ok(checked(&t, csv).0)
}

/// Queues a batch of the rows of `csv`. With `skip_invalid` the rows with problems are left
/// out (the rest are sent); without, any problem refuses the whole file as the API does.
pub async fn send(db: &Db, actor: &Actor, template_id: &TemplateId, csv: &str, skip_invalid: bool) -> AppResult<BatchId> {
    let t = template::get(db, actor, template_id).await?;
    let (preview, rows) = checked(&t, csv);
    if let Some(p) = preview.problems.first() {
        return Err(AppError::field("csv", "invalid", p.clone()));
    }
    let rows: Vec<Row> = if skip_invalid { rows.into_iter().zip(&preview.rows).filter(|(_, p)| p.errors.is_empty()).map(|(r, _)| r).collect() } else { rows };
    if rows.is_empty() {
        return Err(AppError::field("csv", "required", "No row can be sent"));
    }
    super::create(db, actor, template_id, rows, false).await?.ok_or_else(|| AppError::internal_msg("a batch was not kept"))
}

/// The preview, and the rows as read (empty when the file itself cannot be read).
fn checked(t: &Template, csv: &str) -> (BulkPreview, Vec<Row>) {
    let rows = match parse_csv(t, csv) {
        Ok(rows) => rows,
        Err(e) => {
            let problems = e.fields.iter().map(|f| problem(&f.field, &f.message)).collect::<Vec<_>>();
            return (BulkPreview { rows: Vec::new(), problems: if problems.is_empty() { vec![e.message] } else { problems } }, Vec::new());
        }
    };
    let mut by_row: HashMap<usize, Vec<RowProblem>> = HashMap::new();
    let mut problems = Vec::new();
    for FieldError { field, code, message } in check_rows(t, &rows) {
        match row_of(&field) {
            Some((i, rest)) => by_row.entry(i).or_default().push(RowProblem { column: column_name(rows.get(i), rest), code, message }),
            None => problems.push(message),
        }
    }
    let preview = BulkPreview {
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, r)| PreviewRow {
                index: i,
                recipients: people(r),
                values: r.values.iter().map(|(k, v)| format!("{k} = {v}")).collect(),
                errors: by_row.remove(&i).unwrap_or_default(),
            })
            .collect(),
        problems,
    };
    (preview, rows)
}

/// `rows[3].recipients[0].email` → (3, `recipients[0].email`).
fn row_of(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("rows[")?;
    let (i, rest) = rest.split_once(']')?;
    Some((i.parse().ok()?, rest.trim_start_matches('.')))
}

/// The column of a problem as the CSV names it: a recipient's by their role
/// (`근로자.email`), a missing role by its name, a value's by the field's name.
fn column_name(row: Option<&Row>, column: &str) -> String {
    if let Some(role) = column.strip_prefix("recipients.") {
        return role.to_owned();
    }
    column
        .strip_prefix("recipients[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(j, part)| Some((row?.recipients.get(j.parse::<usize>().ok()?)?.role.clone(), part.trim_start_matches('.'))))
        .map(|(role, part)| if part.is_empty() { role } else { format!("{role}.{part}") })
        .unwrap_or_else(|| column.strip_prefix("values.").unwrap_or(column).to_owned())
}

fn problem(field: &str, message: &str) -> String {
    match row_of(field) {
        Some((i, _)) => format!("Row {} (line {}): {message}", i + 1, i + 2),
        None => message.to_owned(),
    }
}

fn people(r: &Row) -> Vec<String> {
    r.recipients.iter().map(|p| format!("{} <{}>", p.name, p.email)).collect()
}

/// Most rows the batch page shows (the API pages through all).
const VIEW_ROWS: i64 = 1000;

/// A batch the caller may see, its first rows with their people.
pub async fn view(db: &Db, actor: &Actor, id: &BatchId) -> AppResult<BatchView> {
    let b = super::get(db, actor, id, 0, VIEW_ROWS).await?;
    // Polled while the batch runs: the name alone, not the whole template.
    let template_name = match template::name(db, actor, &b.template_id).await {
        Ok(name) => name,
        Err(e) if e.code == crate::error::ErrorCode::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let inputs: HashMap<i64, Row> = super::inputs(db, id, VIEW_ROWS).await?.into_iter().collect();
    let counts: Vec<(RowStatus, i64)> = RowStatus::ALL.iter().map(|s| (*s, b.counts.get(s.as_str()).copied().unwrap_or(0))).collect();
    let finished = counts.iter().filter(|(s, _)| s.is_final()).map(|(_, n)| n).sum();
    Ok(BatchView {
        id: b.id,
        template_id: b.template_id,
        template_name,
        status: b.status,
        total: b.total,
        finished,
        counts,
        rows: b
            .rows
            .into_iter()
            .map(|r| BatchRowView {
                index: r.row_index,
                status: r.status,
                recipients: inputs.get(&r.row_index).map(people).unwrap_or_default(),
                envelope_id: r.envelope_id,
                error: r.error_message,
            })
            .collect(),
    })
}
