//! `GET /lang?set=ko&next=/path`: remembers the chosen language in a cookie and goes back.
//! Works without JavaScript; `next` must be a local path (no open redirect).

use app::i18n::{Lang, LANG_COOKIE};
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Switch {
    set: String,
    next: Option<String>,
}

pub async fn switch(Query(q): Query<Switch>) -> Response {
    let next = q.next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\')).unwrap_or_else(|| "/".into());
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    if let Some(lang) = Lang::from_code(&q.set) {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    res
}
