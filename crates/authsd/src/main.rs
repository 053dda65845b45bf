//! `authsd`: the auths server and its administration commands.

mod config;
mod keys;
mod secrets;
mod serve;

use std::process::ExitCode;

use anyhow::Context;
use auths_app::{AuthService, Settings};
use auths_store::{Db, PoolOptions};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// The auths server: authentication-source configurations as versioned records.
#[derive(Debug, Parser)]
#[command(name = "authsd", version, about)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database and serve HTTP (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage the key of secret values.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// Export every auth as CSV (secret values left out).
    Export {
        /// The file to write (`-` for stdout).
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Opens the database named by the configuration. With [`secrets::KeyAccess::Prepare`]
/// (`serve`, `migrate`) it is created when missing and migrated; otherwise it must
/// exist and be up to date, and nothing is created or changed to open it.
fn open_db(config: &Config, access: secrets::KeyAccess) -> anyhow::Result<Db> {
    let target = auths_store::Target::parse(&config.database_url)?;
    if access == secrets::KeyAccess::ReadOnly
        && let auths_store::Target::Sqlite(path) = &target
        && !path.is_file()
    {
        anyhow::bail!(
            "no database at {}: start the server once (`authsd serve`) or run `authsd \
             migrate` here first, or point AUTHS_DATABASE_URL (--database-url) at the \
             server's database",
            path.display()
        );
    }
    if access == secrets::KeyAccess::ReadOnly
        && let auths_store::Target::Sqlite(path) = &target
        && std::fs::metadata(path).is_ok_and(|m| m.len() == 0)
    {
        // Opening it would write a header (WAL): say what to do instead.
        anyhow::bail!(
            "{} is empty, not yet a database: run `authsd migrate` (or start the server) first",
            path.display()
        );
    }
    let options = PoolOptions {
        max_size: config.pool_size(),
        ..PoolOptions::default()
    };
    let db = Db::open(&config.database_url, &options).context("opening the database")?;
    if access == secrets::KeyAccess::ReadOnly {
        let pending = db.pending_migrations()?;
        anyhow::ensure!(
            pending.is_empty(),
            "the database needs {} migration(s) this authsd brings: run `authsd migrate` \
             (or start the server) first",
            pending.len()
        );
        return Ok(db);
    }
    let applied = db.migrate().context("migrating the database")?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "database migrated");
    }
    Ok(db)
}

/// Opens the database as `access` says, and gives it the secrets key.
fn open_service(config: &Config, access: secrets::KeyAccess) -> anyhow::Result<AuthService<Db>> {
    // The URL first: a wrong one creates nothing.
    auths_store::Target::parse(&config.database_url)?;
    if access == secrets::KeyAccess::Prepare {
        secrets::prepare_data_dir(config)?;
    }
    let db = open_db(config, access)?;
    secrets::load(&db, config, access)?;
    Ok(AuthService::new(
        db,
        Settings {
            show_ai_generate: config.show_ai_generate,
            data_dir: config.data_dir.clone(),
            export_retention: config.export_retention,
            ..Settings::default()
        },
    )
    .with_directory(std::sync::Arc::new(auths_ldap::Ldap3Probe::default())))
}

/// `authsd export --out FILE`: all auths, as the server's admin sees them. The file is
/// written beside its target and renamed into place only when complete.
fn export(config: &Config, out: &std::path::Path) -> anyhow::Result<()> {
    let service = open_service(config, secrets::KeyAccess::ReadOnly)?;
    let caller = auths_app::audit::cli_caller();
    if out.as_os_str() == "-" {
        let rows = service
            .write_csv(&caller, None, std::io::stdout().lock())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!("exported {rows} auths");
        return Ok(());
    }
    let part = out.with_extension("csv.part");
    let file =
        std::fs::File::create(&part).with_context(|| format!("creating {}", part.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let written = service
        .write_csv(&caller, None, &mut writer)
        .map_err(|e| anyhow::anyhow!("{e}"));
    let finished = written.and_then(|rows| {
        let file = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        file.sync_all()?;
        std::fs::rename(&part, out)
            .with_context(|| format!("moving the export to {}", out.display()))?;
        Ok(rows)
    });
    match finished {
        Ok(rows) => {
            eprintln!("exported {rows} auths to {}", out.display());
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::serve(&cli.config),
        Command::Migrate => open_service(&cli.config, secrets::KeyAccess::Prepare).map(drop),
        Command::Keys(cmd) => keys::run(&cli.config, cmd),
        Command::Secrets(cmd) => secrets::run(&cli.config, cmd),
        Command::Export { out } => export(&cli.config, &out),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    secrets::private_umask();
    init_logging(&cli.config);
    let json_logs = cli.config.log_format == LogFormat::Json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line for a person; with JSON logs, one record for the log pipeline.
            if json_logs {
                tracing::error!(error = %format!("{e:#}"), "authsd failed");
            } else {
                eprintln!("authsd: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}
