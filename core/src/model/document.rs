//! Documents and their pages as the editor sees them, and the fields placed on them.

use crate::geometry::FieldRect;
use crate::geometry::PageGeometry;
use crate::ids::DocumentId;
use crate::ids::FieldId;
use crate::ids::RecipientId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema), schema(as = FieldType))]
pub enum FieldKind {
    Signature,
    Initials,
    Date,
    Text,
    Number,
    Checkbox,
    Radio,
    Select,
    Name,
    Email,
}

impl FieldKind {
    pub const ALL: [FieldKind; 10] =
        [Self::Signature, Self::Initials, Self::Date, Self::Text, Self::Number, Self::Checkbox, Self::Radio, Self::Select, Self::Name, Self::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Initials => "initials",
            Self::Date => "date",
            Self::Text => "text",
            Self::Number => "number",
            Self::Checkbox => "checkbox",
            Self::Radio => "radio",
            Self::Select => "select",
            Self::Name => "name",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.to_ascii_lowercase())
    }

    /// Whether the field offers a list of options (radio group, select).
    pub fn has_options(self) -> bool {
        matches!(self, Self::Radio | Self::Select)
    }

    /// Default size as fractions of a portrait A4 page width/height.
    pub fn default_size(self) -> (f64, f64) {
        match self {
            Self::Signature => (0.25, 0.06),
            Self::Initials => (0.1, 0.05),
            Self::Checkbox => (0.03, 0.022),
            Self::Radio => (0.2, 0.06),
            _ => (0.22, 0.035),
        }
    }
}

/// A date (YYYY-MM-DD) written in a field's format, e.g. `2026년 11월 23일`.
pub fn format_date_preview(iso: &str, format: &str) -> String {
    let (y, m, d) = (iso.get(0..4).unwrap_or(""), iso.get(5..7).unwrap_or(""), iso.get(8..10).unwrap_or(""));
    format.replace("YYYY", y).replace("MM", m).replace("DD", d)
}

/// Date formats a date field can use (signing date).
pub const DATE_FORMATS: [&str; 5] = ["YYYY-MM-DD", "YYYY. MM. DD.", "YYYY년 MM월 DD일", "MM/DD/YYYY", "DD/MM/YYYY"];

/// One page of a document as the editor needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageInfo {
    pub index: u32,
    pub geometry: PageGeometry,
}

impl PageInfo {
    /// Displayed height / width, for laying the page out before its image arrives.
    pub fn aspect(&self) -> f64 {
        let w = self.geometry.display_width();
        if w > 0.0 {
            self.geometry.display_height() / w
        } else {
            1.414
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentInfo {
    pub id: DocumentId,
    pub name: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub pages: Vec<PageInfo>,
    /// How many page previews are ready (they are rendered in the background).
    pub pages_rendered: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDraft {
    pub id: FieldId,
    pub recipient_id: RecipientId,
    pub document_id: DocumentId,
    pub page: u32,
    pub rect: FieldRect,
    pub kind: FieldKind,
    pub required: bool,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub placeholder: String,
    #[serde(default)]
    pub options: Vec<String>,
    /// Date format (date fields) — one of `DATE_FORMATS`.
    #[serde(default)]
    pub format: Option<String>,
    /// The field's name: values are prefilled by it (templates, text tags).
    #[serde(default)]
    pub name: Option<String>,
    /// A value given before signing: the field shows it filled in, and the signer may change
    /// it unless `read_only`.
    #[serde(default)]
    pub prefill: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// The box the sealed PDF paints white before the field's value (the text tag that placed
    /// the field). Set by the server only.
    #[serde(default)]
    pub cover: Option<FieldRect>,
}
