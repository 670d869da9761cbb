//! Demo cards: one holder with a card in each state of its social-security function (not yet activated,
//! active, temporarily lost, formally lost, cancelled), each with a resident account bound to them, so a
//! newcomer can try every service of the card's life at once. Created only with the rest of the demo data.

use anyhow::Context;
use sscard_app::cards::demo::{issue, DemoCard};
use sscard_app::ports::{AccountConflict, NewAccount};
use sscard_app::secrets::{hash_password, new_id};
use sscard_app::AppContext;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::card::SocialSecurityState as S;
use sscard_domain::values::{IdNumber, Mobile, PersonName};

use crate::demo_accounts::DEMO_PASSWORD;

const STATES: [(S, &str, bool); 5] = [
    (S::PendingActivation, "pending", false),
    (S::Active, "active", true),
    (S::TempLoss, "lost", true),
    (S::FormalLoss, "formal-loss", true),
    (S::Cancelled, "cancelled", false),
];

/// `holders`: invented registry people (ID number, name), one per state; `bank`/`branch`: the demo clerk's.
pub async fn seed(
    ctx: &AppContext,
    holders: &[(IdNumber, String)],
    bank: &str,
    branch: &str,
) -> anyhow::Result<Vec<String>> {
    let mut lines =
        vec!["DEMO CARDS (log in at /login with the password above, then open 我的社保卡 at /cards):".to_string()];
    let password = hash_password(DEMO_PASSWORD).await?;
    for (i, ((state, tag, financial), (holder, name))) in STATES.iter().zip(holders).enumerate() {
        let username = format!("demo-card-{tag}");
        let account = NewAccount {
            id: new_id(),
            kind: AccountKind::Resident,
            username: Some(Username::parse(&username).map_err(|e| anyhow::anyhow!("{e}"))?),
            mobile: None,
            display_name: name.clone(),
            password_hash: Some(password.clone()),
            created_at: ctx.clock.now(),
        };
        let id = match ctx.store.create_account(&account, None).await? {
            Ok(a) => a.id,
            // Seeding again: the holder and their card are there already.
            Err(AccountConflict::Username) => continue,
            Err(c) => anyhow::bail!("demo card holder {username}: {c:?}"),
        };
        let person_name = PersonName::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Err(c) = ctx
            .store
            .bind_real_name(&id, holder, &person_name, ctx.clock.now(), None)
            .await?
        {
            anyhow::bail!("demo card holder {username}: {c:?}");
        }
        let number = format!("BJDEMO{:04}", i + 1);
        let card = DemoCard {
            number: number.clone(),
            holder: holder.clone(),
            applicant: id,
            mobile: Mobile::parse(&format!("1390000100{i}")).map_err(|e| anyhow::anyhow!("{e}"))?,
            bank: bank.to_string(),
            branch: branch.to_string(),
            social_security: *state,
            financial_active: *financial,
            loss_until: None,
        };
        issue(ctx, &card).await.context(format!("demo card {number}"))?;
        lines.push(format!(
            "  {username:<22} {name} {}  card {number}: {}",
            holder.as_str(),
            state.as_str()
        ));
    }
    // The demo bank takes replacements online, so 网上换领 can be tried with the active card.
    sscard_app::reference::set_online_replacement(ctx, bank, true).await?;
    lines.push(format!(
        "  bank {bank} takes replacements of damaged cards online (网上换领); a lost card is reissued at its counter"
    ));
    Ok(lines)
}
