//! The state every request handler, server function and worker shares.

use crate::infra::config::Settings;
use crate::infra::db::Db;
use crate::infra::mailer::Mailer;
use crate::infra::storage::Storage;
use crate::pdf::{PdfEngine, Renderer};
use std::sync::Arc;

/// What every request handler and worker reaches. Cloned by every extractor and layer a
/// request passes, so a clone is one reference count (`Parts` holds the pieces).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Parts>);

/// The pieces of `AppState`.
#[derive(Debug)]
pub struct Parts {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub pdf: PdfEngine,
    /// Where page previews are rendered (this process, or its pool of render workers).
    pub renderer: Renderer,
    pub storage: Storage,
    /// Active API keys found recently (`api::key_cache`).
    pub api_keys: crate::api::key_cache::KeyCache,
    pub mailer: Mailer,
    pub sms: crate::infra::sms::SmsSender,
    /// Wakes this instance's seal worker after a transaction queued a seal (workers of other
    /// instances find it when they next look).
    pub jobs_wake: Arc<tokio::sync::Notify>,
    /// Wakes this instance's render worker after an upload queued its pages.
    pub render_wake: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn new(parts: Parts) -> Self {
        Self(Arc::new(parts))
    }

    /// Wakes this instance's mail and SMS outbox workers, after a transaction that queued
    /// messages committed (other instances find them when they next look).
    pub fn wake_outboxes(&self) {
        self.mailer.wake.notify_one();
        self.sms.wake.notify_one();
    }
}

impl std::ops::Deref for AppState {
    type Target = Parts;
    fn deref(&self) -> &Parts {
        &self.0
    }
}
