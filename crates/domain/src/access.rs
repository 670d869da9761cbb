//! Roles and channels (SPEC §2). Every request acts as exactly one role through exactly one channel.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    EntityHandler,
    BankClerk,
    OutletClerk,
    HotlineAgent,
    BankSystem,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Jingtong,
    Minsheng,
    WechatOfficial,
    DistrictOutlet,
    BankOutlet,
    Hotline,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Resident,
        Role::EntityHandler,
        Role::BankClerk,
        Role::OutletClerk,
        Role::HotlineAgent,
        Role::BankSystem,
        Role::Admin,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::EntityHandler => "entity_handler",
            Role::BankClerk => "bank_clerk",
            Role::OutletClerk => "outlet_clerk",
            Role::HotlineAgent => "hotline_agent",
            Role::BankSystem => "bank_system",
            Role::Admin => "admin",
        }
    }
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Web,
        Channel::Jingtong,
        Channel::Minsheng,
        Channel::WechatOfficial,
        Channel::DistrictOutlet,
        Channel::BankOutlet,
        Channel::Hotline,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Jingtong => "jingtong",
            Channel::Minsheng => "minsheng",
            Channel::WechatOfficial => "wechat_official",
            Channel::DistrictOutlet => "district_outlet",
            Channel::BankOutlet => "bank_outlet",
            Channel::Hotline => "hotline",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// Online channels are the portal and the API clients (the "online" column of SPEC §7.4).
    pub fn is_online(self) -> bool {
        matches!(
            self,
            Channel::Web | Channel::Jingtong | Channel::Minsheng | Channel::WechatOfficial
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::ALL.iter().filter(|c| c.is_online()).count(), 4);
    }
}
