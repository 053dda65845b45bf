//! Foreman's LDAP auth sources (`auth_source_ldaps`, foreman-v2 spec, "The clients
//! people run") as auths: an LDAP auth source is an auth whose protocols include `ldap`,
//! or `ldaps` when it asks for TLS; each of its parameters is one of its items, keyed by
//! the parameter's name (`host`, `port`, ...); `account_password` is a secret item.
//!
//! This module reads the parameters of an auth ([`LdapSettings::of`]), checks a
//! request's parameters as Foreman's model does ([`LdapPatch::parse`],
//! [`LdapSettings::check`]), and names the directory a connection test reaches
//! ([`DirectoryTarget`], [`DirectoryProbe`]: the port an adapter with a real LDAP client
//! implements).

use std::fmt;

use crate::auth::Auth;
use crate::catalog::{EntryRef, PROTOCOL_EXTERNAL};
use crate::error::{FieldProblem, Invalid, Rule};

/// The id of the seeded `ldap` protocol.
pub const PROTOCOL_LDAP: &str = "protocol-ldap";
/// The id of the seeded `ldaps` protocol (an LDAP auth source with `tls`).
pub const PROTOCOL_LDAPS: &str = "protocol-ldaps";

/// Foreman's kinds of auth source that auths keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// `AuthSourceExternal`: the `external` protocol.
    External,
    /// `AuthSourceLdap`: the `ldap` or `ldaps` protocol.
    Ldap,
}

impl SourceKind {
    /// Both kinds, in the order [`SourceKind::of`] prefers them.
    pub const ALL: [Self; 2] = [Self::Ldap, Self::External];

    /// The protocols (seeded ids) that make an auth this kind of source.
    pub const fn protocol_ids(self) -> &'static [&'static str] {
        match self {
            Self::External => &[PROTOCOL_EXTERNAL],
            Self::Ldap => &[PROTOCOL_LDAP, PROTOCOL_LDAPS],
        }
    }

    /// Foreman's class name, the `type` of its answers.
    pub const fn type_name(self) -> &'static str {
        match self {
            Self::External => "AuthSourceExternal",
            Self::Ldap => "AuthSourceLdap",
        }
    }

    /// Whether `auth` is a source of this kind.
    pub fn holds(self, auth: &Auth) -> bool {
        auth.protocols
            .iter()
            .any(|p| self.protocol_ids().contains(&p.id.as_str()))
    }

    /// The kind `auth` is shown as in a list of every source: LDAP when it has an LDAP
    /// protocol (its parameters say more), else external; `None` for an auth of
    /// neither kind (OIDC, SAML, ...), which Foreman has no class for.
    pub fn of(auth: &Auth) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.holds(auth))
    }
}

/// Foreman's LDAP server types.
pub const SERVER_TYPES: [&str; 3] = ["free_ipa", "active_directory", "posix"];

/// The most characters of a `host` (Foreman's limit).
pub const MAX_HOST_CHARS: usize = 60;
/// The most characters of an `ldap_filter` (Foreman's limit).
pub const MAX_FILTER_CHARS: usize = 2000;
/// The most characters of any other text parameter (an item's value).
pub const MAX_PARAM_CHARS: usize = 8192;

/// How a parameter reads and is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Text; `null` or `""` removes it.
    Text,
    /// A boolean, kept as `true` or `false`.
    Bool,
    /// A TCP port, 1 to 65535.
    Port,
    /// One of [`SERVER_TYPES`].
    ServerType,
    /// Text kept as a secret item: written, never shown; a blank one keeps the one
    /// stored.
    Secret,
}

/// Every parameter kept as an item, with its kind, in Foreman's order. `name`, `tls`
/// and the taxonomies are the auth's own name, protocol and sections.
pub const PARAMS: [(&str, ParamKind); 16] = [
    ("host", ParamKind::Text),
    ("port", ParamKind::Port),
    ("account", ParamKind::Text),
    ("account_password", ParamKind::Secret),
    ("base_dn", ParamKind::Text),
    ("ldap_filter", ParamKind::Text),
    ("attr_login", ParamKind::Text),
    ("attr_firstname", ParamKind::Text),
    ("attr_lastname", ParamKind::Text),
    ("attr_mail", ParamKind::Text),
    ("attr_photo", ParamKind::Text),
    ("onthefly_register", ParamKind::Bool),
    ("usergroup_sync", ParamKind::Bool),
    ("server_type", ParamKind::ServerType),
    ("groups_base", ParamKind::Text),
    ("use_netgroups", ParamKind::Bool),
];

/// A parameter's value as a client sent it (JSON's shapes, without depending on a JSON
/// library).
#[derive(Clone, PartialEq, Eq)]
pub enum RawParam {
    /// `null`.
    Null,
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// Anything else (a fraction, an array, an object).
    Other,
}

