//! Data the browser and the server both see.

use crate::ids::{OrganizationId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    Owner,
    Admin,
    Member,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

/// The signed-in user and their organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: UserRole,
    pub organization_id: OrganizationId,
    pub organization_name: String,
}

use crate::geometry::{FieldRect, PageGeometry};
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};

/// Where an envelope is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvelopeStatus {
    Draft,
    Sent,
    Completed,
    Declined,
    Cancelled,
    Expired,
}

impl EnvelopeStatus {
    pub const ALL: [EnvelopeStatus; 6] =
        [Self::Draft, Self::Sent, Self::Completed, Self::Declined, Self::Cancelled, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Completed => "completed",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipientRole {
    Signer,
    Viewer,
}

impl RecipientRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signer => "signer",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "signer" => Some(Self::Signer),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    pub const ALL: [FieldKind; 10] = [
        Self::Signature,
        Self::Initials,
        Self::Date,
        Self::Text,
        Self::Number,
        Self::Checkbox,
        Self::Radio,
        Self::Select,
        Self::Name,
        Self::Email,
    ];

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
        if w > 0.0 { self.geometry.display_height() / w } else { 1.414 }
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
pub struct RecipientDraft {
    pub id: RecipientId,
    pub name: String,
    pub email: String,
    pub role: RecipientRole,
    /// Signing position, from 1; equal numbers sign in parallel.
    pub order: i64,
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
}

/// Everything the contract editor shows and saves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContractDraft {
    pub id: EnvelopeId,
    pub name: String,
    pub status: EnvelopeStatus,
    /// Bumped by every save; a save names the version it started from.
    pub version: i64,
    pub documents: Vec<DocumentInfo>,
    pub recipients: Vec<RecipientDraft>,
    pub fields: Vec<FieldDraft>,
}

/// A line in the contract list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContractSummary {
    pub id: EnvelopeId,
    pub name: String,
    pub status: EnvelopeStatus,
    pub documents: Vec<String>,
    pub recipients: Vec<String>,
    /// RFC 3339, UTC.
    pub updated_at: String,
}
