//! Webhook endpoints of the signed-in user's organization (live mode): list, create (secret
//! returned once), delete, enable again, delivery log, resend.

use dojang_core::error::AppError;
use dojang_core::model::{NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{self, respond};

#[cfg(feature = "ssr")]
async fn signed_in() -> Result<(dojang_core::state::AppState, dojang_core::actor::Actor), AppError> {
    let st = ssr::state()?;
    let user = ssr::require_user().await?;
    Ok((st, dojang_core::actor::Actor::from(&user)))
}

#[server(prefix = "/_fn", endpoint = "webhooks/list")]
pub async fn list_webhooks() -> Result<Vec<WebhookEndpoint>, AppError> {
    respond(
        async {
            let (st, actor) = signed_in().await?;
            dojang_core::webhooks::endpoints::list(&st.db, &actor).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "webhooks/create")]
/// `events`: event types separated by spaces or commas.
pub async fn create_webhook(csrf: String, url: String, events: String) -> Result<NewWebhookEndpoint, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let (st, actor) = signed_in().await?;
            let events: Vec<String> = events.split([' ', ',']).filter(|e| !e.is_empty()).map(str::to_owned).collect();
            let input = dojang_core::webhooks::endpoints::NewEndpoint::parse(&url, &events, st.settings.webhook_allow_private)?;
            let (endpoint, secret) = dojang_core::webhooks::endpoints::create(&st.db, &st.settings, &actor, &input).await?;
            Ok(NewWebhookEndpoint { endpoint, secret })
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "webhooks/delete")]
pub async fn delete_webhook(csrf: String, id: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let (st, actor) = signed_in().await?;
            dojang_core::webhooks::endpoints::delete(&st.db, &actor, &dojang_core::ids::WebhookEndpointId::parse(&id)?).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "webhooks/enable")]
pub async fn enable_webhook(csrf: String, id: String) -> Result<WebhookEndpoint, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let (st, actor) = signed_in().await?;
            dojang_core::webhooks::endpoints::enable(&st.db, &actor, &dojang_core::ids::WebhookEndpointId::parse(&id)?).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "webhooks/deliveries")]
pub async fn webhook_deliveries(id: String) -> Result<Vec<WebhookDelivery>, AppError> {
    respond(
        async {
            let (st, actor) = signed_in().await?;
            dojang_core::webhooks::endpoints::deliveries(&st.db, &actor, &dojang_core::ids::WebhookEndpointId::parse(&id)?, 50).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "webhooks/resend")]
pub async fn resend_webhook(csrf: String, id: String, message: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let (st, actor) = signed_in().await?;
            dojang_core::webhooks::endpoints::resend(&st.db, &actor, &dojang_core::ids::WebhookEndpointId::parse(&id)?, &message).await
        }
        .await,
    )
}
