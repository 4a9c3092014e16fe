//! The page of a download link from the completion email: the link's token is the only
//! credential (no session, no CSRF), and its calls count against the download links' limit
//! per address (`Surface::Download`).

use dojang_core::error::AppError;
use dojang_core::model::DownloadView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{self, respond};

#[server(prefix = "/_fn", endpoint = "download/view")]
pub async fn load_download_page(token: String) -> Result<DownloadView, AppError> {
    respond(async { dojang_core::seal::files::download_view(&ssr::state()?, &token, &ssr::cookies()).await }.await)
}
