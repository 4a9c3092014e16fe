//! The state every request handler, server function and worker shares.

use crate::ids::DocumentId;
use crate::infra::config::Settings;
use crate::infra::db::Db;
use crate::infra::mailer::Mailer;
use crate::infra::storage::Storage;
use crate::pdf::PdfEngine;
use std::sync::Arc;
use tokio::sync::mpsc;

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

/// Asks the background renderer to prepare every page of a document.
#[derive(Clone, Debug)]
pub struct PrefetchQueue(mpsc::UnboundedSender<DocumentId>);

impl PrefetchQueue {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<DocumentId>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self(tx), rx)
    }

    pub fn enqueue(&self, id: DocumentId) {
        let _ = self.0.send(id);
    }
}
