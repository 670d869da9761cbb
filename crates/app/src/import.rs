//! CSV imports (SPEC §4.1–4.3, §10).
//!
//! Each row is parsed into a domain record or rejected with its row number and a reason; a rejected row stores
//! nothing. Accepted rows are written in batches inside one transaction, and a key already stored is updated,
//! never duplicated. A missing column is fatal and stores nothing at all.
//!
//! Row numbers count the header as row 1, as a spreadsheet shows them.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use chrono::NaiveDate;
use serde::Serialize;
use sscard_domain::codes::{CodeTables, Table};
use sscard_domain::registry::{
    is_valid_site_code, Branch, Entity, Guardianship, InsuranceType, InsuredPerson, LegacyCard, Membership, Outlet,
};
use sscard_domain::values::{Gender, IdNumber, Mobile, PersonName, Uscc};

use crate::ports::{ImportBatch, ImportCounts, StoreError};
use crate::AppContext;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Registry,
    Entities,
    Guardianship,
    Branches,
    Outlets,
}

impl ImportKind {
    pub fn parse(s: &str) -> Option<ImportKind> {
        match s {
            "registry" => Some(ImportKind::Registry),
            "entities" => Some(ImportKind::Entities),
            "guardianship" => Some(ImportKind::Guardianship),
            "branches" => Some(ImportKind::Branches),
            "outlets" => Some(ImportKind::Outlets),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Registry => "registry",
            ImportKind::Entities => "entities",
            ImportKind::Guardianship => "guardianship",
            ImportKind::Branches => "branches",
            ImportKind::Outlets => "outlets",
        }
    }

    /// The columns a file of this kind must have (in any order; extra columns are ignored).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Registry => &[
                "id_number",
                "name",
                "gender",
                "date_of_birth",
                "nationality",
                "ethnicity",
                "id_valid_from",
                "id_valid_until",
                "address",
                "residence_district",
                "mobile",
                "occupation",
                "insurance_types",
                "category",
                "employer_uscc",
                "pension_bank",
                "pension_branch",
                "legacy_cards",
            ],
            ImportKind::Entities => &["uscc", "name", "address", "district"],
            ImportKind::Guardianship => &[
                "guardian_id",
                "child_id",
                "relationship",
                "guardian_is_householder",
                "same_booklet",
            ],
            ImportKind::Branches => &[
                "code",
                "bank",
                "name",
                "district",
                "address",
                "accepts_pickup",
                "instant_issuance",
            ],
            ImportKind::Outlets => &["code", "name", "district", "address"],
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RejectedRow {
    pub row: u64,
    pub column: Option<&'static str>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub kind: ImportKind,
    pub accepted: u64,
    pub rejected: u64,
    /// The first [`MAX_REPORTED_ROWS`] rejected rows, in file order.
    pub rejected_rows: Vec<RejectedRow>,
}

