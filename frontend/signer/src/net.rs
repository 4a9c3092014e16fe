//! Calls to the signer's server functions (`/_fn/sign/*`), which take the link's token
//! instead of a session. Answers are read with the browser's JSON parser (no deserializer is
//! compiled into the module).

use crate::dom::window;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub enum Body {
    /// URL-encoded form fields (the server functions' default input).
    Form(Vec<(&'static str, String)>),
    Json(String),
}

/// A refused call: the error's stable code, its message and the HTTP status.
pub struct Failure {
    pub code: String,
    pub message: String,
    pub status: u16,
}

impl Failure {
    fn unreachable() -> Self {
        Self { code: "SERVICE_UNAVAILABLE".into(), message: "Could not reach the server.".into(), status: 503 }
    }
}

/// A string property of a parsed JSON object.
pub fn text(v: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).ok()?.as_string()
}

pub async fn call(endpoint: &str, body: Body) -> Result<JsValue, Failure> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(|_| Failure::unreachable())?;
    let _ = headers.set("accept", "application/json");
    let text_body = match body {
        Body::Form(pairs) => {
            let _ = headers.set("content-type", "application/x-www-form-urlencoded");
            let params = web_sys::UrlSearchParams::new().map_err(|_| Failure::unreachable())?;
            for (k, v) in pairs {
                params.append(k, &v);
            }
            String::from(params.to_string())
        }
        Body::Json(json) => {
            let _ = headers.set("content-type", "application/json");
            json
        }
    };
    init.set_headers(&headers);
    init.set_body(&text_body.into());
    let resp = JsFuture::from(window().fetch_with_str_and_init(&format!("/_fn/{endpoint}"), &init)).await.map_err(|_| Failure::unreachable())?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| Failure::unreachable())?;
    let raw = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let parsed = js_sys::JSON::parse(&raw).unwrap_or(JsValue::NULL);
    if resp.ok() {
        return Ok(parsed);
    }
    let status = resp.status();
    Err(Failure {
        code: text(&parsed, "code").unwrap_or_else(|| if status >= 500 { "INTERNAL" } else { "BAD_REQUEST" }.into()),
        message: text(&parsed, "message").unwrap_or_default(),
        status,
    })
}
