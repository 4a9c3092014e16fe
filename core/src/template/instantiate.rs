//! An envelope made from a template: a recipient for each role, values prefilled by field
//! name, and the template's documents, fields and options copied into a new draft through
//! `envelope::create_from` (the same checks and transaction as any API draft).

use super::store;
use crate::actor::Actor;
use crate::api::reference::ReferenceChange;
use crate::envelope::{self, DraftChange, FieldSpec, RecipientSpec};
use crate::error::{AppError, AppResult, FieldError};
use crate::identity::IdentitySpec;
use crate::ids::{EnvelopeId, TemplateId};
use crate::infra::config::Settings;
use crate::infra::db::Db;
use crate::model::Language;
use std::collections::{BTreeMap, HashMap};

/// The person who takes a role.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub role: String,
    pub email: String,
    pub name: String,
    /// The role's signing position unless given.
    pub order: Option<i64>,
    pub language: Option<Language>,
    pub identity: IdentitySpec,
}

/// A value for every field of a name.
#[derive(Clone, Debug)]
pub struct Prefill {
    pub value: String,
    /// The signer sees the value but cannot change it.
    pub read_only: bool,
}

/// What the caller gives besides the template.
#[derive(Clone, Debug, Default)]
pub struct FromTemplate {
    /// The template's name unless given.
    pub subject: Option<String>,
    pub recipients: Vec<Assignment>,
    pub values: BTreeMap<String, Prefill>,
    pub message: Option<String>,
    pub expires_in: Option<Option<i64>>,
    pub redirect_url: Option<String>,
    pub language: Option<Language>,
    pub reference: ReferenceChange,
    /// The bulk row this envelope is made for (recorded in the same transaction).
    pub batch_row: Option<crate::bulk::RowRef>,
}

/// A new draft from the template (404 when the caller may not see it). Every role needs one
/// recipient; every value names a field of the template.
pub async fn envelope_from(db: &Db, settings: &Settings, actor: &Actor, id: &TemplateId, req: FromTemplate) -> AppResult<EnvelopeId> {
    let t = store::get(db, actor, id).await?;
    let mut errors = Vec::new();
    let mut by_role: HashMap<String, &Assignment> = HashMap::new();
    for (i, a) in req.recipients.iter().enumerate() {
        let key = a.role.trim().to_lowercase();
        if !t.roles.iter().any(|r| r.name.to_lowercase() == key) {
            errors.push(FieldError {
                field: format!("recipients[{i}].role"),
                code: "unknown".into(),
                message: format!("“{}” is not a role of this template", a.role.trim()),
            });
        } else if by_role.insert(key, a).is_some() {
            errors.push(FieldError { field: format!("recipients[{i}].role"), code: "duplicate".into(), message: "Each role takes one recipient".into() });
        }
    }
    let missing: Vec<&str> = t.roles.iter().filter(|r| !by_role.contains_key(&r.name.to_lowercase())).map(|r| r.name.as_str()).collect();
    if !missing.is_empty() {
        errors.push(FieldError { field: "recipients".into(), code: "missing_role".into(), message: format!("Give a recipient for: {}", missing.join(", ")) });
    }
    for name in req.values.keys() {
        if !t.fields.iter().any(|f| f.name.as_deref() == Some(name.as_str())) {
            errors.push(FieldError { field: format!("values.{name}"), code: "unknown".into(), message: "No field of the template has this name".into() });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let recipients: Vec<RecipientSpec> = t
        .roles
        .iter()
        .map(|r| {
            let a = by_role[&r.name.to_lowercase()];
            RecipientSpec {
                email: a.email.clone(),
                name: a.name.clone(),
                role: r.role,
                order: a.order.unwrap_or(r.order),
                language: a.language,
                identity: a.identity.clone(),
            }
        })
        .collect();
    let fields: Vec<FieldSpec> = t
        .fields
        .iter()
        .map(|f| {
            let email = by_role[&f.recipient.to_lowercase()].email.clone();
            let prefill = f.name.as_ref().and_then(|n| req.values.get(n));
            FieldSpec { recipient: email, prefill: prefill.map(|p| p.value.clone()), read_only: prefill.is_some_and(|p| p.read_only), ..f.clone() }
        })
        .collect();
    let change = DraftChange {
        subject: Some(req.subject.unwrap_or_else(|| t.name.clone())),
        document_ids: Some(t.documents.iter().map(|d| d.id.clone()).collect()),
        recipients: Some(recipients),
        fields: Some(fields),
        signing_order: Some(t.signing_order),
        expires_in: Some(req.expires_in.unwrap_or(t.expires_in)),
        redirect_url: Some(req.redirect_url),
        reminder_days: Some(t.reminder_days),
        fieldless: None,
        message: Some(req.message.unwrap_or(t.message)),
        language: req.language.or(t.language),
        reference: req.reference,
        batch_row: req.batch_row,
    };
    let envelope = envelope::create_from(db, settings, actor, change).await?;
    tracing::info!(template_id = %id, envelope_id = %envelope, "envelope made from a template");
    Ok(envelope)
}
