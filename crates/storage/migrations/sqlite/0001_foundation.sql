-- Foundation: reference data and the registries the platform consults (SPEC §4).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE banks (
    code TEXT PRIMARY KEY,
    short TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    supports_online_replacement INTEGER NOT NULL DEFAULT 0 CHECK (supports_online_replacement IN (0, 1))
);

CREATE TABLE branches (
    code TEXT PRIMARY KEY,
    bank TEXT NOT NULL REFERENCES banks(code),
    name TEXT NOT NULL,
    district TEXT NOT NULL,
    address TEXT NOT NULL,
    accepts_pickup INTEGER NOT NULL CHECK (accepts_pickup IN (0, 1)),
    instant_issuance INTEGER NOT NULL CHECK (instant_issuance IN (0, 1)),
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX branches_bank_district ON branches (bank, district);
CREATE INDEX branches_district ON branches (district);

CREATE TABLE outlets (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    district TEXT NOT NULL,
    address TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX outlets_district ON outlets (district);

CREATE TABLE entities (
    uscc TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    district TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE registry_persons (
    id_number TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    gender TEXT NOT NULL CHECK (gender IN ('male', 'female')),
    birth_date TEXT NOT NULL,
    nationality TEXT NOT NULL,
    ethnicity TEXT,
    id_valid_from TEXT NOT NULL,
    id_valid_until TEXT,
    address TEXT NOT NULL,
    residence_district TEXT,
    mobile TEXT,
    occupation TEXT,
    insurance_types TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('employee', 'individual', 'retiree', 'resident_minor')),
    employer_uscc TEXT,
    pension_bank TEXT,
    pension_branch TEXT,
    legacy_cards TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK ((category = 'employee') = (employer_uscc IS NOT NULL)),
    CHECK ((category = 'retiree') = (pension_bank IS NOT NULL AND pension_branch IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX registry_persons_employer ON registry_persons (employer_uscc) WHERE employer_uscc IS NOT NULL;

CREATE TABLE guardianships (
    guardian_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    relationship TEXT NOT NULL,
    guardian_is_householder INTEGER NOT NULL CHECK (guardian_is_householder IN (0, 1)),
    same_booklet INTEGER NOT NULL CHECK (same_booklet IN (0, 1)),
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (guardian_id, child_id)
);
CREATE INDEX guardianships_child ON guardianships (child_id);
