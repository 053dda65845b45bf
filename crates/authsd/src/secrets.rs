//! The secrets key file, the data folder's permissions, and `authsd secrets ...`
//! (server spec, "Secrets at rest"; docs/decisions.md, 29).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use auths_store::secrets::{read_key_file, write_key_file};
use auths_store::{Db, SecretKey, Secrets};
use clap::Subcommand;

use crate::config::Config;

/// Secret values' key.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Seal every secret value under a new key. The previous key stays in the key file,
    /// second, to open values written meanwhile by servers still running with it:
    /// restart them after a rotation.
    RotateKey,
    /// Say which key seals, and how many secret values each key holds.
    Status,
}

/// How a command treats the key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAccess {
    /// Create it when missing (first start), and seal values still in clear: `serve`,
    /// `migrate`.
    Prepare,
    /// Read it when present; create and change nothing (the database must exist and
    /// be migrated: every command but `serve` and `migrate`).
    ReadOnly,
}

/// Every file and folder this process creates is private to its user (0700 folders,
/// 0600 files): the database, its WAL, the key file, export files.
pub fn private_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Removes group and other permissions from the regular file `path`, if it exists and
/// has any (a database or export made by an older version, 0644). Never a folder, nor
/// anything reached through a symbolic link: a configured path may name one that is not
/// ours (`sqlite:///` once named `/`).
fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::symlink_metadata(path)
            && meta.is_file()
        {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                let private = mode & 0o700;
                match std::fs::set_permissions(path, std::fs::Permissions::from_mode(private)) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), from = format!("{:o}", mode & 0o777), to = format!("{private:o}"), "made private")
                    }
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "could not make private")
                    }
                }
            }
        }
    }
}

/// Creates the data folder (0700) and makes it, the SQLite files and the key file
/// private when an older version left them readable by others.
///
/// # Errors
/// When the folder cannot be created.
pub fn prepare_data_dir(config: &Config) -> anyhow::Result<()> {
    let dir = &config.data_dir;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating the data folder {}", dir.display()))?;
    // A folder that was there already may be shared (an operator's choice): said, not
    // changed.
    #[cfg(unix)]
    for folder in [dir.clone(), dir.join("uploads")] {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::symlink_metadata(&folder)
            && meta.is_dir()
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %folder.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "the data folder is readable by others: `chmod 700` it (files in it are made private)"
            );
        }
    }
    if let Ok(files) = std::fs::read_dir(dir.join("uploads")) {
        for file in files.flatten() {
            tighten(&file.path());
        }
    }
    tighten(&config.secret_key_file());
    if let Ok(auths_store::Target::Sqlite(db)) = auths_store::Target::parse(&config.database_url) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            tighten(Path::new(&name));
        }
    }
    Ok(())
}

/// Gives `db` the keys of the key file. With [`KeyAccess::Prepare`], a missing key file
/// is created (mode 0600) on a first start: when the database has no sealing key
/// registered and no sealed value, the new key is registered (one instance wins when
/// several start at once on one database; the others make no file). Values stored in
/// clear are then sealed.
///
/// Without the key the database's values are sealed under (a lost file, or a file of
/// another instance), the process starts without one: operations that need it answer
/// 503, and the log says which key is missing.
///
/// # Errors
/// An unreadable or malformed key file, a key file that cannot be created, a failed
/// sealing pass.
pub fn load(db: &Db, config: &Config, access: KeyAccess) -> anyhow::Result<()> {
    let path = config.secret_key_file();
    let registered = db.registered_key_id()?;
    if path.exists() {
        let keys = read_key_file(&path)?;
        if let Some(r) = registered.as_deref()
            && !keys.iter().any(|k| k.id() == r)
        {
            tracing::error!(
                path = %path.display(),
                registered = r,
                held = ?keys.iter().map(SecretKey::id).collect::<Vec<_>>(),
                "the key file does not hold the key this database's secret values are \
                 sealed under: every authsd on one database needs the same key file (copy \
                 it from the instance that made or rotated it); until then, operations \
                 that need a secret value answer 503"
            );
            db.set_secrets(Secrets::missing(format!(
                "this server's key file (AUTHS_SECRET_KEY_FILE) does not hold key {r}, \
                 under which this database's secret values are sealed"
            )));
            return Ok(());
        }
        tracing::debug!(key = keys[0].id(), "secrets key loaded");
        db.set_secrets(Secrets::new(keys));
    } else {
        let by_key = db.sealed_values_by_key()?;
        let sealed = by_key
            .iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(_, n)| n)
            .sum::<u64>();
        if sealed > 0 || registered.is_some() {
            tracing::error!(
                path = %path.display(),
                sealed,
                registered = registered.as_deref().unwrap_or("-"),
                "the secrets key file is missing, but this database has a sealing key \
                 registered (and values sealed under it, when `sealed` is above 0): restore \
                 the file from backup (or copy it from another instance on this database); \
                 until then, operations that need a secret value answer 503"
            );
            return Ok(());
        }
        if access == KeyAccess::ReadOnly {
            return Ok(());
        }
        let key = SecretKey::generate();
        let winner = db.register_key_id(key.id())?;
        if winner != key.id() {
            tracing::error!(
                path = %path.display(),
                registered = %winner,
                "another instance on this database made the secrets key at the same time: \
                 copy its key file here and restart; until then, operations that need a \
                 secret value answer 503"
            );
            return Ok(());
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        write_key_file(&path, std::slice::from_ref(&key))?;
        tracing::info!(path = %path.display(), key = key.id(), "created the secrets key file: back it up with the database, and give every instance on this database a copy");
        db.set_secrets(Secrets::new(vec![key]));
    }
    if access == KeyAccess::Prepare {
        let done = db.reseal()?;
        if done.from_clear > 0 || done.from_old_key > 0 {
            tracing::info!(
                from_clear = done.from_clear,
                from_old_key = done.from_old_key,
                "sealed secret values under the current key"
            );
        }
        // After sealing, so that secret items have their fingerprints.
        let baselines = db.backfill_versions()?;
        if baselines > 0 {
            tracing::info!(
                auths = baselines,
                "kept a baseline version of each auth published before versions were kept"
            );
        }
    }
    Ok(())
}

