//! Events for a host page that embeds the signing page (iframe or popup): posted to exactly
//! the origin named in the address (`origin`), only when the organization's allowlist holds
//! it, never to `"*"`; and `returnUrl` (also allowlisted) as where to go when done. The same
//! rules for every screen: the app's `embed` module includes this file.

use wasm_bindgen::JsCast;

fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

fn param(name: &str) -> Option<String> {
    let href = window().location().href().ok()?;
    web_sys::Url::new(&href).ok()?.search_params().get(name).filter(|v| !v.is_empty())
}

fn host(allowed: &[String]) -> Option<String> {
    if param("embed").as_deref() != Some("1") {
        return None;
    }
    param("origin").filter(|o| allowed.iter().any(|a| a == o))
}

/// Posts an event to the host page (nothing when not embedded or the origin is not allowed).
pub fn post(allowed: &[String], kind: &str, data: serde_json::Value) {
    let Some(origin) = host(allowed) else { return };
    let w = window();
    let target: Option<web_sys::Window> = match w.parent() {
        Ok(Some(p)) if !js_sys::Object::is(&p, &w) => Some(p),
        // A cross-origin opener fails `instanceof Window`, so no checked cast here.
        _ => w.opener().ok().filter(|o| !o.is_null() && !o.is_undefined()).map(|o| o.unchecked_into::<web_sys::Window>()),
    };
    let Some(target) = target else { return };
    let msg = serde_json::json!({ "source": "dojang", "version": 1, "type": kind, "data": data });
    if let Ok(v) = js_sys::JSON::parse(&msg.to_string()) {
        let _ = target.post_message(&v, &origin);
    }
}

/// Goes to the host's `returnUrl` if it is allowed; true if it goes. It goes a moment later,
/// so that the event just posted reaches the host first (a page that leaves at once can take
/// its last message with it).
pub fn return_to(allowed: &[String]) -> bool {
    let Some(url) = host(allowed).and(param("returnUrl")) else {
        return false;
    };
    let ok = web_sys::Url::new(&url).ok().is_some_and(|u| allowed.iter().any(|a| *a == u.origin()));
    if ok {
        let go = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = window().location().set_href(&url);
        });
        if window().set_timeout_with_callback_and_timeout_and_arguments_0(go.unchecked_ref(), 300).is_err() {
            return false;
        }
    }
    ok
}
