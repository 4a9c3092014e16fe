//! The state every request handler, server function and worker shares.

use crate::config::Settings;
use crate::db::Db;
use crate::documents::PrefetchQueue;
use crate::mail::Mailer;
use crate::pdf::PdfEngine;
use crate::storage::Storage;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub pdf: PdfEngine,
    pub storage: Storage,
    pub prefetch: PrefetchQueue,
    pub mailer: Mailer,
    /// Wakes the job worker after a transaction queued a job.
    pub jobs_wake: Arc<tokio::sync::Notify>,
}
