//! The `sscard` binary: serve (default), migrate, import, seed-demo, account, client, openapi.
//!
//! - `main.rs`: the command line and configuration (flags and `SSCARD_*` environment variables).
//! - `demo.rs`: the demo data generator behind `seed-demo` (and behind the first start in demo mode).
//! - `demo_accounts.rs`: one demo account of each role and one API client per channel.

mod demo;
mod demo_accounts;
mod demo_cards;
mod startup;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use sscard_app::import::{import_csv, ImportKind};
use sscard_app::ports::SETTING_DEMO_DATA;
use sscard_app::AppContext;
use sscard_web::{Mode, WebConfig};

#[derive(Parser, Debug)]
#[command(
    name = "sscard",
    version,
    about = "The third-generation social security card platform"
)]
struct Cli {
    /// Database URL: `sqlite://PATH` or `postgres://…`. Default: a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Directory for the embedded database and local files.
    #[arg(long, env = "SSCARD_DATA_DIR", default_value = "./data", global = true)]
    data_dir: PathBuf,
    /// `demo` (default: demo data, test doubles allowed) or `production`.
    #[arg(long, env = "SSCARD_MODE", value_enum, default_value_t = ModeArg::Demo, global = true)]
    mode: ModeArg,
    /// Longest a request waits for a database connection, in milliseconds (with the database away, requests
    /// fail with 503 after this long).
    #[arg(long, env = "SSCARD_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 2000, global = true)]
    db_acquire_timeout_ms: u64,
    /// How long a start waits for an unreachable database, in seconds, retrying, before giving up.
    #[arg(long, env = "SSCARD_DB_START_WAIT_SECS", default_value_t = 60, global = true)]
    db_start_wait_secs: u64,
    /// Log format: `text` or `json` (default: json in production, text in demo).
    #[arg(long, env = "SSCARD_LOG_FORMAT", global = true)]
    log_format: Option<String>,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ModeArg {
    Demo,
    Production,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the portal and the API (the default command).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Import a CSV file: registry, entities, guardianship, branches, outlets, or calendar (a year's holidays).
    Import {
        #[arg(value_parser = ["registry", "entities", "guardianship", "branches", "outlets"])]
        kind: String,
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load the demo data set (invented people, employers, guardianships, branches and outlets).
    SeedDemo,
    /// Print the OpenAPI document.
    Openapi,
    /// Create a staff, entity-handler or bank-system account (the password is read from SSCARD_NEW_PASSWORD,
    /// or generated and printed once).
    Account {
        #[arg(long, value_parser = ["entity_handler", "bank_clerk", "outlet_clerk", "hotline_agent", "admin", "bank_system"])]
        role: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        bank: Option<String>,
        #[arg(long)]
        branch: Option<String>,
        #[arg(long)]
        outlet: Option<String>,
        #[arg(long)]
        entity: Option<String>,
    },
    /// Simulate a cooperative bank's production system against a running sscard, over its bank interface
    /// (docs/bank-interface.md): pull new orders, accept (or reject some), produce, deliver.
    BankSim(BankSimArgs),
    /// Register a channel's API client; prints its secret once.
    Client {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["jingtong", "minsheng", "wechat_official", "web"])]
        channel: String,
    },
}

#[derive(clap::Args, Debug)]
struct BankSimArgs {
    /// sscard's base URL.
    #[arg(long, env = "SSCARD_BANK_SIM_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The bank system's account (demo: `demo-bank-system`).
    #[arg(long, env = "SSCARD_BANK_SIM_CLIENT_ID")]
    client_id: String,
    #[arg(long, env = "SSCARD_BANK_SIM_SECRET", hide_env_values = true)]
    secret: String,
    /// Share of orders rejected (0–1).
    #[arg(long, default_value_t = 0.0)]
    reject_rate: f64,
    /// Pause between one order's reports, in milliseconds.
    #[arg(long, default_value_t = 0)]
    step_delay_ms: u64,
    /// Orders per pull (1–500).
    #[arg(long, default_value_t = 100)]
    page: u32,
    /// Orders worked on at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Also report mailed cards as collected (the courier's proof of delivery).
    #[arg(long)]
    deliver_mail: bool,
    /// Keep polling every this many seconds instead of stopping when no order is left.
    #[arg(long)]
    watch_secs: Option<u64>,
    /// The first card number's serial (default: from the clock, so runs one after another never reuse a
    /// card number).
    #[arg(long)]
    first_serial: Option<u64>,
}

async fn bank_sim(a: &BankSimArgs) -> anyhow::Result<()> {
    use sscard_gateways::bank_sim::{BankSim, BankSimConfig};
    let sim = BankSim::new(BankSimConfig {
        base_url: a.url.clone(),
        client_id: a.client_id.clone(),
        secret: a.secret.clone(),
        reject_rate: a.reject_rate,
        step_delay: std::time::Duration::from_millis(a.step_delay_ms),
        page: a.page,
        concurrency: a.concurrency,
        deliver_mail: a.deliver_mail,
        first_serial: a.first_serial.unwrap_or_else(|| {
            // A thousand serials per millisecond since 2020: rising from run to run, so runs one after another
            // (each taking at least a millisecond per thousand orders) never meet.
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            ms.saturating_sub(1_577_836_800_000).saturating_mul(1000)
        }),
    })?;
    loop {
        let s = sim.drain().await?;
        println!(
            "pulled {}, rejected {}, produced {}, mailed {}, ready for pickup {}, delivered to entity {}, collected {} ({} reports); {} card events applied",
            s.pulled, s.rejected, s.produced, s.mailed, s.ready_for_pickup, s.delivered_to_entity, s.collected, s.reports, s.card_events
        );
        match a.watch_secs {
            Some(secs) => tokio::time::sleep(std::time::Duration::from_secs(secs)).await,
            None => return Ok(()),
        }
    }
}

/// Options of `serve` (also the default command, hence global).
#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SSCARD_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    listen: String,
    /// Largest request body, in bytes.
    #[arg(long, env = "SSCARD_BODY_LIMIT", default_value_t = sscard_web::DEFAULT_BODY_LIMIT, global = true)]
    body_limit: usize,
    /// Longest a request may take, in seconds.
    #[arg(long, env = "SSCARD_REQUEST_TIMEOUT_SECS", default_value_t = 30, global = true)]
    request_timeout_secs: u64,
    /// The address users reach the service at (for identity-provider callbacks). Default: http://LISTEN.
    #[arg(long, env = "SSCARD_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// The face verifier for real-name authentication (docs/face-verifier.md). Required in production;
    /// in demo mode without it, a stand-in passes every real photo.
    #[arg(long, env = "SSCARD_FACE_VERIFIER_URL", global = true)]
    face_verifier_url: Option<String>,
    #[arg(long, env = "SSCARD_FACE_VERIFIER_KEY", global = true, hide_env_values = true)]
    face_verifier_key: Option<String>,
    /// The SMS gateway (docs/sms-gateway.md). Required in production; in demo mode without it, messages are
    /// appended to SSCARD_SMS_FILE instead of being sent.
    #[arg(long, env = "SSCARD_SMS_GATEWAY_URL", global = true)]
    sms_gateway_url: Option<String>,
    #[arg(long, env = "SSCARD_SMS_GATEWAY_KEY", global = true, hide_env_values = true)]
    sms_gateway_key: Option<String>,
    /// Where the demo SMS sink writes (default: DATA_DIR/sms-outbox.jsonl).
    #[arg(long, env = "SSCARD_SMS_FILE", global = true)]
    sms_file: Option<PathBuf>,
    /// Load balancers or proxies whose X-Forwarded-For is believed: addresses or CIDRs, comma-separated.
    /// Unset: the TCP peer is the client's address and the header is ignored.
    #[arg(long, env = "SSCARD_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    trusted_proxies: Vec<String>,
    /// Longest /readyz waits for the database, in milliseconds, before answering 503.
    #[arg(long, env = "SSCARD_READINESS_TIMEOUT_MS", default_value_t = 800, global = true)]
    readiness_timeout_ms: u64,
    /// Password hashes (Argon2id, 19 MiB each) computed at once; beyond it logins wait, then get 503.
    /// Default: one per core.
    #[arg(long, env = "SSCARD_PASSWORD_HASHES_IN_FLIGHT", global = true)]
    password_hashes_in_flight: Option<usize>,
    /// How long a login waits for a turn to hash, in milliseconds, before a 503 with Retry-After.
    #[arg(long, env = "SSCARD_PASSWORD_HASH_WAIT_MS", default_value_t = 1000, global = true)]
    password_hash_wait_ms: u64,
    /// External identity providers: a JSON array (docs/identity-providers.md).
    #[arg(long, env = "SSCARD_OIDC_PROVIDERS", global = true, hide_env_values = true)]
    oidc_providers: Option<String>,
}

