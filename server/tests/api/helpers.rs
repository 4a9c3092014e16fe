//! Spawning the app and one helper per endpoint.

use dojang_core::infra::config::Settings;
use dojang_core::infra::db::Db;
use dojang_core::infra::storage::{BlobKey, Storage, StorageConfig};
use dojang_server::Application;
use futures::TryStreamExt as _;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use tempfile::TempDir;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Python of the test tools (`scripts/setup.sh --test` puts them in `.tools/venv`).
pub fn python() -> PathBuf {
    std::env::var("DOJANG_TEST_PYTHON").map(PathBuf::from).unwrap_or_else(|_| repo_root().join(".tools/venv/bin/python"))
}

/// The real `dojang` binary on `port` with its data in `data` (log in `data/server.log`),
/// with extra variables; returns once it accepts connections.
pub fn start_binary(data: &std::path::Path, port: u16, vars: &[(&str, &str)]) -> std::process::Child {
    use std::process::{Command, Stdio};
    let log = std::fs::OpenOptions::new().create(true).append(true).open(data.join("server.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_dojang"))
        .env("DOJANG_BIND", format!("127.0.0.1:{port}"))
        .env("DOJANG_DATA_DIR", data)
        .env("DOJANG_PDFIUM_LIB", pdfium_lib())
        .env("DOJANG_LOG", "info")
        .envs(backend_vars(data))
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < std::time::Duration::from_secs(30), "dojang did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}

/// Where the app keeps its data in this test run: SQLite and local disk under `data` (the
/// default), or — when the test script started them (`DOJANG_TEST_POSTGRES`, and
/// `DOJANG_TEST_STORAGE=s3` with `DOJANG_TEST_S3_ENDPOINT`) — a PostgreSQL database and an S3
/// key prefix of their own, named after `data` so that a restart on the same folder finds the
/// same data.
pub fn backend_vars(data: &std::path::Path) -> Vec<(String, String)> {
    let mut vars = vec![("DOJANG_DATABASE_URL".to_owned(), database_url(data))];
    if std::env::var("DOJANG_TEST_STORAGE").as_deref() == Ok("s3") {
        vars.extend(s3_vars(&format!("s3://dojang-test/{}", backend_name(data))).expect("DOJANG_TEST_STORAGE=s3 needs DOJANG_TEST_S3_ENDPOINT"));
    }
    vars
}

/// The settings for the test S3 server at `url` (`s3://dojang-test/<prefix>`), when the test
/// script started one.
pub fn s3_vars(url: &str) -> Option<Vec<(String, String)>> {
    // As `localhost`: the proxy test exempts it from its proxy (see webhooks.rs).
    let endpoint = std::env::var("DOJANG_TEST_S3_ENDPOINT").ok()?.replace("127.0.0.1", "localhost");
    Some(
        [
            ("DOJANG_STORAGE_URL", url),
            ("DOJANG_S3_ENDPOINT", &endpoint),
            ("DOJANG_S3_REGION", "us-east-1"),
            ("DOJANG_S3_ACCESS_KEY_ID", "test"),
            ("DOJANG_S3_SECRET_ACCESS_KEY", "test"),
            ("DOJANG_S3_PATH_STYLE", "true"),
            ("DOJANG_S3_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    )
}

fn backend_name(data: &std::path::Path) -> String {
    use sha2::Digest as _;
    format!("t_{}", &hex::encode(sha2::Sha256::digest(data.display().to_string().as_bytes()))[..20])
}

/// The database of the app whose data folder is `data` (made on first use on PostgreSQL).
pub fn database_url(data: &std::path::Path) -> String {
    let name = backend_name(data);
    if let Ok(admin) = std::env::var("DOJANG_TEST_POSTGRES") {
        let exists = std::process::Command::new("psql")
            .args([admin.as_str(), "-Atc", &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'")])
            .output()
            .expect("psql");
        if String::from_utf8_lossy(&exists.stdout).trim() != "1" {
            let made = std::process::Command::new("psql").args([admin.as_str(), "-qc", &format!("CREATE DATABASE {name}")]).output().expect("psql");
            assert!(made.status.success(), "creating the test database: {}", String::from_utf8_lossy(&made.stderr));
        }
        let base = admin.rsplit_once('/').expect("a database URL").0;
        return format!("{base}/{name}");
    }
    format!("sqlite://{}", data.join("dojang.db").display())
}

/// The store of the app whose data folder is `data` (its folder, or its prefix in the test bucket).
pub fn storage_of(data: &std::path::Path) -> Storage {
    let vars: HashMap<String, String> = backend_vars(data).into_iter().collect();
    let config = match vars.get("DOJANG_STORAGE_URL") {
        Some(url) => StorageConfig::parse(url, |k| vars.get(k).cloned()).expect("the test storage URL"),
        None => StorageConfig::Local { root: data.join("blobs") },
    };
    Storage::open(&config).expect("the test storage")
}

pub fn pdfium_lib() -> String {
    std::env::var("DOJANG_PDFIUM_LIB").unwrap_or_else(|_| repo_root().join(".tools/pdfium/libpdfium.so").display().to_string())
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// The app's shared state, when it runs in this process.
    state: Option<dojang_core::state::AppState>,
    /// The app's store, read directly (whichever backend this run uses).
    pub storage: Storage,
    /// The app's data folder, removed when the app is dropped.
    _data_dir: TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub struct Spawn {
    vars: HashMap<String, String>,
}

impl Spawn {
    pub fn var(mut self, k: &str, v: &str) -> Self {
        self.vars.insert(k.into(), v.into());
        self
    }

    pub async fn start(self) -> TestApp {
        // DOJANG_TEST_LOG=1 shows the in-process apps' logs (with --nocapture).
        if std::env::var("DOJANG_TEST_LOG").is_ok() {
            dojang_server::telemetry::init();
        }
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut vars = self.vars;
        vars.entry("DOJANG_BIND".into()).or_insert("127.0.0.1:0".into());
        vars.entry("DOJANG_DATA_DIR".into()).or_insert(data_dir.path().display().to_string());
        vars.entry("DOJANG_PDFIUM_LIB".into()).or_insert(pdfium_lib());
        // The pool's workers are the real binary's `render-worker` (this process is the test).
        vars.entry("DOJANG_RENDER_WORKER_EXE".into()).or_insert(env!("CARGO_BIN_EXE_dojang").into());
        vars.entry("DOJANG_SITE_ROOT".into()).or_insert(repo_root().join("target/site").display().to_string());
        let data = PathBuf::from(&vars["DOJANG_DATA_DIR"]);
        for (k, v) in backend_vars(&data) {
            vars.entry(k).or_insert(v);
        }
        let settings = Settings::from_lookup(|k| vars.get(k).cloned()).expect("test settings");
        let app = Application::build(settings).await.expect("application builds");
        let address = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let db = state.db.clone();
        let storage = app.state().storage.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(app.run_until_stopped(async {
            let _ = rx.await;
        }));
        TestApp { address, client: client(), db, state: Some(state), storage, _data_dir: data_dir, shutdown: Some(tx), handle: Some(handle) }
    }
}

/// The tests' HTTP client. A request that gets no answer within `REQUEST_TIMEOUT` fails the
/// test where it was made, instead of hanging the run.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).timeout(REQUEST_TIMEOUT).build().expect("http client")
}

pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

pub fn spawn() -> Spawn {
    Spawn { vars: HashMap::new() }
}

pub async fn spawn_app() -> TestApp {
    spawn().start().await
}

/// A sign-up form's fields.
pub struct Account {
    pub org: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

impl Account {
    pub fn unique(tag: &str) -> Self {
        let n = uuid::Uuid::new_v4().simple().to_string();
        Self {
            org: format!("{tag} 주식회사 {}", &n[..8]),
            name: format!("홍길동 {}", &n[..4]),
            email: format!("{tag}-{}@example.com", &n[..12]),
            password: "correct horse battery staple".into(),
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap_or_default().to_owned())
    }
}

async fn reply(res: reqwest::Response) -> Reply {
    Reply { status: res.status().as_u16(), headers: res.headers().clone(), body: res.text().await.unwrap_or_default() }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Reply {
        reply(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.client.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        reply(req.send().await.expect("GET")).await
    }

    /// Calls a server function with form-encoded arguments, as `ActionForm` does.
    pub async fn call(&self, name: &str, form: &[(&str, &str)]) -> Reply {
        self.call_with(name, form, &[]).await
    }

    pub async fn call_with(&self, name: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        let mut req = self.client.post(self.url(&format!("/_fn/{name}"))).form(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        reply(req.send().await.expect("POST")).await
    }

    pub async fn csrf_token(&self) -> String {
        let r = self.call("auth/csrf_token", &[]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        serde_json::from_str::<String>(&r.body).expect("token is a JSON string")
    }

    pub async fn sign_up(&self, a: &Account) -> Reply {
        let csrf = self.csrf_token().await;
        self.call("auth/sign_up", &[("csrf", &csrf), ("org_name", &a.org), ("name", &a.name), ("email", &a.email), ("password", &a.password)]).await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Reply {
        let csrf = self.csrf_token().await;
        self.call("auth/log_in", &[("csrf", &csrf), ("email", email), ("password", password)]).await
    }

    pub async fn log_out(&self) -> Reply {
        let csrf = self.csrf_token().await;
        self.call("auth/log_out", &[("csrf", &csrf)]).await
    }

    /// Uploads a PDF through the app's upload endpoint (as the editor does).
    pub async fn upload(&self, contract: Option<&str>, name: &str, bytes: Vec<u8>) -> Reply {
        let csrf = self.csrf_token().await;
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str("application/pdf").unwrap();
        let form = reqwest::multipart::Form::new().part("file", part);
        let url = match contract {
            Some(c) => self.url(&format!("/_app/documents?contractId={c}")),
            None => self.url("/_app/documents"),
        };
        let res = self.client.post(url).header("x-csrf-token", csrf).multipart(form).send().await.expect("upload");
        reply(res).await
    }

    /// Calls a server function that takes JSON arguments.
    pub async fn call_json(&self, name: &str, body: Value) -> Reply {
        let res = self.client.post(self.url(&format!("/_fn/{name}"))).json(&body).send().await.expect("POST");
        reply(res).await
    }

    /// GET returning raw bytes.
    pub async fn get_bytes(&self, path: &str) -> (u16, HeaderMap, Vec<u8>) {
        let res = self.client.get(self.url(path)).send().await.expect("GET");
        (res.status().as_u16(), res.headers().clone(), res.bytes().await.unwrap_or_default().to_vec())
    }

    /// The bytes stored under `key`, if any.
    pub async fn stored(&self, key: &str) -> Option<Vec<u8>> {
        self.storage.get(&BlobKey::new(key).unwrap()).await.unwrap().map(Vec::from)
    }

    /// The keys stored under the folder `prefix`.
    pub async fn stored_keys(&self, prefix: &str) -> Vec<String> {
        let listed: Vec<(BlobKey, u64)> = self.storage.list(Some(prefix)).try_collect().await.unwrap();
        listed.into_iter().map(|(k, _)| k.as_str().to_owned()).collect()
    }

    pub async fn current_user(&self) -> Value {
        let r = self.call("auth/current_user", &[]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// A client for a Dojang running in another process on the data folder `data` (its
    /// database and store opened beside it).
    pub async fn external(address: String, data: &std::path::Path) -> TestApp {
        TestApp {
            address,
            client: client(),
            db: Db::connect(&database_url(data)).await.expect("the other process's database"),
            state: None,
            storage: storage_of(data),
            _data_dir: tempfile::tempdir().expect("temp dir"),
            shutdown: None,
            handle: None,
        }
    }

    /// The app's API key cache, to revoke keys as the app does; an app in another process has
    /// its own, out of reach, so this is then one that keeps nothing.
    pub fn key_cache(&self) -> &dojang_core::api::key_cache::KeyCache {
        static NONE: std::sync::LazyLock<dojang_core::api::key_cache::KeyCache> =
            std::sync::LazyLock::new(|| dojang_core::api::key_cache::KeyCache::new(std::time::Duration::ZERO));
        self.state.as_ref().map_or(&*NONE, |s| &s.api_keys)
    }

    /// A second browser: its own cookies.
    pub fn new_browser(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            client: client(),
            db: self.db.clone(),
            state: self.state.clone(),
            storage: self.storage.clone(),
            _data_dir: tempfile::tempdir().expect("temp dir"),
            shutdown: None,
            handle: None,
        }
    }

    /// Another handle on this browser: the same cookies (a second tab).
    pub fn same_session(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            client: self.client.clone(),
            db: self.db.clone(),
            state: self.state.clone(),
            storage: self.storage.clone(),
            _data_dir: tempfile::tempdir().expect("temp dir"),
            shutdown: None,
            handle: None,
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("server task").expect("server stopped cleanly");
        }
    }
}

/// The test PDFs (copied from the shared corpus with their manifest rows).
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pdf")
}

/// Manifest rows: (file name, expected "ok" or "error", page count if known).
pub fn manifest() -> Vec<(String, String, Option<u32>)> {
    let text = std::fs::read_to_string(fixture_dir().join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (file, expected, pages) = (col("filename"), col("expected"), col("pages"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[file].to_owned(), c[expected].to_owned(), c[pages].parse().ok())
        })
        .collect()
}

/// Whether a response sets a cookie named `name`, and its attributes.
pub fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with(&format!("{name}="))).map(str::to_owned)
}

/// A browser whose cookie jar keeps every cookie the server sets, `Secure` ones included
/// (the tests talk plain http on loopback, where a real browser would be on https), so a
/// test can hold a signed-in session and an embed session at once, as a browser can.
#[derive(Clone)]
pub struct Browser {
    pub address: String,
    /// An embedded screen's browser: its forms carry the embed session's CSRF token.
    pub embedded: bool,
    jar: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
    client: reqwest::Client,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::with_client(&app.address, client())
    }

    /// A browser talking to `address` (the app, or a proxy in front of it) through `client`.
    pub fn with_client(address: &str, client: reqwest::Client) -> Self {
        Self { address: address.to_owned(), embedded: false, jar: Default::default(), client }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    fn header(&self) -> String {
        self.jar.lock().unwrap().iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn remember(&self, headers: &HeaderMap) {
        let mut jar = self.jar.lock().unwrap();
        for c in headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let first = c.split(';').next().unwrap_or("");
            let Some((name, value)) = first.split_once('=') else { continue };
            jar.retain(|(n, _)| n != name);
            let gone = value.is_empty() || c.to_ascii_lowercase().contains("max-age=0");
            if !gone {
                jar.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.header("cookie", self.header()).send().await.expect("request");
        self.remember(res.headers());
        reply(res).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(format!("{}{path}", self.address))).await
    }

    pub async fn call(&self, name: &str, form: &[(&str, &str)]) -> Reply {
        self.send(self.client.post(format!("{}/_fn/{name}", self.address)).form(form)).await
    }

    pub async fn call_json(&self, name: &str, body: Value) -> Reply {
        self.send(self.client.post(format!("{}/_fn/{name}", self.address)).json(&body)).await
    }

    pub async fn csrf(&self) -> String {
        let mut r = self.call(if self.embedded { "auth/embed_csrf_token" } else { "auth/csrf_token" }, &[]).await;
        if r.status != 200 {
            // Before the embed session had its own token call (kept so the attack tests also
            // run against older builds).
            r = self.call("auth/csrf_token", &[]).await;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        serde_json::from_str(&r.body).expect("a JSON string")
    }

    pub async fn sign_up(&self, a: &Account) -> Reply {
        let csrf = self.csrf().await;
        self.call("auth/sign_up", &[("csrf", &csrf), ("org_name", &a.org), ("name", &a.name), ("email", &a.email), ("password", &a.password)]).await
    }

    pub async fn log_in(&self, a: &Account) -> Reply {
        let csrf = self.csrf().await;
        self.call("auth/log_in", &[("csrf", &csrf), ("email", &a.email), ("password", &a.password)]).await
    }

    /// Uploads through the editor's endpoint (into `contract` when given).
    pub async fn upload(&self, contract: Option<&str>, name: &str, bytes: Vec<u8>) -> Reply {
        let csrf = self.csrf().await;
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str("application/pdf").unwrap();
        let url = match contract {
            Some(c) => format!("{}/_app/documents?contractId={c}", self.address),
            None => format!("{}/_app/documents", self.address),
        };
        self.send(self.client.post(url).header("x-csrf-token", csrf).multipart(reqwest::multipart::Form::new().part("file", part))).await
    }
}

/// Dark pixels of the first page, rendered by poppler, inside (x0, y0, x1, y1) as fractions.
pub fn ink_in(pdf: &std::path::Path, area: (f64, f64, f64, f64), dir: &std::path::Path) -> usize {
    let out = dir.join("render");
    let status =
        std::process::Command::new("pdftoppm").args(["-r", "50", "-gray", "-png", "-singlefile", "-f", "1", "-l", "1"]).arg(pdf).arg(&out).status().unwrap();
    assert!(status.success());
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(out.with_extension("png")).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (x0, y0, x1, y1) = ((area.0 * w as f64) as usize, (area.1 * h as f64) as usize, (area.2 * w as f64) as usize, (area.3 * h as f64) as usize);
    (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).filter(|(x, y)| buf[y * frame.line_size + x] < 128).count()
}
