//! Every user-visible string goes through here (Project Fluent catalogs in
//! `src/i18n/locales/<lang>/*.ftl`, embedded at build time). English now;
//! Persian and Arabic are right-to-left and get `dir="rtl"`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock};

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, langid, static_loader};
use rustc_hash::FxHashMap;

static_loader! {
    static LOCALES = {
        locales: "./src/i18n/locales",
        fallback_language: "en",
        // Fluent wraps interpolated values in Unicode isolation marks by default;
        // they are invisible noise in HTML attributes and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");

/// Messages with arguments formatted lately, by language, key and arguments. The arguments
/// include names people chose (organizations, staff), so this map keeps std's keyed hasher.
static FORMATTED: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();

/// How many formatted messages [`Lang::t_args`] keeps before starting afresh (about 1 MB at most).
pub const FORMATTED_CAP: usize = 4096;

fn lock(m: &Mutex<HashMap<String, String>>) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The active language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
        }
    }

    /// Text direction for `<html dir>`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
        }
    }

    /// The message `key`; a missing key shows as the key itself (and fails the catalog test).
    ///
    /// Messages without arguments come from a table formatted once per language: a Fluent
    /// lookup negotiates languages and formats the pattern every time, and a queue page makes
    /// about a hundred of them.
    pub fn t(self, key: &str) -> String {
        if let Some(text) = self.plain().get(key) {
            return text.clone();
        }
        LOCALES
            .lookup_single_language(self.id(), key, None::<&HashMap<&str, FluentValue>>)
            .unwrap_or_else(|_| key.to_string())
    }

    /// Every message of the catalog that formats without arguments, formatted.
    fn plain(self) -> &'static FxHashMap<&'static str, String> {
        static EN_PLAIN: LazyLock<FxHashMap<&'static str, String>> =
            LazyLock::new(|| Lang::En.format_plain());
        match self {
            Lang::En => &EN_PLAIN,
        }
    }

    fn format_plain(self) -> FxHashMap<&'static str, String> {
        catalog_keys(self.catalog())
            .filter_map(|key| {
                LOCALES
                    .lookup_single_language(self.id(), key, None::<&HashMap<&str, FluentValue>>)
                    .ok()
                    .map(|text| (key, text))
            })
            .collect()
    }

    fn catalog(self) -> &'static str {
        match self {
            Lang::En => include_str!("locales/en/main.ftl"),
        }
    }

    /// The message `key` with named arguments (`{ $name }` in the catalog).
    ///
    /// Remembered by key and arguments (up to [`FORMATTED_CAP`] at a time): the same few
    /// ("due in 3 h", "2 d ago") recur on every row of every list, and formatting one
    /// through Fluent cost more than the rest of the row.
    pub fn t_args(self, key: &str, args: &[(&'static str, FluentArg)]) -> String {
        let mut memo_key = String::with_capacity(64);
        memo_key.push_str(self.code());
        memo_key.push('\u{1f}');
        memo_key.push_str(key);
        for (name, value) in args {
            memo_key.push('\u{1f}');
            memo_key.push_str(name);
            memo_key.push('=');
            match value {
                FluentArg::Str(s) => memo_key.push_str(s),
                FluentArg::Num(n) => memo_key.push_str(&n.to_string()),
            }
        }
        let formatted = FORMATTED.get_or_init(Default::default);
        if let Some(text) = lock(formatted).get(&memo_key) {
            return text.clone();
        }
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let v = match value {
                    FluentArg::Str(s) => FluentValue::from(s.as_str()),
                    FluentArg::Num(n) => FluentValue::from(*n),
                };
                (Cow::Borrowed(*name), v)
            })
            .collect();
        // The page's language has its own bundle: no negotiation needed.
        let text = LOCALES
            .lookup_single_language(self.id(), key, Some(&map))
            .unwrap_or_else(|_| key.to_string());
        let mut memo = lock(formatted);
        if memo.len() >= FORMATTED_CAP {
            memo.clear();
        }
        memo.insert(memo_key, text.clone());
        text
    }

    /// Whether the catalog of this language defines `key` (used by the catalog tests).
    pub fn has(self, key: &str) -> bool {
        catalog_keys(self.catalog()).any(|k| k == key)
    }
}

