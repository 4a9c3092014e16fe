//! Documents: upload form, a document with its pages, lists.

use super::b64url;
use dojang_core::document::library::LibraryDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct PageOut {
    pub index: u32,
    /// Width and height in points as displayed (after /Rotate, within the CropBox).
    pub width: f64,
    pub height: f64,
    pub rotation: u16,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentOut {
    pub id: String,
    pub name: String,
    /// SHA-256 of the uploaded bytes, hex.
    pub sha256: String,
    /// The same digest, base64url without padding.
    pub sha256_base64url: String,
    pub size_bytes: i64,
    pub page_count: u32,
    pub pages: Vec<PageOut>,
    pub created_at: String,
    /// Your id of the document.
    pub external_id: Option<String>,
    /// Your own JSON object (at most 8 KB).
    #[schema(value_type = Object)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl DocumentOut {
    pub fn new(doc: LibraryDocument) -> Self {
        let LibraryDocument { info: d, created_at, external_id, metadata } = doc;
        Self {
            id: d.id.to_string(),
            sha256_base64url: b64url(&d.sha256),
            sha256: d.sha256,
            name: d.name,
            size_bytes: d.size_bytes,
            page_count: d.pages.len() as u32,
            pages: d
                .pages
                .iter()
                .map(|p| PageOut { index: p.index, width: p.geometry.display_width(), height: p.geometry.display_height(), rotation: p.geometry.rotation })
                .collect(),
            created_at,
            external_id,
            metadata: dojang_core::api::reference::metadata_value(metadata.as_deref()),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentList {
    pub data: Vec<DocumentOut>,
    pub has_more: bool,
    /// The `cursor` of the next page, when more follow.
    pub next: Option<String>,
}

/// A change of a document's reference: absent keys stay, `null` clears.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentPatch {
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Option<serde_json::Value>>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = UploadForm)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The PDF.
    #[schema(value_type = String, format = Binary)]
    pub file: String,
}
