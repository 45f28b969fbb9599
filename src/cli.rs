//! The command line: `serve` plus the admin commands scripts and tests use to set up servers, users,
//! carriers and templates. Parses arguments, calls `service`, prints results; no rules of its own.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::domain::carrier::CarrierInput;
use crate::service::admin::{self, UserSpec};
use crate::service::carriers;
use crate::service::conf::{self, ConfSettings};
use crate::service::Actor;
use crate::storage::servers::{AmiSettings, NewServer};
use crate::storage::{Db, Durability};

/// Dialtone: web admin and drop-in `non_agent_api.php` for VICIdial phone entries.
#[derive(Debug, Parser)]
#[command(name = "dialtone", version, about)]
pub struct Cli {
    /// SQLite database: a path or a `sqlite://` URL (created if missing).
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "dialtone.db")]
    pub database: String,
    /// Commit durability: `process` survives a killed process (WAL, synchronous=NORMAL); `power-loss`
    /// also survives an OS crash (synchronous=FULL, slower).
    #[arg(long, global = true, env = "DIALTONE_DURABILITY", value_enum, default_value_t = DurabilityArg::Process)]
    pub durability: DurabilityArg,
    /// Where the generated Asterisk conf files go: one directory per server, `<conf-dir>/<server_ip>/`.
    #[arg(long, global = true, env = "DIALTONE_CONF_DIR", default_value = "./asterisk-conf")]
    pub conf_dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--durability` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DurabilityArg {
    /// Survives `kill -9`.
    Process,
    /// Survives power loss.
    PowerLoss,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server and the legacy API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "DIALTONE_LISTEN", default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// The most HTTP connections open at once (more wait in the listen backlog); keep it below the
        /// process's open-file limit (`ulimit -n`).
        #[arg(long, env = "DIALTONE_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        max_connections: u32,
    },
    /// Manage Asterisk servers.
    Server {
        /// Action.
        #[command(subcommand)]
        action: ServerAction,
    },
    /// Manage users.
    User {
        /// Action.
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage conf templates.
    Template {
        /// Action.
        #[command(subcommand)]
        action: TemplateAction,
    },
    /// Manage carriers (trunks): their dial patterns decide whether an EXTERNAL phone's number routes.
    Carrier {
        /// Action.
        #[command(subcommand)]
        action: CarrierAction,
    },
    /// Load demo data into an empty system: servers, carriers and phones showing every verdict of the
    /// login path (ready, will hear silence, unknown).
    Demo,
    /// Asterisk conf files (`serve` keeps them current by itself).
    Conf {
        /// Action.
        #[command(subcommand)]
        action: ConfAction,
    },
}

/// `conf` actions.
#[derive(Debug, Subcommand)]
pub enum ConfAction {
    /// Generate now: every marked server, or the given ones even if unmarked; then reload Asterisk over
    /// AMI where the server has AMI settings. Prints what was done and how long it took.
    Generate {
        /// A server to generate even if not marked (repeatable); default: every marked server.
        #[arg(long = "server")]
        servers: Vec<String>,
    },
    /// Show each server's generation state.
    Status,
}

/// `server` actions.
#[derive(Debug, Subcommand)]
pub enum ServerAction {
    /// Add a server.
    Add {
        /// Its IP address (dotted IPv4).
        #[arg(long)]
        ip: String,
        /// Its `server_id` (1-10 letters, digits, _ or -).
        #[arg(long)]
        id: String,
        /// A description.
        #[arg(long, default_value = "")]
        description: String,
        /// Do not generate Asterisk conf files for it (`generate_vicidial_conf=N`).
        #[arg(long)]
        no_conf_gen: bool,
        /// Its Asterisk version (decides the dialplan syntax: below 1.6 VICIdial writes `|`).
        #[arg(long, default_value = admin::DEFAULT_ASTERISK_VERSION)]
        asterisk_version: String,
        /// AMI host; without it Dialtone writes the files but cannot ask Asterisk to reload them.
        #[arg(long)]
        ami_host: Option<String>,
        /// AMI port.
        #[arg(long, default_value_t = 5038)]
        ami_port: u16,
        /// AMI user (`manager.conf`).
        #[arg(long, default_value = "cron")]
        ami_user: String,
        /// AMI secret; `-` reads it from the first line of standard input.
        #[arg(long, env = "DIALTONE_AMI_SECRET", hide_env_values = true)]
        ami_secret: Option<String>,
    },
}

/// `user` actions.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user.
    Add(UserAddArgs),
}

/// `user add` arguments.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// User name (1-20 letters, digits, _ or -).
    #[arg(long)]
    pub user: String,
    /// Password; `-` reads it from the first line of standard input.
    #[arg(long)]
    pub pass: String,
    /// User level 1-9 (the API needs 8 or more; 7 can only authenticate).
    #[arg(long)]
    pub level: i64,
    /// `vdc_agent_api_access=1`.
    #[arg(long)]
    pub api_access: bool,
    /// `ast_admin_access=1`.
    #[arg(long)]
    pub ast_admin: bool,
    /// `ast_delete_phones=1`.
    #[arg(long)]
    pub delete_phones: bool,
    /// `modify_phones=1`.
    #[arg(long)]
    pub modify_phones: bool,
    /// `modify_servers=1`: may add and edit servers in the web admin.
    #[arg(long)]
    pub modify_servers: bool,
    /// `api_allowed_functions`, space-separated (default: `ALL_FUNCTIONS`).
    #[arg(long, default_value = " ALL_FUNCTIONS ")]
    pub api_functions: String,
    /// Create the user inactive (active=N).
    #[arg(long)]
    pub inactive: bool,
}

/// `carrier` actions.
#[derive(Debug, Subcommand)]
pub enum CarrierAction {
    /// Add a carrier, with the web admin's rules (Dialtone stores it; it does not write it into
    /// Asterisk's conf files).
    Add(CarrierAddArgs),
    /// List every carrier: id, server, protocol, active, its dial patterns (never the registration
    /// string: it may hold the trunk's password).
    List,
    /// Delete a carrier (audited). EXTERNAL phones whose numbers only it routed will hear silence.
    Delete {
        /// `carrier_id`.
        #[arg(long)]
        id: String,
    },
}

/// `carrier add` arguments.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("dialplan").required(true).args(["dialplan_entry", "dialplan_entry_file"])))]
pub struct CarrierAddArgs {
    /// `carrier_id` (2-15 letters, digits, _ or -).
    #[arg(long)]
    pub id: String,
    /// `carrier_name` (1-50 characters).
    #[arg(long)]
    pub name: String,
    /// The server's IP (the server must exist).
    #[arg(long)]
    pub server_ip: String,
    /// SIP, PJSIP, IAX2, Zap or EXTERNAL.
    #[arg(long)]
    pub protocol: String,
    /// The dialplan entry: `exten =>` / `same =>` lines (use real line breaks).
    #[arg(long)]
    pub dialplan_entry: Option<String>,
    /// A file with the dialplan entry.
    #[arg(long)]
    pub dialplan_entry_file: Option<PathBuf>,
    /// One `register => ...` line; `-` reads it from the first line of standard input (it may hold the
    /// trunk's password).
    #[arg(long, default_value = "")]
    pub registration_string: String,
    /// `carrier_description`.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Add the carrier inactive (active=N).
    #[arg(long)]
    pub inactive: bool,
}

/// `template` actions.
#[derive(Debug, Subcommand)]
pub enum TemplateAction {
    /// Add (or replace) a template from a file.
    Add {
        /// `template_id` (1-15 letters, digits, _ or -).
        #[arg(long)]
        id: String,
        /// File with the template contents.
        #[arg(long)]
        file: PathBuf,
    },
}

/// Runs the CLI; returns the process exit code.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DIALTONE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

async fn open(cli: &Cli) -> anyhow::Result<Db> {
    let durability = match cli.durability {
        DurabilityArg::Process => Durability::Process,
        DurabilityArg::PowerLoss => Durability::PowerLoss,
    };
    Db::open(&cli.database, durability)
        .await
        .with_context(|| format!("could not open the database {} (or run its migrations)", cli.database))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = open(&cli).await?;
    let actor = Actor::cli();
    let result = match cli.command {
        Command::Serve { listen, max_connections } => {
            let limits = crate::server::ConnLimits {
                max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
                ..crate::server::ConnLimits::default()
            };
            crate::server::serve(db.clone(), listen, ConfSettings::new(cli.conf_dir), limits).await
        }
        Command::Server {
            action:
                ServerAction::Add {
                    ip,
                    id,
                    description,
                    no_conf_gen,
                    asterisk_version,
                    ami_host,
                    ami_port,
                    ami_user,
                    ami_secret,
                },
        } => {
            let secret = match (&ami_host, ami_secret) {
                (None, _) => String::new(),
                (Some(_), Some(s)) if s == "-" => read_stdin_line("the AMI secret")?,
                (Some(_), Some(s)) => s,
                (Some(_), None) => anyhow::bail!("--ami-host needs --ami-secret (or DIALTONE_AMI_SECRET)"),
            };
            let ami = ami_host.as_deref().map(|host| AmiSettings {
                host,
                port: ami_port,
                username: &ami_user,
                secret: &secret,
            });
            let spec = NewServer {
                server_ip: &ip,
                server_id: &id,
                description: &description,
                generate_vicidial_conf: !no_conf_gen,
                asterisk_version: &asterisk_version,
                ami,
            };
            admin::add_server(&db, &actor, &spec).await?;
            println!("server {id} ({ip}) added, Asterisk {asterisk_version}");
            Ok(())
        }
        Command::Carrier { action: CarrierAction::Add(a) } => carrier_add(&db, &actor, a).await,
        Command::Carrier { action: CarrierAction::List } => carrier_list(&db).await,
        Command::Carrier { action: CarrierAction::Delete { id } } => {
            let gone = carriers::delete_carrier(&db, &actor, &id).await?;
            println!("carrier {} deleted from server {}", gone.carrier_id, gone.server_ip);
            Ok(())
        }
        Command::Demo => {
            let report = crate::service::demo::load_demo(&db).await?;
            println!(
                "demo data loaded: {} servers, {} carriers, {} phones",
                report.servers, report.carriers, report.phones
            );
            for line in crate::service::demo::demo_summary() {
                println!("  {line}");
            }
            println!("Open /remote-agents, or a phone's login path (/phones/<server_ip>/<extension>/flow).");
            Ok(())
        }
        Command::Conf { action: ConfAction::Generate { servers } } => {
            conf_generate(&db, &ConfSettings::new(cli.conf_dir.clone()), &servers).await
        }
        Command::Conf { action: ConfAction::Status } => conf_status(&db).await,
        Command::User { action: UserAction::Add(a) } => {
            let pass = if a.pass == "-" { read_stdin_line("the password")? } else { a.pass.clone() };
            let spec = UserSpec {
                user: &a.user,
                pass: &pass,
                level: a.level,
                api_access: a.api_access,
                ast_admin: a.ast_admin,
                delete_phones: a.delete_phones,
                modify_phones: a.modify_phones,
                modify_servers: a.modify_servers,
                api_functions: &a.api_functions,
                active: !a.inactive,
            };
            admin::add_user(&db, &actor, &spec).await?;
            println!("user {} added", a.user);
            Ok(())
        }
        Command::Template { action: TemplateAction::Add { id, file } } => {
            let contents =
                std::fs::read_to_string(&file).with_context(|| format!("could not read {}", file.display()))?;
            admin::put_template(&db, &actor, &id, &contents).await?;
            println!("template {id} saved");
            Ok(())
        }
    };
    db.close().await;
    result
}

fn read_stdin_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("could not read {what} from standard input"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn carrier_add(db: &Db, actor: &Actor, a: CarrierAddArgs) -> anyhow::Result<()> {
    let dialplan_entry = match (a.dialplan_entry, &a.dialplan_entry_file) {
        (Some(text), _) => text,
        (None, Some(file)) => {
            std::fs::read_to_string(file).with_context(|| format!("could not read {}", file.display()))?
        }
        (None, None) => anyhow::bail!("give --dialplan-entry or --dialplan-entry-file"),
    };
    let registration_string =
        if a.registration_string == "-" { read_stdin_line("the registration string")? } else { a.registration_string };
    let input = CarrierInput {
        carrier_id: a.id,
        carrier_name: a.name,
        server_ip: a.server_ip,
        protocol: a.protocol,
        registration_string,
        dialplan_entry,
        active: if a.inactive { "N" } else { "Y" }.to_string(),
        carrier_description: a.description,
    };
    let carrier = carriers::add_carrier(db, actor, &input).await?;
    let patterns: Vec<&str> = carrier.patterns.iter().map(|p| p.pattern.as_str()).collect();
    println!(
        "carrier {} added on server {}{}: {} dial pattern{}{}",
        carrier.carrier_id,
        carrier.server_ip,
        if carrier.active.is_yes() { "" } else { " (inactive)" },
        patterns.len(),
        if patterns.len() == 1 { "" } else { "s" },
        if patterns.is_empty() { String::new() } else { format!(" ({})", patterns.join(", ")) }
    );
    Ok(())
}

async fn carrier_list(db: &Db) -> anyhow::Result<()> {
    let rows = carriers::list_carriers(db).await?;
    if rows.is_empty() {
        println!("no carriers");
        return Ok(());
    }
    println!("{:<15}  {:<15}  {:<9}  {:<6}  patterns", "carrier_id", "server_ip", "protocol", "active");
    for r in rows {
        let entry = crate::domain::dial_pattern::parse_dialplan_entry(&r.dialplan_entry);
        let patterns: Vec<&str> = entry.patterns.iter().map(|p| p.pattern.as_str()).collect();
        let patterns = if patterns.is_empty() { "(none)".to_string() } else { patterns.join(", ") };
        println!("{:<15}  {:<15}  {:<9}  {:<6}  {patterns}", r.carrier_id, r.server_ip, r.protocol, r.active);
    }
    Ok(())
}

async fn conf_generate(db: &Db, settings: &ConfSettings, servers: &[String]) -> anyhow::Result<()> {
    let reports = if servers.is_empty() {
        conf::run_pass(db, settings).await?
    } else {
        let mut reports = Vec::new();
        for ip in servers {
            reports.extend(conf::regenerate_server(db, settings, ip, true).await?);
        }
        reports
    };
    if reports.is_empty() {
        println!("no server marked for a rebuild");
    }
    let mut failed = false;
    for r in &reports {
        let changed: Vec<&str> = r.changed.iter().map(|f| f.file_name()).collect();
        println!(
            "{}: {} phones written, {} refused; built in {:.1} ms, written in {:.1} ms; changed: {}",
            r.server_ip,
            r.written,
            r.refused.len(),
            r.build_time.as_secs_f64() * 1000.0,
            r.write_time.as_secs_f64() * 1000.0,
            if changed.is_empty() { "none".to_string() } else { changed.join(", ") }
        );
        for line in &r.refused {
            println!("  refused {line}");
        }
        match &r.reload {
            Some(Ok(commands)) => println!("  Asterisk reloaded: {}", commands.join(", ")),
            Some(Err(e)) => {
                failed = true;
                println!("  Asterisk reload failed: {e}");
            }
            None => {}
        }
    }
    if failed {
        anyhow::bail!("the files were written but Asterisk did not confirm the reload");
    }
    Ok(())
}

async fn conf_status(db: &Db) -> anyhow::Result<()> {
    for v in conf::server_conf_views(db).await? {
        println!("{}: {}", v.server_ip, v.summary());
        for r in &v.refused {
            println!("  refused {r}");
        }
    }
    Ok(())
}
