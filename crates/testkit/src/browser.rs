//! Headless Chromium, driven as a real browser process: it loads the page over HTTP, runs the page as a user's
//! browser would, and gives back the rendered DOM or a screenshot.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Browser {
    binary: PathBuf,
}

impl Browser {
    /// The installed Chromium, or `None` (with a loud note) when browser tests may skip.
    /// `SSCARD_REQUIRE_BROWSER=1` (CI) turns a missing browser into a failure.
    pub fn find() -> Option<Browser> {
        let candidates = [
            std::env::var("SSCARD_CHROMIUM").ok(),
            Some("/usr/bin/chromium".to_string()),
            Some("/usr/bin/chromium-browser".to_string()),
            Some("/usr/bin/google-chrome".to_string()),
        ];
        for c in candidates.into_iter().flatten() {
            if Path::new(&c).exists() {
                return Some(Browser {
                    binary: PathBuf::from(c),
                });
            }
        }
        if super::flag("SSCARD_REQUIRE_BROWSER") {
            panic!("SSCARD_REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium)");
        }
        eprintln!("SKIPPED: browser test (install chromium or set SSCARD_CHROMIUM)");
        None
    }

    fn command(&self, profile: &Path) -> Command {
        let mut c = Command::new(&self.binary);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=3000",
        ]);
        c.arg(format!("--user-data-dir={}", profile.display()));
        c
    }

    /// The DOM after the page has loaded and run.
    pub fn dump_dom(&self, url: &str) -> String {
        let profile = tempfile::tempdir().unwrap();
        let out = self
            .command(profile.path())
            .arg("--dump-dom")
            .arg(url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Saves a PNG screenshot of `url` at `width`×`height` to `path`; returns the PNG's bytes.
    pub fn screenshot(&self, url: &str, path: &Path, width: u32, height: u32) -> Vec<u8> {
        let profile = tempfile::tempdir().unwrap();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let out = self
            .command(profile.path())
            .arg(format!("--screenshot={}", path.display()))
            .arg(format!("--window-size={width},{height}"))
            .arg(url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(path).unwrap()
    }
}

/// Where tests leave artifacts (screenshots): `SSCARD_ARTIFACTS`, or `artifacts/` in the workspace.
pub fn artifacts_dir() -> PathBuf {
    std::env::var("SSCARD_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts"))
}
