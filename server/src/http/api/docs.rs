//! The served spec and the API reference page (rendered here from the spec; no CDN, no
//! scripts), and the conventions every operation shares: Bearer authentication and the one
//! error shape for every failure status.

use super::schema::ErrorBody;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use dojang_core::mail::templates::escape;
use std::sync::Arc;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, ResponseBuilder};
use utoipa::{Modify, PartialSchema, ToSchema};

/// Failure statuses every authenticated operation may answer, with what they mean.
const FAILURES: [(&str, &str); 10] = [
    ("400", "Malformed request (for example invalid JSON)"),
    ("401", "Missing, invalid, expired or revoked credentials"),
    ("403", "Not allowed for this credential, or the monthly quota is used up"),
    ("404", "No such resource for this caller (other organizations' and modes' ids included)"),
    ("409", "Wrong state (for example the envelope is no longer a draft), or the same Idempotency-Key is still running"),
    ("410", "The envelope was cancelled or has expired"),
    ("413", "The upload is too large"),
    ("415", "Wrong content type, or the file is not a PDF"),
    ("422", "Invalid input (see `fields`), or an Idempotency-Key reused with a different body"),
    ("429", "Rate limited; retry after `Retry-After` seconds"),
];

pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        let mut schemas = Vec::new();
        ErrorBody::schemas(&mut schemas);
        components.schemas.insert(ErrorBody::name().into_owned(), ErrorBody::schema());
        for (name, schema) in schemas {
            components.schemas.insert(name, schema);
        }
        api.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
        for item in api.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
                add_failures(op);
            }
        }
    }
}

fn add_failures(op: &mut Operation) {
    for (status, description) in FAILURES {
        let error = ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody")))).build())
            .build();
        op.responses.responses.entry(status.to_owned()).or_insert(RefOr::T(error));
    }
}

pub async fn spec_json(spec: Arc<OpenApi>) -> Response {
    let body = spec.to_pretty_json().unwrap_or_else(|_| "{}".into());
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    res
}

/// A readable reference of every operation: method, path, summary, parameters, request and
/// response schemas (as JSON), linked from the spec itself.
pub async fn reference_page(spec: Arc<OpenApi>) -> Response {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dojang API reference</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>\
         body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1f}\
         code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f7;padding:.75rem;overflow:auto;border-radius:6px}\
         .op{border-top:1px solid #ddd;padding:1rem 0}.m{display:inline-block;min-width:4.5rem;font-weight:700}\
         .get{color:#1565c0}.post{color:#2e7d32}.patch,.put{color:#ef6c00}.delete{color:#c62828}</style></head><body>",
    );
    html.push_str(
        "<h1>Dojang API reference</h1><p>Base URL: <code>/api/v1</code>. Machine-readable spec: \
        <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI 3.1). Authenticate with \
        <code>Authorization: Bearer &lt;API key | admin token | client token&gt;</code>. Every POST accepts an \
        <code>Idempotency-Key</code> header. Errors always have the shape <code>{code, message, fields?}</code>.</p>",
    );
    html.push_str("<h2>Operations</h2>");
    for (path, item) in &spec.paths.paths {
        let ops = [("get", &item.get), ("post", &item.post), ("put", &item.put), ("patch", &item.patch), ("delete", &item.delete)];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let anchor = format!("{method}-{}", path.replace(['/', '{', '}'], "-"));
            html.push_str(&format!(
                "<div class=\"op\" id=\"{anchor}\"><h3><span class=\"m {method}\">{}</span> <code>/api/v1{}</code></h3>",
                method.to_uppercase(),
                escape(path)
            ));
            if let Some(s) = op.summary.as_ref().or(op.description.as_ref()) {
                html.push_str(&format!("<p>{}</p>", escape(s)));
            }
            if let Some(params) = &op.parameters {
                html.push_str("<p><b>Parameters:</b> ");
                let list: Vec<String> = params
                    .iter()
                    .map(|p| {
                        let place = serde_json::to_value(&p.parameter_in).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                        format!("<code>{}</code> ({place})", escape(&p.name))
                    })
                    .collect();
                html.push_str(&list.join(", "));
                html.push_str("</p>");
            }
            if let Some(body) = &op.request_body {
                for (ct, content) in &body.content {
                    html.push_str(&format!(
                        "<p><b>Request</b> <code>{}</code></p><pre>{}</pre>",
                        escape(ct),
                        escape(&serde_json::to_string_pretty(&content.schema).unwrap_or_default())
                    ));
                }
            }
            let ok: Vec<String> = op
                .responses
                .responses
                .iter()
                .filter(|(s, _)| s.starts_with('2'))
                .map(|(s, r)| match r {
                    RefOr::T(r) => format!(
                        "<p><b>{}</b> {}</p>{}",
                        escape(s),
                        escape(&r.description),
                        r.content
                            .values()
                            .map(|c| format!("<pre>{}</pre>", escape(&serde_json::to_string_pretty(&c.schema).unwrap_or_default())))
                            .collect::<String>()
                    ),
                    RefOr::Ref(_) => String::new(),
                })
                .collect();
            html.push_str(&ok.concat());
            html.push_str("</div>");
        }
    }
    if let Some(c) = &spec.components {
        html.push_str("<h2>Schemas</h2>");
        for (name, schema) in &c.schemas {
            html.push_str(&format!(
                "<h3 id=\"schema-{0}\">{0}</h3><pre>{1}</pre>",
                escape(name),
                escape(&serde_json::to_string_pretty(schema).unwrap_or_default())
            ));
        }
    }
    html.push_str("</body></html>");
    Html(html).into_response()
}
