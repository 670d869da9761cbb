//! A unified social credit code from any text: never a panic; what is accepted parses again to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sscard_domain::values::Uscc;

fuzz_target!(|s: &str| {
    if let Ok(u) = Uscc::parse(s) {
        assert_eq!(Uscc::parse(u.as_str()).ok().as_ref(), Some(&u));
    }
});
