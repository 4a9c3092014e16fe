//! Templates and bulk send in the web app: list, save a draft as a template, open one in the
//! editor and save it, rename, delete, make an envelope from one, check a CSV, send a batch, follow and cancel it.

use dojang_core::error::AppError;
use dojang_core::model::{BatchView, BulkPreview, FieldDraft, RecipientDraft, RoleAssignment, TemplateDraft, TemplateSummary};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::ssr::{self, respond};
#[cfg(feature = "ssr")]
use dojang_core::{
    bulk,
    ids::{BatchId, EnvelopeId, TemplateId},
    template,
};

#[server(prefix = "/_fn", endpoint = "templates/list")]
pub async fn list_templates() -> Result<Vec<TemplateSummary>, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            template::summaries(&st.db, &ssr::editor_actor().await?).await
        }
        .await,
    )
}

/// Saves the draft `envelope_id` as a new template named `name`; returns its id.
#[server(prefix = "/_fn", endpoint = "templates/from_draft", input = Json)]
pub async fn save_as_template(csrf: String, envelope_id: String, name: String) -> Result<String, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            let id = template::from_draft(&st, &ssr::editor_actor().await?, &EnvelopeId::parse(&envelope_id)?, &name).await?;
            Ok(id.to_string())
        }
        .await,
    )
}

/// The template as the editor shows it (roles as recipients without an email).
#[server(prefix = "/_fn", endpoint = "templates/editor")]
pub async fn template_editor(id: String) -> Result<TemplateDraft, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            template::editor(&st.db, &ssr::editor_actor().await?, &TemplateId::parse(&id)?).await
        }
        .await,
    )
}

/// Saves the editor's roles and fields; returns the new version.
#[server(prefix = "/_fn", endpoint = "templates/save_editor", input = Json)]
pub async fn save_template_editor(csrf: String, id: String, version: i64, recipients: Vec<RecipientDraft>, fields: Vec<FieldDraft>) -> Result<i64, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            template::save_editor(&st, &ssr::editor_actor().await?, &TemplateId::parse(&id)?, version, &recipients, &fields).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "templates/rename", input = Json)]
pub async fn rename_template(csrf: String, id: String, name: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            template::rename(&st, &ssr::editor_actor().await?, &TemplateId::parse(&id)?, &name).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "templates/delete", input = Json)]
pub async fn delete_template(csrf: String, id: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            template::delete(&st.db, &ssr::editor_actor().await?, &TemplateId::parse(&id)?).await
        }
        .await,
    )
}

/// A new draft from the template, a person for each role; returns the envelope's id (sent
/// from its page like any draft).
#[server(prefix = "/_fn", endpoint = "templates/use", input = Json)]
pub async fn use_template(csrf: String, id: String, recipients: Vec<RoleAssignment>) -> Result<String, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            let req = template::FromTemplate {
                recipients: recipients
                    .into_iter()
                    .map(|r| template::Assignment { role: r.role, email: r.email, name: r.name, order: None, language: None, identity: Default::default() })
                    .collect(),
                ..Default::default()
            };
            let envelope = template::envelope_from(&st.db, &st.settings, &ssr::editor_actor().await?, &TemplateId::parse(&id)?, req).await?;
            Ok(envelope.to_string())
        }
        .await,
    )
}

/// The rows of a CSV for the template and what is wrong with each; nothing is kept.
#[server(prefix = "/_fn", endpoint = "bulk/preview", input = Json)]
pub async fn preview_bulk(csrf: String, template_id: String, csv: String) -> Result<BulkPreview, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            bulk::preview(&st.db, &ssr::editor_actor().await?, &TemplateId::parse(&template_id)?, &csv).await
        }
        .await,
    )
}

/// Queues the CSV's rows (without the broken ones when `skip_invalid`); returns the batch id.
#[server(prefix = "/_fn", endpoint = "bulk/send", input = Json)]
pub async fn send_bulk(csrf: String, template_id: String, csv: String, skip_invalid: bool) -> Result<String, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            // Sending is the signed-in user's, never an embed session's (which edits only).
            let id = bulk::send(&st.db, &ssr::sender_actor().await?, &TemplateId::parse(&template_id)?, &csv, skip_invalid).await?;
            st.jobs_wake.notify_waiters();
            Ok(id.to_string())
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "bulk/get")]
pub async fn get_batch(id: String) -> Result<BatchView, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            bulk::view(&st.db, &ssr::editor_actor().await?, &BatchId::parse(&id)?).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "bulk/cancel", input = Json)]
pub async fn cancel_batch(csrf: String, id: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            bulk::cancel(&st.db, &ssr::sender_actor().await?, &BatchId::parse(&id)?).await
        }
        .await,
    )
}
