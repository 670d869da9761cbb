//! The portal in a real browser (headless Chromium through chromedriver), as residents, guardians, handlers
//! and clerks use it: one test binary, one module per journey. Skips loudly without a browser, unless
//! `SSCARD_REQUIRE_BROWSER=1`.

#[path = "../common/mod.rs"]
mod common;

mod apply;
mod cards;
mod collective;
mod console;
mod counter;
mod desk;
mod login;
mod minor;
mod pages;
mod sweep;
