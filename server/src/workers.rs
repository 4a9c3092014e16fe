//! Background workers. Each one is cancellable and awaited at shutdown, so stopping the
//! server never cuts a job in half.

use dojang_core::accounts::session_store::DbSessionStore;
use dojang_core::infra::claim::lease_due;
use dojang_core::infra::db::Db;
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower_sessions::session_store::ExpiredDeletion as _;

/// The set of running workers and the token that stops them.
#[derive(Default)]
pub struct Workers {
    cancel: CancellationToken,
    set: JoinSet<()>,
}

impl Workers {
    pub fn spawn<F, Fut>(&mut self, name: &'static str, f: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let fut = f(self.cancel.clone());
        self.set.spawn(async move {
            fut.await;
            tracing::debug!(worker = name, "worker stopped");
        });
    }

    /// Asks every worker to stop and waits for them (dropping this future aborts the rest).
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        while self.set.join_next().await.is_some() {}
    }
}

/// Deletes expired sessions every few minutes (once per period across all instances).
pub async fn session_cleanup(db: Db, store: DbSessionStore, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => match lease_due(&db, "session-cleanup", time::Duration::seconds(290)).await {
                Ok(true) => {
                    if let Err(e) = store.delete_expired().await {
                        tracing::warn!(error = %e, "deleting expired sessions failed");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e.message, "session cleanup lease"),
            },
        }
    }
}
