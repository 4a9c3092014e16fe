//! Sending a contract and following it (sender), and signing it (signer, by link token).

use dojang_core::error::AppError;
use dojang_core::model::{EnvelopeDetail, SendRequest, SignOutcome, SignSubmission, SignerView};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::ssr::{self, respond};
#[cfg(feature = "ssr")]
use dojang_core::{ids::EnvelopeId, signing};

#[server(prefix = "/_fn", endpoint = "envelopes/get")]
pub async fn get_envelope(id: String) -> Result<EnvelopeDetail, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            dojang_core::envelope::detail(&st.db, &ssr::sender_actor().await?, &EnvelopeId::parse(&id)?).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "envelopes/send", input = Json)]
pub async fn send_envelope(csrf: String, id: String, request: SendRequest) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            dojang_core::envelope::send_envelope(&st, &ssr::sender_actor().await?, &EnvelopeId::parse(&id)?, &request, &ssr::origin()).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "envelopes/cancel")]
pub async fn cancel_envelope(csrf: String, id: String, reason: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            dojang_core::envelope::cancel(&st, &ssr::sender_actor().await?, &EnvelopeId::parse(&id)?, &reason, &ssr::origin()).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "envelopes/unlock")]
pub async fn unlock_recipient(csrf: String, id: String, recipient: String) -> Result<bool, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            let recipient = dojang_core::ids::RecipientId::parse(&recipient).map_err(|_| AppError::not_found("Recipient"))?;
            dojang_core::envelope::unlock(&st, &ssr::sender_actor().await?, &EnvelopeId::parse(&id)?, &recipient, &ssr::origin()).await
        }
        .await,
    )
}

// The signer's calls carry the link's token instead of a session: no cookie, no CSRF.

#[server(prefix = "/_fn", endpoint = "sign/view")]
pub async fn load_signing_page(token: String) -> Result<SignerView, AppError> {
    respond(async { signing::signer::view(&ssr::state()?, &token, &ssr::cookies()).await }.await)
}

#[server(prefix = "/_fn", endpoint = "sign/opened")]
pub async fn signer_opened(token: String) -> Result<(), AppError> {
    respond(async { signing::signer::opened(&ssr::state()?, &token, &ssr::cookies(), &ssr::origin()).await }.await)
}

#[server(prefix = "/_fn", endpoint = "sign/consent")]
pub async fn signer_consent(token: String) -> Result<(), AppError> {
    respond(async { signing::signer::consent(&ssr::state()?, &token, &ssr::cookies(), &ssr::origin()).await }.await)
}

#[server(prefix = "/_fn", endpoint = "sign/submit", input = Json)]
pub async fn signer_submit(token: String, submission: SignSubmission) -> Result<SignOutcome, AppError> {
    respond(async { signing::signer::submit(&ssr::state()?, &token, &ssr::cookies(), &submission, &ssr::origin()).await }.await)
}

#[server(prefix = "/_fn", endpoint = "sign/decline")]
pub async fn signer_decline(token: String, reason: String) -> Result<SignOutcome, AppError> {
    respond(async { signing::signer::decline(&ssr::state()?, &token, &ssr::cookies(), &reason, &ssr::origin()).await }.await)
}
