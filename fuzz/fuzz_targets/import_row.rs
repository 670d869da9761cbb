//! An import file's rows from any bytes, after a valid header of the kind the first byte picks: never a panic,
//! and one verdict per record read. (Its first finding was this property's own: CSV also ends a line at `\r`.)
#![no_main]
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sscard_app::import::{check_rows, ImportKind, RowContext};
use sscard_domain::codes::CodeTables;

fn codes() -> &'static CodeTables {
    static CODES: OnceLock<CodeTables> = OnceLock::new();
    CODES.get_or_init(|| CodeTables::load().expect("the embedded code tables load"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rows)) = data.split_first() else {
        return;
    };
    let kinds = [
        ImportKind::Registry,
        ImportKind::Entities,
        ImportKind::Guardianship,
        ImportKind::Branches,
        ImportKind::Outlets,
    ];
    let kind = kinds[usize::from(pick) % kinds.len()];
    let mut file = kind.columns().join(",").into_bytes();
    file.push(b'\n');
    file.extend_from_slice(rows);
    let ctx = RowContext {
        codes: codes(),
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date"),
        entities: HashSet::new(),
        branch_banks: HashMap::new(),
    };
    let verdicts = check_rows(kind, &file, &ctx).expect("the header is the kind's own");
    // One verdict per record: no more records than line ends (CSV ends a line at \n, \r or both) plus one.
    assert!(verdicts.len() <= rows.iter().filter(|b| matches!(**b, b'\n' | b'\r')).count() + 1);
});
