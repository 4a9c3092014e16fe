//! Hosted screens inside another company's site (iframe or popup). The URL says a screen is
//! embedded (`embed=1`), which host origin to tell (`origin`) and where to go when done
//! (`returnUrl`). Events are posted as `{source: "dojang", version: 1, type, data}` to the
//! parent (iframe) or the opener (popup) at exactly that origin — and only when the
//! organization's allowlist holds it; never to `"*"`.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Whether this screen was opened embedded (the same answer while rendering on the server
/// and in the browser).
pub fn embedded() -> bool {
    use_query_map().with_untracked(|q| q.get("embed").as_deref() == Some("1"))
}

/// The query parameters an embedded screen keeps when it rewrites its own address.
pub fn carried_query() -> String {
    use_query_map().with_untracked(|q| {
        if q.get("embed").as_deref() != Some("1") {
            return String::new();
        }
        let mut out = String::from("&embed=1");
        for key in ["origin", "returnUrl"] {
            if let Some(v) = q.get(key) {
                out.push_str(&format!("&{key}={}", js_encode(&v)));
            }
        }
        out
    })
}

fn js_encode(v: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        String::from(js_sys::encode_uri_component(v))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        v.to_owned()
    }
}

/// Posting events and going to `returnUrl`: the same code as the signer module's.
#[cfg(feature = "hydrate")]
#[path = "../../frontend/signer/src/host.rs"]
mod host;

/// Posts an event to the host page (nothing when not embedded or the origin is not allowed).
pub fn post(allowed: &[String], kind: &str, data: serde_json::Value) {
    #[cfg(feature = "hydrate")]
    host::post(allowed, kind, data);
    #[cfg(not(feature = "hydrate"))]
    let _ = (allowed, kind, data);
}

/// Goes where the host asked to go when done (`returnUrl`, on the allowlist); true if it went.
pub fn return_to(allowed: &[String]) -> bool {
    #[cfg(feature = "hydrate")]
    {
        host::return_to(allowed)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = allowed;
        false
    }
}

/// Closes a popup (does nothing in an iframe).
pub fn close_popup() {
    #[cfg(feature = "hydrate")]
    {
        let w = window();
        if w.opener().is_ok_and(|o| !o.is_null() && !o.is_undefined()) {
            let _ = w.close();
        }
    }
}
