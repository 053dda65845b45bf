//! A real OpenLDAP server (Debian's `slapd`) for the tests: a throw-away configuration
//! and database in a temporary folder, one suffix with its root entry, listening on a
//! free loopback port, stopped when dropped. No mock: `.ci/run` installs `slapd` and
//! `ldap-utils` when missing, and a test that needs it fails without it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory's suffix (base DN).
pub const BASE_DN: &str = "dc=example,dc=org";
/// Its administrator.
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=org";
/// The administrator's password.
pub const ADMIN_PASSWORD: &str = "slapd-admin-pw-4c1e";

const SLAPD: &str = "/usr/sbin/slapd";
const SLAPADD: &str = "/usr/sbin/slapadd";

/// A running slapd.
pub struct Slapd {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn config(dir: &Path) -> String {
    format!(
        "include /etc/ldap/schema/core.schema\n\
         include /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\n\
         modulepath /usr/lib/ldap\n\
         moduleload back_mdb\n\
         pidfile {d}/slapd.pid\n\
         database mdb\n\
         maxsize 10485760\n\
         suffix \"{BASE_DN}\"\n\
         rootdn \"{ADMIN_DN}\"\n\
         rootpw {ADMIN_PASSWORD}\n\
         directory {d}/db\n",
        d = dir.display()
    )
}

impl Slapd {
    /// Starts one, with `dc=example,dc=org` loaded; panics (the test fails) when slapd
    /// is not installed or does not answer within ten seconds.
    pub fn start() -> Self {
        assert!(
            Path::new(SLAPD).exists(),
            "{SLAPD} is missing: install Debian's slapd and ldap-utils (apt-get install slapd ldap-utils; .ci/run does)"
        );
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir(dir.path().join("db")).expect("the database folder");
        let conf = dir.path().join("slapd.conf");
        std::fs::write(&conf, config(dir.path())).expect("slapd.conf");
        let ldif = dir.path().join("base.ldif");
        std::fs::write(
            &ldif,
            format!("dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n"),
        )
        .expect("base.ldif");
        let loaded = Command::new(SLAPADD)
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&ldif)
            .output()
            .expect("slapadd runs");
        assert!(
            loaded.status.success(),
            "slapadd failed: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let port = free_port();
        let child = Command::new(SLAPD)
            .arg("-f")
            .arg(&conf)
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{port}/"))
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd starts");
        let slapd = Self {
            child,
            port,
            _dir: dir,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "slapd does not answer on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        slapd
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
