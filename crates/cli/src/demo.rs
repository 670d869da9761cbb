//! The demo data set: invented people of every category and age, employers, guardianships, and branches of
//! all 15 banks across the 16 districts. It goes through the same CSV import as real data, so it obeys every
//! rule, and it marks the database as holding demo data (every portal page then says so).

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sscard_app::import::{import_csv, ImportKind};
use sscard_app::ports::SETTING_DEMO_DATA;
use sscard_app::AppContext;
use sscard_domain::values::uscc::complete_uscc;
use sscard_domain::values::IdNumber;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗",
];
const GIVEN_M: &[&str] = &[
    "建国", "志强", "伟", "磊", "洋", "勇", "军", "杰", "涛", "明", "浩然", "子轩", "宇航", "国庆", "德华",
];
const GIVEN_F: &[&str] = &[
    "秀英", "桂兰", "丽", "静", "敏", "燕", "艳", "娟", "霞", "芳", "欣怡", "梓涵", "雨桐", "淑珍", "玉兰",
];
const STREETS: &[&str] = &[
    "建国路",
    "长安街",
    "中关村大街",
    "学院路",
    "光华路",
    "望京街",
    "西直门外大街",
    "丰台路",
    "通惠河北路",
    "回龙观西大街",
];
const COMPANY: &[&str] = &[
    "示例科技",
    "演示商贸",
    "虚构建设",
    "样板物流",
    "测试医药",
    "模拟文化传媒",
    "范例餐饮",
    "假设信息技术",
];

pub struct Seeded {
    lines: Vec<String>,
}

impl std::fmt::Display for Seeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for l in &self.lines {
            writeln!(f, "{l}")?;
        }
        Ok(())
    }
}

struct Gen {
    rng: StdRng,
    today: NaiveDate,
    used: std::collections::HashSet<String>,
}

impl Gen {
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.rng.gen_range(0..list.len())]
    }

    fn person_id(&mut self, age: u32, male: bool, district: &str) -> anyhow::Result<IdNumber> {
        loop {
            // Born within the year before the `age`-th birthday, so the person is exactly `age` today (a
            // "6-year-old" in the demo really is under 7, and a "17-year-old" really is a minor).
            let year_before = NaiveDate::from_ymd_opt(self.today.year() - age as i32 - 1, self.today.month(), 1)
                .context("date")?
                + Duration::days(i64::from(self.today.day()));
            let birth = year_before + Duration::days(self.rng.gen_range(0..364));

            let mut seq: u16 = self.rng.gen_range(0..500) * 2;
            if male {
                seq += 1;
            }
            let id = IdNumber::compose(district, birth, seq, self.today)?;
            if id.age_on(self.today) != age {
                continue;
            }
            if self.used.insert(id.as_str().to_string()) {
                return Ok(id);
            }
        }
    }

    fn name(&mut self, male: bool) -> String {
        let s = self.pick(SURNAMES);
        let g = if male { self.pick(GIVEN_M) } else { self.pick(GIVEN_F) };
        format!("{s}{g}")
    }

    fn mobile(&mut self) -> String {
        format!(
            "13{}{:08}",
            self.rng.gen_range(3..10),
            self.rng.gen_range(0..100_000_000u32)
        )
    }
}

