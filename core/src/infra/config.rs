//! Settings, read once from `DOJANG_*` environment variables at startup. Every variable and
//! its default is listed in the README; a bad value stops the server with a clear message.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The development default for `DOJANG_SECRET_KEY`; production refuses to start with it.
pub const DEV_SECRET_KEY: &str = "dojang-development-secret-key-not-for-production-use";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// What one `dojang serve` process does (`DOJANG_ROLE` or `serve --role`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Serves HTTP only; queued work is left to the workers.
    Web,
    /// Runs queued work (rendering, sealing, mail, webhooks) and the periodic sweeps; serves
    /// only `/healthz` and `/readyz`.
    Worker,
    /// Both (the default: one process is a whole Dojang).
    All,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "web" => Some(Self::Web),
            "worker" => Some(Self::Worker),
            "all" => Some(Self::All),
            _ => None,
        }
    }

    pub fn serves_web(self) -> bool {
        self != Self::Worker
    }

    pub fn runs_work(self) -> bool {
        self != Self::Web
    }
}

/// A secret value: never printed, compared or logged by accident.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub env: Environment,
    pub role: Role,
    pub bind: SocketAddr,
    /// Base URL people and links use, without a trailing slash.
    pub public_url: String,
    /// True when `public_url` was not configured but derived from the bind address (then the
    /// server fills in the real port once bound, for `DOJANG_BIND=…:0`).
    pub public_url_from_bind: bool,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Connections in the pool (`DOJANG_DB_MAX_CONNECTIONS`; default 8 on SQLite, 16 on PostgreSQL).
    pub db_max_connections: Option<u32>,
    /// Where file bytes are stored (`DOJANG_STORAGE_URL`; default `<data dir>/blobs`).
    pub storage: crate::infra::storage::StorageConfig,
    /// Checked when the server starts (admin commands do not need PDFium).
    pub pdfium_lib: PathBuf,
    pub secret_key: Secret,
    /// Where cargo-leptos wrote the wasm, JS and CSS (`<site_root>/pkg`) and the public assets.
    pub site_root: PathBuf,
    pub session_idle_minutes: i64,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// Most pages accepted in one document.
    pub max_pages: u32,
    /// Rows of a bulk send sent per minute (each row an envelope and its invitations).
    pub bulk_per_minute: u32,
    /// SMTP server for outgoing mail; without it, mail is captured locally (development).
    pub smtp_url: Option<Secret>,
    /// The From: of outgoing mail.
    pub mail_from: String,
    /// How often expiry and reminders are checked, in seconds.
    pub sweep_seconds: u64,
    /// RFC 3161 timestamp authority for sealed documents (PAdES B-T); none: B-B.
    pub tsa_url: Option<String>,
    /// Sealed documents are attached to the completion email up to this total size;
    /// beyond it the email carries a download link.
    pub mail_attachment_max_bytes: u64,
    /// API rate limit per key: sustained requests per minute, the burst, and its window.
    pub api_rate: crate::infra::ratelimit::Policy,
    /// Whether webhooks may be sent to loopback and private addresses (tests, closed networks).
    pub webhook_allow_private: bool,
    /// Multiplies the webhook retry schedule (1 = about three days; tests use a small value).
    pub webhook_retry_scale: f64,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub trusted_proxies: crate::infra::client_ip::TrustedProxies,
    /// Multiplies the per-address limits of the public surfaces (signing, verify, sign-up and
    /// log-in, downloads).
    pub address_rate_scale: f64,
    /// Whether rate limits are counted in the database, shared by every instance
    /// (`DOJANG_RATE_LIMITS=database`, the default on PostgreSQL) or in each process
    /// (`memory`, the default on SQLite, which serves one machine).
    pub shared_rate_limits: bool,
    /// How long an API key found active is believed without reading its row again
    /// (`DOJANG_API_KEY_CACHE_SECONDS`; default 60 on SQLite, which serves one machine, 0 on
    /// PostgreSQL, where other instances may revoke it).
    pub api_key_cache: std::time::Duration,
    /// Render worker processes (`DOJANG_RENDER_WORKERS`, default one per core); 0 renders on
    /// this process's PDFium thread instead.
    pub render_workers: usize,
    /// The binary whose `render-worker` command the pool starts (default: this one).
    pub render_worker_exe: PathBuf,
    /// How long one page may take before its worker is killed.
    pub render_timeout: std::time::Duration,
    /// A separate address serving only `/metrics` (no credential: bind it where only the
    /// monitoring can reach it).
    pub metrics_bind: Option<SocketAddr>,
    /// With it, `/metrics` is also served on the main address to `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// Invitations and reminders of test envelopes an organization may send per day (UTC).
    pub test_emails_per_day: i64,
    /// The HTTP SMS gateway (`DOJANG_SMS_URL`, …); without it, SMS are captured (`/dev/sms`).
    pub sms_gateway: Option<crate::infra::sms::GatewayConfig>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `get`, so tests can pass their own variables.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let err = |m: String| ConfigError(m);
        let env = match get("DOJANG_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => return Err(err(format!("DOJANG_ENV must be development or production, not {other:?}"))),
        };
        let role = match get("DOJANG_ROLE") {
            None => Role::All,
            Some(r) => Role::parse(&r).ok_or_else(|| err(format!("DOJANG_ROLE must be web, worker or all, not {r:?}")))?,
        };
        let bind_raw = get("DOJANG_BIND").unwrap_or_else(|| "127.0.0.1:3000".into());
        let bind: SocketAddr = bind_raw.parse().map_err(|_| err(format!("DOJANG_BIND must be HOST:PORT, not {bind_raw:?}")))?;
        let public_url_from_bind = get("DOJANG_PUBLIC_URL").is_none();
        let public_url = get("DOJANG_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
        let public_url = public_url.trim_end_matches('/').to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(err(format!("DOJANG_PUBLIC_URL must start with http:// or https://, not {public_url:?}")));
        }
        let data_dir = PathBuf::from(get("DOJANG_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = get("DOJANG_DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("dojang.db").display()));
        let db_max_connections = match get("DOJANG_DB_MAX_CONNECTIONS") {
            None => None,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => Some(n),
                _ => return Err(err(format!("DOJANG_DB_MAX_CONNECTIONS must be 1–1000, not {v:?}"))),
            },
        };
        let storage = match get("DOJANG_STORAGE_URL") {
            Some(url) => crate::infra::storage::StorageConfig::parse(&url, &get).map_err(err)?,
            None => crate::infra::storage::StorageConfig::Local { root: data_dir.join("blobs") },
        };
        let pdfium_lib = get("DOJANG_PDFIUM_LIB").map(PathBuf::from).unwrap_or_else(default_pdfium_lib);
        let secret_key = Secret::new(get("DOJANG_SECRET_KEY").unwrap_or_else(|| DEV_SECRET_KEY.into()));
        let site_root = PathBuf::from(get("DOJANG_SITE_ROOT").or_else(|| get("LEPTOS_SITE_ROOT")).unwrap_or_else(|| "target/site".into()));
        let session_idle_minutes = parse_num(&get, "DOJANG_SESSION_IDLE_MINUTES", 120)?;
        if session_idle_minutes < 1 {
            return Err(err("DOJANG_SESSION_IDLE_MINUTES must be at least 1".into()));
        }
        let max_upload_mb = parse_num(&get, "DOJANG_MAX_UPLOAD_MB", 50)?;
        let max_pages = parse_num(&get, "DOJANG_MAX_PAGES", 500)?;
        if !(1..=2048).contains(&max_upload_mb) || !(1..=10_000).contains(&max_pages) {
            return Err(err("DOJANG_MAX_UPLOAD_MB must be 1–2048 and DOJANG_MAX_PAGES 1–10000".into()));
        }

        let bulk_per_minute = parse_num(&get, "DOJANG_BULK_RATE", 600)?;
        if !(1..=60_000).contains(&bulk_per_minute) {
            return Err(err("DOJANG_BULK_RATE (rows a minute) must be 1–60000".into()));
        }
        let mail_from = get("DOJANG_MAIL_FROM").unwrap_or_else(|| format!("Dojang <no-reply@{}>", mail_host(&public_url)));
        let shared_rate_limits = match get("DOJANG_RATE_LIMITS").as_deref() {
            None => !database_url.starts_with("sqlite:"),
            Some("database") => true,
            Some("memory") => false,
            Some(other) => return Err(err(format!("DOJANG_RATE_LIMITS must be database or memory, not {other:?}"))),
        };
        // One machine on SQLite; on PostgreSQL other instances may revoke a key (README "Decisions").
        let key_cache_default = if database_url.starts_with("sqlite:") { 60 } else { 0 };
        let sms_gateway = crate::infra::sms::GatewayConfig::from_lookup(&get)?;
        let settings = Self {
            sms_gateway,
            env,
            role,
            bind,
            public_url,
            public_url_from_bind,
            data_dir,
            database_url,
            db_max_connections,
            storage,
            pdfium_lib,
            secret_key,
            site_root,
            session_idle_minutes,
            max_upload_bytes: max_upload_mb as u64 * 1024 * 1024,
            max_pages: max_pages as u32,
            bulk_per_minute: bulk_per_minute as u32,
            smtp_url: get("DOJANG_SMTP_URL").map(Secret::new),
            mail_from,
            sweep_seconds: parse_num(&get, "DOJANG_SWEEP_SECONDS", 30)?.clamp(1, 3600) as u64,
            tsa_url: get("DOJANG_TSA_URL"),
            mail_attachment_max_bytes: parse_num(&get, "DOJANG_MAIL_ATTACHMENT_MAX_MB", 10)?.clamp(0, 100) as u64 * 1024 * 1024,
            api_rate: crate::infra::ratelimit::Policy {
                per_minute: parse_num(&get, "DOJANG_API_RATE_PER_MINUTE", 100)?.clamp(1, 1_000_000) as u32,
                burst: parse_num(&get, "DOJANG_API_BURST", 200)?.clamp(1, 1_000_000) as u32,
                burst_window: std::time::Duration::from_secs(parse_num(&get, "DOJANG_API_BURST_SECONDS", 10)?.clamp(1, 3600) as u64),
            },
            webhook_allow_private: parse_bool(&get, "DOJANG_WEBHOOK_ALLOW_PRIVATE")?,
            webhook_retry_scale: parse_scale(&get, "DOJANG_WEBHOOK_RETRY_SCALE", 0.000_001, 10.0)?,
            trusted_proxies: crate::infra::client_ip::TrustedProxies::parse(&get("DOJANG_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|e| err(format!("DOJANG_TRUSTED_PROXIES: {e}")))?
                .with_header(match get("DOJANG_FORWARDED_HEADER") {
                    None => crate::infra::client_ip::ForwardedHeader::default(),
                    Some(h) => crate::infra::client_ip::ForwardedHeader::parse(&h)
                        .ok_or_else(|| err(format!("DOJANG_FORWARDED_HEADER must be x-forwarded-for or forwarded, not {h:?}")))?,
                }),
            address_rate_scale: parse_scale(&get, "DOJANG_ADDRESS_RATE_SCALE", 0.01, 1000.0)?,
            shared_rate_limits,
            api_key_cache: std::time::Duration::from_secs(parse_num(&get, "DOJANG_API_KEY_CACHE_SECONDS", key_cache_default)?.clamp(0, 3600) as u64),
            render_workers: match get("DOJANG_RENDER_WORKERS") {
                None => std::thread::available_parallelism().map_or(1, |n| n.get()),
                Some(_) => parse_num(&get, "DOJANG_RENDER_WORKERS", 1)?.clamp(0, 64) as usize,
            },
            render_worker_exe: get("DOJANG_RENDER_WORKER_EXE")
                .map(PathBuf::from)
                .or_else(|| std::env::current_exe().ok())
                .unwrap_or_else(|| PathBuf::from("dojang")),
            render_timeout: std::time::Duration::from_millis(parse_num(&get, "DOJANG_RENDER_TIMEOUT_MS", 30_000)?.clamp(1, 600_000) as u64),
            metrics_bind: match get("DOJANG_METRICS_BIND") {
                None => None,
                Some(b) => Some(b.parse().map_err(|_| err(format!("DOJANG_METRICS_BIND must be HOST:PORT, not {b:?}")))?),
            },
            metrics_token: match get("DOJANG_METRICS_TOKEN") {
                Some(t) if t.len() < 16 => return Err(err("DOJANG_METRICS_TOKEN must be at least 16 characters".into())),
                t => t.map(Secret::new),
            },
            test_emails_per_day: parse_num(&get, "DOJANG_TEST_EMAILS_PER_DAY", 100)?.clamp(0, 1_000_000),
        };
        settings.check_production()?;
        Ok(settings)
    }

    /// Production refuses development defaults for secrets and plain-http public URLs.
    fn check_production(&self) -> Result<(), ConfigError> {
        if self.env != Environment::Production {
            return Ok(());
        }
        let key = self.secret_key.expose();
        if key == DEV_SECRET_KEY || key.len() < 32 {
            return Err(ConfigError("production needs DOJANG_SECRET_KEY set to a random value of at least 32 characters".into()));
        }
        if !self.public_url.starts_with("https://") {
            return Err(ConfigError("production needs an https:// DOJANG_PUBLIC_URL".into()));
        }
        if self.smtp_url.is_none() {
            return Err(ConfigError("production needs DOJANG_SMTP_URL (mail is only captured locally in development)".into()));
        }
        Ok(())
    }

    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The public URL's host, for building links.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

/// A host name for the default From: address (`localhost` for IP addresses).
fn mail_host(public_url: &str) -> String {
    let host = public_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        "localhost".into()
    } else {
        host.to_owned()
    }
}

