//! The signing page's inline stylesheet and module (≈ 200 KB, the same on every page) put into
//! the rendered page, which holds only their markers (`app::ssr::Inline`).
//!
//! Compressing the whole page for every request cost five times its rendering. Here the
//! assets are compressed once, at their best, into raw DEFLATE blocks that end on a byte
//! boundary and refer to nothing before them; each page's own parts are compressed alone the
//! same way and the pieces are laid end to end in one gzip member (the checksum is combined,
//! not recomputed). A client that takes no gzip gets the page with the assets' shared bytes
//! in place, copied nowhere.

use app::ssr::{signer_assets, Inline, SignerAssets};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dojang_core::state::AppState;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::sync::OnceLock;

/// A rendered page is small without its assets; anything larger is not a page of ours.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Puts the assets into signing pages.
pub async fn layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let signing = app::ssr::is_signer_path(req.uri().path()) && req.method() != axum::http::Method::HEAD;
    let gzip = accepts_gzip(req.headers());
    let res = next.run(req).await;
    let html = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let Some(assets) = signing.then_some(()).filter(|_| html).and_then(|_| Compressed::get(&st)) else {
        return res;
    };
    let (mut parts, body) = res.into_parts();
    let page = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading a signing page to put its assets in");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let pieces = split(&page, assets);
    let body = if gzip {
        parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        Body::from(gzip_member(&pieces))
    } else {
        let chunks: Vec<Result<Bytes, std::convert::Infallible>> = pieces.iter().map(|p| Ok(p.bytes().clone())).collect();
        Body::from_stream(futures::stream::iter(chunks))
    };
    let length = pieces.iter().map(|p| p.bytes().len()).sum::<usize>();
    if !gzip {
        parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    } else {
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    vary_on_encoding(&mut parts.headers);
    Response::from_parts(parts, body)
}

/// An asset as it goes out: its text, and its compressed blocks with their checksum.
struct Asset {
    marker: Vec<u8>,
    text: Bytes,
    deflated: Bytes,
    crc: crc32fast::Hasher,
}

struct Compressed([Asset; 2]);

impl Compressed {
    /// Built once from the site folder's files (`None` when the module is not built).
    fn get(st: &AppState) -> Option<&'static Self> {
        static ONCE: OnceLock<Option<Compressed>> = OnceLock::new();
        ONCE.get_or_init(|| {
            let SignerAssets { css, script } = signer_assets(&st.settings.site_root)?;
            Some(Self([Asset::new(css), Asset::new(script)]))
        })
        .as_ref()
    }
}

impl Asset {
    fn new(inline: &Inline) -> Self {
        let mut crc = crc32fast::Hasher::new();
        crc.update(&inline.text);
        let mut deflated = Vec::new();
        deflate(&inline.text, Compression::best(), false, &mut deflated);
        Self { marker: inline.marker.clone().into_bytes(), text: inline.text.clone(), deflated: deflated.into(), crc }
    }
}

/// A stretch of the page: its own bytes, or an asset in place of its marker.
enum Piece<'a> {
    Own(Bytes),
    Asset(&'a Asset),
}

impl Piece<'_> {
    fn bytes(&self) -> &Bytes {
        match self {
            Piece::Own(b) => b,
            Piece::Asset(a) => &a.text,
        }
    }
}

/// The page cut at the first place of each marker, in the order they come; the page's own
/// stretches share its buffer. A marker it does not hold is left out.
fn split<'a>(page: &Bytes, assets: &'a Compressed) -> Vec<Piece<'a>> {
    let mut found: Vec<(usize, &Asset)> = assets.0.iter().filter_map(|a| memchr::memmem::find(page, &a.marker).map(|at| (at, a))).collect();
    found.sort_by_key(|(at, _)| *at);
    let mut pieces = Vec::with_capacity(2 * found.len() + 1);
    let mut from = 0;
    for (at, asset) in found {
        // Markers never overlap (each is unguessable); an overlap would mean a forged one.
        if at < from {
            continue;
        }
        pieces.push(Piece::Own(page.slice(from..at)));
        pieces.push(Piece::Asset(asset));
        from = at + asset.marker.len();
    }
    pieces.push(Piece::Own(page.slice(from..)));
    pieces
}

/// One gzip member (RFC 1952) of the pieces: the page's own stretches compressed now, the
/// assets' blocks as compressed once.
fn gzip_member(pieces: &[Piece<'_>]) -> Vec<u8> {
    // ID1 ID2, DEFLATE, no flags, no time, no extra flags, unknown OS.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut crc = crc32fast::Hasher::new();
    let mut size: u64 = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        match piece {
            Piece::Own(b) => {
                deflate(b, Compression::new(5), last, &mut out);
                crc.update(b);
            }
            Piece::Asset(a) => {
                out.extend_from_slice(&a.deflated);
                crc.combine(&a.crc);
            }
        }
        size += piece.bytes().len() as u64;
    }
    if !matches!(pieces.last(), Some(Piece::Own(_))) {
        // The stream's final block (`split` ends with the page's own stretch, even empty).
        deflate(&[], Compression::new(5), true, &mut out);
    }
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out
}

