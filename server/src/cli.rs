//! The command line: `dojang [serve]`, `dojang migrate`, `dojang admin …`.

use crate::startup::{shutdown_signal, Application};
use crate::telemetry;
use clap::{Parser, Subcommand, ValueEnum};
use dojang_core::accounts::{self, SignUp};
use dojang_core::api::{keys as api_keys, tokens, usage};
use dojang_core::infra::config::{Role, Settings};
use dojang_core::infra::db::Db;
use dojang_core::model::{Language, Mode};
use dojang_core::seal::keys;
use serde_json::json;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "dojang", version, about = "Dojang: open-source e-contracts and e-signatures")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// web (HTTP only), worker (queued work and sweeps; health routes only) or all (both).
        #[arg(long, value_parser = ["web", "worker", "all"])]
        role: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Operator commands.
    #[command(subcommand)]
    Admin(Admin),
    /// One process of the render pool (started by the server; speaks on stdin/stdout).
    #[command(hide = true)]
    RenderWorker,
}

#[derive(Subcommand)]
enum Admin {
    /// Create an organization and its owner account.
    CreateOrg {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// The owner's display name (default: the part of the email before @).
        #[arg(long)]
        owner_name: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Manage the sealing key.
    #[command(subcommand)]
    SealKey(SealKey),
    /// Create an API key for an organization (the key and secret are printed once).
    CreateApiKey {
        #[arg(long)]
        org: String,
        #[arg(long, value_enum)]
        mode: KeyMode,
        /// A name to tell keys apart.
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Set an organization's monthly quota of signature requests ("unlimited" clears it).
    SetQuota {
        #[arg(long)]
        org: String,
        #[arg(long)]
        monthly: String,
    },
    /// Add new keys for admin and client tokens; with --retire-previous, tokens signed by
    /// older keys stop working.
    RotateTokenKeys {
        #[arg(long)]
        retire_previous: bool,
    },
    /// Copy every stored object to another store, each verified by SHA-256 (run again after an
    /// interruption: what is already there is skipped). Then point DOJANG_STORAGE_URL at it.
    MigrateStorage {
        /// The store to copy from, e.g. file:///srv/dojang/data/blobs.
        #[arg(long)]
        from: String,
        /// The store to copy to, e.g. s3://bucket/prefix (S3 settings from DOJANG_S3_*).
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum SealKey {
    /// Issue a new sealing key from the instance's root (the old one still verifies).
    Rotate,
    /// Seal with the key and certificate chain of a PKCS#12 file from now on.
    Import {
        #[arg(long)]
        p12: std::path::PathBuf,
        /// The PKCS#12 password (or set DOJANG_P12_PASSWORD).
        #[arg(long, env = "DOJANG_P12_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Print the root certificate (PEM), for validators that should trust this instance.
    ExportRoot,
}

#[derive(Clone, Copy, ValueEnum)]
enum KeyMode {
    Live,
    Test,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}"), false),
    };
    runtime.block_on(run(cli))
}

fn fail(message: &str, json: bool) -> ExitCode {
    if json {
        println!("{}", json!({ "error": message }));
    } else {
        eprintln!("error: {message}");
    }
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string(), false),
    };
    match cli.command.unwrap_or(Command::Serve { role: None }) {
        Command::Serve { role } => match serve(settings, role.as_deref().and_then(Role::parse)).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("{e:#}"), false),
        },
        Command::Migrate => match migrate(&settings).await {
            Ok(db) => {
                db.close().await;
                println!("migrations applied");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&format!("{e:#}"), false),
        },
        Command::Admin(cmd) => admin(settings, cmd).await,
        Command::RenderWorker => match dojang_core::pdf::pool::run_worker(&settings.pdfium_lib) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("{e:#}"), false),
        },
    }
}

async fn serve(mut settings: Settings, role: Option<Role>) -> anyhow::Result<()> {
    let stop = shutdown_signal();
    settings.role = role.unwrap_or(settings.role);
    let app = Application::build(settings).await?;
    app.run_until_stopped(stop).await
}

