//! Calls to the signer's server functions (`/_fn/sign/*`), which take the link's token
//! instead of a session. Answers and errors are the same JSON the app's server functions use.

use crate::dom::window;
use dojang_core::error::{AppError, ErrorCode};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub enum Body {
    /// URL-encoded form fields (the server functions' default input).
    Form(Vec<(&'static str, String)>),
    Json(String),
}

fn unreachable_server() -> AppError {
    AppError::new(ErrorCode::ServiceUnavailable, "Could not reach the server.")
}

pub async fn call<T: DeserializeOwned>(endpoint: &str, body: Body) -> Result<T, AppError> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(|_| unreachable_server())?;
    let _ = headers.set("accept", "application/json");
    let text = match body {
        Body::Form(pairs) => {
            let _ = headers.set("content-type", "application/x-www-form-urlencoded");
            let params = web_sys::UrlSearchParams::new().map_err(|_| unreachable_server())?;
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
    init.set_body(&text.into());
    let resp = JsFuture::from(window().fetch_with_str_and_init(&format!("/_fn/{endpoint}"), &init)).await.map_err(|_| unreachable_server())?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| unreachable_server())?;
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    if resp.ok() {
        serde_json::from_str(&text).map_err(|_| AppError::new(ErrorCode::Internal, "Unexpected answer from the server."))
    } else {
        Err(serde_json::from_str(&text).unwrap_or_else(|_| AppError::new(ErrorCode::Internal, "Something went wrong.")))
    }
}
