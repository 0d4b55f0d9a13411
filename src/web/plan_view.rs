//! Plans as pages show them: availability, quotas and targets in words.

use crate::domain::plan::{Availability, availability};
use crate::domain::ticket::Priority;
use crate::i18n::{FluentArg, Lang};
use crate::services::plans::{PlanView, Usage};

/// One priority of the new-ticket form, with what the plan says about it.
pub struct PriorityOption {
    pub key: &'static str,
    pub label: &'static str,
    pub disabled: bool,
    pub note: String,
}

/// One line of a plan card: a priority's quota and target.
pub struct QuotaLine {
    pub key: &'static str,
    pub label: &'static str,
    pub available: bool,
    pub quota: String,
    pub target: String,
}

/// "24 business hours", "30 minutes", "4 hours".
pub fn target_text(lang: Lang, minutes: Option<u32>, always_open: bool) -> String {
    let Some(m) = minutes else {
        return lang.t("target-none");
    };
    let business = if always_open { "" } else { "-business" };
    if m % 60 == 0 {
        lang.t_args(
            &format!("target-hours{business}"),
            &[("n", FluentArg::Num(i64::from(m / 60)))],
        )
    } else {
        lang.t_args(
            &format!("target-minutes{business}"),
            &[("n", FluentArg::Num(i64::from(m)))],
        )
    }
}

pub fn priority_options(lang: Lang, plan: &PlanView, usage: &Usage) -> Vec<PriorityOption> {
    let always = plan.calendar.always_open;
    Priority::ALL
        .iter()
        .map(|p| {
            let terms = plan.terms.terms(*p);
            let target = target_text(lang, terms.response_minutes, always);
            let (disabled, note) = match availability(&terms, usage.of(*p)) {
                Availability::NotOffered => (
                    true,
                    lang.t_args(
                        "option-not-offered",
                        &[("plan", plan.row.name.as_str().into())],
                    ),
                ),
                Availability::QuotaUsed { quota, used } => (
                    true,
                    lang.t_args(
                        "option-quota-used",
                        &[
                            ("used", FluentArg::Num(used.into())),
                            ("quota", FluentArg::Num(quota.into())),
                        ],
                    ),
                ),
                Availability::Open {
                    remaining: Some(r),
                    quota: Some(q),
                    ..
                } => (
                    false,
                    lang.t_args(
                        "option-remaining",
                        &[
                            ("left", FluentArg::Num(r.into())),
                            ("quota", FluentArg::Num(q.into())),
                            ("target", target.into()),
                        ],
                    ),
                ),
                Availability::Open { .. } => (
                    false,
                    lang.t_args("option-unlimited", &[("target", target.into())]),
                ),
            };
            PriorityOption {
                key: p.as_str(),
                label: p.label(),
                disabled,
                note,
            }
        })
        .collect()
}

pub fn quota_lines(lang: Lang, plan: &PlanView) -> Vec<QuotaLine> {
    Priority::ALL
        .iter()
        .rev()
        .map(|p| {
            let t = plan.terms.terms(*p);
            QuotaLine {
                key: p.as_str(),
                label: p.label(),
                available: t.available,
                quota: match (t.available, t.monthly_quota) {
                    (false, _) => lang.t("quota-not-available"),
                    (true, None) => lang.t("quota-unlimited"),
                    (true, Some(n)) => {
                        lang.t_args("quota-per-month", &[("n", FluentArg::Num(n.into()))])
                    }
                },
                target: if t.available {
                    target_text(lang, t.response_minutes, plan.calendar.always_open)
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

/// "1,906,666 IRR / month", or "Free".
pub fn price_text(lang: Lang, price: i64, currency: &str) -> String {
    if price == 0 {
        return lang.t("price-free");
    }
    let digits = price.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    lang.t_args(
        "price-per-month",
        &[("price", grouped.into()), ("currency", currency.into())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_targets_in_words() {
        let en = Lang::En;
        assert_eq!(price_text(en, 0, "IRR"), "Free");
        assert_eq!(price_text(en, 1_906_666, "IRR"), "1,906,666 IRR / month");
        assert_eq!(price_text(en, 550_000, "IRR"), "550,000 IRR / month");
        assert_eq!(target_text(en, Some(1440), false), "24 business hours");
        assert_eq!(target_text(en, Some(30), true), "30 minutes");
        assert_eq!(target_text(en, Some(60), true), "1 hour");
        assert_eq!(target_text(en, None, true), "no target");
    }
}
