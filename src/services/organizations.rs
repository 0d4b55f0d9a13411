//! Organizations and their members.

use diesel::prelude::*;

use super::accounts::{DEFAULT_PLAN, taken_or};
use super::{Problems, ServiceError};
use crate::db::accounts::{self as q, NewUser};
use crate::domain::account::{
    Email, MemberRole, NewPassword, OrgKey, OrgName, PersonName, may_add_member, may_change_role,
    may_remove_member,
};

/// Creates another organization on the default plan with `user_id` as its owner.
pub fn create(
    conn: &mut PgConnection,
    user_id: i64,
    name: &str,
    key: &str,
) -> Result<i64, ServiceError> {
    let mut p = Problems::default();
    let name = p.check("organization", OrgName::parse(name));
    let key = p.check("organization_key", OrgKey::parse(key));
    p.into_result()?;
    let (Some(name), Some(key)) = (name, key) else {
        unreachable!("every field was checked")
    };
    conn.transaction(|conn| {
        if q::org_key_taken(conn, key.as_str())? {
            return Err(ServiceError::field("organization_key", "taken-org-key"));
        }
        let plan_id = q::plan_id_by_key(conn, DEFAULT_PLAN)?;
        let org_id = q::insert_org(conn, key.as_str(), name.as_str(), plan_id)
            .map_err(|e| taken_or(e, "organization_key", "taken-org-key"))?;
        q::insert_membership(conn, org_id, user_id, MemberRole::Owner.as_str())?;
        Ok(org_id)
    })
}

#[derive(Debug, Default, Clone)]
pub struct AddMemberInput {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: String,
}

/// What adding a member needs from the slow password hash: only new accounts need one.
pub enum AddMember {
    /// The email belongs to an existing customer: add a membership.
    Existing { user_id: i64, role: MemberRole },
    /// A new account: hash this password, then call [`add_new_member`].
    New {
        email: Email,
        name: PersonName,
        password: NewPassword,
        role: MemberRole,
    },
}

/// Checks the input and the actor's rights; an existing customer is added at once.
pub fn add_member(
    conn: &mut PgConnection,
    org_id: i64,
    actor: MemberRole,
    input: &AddMemberInput,
) -> Result<AddMember, ServiceError> {
    let mut p = Problems::default();
    let role = match MemberRole::parse(&input.role) {
        Ok(role) => role,
        Err(e) => {
            return Err(ServiceError::Malformed(vec![super::FieldProblem {
                field: "role",
                key: e.key(),
            }]));
        }
    };
    may_add_member(actor, role).map_err(|r| ServiceError::Refused(r.key()))?;
    let email = p.check("email", Email::parse(&input.email));
    p.into_result()?;
    let email = email.unwrap_or_else(|| unreachable!("checked"));
    conn.transaction(|conn| match q::user_by_email(conn, email.as_str())? {
        Some(user) if user.staff_role.is_some() => {
            Err(ServiceError::field("email", "member-is-staff"))
        }
        Some(user) => {
            if q::member_role_for_update(conn, org_id, user.id)?.is_some() {
                return Err(ServiceError::field("email", "member-already"));
            }
            q::insert_membership(conn, org_id, user.id, role.as_str())?;
            Ok(AddMember::Existing {
                user_id: user.id,
                role,
            })
        }
        None => {
            let mut p = Problems::default();
            let name = p.check("name", PersonName::parse(&input.name));
            let password = p.check("password", NewPassword::parse(&input.password));
            p.into_result()?;
            let (Some(name), Some(password)) = (name, password) else {
                unreachable!("checked")
            };
            Ok(AddMember::New {
                email,
                name,
                password,
                role,
            })
        }
    })
}

/// Creates the account of a new member with an already hashed initial password.
pub fn add_new_member(
    conn: &mut PgConnection,
    org_id: i64,
    email: &Email,
    name: &PersonName,
    role: MemberRole,
    password_hash: &str,
) -> Result<i64, ServiceError> {
    conn.transaction(|conn| {
        let user_id = q::insert_user(
            conn,
            &NewUser {
                email: email.as_str(),
                name: name.as_str(),
                mobile: None,
                password_hash,
                staff_role: None,
            },
        )
        .map_err(|e| taken_or(e, "email", "member-try-again"))?;
        q::insert_membership(conn, org_id, user_id, role.as_str())?;
        Ok(user_id)
    })
}

pub fn change_role(
    conn: &mut PgConnection,
    org_id: i64,
    actor: MemberRole,
    user_id: i64,
    new_role: &str,
) -> Result<(), ServiceError> {
    let new_role = MemberRole::parse(new_role).map_err(|e| {
        ServiceError::Malformed(vec![super::FieldProblem {
            field: "role",
            key: e.key(),
        }])
    })?;
    conn.transaction(|conn| {
        let owners = q::owner_count_for_update(conn, org_id)?;
        let current =
            q::member_role_for_update(conn, org_id, user_id)?.ok_or(ServiceError::NotFound)?;
        let current = MemberRole::parse(&current).map_err(|_| ServiceError::NotFound)?;
        may_change_role(actor, current, new_role, owners)
            .map_err(|r| ServiceError::Refused(r.key()))?;
        q::set_member_role(conn, org_id, user_id, new_role.as_str())?;
        Ok(())
    })
}

pub fn remove_member(
    conn: &mut PgConnection,
    org_id: i64,
    actor: MemberRole,
    user_id: i64,
) -> Result<(), ServiceError> {
    conn.transaction(|conn| {
        let owners = q::owner_count_for_update(conn, org_id)?;
        let current =
            q::member_role_for_update(conn, org_id, user_id)?.ok_or(ServiceError::NotFound)?;
        let current = MemberRole::parse(&current).map_err(|_| ServiceError::NotFound)?;
        may_remove_member(actor, current, owners).map_err(|r| ServiceError::Refused(r.key()))?;
        q::delete_membership(conn, org_id, user_id)?;
        Ok(())
    })
}
