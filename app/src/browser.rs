//! Browser-only helpers (they do nothing during server rendering): uploads with progress,
//! finding the page under a pointer, changing the address bar without navigating, waiting,
//! and reading a chosen file.

#[cfg(feature = "hydrate")]
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::ids::DocumentId;
#[cfg(feature = "hydrate")]
use serde::de::DeserializeOwned;

/// Where a pointer is over a page: which page, and the point as fractions of it.
#[derive(Clone, Debug, PartialEq)]
pub struct PageHit {
    pub document_id: DocumentId,
    pub page: u32,
    pub fx: f64,
    pub fy: f64,
    /// The page's size on screen, in CSS pixels.
    pub width_px: f64,
    pub height_px: f64,
}

/// The page element under the client point (x, y), if any.
pub fn page_at(x: f64, y: f64) -> Option<PageHit> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let doc = leptos::prelude::document();
        let hits = doc.elements_from_point(x as f32, y as f32);
        for el in hits.iter() {
            let Ok(el) = el.dyn_into::<web_sys::Element>() else { continue };
            if let Ok(Some(page)) = el.closest(".page[data-doc]") {
                return page_hit(&page, x, y);
            }
        }
        None
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (x, y);
        None
    }
}

/// The point (x, y) relative to a page element.
#[cfg(feature = "hydrate")]
pub fn page_hit(page: &web_sys::Element, x: f64, y: f64) -> Option<PageHit> {
    let r = page.get_bounding_client_rect();
    if r.width() <= 0.0 || r.height() <= 0.0 {
        return None;
    }
    Some(PageHit {
        document_id: DocumentId::parse(&page.get_attribute("data-doc")?).ok()?,
        page: page.get_attribute("data-page")?.parse().ok()?,
        fx: (x - r.left()) / r.width(),
        fy: (y - r.top()) / r.height(),
        width_px: r.width(),
        height_px: r.height(),
    })
}

/// The page nearest the middle of the viewport (where a tapped field lands).
pub fn page_in_view() -> Option<PageHit> {
    #[cfg(feature = "hydrate")]
    {
        let w = leptos::prelude::window();
        let width = w.inner_width().ok()?.as_f64()?;
        let height = w.inner_height().ok()?.as_f64()?;
        let doc = leptos::prelude::document();
        let pages = doc.query_selector_all(".page[data-doc]").ok()?;
        let mut best: Option<(f64, web_sys::Element)> = None;
        for i in 0..pages.length() {
            use wasm_bindgen::JsCast;
            let Some(el) = pages.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
            let r = el.get_bounding_client_rect();
            let visible = (r.bottom().min(height) - r.top().max(0.0)).max(0.0);
            if best.as_ref().is_none_or(|(v, _)| visible > *v) {
                best = Some((visible, el));
            }
        }
        let (_, el) = best?;
        let r = el.get_bounding_client_rect();
        let cx = (r.left() + r.right()) / 2.0;
        let cy = (r.top().max(0.0) + r.bottom().min(height)) / 2.0;
        let _ = width;
        page_hit(&el, cx, cy)
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Replaces the address bar's URL without a navigation (the page keeps its state).
pub fn replace_url(url: &str) {
    #[cfg(feature = "hydrate")]
    if let Ok(h) = leptos::prelude::window().history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// Sends `file` as the multipart field `file` with XHR (fetch has no upload progress),
/// reporting progress 0–1, then the parsed JSON answer or the server's error.
#[cfg(feature = "hydrate")]
pub fn upload<T: DeserializeOwned + 'static>(
    url: &str,
    csrf: &str,
    file: &web_sys::File,
    on_progress: impl Fn(f64) + 'static,
    on_done: impl FnOnce(Result<T, AppError>) + 'static,
) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let network = || AppError::new(ErrorCode::ServiceUnavailable, "The upload did not reach the server");
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else { return on_done(Err(network())) };
    let Ok(form) = web_sys::FormData::new() else { return on_done(Err(network())) };
    let _ = form.append_with_blob_and_filename("file", file, &file.name());
    let _ = xhr.open("POST", url);
    let _ = xhr.set_request_header("x-csrf-token", csrf);
    if let Ok(up) = xhr.upload() {
        let progress = Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                on_progress(e.loaded() / e.total());
            }
        });
        up.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
    }
    let done_xhr = xhr.clone();
    let on_done = std::cell::RefCell::new(Some(on_done));
    let finish = Closure::<dyn Fn()>::new(move || {
        let Some(done) = on_done.borrow_mut().take() else { return };
        let status = done_xhr.status().unwrap_or(0);
        let body = done_xhr.response_text().ok().flatten().unwrap_or_default();
        if status == 0 {
            return done(Err(network()));
        }
        if (200..300).contains(&status) {
            done(serde_json::from_str(&body).map_err(|e| AppError::new(ErrorCode::Internal, e.to_string())))
        } else {
            done(Err(serde_json::from_str::<AppError>(&body).unwrap_or_else(|_| AppError::new(ErrorCode::Internal, format!("HTTP {status}")))))
        }
    });
    xhr.set_onloadend(Some(finish.as_ref().unchecked_ref()));
    finish.forget();
    if xhr.send_with_opt_form_data(Some(&form)).is_err() {
        // onloadend still fires and reports the failure.
    }
}

/// Waits `ms` milliseconds (at once during server rendering, where nothing waits).
pub async fn sleep(ms: i32) {
    #[cfg(feature = "hydrate")]
    {
        let p = js_sys::Promise::new(&mut |resolve, _| {
            let _ = leptos::prelude::window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ms;
}

/// The text of the first file chosen in the `<input type=file>` that `event` came from
/// (UTF-8), if any.
pub async fn chosen_file_text(event: &leptos::ev::Event) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let input: web_sys::HtmlInputElement = event.target()?.dyn_into().ok()?;
        let file = input.files()?.get(0)?;
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok()?;
        text.as_string()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = event;
        None
    }
}
