//! The service: the store and the server settings the use cases read.

use std::sync::Arc;

use auths_domain::{Store, Transaction};

use crate::answers::Tag;

use crate::AppError;

/// Server settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whether the form offers AI generation (`basic_show_ai_generate`).
    pub show_ai_generate: bool,
    /// Where export files are kept (in its `uploads` folder).
    pub data_dir: std::path::PathBuf,
    /// How long an export file is kept: older ones answer 404 and are removed, with
    /// their records, at the next export and at start-up.
    pub export_retention: std::time::Duration,
    /// Most export files one key keeps: making another removes that key's oldest.
    pub exports_per_key: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            show_ai_generate: false,
            data_dir: std::path::PathBuf::from("data"),
            export_retention: auths_domain::upload::DEFAULT_EXPORT_RETENTION,
            exports_per_key: auths_domain::upload::MAX_EXPORTS_PER_PRINCIPAL,
        }
    }
}

/// The use cases, over a store. Cheap to share: wrap it in an `Arc` (or let the web
/// framework do so).
#[derive(Debug)]
pub struct AuthService<S> {
    pub(crate) store: S,
    pub(crate) settings: Settings,
    pub(crate) keys: crate::keys::KeyCache,
    pub(crate) answers: crate::answers::Answers,
    pub(crate) directory: Option<std::sync::Arc<dyn auths_domain::ldap::DirectoryProbe>>,
}

impl<S: Store> AuthService<S> {
    /// A service over `store`.
    pub fn new(store: S, settings: Settings) -> Self {
        Self {
            store,
            settings,
            keys: crate::keys::KeyCache::default(),
            answers: crate::answers::Answers::default(),
            directory: None,
        }
    }

    /// With `probe` testing LDAP auth sources' directories (without one, a test
    /// answers that the server cannot test directories).
    #[must_use]
    pub fn with_directory(
        mut self,
        probe: std::sync::Arc<dyn auths_domain::ldap::DirectoryProbe>,
    ) -> Self {
        self.directory = Some(probe);
        self
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The store (for start-up work such as migrations, done by the binary).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Whether the database answers (`/readyz`).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when it does not.
    pub fn ready(&self) -> Result<(), AppError> {
        self.store.ping().map_err(AppError::from)
    }

    /// The answer to `key` from the cache when nothing has been written since it was
    /// computed (one primary-key read to know); otherwise computed by `compute` in a
    /// read snapshot and kept, with `weigh`'s estimate of its bytes.
    pub(crate) fn cached<T, F>(
        &self,
        tag: Tag,
        key: String,
        weigh: fn(&T) -> usize,
        compute: F,
    ) -> Result<Arc<T>, AppError>
    where
        T: std::any::Any + Send + Sync,
        F: FnOnce(&mut S::Tx) -> Result<T, AppError>,
    {
        let now = self.store.generation()?;
        if let Some(hit) = self.answers.get::<T>(now, tag, &key) {
            return Ok(hit);
        }
        // One computation a question at a time: whoever waited here finds it done.
        let gate = self.answers.gate(tag, &key);
        gate.hold(|failed| {
            if let Some(e) = failed.as_ref() {
                // The computation we waited for failed: the same answer, at once.
                return Err(e.clone());
            }
            if let Some(hit) = self.answers.get::<T>(now, tag, &key) {
                // Computed while we waited, and nothing written since.
                return Ok(hit);
            }
            let read = self.store.read(|tx| {
                let generation = tx.generation()?;
                if let Some(hit) = self.answers.get::<T>(generation, tag, &key) {
                    return Ok::<_, AppError>((generation, hit));
                }
                Ok((generation, Arc::new(compute(tx)?)))
            });
            let (generation, value) = read.inspect_err(|e| *failed = Some(e.clone()))?;
            self.answers.put(
                generation,
                tag,
                key.clone(),
                Arc::clone(&value),
                weigh(&value),
            );
            Ok(value)
        })
    }
}
