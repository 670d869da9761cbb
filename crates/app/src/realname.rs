//! Real-name authentication (实名认证, SPEC §3): the name and ID number must match the insured-person registry,
//! and a face check by an external verifier must pass. Only then may a resident apply.
//!
//! The verifier is a port ([`FaceVerifier`]); its HTTP protocol is in `docs/face-verifier.md`.

use async_trait::async_trait;
use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::security;
use sscard_domain::values::{IdNumber, PersonName};

use crate::auth::{principal_entry, take_quota, AuthError, Meta};
use crate::ports::{AccountConflict, StoreError};
use crate::secrets::new_id;
use crate::AppContext;

/// Largest selfie accepted, in bytes.
pub const MAX_SELFIE_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct FaceCheck {
    pub request_id: String,
    pub id_number: IdNumber,
    pub name: PersonName,
    /// `image/jpeg` or `image/png`.
    pub media_type: &'static str,
    pub photo: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaceVerdict {
    Match,
    /// The verifier's reason code (`face_mismatch`, `not_live`, `poor_quality`, …).
    NoMatch {
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    #[error("the face verifier could not be reached: {0}")]
    Unavailable(String),
    #[error("the face verifier answered outside its protocol: {0}")]
    Protocol(String),
}

#[async_trait]
pub trait FaceVerifier: Send + Sync + std::fmt::Debug {
    async fn verify(&self, check: &FaceCheck) -> Result<FaceVerdict, VerifierError>;
    /// A stand-in that is not a real verifier; production refuses to start with one.
    fn is_test_double(&self) -> bool;
}

/// Demo mode only: passes every photo of a real image type. Refused in production.
#[derive(Debug, Default)]
pub struct DemoFaceVerifier;

#[async_trait]
impl FaceVerifier for DemoFaceVerifier {
    async fn verify(&self, _check: &FaceCheck) -> Result<FaceVerdict, VerifierError> {
        Ok(FaceVerdict::Match)
    }
    fn is_test_double(&self) -> bool {
        true
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RealNameError {
    #[error("only residents authenticate by real name")]
    NotResident,
    #[error("this account is already real-name authenticated")]
    AlreadyVerified,
    #[error("the name is not valid: {0}")]
    BadName(String),
    #[error("the ID number is not valid: {0}")]
    BadIdNumber(String),
    #[error("the photo is not a JPEG or PNG image")]
    BadPhoto,
    #[error("the photo is larger than 5 MB")]
    PhotoTooLarge,
    /// Not in the registry, or the name differs: one answer, so the check is no oracle for the registry.
    #[error("the name and ID number do not match the insured-person registry")]
    NoRegistryMatch,
    #[error("the face check did not pass: {0}")]
    FaceMismatch(String),
    #[error("another account is already authenticated with this ID number")]
    IdNumberTaken,
    #[error(transparent)]
    Verifier(#[from] VerifierError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the photo's first bytes say it is (its declared type is not trusted).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

pub async fn verify_real_name(
    ctx: &AppContext,
    p: &Principal,
    name: &str,
    id_number: &str,
    photo: Vec<u8>,
    meta: &Meta,
) -> Result<(), RealNameError> {
    if p.account.kind != AccountKind::Resident {
        return Err(RealNameError::NotResident);
    }
    if p.account.is_real_name_verified() {
        return Err(RealNameError::AlreadyVerified);
    }
    let today = ctx.clock.now().date_naive();
    let name = PersonName::parse(name).map_err(|e| RealNameError::BadName(e.to_string()));
    let id = IdNumber::parse(id_number, today).map_err(|e| RealNameError::BadIdNumber(e.to_string()));
    let (name, id) = (name?, id?);
    if photo.len() > MAX_SELFIE_BYTES {
        return Err(RealNameError::PhotoTooLarge);
    }
    let media_type = sniff_image(&photo).ok_or(RealNameError::BadPhoto)?;
    take_quota(ctx, &security::REAL_NAME_PER_ACCOUNT, &p.account.id).await?;

    let record = Some(format!("account:{}", p.account.id));
    let refuse = |reason: RealNameError| async {
        let e = principal_entry(
            ctx,
            p,
            AuditAction::RealNameRefused,
            Outcome::Refused,
            record.clone(),
            meta,
        );
        ctx.store.append_audit(&e).await?;
        Err::<(), RealNameError>(reason)
    };
    let matches = ctx
        .store
        .person(&id)
        .await?
        .is_some_and(|person| person.name.as_str() == name.as_str());
    if !matches {
        return refuse(RealNameError::NoRegistryMatch).await;
    }
    let verdict = ctx
        .face
        .verify(&FaceCheck {
            request_id: new_id(),
            id_number: id.clone(),
            name: name.clone(),
            media_type,
            photo,
        })
        .await?;
    if let FaceVerdict::NoMatch { reason } = verdict {
        return refuse(RealNameError::FaceMismatch(reason)).await;
    }
    let mut e = principal_entry(
        ctx,
        p,
        AuditAction::RealNameVerified,
        Outcome::Success,
        record.clone(),
        meta,
    );
    e.subject_person = None;
    match ctx
        .store
        .bind_real_name(&p.account.id, &id, &name, ctx.clock.now(), Some(&e))
        .await?
    {
        Ok(()) => Ok(()),
        Err(AccountConflict::IdNumber) => refuse(RealNameError::IdNumberTaken).await,
        Err(other) => Err(StoreError::Database(format!("unexpected conflict {other:?}")).into()),
    }
}
