//! An ID number from any text: never a panic; what is accepted parses again to itself, and its mask keeps
//! the length.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sscard_domain::values::IdNumber;

fuzz_target!(|s: &str| {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date");
    if let Ok(id) = IdNumber::parse(s, today) {
        assert_eq!(IdNumber::parse(id.as_str(), today).ok().as_ref(), Some(&id));
        assert_eq!(id.masked().chars().count(), id.as_str().chars().count());
    }
});
