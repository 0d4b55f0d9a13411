//! Signing up, logging in (with throttling), and one's own profile.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::{Problems, ServiceError, is_unique_violation};
use crate::db::accounts::{self as q, NewUser, UserRow};
use crate::domain::account::{
    Email, MemberRole, NewPassword, OrgKey, OrgName, PersonName, parse_mobile,
};

/// The plan every new organization starts on.
pub const DEFAULT_PLAN: &str = "basic";
/// Failed logins allowed per email within [`THROTTLE_WINDOW_MINUTES`].
pub const MAX_FAILURES: usize = 5;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

#[derive(Debug, Default, Clone)]
pub struct SignupInput {
    pub organization: String,
    pub organization_key: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

/// Validated signup: hash the password (slow) only once the input is known to be good.
pub struct ValidSignup {
    org_name: OrgName,
    org_key: OrgKey,
    name: PersonName,
    email: Email,
    password: NewPassword,
}

pub fn validate_signup(input: &SignupInput) -> Result<ValidSignup, ServiceError> {
    let mut p = Problems::default();
    let org_name = p.check("organization", OrgName::parse(&input.organization));
    let org_key = p.check("organization_key", OrgKey::parse(&input.organization_key));
    let name = p.check("name", PersonName::parse(&input.name));
    let email = p.check("email", Email::parse(&input.email));
    let password = p.check("password", NewPassword::parse(&input.password));
    p.into_result()?;
    match (org_name, org_key, name, email, password) {
        (Some(org_name), Some(org_key), Some(name), Some(email), Some(password)) => {
            Ok(ValidSignup {
                org_name,
                org_key,
                name,
                email,
                password,
            })
        }
        _ => unreachable!("every field was checked"),
    }
}

impl ValidSignup {
    pub fn password(&self) -> &str {
        self.password.as_str()
    }
}

/// Creates the user, their first organization on the default plan, and the owner membership.
pub fn signup(
    conn: &mut PgConnection,
    input: &ValidSignup,
    password_hash: &str,
) -> Result<(i64, i64), ServiceError> {
    conn.transaction(|conn| {
        let mut p = Problems::default();
        if q::user_by_email(conn, input.email.as_str())?.is_some() {
            p.add("email", "taken-email");
        }
        if q::org_key_taken(conn, input.org_key.as_str())? {
            p.add("organization_key", "taken-org-key");
        }
        p.into_result()?;
        let user_id = q::insert_user(
            conn,
            &NewUser {
                email: input.email.as_str(),
                name: input.name.as_str(),
                mobile: None,
                password_hash,
                staff_role: None,
            },
        )
        .map_err(|e| taken_or(e, "email", "taken-email"))?;
        let plan_id = q::plan_id_by_key(conn, DEFAULT_PLAN)?;
        let org_id = q::insert_org(
            conn,
            input.org_key.as_str(),
            input.org_name.as_str(),
            plan_id,
        )
        .map_err(|e| taken_or(e, "organization_key", "taken-org-key"))?;
        q::insert_membership(conn, org_id, user_id, MemberRole::Owner.as_str())?;
        Ok((user_id, org_id))
    })
}

/// A concurrent insert of the same unique value reads as the same message as the pre-check.
pub(crate) fn taken_or(
    e: diesel::result::Error,
    field: &'static str,
    key: &'static str,
) -> ServiceError {
    if is_unique_violation(&e) {
        ServiceError::field(field, key)
    } else {
        ServiceError::Db(e)
    }
}

/// What the login form needs to know before the (slow) password check.
pub enum LoginStart {
    /// Too many failures: refused until the window has passed.
    Throttled { minutes_left: i64 },
    /// Check the password against this user (or the dummy hash when `None`).
    Check(Option<UserRow>),
}

pub fn login_start(
    conn: &mut PgConnection,
    email: &str,
    now: DateTime<Utc>,
) -> Result<LoginStart, ServiceError> {
    let failures = q::recent_login_failures(
        conn,
        email,
        now - Duration::minutes(THROTTLE_WINDOW_MINUTES),
    )?;
    if failures.len() >= MAX_FAILURES {
        // Refused until the oldest failure that still counts leaves the window.
        let oldest_counting = failures[failures.len() - MAX_FAILURES];
        let until = oldest_counting + Duration::minutes(THROTTLE_WINDOW_MINUTES);
        let minutes_left = ((until - now).num_seconds() + 59) / 60;
        return Ok(LoginStart::Throttled {
            minutes_left: minutes_left.max(1),
        });
    }
    Ok(LoginStart::Check(q::user_by_email(conn, email)?))
}

/// Records the outcome of a password check: failures count towards the throttle; success clears them.
pub fn login_finish(
    conn: &mut PgConnection,
    email: &str,
    success: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if success {
        q::clear_login_failures(conn, email)?;
    } else {
        q::record_login_failure(conn, email, now)?;
    }
    Ok(())
}

pub fn update_profile(
    conn: &mut PgConnection,
    user_id: i64,
    name: &str,
    mobile: &str,
) -> Result<(), ServiceError> {
    let mut p = Problems::default();
    let name = p.check("name", PersonName::parse(name));
    let mobile = p.check("mobile", parse_mobile(mobile));
    p.into_result()?;
    let (Some(name), Some(mobile)) = (name, mobile) else {
        unreachable!("every field was checked")
    };
    q::update_profile(conn, user_id, name.as_str(), mobile.as_deref())?;
    Ok(())
}

/// Stores a new password hash; returns the new session epoch (other sessions end).
pub fn set_password(
    conn: &mut PgConnection,
    user_id: i64,
    hash: &str,
) -> Result<i32, ServiceError> {
    Ok(q::set_password(conn, user_id, hash)?)
}
