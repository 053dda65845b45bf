//! Configuration: flags, or the environment, flags winning (server.md, "Running it").

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// Settings shared by every subcommand.
#[derive(Clone, Args)]
pub struct Config {
    /// `sqlite://PATH` (created with its folder) or `postgres://...`.
    #[arg(
        help_heading = "Database and files",
        long,
        env = "AUTHS_DATABASE_URL",
        default_value = "sqlite://data/auths.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Where export files (uploads) are kept.
    #[arg(
        help_heading = "Database and files",
        long,
        env = "AUTHS_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// The key file of secret values (default: `secret.key` in the data folder),
    /// created with mode 0600 on first start.
    #[arg(
        help_heading = "Database and files",
        long,
        env = "AUTHS_SECRET_KEY_FILE",
        global = true
    )]
    pub secret_key_file: Option<PathBuf>,

    /// How long export files are kept (`90s`, `30m`, `24h`, `7d`; a bare number is
    /// seconds): older ones answer 404 and are removed at the next export and at
    /// start-up.
    #[arg(help_heading = "Database and files", 
        long,
        env = "AUTHS_EXPORT_RETENTION",
        default_value = "24h",
        value_parser = parse_retention,
        global = true
    )]
    pub export_retention: std::time::Duration,

    /// When set and no key exists yet, an admin key with this value is created at
    /// start-up. Read from the environment only, so that it never shows in `ps`.
    #[arg(skip = std::env::var("AUTHS_BOOTSTRAP_API_KEY").ok())]
    pub bootstrap_api_key: Option<String>,

    /// Database pool size (default: sized to the workers).
    #[arg(
        help_heading = "Database and files",
        long,
        env = "AUTHS_DB_POOL_SIZE",
        global = true
    )]
    pub db_pool_size: Option<u32>,

    /// tracing filter, e.g. `info` or `auths_http=debug,info`.
    #[arg(
        help_heading = "Logging",
        long,
        env = "AUTHS_LOG",
        default_value = "info",
        global = true
    )]
    pub log: String,

    /// Log format.
    #[arg(
        help_heading = "Logging",
        long,
        env = "AUTHS_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// Listen address: `HOST:PORT`, a name such as `localhost:8080` or an IP address
    /// (`0.0.0.0:8080` for every interface).
    #[arg(
        help_heading = "Server (serve)",
        long,
        env = "AUTHS_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// actix workers (default: the number of cores).
    #[arg(
        help_heading = "Server (serve)",
        long,
        env = "AUTHS_WORKERS",
        global = true
    )]
    pub workers: Option<usize>,

    /// Largest request body, in bytes.
    #[arg(help_heading = "Server (serve)", long, env = "AUTHS_BODY_LIMIT", default_value_t = auths_http::DEFAULT_BODY_LIMIT, global = true)]
    pub body_limit: usize,

    /// Failed credentials from one address, within 5 minutes, after which that address
    /// gets 429 for a while; 0 turns the slow-down off (behind a reverse proxy, where
    /// every client has the proxy's address).
    #[arg(help_heading = "Server (serve)", long, env = "AUTHS_FAILED_LOGIN_LIMIT", default_value_t = auths_http::throttle::MAX_FAILURES, global = true)]
    pub failed_login_limit: usize,

    /// Whether the form offers AI generation (`basic_show_ai_generate`).
    #[arg(
        help_heading = "Server (serve)",
        long,
        env = "AUTHS_SHOW_AI_GENERATE",
        default_value_t = false,
        global = true
    )]
    pub show_ai_generate: bool,
}

/// A retention period: a positive whole number of seconds, or of `s`, `m`, `h` or `d`.
///
/// # Errors
/// Anything else, with what is expected.
pub fn parse_retention(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let seconds = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && seconds > 0)
        .and_then(|n| n.checked_mul(seconds))
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is not a retention period such as 90s, 30m, 24h or 7d"))
}

impl Config {
    /// The key file of secret values.
    pub fn secret_key_file(&self) -> PathBuf {
        self.secret_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers.filter(|w| *w > 0).unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
        })
    }

    /// The pool size: two connections a worker (a request may wait on the database
    /// while another is served), at least four.
    pub fn pool_size(&self) -> u32 {
        self.db_pool_size
            .filter(|n| *n > 0)
            .unwrap_or_else(|| u32::try_from(self.workers() * 2).unwrap_or(u32::MAX).max(4))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_retention;
    use std::time::Duration;

    #[test]
    fn retention_periods_read_with_their_unit() {
        assert_eq!(parse_retention("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_retention("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_retention("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_retention("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_retention("3600"), Ok(Duration::from_secs(3600)));
        for wrong in ["", "0", "0h", "h", "1w", "-1h", "1.5h"] {
            assert!(parse_retention(wrong).is_err(), "{wrong}");
        }
    }
}

impl std::fmt::Debug for Config {
    /// Never the bootstrap key, nor a password in the database URL.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &without_password(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("secret_key_file", &self.secret_key_file)
            .field("export_retention", &self.export_retention)
            .field(
                "bootstrap_api_key",
                &self.bootstrap_api_key.as_ref().map(|_| "[redacted]"),
            )
            .field("workers", &self.workers)
            .field("db_pool_size", &self.db_pool_size)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("body_limit", &self.body_limit)
            .field("failed_login_limit", &self.failed_login_limit)
            .field("show_ai_generate", &self.show_ai_generate)
            .finish()
    }
}

/// `scheme://user:password@host/...` with the password replaced.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:[redacted]@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod debug_tests {
    #[test]
    fn debug_shows_no_secret() {
        use clap::Parser;
        #[derive(Debug, Parser)]
        struct Cli {
            #[command(flatten)]
            config: super::Config,
        }
        let mut cli = Cli::parse_from([
            "authsd",
            "--database-url",
            "postgres://auths:hunter2@db.example/auths",
        ]);
        cli.config.bootstrap_api_key = Some("bootstrap-secret-3f9a".into());
        let shown = format!("{cli:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("bootstrap-secret"),
            "{shown}"
        );
        assert!(
            shown.contains("postgres://auths:[redacted]@db.example/auths"),
            "{shown}"
        );
    }
}
