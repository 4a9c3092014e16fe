//! `/dev/sms`: the SMS Dojang captured because no SMS gateway is configured (development
//! only; absent in production and whenever SMS really go out). `?format=json` gives the same
//! list as JSON.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use axum::Router;
use dojang_core::error::AppError;
use dojang_core::mail::templates::escape;
use dojang_core::sms::outbox::recent;
use dojang_core::state::AppState;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/dev/sms", get(list))
}

#[derive(Deserialize)]
struct Format {
    format: Option<String>,
}

async fn list(State(st): State<AppState>, Query(f): Query<Format>) -> Result<Response, AppError> {
    let messages = recent(&st.db, &st.settings.secret_key, 200).await?;
    if f.format.as_deref() == Some("json") {
        return Ok(Json(messages).into_response());
    }
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Dojang SMS</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem\">\
         <h1>SMS (development)</h1><p>Messages captured because DOJANG_SMS_URL is not set.</p>",
    );
    for m in messages {
        html.push_str(&format!(
            "<article data-testid=\"sms\" data-to=\"{}\" style=\"border:1px solid #ddd;border-radius:12px;padding:.75rem;margin:.75rem 0\">\
             <p style=\"margin:0;color:#666;font-size:.85rem\">{} · {} · {}</p><p style=\"white-space:pre-wrap;margin:.5rem 0 0\">{}</p></article>",
            escape(&m.to),
            escape(&m.created_at),
            escape(&m.to),
            escape(&m.kind),
            escape(&m.text)
        ));
    }
    html.push_str("</body></html>");
    Ok(Html(html).into_response())
}
