//! A Beijing postal code from any text: never a panic; what is accepted is in 100000–102999.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sscard_domain::values::BeijingPostalCode;

fuzz_target!(|s: &str| {
    if let Ok(p) = BeijingPostalCode::parse(s) {
        let n: u32 = p.as_str().parse().expect("digits");
        assert!((100_000..=102_999).contains(&n));
    }
});
