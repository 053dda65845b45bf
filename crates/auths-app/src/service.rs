//! The service: the store and the server settings the use cases read.

use auths_domain::Store;

use crate::AppError;

/// Server settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whether the form offers AI generation (`basic_show_ai_generate`).
    pub show_ai_generate: bool,
    /// Where export files are kept (in its `uploads` folder).
    pub data_dir: std::path::PathBuf,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            show_ai_generate: false,
            data_dir: std::path::PathBuf::from("data"),
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
    pub(crate) options: OptionsCache,
}

/// How long the small catalogs' options are reused without a read.
pub const OPTIONS_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The options of the small catalogs (flags, protocols), which every form shows: kept
/// for [`OPTIONS_TTL`], dropped at once by any catalog write of this process and by
/// refresh (other processes' writes show within the TTL).
/// Flag options and protocol options.
type Options = (Vec<auths_domain::EntryRef>, Vec<auths_domain::EntryRef>);

#[derive(Debug, Default)]
pub(crate) struct OptionsCache {
    cached: std::sync::Mutex<Option<(std::time::Instant, Options)>>,
}

impl OptionsCache {
    pub(crate) fn get(&self) -> Option<Options> {
        let c = self.cached.lock().ok()?;
        c.as_ref()
            .filter(|(at, _)| at.elapsed() < OPTIONS_TTL)
            .map(|(_, o)| o.clone())
    }

    pub(crate) fn put(
        &self,
        flags: Vec<auths_domain::EntryRef>,
        protocols: Vec<auths_domain::EntryRef>,
    ) {
        if let Ok(mut c) = self.cached.lock() {
            *c = Some((std::time::Instant::now(), (flags, protocols)));
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut c) = self.cached.lock() {
            *c = None;
        }
    }
}

impl<S: Store> AuthService<S> {
    /// A service over `store`.
    pub fn new(store: S, settings: Settings) -> Self {
        Self {
            store,
            settings,
            keys: crate::keys::KeyCache::default(),
            options: OptionsCache::default(),
        }
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
}
