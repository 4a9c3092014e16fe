//! What the web app asks of templates and document-placed fields: the caller's templates as a
//! list, a template made from a draft prepared in the editor ("save as template", its
//! recipients becoming the roles), a template opened in the editor and saved from it, and a
//! draft's documents' own form fields for the editor to add.

use super::placing::{self, FormImport};
use super::store::{self, Filter, Role, TemplateChange};
use crate::actor::Actor;
use crate::api::listing::Page;
use crate::envelope::FieldSpec;
use crate::error::{AppError, AppResult};
use crate::geometry::PageGeometry;
use crate::ids::{EnvelopeId, RecipientId, TemplateId};
use crate::infra::db::Db;
use crate::model::{FieldDraft, RecipientDraft, TemplateDraft, TemplateSummary};
use crate::state::AppState;
use std::collections::{HashMap, HashSet};

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

/// The caller's template for the editor (see `TemplateDraft`).
pub async fn editor(db: &Db, actor: &Actor, id: &TemplateId) -> AppResult<TemplateDraft> {
    let t = store::get(db, actor, id).await?;
    let roles: Vec<RecipientDraft> =
        t.roles.iter().map(|r| RecipientDraft { id: RecipientId::new(), name: r.name.clone(), email: String::new(), role: r.role, order: r.order }).collect();
    let fields =
        t.fields.iter().filter_map(|f| roles.iter().find(|r| r.name.to_lowercase() == f.recipient.to_lowercase()).map(|r| f.draft(r.id.clone()))).collect();
    Ok(TemplateDraft { id: t.id, name: t.name, version: t.version, documents: t.documents, roles, fields })
}

/// Saves the editor's roles and fields into the template seen at `seen_version`
/// (`VERSION_CONFLICT` if it changed since); returns the new version. Each field's role is its
/// recipient's name. What a field paints over stays the server's: a field keeps a cover only
/// if the template had a field with that very cover on that page (the browser cannot add one).
pub async fn save_editor(st: &AppState, actor: &Actor, id: &TemplateId, seen_version: i64, roles: &[RecipientDraft], fields: &[FieldDraft]) -> AppResult<i64> {
    let current = store::get(&st.db, actor, id).await?;
    let names: HashMap<&RecipientId, &str> = roles.iter().map(|r| (&r.id, r.name.trim())).collect();
    let mut specs = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let Some(role) = names.get(&f.recipient_id) else {
            return Err(AppError::field(&format!("fields[{i}].recipient_id"), "unknown", "Not a role of this template"));
        };
        let mut s = FieldSpec::from_draft(f, (*role).to_owned());
        s.cover = s.cover.filter(|c| current.fields.iter().any(|o| o.cover == Some(*c) && o.document_id == s.document_id && o.page == s.page));
        // Values given before signing are the envelope's, not the template's.
        (s.prefill, s.read_only) = (None, false);
        specs.push(s);
    }
    let roles = roles.iter().map(|r| Role { name: r.name.trim().to_owned(), role: r.role, order: r.order }).collect();
    let change = TemplateChange { roles: Some(roles), fields: Some(specs), expect_version: Some(seen_version), ..Default::default() };
    store::update(st, actor, id, change).await?;
    Ok(seen_version + 1)
}

/// Renames the caller's template.
pub async fn rename(st: &AppState, actor: &Actor, id: &TemplateId, name: &str) -> AppResult<()> {
    store::update(st, actor, id, TemplateChange { name: Some(name.to_owned()), ..Default::default() }).await
}
