//! Request bodies as they travel: what the OpenAPI document describes and JSON deserialises into, turned into
//! the use cases' own input types at the edge (the use-case crate knows nothing of the wire).

use serde::Deserialize;
use utoipa::ToSchema;

/// Mail details as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailPatch {
    pub recipient: Option<String>,
    pub mobile: Option<String>,
    pub district: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
}

impl From<MailPatch> for sscard_app::applications::MailPatch {
    fn from(m: MailPatch) -> Self {
        Self {
            recipient: m.recipient,
            mobile: m.mobile,
            district: m.district,
            postal_code: m.postal_code,
            address: m.address,
        }
    }
}

/// The fields a request changes; absent fields stay as they are. Any other field (one the service sets, such as
/// `state`, or a misspelt one) is refused by name rather than ignored.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormPatch {
    pub ethnicity: Option<String>,
    pub occupation: Option<String>,
    pub residence_district: Option<String>,
    pub residence_address: Option<String>,
    pub mobile: Option<String>,
    pub bank: Option<String>,
    pub branch: Option<String>,
    /// `branch_pickup`, `bank_mail`, …: one the route allows on this channel.
    pub collection: Option<String>,
    pub mail: Option<MailPatch>,
}

impl From<FormPatch> for sscard_app::applications::FormPatch {
    fn from(p: FormPatch) -> Self {
        Self {
            ethnicity: p.ethnicity,
            occupation: p.occupation,
            residence_district: p.residence_district,
            residence_address: p.residence_address,
            mobile: p.mobile,
            bank: p.bank,
            branch: p.branch,
            collection: p.collection,
            mail: p.mail.map(Into::into),
        }
    }
}

/// The child as the guardian typed them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ChildIn {
    pub name: String,
    #[schema(example = "110105201505050024")]
    pub id_number: String,
    /// `resident_id` or `household_booklet`.
    #[schema(example = "resident_id")]
    pub id_type: String,
}

impl From<ChildIn> for sscard_app::minors::ChildIn {
    fn from(c: ChildIn) -> Self {
        Self {
            name: c.name,
            id_number: c.id_number,
            id_type: c.id_type,
        }
    }
}

/// The child's ID answers as typed (SPEC §5.3). Absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinorPatch {
    /// `resident_id` or `household_booklet`.
    pub id_type: Option<String>,
    /// `YYYY-MM-DD`.
    pub id_valid_from: Option<String>,
    /// `YYYY-MM-DD`.
    pub id_valid_until: Option<String>,
    pub guardian_is_householder: Option<bool>,
    pub same_booklet: Option<bool>,
    /// The system's default cartoon card photo (a child under 7 only).
    pub cartoon_photo: Option<bool>,
}

impl From<MinorPatch> for sscard_app::minors::MinorPatch {
    fn from(m: MinorPatch) -> Self {
        Self {
            id_type: m.id_type,
            id_valid_from: m.id_valid_from,
            id_valid_until: m.id_valid_until,
            guardian_is_householder: m.guardian_is_householder,
            same_booklet: m.same_booklet,
            cartoon_photo: m.cartoon_photo,
        }
    }
}

/// What the clerk records at the counter.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectIn {
    /// The clerk checked the collector's identity document against the person in front of them.
    pub identity_checked: bool,
    /// `holder`, or `guardian` for a minor's card.
    #[schema(example = "holder")]
    pub collector: String,
    /// The guardian's ID number, when a guardian collects.
    pub guardian_id_number: Option<String>,
    /// Activate the social-security function now (the holder asked for it at the counter).
    #[serde(default)]
    pub activate: bool,
}

impl From<CollectIn> for sscard_app::counter::CollectIn {
    fn from(c: CollectIn) -> Self {
        Self {
            identity_checked: c.identity_checked,
            collector: c.collector,
            guardian_id_number: c.guardian_id_number,
            activate: c.activate,
        }
    }
}

/// The settings as the handler typed them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIn {
    /// Open collective application (是否开通单位集中办卡).
    pub open: bool,
    /// The entity collects the cards for its employees (单位代领).
    pub entity_collects: bool,
    #[schema(example = "王经办")]
    pub contact_name: String,
    #[schema(example = "13800138000")]
    pub contact_mobile: String,
    /// Branch codes employees may choose; each names its bank.
    #[schema(example = json!(["102001"]))]
    pub branches: Vec<String>,
}

impl From<SettingsIn> for sscard_app::collective::SettingsIn {
    fn from(s: SettingsIn) -> Self {
        Self {
            open: s.open,
            entity_collects: s.entity_collects,
            contact_name: s.contact_name,
            contact_mobile: s.contact_mobile,
            branches: s.branches,
        }
    }
}

/// Which confirmed employees the handler submits.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Selection {
    /// Application ids from the employee list; ignored when `all_confirmed` is set.
    #[serde(default)]
    pub applications: Vec<String>,
    /// Every employee confirmed right now.
    #[serde(default)]
    pub all_confirmed: bool,
}

impl From<Selection> for sscard_app::collective::Selection {
    fn from(s: Selection) -> Self {
        Self {
            applications: s.applications,
            all_confirmed: s.all_confirmed,
        }
    }
}