fn parse_bool(get: &impl Fn(&str) -> Option<String>, key: &str) -> Result<bool, ConfigError> {
    match get(key).as_deref().map(str::trim) {
        None | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(v) => Err(ConfigError(format!("{key} must be true or false, not {v:?}"))),
    }
}

/// A multiplier between `min` and `max` (1 when unset).
fn parse_scale(get: &impl Fn(&str) -> Option<String>, key: &str, min: f64, max: f64) -> Result<f64, ConfigError> {
    match get(key) {
        None => Ok(1.0),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| (min..=max).contains(f))
            .ok_or_else(|| ConfigError(format!("{key} must be a number between {min} and {max}, not {v:?}"))),
    }
}

fn parse_num(get: &impl Fn(&str) -> Option<String>, key: &str, default: i64) -> Result<i64, ConfigError> {
    match get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError(format!("{key} must be a whole number, not {v:?}"))),
    }
}

/// Where the setup puts PDFium, relative to the working directory and to the executable
/// (`target/<profile>/dojang` → the repository root is two levels up).
fn pdfium_candidates() -> Vec<PathBuf> {
    let rel = Path::new(".tools/pdfium/libpdfium.so");
    let mut out = vec![rel.to_path_buf()];
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            out.push(dir.join("libpdfium.so"));
            for up in dir.ancestors().skip(1).take(3) {
                out.push(up.join(rel));
            }
        }
    }
    out
}

