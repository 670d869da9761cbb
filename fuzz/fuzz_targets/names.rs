//! A person's name and free text from any text: never a panic; what is accepted holds no control character or
//! direction mark and parses again to itself (storage keeps exactly what the type holds).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sscard_domain::values::{FreeText, PersonName};

fuzz_target!(|s: &str| {
    if let Ok(n) = PersonName::parse(s) {
        assert_eq!(PersonName::parse(n.as_str()).ok().as_ref(), Some(&n));
        assert!(!n.as_str().chars().any(char::is_control));
    }
    if let Ok(t) = FreeText::parse(s, 100) {
        assert!(t.as_str().chars().count() <= 100);
        assert!(!t.as_str().chars().any(char::is_control));
        assert_eq!(FreeText::parse(t.as_str(), 100).ok().as_ref(), Some(&t));
    }
});
