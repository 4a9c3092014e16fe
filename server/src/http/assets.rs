//! The web app's build output (`<site root>/pkg`: wasm, JavaScript, CSS) and the signer
//! page's module (`<site root>/signer`, built by `scripts/build-signer.sh` into `public/`,
//! which cargo-leptos copies into the site), served compressed.
//! Each file gets a Brotli (quality 11) and a gzip twin once per build, written beside it in
//! the background at start; `ServeDir` then answers with the twin the browser accepts. Other
//! responses (pages, JSON) are compressed on the fly by the router's compression layer.

use axum::Router;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;

/// The folders under the site root that hold build output.
const DIRS: [&str; 2] = ["pkg", "signer"];

pub fn router(site_root: &Path) -> Router {
    DIRS.iter().fold(Router::new(), |r, dir| r.nest_service(&format!("/{dir}"), ServeDir::new(site_root.join(dir)).precompressed_br().precompressed_gzip()))
}

/// Larger files are debug builds: compressed on the fly instead (quality 11 would take long).
const MAX_PRECOMPRESS_BYTES: u64 = 8 * 1024 * 1024;

/// Writes missing or stale `.br` and `.gz` twins of the build output's files, once per process.
pub fn precompress(site_root: &Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| DIRS.iter().for_each(|dir| precompress_dir(&site_root.join(dir))));
}

fn precompress_dir(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(u64::MAX);
        if !matches!(ext, "wasm" | "js" | "css") || size > MAX_PRECOMPRESS_BYTES {
            continue;
        }
        for (suffix, compress) in [("br", brotli_bytes as fn(&[u8]) -> std::io::Result<Vec<u8>>), ("gz", gzip_bytes)] {
            let twin = PathBuf::from(format!("{}.{suffix}", path.display()));
            if is_fresh(&path, &twin) {
                continue;
            }
            let result = std::fs::read(&path).and_then(|b| compress(&b)).and_then(|c| {
                let tmp = twin.with_extension(format!("{suffix}.tmp"));
                std::fs::write(&tmp, c)?;
                std::fs::rename(&tmp, &twin)
            });
            if let Err(e) = result {
                tracing::warn!(file = %twin.display(), error = %e, "precompressing an asset");
            }
        }
    }
    tracing::info!(dir = %dir.display(), "web app assets precompressed");
}

fn is_fresh(file: &Path, twin: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(file), modified(twin)), (Some(f), Some(t)) if t >= f)
}

fn brotli_bytes(input: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        w.write_all(input)?;
    }
    Ok(out)
}

fn gzip_bytes(input: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(input)?;
    w.finish()
}
