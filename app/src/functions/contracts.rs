//! The contract editor's calls: list, load, save (recipients + fields), a PDF's own form fields,
//! delete a draft, rename, reorder and remove documents. Uploads and previews are plain HTTP endpoints (`/_app/documents`).

use dojang_core::error::AppError;
use dojang_core::model::{EnvelopeDraft, EnvelopeSummary, FieldDraft, RecipientDraft};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::ssr::{self, respond};
#[cfg(feature = "ssr")]
use dojang_core::{envelope, ids::DocumentId, ids::EnvelopeId};

#[server(prefix = "/_fn", endpoint = "contracts/list")]
pub async fn list_envelopes() -> Result<Vec<EnvelopeSummary>, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            envelope::list(&st.db, &ssr::editor_actor().await?).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "contracts/get")]
pub async fn get_draft(id: String) -> Result<EnvelopeDraft, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            envelope::editor(&st.db, &ssr::editor_actor().await?, &EnvelopeId::parse(&id)?).await
        }
        .await,
    )
}

/// Saves the editor's recipients and fields; returns the new version.
#[server(prefix = "/_fn", endpoint = "contracts/save", input = Json)]
pub async fn save_draft(csrf: String, id: String, version: i64, recipients: Vec<RecipientDraft>, fields: Vec<FieldDraft>) -> Result<i64, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            envelope::save_editor(&st.db, &ssr::editor_actor().await?, &EnvelopeId::parse(&id)?, version, &recipients, &fields).await
        }
        .await,
    )
}

/// The draft's documents' own form fields as fields of `recipient_id`, for the editor to add
/// (nothing is saved until the editor saves).
#[server(prefix = "/_fn", endpoint = "contracts/form_fields")]
pub async fn form_fields(id: String, recipient_id: String) -> Result<Vec<FieldDraft>, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            let recipient = dojang_core::ids::RecipientId::parse(&recipient_id)?;
            dojang_core::template::form_fields_for(&st, &ssr::editor_actor().await?, &EnvelopeId::parse(&id)?, &recipient).await
        }
        .await,
    )
}

/// Deletes a draft (409 once sent); its documents go with it unless the library keeps them.
#[server(prefix = "/_fn", endpoint = "contracts/delete")]
pub async fn delete_draft(csrf: String, id: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            envelope::delete(&st.db, &ssr::editor_actor().await?, &EnvelopeId::parse(&id)?).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "contracts/rename")]
pub async fn rename_envelope(csrf: String, id: String, name: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            envelope::rename(&st.db, &ssr::editor_actor().await?, &EnvelopeId::parse(&id)?, &name).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "contracts/reorder_documents", input = Json)]
pub async fn reorder_documents(csrf: String, id: String, order: Vec<String>) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            let order = order.iter().map(|d| DocumentId::parse(d)).collect::<Result<Vec<_>, _>>()?;
            envelope::reorder_documents(&st.db, &ssr::editor_actor().await?, &EnvelopeId::parse(&id)?, &order).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "contracts/remove_document")]
pub async fn remove_document(csrf: String, id: String, document_id: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            envelope::remove_document(&st.db, &ssr::editor_actor().await?, &EnvelopeId::parse(&id)?, &DocumentId::parse(&document_id)?).await
        }
        .await,
    )
}
