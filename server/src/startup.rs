//! Builds the application from settings: database (migrated), PDFium engine, HTTP router,
//! background workers, and a bound listener. `run_until_stopped` serves until the shutdown
//! future resolves, then drains requests and stops every worker — each step bounded by
//! `STOP_GRACE`, so a stuck client or task cannot keep the process from stopping (queued work
//! is persisted and picked up again after a restart).

use crate::http;
use crate::workers::{self, Workers};
use anyhow::Context as _;
use dojang_core::accounts::session_store::DbSessionStore;
use dojang_core::document;
use dojang_core::infra::config::Settings;
use dojang_core::infra::db::Db;
use dojang_core::infra::jobs::{self, Handler};
use dojang_core::infra::storage::Storage;
use dojang_core::mail::{outbox, Mailer};
use dojang_core::pdf::pool::{PoolConfig, RenderPool};
use dojang_core::pdf::{PdfEngine, Renderer};
use dojang_core::state::AppState;
use std::future::{Future, IntoFuture as _};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Every kind of persisted job and what runs it: sealing in one worker, pre-rendering in
/// another (so a long document never holds up a seal).
static SEAL_JOBS: &[(jobs::JobKind, Handler<AppState>)] = &[(jobs::JobKind::Seal, dojang_core::seal::handle)];
static RENDER_JOBS: &[(jobs::JobKind, Handler<AppState>)] = &[(jobs::JobKind::Render, document::render_job)];
static BULK_JOBS: &[(jobs::JobKind, Handler<AppState>)] = &[(jobs::JobKind::Bulk, dojang_core::bulk::handle)];

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    workers: Workers,
}

impl Application {
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| format!("creating the data folder {}", settings.data_dir.display()))?;
        let db = Db::connect_with(&settings.database_url, settings.db_max_connections).await?;
        db.migrate().await?;
        let pdf = PdfEngine::start(&settings.pdfium_lib)?;
        let renderer = if settings.render_workers == 0 {
            Renderer::InProcess(pdf.clone())
        } else {
            Renderer::Pool(RenderPool::new(PoolConfig {
                workers: settings.render_workers,
                exe: settings.render_worker_exe.clone(),
                library: settings.pdfium_lib.clone(),
                timeout: settings.render_timeout,
            }))
        };
        let storage = Storage::open(&settings.storage).context("opening the storage")?;
        let mailer = Mailer::from_settings(&settings)?;
        let sms = dojang_core::infra::sms::SmsSender::new(settings.sms_gateway.clone())?;
        let listener = TcpListener::bind(settings.bind).await.with_context(|| format!("binding {}", settings.bind))?;
        if settings.public_url_from_bind {
            settings.public_url = format!("http://{}", listener.local_addr()?);
        }
        dojang_core::seal::keys::ensure(&db, &settings.secret_key).await.context("creating the sealing certificates")?;
        let role = settings.role;
        let api_keys = dojang_core::api::key_cache::KeyCache::new(settings.api_key_cache);
        let state = AppState::new(dojang_core::state::Parts {
            settings: Arc::new(settings),
            api_keys,
            db,
            pdf,
            renderer,
            storage,
            mailer,
            sms,
            jobs_wake: Arc::new(tokio::sync::Notify::new()),
            render_wake: Arc::new(tokio::sync::Notify::new()),
        });
        let sessions = DbSessionStore::new(state.db.clone());
        let router = if role.serves_web() {
            let site_root = state.settings.site_root.clone();
            tokio::task::spawn_blocking(move || http::precompress_assets(&site_root));
            http::router(state.clone(), sessions.clone())
        } else {
            http::health_router(state.clone())
        };
        let mut workers = Workers::default();
        http::metrics::handle();
        if let Some(addr) = state.settings.metrics_bind {
            let listener = TcpListener::bind(addr).await.with_context(|| format!("binding the metrics address {addr}"))?;
            let router = http::metrics_router(state.clone());
            tracing::info!(addr = %listener.local_addr()?, "metrics at /metrics");
            workers.spawn("metrics", move |cancel| async move {
                if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(cancel.cancelled_owned()).await {
                    tracing::warn!(error = %e, "metrics listener");
                }
            });
        }
        if role.runs_work() {
            spawn_work(&mut workers, &state, sessions);
        }
        tracing::info!(role = ?role, storage = state.storage.describe(), instance = dojang_core::infra::claim::instance_id(), "Dojang built");
        Ok(Self { listener, router, state, workers })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { listener, router, state, workers } = self;
        tracing::info!(addr = %listener.local_addr()?, public_url = %state.settings.public_url, "Dojang is listening");
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signal = {
            let stopping = stopping.clone();
            async move {
                shutdown.await;
                stopping.notify_one();
            }
        };
        let serve = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(signal).into_future();
        let served = tokio::select! {
            r = serve => r,
            _ = async { stopping.notified().await; tokio::time::sleep(STOP_GRACE).await } => {
                tracing::warn!("connections still open {STOP_GRACE:?} after the stop request; closing them");
                Ok(())
            }
        };
        if tokio::time::timeout(STOP_GRACE, workers.shutdown()).await.is_err() {
            tracing::warn!("background work still running {STOP_GRACE:?} after the stop request; aborted");
        }
        if tokio::time::timeout(STOP_GRACE, state.db.close()).await.is_err() {
            tracing::warn!("database connections still busy {STOP_GRACE:?} after the stop request");
        }
        tracing::info!("Dojang stopped");
        served.context("serving HTTP")
    }
}

/// The workers of a `worker` (or `all`) instance: every persisted queue and the sweeps.
fn spawn_work(workers: &mut Workers, state: &AppState, sessions: DbSessionStore) {
    let db = state.db.clone();
    workers.spawn("session-cleanup", |cancel| workers::session_cleanup(db, sessions, cancel));
    let st = state.clone();
    workers.spawn("outbox", |cancel| outbox::worker(st, cancel));
    let st = state.clone();
    workers.spawn("sms", |cancel| dojang_core::sms::outbox::worker(st, cancel));
    let (st, wake) = (state.clone(), state.jobs_wake.clone());
    workers.spawn("seal", move |cancel| jobs::worker("seal", st.db.clone(), st, SEAL_JOBS, wake, cancel));
    let (st, wake) = (state.clone(), state.render_wake.clone());
    workers.spawn("render", move |cancel| jobs::worker("render", st.db.clone(), st, RENDER_JOBS, wake, cancel));
    let (st, wake) = (state.clone(), state.jobs_wake.clone());
    workers.spawn("bulk", move |cancel| jobs::worker("bulk", st.db.clone(), st, BULK_JOBS, wake, cancel));
    let st = state.clone();
    workers.spawn("webhooks", |cancel| dojang_core::webhooks::deliver::worker(st, cancel));
    let st = state.clone();
    let every = std::time::Duration::from_secs(state.settings.sweep_seconds);
    workers.spawn("sweeper", move |cancel| dojang_core::envelope::sweeper(st, every, cancel));
}

/// How long each step of stopping (open connections, background work, database) may take.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called (not when
/// the future is first polled), so a signal that arrives while the server starts is not lost
/// to the default action.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{signal, SignalKind};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = received(interrupt.as_mut()) => {}
                _ = received(terminate.as_mut()) => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested");
    }
}

#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
