//! `authsd keys ...`: create, list and revoke API keys.

use std::io::Write;

use anyhow::Context;
use auths_app::KeySpec;
use auths_domain::{EntryId, Role};
use clap::Subcommand;

use crate::config::Config;

/// Key management.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it, alone on its line, on stdout (it is shown only once).
    Create {
        /// Display name (the `actor_name` in answers and the audit log).
        #[arg(long)]
        name: String,
        /// viewer, editor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Limit the key to this department (repeatable); none means every department.
        #[arg(long = "department", value_name = "ID")]
        departments: Vec<String>,
        /// Let MCP calls with this key publish, delete and export.
        #[arg(long)]
        allow_mcp_writes: bool,
        /// When the key stops working, RFC 3339 (e.g. `2027-01-31T00:00:00Z`); never
        /// by default.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke the active key with this name.
    Revoke {
        /// The key's name.
        name: String,
    },
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| format!("{e}; expected RFC 3339, such as 2027-01-31T00:00:00Z"))
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse::<Role>().map_err(|e| e.to_string())
}

/// Runs a key command.
///
/// # Errors
/// Database errors, an unknown department, a taken name, an unknown key.
pub fn run(config: &Config, cmd: KeysCommand) -> anyhow::Result<()> {
    let service = crate::open_service(config, crate::secrets::KeyAccess::ReadOnly)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        KeysCommand::Create {
            name,
            role,
            departments,
            allow_mcp_writes,
            expires_at,
        } => {
            let department_ids = departments
                .iter()
                .map(|d| EntryId::parse(d).map_err(|e| anyhow::anyhow!("--department {d}: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let issued = service
                .create_key(&KeySpec {
                    name,
                    role,
                    department_ids,
                    allow_mcp_writes,
                    expires_at,
                })
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            writeln!(out, "{}", issued.key).context("writing the key")?;
        }
        KeysCommand::List => {
            let keys = service.list_keys().map_err(|e| anyhow::anyhow!("{e}"))?;
            writeln!(
                out,
                "NAME\tROLE\tDEPARTMENTS\tMCP_WRITES\tCREATED\tLAST_USED\tEXPIRES\tREVOKED"
            )?;
            for k in keys {
                let p = &k.principal;
                let departments = p.departments.as_ref().map_or_else(
                    || "*".to_owned(),
                    |ds| {
                        ds.iter()
                            .map(|d| d.id.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    },
                );
                let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map_or_else(
                        || "-".to_owned(),
                        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
                    )
                };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    p.name,
                    p.role,
                    departments,
                    p.allow_mcp_writes,
                    time(Some(k.created_at)),
                    time(k.last_used_at),
                    time(k.expires_at),
                    time(k.revoked_at),
                )?;
            }
        }
        KeysCommand::Revoke { name } => {
            service
                .revoke_key(&name)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            writeln!(out, "revoked {name}")?;
        }
    }
    Ok(())
}