/// Runs a `secrets` command.
///
/// # Errors
/// No key file, a failed sealing pass, an unwritable key file.
pub fn run(config: &Config, cmd: SecretsCommand) -> anyhow::Result<()> {
    let path = config.secret_key_file();
    // Both work on an existing, migrated database (re-sealing writes values, nothing
    // else).
    let db = crate::open_db(config, KeyAccess::ReadOnly)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        SecretsCommand::Status => {
            load(&db, config, KeyAccess::ReadOnly)?;
            let keys = if path.exists() {
                read_key_file(&path)?
            } else {
                Vec::new()
            };
            match keys.first() {
                Some(k) => writeln!(out, "sealing key: {} ({})", k.id(), path.display())?,
                None => writeln!(out, "sealing key: none ({} is missing)", path.display())?,
            }
            let registered = db.registered_key_id()?;
            writeln!(
                out,
                "registered in the database: {}",
                registered.as_deref().unwrap_or("none")
            )?;
            writeln!(out, "KEY\tSECRET_VALUES")?;
            for (id, n) in db.sealed_values_by_key()? {
                let id = if id.is_empty() {
                    "in clear".to_owned()
                } else {
                    id
                };
                writeln!(out, "{id}\t{n}")?;
            }
        }
        SecretsCommand::RotateKey => {
            anyhow::ensure!(
                path.exists(),
                "no key file at {}: start the server once to create it (or restore it)",
                path.display()
            );
            let old = read_key_file(&path)?;
            if let Some(r) = db.registered_key_id()?
                && !old.iter().any(|k| k.id() == r)
            {
                anyhow::bail!(
                    "this database's secret values are sealed under key {r}, which {} does \
                     not hold: nothing was changed (use the key file of the instance that \
                     made or rotated that key)",
                    path.display()
                );
            }
            let in_use = db.sealed_values_by_key()?;
            // Every value must open under the file's keys before the file is touched.
            if let Some(id) = in_use
                .keys()
                .find(|id| !id.is_empty() && !old.iter().any(|k| k.id() == id.as_str()))
            {
                anyhow::bail!(
                    "secret values are sealed under key {id}, which {} does not hold: \
                     nothing was changed (use the key file of the instance that made or \
                     rotated that key)",
                    path.display()
                );
            }
            let new = SecretKey::generate();
            // The new key first; the previous sealing key, and any older key values
            // still use, kept to open them. The file is written before the values are
            // re-sealed, so that a crash between the two loses nothing: the next start
            // re-seals what is left.
            let mut keys = vec![new.clone()];
            for (i, k) in old.into_iter().enumerate() {
                if i == 0 || in_use.contains_key(k.id()) {
                    keys.push(k);
                }
            }
            write_key_file(&path, &keys)?;
            db.set_secrets(Secrets::new(keys));
            let done = db.reseal()?;
            writeln!(
                out,
                "sealed {} secret values under the new key {} (and {} stored in clear); restart every authsd on this database",
                done.from_old_key,
                new.id(),
                done.from_clear
            )?;
        }
    }
    Ok(())
}