impl fmt::Debug for RawParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // It may be a password: never printed.
        f.write_str(match self {
            Self::Null => "Null",
            Self::Text(_) => "Text(..)",
            Self::Bool(_) => "Bool(..)",
            Self::Int(_) => "Int(..)",
            Self::Other => "Other",
        })
    }
}

/// A boolean as apipie reads one: `true`/`false`, `1`/`0`, or those as strings.
fn boolean(v: &RawParam) -> Option<bool> {
    match v {
        RawParam::Bool(b) => Some(*b),
        RawParam::Int(0) => Some(false),
        RawParam::Int(1) => Some(true),
        RawParam::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The changes a create or update asks for: checked one by one, not yet against the
/// source as a whole (see [`LdapSettings::check`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LdapPatch {
    /// A new name.
    pub name: Option<String>,
    /// TLS (protocol `ldaps` rather than `ldap`).
    pub tls: Option<bool>,
    /// Item parameters: the value to keep as text, or `None` to remove the item.
    pub items: Vec<(&'static str, Option<String>)>,
}

impl fmt::Debug for LdapPatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.items.iter().map(|(k, _)| *k).collect();
        f.debug_struct("LdapPatch")
            .field("name", &self.name)
            .field("tls", &self.tls)
            .field("items", &keys)
            .finish()
    }
}

fn out_of_range(what: &str) -> Rule {
    Rule::OutOfRange {
        what: what.to_owned(),
        min: 1,
        max: 65535,
    }
}

impl LdapPatch {
    /// Reads the parameters a client sent (`name`, `tls`, and those of [`PARAMS`]; any
    /// other key is ignored, as Foreman does), each by its kind.
    ///
    /// # Errors
    /// Every parameter of the wrong shape: a boolean that is not one, a port that is not
    /// a whole number from 1 to 65535, a server type not in [`SERVER_TYPES`].
    pub fn parse<'a>(
        params: impl IntoIterator<Item = (&'a str, RawParam)>,
    ) -> Result<Self, Invalid> {
        let mut patch = Self::default();
        let mut problems = Vec::new();
        for (key, value) in params {
            let text = |v: &RawParam| match v {
                RawParam::Null => Some(None),
                RawParam::Text(t) if t.trim().is_empty() => Some(None),
                RawParam::Text(t) => Some(Some(t.clone())),
                RawParam::Int(n) => Some(Some(n.to_string())),
                _ => None,
            };
            if key == "name" {
                match &value {
                    RawParam::Text(t) => patch.name = Some(t.clone()),
                    RawParam::Null => patch.name = Some(String::new()),
                    _ => problems.push(FieldProblem::new(
                        "name",
                        Rule::Blank {
                            what: "name".into(),
                        },
                    )),
                }
                continue;
            }
            if key == "tls" {
                match (&value, boolean(&value)) {
                    (RawParam::Null, _) => patch.tls = Some(false),
                    (_, Some(b)) => patch.tls = Some(b),
                    _ => problems.push(FieldProblem::new("tls", not_boolean("tls"))),
                }
                continue;
            }
            let Some((key, kind)) = PARAMS.iter().find(|(k, _)| *k == key) else {
                continue;
            };
            let read = match kind {
                ParamKind::Text | ParamKind::Secret => match text(&value) {
                    None => Err(Rule::WrongType {
                        what: (*key).to_owned(),
                        expected: "String".into(),
                    }),
                    Some(Some(t)) => checked_text(key, *kind, t),
                    Some(None) => Ok(None),
                },
                ParamKind::Bool => match value {
                    RawParam::Null => Ok(None),
                    ref v => boolean(v)
                        .map(|b| Some(b.to_string()))
                        .ok_or_else(|| not_boolean(key)),
                },
                ParamKind::Port => match &value {
                    RawParam::Null => Ok(None),
                    RawParam::Int(n) if (1..=65535).contains(n) => Ok(Some(n.to_string())),
                    RawParam::Text(t) => match t.trim().parse::<i64>() {
                        Ok(n) if (1..=65535).contains(&n) => Ok(Some(n.to_string())),
                        _ if t.trim().is_empty() => Ok(None),
                        _ => Err(out_of_range(key)),
                    },
                    _ => Err(out_of_range(key)),
                },
                ParamKind::ServerType => match &value {
                    RawParam::Null => Ok(None),
                    RawParam::Text(t) if SERVER_TYPES.contains(&t.trim()) => {
                        Ok(Some(t.trim().to_owned()))
                    }
                    _ => Err(Rule::NotInList {
                        what: (*key).to_owned(),
                        allowed: SERVER_TYPES.iter().map(|s| (*s).to_owned()).collect(),
                    }),
                },
            };
            match read {
                // A blank password keeps the one stored, as Foreman's form does.
                Ok(None) if *kind == ParamKind::Secret => {}
                Ok(v) => patch.items.push((key, v)),
                Err(rule) => problems.push(FieldProblem::new(*key, rule)),
            }
        }
        if problems.is_empty() {
            Ok(patch)
        } else {
            Err(Invalid { problems })
        }
    }
}

