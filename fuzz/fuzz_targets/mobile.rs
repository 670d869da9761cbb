//! A mobile number from any text: never a panic; what is accepted is 11 digits and parses again to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sscard_domain::values::Mobile;

fuzz_target!(|s: &str| {
    if let Ok(m) = Mobile::parse(s) {
        assert_eq!(m.as_str().len(), 11);
        assert!(m.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(Mobile::parse(m.as_str()).ok().as_ref(), Some(&m));
        let _ = m.masked();
    }
});