/// The external systems, chosen from the configuration. Production refuses every test double.
struct Integrations {
    face: Arc<dyn sscard_app::realname::FaceVerifier>,
    sms: Arc<dyn sscard_app::sms::SmsSender>,
    oidc: Vec<Arc<sscard_gateways::oidc::OidcProvider>>,
}

fn integrations(cli: &Cli, args: &ServeArgs) -> anyhow::Result<Integrations> {
    let production = cli.mode == ModeArg::Production;
    let face: Arc<dyn sscard_app::realname::FaceVerifier> = match &args.face_verifier_url {
        Some(url) => Arc::new(
            sscard_gateways::face::HttpFaceVerifier::new(url, args.face_verifier_key.clone())
                .map_err(|e| anyhow::anyhow!("SSCARD_FACE_VERIFIER_URL: {e}"))?,
        ),
        None if production => bail!("production mode needs a face verifier: set SSCARD_FACE_VERIFIER_URL"),
        None => Arc::new(sscard_app::realname::DemoFaceVerifier),
    };
    let sms: Arc<dyn sscard_app::sms::SmsSender> = match &args.sms_gateway_url {
        Some(url) => Arc::new(
            sscard_gateways::sms::HttpSmsSender::new(url, args.sms_gateway_key.clone())
                .map_err(|e| anyhow::anyhow!("SSCARD_SMS_GATEWAY_URL: {e}"))?,
        ),
        None if production => bail!("production mode needs an SMS gateway: set SSCARD_SMS_GATEWAY_URL"),
        None => {
            let path = args
                .sms_file
                .clone()
                .unwrap_or_else(|| cli.data_dir.join("sms-outbox.jsonl"));
            tracing::warn!(file = %path.display(), "demo SMS sink: messages are written to a file, not sent");
            Arc::new(sscard_gateways::sms::FileSmsSender::new(path))
        }
    };
    if production && (face.is_test_double() || sms.is_test_double()) {
        bail!("production mode refuses test doubles");
    }
    let public = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    if production && !public.starts_with("https://") {
        bail!("production mode needs SSCARD_PUBLIC_URL to be an https:// address");
    }
    let mut oidc = Vec::new();
    if let Some(json) = &args.oidc_providers {
        for config in
            sscard_gateways::oidc::parse_providers(json).map_err(|e| anyhow::anyhow!("SSCARD_OIDC_PROVIDERS: {e}"))?
        {
            let redirect = format!("{}/login/oidc/{}/callback", public.trim_end_matches('/'), config.id);
            oidc.push(Arc::new(
                sscard_gateways::oidc::OidcProvider::new(config, &redirect).map_err(|e| anyhow::anyhow!("{e}"))?,
            ));
        }
    }
    Ok(Integrations { face, sms, oidc })
}

