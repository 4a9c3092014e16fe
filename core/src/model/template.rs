//! Templates and bulk sends as the web app shows them: the template list, the roles a new
//! envelope fills in, a CSV checked row by row before sending, and a batch's progress.

use crate::ids::{BatchId, EnvelopeId, TemplateId};
use serde::{Deserialize, Serialize};

/// A template in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateSummary {
    pub id: TemplateId,
    pub name: String,
    /// Role names in signing order (`근로자`, `회사`).
    pub roles: Vec<String>,
    /// Names of the fields a CSV or a sender can fill in.
    pub field_names: Vec<String>,
    pub documents: Vec<String>,
    pub updated_at: String,
}

impl TemplateSummary {
    /// The CSV header a bulk send of this template expects: per role its name and email, then
    /// one column per named field.
    pub fn csv_header(&self) -> String {
        let mut cols: Vec<String> = self.roles.iter().flat_map(|r| [format!("{r}.name"), format!("{r}.email")]).collect();
        cols.extend(self.field_names.iter().cloned());
        cols.join(",")
    }
}

/// The person who takes a role in an envelope made from a template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub role: String,
    pub name: String,
    pub email: String,
}

/// A CSV as the bulk page shows it before sending: each row, and what is wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub rows: Vec<PreviewRow>,
    /// Problems of the file as a whole (no header, too many rows).
    pub problems: Vec<String>,
}

impl BulkPreview {
    pub fn valid_rows(&self) -> usize {
        self.rows.iter().filter(|r| r.errors.is_empty()).count()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    /// From 0: the CSV's line `index + 2`.
    pub index: usize,
    /// `이름 <email>` per role.
    pub recipients: Vec<String>,
    /// `name = value` per prefilled field.
    pub values: Vec<String>,
    /// Each problem (none: the row can be sent).
    pub errors: Vec<RowProblem>,
}

/// What is wrong in one column of a row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowProblem {
    /// `근로자.email`, a field's name, or a role without a recipient; empty for the row.
    pub column: String,
    /// A stable code (`invalid`, `unknown`, `duplicate`, `missing_role`, `not_allowed`…).
    pub code: String,
    /// In English; the page shows the code's text in the reader's language where it has one.
    pub message: String,
}

/// A row's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowStatus {
    Pending,
    Created,
    Sent,
    Failed,
    Skipped,
    Cancelled,
}

impl RowStatus {
    pub const ALL: [RowStatus; 6] = [Self::Pending, Self::Created, Self::Sent, Self::Failed, Self::Skipped, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Created => "created",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Done with, one way or another (the batch's progress counts these).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Sent | Self::Failed | Self::Skipped | Self::Cancelled)
    }
}

/// A batch's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    Running,
    Done,
    Cancelled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Running, Self::Done, Self::Cancelled].into_iter().find(|b| b.as_str() == s)
    }
}

/// A batch's progress and its first rows' envelopes (the batch page shows up to 1 000).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchView {
    pub id: BatchId,
    pub template_id: TemplateId,
    pub template_name: String,
    pub status: BatchStatus,
    pub total: i64,
    /// Rows that are done one way or another (sent, failed, skipped, cancelled).
    pub finished: i64,
    /// Row count per state.
    pub counts: Vec<(RowStatus, i64)>,
    pub rows: Vec<BatchRowView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchRowView {
    pub index: i64,
    pub status: RowStatus,
    pub recipients: Vec<String>,
    pub envelope_id: Option<EnvelopeId>,
    pub error: Option<String>,
}

/// A template as the editor shows it: its documents, its roles as recipients without an email
/// (their ids are new at every load; a save names each field's role by its recipient), and its
/// fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateDraft {
    pub id: TemplateId,
    pub name: String,
    pub version: i64,
    pub documents: Vec<super::DocumentInfo>,
    pub roles: Vec<super::RecipientDraft>,
    pub fields: Vec<super::FieldDraft>,
}
