//! CPU-bound work (password hashing, PDF work) runs off the async runtime, in the caller's
//! tracing span so its log lines keep the request id.

use crate::error::AppError;

pub async fn spawn_blocking_with_tracing<F, R>(f: F) -> Result<R, AppError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f)).await.map_err(|e| AppError::internal(anyhow::anyhow!("blocking task failed: {e}")))
}