fn init_logging(cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SSCARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = match cli.log_format.as_deref() {
        Some("json") => true,
        Some(_) => false,
        None => cli.mode == ModeArg::Production,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

fn database_url(cli: &Cli) -> anyhow::Result<String> {
    if let Some(url) = &cli.database_url {
        return Ok(url.clone());
    }
    std::fs::create_dir_all(&cli.data_dir)
        .with_context(|| format!("cannot create the data directory {}", cli.data_dir.display()))?;
    Ok(format!("sqlite://{}", cli.data_dir.join("sscard.db").display()))
}

fn database(cli: &Cli) -> anyhow::Result<startup::DatabaseConfig> {
    Ok(startup::DatabaseConfig {
        url: database_url(cli)?,
        options: sscard_storage::ConnectOptions {
            acquire_timeout: Duration::from_millis(cli.db_acquire_timeout_ms.max(1)),
        },
        start_wait: Duration::from_secs(cli.db_start_wait_secs),
    })
}

async fn context(cli: &Cli) -> anyhow::Result<AppContext> {
    startup::context(&database(cli)?, &cli.data_dir).await
}

/// A trusted proxy: an address (`10.0.0.2`) or a network (`10.0.0.0/8`).
fn parse_proxy(p: &str) -> anyhow::Result<ipnet::IpNet> {
    let p = p.trim();
    p.parse::<ipnet::IpNet>()
        .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .with_context(|| format!("SSCARD_TRUSTED_PROXIES: {p:?} is neither an address nor a CIDR"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    // Configuration first: a production server with a test double must not even open the database.
    let integrations = integrations(cli, args)?;
    let trusted_proxies = args
        .trusted_proxies
        .iter()
        .map(|p| parse_proxy(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    sscard_app::secrets::limit_password_hashing(sscard_app::secrets::HashingLimits {
        in_flight: args
            .password_hashes_in_flight
            .unwrap_or_else(|| sscard_app::secrets::HashingLimits::default().in_flight),
        wait: Duration::from_millis(args.password_hash_wait_ms),
    });
    // Migrations, the bank table and the demo set under the startup lock: of several instances starting at
    // once on an empty database, one loads and the others wait, then find it done.
    let (mut ctx, startup_lock) = startup::context_locked(&database(cli)?, &cli.data_dir).await?;
    ctx.face = integrations.face.clone();
    let demo_flag = ctx.store.setting(SETTING_DEMO_DATA).await?;
    match cli.mode {
        ModeArg::Production if demo_flag.is_some() => {
            bail!("this database holds demo data; production mode refuses to serve it")
        }
        ModeArg::Demo => startup::demo_first_start(&ctx).await?,
        ModeArg::Production => {}
    }
    drop(startup_lock);
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let mode = if cli.mode == ModeArg::Production {
        Mode::Production
    } else {
        Mode::Demo
    };
    tracing::info!(address = %listener.local_addr()?, database = ctx.store.engine(), ?mode, "sscard serving");
    let config = WebConfig {
        mode,
        body_limit: args.body_limit,
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        trusted_proxies,
        readiness_timeout: Duration::from_millis(args.readiness_timeout_ms),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = tokio::spawn(sscard_jobs::Runner::standard(integrations.sms).run(ctx.clone(), stop_rx));
    let state = sscard_web::server::build_state(ctx, config, integrations.oidc)?;
    sscard_web::serve(listener, state, shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    let _ = jobs.await;
    Ok(())
}

async fn import(cli: &Cli, kind: &str, file: &PathBuf, json: bool) -> anyhow::Result<bool> {
    let ctx = context(cli).await?;
    if kind == "calendar" {
        // A year's official holidays and adjusted working days (`date,kind,name`); it replaces that year.
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let years = sscard_app::calendar::load(&ctx, &text, "cli").await?;
        println!("{}: working-day calendar loaded for {years:?}", file.display());
        return Ok(true);
    }
    let kind = ImportKind::parse(kind).context("unknown import kind")?;
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let report = import_csv(&ctx, kind, std::io::BufReader::new(f)).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}: {} rows accepted, {} rows rejected",
            file.display(),
            report.accepted,
            report.rejected
        );
        for r in &report.rejected_rows {
            match r.column {
                Some(c) => println!("  row {}: {} — {}", r.row, c, r.reason),
                None => println!("  row {}: {}", r.row, r.reason),
            }
        }
        if report.rejected > report.rejected_rows.len() as u64 {
            println!("  … and {} more", report.rejected - report.rejected_rows.len() as u64);
        }
    }
    Ok(report.rejected == 0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli);
    match &cli.command {
        None | Some(Command::Serve) => serve(&cli, &cli.serve).await,
        Some(Command::Migrate) => {
            let ctx = context(&cli).await?;
            println!("migrations applied ({})", ctx.store.engine());
            Ok(())
        }
        Some(Command::Import { kind, file, json }) => {
            if import(&cli, kind, file, *json).await? {
                Ok(())
            } else {
                // Rejected rows are a partial success: stored rows stay, the exit status says "look at the report".
                std::process::exit(2)
            }
        }
        Some(Command::SeedDemo) => {
            let ctx = context(&cli).await?;
            let summary = demo::seed(&ctx).await?;
            println!("{summary}");
            Ok(())
        }
        Some(Command::Account {
            role,
            username,
            display_name,
            bank,
            branch,
            outlet,
            entity,
        }) => {
            let ctx = context(&cli).await?;
            let body = sscard_web::api::admin::NewAccountIn {
                role: role.clone(),
                username: username.clone(),
                display_name: display_name.clone(),
                password: String::new(),
                bank: bank.clone(),
                branch: branch.clone(),
                outlet: outlet.clone(),
                entity: entity.clone(),
            };
            let kind = sscard_web::api::admin::kind_of(&body).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let username = sscard_domain::account::Username::parse(username)?;
            let (password, generated) = match std::env::var("SSCARD_NEW_PASSWORD") {
                Ok(p) => (p, false),
                // Letters and digits, as the password rule wants.
                Err(_) => (format!("{}a1", ctx.secrets.token()), true),
            };
            let meta = sscard_app::auth::Meta::default();
            let account =
                sscard_app::accounts::create_account(&ctx, None, kind, username, display_name, &password, &meta)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} account {}", account.role().as_str(), account.id);
            if generated {
                println!("password (shown once): {password}");
            }
            Ok(())
        }
        Some(Command::Client {
            client_id,
            name,
            channel,
        }) => {
            let ctx = context(&cli).await?;
            let channel = sscard_domain::access::Channel::parse(channel).context("channel")?;
            let (client, secret) = sscard_app::accounts::create_client(&ctx, client_id, name, channel, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("client {} (channel {})", client.client_id, client.channel.as_str());
            println!("secret (shown once): {secret}");
            Ok(())
        }
        Some(Command::BankSim(args)) => bank_sim(args).await,
        Some(Command::Openapi) => {
            println!("{}", sscard_web::api::openapi().to_pretty_json()?);
            Ok(())
        }
    }
}