async fn migrate(settings: &Settings) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let db = Db::connect_with(&settings.database_url, settings.db_max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

async fn seal_key(settings: Settings, cmd: SealKey) -> ExitCode {
    let db = match migrate(&settings).await {
        Ok(db) => db,
        Err(e) => return fail(&format!("{e:#}"), false),
    };
    let secret = &settings.secret_key;
    let result = async {
        keys::ensure(&db, secret).await?;
        match cmd {
            SealKey::Rotate => {
                let id = keys::rotate(&db, secret).await?;
                println!("new sealing key {id} is active");
            }
            SealKey::Import { p12, password } => {
                let bytes = std::fs::read(&p12).map_err(|e| anyhow::anyhow!("reading {}: {e}", p12.display()))?;
                let id = keys::import_pkcs12(&db, secret, &bytes, &password).await?;
                println!("imported sealing key {id} is active");
            }
            SealKey::ExportRoot => print!("{}", keys::root_pem(&db).await?),
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    db.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}"), false),
    }
}

/// The organization an operator names.
async fn org_named(db: &Db, name: &str) -> Result<dojang_core::ids::OrganizationId, dojang_core::AppError> {
    accounts::find_organization_by_name(db, name).await?.ok_or_else(|| dojang_core::AppError::not_found("Organization"))
}

async fn admin(settings: Settings, cmd: Admin) -> ExitCode {
    match cmd {
        Admin::CreateOrg { name, email, password, owner_name, json } => create_org(&settings, &name, &email, &password, owner_name, json).await,
        Admin::SealKey(cmd) => seal_key(settings, cmd).await,
        Admin::CreateApiKey { json, org, mode, name } => create_api_key(&settings, &org, mode, &name, json).await,
        Admin::SetQuota { org, monthly } => set_quota(&settings, &org, &monthly).await,
        Admin::RotateTokenKeys { retire_previous } => rotate_token_keys(&settings, retire_previous).await,
        Admin::MigrateStorage { from, to } => migrate_storage(&from, &to).await,
    }
}

async fn migrate_storage(from: &str, to: &str) -> ExitCode {
    use dojang_core::infra::storage::{migrate, Storage, StorageConfig};
    let open = |url: &str| -> anyhow::Result<Storage> {
        let config = StorageConfig::parse(url, |k| std::env::var(k).ok().filter(|v| !v.is_empty())).map_err(anyhow::Error::msg)?;
        Storage::open(&config)
    };
    let result = async {
        let (source, target) = (open(from)?, open(to)?);
        anyhow::ensure!(source.describe() != target.describe(), "--from and --to name the same store");
        migrate::copy_all(&source, &target, |key, copied| {
            if copied {
                println!("copied {}", key.as_str());
            }
        })
        .await
    }
    .await;
    match result {
        Ok(m) => {
            println!("{} copied and verified, {} already there ({} bytes in all)", m.copied, m.unchanged, m.bytes);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("{e:#}"), false),
    }
}

/// The database, migrated; or the failure already reported.
async fn open(settings: &Settings, json: bool) -> Result<Db, ExitCode> {
    migrate(settings).await.map_err(|e| fail(&format!("{e:#}"), json))
}

async fn create_org(settings: &Settings, name: &str, email: &str, password: &str, owner_name: Option<String>, json: bool) -> ExitCode {
    let db = match open(settings, json).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let owner = owner_name.unwrap_or_else(|| email.split('@').next().unwrap_or("owner").to_owned());
    let created = async { accounts::sign_up(&db, SignUp::parse(name, &owner, email, password, Language::default())?).await }.await;
    db.close().await;
    match created {
        Ok(user) if json => {
            println!(
                "{}",
                json!({
                    "id": user.organization_id,
                    "name": user.organization_name,
                    "owner": { "id": user.id, "email": user.email, "name": user.name },
                })
            );
            ExitCode::SUCCESS
        }
        Ok(user) => {
            println!("created organization {} ({})", user.organization_name, user.organization_id);
            println!("owner: {} <{}>", user.name, user.email);
            ExitCode::SUCCESS
        }
        Err(e) => {
            let detail = e.fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>();
            let msg = if detail.is_empty() { e.message.clone() } else { detail.join("; ") };
            if json {
                println!("{}", json!({ "error": msg, "code": e.code }));
                ExitCode::FAILURE
            } else {
                fail(&msg, false)
            }
        }
    }
}

async fn create_api_key(settings: &Settings, org: &str, mode: KeyMode, name: &str, json: bool) -> ExitCode {
    let db = match open(settings, json).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let mode = match mode {
        KeyMode::Live => Mode::Live,
        KeyMode::Test => Mode::Test,
    };
    let created = async { api_keys::create(&db, &org_named(&db, &org).await?, mode, &name).await }.await;
    db.close().await;
    match created {
        Ok(k) if json => {
            println!("{}", json!({ "id": k.id, "key": k.key, "secret": k.secret, "mode": k.mode.as_str() }));
            ExitCode::SUCCESS
        }
        Ok(k) => {
            println!("key:    {}", k.key);
            println!("secret: {}", k.secret);
            println!("Store both now: they are not shown again.");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.message, json),
    }
}

async fn set_quota(settings: &Settings, org: &str, monthly: &str) -> ExitCode {
    let quota = match monthly {
        "unlimited" | "none" => None,
        n => match n.parse::<i64>() {
            Ok(q) if q >= 0 => Some(q),
            _ => return fail("--monthly is a number of signature requests or \"unlimited\"", false),
        },
    };
    let db = match open(settings, false).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let done = async { usage::set_quota(&db, &org_named(&db, &org).await?, quota).await }.await;
    db.close().await;
    match done {
        Ok(()) => {
            println!("monthly quota of {org}: {}", quota.map_or("unlimited".to_owned(), |q| q.to_string()));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.message, false),
    }
}

async fn rotate_token_keys(settings: &Settings, retire_previous: bool) -> ExitCode {
    let db = match open(settings, false).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let done = async {
        tokens::rotate(&db, &settings.secret_key).await?;
        if retire_previous {
            tokens::retire_previous(&db).await
        } else {
            Ok(0)
        }
    }
    .await;
    db.close().await;
    match done {
        Ok(retired) => {
            println!("new token keys in use; {retired} older keys retired");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.message, false),
    }
}
