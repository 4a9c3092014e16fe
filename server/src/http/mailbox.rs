//! `/dev/mailbox`: the mail Dojang captured because no SMTP server is configured
//! (development only; absent in production and whenever mail really goes out).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dojang_core::error::AppError;
use dojang_core::infra::db::Timestamp;
use dojang_core::mail::templates::escape;
use dojang_core::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/dev/mailbox", get(list)).route("/dev/mailbox/{id}", get(show))
}

#[derive(sqlx::FromRow)]
struct MailRow {
    id: String,
    to_name: String,
    to_email: String,
    subject: String,
    status: String,
    created_at: Timestamp,
}

async fn list(State(st): State<AppState>) -> Result<Html<String>, AppError> {
    let rows: Vec<MailRow> = sqlx::query_as("SELECT id, to_name, to_email, subject, status, created_at FROM emails ORDER BY created_at DESC LIMIT 200")
        .fetch_all(st.db.pool())
        .await?;
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Dojang mailbox</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem\">\
         <h1>Mailbox (development)</h1><p>Mail captured because DOJANG_SMTP_URL is not set.</p><table cellpadding=\"6\">\
         <tr><th align=\"left\">When (UTC)</th><th align=\"left\">To</th><th align=\"left\">Subject</th><th>Status</th></tr>",
    );
    for MailRow { id, to_name: name, to_email: email, subject, status, created_at: at } in rows {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{} &lt;{}&gt;</td><td><a href=\"/dev/mailbox/{}\">{}</a></td><td>{}</td></tr>",
            escape(&at.to_db()),
            escape(&name),
            escape(&email),
            escape(&id),
            escape(&subject),
            escape(&status)
        ));
    }
    html.push_str("</table></body></html>");
    Ok(Html(html))
}

async fn show(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let html: Option<String> = sqlx::query_scalar("SELECT html FROM emails WHERE id = $1").bind(&id).fetch_optional(st.db.pool()).await?;
    let html = dojang_core::mail::outbox::open(&st, &html.ok_or_else(|| AppError::not_found("Email"))?);
    let mut res = Html(html).into_response();
    // Shown as sent, but unable to run anything.
    res.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"));
    Ok(res)
}