/// Loads the demo data set; running it again updates the same records (imports are upserts).
pub async fn seed(ctx: &AppContext) -> anyhow::Result<Seeded> {
    ctx.store
        .set_setting(SETTING_DEMO_DATA, crate::startup::DEMO_SEEDING)
        .await?;
    let codes = &ctx.codes;
    let mut g = Gen {
        rng: StdRng::seed_from_u64(2026),
        today: ctx.clock.today(),
        used: Default::default(),
    };
    let mut lines = vec!["DEMO DATA — every person, employer and branch below is invented.".to_string()];

    // Branches: every bank in every district, four in five handing out cards (the demo clerk's, 102 in
    // 东城区, among them); outlets: one per district and one street outlet each.
    let mut branches = String::from("code,bank,name,district,address,accepts_pickup,instant_issuance\n");
    let mut branch_codes: Vec<(String, String)> = Vec::new();
    for (bi, bank) in codes.banks.iter().enumerate() {
        for (di, d) in codes.districts.iter().enumerate() {
            let code = format!("{}-{}-01", bank.code, d.code);
            let street = STREETS[(bi + di) % STREETS.len()];
            writeln!(
                branches,
                "{code},{},{}北京{}支行,{},北京市{}{street}{}号,{},{}",
                bank.code,
                bank.name_zh,
                d.name_zh,
                d.code,
                d.name_zh,
                10 + bi * 7 + di,
                (bi + di) % 5 != 4,
                (bi + di) % 3 == 0
            )?;
            branch_codes.push((bank.code.clone(), code));
        }
    }
    let mut outlets = String::from("code,name,district,address\n");
    for (di, d) in codes.districts.iter().enumerate() {
        writeln!(
            outlets,
            "D-{},{}社保卡服务网点,{},北京市{}{}1号",
            d.code,
            d.name_zh,
            d.code,
            d.name_zh,
            STREETS[di % STREETS.len()]
        )?;
        writeln!(
            outlets,
            "S-{}-01,{}第一街道社保卡服务网点,{},北京市{}{}88号",
            d.code,
            d.name_zh,
            d.code,
            d.name_zh,
            STREETS[(di + 3) % STREETS.len()]
        )?;
    }

    // Employers.
    let mut entities = String::from("uscc,name,address,district\n");
    let mut usccs = Vec::new();
    for i in 0..12u32 {
        let d = &codes.districts[(i as usize * 5) % codes.districts.len()];
        let uscc = complete_uscc(&format!("91{}{:09}", d.code, 100_000 + i * 37)).context("uscc")?;
        let name = format!(
            "北京{}{}有限公司（演示）",
            COMPANY[i as usize % COMPANY.len()],
            ["", "第二", "第三"][i as usize % 3]
        );
        writeln!(
            entities,
            "{uscc},{name},北京市{}{}{}号,{}",
            d.name_zh,
            STREETS[i as usize % STREETS.len()],
            100 + i,
            d.code
        )?;
        usccs.push(uscc.as_str().to_string());
    }

    // People.
    let mut registry = String::from(
        "id_number,name,gender,date_of_birth,nationality,ethnicity,id_valid_from,id_valid_until,address,\
         residence_district,mobile,occupation,insurance_types,category,employer_uscc,pension_bank,pension_branch,legacy_cards\n",
    );
    let mut guardianship = String::from("guardian_id,child_id,relationship,guardian_is_householder,same_booklet\n");
    let mut samples: Vec<String> = Vec::new();
    let mut first_individual: Option<(IdNumber, String)> = None;
    let mut first_retiree_branch: Option<(String, String)> = None;
    let districts: Vec<String> = codes.districts.iter().map(|d| d.code.clone()).collect();
    // People by age on the day of seeding: under 7 (cartoon photo), 7–17 (minors), 18–59, 60 and over.
    let mut ages = [0u32; 4];
    let mut row = |g: &mut Gen,
                   age: u32,
                   male: bool,
                   category: &str,
                   extra: (&str, &str, &str),
                   legacy: &str,
                   occupation: &str|
     -> anyhow::Result<(IdNumber, String)> {
        ages[match age {
            0..=6 => 0,
            7..=17 => 1,
            18..=59 => 2,
            _ => 3,
        }] += 1;
        let district = districts[g.rng.gen_range(0..districts.len())].clone();
        let id = g.person_id(age, male, &district)?;
        let name = g.name(male);
        let from = (g.today - Duration::days(g.rng.gen_range(100..3000))).to_string();
        let until = if age >= 46 {
            "长期".to_string()
        } else {
            (g.today + Duration::days(g.rng.gen_range(400..3600))).to_string()
        };
        let insurance = match category {
            "resident_minor" => "medical",
            "retiree" => "pension;medical",
            "employee" => "pension;medical;unemployment;work_injury",
            _ => "pension;medical",
        };
        let ethnicity = ["01", "01", "01", "03", "02", "08"][g.rng.gen_range(0..6)];
        let street = g.pick(STREETS);
        writeln!(
            registry,
            "{id},{name},{},{},CHN,{ethnicity},{from},{until},北京市{street}{}号院{}号楼,{district},{},{occupation},{insurance},{category},{},{},{},{legacy}",
            if male { "male" } else { "female" },
            id.birth_date(),
            g.rng.gen_range(1..200),
            g.rng.gen_range(1..30),
            g.mobile(),
            extra.0, extra.1, extra.2,
        )?;
        Ok((id, name))
    };

    let mut count = std::collections::BTreeMap::<&str, u32>::new();
    let mut card_holders = Vec::new();
    // Individuals aged 18–59, some with second-generation cards.
    for i in 0..60u32 {
        let (id, name) = row(
            &mut g,
            18 + (i * 7) % 42,
            i % 2 == 0,
            "individual",
            ("", "", ""),
            if i % 3 == 0 { "2:102" } else { "" },
            ["2", "3", "4", "6", "8", "N"][i as usize % 6],
        )?;
        *count.entry("individual").or_default() += 1;
        if i < 2 {
            samples.push(format!("  individual  {id}  {name}"));
        }
        if first_individual.is_none() {
            first_individual = Some((id.clone(), name.clone()));
        } else if (10..15).contains(&i) {
            card_holders.push((id.clone(), name.clone()));
        }
    }
    // Retirees aged 60–95, paid through a branch of their pension bank.
    for i in 0..40u32 {
        let (bank, branch) = branch_codes[(i as usize * 11) % branch_codes.len()].clone();
        let (id, name) = row(
            &mut g,
            60 + (i * 3) % 36,
            i % 2 == 1,
            "retiree",
            ("", &bank, &branch),
            if i % 2 == 0 { "1:104;2:105" } else { "2:103" },
            "R",
        )?;
        *count.entry("retiree").or_default() += 1;
        if i < 2 {
            samples.push(format!(
                "  retiree     {id}  {name}  (pension bank {bank}, branch {branch})"
            ));
        }
        if first_retiree_branch.is_none() {
            first_retiree_branch = Some((bank.clone(), branch.clone()));
        }
    }
    // Employees of the demo employers.
    for i in 0..80u32 {
        let employer = usccs[i as usize % usccs.len()].clone();
        let (id, name) = row(
            &mut g,
            20 + (i * 5) % 40,
            i % 2 == 0,
            "employee",
            (&employer, "", ""),
            "",
            ["1", "2", "3", "4", "5", "6"][i as usize % 6],
        )?;
        *count.entry("employee").or_default() += 1;
        if i < 2 {
            samples.push(format!("  employee    {id}  {name}  (employer {employer})"));
        }
    }
    // Children of every age 0–17 (some under 7), each with a guardian who is an individual or an employee.
    for i in 0..36u32 {
        let age = i % 18;
        let parent_male = i % 2 == 0;
        let (parent, pname) = row(&mut g, 30 + (i % 12), parent_male, "individual", ("", "", ""), "", "2")?;
        let (child, cname) = row(&mut g, age, i % 3 == 0, "resident_minor", ("", "", ""), "", "S")?;
        let relation = if parent_male { "51" } else { "52" };
        writeln!(
            guardianship,
            "{parent},{child},{relation},{},{}",
            i % 2 == 0,
            i % 4 != 3
        )?;
        if i % 5 == 0 {
            let (grand, _) = row(&mut g, 62 + (i % 10), true, "individual", ("", "", ""), "", "N")?;
            writeln!(guardianship, "{grand},{child},61,false,false")?;
        }
        *count.entry("resident_minor").or_default() += 1;
        if i < 2 || age == 6 {
            samples.push(format!(
                "  guardian    {parent}  {pname}  of child {child} {cname} (age {age})"
            ));
        }
    }

    for (kind, text) in [
        (ImportKind::Branches, branches),
        (ImportKind::Outlets, outlets),
        (ImportKind::Entities, entities),
        (ImportKind::Registry, registry),
        (ImportKind::Guardianship, guardianship),
    ] {
        let report = import_csv(ctx, kind, text.as_bytes()).await?;
        if report.rejected > 0 {
            anyhow::bail!(
                "demo data rejected by the {kind:?} import: {:?}",
                report.rejected_rows.first()
            );
        }
        lines.push(format!("{kind:?}: {} rows", report.accepted));
    }
    lines.push(format!("registry by category: {count:?}"));
    lines.push(format!(
        "registry by age: under 7: {}, 7–17: {}, 18–59: {}, 60 and over: {}",
        ages[0], ages[1], ages[2], ages[3]
    ));
    lines.push("sample people (invented):".to_string());
    lines.extend(samples);
    let (bank, branch) = first_retiree_branch.context("no retiree in the demo data")?;
    let (person, person_name) = first_individual.context("no individual in the demo data")?;
    let outlet = format!("D-{}", codes.districts[0].code);
    lines.extend(crate::demo_accounts::seed(ctx, &usccs[0], &bank, &branch, &outlet, &person, &person_name).await?);
    lines.extend(crate::demo_cards::seed(ctx, &card_holders, &bank, &branch).await?);
    // Only now is the set whole: a start that finds the flag still "seeding" runs the load again to the end.
    ctx.store.set_setting(SETTING_DEMO_DATA, "true").await?;
    Ok(Seeded { lines })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_demo_person_of_age_n_is_exactly_n_today() {
        // Around a birthday boundary and on a leap day.
        for today in [(2026, 11, 21), (2024, 2, 29), (2026, 1, 1), (2026, 12, 31)] {
            let today = NaiveDate::from_ymd_opt(today.0, today.1, today.2).unwrap();
            let mut g = Gen {
                rng: StdRng::seed_from_u64(7),
                today,
                used: Default::default(),
            };
            for age in [0, 6, 7, 17, 18, 60] {
                for _ in 0..50 {
                    let id = g.person_id(age, true, "110105").unwrap();
                    assert_eq!(id.age_on(today), age, "{id} on {today}");
                }
            }
        }
    }
}
