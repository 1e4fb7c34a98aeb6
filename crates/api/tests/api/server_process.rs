//! The real binary as a child process, for what an in-process server cannot show: a
//! SIGKILL mid-request, a restart on the same database, the server's own memory.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use infrastructure::testing::TestDatabase;

use crate::helpers::JWT_SECRET;

/// A running `experience-layer`. Killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    pub address: String,
    env: HashMap<String, String>,
}

impl ServerProcess {
    /// Starts the binary on `db` with files in `files_dir`, plus `vars`, and waits until it
    /// says where it listens.
    pub fn start(db: &TestDatabase, files_dir: &std::path::Path, vars: &[(&str, &str)]) -> Self {
        let mut env: HashMap<String, String> = [
            ("BIND_ADDR", "127.0.0.1:0"),
            ("JWT_SECRET", JWT_SECRET),
            ("LOG_FORMAT", "json"),
            ("RUST_LOG", "info"),
            ("WORKERS", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.insert("DATABASE_URL".into(), db.settings.url.clone());
        if let Some(schema) = &db.settings.schema {
            env.insert("DATABASE_SCHEMA".into(), schema.clone());
        }
        env.insert("FILE_STORAGE_URL".into(), files_dir.display().to_string());
        for (k, v) in vars {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        Self::spawn(env)
    }

    /// Starts the binary again with the same settings (same database and files), e.g.
    /// after [`Self::kill`].
    pub fn restart(&mut self) {
        self.kill();
        let next = Self::spawn(self.env.clone());
        *self = next;
    }

    fn spawn(env: HashMap<String, String>) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_experience-layer"))
            .env_clear()
            .envs(std::env::vars().filter(|(k, _)| k == "PATH" || k == "HOME"))
            .envs(&env)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server binary starts");
        let stdout = child.stdout.take().expect("the server's stdout");
        let (found, port) = mpsc::channel();
        // Reads the log for the "listening" line, then keeps draining it so that the
        // server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if std::env::var("TEST_LOG").is_ok() {
                    eprintln!("{line}");
                }
                if let Some(at) = line.find("listening on http://") {
                    let rest = &line[at + "listening on http://".len()..];
                    let address: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                        .collect();
                    if let Some(found) = found.take() {
                        let _ = found.send(address);
                    }
                }
            }
        });
        let address = port
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens within 60 s");
        Self {
            child,
            address: format!("http://{address}"),
            env,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and waits until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Resident memory now and at its peak (VmRSS, VmHWM), in bytes.
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server's /proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .map(|kib| kib * 1024)
                .expect("a memory figure")
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
