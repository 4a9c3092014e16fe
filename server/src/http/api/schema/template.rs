//! Templates: documents, roles and fields prepared once; envelopes made from them.

use super::envelope::{OneOrMany, Role};
use super::nullable;
use dojang_core::model::{AuthMethod, Channel, FieldKind, Language, SigningOrder};
use dojang_core::template::Template;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Take the documents' own form fields (AcroForm: text, check box, radio group, choice,
/// signature) as fields: each of `role` unless `roles` names another by the form field's full
/// name. Each keeps the form field's full name as its `name` (values are prefilled by it, and
/// written back into the form field when sealing); a value the form holds is prefilled.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormFieldsIn {
    /// A role of the template.
    pub role: String,
    /// Form field full name → role, for fields another role fills.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleIn {
    /// The role's name, e.g. `근로자` or `Company` (1–100 characters, distinct).
    pub name: String,
    #[serde(default = "signer")]
    pub role: Role,
    /// Signing position from 1 (equal numbers sign in parallel); defaults to the list order.
    #[serde(default)]
    pub order: Option<i64>,
}

fn signer() -> Role {
    Role::Signer
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateFieldIn {
    /// A document id of this template.
    pub document: String,
    /// 0-based page index.
    pub page: u32,
    /// Position and size as fractions 0–1 of the page as displayed, from the top-left corner.
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// The role that fills this field.
    pub role: String,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub placeholder: Option<String>,
    #[serde(default)]
    pub options: Option<Vec<String>>,
    #[serde(default)]
    pub format: Option<String>,
    /// Envelopes made from the template prefill values by this name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A length: points (`{"points": 12}`) or a fraction of the page's side (`{"fraction": 0.05}`).
#[derive(Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum LengthIn {
    Points(f64),
    Fraction(f64),
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnchorIn {
    /// The string to find (e.g. `서명:`); a field is placed at every occurrence.
    pub text: String,
    pub role: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// From the string's top-left corner as displayed: right and down.
    #[serde(default)]
    pub x_offset: Option<LengthIn>,
    #[serde(default)]
    pub y_offset: Option<LengthIn>,
    /// The field's size (default 150 × 40 points).
    #[serde(default)]
    pub width: Option<LengthIn>,
    #[serde(default)]
    pub height: Option<LengthIn>,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Without it, a string found in no document is an error.
    #[serde(default)]
    pub ignore_if_not_present: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTemplate {
    pub name: String,
    /// Up to 20 document ids from the library, in order.
    pub document_ids: Vec<String>,
    /// The roles; roles the documents' text tags name are added as signers.
    #[serde(default)]
    pub roles: Vec<RoleIn>,
    #[serde(default)]
    pub fields: Vec<TemplateFieldIn>,
    /// Place a field at every text tag of the documents (`{{signature;role=근로자}}`).
    #[serde(default)]
    pub text_tags: bool,
    #[serde(default)]
    pub anchors: Vec<AnchorIn>,
    #[serde(default)]
    pub form_fields: Option<FormFieldsIn>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub signing_order: Option<SigningOrder>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub reminder_days: Option<i64>,
    #[serde(default)]
    pub language: Option<Language>,
}

/// A change: absent keys stay; `roles`, `fields` and `documentIds` replace the whole list
/// (fields on documents or roles that leave go with them); `textTags`, `anchors` and
/// `formFields` add the fields they place.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchTemplate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub document_ids: Option<Vec<String>>,
    #[serde(default)]
    pub roles: Option<Vec<RoleIn>>,
    #[serde(default)]
    pub fields: Option<Vec<TemplateFieldIn>>,
    #[serde(default)]
    pub text_tags: bool,
    #[serde(default)]
    pub anchors: Vec<AnchorIn>,
    #[serde(default)]
    pub form_fields: Option<FormFieldsIn>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub signing_order: Option<SigningOrder>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub expires_in: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub reminder_days: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Language>)]
    pub language: Option<Option<Language>>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDocumentOut {
    pub id: String,
    pub name: String,
    pub page_count: u32,
    pub sha256: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateFieldOut {
    pub document: String,
    pub page: u32,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    pub role: String,
    pub required: bool,
    pub label: String,
    pub placeholder: String,
    pub options: Vec<String>,
    pub format: Option<String>,
    pub name: Option<String>,
    /// Placed by a text tag (the sealed PDF paints over the tag).
    pub from_tag: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateOut {
    pub id: String,
    pub name: String,
    pub documents: Vec<TemplateDocumentOut>,
    pub roles: Vec<RoleIn>,
    pub fields: Vec<TemplateFieldOut>,
    pub message: String,
    pub signing_order: SigningOrder,
    pub expires_in: Option<i64>,
    pub reminder_days: Option<i64>,
    pub language: Option<Language>,
    /// Goes up by one at every change.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl TemplateOut {
    pub fn new(t: &Template) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            documents: t
                .documents
                .iter()
                .map(|d| TemplateDocumentOut { id: d.id.to_string(), name: d.name.clone(), page_count: d.pages.len() as u32, sha256: d.sha256.clone() })
                .collect(),
            roles: t.roles.iter().map(|r| RoleIn { name: r.name.clone(), role: r.role.into(), order: Some(r.order) }).collect(),
            fields: t
                .fields
                .iter()
                .map(|f| TemplateFieldOut {
                    document: f.document_id.to_string(),
                    page: f.page,
                    x: f.rect.x,
                    y: f.rect.y,
                    width: f.rect.width,
                    height: f.rect.height,
                    kind: f.kind,
                    role: f.recipient.clone(),
                    required: f.required,
                    label: f.label.clone(),
                    placeholder: f.placeholder.clone(),
                    options: f.options.clone(),
                    format: f.format.clone(),
                    name: f.name.clone(),
                    from_tag: f.cover.is_some(),
                })
                .collect(),
            message: t.message.clone(),
            signing_order: t.signing_order,
            expires_in: t.expires_in,
            reminder_days: t.reminder_days,
            language: t.language,
            version: t.version,
            created_at: t.created_at.to_db(),
            updated_at: t.updated_at.to_db(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateList {
    pub data: Vec<TemplateOut>,
    pub has_more: bool,
    pub next: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleRecipientIn {
    /// The template's role this person takes.
    pub role: String,
    pub email: String,
    pub name: String,
    /// Overrides the role's signing position.
    #[serde(default)]
    pub order: Option<i64>,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<AuthMethod>>)]
    pub auth_method: Option<OneOrMany<AuthMethod>>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub access_code: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// A value for the fields of a name: the value alone (the signer may change it), or with
/// `readOnly`.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ValueIn {
    Plain(String),
    Detailed {
        value: String,
        #[serde(default, rename = "readOnly")]
        read_only: bool,
    },
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvelopeFromTemplate {
    /// One recipient for every role.
    pub recipients: Vec<RoleRecipientIn>,
    /// The template's name unless given.
    #[serde(default)]
    pub subject: Option<String>,
    /// Values by field name.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, ValueIn>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub redirect_url: Option<String>,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}
