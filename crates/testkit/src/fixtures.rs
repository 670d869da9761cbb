//! Valid sample rows for import tests.

use chrono::NaiveDate;
use sscard_domain::values::uscc::complete_uscc;
use sscard_domain::values::IdNumber;

pub const REGISTRY_HEADER: &str = "id_number,name,gender,date_of_birth,nationality,ethnicity,id_valid_from,\
id_valid_until,address,residence_district,mobile,occupation,insurance_types,category,employer_uscc,pension_bank,\
pension_branch,legacy_cards";

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

/// A valid ID number born on `y-m-d` with sequence `seq` (odd = male).
pub fn id(y: i32, m: u32, d: u32, seq: u16) -> IdNumber {
    IdNumber::compose("110105", NaiveDate::from_ymd_opt(y, m, d).unwrap(), seq, today()).unwrap()
}

pub fn uscc(n: u32) -> String {
    complete_uscc(&format!("91110105{n:09}")).unwrap().as_str().to_string()
}

/// An `individual` registry row for `id`.
pub fn individual_row(id: &IdNumber, name: &str) -> String {
    let gender = id.gender().as_str();
    format!(
        "{id},{name},{gender},{dob},CHN,01,2015-03-01,2035-03-01,北京市朝阳区测试路1号,110105,13800001234,2,pension;medical,individual,,,,",
        dob = id.birth_date()
    )
}

pub fn employee_row(id: &IdNumber, name: &str, employer: &str) -> String {
    let gender = id.gender().as_str();
    format!(
        "{id},{name},{gender},{dob},CHN,01,2015-03-01,,北京市海淀区测试路2号,110108,13900001234,3,pension;medical;unemployment;work_injury,employee,{employer},,,2:102",
        dob = id.birth_date()
    )
}

pub fn retiree_row(id: &IdNumber, name: &str, bank: &str, branch: &str) -> String {
    let gender = id.gender().as_str();
    format!(
        "{id},{name},{gender},{dob},CHN,03,2010-01-01,长期,北京市西城区测试路3号,110102,13700001234,R,pension;medical,retiree,,{bank},{branch},1:102;2:104",
        dob = id.birth_date()
    )
}

/// A `resident_minor` registry row for `id` (resident medical insurance), with an ID card valid until 2030.
pub fn minor_row(id: &IdNumber, name: &str) -> String {
    let gender = id.gender().as_str();
    format!(
        "{id},{name},{gender},{dob},CHN,01,2021-06-01,2030-06-01,北京市东城区测试路4号,110101,,,medical,resident_minor,,,,",
        dob = id.birth_date()
    )
}

pub const GUARDIANSHIP_HEADER: &str = "guardian_id,child_id,relationship,guardian_is_householder,same_booklet";

/// A guardianship row: `guardian` is `relationship` (GB/T 4761) of `child`.
pub fn guardianship_row(guardian: &IdNumber, child: &IdNumber, relationship: &str, householder: bool) -> String {
    format!("{guardian},{child},{relationship},{householder},true")
}

pub fn csv(header: &str, rows: &[String]) -> String {
    let mut s = String::from(header);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// Three branches: two of ICBC (Dongcheng, Chaoyang), one of CCB (Chaoyang, no pickup).
pub const BRANCHES: &str = "code,bank,name,district,address,accepts_pickup,instant_issuance\n\
102-0101,102,工商银行东城支行,110101,东城区一号,true,true\n\
102-0105,102,工商银行朝阳支行,110105,朝阳区一号,true,false\n\
105-0105,105,建设银行朝阳支行,110105,朝阳区二号,false,false\n";
