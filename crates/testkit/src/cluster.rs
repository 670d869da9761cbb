//! A throwaway PostgreSQL cluster a test starts, stops and starts again itself (the shared server is never
//! touched): `initdb` into a temporary directory, a free port, a socket in that directory. As root the
//! commands run as the `postgres` user (`initdb` refuses root).

use std::path::PathBuf;
use std::process::Command;

pub struct ThrowawayCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

fn flag(name: &str) -> bool {
    std::env::var(name).map(|v| v == "1" || v == "true").unwrap_or(false)
}

/// The newest PostgreSQL server binaries on this machine.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl ThrowawayCluster {
    /// A started cluster, or `None` (with a loud note) when this machine cannot make one and PostgreSQL
    /// tests may skip.
    pub fn start() -> Option<ThrowawayCluster> {
        let Some(bin) = server_bin() else {
            if flag("SSCARD_REQUIRE_PG") {
                panic!("SSCARD_REQUIRE_PG=1 but no PostgreSQL server binaries under /usr/lib/postgresql");
            }
            eprintln!("SKIPPED: a throwaway PostgreSQL cluster needs the server binaries (initdb, pg_ctl)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown of the cluster directory");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = ThrowawayCluster {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = c.data().to_string_lossy().to_string();
        c.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        c.start_again();
        Some(c)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once, as a crash or a pulled cable would (`immediate`: no clean shutdown).
    pub fn stop(&self) {
        let data = self.data().to_string_lossy().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }

    pub fn start_again(&self) {
        let data = self.data().to_string_lossy().to_string();
        let sock = self.dir.path().to_string_lossy().to_string();
        let opts = format!("-p {} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", self.port);
        let log = self.dir.path().join("log").to_string_lossy().to_string();
        self.run("pg_ctl", &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"]);
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        let data = self.data().to_string_lossy().to_string();
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let _ = cmd.args(["-D", &data, "-m", "immediate", "stop"]).output();
    }
}
