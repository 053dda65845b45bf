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
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).unwrap();
        let mut res = String::new();
        s.read_to_string(&mut res).unwrap();
        let status = res[9..12].parse().unwrap();
        let body = res.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (status, body)
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
