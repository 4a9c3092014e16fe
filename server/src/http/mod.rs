//! The HTTP surface: health checks, the language switch, the JSON API and the Leptos UI
//! (pages and server functions), wrapped in request ids, tracing and security headers.

mod api;
mod assets;
mod documents;
mod embed;
mod health;
mod inline_assets;
mod lang;
mod mailbox;
pub mod metrics;
mod middleware;
mod sealed;
pub mod session_user;
mod signer;
mod sms_capture;

use app::{shell, App};
use axum::body::Body;
use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use dojang_core::accounts::session_store::DbSessionStore;
use dojang_core::state::AppState;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub const SESSION_COOKIE: &str = "dojang_session";

/// The handwriting font for typed signatures (loaded by the pad only when someone types).
async fn script_font() -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "font/ttf"), (http::header::CACHE_CONTROL, "public, max-age=31536000, immutable")], dojang_core::pdf::fonts::NANUM_PEN)
}

pub use assets::precompress as precompress_assets;

/// The metrics address's only route (`DOJANG_METRICS_BIND`).
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(metrics::scrape)).with_state(state)
}

/// A worker instance's only routes: is it up, is it ready.
pub fn health_router(state: AppState) -> Router {
    let base = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::guarded))
        .with_state(state.clone());
    middleware::wrap(base, &state)
}

pub fn router(state: AppState, sessions: DbSessionStore) -> Router {
    let settings = state.settings.clone();
    let leptos_options = LeptosOptions::builder()
        .output_name("dojang")
        .site_root(settings.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.bind)
        .env(if settings.is_production() { leptos::config::Env::PROD } else { leptos::config::Env::DEV })
        .build();

    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let server_fns = {
        let context = context.clone();
        move |req: Request<Body>| {
            let context = context.clone();
            async move { leptos_axum::handle_server_fns_with_context(context, req).await.into_response() }
        }
    };
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::minutes(settings.session_idle_minutes)));

    let routes = generate_route_list(App);
    let app_endpoints = documents::router(settings.max_upload_bytes).with_state(state.clone());
    let signer_endpoints = signer::router().merge(sealed::app_router()).with_state(state.clone());
    let ui = Router::new()
        .route("/_fn/{*name}", post(server_fns.clone()).get(server_fns))
        .leptos_routes_with_context(&leptos_options, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .with_state(leptos_options)
        .merge(assets::router(&settings.site_root))
        .merge(app_endpoints)
        .merge(signer_endpoints)
        .layer(axum::middleware::from_fn_with_state(state.clone(), inline_assets::layer))
        .layer(axum::middleware::from_fn(middleware::limit_fn_body))
        .layer(axum::middleware::from_fn_with_state(settings.clone(), middleware::check_fetch_site))
        .layer(axum::middleware::from_fn_with_state(state.clone(), embed::layer))
        .layer(session_layer);

    let mut base = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::guarded))
        .route("/lang", get(lang::switch))
        .route("/fonts/dojang-script.ttf", get(script_font))
        .merge(sealed::public_router(settings.max_upload_bytes))
        .nest("/api", api::router(state.clone()));
    if !settings.is_production() && state.mailer.is_capturing() {
        base = base.merge(mailbox::router());
    }
    if !settings.is_production() && state.sms.is_capturing() {
        base = base.merge(sms_capture::router());
    }
    let base = base.with_state(state.clone());

    // Pages and JSON compressed on the fly; wasm only precompressed (a debug build's is too big
    // to compress per request, a release build's has its twins).
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate as _};
    let compress = tower_http::compression::CompressionLayer::new()
        .quality(tower_http::CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("application/wasm")));
    middleware::wrap(base.merge(ui).layer(compress), &state)
}
