//! The transport SMS leaves by: a generic HTTP gateway, or — without one configured — none:
//! messages are then captured (kept in the SMS outbox, shown on `/dev/sms`).
//!
//! The gateway is configured with a URL, a method, an optional authorization header and a
//! body template in which `{to}` (E.164), `{to_national}` (digits without the country code,
//! `01012345678`), `{text}` and `{from}` are replaced — escaped for JSON or URL-encoded for a
//! form — which covers the REST APIs of common Korean and international SMS providers. Any
//! 2xx answer is success; anything else is retried by the outbox.

use crate::infra::config::{ConfigError, Secret};
use std::sync::Arc;
use tokio::sync::Notify;

/// The body's encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Form,
}

/// `DOJANG_SMS_*`.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub url: String,
    pub method: reqwest::Method,
    /// `Name: value` (e.g. `Authorization: Bearer …`), kept secret.
    pub auth_header: Option<Secret>,
    pub format: BodyFormat,
    pub body: String,
    pub from: String,
}

impl GatewayConfig {
    /// From the settings' variables; `None` without `DOJANG_SMS_URL`.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let Some(url) = get("DOJANG_SMS_URL") else { return Ok(None) };
        let err = |m: String| ConfigError(m);
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(err(format!("DOJANG_SMS_URL must be an http(s) URL, not {url:?}")));
        }
        let method = match get("DOJANG_SMS_METHOD").unwrap_or_else(|| "POST".into()).to_ascii_uppercase().as_str() {
            "POST" => reqwest::Method::POST,
            "PUT" => reqwest::Method::PUT,
            other => return Err(err(format!("DOJANG_SMS_METHOD must be POST or PUT, not {other:?}"))),
        };
        let format = match get("DOJANG_SMS_FORMAT").as_deref().unwrap_or("json") {
            "json" => BodyFormat::Json,
            "form" => BodyFormat::Form,
            other => return Err(err(format!("DOJANG_SMS_FORMAT must be json or form, not {other:?}"))),
        };
        let body = get("DOJANG_SMS_BODY").unwrap_or_else(|| match format {
            BodyFormat::Json => r#"{"to":"{to}","text":"{text}"}"#.into(),
            BodyFormat::Form => "to={to}&text={text}".into(),
        });
        let auth_header = get("DOJANG_SMS_AUTH_HEADER").map(Secret::new);
        if let Some(h) = &auth_header {
            if !h.expose().contains(':') {
                return Err(err("DOJANG_SMS_AUTH_HEADER must be `Name: value`".into()));
            }
        }
        Ok(Some(Self { url, method, auth_header, format, body, from: get("DOJANG_SMS_FROM").unwrap_or_default() }))
    }

    /// The body for one message.
    pub fn render(&self, to: &str, text: &str) -> String {
        let national = national_digits(to);
        let esc = |v: &str| match self.format {
            BodyFormat::Json => {
                let quoted = serde_json::to_string(v).unwrap_or_default();
                quoted[1..quoted.len() - 1].to_owned()
            }
            BodyFormat::Form => url::form_urlencoded::byte_serialize(v.as_bytes()).collect(),
        };
        // One pass, so a value containing `{text}` is never replaced again.
        let mut out = String::with_capacity(self.body.len() + text.len());
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            let (value, len) = [("{to}", to), ("{to_national}", national.as_str()), ("{text}", text), ("{from}", self.from.as_str())]
                .into_iter()
                .find(|(k, _)| tail.starts_with(k))
                .map_or((None, 1), |(k, v)| (Some(esc(v)), k.len()));
            match value {
                Some(v) => out.push_str(&v),
                None => out.push('{'),
            }
            rest = &tail[len..];
        }
        out.push_str(rest);
        out
    }
}

/// `+821012345678` → `01012345678` (a Korean number as Korean gateways take it); other
/// numbers lose only the `+`.
fn national_digits(e164: &str) -> String {
    match e164.strip_prefix("+82") {
        Some(rest) => format!("0{rest}"),
        None => e164.trim_start_matches('+').to_owned(),
    }
}

enum Transport {
    Gateway(GatewayConfig, reqwest::Client),
    Capture,
}

/// Sends SMS from the outbox; cheap to clone.
#[derive(Clone)]
pub struct SmsSender {
    transport: Arc<Transport>,
    /// Wakes the SMS outbox worker after a transaction queued a message.
    pub wake: Arc<Notify>,
}

impl std::fmt::Debug for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSender").field("capturing", &self.is_capturing()).finish()
    }
}

impl SmsSender {
    pub fn new(config: Option<GatewayConfig>) -> anyhow::Result<Self> {
        let transport = match config {
            Some(c) => {
                let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(20)).redirect(reqwest::redirect::Policy::none()).build()?;
                Transport::Gateway(c, client)
            }
            None => Transport::Capture,
        };
        Ok(Self { transport: Arc::new(transport), wake: Arc::new(Notify::new()) })
    }

    pub fn is_capturing(&self) -> bool {
        matches!(*self.transport, Transport::Capture)
    }

    /// Hands one message to the gateway. Ok(false) means captured, not sent.
    pub async fn deliver(&self, to: &str, text: &str) -> Result<bool, String> {
        let (c, client) = match &*self.transport {
            Transport::Gateway(c, client) => (c, client),
            Transport::Capture => return Ok(false),
        };
        let content_type = match c.format {
            BodyFormat::Json => "application/json; charset=utf-8",
            BodyFormat::Form => "application/x-www-form-urlencoded; charset=utf-8",
        };
        let mut req = client.request(c.method.clone(), &c.url).header(reqwest::header::CONTENT_TYPE, content_type).body(c.render(to, text));
        if let Some((name, value)) = c.auth_header.as_ref().and_then(|h| h.expose().split_once(':')) {
            req = req.header(name.trim(), value.trim());
        }
        // What is recorded of a failure (the outbox's last error, logs) names neither the URL
        // (it may hold the provider's key) nor the answer's body (it may echo the text, and
        // with it a code or a signing link): the kind of failure and the status only.
        let res = req.send().await.map_err(|e| format!("SMS gateway unreachable: {}", e.without_url()))?;
        let status = res.status();
        if status.is_success() {
            Ok(true)
        } else {
            Err(format!("SMS gateway answered {status}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(format: BodyFormat, body: &str) -> GatewayConfig {
        GatewayConfig { url: "http://x".into(), method: reqwest::Method::POST, auth_header: None, format, body: body.into(), from: "0215880000".into() }
    }

    #[test]
    fn bodies_escape_what_they_carry() {
        let c = config(BodyFormat::Json, r#"{"to":"{to}","n":"{to_national}","msg":"{text}","from":"{from}","keep":"{other}"}"#);
        let body = c.render("+821012345678", "서명 \"요청\" {text}\n");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["to"], "+821012345678");
        assert_eq!(v["n"], "01012345678");
        assert_eq!(v["msg"], "서명 \"요청\" {text}\n");
        assert_eq!(v["from"], "0215880000");
        assert_eq!(v["keep"], "{other}");
        let f = config(BodyFormat::Form, "to={to}&text={text}");
        assert_eq!(f.render("+14155552671", "a&b=c 한"), "to=%2B14155552671&text=a%26b%3Dc+%ED%95%9C");
    }
}