/// The first candidate that exists, else the project-local path (named in the startup error).
fn default_pdfium_lib() -> PathBuf {
    let candidates = pdfium_candidates();
    candidates.iter().find(|p| p.is_file()).cloned().unwrap_or_else(|| candidates[0].clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    fn any_file() -> String {
        std::env::current_exe().unwrap().display().to_string()
    }

    #[test]
    fn defaults_are_development_on_localhost_3000() {
        let lib = any_file();
        let s = Settings::from_lookup(lookup(&[("DOJANG_PDFIUM_LIB", &lib)])).unwrap();
        assert_eq!(s.env, Environment::Development);
        assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert_eq!(s.database_url, "sqlite://./data/dojang.db");
        assert!(!format!("{s:?}").contains(DEV_SECRET_KEY), "secrets never reach Debug output");
    }

    #[test]
    fn production_refuses_development_secrets_and_plain_http() {
        let lib = any_file();
        let e = Settings::from_lookup(lookup(&[("DOJANG_ENV", "production"), ("DOJANG_PDFIUM_LIB", &lib), ("DOJANG_PUBLIC_URL", "https://sign.example.com")]))
            .unwrap_err();
        assert!(e.0.contains("DOJANG_SECRET_KEY"), "{e}");
        let e = Settings::from_lookup(lookup(&[
            ("DOJANG_ENV", "production"),
            ("DOJANG_PDFIUM_LIB", &lib),
            ("DOJANG_SECRET_KEY", "0123456789abcdef0123456789abcdef-long-enough"),
            ("DOJANG_PUBLIC_URL", "http://sign.example.com"),
        ]))
        .unwrap_err();
        assert!(e.0.contains("https"), "{e}");
        let ok = Settings::from_lookup(lookup(&[
            ("DOJANG_ENV", "production"),
            ("DOJANG_PDFIUM_LIB", &lib),
            ("DOJANG_SECRET_KEY", "0123456789abcdef0123456789abcdef-long-enough"),
            ("DOJANG_PUBLIC_URL", "https://sign.example.com/"),
            ("DOJANG_SMTP_URL", "smtps://user:pass@smtp.example.com"),
        ]))
        .unwrap();
        assert_eq!(ok.public_url, "https://sign.example.com");
        assert_eq!(ok.mail_from, "Dojang <no-reply@sign.example.com>");
        assert!(!format!("{ok:?}").contains("pass@"), "the SMTP password never reaches Debug output");
    }

    #[test]
    fn api_keys_are_cached_on_sqlite_only_unless_told() {
        let lib = any_file();
        let on = |vars: &[(&str, &str)]| {
            let mut all = vec![("DOJANG_PDFIUM_LIB", lib.as_str())];
            all.extend_from_slice(vars);
            Settings::from_lookup(lookup(&all)).unwrap().api_key_cache.as_secs()
        };
        assert_eq!(on(&[]), 60);
        // Instances sharing PostgreSQL revoke for each other, whatever counts the rate limits.
        assert_eq!(on(&[("DOJANG_DATABASE_URL", "postgres://db/dojang")]), 0);
        assert_eq!(on(&[("DOJANG_DATABASE_URL", "postgres://db/dojang"), ("DOJANG_RATE_LIMITS", "memory")]), 0);
        assert_eq!(on(&[("DOJANG_DATABASE_URL", "postgres://db/dojang"), ("DOJANG_API_KEY_CACHE_SECONDS", "5")]), 5);
        assert_eq!(on(&[("DOJANG_API_KEY_CACHE_SECONDS", "0")]), 0);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let lib = any_file();
        let e = Settings::from_lookup(lookup(&[("DOJANG_PDFIUM_LIB", &lib), ("DOJANG_BIND", "nope")])).unwrap_err();
        assert!(e.0.contains("DOJANG_BIND"));
        let e = Settings::from_lookup(lookup(&[("DOJANG_PDFIUM_LIB", &lib), ("DOJANG_ENV", "staging")])).unwrap_err();
        assert!(e.0.contains("DOJANG_ENV"));
    }
}
