//! Every user-visible string goes through here (Project Fluent catalogs in
//! `src/i18n/locales/<lang>/*.ftl`, embedded at build time). English now;
//! Persian and Arabic are right-to-left and get `dir="rtl"`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

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
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message `key` with named arguments (`{ $name }` in the catalog).
    pub fn t_args(self, key: &str, args: &[(&'static str, FluentArg)]) -> String {
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
        LOCALES
            .try_lookup_with_args(self.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }

    /// Whether the catalog of this language defines `key` (used by the catalog tests).
    pub fn has(self, key: &str) -> bool {
        let catalog = match self {
            Lang::En => include_str!("locales/en/main.ftl"),
        };
        catalog
            .lines()
            .any(|line| line.split_once(" =").is_some_and(|(k, _)| k == key))
    }
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
