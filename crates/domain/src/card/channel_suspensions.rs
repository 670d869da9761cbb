//! The cells of the §7.4 table the bureau has suspended for a while (a channel's system down, an incident), laid
//! over the table: a suspended cell is refused like a closed one, and only open channels are named instead.

use super::channels::{cell, Acting, Condition, Service, WrongChannel};
use crate::access::Channel;

/// Cells of the table the bureau has suspended for a while (a channel's system down, an incident): a service on a
/// channel, for everyone acting there. Suspending can only close what the table opens, never open what it closes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suspensions(Vec<(Service, Channel)>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SuspensionError {
    #[error("the setting is not a list of service:channel pairs")]
    Malformed,
    /// The SPEC's table does not offer the service there: nothing to suspend.
    #[error("not offered on that channel")]
    NotOffered,
}

impl Suspensions {
    /// From the setting's text: `service:channel` pairs separated by commas (empty: none).
    pub fn parse(text: &str) -> Result<Suspensions, SuspensionError> {
        let mut out = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (s, c) = pair.split_once(':').ok_or(SuspensionError::Malformed)?;
            let s = Service::parse(s).ok_or(SuspensionError::Malformed)?;
            let c = Channel::parse(c).ok_or(SuspensionError::Malformed)?;
            if !out.contains(&(s, c)) {
                out.push((s, c));
            }
        }
        out.sort_by_key(|(s, c)| (*s, c.as_str()));
        Ok(Suspensions(out))
    }

    pub fn as_setting(&self) -> String {
        self.0
            .iter()
            .map(|(s, c)| format!("{}:{}", s.as_str(), c.as_str()))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn contains(&self, service: Service, channel: Channel) -> bool {
        self.0.contains(&(service, channel))
    }

    pub fn pairs(&self) -> &[(Service, Channel)] {
        &self.0
    }

    /// The list with the cell suspended (`true`) or restored; suspending a cell the table closes is refused.
    pub fn with(&self, service: Service, channel: Channel, suspended: bool) -> Result<Suspensions, SuspensionError> {
        let offered = Acting::ALL.iter().any(|a| cell(service, channel, *a).allowed);
        if suspended && !offered {
            return Err(SuspensionError::NotOffered);
        }
        let mut out: Vec<(Service, Channel)> = self.0.iter().copied().filter(|p| *p != (service, channel)).collect();
        if suspended {
            out.push((service, channel));
            out.sort_by_key(|(s, c)| (*s, c.as_str()));
        }
        Ok(Suspensions(out))
    }
}

/// [`check`] with the bureau's suspensions: a suspended cell is refused like a closed one, and the channels named
/// instead are only those still open.
pub fn check_with(
    service: Service,
    channel: Channel,
    acting: Acting,
    suspended: &Suspensions,
) -> Result<Vec<Condition>, WrongChannel> {
    let open = |ch: Channel| cell(service, ch, acting).allowed && !suspended.contains(service, ch);
    if open(channel) {
        return Ok(cell(service, channel, acting).conditions);
    }
    Err(WrongChannel {
        service,
        channel,
        acting,
        alternatives: Channel::ALL.into_iter().filter(|ch| open(*ch)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::channels::check;
    use super::*;

    #[test]
    fn a_suspended_cell_is_refused_and_never_named_as_an_alternative() {
        let none = Suspensions::default();
        let web_loss = none.with(Service::TemporaryLoss, Channel::Web, true).unwrap();
        assert_eq!(web_loss.as_setting(), "temporary_loss:web");
        assert_eq!(Suspensions::parse(&web_loss.as_setting()), Ok(web_loss.clone()));
        let refused = check_with(Service::TemporaryLoss, Channel::Web, Acting::Holder, &web_loss).unwrap_err();
        assert!(!refused.alternatives.contains(&Channel::Web));
        assert!(refused.alternatives.contains(&Channel::Hotline));
        let refused = check_with(
            Service::TemporaryLoss,
            Channel::DistrictOutlet,
            Acting::Holder,
            &web_loss,
        );
        assert!(refused.is_ok(), "other channels stay open");
        assert_eq!(
            check_with(Service::TemporaryLoss, Channel::Web, Acting::Holder, &none),
            check(Service::TemporaryLoss, Channel::Web, Acting::Holder)
        );
        // Restoring empties it; a cell the table closes cannot be suspended; rubbish is refused.
        assert_eq!(
            web_loss.with(Service::TemporaryLoss, Channel::Web, false),
            Ok(none.clone())
        );
        assert_eq!(
            none.with(Service::FormalLoss, Channel::Web, true),
            Err(SuspensionError::NotOffered)
        );
        assert_eq!(Suspensions::parse("temporary_loss"), Err(SuspensionError::Malformed));
        assert_eq!(Suspensions::parse(""), Ok(none));
    }
}
