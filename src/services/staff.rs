//! Staff accounts: agents and admins.

use diesel::prelude::*;

use super::accounts::taken_or;
use super::{FieldProblem, Problems, ServiceError};
use crate::db::accounts::{self as q, NewUser};
use crate::domain::account::{Email, NewPassword, PersonName, StaffRole};

#[derive(Debug, Default, Clone)]
pub struct NewStaffInput {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: String,
}

pub struct ValidStaff {
    pub name: PersonName,
    pub email: Email,
    pub password: NewPassword,
    pub role: StaffRole,
}

pub fn validate(input: &NewStaffInput) -> Result<ValidStaff, ServiceError> {
    let role = StaffRole::parse(&input.role).map_err(|e| {
        ServiceError::Malformed(vec![FieldProblem {
            field: "role",
            key: e.key(),
        }])
    })?;
    let mut p = Problems::default();
    let name = p.check("name", PersonName::parse(&input.name));
    let email = p.check("email", Email::parse(&input.email));
    let password = p.check("password", NewPassword::parse(&input.password));
    p.into_result()?;
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        unreachable!("checked")
    };
    Ok(ValidStaff {
        name,
        email,
        password,
        role,
    })
}

pub fn create(
    conn: &mut PgConnection,
    staff: &ValidStaff,
    password_hash: &str,
) -> Result<i64, ServiceError> {
    conn.transaction(|conn| {
        if q::user_by_email(conn, staff.email.as_str())?.is_some() {
            return Err(ServiceError::field("email", "taken-email"));
        }
        q::insert_user(
            conn,
            &NewUser {
                email: staff.email.as_str(),
                name: staff.name.as_str(),
                mobile: None,
                password_hash,
                staff_role: Some(staff.role.as_str()),
            },
        )
        .map_err(|e| taken_or(e, "email", "taken-email"))
    })
}

/// Deactivates or reactivates a staff user; an admin cannot deactivate themselves.
pub fn set_active(
    conn: &mut PgConnection,
    actor_id: i64,
    user_id: i64,
    active: bool,
) -> Result<(), ServiceError> {
    if actor_id == user_id && !active {
        return Err(ServiceError::Refused("refused-deactivate-self"));
    }
    match q::set_staff_active(conn, user_id, active)? {
        0 => Err(ServiceError::NotFound),
        _ => Ok(()),
    }
}

/// The agents the console offers to assign a ticket to (id and name, by name), kept in
/// memory for [`AgentBook::TTL`]: the agent ticket page would otherwise read them on every
/// view. A change in this process ([`AgentBook::forget`]) shows at once, another process's
/// within the TTL. Assigning still checks the agent against the database
/// (`services::tickets`), so a stale list can offer, never assign, a deactivated agent.
#[derive(Clone)]
pub struct AgentBook(super::kept::Kept<(), Agents>);

type Agents = std::sync::Arc<Vec<(i64, String)>>;

impl Default for AgentBook {
    fn default() -> Self {
        AgentBook(super::kept::Kept::new(Self::TTL))
    }
}

impl AgentBook {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(10);

    pub fn get(&self, conn: &mut PgConnection) -> QueryResult<Agents> {
        self.0
            .get_or_read((), || Ok(Agents::new(crate::db::queue::agents(conn)?)))
    }

    /// After staff were added, renamed, activated or deactivated in this process.
    pub fn forget(&self) {
        self.0.forget();
    }
}
