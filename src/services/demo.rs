//! `supportdesk seed demo`: organizations, customers and staff to click through.

use diesel::prelude::*;

use super::{ServiceError, passwords};
use crate::db::accounts::{self as q, NewUser};

pub const DEMO_PASSWORD: &str = "demo-password";

/// One login of the demo, as printed for the user.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: &'static str,
    pub who: &'static str,
}

const ORGS: &[(&str, &str, &str)] = &[
    ("acme", "Acme Cloud", "medium"),
    ("globex", "Globex Hosting", "basic"),
];

/// (email, name, staff role, organization key and member role, description)
type DemoPerson = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<(&'static str, &'static str)>,
    &'static str,
);
const PEOPLE: &[DemoPerson] = &[
    (
        "owner@acme.example",
        "Ana Owner",
        None,
        Some(("acme", "owner")),
        "customer, owner of Acme Cloud",
    ),
    (
        "admin@acme.example",
        "Arash Admin",
        None,
        Some(("acme", "admin")),
        "customer, admin of Acme Cloud",
    ),
    (
        "member@acme.example",
        "Mina Member",
        None,
        Some(("acme", "member")),
        "customer, member of Acme Cloud",
    ),
    (
        "owner@globex.example",
        "Gita Owner",
        None,
        Some(("globex", "owner")),
        "customer, owner of Globex Hosting",
    ),
    (
        "member@globex.example",
        "Hamid Member",
        None,
        Some(("globex", "member")),
        "customer, member of Globex Hosting",
    ),
    (
        "agent1@support.example",
        "Sara Agent",
        Some("agent"),
        None,
        "support agent",
    ),
    (
        "agent2@support.example",
        "Reza Agent",
        Some("agent"),
        None,
        "support agent",
    ),
    (
        "admin@support.example",
        "Leila Admin",
        Some("admin"),
        None,
        "support admin",
    ),
];

/// Seeds the demo data; refuses when any of its logins already exists.
pub fn seed(conn: &mut PgConnection) -> Result<Vec<DemoLogin>, ServiceError> {
    let hash = passwords::hash(DEMO_PASSWORD);
    conn.transaction(|conn| {
        // Any of its logins or organization keys taken: refuse as a whole, before writing anything.
        for (email, ..) in PEOPLE {
            if q::user_by_email(conn, email)?.is_some() {
                return Err(ServiceError::Refused("demo-already-seeded"));
            }
        }
        for (key, ..) in ORGS {
            if q::org_key_taken(conn, key)? {
                return Err(ServiceError::Refused("demo-already-seeded"));
            }
        }
        let mut org_ids = Vec::new();
        for (key, name, plan) in ORGS {
            let plan_id = q::plan_id_by_key(conn, plan)?;
            org_ids.push((*key, q::insert_org(conn, key, name, plan_id)?));
        }
        let mut logins = Vec::new();
        for (email, name, staff_role, membership, who) in PEOPLE {
            let user_id = q::insert_user(
                conn,
                &NewUser {
                    email,
                    name,
                    mobile: None,
                    password_hash: &hash,
                    staff_role: *staff_role,
                },
            )?;
            if let Some((org_key, role)) = membership {
                let org_id = org_ids
                    .iter()
                    .find(|(k, _)| k == org_key)
                    .map(|(_, id)| *id)
                    .ok_or(ServiceError::NotFound)?;
                q::insert_membership(conn, org_id, user_id, role)?;
            }
            logins.push(DemoLogin { email, who });
        }
        Ok(logins)
    })
}

/// Seeds only into an empty database (for `SUPPORTDESK_DEMO=1` at start).
pub fn seed_if_empty(conn: &mut PgConnection) -> Result<Option<Vec<DemoLogin>>, ServiceError> {
    if q::count_users(conn)? > 0 {
        return Ok(None);
    }
    seed(conn).map(Some)
}
