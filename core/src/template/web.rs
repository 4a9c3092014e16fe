//! What the web app asks of templates and document-placed fields: the caller's templates as a
//! list, a template made from a draft prepared in the editor ("save as template", its
//! recipients becoming the roles), and a draft's documents' own form fields for the editor to add.

use super::placing::{self, FormImport};
use super::store::{self, Filter, Role, TemplateChange};
use crate::actor::Actor;
use crate::api::listing::Page;
use crate::envelope::FieldSpec;
use crate::error::{AppError, AppResult};
use crate::geometry::PageGeometry;
use crate::ids::{EnvelopeId, RecipientId, TemplateId};
use crate::infra::db::Db;
use crate::model::{FieldDraft, TemplateSummary};
use crate::state::AppState;
use std::collections::HashSet;

/// Most templates the list shows (newest first).
const LIST_LIMIT: i64 = 100;

/// The caller's newest templates.
pub async fn summaries(db: &Db, actor: &Actor) -> AppResult<Vec<TemplateSummary>> {
    let page = Page { limit: LIST_LIMIT, offset: 0, after: None };
    let (templates, _) = store::list(db, actor, &Filter::default(), &page).await?;
    Ok(templates
        .into_iter()
        .map(|t| {
            let mut field_names: Vec<String> = Vec::new();
            for n in t.fields.iter().filter_map(|f| f.name.clone()) {
                if !field_names.contains(&n) {
                    field_names.push(n);
                }
            }
            TemplateSummary {
                id: t.id,
                name: t.name,
                roles: t.roles.into_iter().map(|r| r.name).collect(),
                field_names,
                documents: t.documents.into_iter().map(|d| d.name).collect(),
                updated_at: t.updated_at.to_db(),
            }
        })
        .collect())
}

/// A template from the caller's draft `envelope`: its documents and fields, each recipient a
/// role named by the recipient's name (else email; a repeated name gets a number), in the
/// same signing order. The draft stays as it is.
pub async fn from_draft(st: &AppState, actor: &Actor, envelope: &EnvelopeId, name: &str) -> AppResult<TemplateId> {
    let draft = crate::envelope::editor(&st.db, actor, envelope).await?;
    if draft.documents.is_empty() {
        return Err(AppError::field("documentIds", "required", "Upload a document first"));
    }
    let mut taken = HashSet::new();
    let roles: Vec<(RecipientId, Role)> = draft
        .recipients
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let base: String = [r.name.trim(), r.email.trim()]
                .into_iter()
                .find(|s| !s.is_empty())
                .map_or_else(|| format!("Signer {}", i + 1), |s| s.chars().take(90).collect());
            let mut role = base.clone();
            for n in 2.. {
                if taken.insert(role.to_lowercase()) {
                    break;
                }
                role = format!("{base} {n}");
            }
            (r.id.clone(), Role { name: role, role: r.role, order: r.order })
        })
        .collect();
    let fields: Vec<FieldSpec> =
        draft.fields.iter().filter_map(|f| roles.iter().find(|(id, _)| *id == f.recipient_id).map(|(_, r)| FieldSpec::from_draft(f, r.name.clone()))).collect();
    store::create(
        st,
        actor,
        TemplateChange {
            name: Some(name.to_owned()),
            document_ids: Some(draft.documents.iter().map(|d| d.id.clone()).collect()),
            roles: Some(roles.into_iter().map(|(_, r)| r).collect()),
            fields: Some(fields),
            ..Default::default()
        },
    )
    .await
}

/// The form fields of every document of the caller's draft `envelope`, as fields of
/// `recipient` with fresh ids (one per widget, each named by its form field; see `placing`),
/// for the editor to add: its save checks and keeps them (the recipient may be one the editor
/// has not saved yet).
pub async fn form_fields_for(st: &AppState, actor: &Actor, envelope: &EnvelopeId, recipient: &RecipientId) -> AppResult<Vec<FieldDraft>> {
    let draft = crate::envelope::editor(&st.db, actor, envelope).await?;
    let rows = crate::document::of_envelope(&mut *st.db.pool().acquire().await?, envelope).await?;
    let import = FormImport::default();
    let mut out = Vec::new();
    for row in rows {
        let Some(info) = draft.documents.iter().find(|d| d.id == row.id) else { continue };
        let pages: Vec<PageGeometry> = info.pages.iter().map(|p| p.geometry).collect();
        out.extend(placing::form_fields_of(st, &row, &pages, &import).await?.iter().map(|s| s.draft(recipient.clone())));
    }
    Ok(out)
}
