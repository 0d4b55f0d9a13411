//! Support plans: which priorities an organization may use, how many tickets a
//! month, and the targets support commits to (DESIGN.md section 3).

use super::ticket::Priority;

/// A plan's terms for one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PriorityTerms {
    pub available: bool,
    /// Tickets per calendar month; `None` = unlimited.
    pub monthly_quota: Option<u32>,
    /// Business minutes for support's first public reply; `None` = no target.
    pub response_minutes: Option<u32>,
    /// Business minutes from creation to close, paused while awaiting the customer.
    pub resolution_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTerms {
    pub key: String,
    pub name: String,
    pub priorities: Vec<(Priority, PriorityTerms)>,
}

impl PlanTerms {
    /// The terms for `priority`; a priority the plan does not list is not available.
    pub fn terms(&self, priority: Priority) -> PriorityTerms {
        self.priorities
            .iter()
            .find(|(p, _)| *p == priority)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    }
}

/// Whether a customer may open one more ticket of a priority this month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    NotOffered,
    QuotaUsed {
        quota: u32,
        used: u32,
    },
    /// `remaining`: `None` when unlimited.
    Open {
        remaining: Option<u32>,
        quota: Option<u32>,
        used: u32,
    },
}

pub fn availability(terms: &PriorityTerms, used_this_month: u32) -> Availability {
    if !terms.available {
        return Availability::NotOffered;
    }
    match terms.monthly_quota {
        Some(quota) if used_this_month >= quota => Availability::QuotaUsed {
            quota,
            used: used_this_month,
        },
        Some(quota) => Availability::Open {
            remaining: Some(quota - used_this_month),
            quota: Some(quota),
            used: used_this_month,
        },
        None => Availability::Open {
            remaining: None,
            quota: None,
            used: used_this_month,
        },
    }
}

/// Why a new ticket was refused by the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateRefusal {
    NotOffered {
        plan: String,
        priority: Priority,
    },
    QuotaUsed {
        plan: String,
        priority: Priority,
        quota: u32,
        used: u32,
    },
}

impl CreateRefusal {
    pub fn key(&self) -> &'static str {
        match self {
            CreateRefusal::NotOffered { .. } => "plan-priority-not-offered",
            CreateRefusal::QuotaUsed { .. } => "plan-quota-used",
        }
    }
}

/// May the organization open a ticket of `priority`, having opened `used_this_month` already?
pub fn check_create(
    plan: &PlanTerms,
    priority: Priority,
    used_this_month: u32,
) -> Result<(), CreateRefusal> {
    match availability(&plan.terms(priority), used_this_month) {
        Availability::Open { .. } => Ok(()),
        Availability::NotOffered => Err(CreateRefusal::NotOffered {
            plan: plan.name.clone(),
            priority,
        }),
        Availability::QuotaUsed { quota, used } => Err(CreateRefusal::QuotaUsed {
            plan: plan.name.clone(),
            priority,
            quota,
            used,
        }),
    }
}

/// A plan as an admin types it, before checking.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    pub key: String,
    pub name: String,
    pub description: String,
    pub price: String,
    pub currency: String,
    /// Per priority (in `Priority::ALL` order): available, quota, response minutes, resolution minutes, as typed.
    pub priorities: Vec<(Priority, bool, String, String, String)>,
}

/// A checked plan, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPlan {
    pub key: String,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub currency: String,
    pub priorities: Vec<(Priority, PriorityTerms)>,
}

/// Field names of the admin form for one priority's value, e.g. `normal_quota`.
pub fn field(priority: Priority, what: &str) -> String {
    format!("{}_{what}", priority.as_str())
}