/// The message names of a catalog: `name = …` at the start of a line.
fn catalog_keys(catalog: &'static str) -> impl Iterator<Item = &'static str> {
    catalog
        .lines()
        .filter_map(|line| line.split_once(" =").map(|(k, _)| k))
}

/// An argument to a translated message.
#[derive(Debug, Clone)]
pub enum FluentArg {
    Str(String),
    Num(i64),
}

impl From<&str> for FluentArg {
    fn from(s: &str) -> Self {
        FluentArg::Str(s.to_string())
    }
}

impl From<String> for FluentArg {
    fn from(s: String) -> Self {
        FluentArg::Str(s)
    }
}

impl From<i64> for FluentArg {
    fn from(n: i64) -> Self {
        FluentArg::Num(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_and_interpolates() {
        assert_eq!(Lang::En.t("product-name"), "supportdesk");
        assert_eq!(Lang::En.t("no-such-key"), "no-such-key");
        assert!(!Lang::En.has("no-such-key"));
    }

    /// Every `t("…")` / `t_args("…")` key used in a template or in the code exists in the English catalog.
    #[test]
    fn every_key_used_exists_in_the_catalog() {
        let mut missing = Vec::new();
        for root in ["templates", "src"] {
            for path in files_under(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(root)) {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for key in used_keys(&text) {
                    if !Lang::En.has(&key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the English catalog:\n{}",
            missing.join("\n")
        );
    }

    /// Keys that reach templates as values (domain refusals, roles) rather than literals.
    #[test]
    fn every_domain_key_exists_in_the_catalog() {
        use crate::domain::account::{Invalid, MemberRole, MembershipRefusal};
        let invalid = [
            Invalid::EmailInvalid,
            Invalid::NameEmpty,
            Invalid::NameTooLong,
            Invalid::PasswordTooShort,
            Invalid::PasswordTooLong,
            Invalid::OrgNameEmpty,
            Invalid::OrgNameTooLong,
            Invalid::OrgKeyInvalid,
            Invalid::MobileInvalid,
            Invalid::RoleUnknown,
        ];
        let refusals = [
            MembershipRefusal::NotAManager,
            MembershipRefusal::OwnersOnly,
            MembershipRefusal::LastOwner,
            MembershipRefusal::SameRole,
        ];
        let mut keys: Vec<&str> = invalid.iter().map(|i| i.key()).collect();
        keys.extend(refusals.iter().map(|r| r.key()));
        keys.extend(MemberRole::ALL.iter().map(|r| r.as_str()));
        keys.extend(["agent", "admin"]);
        // Ticket keys built from values: events, SLA states, close reasons, columns, refusals, files.
        use crate::domain::ticket::{CloseReason, EventKind};
        let built: Vec<String> = EventKind::ALL
            .iter()
            .map(|k| format!("event-{}", k.as_str().replace('_', "-")))
            .chain(
                ["none", "running", "at_risk", "breached", "paused", "met"]
                    .iter()
                    .map(|s| format!("sla-{s}")),
            )
            .chain(
                CloseReason::ALL
                    .iter()
                    .map(|r| format!("close-reason-{}", r.as_str())),
            )
            .chain(
                crate::web::customer::tickets::HIDEABLE
                    .iter()
                    .map(|c| format!("col-{c}")),
            )
            .collect();
        keys.extend(built.iter().map(String::as_str));
        for p in [
            crate::web::upload::FileProblem::TooMany,
            crate::web::upload::FileProblem::TooLarge,
            crate::web::upload::FileProblem::WrongType,
        ] {
            keys.push(p.key());
        }
        // Keys the services name directly.
        let mut service_keys = Vec::new();
        for file in
            files_under(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services"))
        {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for prefix in [
                "\"taken-",
                "\"refused-",
                "\"member-",
                "\"login-",
                "\"demo-already",
            ] {
                let mut rest = text.as_str();
                while let Some(i) = rest.find(prefix) {
                    rest = &rest[i + 1..];
                    if let Some(end) = rest.find('"') {
                        service_keys.push(rest[..end].to_string());
                    }
                }
            }
        }
        let missing: Vec<String> = keys
            .iter()
            .map(|k| k.to_string())
            .chain(service_keys)
            .filter(|k| !Lang::En.has(k))
            .collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
    }

    fn files_under(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(path));
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("html" | "rs")
            ) {
                out.push(path);
            }
        }
        out
    }

    fn used_keys(text: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for marker in [".t(\"", ".t_args(\""] {
            let mut rest = text;
            while let Some(i) = rest.find(marker) {
                rest = &rest[i + marker.len()..];
                if let Some(end) = rest.find('"') {
                    let key = &rest[..end];
                    if !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    {
                        keys.push(key.to_string());
                    }
                }
            }
        }
        keys.retain(|k| k != "no-such-key");
        keys
    }
}