/// A text parameter within its bounds: at most [`MAX_PARAM_CHARS`] (a host
/// [`MAX_HOST_CHARS`], a filter [`MAX_FILTER_CHARS`]), and no control characters (a
/// password may hold any but NUL).
fn checked_text(key: &str, kind: ParamKind, t: String) -> Result<Option<String>, Rule> {
    let what = key.to_owned();
    let max = match key {
        "host" => MAX_HOST_CHARS,
        "ldap_filter" => MAX_FILTER_CHARS,
        _ => MAX_PARAM_CHARS,
    };
    let len = t.chars().count();
    if len > max {
        return Err(Rule::TooLong { what, len, max });
    }
    if t.contains('\0') {
        return Err(Rule::NulCharacters { what });
    }
    if kind != ParamKind::Secret && t.chars().any(char::is_control) {
        return Err(Rule::ControlCharacters { what });
    }
    Ok(Some(t))
}

fn not_boolean(what: &str) -> Rule {
    Rule::NotInList {
        what: what.to_owned(),
        allowed: vec!["true".into(), "false".into()],
    }
}

/// The parameters of one LDAP auth source, as its items hold them (defaults where an
/// item is absent: port 389, or 636 with TLS; server type `posix`; user group sync on).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct LdapSettings {
    /// TLS (the `ldaps` protocol).
    pub tls: bool,
    /// The item values by parameter, text as kept; the secret's value is never here.
    pub values: Vec<(&'static str, String)>,
    /// Whether an `account_password` is kept.
    pub has_password: bool,
}

impl fmt::Debug for LdapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LdapSettings")
            .field("tls", &self.tls)
            .field("values", &self.values)
            .field("has_password", &self.has_password)
            .finish()
    }
}

impl LdapSettings {
    /// The parameters of `auth` (the items keyed by a parameter's name, case-insensitively).
    pub fn of(auth: &Auth) -> Self {
        let mut out = Self {
            tls: auth
                .protocols
                .iter()
                .any(|p| p.id.as_str() == PROTOCOL_LDAPS),
            ..Self::default()
        };
        for (key, kind) in PARAMS {
            let Some(item) = auth.items.iter().find(|i| i.key.eq_ignore_ascii_case(key)) else {
                continue;
            };
            if kind == ParamKind::Secret {
                out.has_password = true;
            } else if let Some(v) = &item.value {
                out.values.push((key, v.clone()));
            }
        }
        out
    }

    /// The text of parameter `key`, if kept.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The boolean `key` (`default` when absent).
    pub fn flag(&self, key: &str, default: bool) -> bool {
        self.text(key)
            .and_then(|t| boolean(&RawParam::Text(t.to_owned())))
            .unwrap_or(default)
    }

    /// The port: as kept, else 636 with TLS and 389 without.
    pub fn port(&self) -> u16 {
        self.text("port")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(if self.tls { 636 } else { 389 })
    }

    /// The server type: as kept, else `posix`.
    pub fn server_type(&self) -> &str {
        self.text("server_type").unwrap_or("posix")
    }

    /// Whether `value` is what parameter `key` reads as when absent (with TLS `tls`):
    /// sending a default for a parameter not kept changes nothing.
    pub fn is_default(key: &str, value: &str, tls: bool) -> bool {
        match key {
            "port" => value.trim() == if tls { "636" } else { "389" },
            "server_type" => value == "posix",
            "usergroup_sync" => value == "true",
            "onthefly_register" | "use_netgroups" => value == "false",
            _ => false,
        }
    }

    /// The parameters a kept version held (its protocols and items).
    pub fn of_version(content: &crate::history::VersionContent) -> Self {
        let mut out = Self {
            tls: content
                .protocols
                .iter()
                .any(|p| p.id.as_str() == PROTOCOL_LDAPS),
            ..Self::default()
        };
        for (key, kind) in PARAMS {
            let Some(item) = content
                .items
                .iter()
                .find(|i| i.key.eq_ignore_ascii_case(key))
            else {
                continue;
            };
            if kind == ParamKind::Secret {
                out.has_password = true;
            } else if let Some(v) = &item.value {
                out.values.push((key, v.clone()));
            }
        }
        out
    }

