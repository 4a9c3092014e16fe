//! `/api/…`: the JSON API. v1 routes are declared once with their OpenAPI description
//! (utoipa), so the spec served at `/api/v1/openapi.json` is generated from the code. Every
//! unknown path or method answers in the one error shape.

mod access;
mod batches;
mod docs;
mod documents;
pub mod envelopes;
mod extract;
mod keys;
mod layers;
pub mod schema;
mod templates;
mod webhooks;

use axum::extract::{DefaultBodyLimit, Request};
use axum::routing::get;
use axum::Router;
use docs::Conventions;
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::infra::ratelimit::{RateLimiter, Store};
use dojang_core::state::AppState;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(st: AppState) -> Router<AppState> {
    let (v1, spec) = v1_routes();
    let store = if st.settings.shared_rate_limits { Store::Database { db: st.db.clone(), scope: "api-key" } } else { Store::memory() };
    let limiter = Arc::new(RateLimiter::new(st.settings.api_rate, store));
    let body_limit = st.settings.max_upload_bytes as usize + 1024 * 1024;
    let v1 = v1
        .route_layer(axum::middleware::from_fn_with_state(st.clone(), layers::idempotent))
        .route_layer(axum::middleware::from_fn(layers::check_scopes))
        .route_layer(axum::middleware::from_fn_with_state(limiter, layers::rate_limit))
        .route_layer(axum::middleware::from_fn_with_state(st, layers::authenticate))
        .layer(DefaultBodyLimit::max(body_limit))
        .method_not_allowed_fallback(method_not_allowed);
    let spec = Arc::new(spec);
    Router::new()
        .nest("/v1", v1)
        .route(
            "/v1/openapi.json",
            get({
                let spec = spec.clone();
                move || docs::spec_json(spec.clone())
            }),
        )
        .route("/docs", get(move || docs::reference_page(spec.clone())))
        .fallback(not_found)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Dojang API", version = "1", description = "Documents, envelopes, templates, tokens, usage and webhooks. Authenticate with `Authorization: Bearer` and an API key (`dj_live_…` / `dj_test_…`), an admin token or a client token."),
    servers((url = "/api/v1")),
    tags((name = "documents"), (name = "envelopes"), (name = "templates"), (name = "auth"), (name = "usage"), (name = "webhooks"), (name = "embedding"))
)]
struct ApiDoc;

/// The v1 routes and the spec that describes them.
pub fn v1_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(documents::upload, documents::list))
        .routes(routes!(documents::get_one, documents::patch, documents::delete))
        .routes(routes!(documents::file))
        .routes(routes!(envelopes::create, envelopes::list))
        .routes(routes!(envelopes::get_one, envelopes::patch, envelopes::delete))
        .routes(routes!(envelopes::put_recipients))
        .routes(routes!(envelopes::send))
        .routes(routes!(envelopes::cancel))
        .routes(routes!(envelopes::signed_document))
        .routes(routes!(envelopes::signed_documents))
        .routes(routes!(envelopes::remind))
        .routes(routes!(envelopes::signing_link))
        .routes(routes!(envelopes::unlock))
        .routes(routes!(envelopes::events))
        .routes(routes!(envelopes::audit_trail))
        .routes(routes!(templates::create, templates::list))
        .routes(routes!(templates::get_one, templates::patch, templates::delete))
        .routes(routes!(templates::create_envelope))
        .routes(routes!(batches::create))
        .routes(routes!(batches::get_one))
        .routes(routes!(batches::cancel))
        .routes(routes!(access::admin_token))
        .routes(routes!(access::register_client, access::list_clients))
        .routes(routes!(access::get_client))
        .routes(routes!(access::client_token))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(access::get_usage))
        .routes(routes!(access::get_embedding, access::put_embedding))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get_one, webhooks::delete))
        .routes(routes!(webhooks::enable))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::resend))
        .split_for_parts();
    let mut spec = spec;
    utoipa::Modify::modify(&Conventions, &mut spec);
    (router, spec)
}

async fn method_not_allowed(req: Request) -> AppError {
    AppError::new(ErrorCode::MethodNotAllowed, format!("{} is not allowed on {}", req.method(), req.uri().path()))
}

async fn not_found(req: Request) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No API route {} {}", req.method(), req.uri().path()))
}