/// Checks every field; problems come back as (field name, catalog key).
pub fn validate(input: &PlanInput) -> Result<ValidPlan, Vec<(String, &'static str)>> {
    let mut problems: Vec<(String, &'static str)> = Vec::new();
    let key = input.key.trim();
    if !(1..=50).contains(&key.len())
        || !key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        problems.push(("key".into(), "invalid-plan-key"));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        problems.push(("name".into(), "invalid-plan-name"));
    }
    let description = input.description.trim();
    if description.chars().count() > 500 {
        problems.push(("description".into(), "invalid-plan-description"));
    }
    let price = input.price.trim().replace([',', '_'], "");
    let price = match price.parse::<i64>() {
        Ok(p) if p >= 0 => p,
        _ => {
            problems.push(("price".into(), "invalid-plan-price"));
            0
        }
    };
    let currency = input.currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        problems.push(("currency".into(), "invalid-plan-currency"));
    }
    let mut priorities = Vec::new();
    for (priority, available, quota, response, resolution) in &input.priorities {
        // Empty = unlimited / no target; otherwise a whole number in range.
        let mut number = |text: &str, what: &str, min: u32, key: &'static str| -> Option<u32> {
            let t = text.trim();
            if t.is_empty() {
                return None;
            }
            match t.parse::<u32>() {
                Ok(n) if n >= min && n <= 10_000_000 => Some(n),
                _ => {
                    problems.push((field(*priority, what), key));
                    None
                }
            }
        };
        let terms = PriorityTerms {
            available: *available,
            monthly_quota: number(quota, "quota", 0, "invalid-plan-quota"),
            response_minutes: number(response, "response", 1, "invalid-plan-minutes"),
            resolution_minutes: number(resolution, "resolution", 1, "invalid-plan-minutes"),
        };
        priorities.push((*priority, terms));
    }
    if problems.is_empty() {
        Ok(ValidPlan {
            key: key.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            price,
            currency,
            priorities,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic() -> PlanTerms {
        PlanTerms {
            key: "basic".into(),
            name: "Basic".into(),
            priorities: vec![
                (
                    Priority::Normal,
                    PriorityTerms {
                        available: true,
                        monthly_quota: Some(10),
                        response_minutes: Some(1440),
                        resolution_minutes: None,
                    },
                ),
                (
                    Priority::Low,
                    PriorityTerms {
                        available: true,
                        monthly_quota: None,
                        response_minutes: Some(2880),
                        resolution_minutes: None,
                    },
                ),
                (Priority::High, PriorityTerms::default()),
            ],
        }
    }

    #[test]
    fn availability_and_quotas() {
        let plan = basic();
        assert_eq!(check_create(&plan, Priority::Normal, 9), Ok(()));
        assert_eq!(
            check_create(&plan, Priority::Normal, 10),
            Err(CreateRefusal::QuotaUsed {
                plan: "Basic".into(),
                priority: Priority::Normal,
                quota: 10,
                used: 10
            })
        );
        assert_eq!(
            check_create(&plan, Priority::Low, 10_000),
            Ok(()),
            "unlimited"
        );
        assert!(matches!(
            check_create(&plan, Priority::High, 0),
            Err(CreateRefusal::NotOffered { .. })
        ));
        assert!(
            matches!(
                check_create(&plan, Priority::Critical, 0),
                Err(CreateRefusal::NotOffered { .. })
            ),
            "unlisted = not offered"
        );
        assert_eq!(
            availability(&plan.terms(Priority::Normal), 3),
            Availability::Open {
                remaining: Some(7),
                quota: Some(10),
                used: 3
            }
        );
        let zero = PriorityTerms {
            available: true,
            monthly_quota: Some(0),
            ..Default::default()
        };
        assert_eq!(
            availability(&zero, 0),
            Availability::QuotaUsed { quota: 0, used: 0 }
        );
    }

    fn input() -> PlanInput {
        PlanInput {
            key: "acme-gold".into(),
            name: "Acme Gold".into(),
            description: "".into(),
            price: "1,000,000".into(),
            currency: "irr".into(),
            priorities: Priority::ALL
                .iter()
                .map(|p| (*p, true, "".into(), "60".into(), "".into()))
                .collect(),
        }
    }

    #[test]
    fn plans_are_validated_field_by_field() {
        let valid = validate(&input()).unwrap();
        assert_eq!(valid.price, 1_000_000);
        assert_eq!(valid.currency, "IRR");
        assert_eq!(valid.priorities[0].1.response_minutes, Some(60));
        assert_eq!(
            valid.priorities[0].1.monthly_quota, None,
            "empty quota = unlimited"
        );

        let mut bad = input();
        bad.key = "Acme Gold".into();
        bad.price = "-5".into();
        bad.currency = "rials".into();
        bad.priorities[1].2 = "-1".into();
        bad.priorities[2].3 = "0".into();
        bad.priorities[3].4 = "soon".into();
        let problems = validate(&bad).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "key",
                "price",
                "currency",
                "urgent_quota",
                "high_response",
                "normal_resolution"
            ]
        );
    }
}
