//! Running the real `authsd` binary in tests: start it in a folder, talk HTTP to it,
//! stop it with SIGTERM.

#![allow(dead_code, reason = "each test binary uses a part of it")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_authsd");

/// A running server, with the stderr lines read so far and the rest to come.
pub struct Server {
    child: Child,
    pub addr: String,
    early: Vec<String>,
    stderr: mpsc::Receiver<String>,
}

pub fn authsd(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTHS_BIND", "127.0.0.1:0")
        .env("AUTHS_WORKERS", "1");
    cmd
}

/// As [`authsd`], with every file the server writes limited to `bytes` (through the
/// shell's `ulimit -f`, RLIMIT_FSIZE): a write past it fails with EFBIG, as on a full
/// disk a write fails with ENOSPC. SIGXFSZ, which would kill the process instead, is
/// ignored (an ignored signal stays ignored across `exec`).
pub fn authsd_with_file_size_limit(dir: &Path, bytes: u64) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "trap '' XFSZ; ulimit -f \"$1\" && exec \"$0\"", BIN])
        // POSIX sh counts in blocks of 512 bytes.
        .arg(bytes.div_ceil(512).to_string())
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTHS_BIND", "127.0.0.1:0")
        .env("AUTHS_WORKERS", "1");
    cmd
}

/// Starts the server in `dir`, with the test environment.
pub fn start(dir: &Path) -> Server {
    start_with(authsd(dir))
}

/// Starts a prepared command (more environment, flags).
#[expect(
    clippy::zombie_processes,
    reason = "Server's Drop (or stop) waits for the child"
)]
pub fn start_with(mut cmd: Command) -> Server {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut early = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no address announced: {early:#?}"));
        let addr = line
            .split("listening on http://")
            .nth(1)
            // The address's own characters: a JSON log line goes on with quotes.
            .map(|r| {
                r.chars()
                    .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':'))
                    .collect::<String>()
            });
        early.push(line);
        if let Some(addr) = addr {
            return Server {
                child,
                addr,
                early,
                stderr: rx,
            };
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A test that failed half-way must not leave a server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        http(
            &self.addr,
            method,
            path,
            headers,
            body,
            Duration::from_secs(10),
        )
        .unwrap()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL (unless already killed): no draining, no clean-up. Answers everything
    /// printed on stderr.
    pub fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait().unwrap();
        self.early.extend(self.stderr.iter());
        self.early.join("\n")
    }

    /// SIGTERM, then the exit status and everything printed on stderr.
    pub fn stop(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        // The reader thread ends at EOF, so this collects every remaining line.
        self.early.extend(self.stderr.iter());
        (status.success(), self.early.join("\n"))
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`): the status and
/// the body, or the I/O error (a server that is down, or killed mid-answer).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    use std::io::{Error, ErrorKind};
    let addr: std::net::SocketAddr = addr
        .parse()
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let res = String::from_utf8(raw).map_err(|e| Error::new(ErrorKind::InvalidData, e))?;
    let (head, body) = res
        .split_once("\r\n\r\n")
        .ok_or_else(|| Error::new(ErrorKind::UnexpectedEof, "no complete answer"))?;
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::new(ErrorKind::InvalidData, format!("no status: {head}")))?;
    let declared = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())
            .flatten()
    });
    if method != "HEAD" && declared.is_some_and(|n| body.len() < n) {
        return Err(Error::new(ErrorKind::UnexpectedEof, "answer cut short"));
    }
    Ok((status, body.to_owned()))
}

/// A Python virtual environment for a test that drives a real client, kept in cargo's
/// target folder as `<name>-venv` and reused: made with `python3 -m venv`, then
/// `packages` installed from PyPI, unless `check` (a Python statement) already runs
/// there. Answers its folder, or `None` (after saying SKIPPED) when python3 is missing
/// or the install fails, unless the environment variable `require` is set, which makes
/// the test fail instead: CI sets it.
pub fn python_venv(
    name: &str,
    packages: &[&str],
    check: &str,
    require: &str,
) -> Option<std::path::PathBuf> {
    let required = std::env::var_os(require).is_some();
    let have_python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_python {
        assert!(!required, "{require} is set but python3 is missing");
        eprintln!("SKIPPED ({name}): python3 is not installed");
        return None;
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-venv"));
    let ready = Command::new(venv.join("bin/python"))
        .args(["-c", check])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        let made = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet"])
                .args(packages)
                .status()
                .is_ok_and(|s| s.success());
        if !made {
            assert!(
                !required,
                "{require} is set but {packages:?} could not be installed"
            );
            eprintln!("SKIPPED ({name}): could not install {packages:?} in a virtual environment");
            return None;
        }
    }
    Some(venv)
}

/// One JSON call to the server with `key`, which must succeed (2xx): its JSON answer.
pub fn ok_json(
    server: &Server,
    key: &str,
    method: &str,
    path: &str,
    body: &str,
) -> serde_json::Value {
    let (status, text) = server.request(
        method,
        path,
        &[("X-Api-Key", key), ("Content-Type", "application/json")],
        body,
    );
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap()
}
