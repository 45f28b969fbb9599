//! The command line: `serve` plus the admin commands scripts and tests use to set up servers, users
//! and templates. Parses arguments, calls `service`, prints results; no rules of its own.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::service::admin::{self, UserSpec};
use crate::service::Actor;
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
    /// `api_allowed_functions`, space-separated (default: `ALL_FUNCTIONS`).
    #[arg(long, default_value = " ALL_FUNCTIONS ")]
    pub api_functions: String,
    /// Create the user inactive (active=N).
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
        Command::Serve { listen } => crate::server::serve(db.clone(), listen).await,
        Command::Server { action: ServerAction::Add { ip, id, description, no_conf_gen } } => {
            admin::add_server(&db, &actor, &ip, &id, &description, !no_conf_gen).await?;
            println!("server {id} ({ip}) added");
            Ok(())
        }
        Command::User { action: UserAction::Add(a) } => {
            let pass = if a.pass == "-" {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("could not read the password from standard input")?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                a.pass.clone()
            };
            let spec = UserSpec {
                user: &a.user,
                pass: &pass,
                level: a.level,
                api_access: a.api_access,
                ast_admin: a.ast_admin,
                delete_phones: a.delete_phones,
                modify_phones: a.modify_phones,
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