/// `input` as raw DEFLATE blocks appended to `out`, from a fresh compressor (nothing refers
/// to what came before): the final block when `last`, else ending on a byte boundary with
/// more to follow (a sync flush).
fn deflate(input: &[u8], level: Compression, last: bool, out: &mut Vec<u8>) {
    let mut c = Compress::new(level, false);
    let flush = if last { FlushCompress::Finish } else { FlushCompress::Sync };
    out.reserve(input.len() / 2 + 64);
    loop {
        let consumed = c.total_in() as usize;
        let status = c.compress_vec(&input[consumed..], out, flush).expect("DEFLATE into a growing buffer");
        let done = match status {
            Status::StreamEnd => true,
            // All taken and room left over: the flush is complete.
            Status::Ok | Status::BufError => !last && c.total_in() as usize == input.len() && out.len() < out.capacity(),
        };
        if done {
            return;
        }
        out.reserve(out.capacity().max(4096));
    }
}

/// Whether `Accept-Encoding` takes gzip (RFC 9110: named with a weight above zero, or `*`
/// above zero when gzip is not named).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut named = None;
    let mut any = false;
    for value in headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()) {
        for item in value.split(',') {
            let mut params = item.split(';');
            let coding = params.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = params
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .next()
                .unwrap_or(1.0);
            match coding.as_str() {
                "gzip" | "x-gzip" => named = Some(named.unwrap_or(false) || weight > 0.0),
                "*" => any = weight > 0.0,
                _ => {}
            }
        }
    }
    named.unwrap_or(any)
}

fn vary_on_encoding(h: &mut HeaderMap) {
    let already =
        h.get_all(header::VARY).iter().filter_map(|v| v.to_str().ok()).any(|v| v.split(',').any(|x| x.trim().eq_ignore_ascii_case("accept-encoding")));
    if !already {
        h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn asset(marker: &str, text: &str) -> Asset {
        Asset::new(&Inline { marker: marker.into(), text: Bytes::from(text.to_owned()) })
    }

    fn gunzip(z: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // flate2 checks the trailer's CRC-32 and size.
        flate2::read::GzDecoder::new(z).read_to_end(&mut out).expect("a whole gzip member");
        out
    }

    #[test]
    fn pieces_laid_end_to_end_are_one_gzip_member_of_the_whole_page() {
        // An asset longer than DEFLATE's 32 KB window: nothing after it may refer across it.
        let css: String = (0..4000).map(|i| format!(".c{i}{{color:#{:06x}}}", i * 977)).collect();
        let js: String = (0..3000).map(|i| format!("const v{i} = \"{}\";\n", "가나다".repeat(i % 7))).collect();
        let assets = Compressed([asset("MARK-CSS", &css), asset("MARK-JS", &js)]);
        let page = Bytes::from("<html><head><style>MARK-CSS</style><script>MARK-JS</script></head><body>계약서 계약서 계약서</body></html>");
        let pieces = split(&page, &assets);
        assert_eq!(pieces.len(), 5);
        let expected = format!("<html><head><style>{css}</style><script>{js}</script></head><body>계약서 계약서 계약서</body></html>");
        let z = gzip_member(&pieces);
        assert_eq!(gunzip(&z), expected.as_bytes());
        assert!(z.len() < expected.len() / 3, "compressed: {} of {}", z.len(), expected.len());
        // Without gzip: the same bytes.
        let plain: Vec<u8> = pieces.iter().flat_map(|p| p.bytes().to_vec()).collect();
        assert_eq!(plain, expected.as_bytes());
    }

    #[test]
    fn a_page_ending_in_an_asset_or_without_markers_still_decodes() {
        let assets = Compressed([asset("M1", "first"), asset("M2", "second")]);
        for (page, expected) in [("M1M2", "firstsecond"), ("", ""), ("no markers here", "no markers here"), ("M2 then M1", "second then first")] {
            let pieces = split(&Bytes::from(page), &assets);
            assert_eq!(gunzip(&gzip_member(&pieces)), expected.as_bytes(), "{page:?}");
        }
        // Only the first place of a marker is filled.
        let pieces = split(&Bytes::from("M1 M1"), &assets);
        assert_eq!(gunzip(&gzip_member(&pieces)), b"first M1");
    }

    #[test]
    fn gzip_is_taken_as_accept_encoding_weighs_it() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        assert!(accepts_gzip(&h("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(&h("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&h("*")));
        assert!(!accepts_gzip(&h("gzip;q=0, br")));
        assert!(!accepts_gzip(&h("*, gzip;q=0")));
        assert!(!accepts_gzip(&h("identity")));
        assert!(!accepts_gzip(&h("br, zstd")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
