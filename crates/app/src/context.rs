use std::sync::Arc;

use sscard_domain::calendar::WorkdayCalendar;
use sscard_domain::clock::Clock;
use sscard_domain::codes::CodeTables;

use crate::ports::Store;
use crate::realname::FaceVerifier;
use crate::secrets::SecretSource;

/// What every use case needs: cheap to clone, shared by all requests.
#[derive(Clone)]
pub struct AppContext {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub codes: Arc<CodeTables>,
    pub calendar: Arc<WorkdayCalendar>,
    /// Randomness for tokens and codes (the OS generator; a known sequence in tests).
    pub secrets: Arc<dyn SecretSource>,
    /// The real-name face check.
    pub face: Arc<dyn FaceVerifier>,
    /// Where document bytes live.
    pub blobs: Arc<dyn crate::ports::BlobStore>,
    /// Machine credentials recently read (one per context: each context has its own store).
    pub machines: Arc<crate::machines::MachineCache>,
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext")
            .field("engine", &self.store.engine())
            .finish_non_exhaustive()
    }
}
