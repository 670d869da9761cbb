//! Documents: judged from their bytes, then stored content-addressed and attached (SPEC §5.4).

use sscard_domain::account::Principal;
use sscard_domain::application::{Application, ApplicationState, DocumentRef};
use sscard_domain::documents::{DocumentError, DocumentKind, MAX_DOCUMENT_BYTES};

use crate::ports::StoreError;
use crate::AppContext;

use super::*;
use crate::records::*;

/// Judges a document's bytes and attaches it to the draft. The bytes are stored (content-addressed) only
/// when they pass.
pub async fn upload(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    kind: DocumentKind,
    bytes: Vec<u8>,
) -> Result<Application, ApplyError> {
    let mut a = to_act_on(ctx, p, id).await?;
    if !a.state.is_editable() {
        return Err(ApplyError::NotDraft(a.state));
    }
    // SPEC §5.4: a document outside the set this application needs is refused (a cartoon photo replaces the
    // card photo; the matrix decides a child's papers).
    if !a.required_documents().contains(&kind) {
        return Err(ApplyError::DocumentNotRequired(kind));
    }
    let doc = judged(ctx, kind, bytes).await?;
    let now = ctx.clock.now();
    if !ctx.store.set_document(&a.id, kind, &doc, now).await? {
        return Err(ApplyError::NotDraft(ApplicationState::Submitted));
    }
    a.documents.insert(kind, doc);
    a.updated_at = now;
    Ok(a)
}

/// Judges a document from its bytes (at most one decode per core at a time: more would only trade CPU for task
/// switching and memory) and keeps the bytes in the document store; its reference.
pub(crate) async fn judged(ctx: &AppContext, kind: DocumentKind, bytes: Vec<u8>) -> Result<DocumentRef, ApplyError> {
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(ApplyError::Document(DocumentError::TooLarge {
            bytes: bytes.len() as u64,
            max: MAX_DOCUMENT_BYTES,
        }));
    }
    let permit = decode_permits()
        .acquire()
        .await
        .map_err(|e| StoreError::Database(format!("decode permits: {e}")))?;
    let (bytes, verdict) = tokio::task::spawn_blocking(move || {
        let verdict = crate::images::inspect(kind, &bytes);
        (bytes, verdict)
    })
    .await
    .map_err(|e| StoreError::Database(format!("inspection task: {e}")))?;
    drop(permit);
    let facts = verdict.map_err(ApplyError::Document)?;
    let hash = digest(&bytes);
    let doc = DocumentRef {
        hash: hash.clone(),
        media_type: facts.format.media_type().to_string(),
        bytes: facts.bytes,
    };
    ctx.blobs.put(&hash, bytes).await?;
    Ok(doc)
}

fn decode_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new(cores)
    })
}

fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A document's bytes, for whoever may read the application.
pub async fn document(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    kind: DocumentKind,
) -> Result<(DocumentRef, Vec<u8>), ApplyError> {
    let a = readable(ctx, p, id).await?;
    let doc = a.documents.get(&kind).cloned().ok_or(ApplyError::NotFound)?;
    let bytes = ctx.blobs.get(&doc.hash).await?.ok_or(ApplyError::NotFound)?;
    Ok((doc, bytes))
}
