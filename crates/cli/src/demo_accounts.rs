//! Demo accounts: one of each role and one API client per channel, with known passwords, so the demo can be
//! walked through at once. Created only in a database marked as demo data; seeding again keeps them.

use anyhow::Context;
use sscard_app::accounts::{create_account, create_client, AccountError};
use sscard_app::auth::Meta;
use sscard_app::ports::{AccountConflict, NewAccount};
use sscard_app::secrets::{hash_password, new_id};
use sscard_app::AppContext;
use sscard_domain::access::Channel;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::values::{IdNumber, Mobile, Uscc};

pub const DEMO_PASSWORD: &str = "demo2026pass";
/// The demo bank system's secret: a machine's secret is a long random token (see `sscard_app::secrets`); this
/// one is public, like every demo credential.
pub const DEMO_BANK_SYSTEM_SECRET: &str = "demo-bank-system-secret-not-for-production";

/// A demo channel client's secret (public, long enough to be accepted as a machine secret).
pub fn demo_client_secret(client_id: &str) -> String {
    format!("{client_id}-secret-not-for-production")
}
pub const DEMO_RESIDENT_MOBILE: &str = "13900000001";

fn username(s: &str) -> anyhow::Result<Username> {
    Username::parse(s).map_err(|e| anyhow::anyhow!("{s}: {e}"))
}

pub async fn seed(
    ctx: &AppContext,
    entity: &str,
    bank: &str,
    branch: &str,
    outlet: &str,
    person: &IdNumber,
    person_name: &str,
) -> anyhow::Result<Vec<String>> {
    let meta = Meta::default();
    let mut lines = vec![
        String::new(),
        format!("DEMO ACCOUNTS (password for every one: {DEMO_PASSWORD}; log in at /login, staff at /staff/login):"),
    ];
    // The resident registers like anyone would; here it is made directly, with a known mobile number.
    let resident = NewAccount {
        id: new_id(),
        kind: AccountKind::Resident,
        username: Some(username("demo-resident")?),
        mobile: Some(Mobile::parse(DEMO_RESIDENT_MOBILE).map_err(|e| anyhow::anyhow!("{e}"))?),
        display_name: "演示居民".to_string(),
        password_hash: Some(hash_password(DEMO_PASSWORD).await?),
        created_at: ctx.clock.now(),
    };
    match ctx.store.create_account(&resident, None).await? {
        Ok(_) | Err(AccountConflict::Username | AccountConflict::Mobile) => {}
        Err(c) => anyhow::bail!("demo resident: {c:?}"),
    }
    lines.push(format!(
        "  resident         demo-resident (or mobile {DEMO_RESIDENT_MOBILE}); for real-name authentication use \
         {person_name} {} and any JPEG/PNG photo (demo face check)",
        person.as_str()
    ));
    let staff: [(&str, AccountKind, &str); 6] = [
        (
            "demo-handler",
            AccountKind::EntityHandler {
                entity: Uscc::parse(entity).map_err(|e| anyhow::anyhow!("{e}"))?,
            },
            "演示单位经办人",
        ),
        (
            "demo-bank-clerk",
            AccountKind::BankClerk {
                bank: bank.to_string(),
                branch: branch.to_string(),
            },
            "演示银行柜员",
        ),
        (
            "demo-outlet-clerk",
            AccountKind::OutletClerk {
                outlet: outlet.to_string(),
                district: String::new(),
            },
            "演示网点工作人员",
        ),
        ("demo-hotline", AccountKind::HotlineAgent, "演示热线客服"),
        ("demo-admin", AccountKind::Admin, "演示管理员"),
        (
            "demo-bank-system",
            AccountKind::BankSystem { bank: bank.to_string() },
            "演示银行系统",
        ),
    ];
    for (name, kind, display) in staff {
        let role = kind.role();
        let binding = kind.organisation().unwrap_or_default();
        let secret = match kind {
            AccountKind::BankSystem { .. } => DEMO_BANK_SYSTEM_SECRET,
            _ => DEMO_PASSWORD,
        };
        match create_account(ctx, None, kind, username(name)?, display, secret, &meta).await {
            Ok(_) | Err(AccountError::Taken(AccountConflict::Username)) => {}
            Err(e) => return Err(e).context(format!("demo account {name}")),
        }
        lines.push(format!("  {:<16} {name} {binding}", role.as_str()));
    }
    lines.push(format!(
        "  (the bank system gets tokens with: curl -u demo-bank-system:{DEMO_BANK_SYSTEM_SECRET} -d grant_type=client_credentials \
         http://HOST/api/v1/auth/token)"
    ));
    lines.push("DEMO API CLIENTS (HTTP Basic on /api/v1/auth/*):".to_string());
    for (id, channel) in [
        ("demo-jingtong", Channel::Jingtong),
        ("demo-minsheng", Channel::Minsheng),
        ("demo-wechat", Channel::WechatOfficial),
        ("demo-console", Channel::Web),
    ] {
        let secret = demo_client_secret(id);
        match create_client(ctx, id, &format!("{id} (demo)"), channel, Some(&secret)).await {
            Ok(_) | Err(AccountError::ClientTaken) => {}
            Err(e) => return Err(e).context(format!("demo client {id}")),
        }
        lines.push(format!("  {id}:{secret}  channel {}", channel.as_str()));
    }
    Ok(lines)
}
