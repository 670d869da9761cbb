//! The texts a holder receives when their card changes (SPEC §7, "the holder is told"): plain words, the card's
//! last four digits, never a link. A change someone else made (a guardian, a proxy, the hotline, a counter) says
//! who and on which channel, so a holder notices a change they did not ask for.

use chrono::{DateTime, FixedOffset};

use super::channels::{Acting, Service};
use crate::access::{Channel, Role};

fn tail(number: &str) -> &str {
    let n = number.len();
    number.get(n.saturating_sub(4)..).unwrap_or(number)
}

fn service_name(s: Service) -> &'static str {
    match s {
        Service::Apply => "申领",
        Service::Activation => "社会保障功能启用",
        Service::FinancialActivation => "金融功能激活",
        Service::TemporaryLoss => "临时挂失",
        Service::FormalLoss => "正式挂失",
        Service::Release => "解挂",
        Service::Replacement => "补换卡",
        Service::Cancellation => "注销",
        Service::PasswordChange => "服务密码修改",
        Service::PasswordReset => "服务密码重置",
        Service::InfoChange => "信息变更",
        Service::StatusQuery => "状态查询",
        Service::InstantCard => "即时制卡",
        Service::BankChange => "变更发卡银行",
    }
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Web => "网上服务平台",
        Channel::Jingtong => "京通",
        Channel::Minsheng => "民生服务",
        Channel::WechatOfficial => "微信公众号",
        Channel::DistrictOutlet => "社保卡服务网点",
        Channel::BankOutlet => "合作银行网点",
        Channel::Hotline => "96066服务热线",
    }
}

/// Who did it, as the holder reads it; `None` when the holder did it themself.
fn by_whom(acting: Acting, role: Option<Role>) -> Option<&'static str> {
    match (acting, role) {
        (Acting::Guardian, _) => Some("您的监护人"),
        (Acting::Proxy, _) => Some("您授权的代办人"),
        (Acting::Holder, Some(Role::HotlineAgent)) => Some("热线座席"),
        (Acting::Holder, Some(Role::BankClerk | Role::OutletClerk)) => Some("柜面工作人员"),
        (Acting::Holder, _) => None,
    }
}

/// The text for a change made through a channel by someone (or the holder).
pub fn change_message(
    number: &str,
    service: Service,
    at: DateTime<FixedOffset>,
    channel: Channel,
    acting: Acting,
    role: Option<Role>,
    loss_until: Option<DateTime<FixedOffset>>,
) -> String {
    let when = at.format("%Y-%m-%d %H:%M");
    let who = match by_whom(acting, role) {
        Some(w) => format!("由{w}通过{}", channel_name(channel)),
        None => format!("通过{}", channel_name(channel)),
    };
    let mut text = format!(
        "【北京社保卡】您尾号{}的社保卡已于{when}{who}办理{}。",
        tail(number),
        service_name(service)
    );
    if let Some(until) = loss_until {
        text.push_str(&format!(
            "社会保障功能临时挂失将于{}自动解除；金融功能请联系发卡银行解挂。",
            until.format("%Y-%m-%d %H:%M")
        ));
    }
    text.push_str("如非本人操作，请致电96066。");
    text
}

/// The text around the card's last four digits when the release job lifts an expired temporary loss (the job
/// writes many in one statement, so the number goes in between).
pub const RELEASED_BEFORE: &str = "【北京社保卡】您尾号";
pub const RELEASED_AFTER: &str = "的社保卡临时挂失已满15天，社会保障功能已自动解挂。如需继续挂失，请办理正式挂失。";

/// The text when the registry changed a field printed on the holder's card: a replacement is required. Where to
/// go, never a link.
pub fn replacement_required_message(number: &str) -> String {
    format!(
        "【北京社保卡】您的参保信息中印制在卡面上的信息已变更，尾号{}的社保卡需要换领。请携带身份证件到发卡银行网点办理，\
         或登录社保卡服务平台申请。",
        tail(number)
    )
}

/// The text when the replacement card is made and waits at the branch.
pub fn replacement_ready_message(old: &str, new: &str, branch: &str) -> String {
    format!(
        "【北京社保卡】您尾号{}的补换社保卡（新卡尾号{}）已制成，请携带身份证件到{branch}领取并启用。",
        tail(old),
        tail(new)
    )
}

/// The text when the bank suspends the account's non-counter business six months after the social-security
/// cancellation.
pub fn non_counter_suspended_message(number: &str) -> String {
    format!(
        "【北京社保卡】您尾号{}的社保卡社会保障功能注销已满6个月，发卡银行已暂停其金融账户的非柜面业务，\
         如需办理请到发卡银行网点。",
        tail(number)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_change_by_someone_else_says_who_and_where_and_never_links() {
        let at = crate::clock::shanghai()
            .with_ymd_and_hms(2026, 12, 7, 9, 30, 0)
            .single()
            .unwrap();
        let own = change_message(
            "BJ12345678",
            Service::Activation,
            at,
            Channel::Web,
            Acting::Holder,
            Some(Role::Resident),
            None,
        );
        assert!(
            own.contains("尾号5678") && own.contains("网上服务平台") && !own.contains("由"),
            "{own}"
        );
        let hotline = change_message(
            "BJ12345678",
            Service::TemporaryLoss,
            at,
            Channel::Hotline,
            Acting::Holder,
            Some(Role::HotlineAgent),
            Some(at + chrono::Duration::days(15)),
        );
        assert!(hotline.contains("由热线座席通过96066服务热线"), "{hotline}");
        assert!(hotline.contains("2026-12-22 09:30"), "{hotline}");
        let proxy = change_message(
            "BJ12345678",
            Service::Activation,
            at,
            Channel::Web,
            Acting::Proxy,
            Some(Role::Resident),
            None,
        );
        assert!(proxy.contains("代办人"), "{proxy}");
        for t in [own, hotline, proxy] {
            assert!(!t.contains("http") && !t.contains("www"), "{t}");
        }
    }
}