    /// The directory these settings reach: host (case-insensitively), port, TLS. A
    /// password set for one directory is sent to no other.
    pub fn directory(&self) -> (String, u16, bool) {
        (
            self.text("host")
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase(),
            self.port(),
            self.tls,
        )
    }

    /// These settings with `patch` laid over (its name aside).
    #[must_use]
    pub fn patched(&self, patch: &LdapPatch) -> Self {
        let mut out = self.clone();
        if let Some(tls) = patch.tls {
            out.tls = tls;
        }
        for (key, value) in &patch.items {
            if *key == "account_password" {
                out.has_password |= value.is_some();
                continue;
            }
            out.values.retain(|(k, _)| k != key);
            if let Some(v) = value {
                out.values.push((key, v.clone()));
            }
        }
        out
    }

    /// Checks the settings as Foreman's model does: a host (at most
    /// [`MAX_HOST_CHARS`]), an `ldap_filter` of at most [`MAX_FILTER_CHARS`], other
    /// text of at most [`MAX_PARAM_CHARS`], and with `onthefly_register` the four
    /// attributes it fills users from.
    ///
    /// # Errors
    /// Every rule broken, by parameter.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut problems = Vec::new();
        let blank = |k: &str| FieldProblem::new(k, Rule::Blank { what: k.to_owned() });
        match self.text("host") {
            None => problems.push(blank("host")),
            Some(h) if h.chars().count() > MAX_HOST_CHARS => problems.push(FieldProblem::new(
                "host",
                Rule::TooLong {
                    what: "host".into(),
                    len: h.chars().count(),
                    max: MAX_HOST_CHARS,
                },
            )),
            Some(_) => {}
        }
        for (key, value) in &self.values {
            let max = if *key == "ldap_filter" {
                MAX_FILTER_CHARS
            } else {
                MAX_PARAM_CHARS
            };
            let len = value.chars().count();
            if *key != "host" && len > max {
                problems.push(FieldProblem::new(
                    *key,
                    Rule::TooLong {
                        what: (*key).to_owned(),
                        len,
                        max,
                    },
                ));
            }
        }
        if self.flag("onthefly_register", false) {
            for key in ["attr_login", "attr_firstname", "attr_lastname", "attr_mail"] {
                if self.text(key).is_none() {
                    problems.push(blank(key));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Invalid { problems })
        }
    }

    /// The directory a connection test reaches, with the account's password if one is
    /// kept (`password`, which the caller reads from the store).
    pub fn target(&self, password: Option<SecretText>) -> DirectoryTarget {
        DirectoryTarget {
            host: self.text("host").unwrap_or_default().to_owned(),
            port: self.port(),
            tls: self.tls,
            account: self.text("account").map(str::to_owned),
            password,
            base_dn: self.text("base_dn").map(str::to_owned),
        }
    }
}

/// The protocols of an auth after its TLS setting: `ldap` and `ldaps` swapped as
/// asked, the others kept (ids).
pub fn protocols_with_tls(protocols: &[EntryRef], tls: bool) -> Vec<crate::ids::EntryId> {
    let wanted = if tls { PROTOCOL_LDAPS } else { PROTOCOL_LDAP };
    let mut out: Vec<crate::ids::EntryId> = protocols
        .iter()
        .filter(|p| ![PROTOCOL_LDAP, PROTOCOL_LDAPS].contains(&p.id.as_str()))
        .map(|p| p.id.clone())
        .collect();
    if let Ok(id) = crate::ids::EntryId::parse(wanted) {
        out.push(id);
    }
    out
}

/// A secret as text (a directory account's password): `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(pub String);

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText([secret])")
    }
}

/// The directory a connection test reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryTarget {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// LDAPS (TLS from the first byte) rather than plain LDAP.
    pub tls: bool,
    /// The account to bind as (a DN or, for Active Directory, `user@domain`); `None`
    /// binds anonymously.
    pub account: Option<String>,
    /// The account's password.
    pub password: Option<SecretText>,
    /// The base DN, read back after the bind to prove the search rights.
    pub base_dn: Option<String>,
}

/// What a connection test found: success, or the step that failed and why, in words
/// fit to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// Whether every step passed.
    pub success: bool,
    /// What happened.
    pub message: String,
}

/// Tests a directory for real (TCP, TLS when asked, a bind, a read of the base DN),
/// within a bounded time. Implemented by an adapter with an LDAP client; the use case
/// calls it outside any database transaction.
pub trait DirectoryProbe: Send + Sync + fmt::Debug {
    /// Connects to `target` and answers what happened (never an error: a failure is
    /// an outcome with its reason).
    fn test(&self, target: &DirectoryTarget) -> ProbeOutcome;
}

#[cfg(test)]
mod tests;
