//! Whether the service can serve: the database answers (readiness), and whether it holds demo data (every
//! page of such a database says so).

use crate::ports::{StoreError, SETTING_DEMO_DATA};
use crate::AppContext;

/// The engine's name once the database has answered a query.
pub async fn database(ctx: &AppContext) -> Result<&'static str, StoreError> {
    ctx.store.ping().await?;
    Ok(ctx.store.engine())
}

/// Whether the database holds the demo data set (whole or being loaded).
pub async fn holds_demo_data(ctx: &AppContext) -> Result<bool, StoreError> {
    Ok(ctx.store.setting(SETTING_DEMO_DATA).await?.is_some())
}