pub const MAX_REPORTED_ROWS: usize = 10_000;
const BATCH: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file has no header row")]
    NoHeader,
    #[error("the file lacks the column(s) {0:?}")]
    MissingColumns(Vec<&'static str>),
    #[error("the file could not be read: {0}")]
    Read(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a row parser may consult: code tables, today, and what is already known.
pub struct RowContext<'a> {
    pub codes: &'a CodeTables,
    pub today: NaiveDate,
    pub entities: HashSet<String>,
    pub branch_banks: HashMap<String, String>,
}

/// `YYYY-MM-DD` and nothing else; a direct parse, since chrono's format-string parser dominated import profiles.
fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

type RowResult<T> = Result<T, (Option<&'static str>, String)>;

struct Row<'r> {
    record: &'r csv::StringRecord,
    index: &'r HashMap<&'static str, usize>,
}

impl<'r> Row<'r> {
    fn get(&self, col: &'static str) -> &'r str {
        self.index
            .get(col)
            .and_then(|i| self.record.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }
    fn opt(&self, col: &'static str) -> Option<&'r str> {
        Some(self.get(col)).filter(|s| !s.is_empty())
    }
    fn required(&self, col: &'static str) -> RowResult<&'r str> {
        self.opt(col).ok_or((Some(col), format!("{col} is required")))
    }
    /// A text cell: the same free-text rule as the API and the portal (NFC, no control characters, no
    /// direction marks, at most `max` characters).
    fn text(&self, col: &'static str, max: usize) -> RowResult<String> {
        let v = self.required(col)?;
        sscard_domain::values::FreeText::parse(v, max)
            .map(sscard_domain::values::FreeText::into_string)
            .map_err(|e| (Some(col), format!("{col}: {e}")))
    }
    fn code(&self, ctx: &RowContext<'_>, col: &'static str, table: Table) -> RowResult<String> {
        let v = self.required(col)?;
        if ctx.codes.contains(table, v) {
            Ok(v.to_string())
        } else {
            Err((Some(col), format!("unknown {} code {v:?}", table.as_str())))
        }
    }
    fn opt_code(&self, ctx: &RowContext<'_>, col: &'static str, table: Table) -> RowResult<Option<String>> {
        match self.opt(col) {
            None => Ok(None),
            Some(_) => self.code(ctx, col, table).map(Some),
        }
    }
    fn date(&self, col: &'static str) -> RowResult<NaiveDate> {
        let v = self.required(col)?;
        parse_iso_date(v).ok_or_else(|| (Some(col), format!("{col} {v:?} is not a date (YYYY-MM-DD)")))
    }
    fn flag(&self, col: &'static str) -> RowResult<bool> {
        match self.required(col)? {
            "true" | "yes" | "1" | "是" | "Y" | "y" => Ok(true),
            "false" | "no" | "0" | "否" | "N" | "n" => Ok(false),
            other => Err((Some(col), format!("{col} must be true or false, not {other:?}"))),
        }
    }
    fn id(&self, ctx: &RowContext<'_>, col: &'static str) -> RowResult<IdNumber> {
        IdNumber::parse(self.get(col), ctx.today).map_err(|e| (Some(col), e.to_string()))
    }
}

fn parse_person(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<InsuredPerson> {
    let id_number = row.id(ctx, "id_number")?;
    let name = PersonName::parse(row.get("name")).map_err(|e| (Some("name"), e.to_string()))?;
    let gender =
        Gender::parse(row.required("gender")?).ok_or((Some("gender"), "gender must be male or female".to_string()))?;
    if gender != id_number.gender() {
        return Err((
            Some("gender"),
            format!("gender {} disagrees with the ID number", gender.as_str()),
        ));
    }
    let dob = row.date("date_of_birth")?;
    if dob != id_number.birth_date() {
        return Err((
            Some("date_of_birth"),
            format!("date of birth {dob} disagrees with the ID number"),
        ));
    }
    let nationality = row.code(ctx, "nationality", Table::Nationality)?;
    let ethnicity = row.opt_code(ctx, "ethnicity", Table::EthnicGroup)?;
    let id_valid_from = row.date("id_valid_from")?;
    let id_valid_until = match row.opt("id_valid_until") {
        None | Some("长期") | Some("long_term") => None,
        Some(_) => Some(row.date("id_valid_until")?),
    };
    if let Some(until) = id_valid_until {
        if until <= id_valid_from {
            return Err((Some("id_valid_until"), "ID validity ends before it starts".to_string()));
        }
    }
    let address = row.text("address", 200)?;
    let residence_district = row.opt_code(ctx, "residence_district", Table::District)?;
    let mobile = match row.opt("mobile") {
        None => None,
        Some(m) => Some(Mobile::parse(m).map_err(|e| (Some("mobile"), e.to_string()))?),
    };
    let occupation = row.opt_code(ctx, "occupation", Table::Occupation)?;
    let mut insurance = Vec::new();
    for part in row
        .get("insurance_types")
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let t =
            InsuranceType::parse(part).ok_or((Some("insurance_types"), format!("unknown insurance type {part:?}")))?;
        if !insurance.contains(&t) {
            insurance.push(t);
        }
    }
    insurance.sort();
    let category = row.required("category")?;
    let no_extra = |cols: &[&'static str]| -> RowResult<()> {
        match cols.iter().find(|c| row.opt(c).is_some()) {
            Some(c) => Err((
                Some(*c),
                format!(
                    "{c} is only for {}",
                    if *c == "employer_uscc" { "employees" } else { "retirees" }
                ),
            )),
            None => Ok(()),
        }
    };
    let membership = match category {
        "employee" => {
            no_extra(&["pension_bank", "pension_branch"])?;
            let employer =
                Uscc::parse(row.required("employer_uscc")?).map_err(|e| (Some("employer_uscc"), e.to_string()))?;
            if !ctx.entities.contains(employer.as_str()) {
                return Err((
                    Some("employer_uscc"),
                    format!("employer {employer} is not known: import entities first"),
                ));
            }
            Membership::Employee { employer }
        }
        "retiree" => {
            no_extra(&["employer_uscc"])?;
            let bank = row.code(ctx, "pension_bank", Table::Bank)?;
            let branch = row.required("pension_branch")?;
            match ctx.branch_banks.get(branch) {
                None => {
                    return Err((
                        Some("pension_branch"),
                        format!("branch {branch:?} is not known: import branches first"),
                    ))
                }
                Some(b) if *b != bank => {
                    return Err((
                        Some("pension_branch"),
                        format!("branch {branch} belongs to bank {b}, not {bank}"),
                    ))
                }
                Some(_) => {}
            }
            Membership::Retiree {
                pension_bank: bank,
                pension_branch: branch.to_string(),
            }
        }
        "individual" | "resident_minor" => {
            no_extra(&["employer_uscc", "pension_bank", "pension_branch"])?;
            if category == "individual" {
                Membership::Individual
            } else {
                Membership::ResidentMinor
            }
        }
        other => {
            return Err((
                Some("category"),
                format!("category {other:?} must be employee, individual, retiree or resident_minor"),
            ))
        }
    };
    let mut legacy_cards = Vec::new();
    for part in row
        .get("legacy_cards")
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let bad = || {
            (
                Some("legacy_cards"),
                format!("legacy card {part:?} must be generation:bank, e.g. 2:102"),
            )
        };
        let (g, bank) = part.split_once(':').ok_or_else(bad)?;
        let generation = match g {
            "1" => 1,
            "2" => 2,
            _ => return Err(bad()),
        };
        if ctx.codes.bank(bank).is_none() {
            return Err((Some("legacy_cards"), format!("unknown bank code {bank:?}")));
        }
        legacy_cards.push(LegacyCard {
            generation,
            bank: bank.to_string(),
        });
    }
    Ok(InsuredPerson {
        id_number,
        name,
        gender,
        nationality,
        ethnicity,
        id_valid_from,
        id_valid_until,
        address,
        residence_district,
        mobile,
        occupation,
        insurance,
        membership,
        legacy_cards,
    })
}

fn parse_entity(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Entity> {
    Ok(Entity {
        uscc: Uscc::parse(row.get("uscc")).map_err(|e| (Some("uscc"), e.to_string()))?,
        name: row.text("name", 200)?,
        address: row.text("address", 200)?,
        district: row.code(ctx, "district", Table::District)?,
    })
}

fn parse_guardianship(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Guardianship> {
    let guardian = row.id(ctx, "guardian_id")?;
    let child = row.id(ctx, "child_id")?;
    if guardian == child {
        return Err((Some("child_id"), "a person cannot be their own guardian".to_string()));
    }
    if child.birth_date() <= guardian.birth_date() {
        return Err((
            Some("child_id"),
            "the child is not younger than the guardian".to_string(),
        ));
    }
    Ok(Guardianship {
        guardian,
        child,
        relationship: row.code(ctx, "relationship", Table::GuardianRelationship)?,
        guardian_is_householder: row.flag("guardian_is_householder")?,
        same_booklet: row.flag("same_booklet")?,
    })
}

fn site_code(row: &Row<'_>) -> RowResult<String> {
    let code = row.required("code")?;
    if is_valid_site_code(code) {
        Ok(code.to_string())
    } else {
        Err((
            Some("code"),
            format!("code {code:?} must be 1–32 letters, digits or '-'"),
        ))
    }
}

fn parse_branch(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Branch> {
    Ok(Branch {
        code: site_code(row)?,
        bank: row.code(ctx, "bank", Table::Bank)?,
        name: row.text("name", 200)?,
        district: row.code(ctx, "district", Table::District)?,
        address: row.text("address", 200)?,
        accepts_pickup: row.flag("accepts_pickup")?,
        instant_issuance: row.flag("instant_issuance")?,
    })
}

fn parse_outlet(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Outlet> {
    Ok(Outlet {
        code: site_code(row)?,
        name: row.text("name", 200)?,
        district: row.code(ctx, "district", Table::District)?,
        address: row.text("address", 200)?,
    })
}

/// A kind of import record: how a row becomes one, the key that must be unique within a file, and the batch
/// that carries it to storage.
trait Record: Sized + Send + 'static {
    fn parse(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Self>;
    fn key(&self) -> String;
    fn batch(rows: Vec<Self>) -> ImportBatch;
}

impl Record for InsuredPerson {
    fn parse(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Self> {
        parse_person(row, ctx)
    }
    fn key(&self) -> String {
        self.id_number.as_str().to_string()
    }
    fn batch(rows: Vec<Self>) -> ImportBatch {
        ImportBatch::Persons(rows)
    }
}

impl Record for Entity {
    fn parse(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Self> {
        parse_entity(row, ctx)
    }
    fn key(&self) -> String {
        self.uscc.as_str().to_string()
    }
    fn batch(rows: Vec<Self>) -> ImportBatch {
        ImportBatch::Entities(rows)
    }
}

impl Record for Guardianship {
    fn parse(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Self> {
        parse_guardianship(row, ctx)
    }
    fn key(&self) -> String {
        format!("{}/{}", self.guardian, self.child)
    }
    fn batch(rows: Vec<Self>) -> ImportBatch {
        ImportBatch::Guardianships(rows)
    }
}

impl Record for Branch {
    fn parse(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Self> {
        parse_branch(row, ctx)
    }
    fn key(&self) -> String {
        self.code.clone()
    }
    fn batch(rows: Vec<Self>) -> ImportBatch {
        ImportBatch::Branches(rows)
    }
}

impl Record for Outlet {
    fn parse(row: &Row<'_>, ctx: &RowContext<'_>) -> RowResult<Self> {
        parse_outlet(row, ctx)
    }
    fn key(&self) -> String {
        self.code.clone()
    }
    fn batch(rows: Vec<Self>) -> ImportBatch {
        ImportBatch::Outlets(rows)
    }
}

/// Where each of `kind`'s columns is in the file's header (a UTF-8 byte-order mark before the first is
/// ignored); every column must be there.
fn column_index<R: Read>(
    kind: ImportKind,
    reader: &mut csv::Reader<R>,
) -> Result<HashMap<&'static str, usize>, ImportError> {
    let headers = reader.headers().map_err(|e| ImportError::Read(e.to_string()))?.clone();
    if headers.is_empty() {
        return Err(ImportError::NoHeader);
    }
    let missing = missing_columns(kind.columns(), &headers);
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing));
    }
    Ok(kind
        .columns()
        .iter()
        .filter_map(|c| column_position(&headers, c).map(|i| (*c, i)))
        .collect())
}

/// Where a column is in a header row (a spreadsheet's byte-order mark and spaces ignored).
fn column_position(headers: &csv::StringRecord, column: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim().trim_start_matches('\u{feff}') == column)
}

/// The columns of `wanted` a header row lacks, in `wanted`'s order.
pub fn missing_columns(wanted: &[&'static str], headers: &csv::StringRecord) -> Vec<&'static str> {
    wanted
        .iter()
        .copied()
        .filter(|c| column_position(headers, c).is_none())
        .collect()
}

/// One row's verdict: accepted, or the column and reason it is refused with.
pub type RowVerdict = Result<(), (Option<&'static str>, String)>;

/// Reads a CSV file of `kind` as [`import_csv`] does and judges each data row by the same parsers, storing
/// nothing (no I/O: the fuzz target drives it, and so can a check before an import).
pub fn check_rows(kind: ImportKind, input: &[u8], ctx: &RowContext<'_>) -> Result<Vec<RowVerdict>, ImportError> {
    fn judge<T: Record>(row: &Row<'_>, ctx: &RowContext<'_>) -> RowVerdict {
        T::parse(row, ctx).map(|_| ())
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let index = column_index(kind, &mut reader)?;
    let mut verdicts = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                verdicts.push(Err((None, format!("the row cannot be read: {e}"))));
                continue;
            }
        }
        let row = Row {
            record: &record,
            index: &index,
        };
        verdicts.push(match kind {
            ImportKind::Registry => judge::<InsuredPerson>(&row, ctx),
            ImportKind::Entities => judge::<Entity>(&row, ctx),
            ImportKind::Guardianship => judge::<Guardianship>(&row, ctx),
            ImportKind::Branches => judge::<Branch>(&row, ctx),
            ImportKind::Outlets => judge::<Outlet>(&row, ctx),
        });
    }
    Ok(verdicts)
}

/// Told as an import goes (the console's import jobs): the counts after each batch, and every rejected row
/// (the report keeps only the first [`MAX_REPORTED_ROWS`]).
pub trait ImportObserver: Send {
    fn counts(&mut self, counts: ImportCounts);
    fn rejected(&mut self, row: &RejectedRow);
}

/// Nobody watching (the CLI prints the report at the end).
struct Unobserved;

impl ImportObserver for Unobserved {
    fn counts(&mut self, _: ImportCounts) {}
    fn rejected(&mut self, _: &RejectedRow) {}
}

/// Imports one CSV file of `kind`.
pub async fn import_csv<R: Read + Send>(
    ctx: &AppContext,
    kind: ImportKind,
    input: R,
) -> Result<ImportReport, ImportError> {
    import_csv_observed(ctx, kind, input, &mut Unobserved).await
}

/// Imports one CSV file of `kind`, telling `observer` how it goes.
pub async fn import_csv_observed<R: Read + Send>(
    ctx: &AppContext,
    kind: ImportKind,
    input: R,
    observer: &mut dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    match kind {
        ImportKind::Registry => import_records::<InsuredPerson, R>(ctx, kind, input, observer).await,
        ImportKind::Entities => import_records::<Entity, R>(ctx, kind, input, observer).await,
        ImportKind::Guardianship => import_records::<Guardianship, R>(ctx, kind, input, observer).await,
        ImportKind::Branches => import_records::<Branch, R>(ctx, kind, input, observer).await,
        ImportKind::Outlets => import_records::<Outlet, R>(ctx, kind, input, observer).await,
    }
}

async fn import_records<T: Record, R: Read + Send>(
    ctx: &AppContext,
    kind: ImportKind,
    input: R,
    observer: &mut dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let index = column_index(kind, &mut reader)?;
    let (entities, branch_banks) = match kind {
        ImportKind::Registry => (ctx.store.entity_usccs().await?, ctx.store.branch_banks().await?),
        _ => (HashSet::new(), HashMap::new()),
    };
    let row_ctx = RowContext {
        codes: &ctx.codes,
        today: ctx.clock.today(),
        entities,
        branch_banks,
    };

    // Parsing and writing overlap: a writer task owns the session and takes batches from a short queue.
    let session = ctx.store.begin_import().await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ImportBatch>(2);
    let writer = tokio::spawn(async move {
        let mut session = session;
        while let Some(batch) = rx.recv().await {
            session.write(&batch).await?;
        }
        Ok::<_, StoreError>(session)
    });
    let mut pending: Vec<T> = Vec::with_capacity(BATCH);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut report = ImportReport {
        kind,
        accepted: 0,
        rejected: 0,
        rejected_rows: Vec::new(),
    };
    let mut record = csv::StringRecord::new();
    let mut row_number: u64 = 1;
    let mut printed = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A malformed record (e.g. invalid UTF-8) is one bad row, not a failed import.
                row_number += 1;
                report.reject(observer, row_number, None, format!("the row cannot be read: {e}"));
                continue;
            }
        }
        row_number += 1;
        match T::parse(
            &Row {
                record: &record,
                index: &index,
            },
            &row_ctx,
        ) {
            Ok(parsed) => match seen.entry(parsed.key()) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    report.reject(
                        observer,
                        row_number,
                        None,
                        format!("the same record as row {}", first.get()),
                    );
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(row_number);
                    pending.push(parsed);
                    report.accepted += 1;
                }
            },
            Err((column, reason)) => report.reject(observer, row_number, column, reason),
        }
        if (row_number - 1).is_multiple_of(BATCH as u64) {
            observer.counts(report.counts(row_number - 1));
        }
        if pending.len() >= BATCH {
            let batch = T::batch(std::mem::take(&mut pending));
            printed.extend(printed_changes(ctx, &batch).await?);
            if tx.send(batch).await.is_err() {
                break; // the writer failed; its error is reported below
            }
        }
    }
    if !pending.is_empty() {
        let batch = T::batch(pending);
        printed.extend(printed_changes(ctx, &batch).await?);
        let _ = tx.send(batch).await;
    }
    drop(tx);
    let session = writer
        .await
        .map_err(|e| StoreError::Database(format!("import writer stopped: {e}")))??;
    session.commit().await?;
    observer.counts(report.counts(row_number - 1));
    let flagged = crate::cards::printed::flag(ctx, &printed).await?;
    tracing::info!(kind = ?kind, accepted = report.accepted, rejected = report.rejected, flagged, "import finished");
    Ok(report)
}

/// A registry batch's changes to fields printed on live cards (SPEC §7.2), read before it is written.
async fn printed_changes(
    ctx: &AppContext,
    batch: &ImportBatch,
) -> Result<Vec<crate::ports::PrintedFieldFlag>, StoreError> {
    match batch {
        ImportBatch::Persons(rows) => crate::cards::printed::changes_in(ctx, rows).await,
        _ => Ok(Vec::new()),
    }
}

impl ImportReport {
    fn reject(&mut self, observer: &mut dyn ImportObserver, row: u64, column: Option<&'static str>, reason: String) {
        self.rejected += 1;
        let rejected = RejectedRow { row, column, reason };
        observer.rejected(&rejected);
        if self.rejected_rows.len() < MAX_REPORTED_ROWS {
            self.rejected_rows.push(rejected);
        }
    }

    fn counts(&self, read: u64) -> ImportCounts {
        ImportCounts {
            read,
            accepted: self.accepted,
            rejected: self.rejected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_iso_date;
    use chrono::NaiveDate;

    #[test]
    fn iso_dates_parse_strictly() {
        assert_eq!(parse_iso_date("2026-02-28"), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(parse_iso_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "2026/01/01",
            "20260101",
            "2026-01-0a",
            "２026-01-01",
            "",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }
}
