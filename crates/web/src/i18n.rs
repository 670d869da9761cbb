//! Localisation: Fluent message files (`locales/*/main.ftl`) compiled into the binary.
//! Simplified Chinese is the default; English on a switch (portal) or by `Accept-Language` (API).

use std::collections::BTreeMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::langid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::ZhCn)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
    /// The preferred supported language of an `Accept-Language` header (by q-value), else Chinese.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else { return Lang::ZhCn };
        let mut best: Option<(f32, Lang)> = None;
        for part in h.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::ZhCn)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("message file {lang}: {reason}")]
pub struct I18nError {
    lang: &'static str,
    reason: String,
}

pub struct I18n {
    zh: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
    /// Every message without arguments, as one template value per language (built once; cloning is cheap).
    zh_all: minijinja::Value,
    en_all: minijinja::Value,
}

fn bundle(
    lang: &'static str,
    id: unic_langid::LanguageIdentifier,
    text: &str,
) -> Result<FluentBundle<FluentResource>, I18nError> {
    let res = FluentResource::try_new(text.to_string()).map_err(|(_, errs)| I18nError {
        lang,
        reason: format!("{errs:?}"),
    })?;
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks would leak invisible characters into plain-text contexts (SMS, CSV); pages set dir themselves.
    b.set_use_isolating(false);
    b.add_resource(res).map_err(|errs| I18nError {
        lang,
        reason: format!("{errs:?}"),
    })?;
    Ok(b)
}

fn all_messages(b: &FluentBundle<FluentResource>, text: &str) -> minijinja::Value {
    let mut out = BTreeMap::new();
    for id in message_ids(text) {
        if let Some(msg) = b.get_message(&id).and_then(|m| m.value()) {
            let mut errs = vec![];
            let value = b.format_pattern(msg, None, &mut errs).into_owned();
            out.insert(id, value);
        }
    }
    minijinja::Value::from_serialize(&out)
}

/// The ids defined in a Fluent file (`id = …` lines).
fn message_ids(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(" = ").map(|(id, _)| id.trim()))
        .filter(|id| !id.is_empty() && !id.starts_with('#') && !id.contains(' '))
        .map(str::to_string)
        .collect()
}

const ZH: &str = include_str!("../locales/zh-CN/main.ftl");
const EN: &str = include_str!("../locales/en/main.ftl");

impl I18n {
    pub fn load() -> Result<I18n, I18nError> {
        let zh = bundle("zh-CN", langid!("zh-CN"), ZH)?;
        let en = bundle("en", langid!("en"), EN)?;
        let zh_all = all_messages(&zh, ZH);
        let en_all = all_messages(&en, EN);
        Ok(I18n { zh, en, zh_all, en_all })
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// A message with arguments; a missing message yields its id (and the catalogue test fails).
    pub fn format(&self, lang: Lang, id: &str, args: &[(&str, String)]) -> String {
        let b = self.bundle(lang);
        let Some(pattern) = b.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            // Numbers go in as numbers so that plural selection (`[one]` / `*[other]`) works.
            fargs.set(*k, FluentValue::try_number(v.as_str()));
        }
        let mut errs = vec![];
        b.format_pattern(pattern, Some(&fargs), &mut errs).into_owned()
    }

    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).has_message(id)
    }

    /// Every message without arguments, for templates (`{{ m.home_title }}`).
    pub fn all(&self, lang: Lang) -> minijinja::Value {
        match lang {
            Lang::ZhCn => self.zh_all.clone(),
            Lang::En => self.en_all.clone(),
        }
    }

    pub fn ids(lang: Lang) -> Vec<String> {
        message_ids(match lang {
            Lang::ZhCn => ZH,
            Lang::En => EN,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_messages() {
        let i = I18n::load().unwrap();
        let zh = I18n::ids(Lang::ZhCn);
        let en = I18n::ids(Lang::En);
        for id in &zh {
            assert!(i.has(Lang::En, id), "{id} missing in en");
        }
        for id in &en {
            assert!(i.has(Lang::ZhCn, id), "{id} missing in zh-CN");
        }
        assert_eq!(zh.len(), en.len());
    }

    #[test]
    fn accept_language_negotiation() {
        assert_eq!(Lang::from_accept_language(None), Lang::ZhCn);
        assert_eq!(Lang::from_accept_language(Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("fr, en;q=0.5, zh-CN;q=0.8")),
            Lang::ZhCn
        );
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::ZhCn);
        assert_eq!(Lang::from_accept_language(Some("zh;q=0, en;q=0.1")), Lang::En);
    }

    #[test]
    fn arguments_are_substituted() {
        let i = I18n::load().unwrap();
        let s = i.format(Lang::En, "problem-unknown_bank-detail", &[("code", "999".into())]);
        assert_eq!(s, "Bank code 999 is not a cooperative bank.");
    }
}
