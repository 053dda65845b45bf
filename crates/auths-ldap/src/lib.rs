//! # auths-ldap
//!
//! [`Ldap3Probe`], the adapter of the domain's [`DirectoryProbe`] port: it tests the
//! directory of an LDAP auth source for real with the `ldap3` client (foreman-v2 spec,
//! "The clients people run": `PUT /api/auth_source_ldaps/:id/test`):
//!
//! 1. a TCP connection to `host:port`, LDAPS (TLS from the first byte, the server's
//!    certificate verified against the system's roots) when the source asks for TLS;
//! 2. a simple bind with the account and its password (anonymous without an account);
//! 3. a base-object read of the base DN, when one is set, to show the account may read
//!    it.
//!
//! Every step is bounded by [`Ldap3Probe::timeout`]; the whole test runs on a thread of
//! its own and is abandoned past twice that; at most [`MAX_RUNNING`] run at once in a
//! process (a test past that answers at once that it cannot run now). A failure is an outcome with a sentence
//! naming the step and the directory's reason, never an error or a panic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use auths_domain::ldap::{DirectoryProbe, DirectoryTarget, ProbeOutcome};
use ldap3::{LdapConn, LdapConnSettings, LdapError, Scope};

/// What Foreman answers when a test passes.
pub const SUCCESS: &str = "Test connection to LDAP server was successful.";

/// Tests directories with `ldap3`.
#[derive(Debug, Clone, Copy)]
pub struct Ldap3Probe {
    /// The most each step (connect, bind, read) may take.
    pub timeout: Duration,
}

impl Default for Ldap3Probe {
    /// Ten seconds a step.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
        }
    }
}

/// The directory's URL: `ldap://host:port` or `ldaps://host:port` (an IPv6 address in
/// brackets).
pub fn url(target: &DirectoryTarget) -> String {
    let scheme = if target.tls { "ldaps" } else { "ldap" };
    let host = if target.host.contains(':') && !target.host.starts_with('[') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    format!("{scheme}://{host}:{}", target.port)
}

fn failure(message: String) -> ProbeOutcome {
    ProbeOutcome {
        success: false,
        message,
    }
}

/// An ldap3 error as a sentence: a result code with its name, or the transport's words.
fn reason(e: &LdapError) -> String {
    match e {
        LdapError::LdapResult { result } => {
            let text = if result.text.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", result.text.trim())
            };
            format!("{} (LDAP result {}){text}", code_name(result.rc), result.rc)
        }
        LdapError::Timeout { .. } => "no answer in time".to_owned(),
        LdapError::Rustls { source } => format!("TLS handshake failed ({source})"),
        other => other.to_string(),
    }
}

/// The names of the result codes a test meets (RFC 4511, appendix A).
fn code_name(rc: u32) -> &'static str {
    match rc {
        1 => "operations error",
        2 => "protocol error",
        8 => "stronger authentication required",
        32 => "no such object",
        34 => "invalid DN syntax",
        48 => "inappropriate authentication",
        49 => "invalid credentials",
        50 => "insufficient access rights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwilling to perform",
        _ => "error",
    }
}

fn run(target: &DirectoryTarget, timeout: Duration) -> ProbeOutcome {
    let url = url(target);
    if target.host.trim().is_empty() {
        return failure("Unable to connect to LDAP server: no host is set".to_owned());
    }
    let settings = LdapConnSettings::new().set_conn_timeout(timeout);
    let mut conn = match LdapConn::with_settings(settings, &url) {
        Ok(c) => c,
        Err(e) => {
            return failure(format!(
                "Unable to connect to LDAP server {url}: {}",
                reason(&e)
            ));
        }
    };
    let (account, password) = (
        target.account.as_deref().unwrap_or(""),
        target.password.as_ref().map_or("", |p| p.0.as_str()),
    );
    let bound = conn
        .with_timeout(timeout)
        .simple_bind(account, password)
        .and_then(ldap3::LdapResult::success);
    if let Err(e) = bound {
        let who = if account.is_empty() {
            "anonymously".to_owned()
        } else {
            format!("as {account}")
        };
        let _ = conn.unbind();
        return failure(format!(
            "Unable to bind to LDAP server {url} {who}: {}",
            reason(&e)
        ));
    }
    if let Some(base) = target.base_dn.as_deref().filter(|b| !b.trim().is_empty()) {
        let read = conn
            .with_timeout(timeout)
            .search(base, Scope::Base, "(objectClass=*)", vec!["1.1"])
            .and_then(ldap3::SearchResult::success);
        if let Err(e) = read {
            let _ = conn.unbind();
            return failure(format!(
                "Unable to read the base DN {base} on LDAP server {url}: {}",
                reason(&e)
            ));
        }
    }
    let _ = conn.unbind();
    ProbeOutcome {
        success: true,
        message: SUCCESS.to_owned(),
    }
}

/// Tests running at once in this process, at most [`MAX_RUNNING`].
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// The most tests a process runs at once: a test may hold a thread for twice its
/// timeout, and a flood of them must not starve the server.
pub const MAX_RUNNING: usize = 8;

/// A place among the running tests, given back when dropped.
struct Slot;

impl Slot {
    fn take() -> Option<Self> {
        RUNNING
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_RUNNING).then_some(n + 1)
            })
            .ok()
            .map(|_| Self)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::AcqRel);
    }
}

impl DirectoryProbe for Ldap3Probe {
    fn test(&self, target: &DirectoryTarget) -> ProbeOutcome {
        let Some(slot) = Slot::take() else {
            return failure(format!(
                "{MAX_RUNNING} LDAP connection tests are running already: try again shortly"
            ));
        };
        let (tx, rx) = mpsc::channel();
        let (owned, timeout) = (target.clone(), self.timeout);
        let spawned = std::thread::Builder::new()
            .name("ldap-test".into())
            .spawn(move || {
                // The slot is given back when the test ends, even one abandoned.
                let _slot = slot;
                let _ = tx.send(run(&owned, timeout));
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start an LDAP test");
            return failure("Unable to connect to LDAP server: the test could not start".into());
        }
        rx.recv_timeout(timeout * 2 + Duration::from_secs(1))
            .unwrap_or_else(|_| {
                failure(format!(
                    "Unable to connect to LDAP server {}: no answer in time",
                    url(target)
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, port: u16, tls: bool) -> DirectoryTarget {
        DirectoryTarget {
            host: host.into(),
            port,
            tls,
            account: None,
            password: None,
            base_dn: None,
        }
    }

    #[test]
    fn urls_name_the_scheme_and_bracket_ipv6() {
        assert_eq!(
            url(&target("ldap.example.com", 389, false)),
            "ldap://ldap.example.com:389"
        );
        assert_eq!(url(&target("::1", 636, true)), "ldaps://[::1]:636");
    }

    #[test]
    fn a_closed_port_is_a_clear_failure() {
        // Port 1 on loopback: nothing listens there on a test machine.
        let out = Ldap3Probe {
            timeout: Duration::from_secs(2),
        }
        .test(&target("127.0.0.1", 1, false));
        assert!(!out.success);
        assert!(
            out.message
                .starts_with("Unable to connect to LDAP server ldap://127.0.0.1:1"),
            "{}",
            out.message
        );
    }
}
