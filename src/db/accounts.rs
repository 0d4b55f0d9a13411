//! Rows and queries for users, organizations and memberships.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{login_failures, memberships, organizations, plans, users};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub mobile: Option<String>,
    pub password_hash: String,
    pub staff_role: Option<String>,
    pub active: bool,
    pub session_epoch: i32,
    pub created_at: DateTime<Utc>,
    /// Columns this customer hid in their ticket list (read with the user on every request).
    pub hidden_ticket_columns: Vec<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct OrgRow {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub plan_id: i64,
}

/// One organization a customer belongs to, with their role.
#[derive(Debug, Clone)]
pub struct MembershipInfo {
    pub org: OrgRow,
    pub role: String,
}

impl MembershipInfo {
    /// Whether the role manages the organization (an owner or admin).
    pub fn manages(&self) -> bool {
        crate::domain::account::MemberRole::parse(&self.role)
            .is_ok_and(crate::domain::account::MemberRole::manages)
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub mobile: Option<&'a str>,
    pub password_hash: &'a str,
    pub staff_role: Option<&'a str>,
}

pub fn user_by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn user_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_user(conn: &mut PgConnection, user: &NewUser) -> QueryResult<i64> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(users::id)
        .get_result(conn)
}

/// A user with the organizations they belong to (by name), in one statement: every
/// logged-in request reads this.
pub fn user_with_memberships(
    conn: &mut PgConnection,
    id: i64,
) -> QueryResult<Option<(UserRow, Vec<MembershipInfo>)>> {
    // The plan's name comes from the plan cache where a page shows it: every relation joined
    // here costs every request PostgreSQL's setting up of one more scan.
    let rows: Vec<(UserRow, Option<MembershipFields>)> = users::table
        .left_join(memberships::table.inner_join(organizations::table))
        .filter(users::id.eq(id))
        .order((organizations::name.asc(), organizations::id.asc()))
        .select((
            UserRow::as_select(),
            (
                organizations::id,
                organizations::key,
                organizations::name,
                organizations::plan_id,
                memberships::role,
            )
                .nullable(),
        ))
        .load(conn)?;
    let mut rows = rows.into_iter();
    let Some((user, first)) = rows.next() else {
        return Ok(None);
    };
    let memberships = first
        .into_iter()
        .chain(rows.filter_map(|(_, m)| m))
        .map(membership)
        .collect();
    Ok(Some((user, memberships)))
}

/// A membership as the statements read it: organization id, key, name, plan, role.
type MembershipFields = (i64, String, String, i64, String);

fn membership((id, key, name, plan_id, role): MembershipFields) -> MembershipInfo {
    MembershipInfo {
        org: OrgRow {
            id,
            key,
            name,
            plan_id,
        },
        role,
    }
}

/// A user as [`user_with_memberships`] reads them, for a customer with their organizations.
pub type UserWithMemberships = (UserRow, Vec<MembershipInfo>);

/// The session's user as one more column of a page's own statement, so that confirming who is
/// asking costs no statement of its own: every statement is a round trip, and on the ticket
/// pages a round trip cost more than the user's lookup.
///
/// As a column, for a statement that returns at most one row (a ticket by its number): the
/// user's fields are sent with every row. A list carries them on one row instead
/// ([`CarriedUser::on_one_row`]; on the queue and the customer list, the alternated runs of
/// 2026-12-07 measured +10 % and +4 % against the round trip of their own). A statement that
/// returns no row carries nobody, and the user is then read on their own
/// ([`user_with_memberships`]).
/// The lookup is an uncorrelated subquery, which PostgreSQL runs once per statement. With
/// `memberships`, a customer's organizations come along, ordered as
/// [`user_with_memberships`] orders them.
#[derive(Debug, Clone, Copy)]
pub struct CarriedUser {
    /// `None` reads nobody (a page whose user is known already); the statement's text is the same.
    pub user_id: Option<i64>,
    pub memberships: bool,
}

/// The user's fields as [`UserRow`] reads them, and their memberships.
type CarriedFields = (
    <UserRow as Queryable<UserRowSql, diesel::pg::Pg>>::Row,
    Option<Vec<MembershipFields>>,
);

type UserRowSql = (
    diesel::sql_types::Int8,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Nullable<diesel::sql_types::Text>,
    diesel::sql_types::Text,
    diesel::sql_types::Nullable<diesel::sql_types::Text>,
    diesel::sql_types::Bool,
    diesel::sql_types::Int4,
    diesel::sql_types::Timestamptz,
    diesel::sql_types::Array<diesel::sql_types::Text>,
);

/// What a row's [`CarriedUser`] column holds: the user, or nothing when no user has that id.
pub type Carried = Option<CarriedFields>;

/// The user a statement carried ([`CarriedUser::found`]): `None` when it carried nobody.
pub type CarriedFound = Option<Option<UserWithMemberships>>;

type CarriedSql = diesel::sql_types::Nullable<
    diesel::pg::sql_types::Record<(
        diesel::pg::sql_types::Record<UserRowSql>,
        diesel::sql_types::Nullable<
            diesel::sql_types::Array<
                diesel::pg::sql_types::Record<(
                    diesel::sql_types::Int8,
                    diesel::sql_types::Text,
                    diesel::sql_types::Text,
                    diesel::sql_types::Int8,
                    diesel::sql_types::Text,
                )>,
            >,
        >,
    )>,
>;

impl CarriedUser {
    /// Nobody: for a statement whose page knows its user already (the same text, no lookup).
    pub const NOBODY: CarriedUser = CarriedUser {
        user_id: None,
        memberships: false,
    };

    /// The user a statement's row carried: `None` when no row came back (read the user on
    /// their own), `Some(None)` when there is no such user.
    pub fn found(&self, row: Option<&mut Carried>) -> QueryResult<CarriedFound> {
        let Some(row) = row else {
            return Ok(None);
        };
        let Some((user, memberships)) = row.take() else {
            return Ok(Some(None));
        };
        let user = <UserRow as Queryable<UserRowSql, diesel::pg::Pg>>::build(user)
            .map_err(diesel::result::Error::DeserializationError)?;
        let memberships = memberships
            .unwrap_or_default()
            .into_iter()
            .map(membership)
            .collect();
        Ok(Some(Some((user, memberships))))
    }
}

// With and without memberships are two texts.
super::literal::column_expression!(CarriedUser, CarriedSql);

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for CarriedUser {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql(
            "(SELECT ROW(ROW(u.id, u.email, u.name, \
             u.mobile, u.password_hash, u.staff_role, u.active, u.session_epoch, u.created_at, \
             u.hidden_ticket_columns), ",
        );
        if self.memberships {
            out.push_sql(
                "(SELECT array_agg(ROW(o.id, o.key, o.name, o.plan_id, m.role) \
                 ORDER BY o.name, o.id) FROM memberships m \
                 JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = u.id)",
            );
        } else {
            out.push_sql("NULL");
        }
        out.push_sql(") FROM users u WHERE u.id = ");
        out.push_bind_param::<diesel::sql_types::Nullable<diesel::sql_types::Int8>, _>(
            &self.user_id,
        )?;
        out.push_sql(")");
        Ok(())
    }
}

/// The session's user as a column of a list statement, on one of its rows
/// ([`CarriedUser::on_one_row`]).
#[derive(Debug, Clone, Copy)]
pub struct OnOneRow(CarriedUser);

impl CarriedUser {
    /// The user on one row of a list: `CASE WHEN row_number() OVER () = 1 THEN <user> END`,
    /// `None` on every other row ([`CarriedUser::found_in`] finds it). The window has no
    /// order of its own: PostgreSQL numbers the rows in the order its input yields them,
    /// before `ORDER BY`, `OFFSET` and `LIMIT`. For a first page read in its index's order
    /// that is the page's first row, at the cost of a counter. When the rows are sorted after
    /// the scan, the numbered row may fall outside the page, which then carries nobody and
    /// the user is read on their own; a later page (an offset) always skips it, so it should
    /// carry nobody ([`CarriedUser::for_page`]).
    pub fn on_one_row(self) -> OnOneRow {
        OnOneRow(self)
    }

    /// For a page `offset` rows into a list: nobody past the first page (the numbered row is
    /// skipped there), in the same statement text.
    pub fn for_page(self, offset: i64) -> CarriedUser {
        if offset > 0 {
            CarriedUser {
                user_id: None,
                ..self
            }
        } else {
            self
        }
    }

    /// The user a list's rows carried ([`CarriedUser::on_one_row`]): as [`CarriedUser::found`]
    /// on the row that carried them, `None` when none did.
    pub fn found_in<'r>(
        &self,
        rows: impl IntoIterator<Item = &'r mut Carried>,
    ) -> QueryResult<CarriedFound> {
        match rows.into_iter().find(|carried| carried.is_some()) {
            Some(carried) => self.found(Some(carried)),
            // A user who no longer exists is carried by no row either: read on their own.
            None => Ok(None),
        }
    }
}

super::literal::column_expression!(OnOneRow, CarriedSql);

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for OnOneRow {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql("CASE WHEN row_number() OVER () = 1 THEN ");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" END");
        Ok(())
    }
}

/// Organizations by id: id, key, name (for names kept in memory, `services::names`).
pub fn org_names(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String, String)>> {
    organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::key, organizations::name))
        .load(conn)
}

/// Users' names by id.
pub fn user_names(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load(conn)
}

pub fn org_by_key(conn: &mut PgConnection, key: &str) -> QueryResult<Option<OrgRow>> {
    organizations::table
        .filter(organizations::key.eq(key))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()
}

pub fn org_key_taken(conn: &mut PgConnection, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        organizations::table.filter(organizations::key.eq(key)),
    ))
    .get_result(conn)
}

pub fn plan_id_by_key(conn: &mut PgConnection, key: &str) -> QueryResult<i64> {
    plans::table
        .filter(plans::key.eq(key))
        .select(plans::id)
        .first(conn)
}

pub fn insert_org(
    conn: &mut PgConnection,
    key: &str,
    name: &str,
    plan_id: i64,
) -> QueryResult<i64> {
    diesel::insert_into(organizations::table)
        .values((
            organizations::key.eq(key),
            organizations::name.eq(name),
            organizations::plan_id.eq(plan_id),
        ))
        .returning(organizations::id)
        .get_result(conn)
}

pub fn insert_membership(
    conn: &mut PgConnection,
    org_id: i64,
    user_id: i64,
    role: &str,
) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::organization_id.eq(org_id),
            memberships::user_id.eq(user_id),
            memberships::role.eq(role),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The members of an organization with their roles, owners first.
pub fn members_of(conn: &mut PgConnection, org_id: i64) -> QueryResult<Vec<(UserRow, String)>> {
    let mut rows: Vec<(UserRow, String)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::organization_id.eq(org_id))
        .order(users::name.asc())
        .select((UserRow::as_select(), memberships::role))
        .load(conn)?;
    rows.sort_by_key(|(_, role)| match role.as_str() {
        "owner" => 0,
        "admin" => 1,
        _ => 2,
    });
    Ok(rows)
}

/// A member's role, locking the membership row for the rest of the transaction.
pub fn member_role_for_update(
    conn: &mut PgConnection,
    org_id: i64,
    user_id: i64,
) -> QueryResult<Option<String>> {
    memberships::table
        .filter(
            memberships::organization_id
                .eq(org_id)
                .and(memberships::user_id.eq(user_id)),
        )
        .select(memberships::role)
        .for_update()
        .first(conn)
        .optional()
}

/// Owners of an organization, locking their rows so two demotions cannot leave it without one.
pub fn owner_count_for_update(conn: &mut PgConnection, org_id: i64) -> QueryResult<usize> {
    let owners: Vec<i64> = memberships::table
        .filter(
            memberships::organization_id
                .eq(org_id)
                .and(memberships::role.eq("owner")),
        )
        .select(memberships::user_id)
        .for_update()
        .load(conn)?;
    Ok(owners.len())
}

pub fn set_member_role(
    conn: &mut PgConnection,
    org_id: i64,
    user_id: i64,
    role: &str,
) -> QueryResult<usize> {
    diesel::update(
        memberships::table.filter(
            memberships::organization_id
                .eq(org_id)
                .and(memberships::user_id.eq(user_id)),
        ),
    )
    .set(memberships::role.eq(role))
    .execute(conn)
}

pub fn delete_membership(conn: &mut PgConnection, org_id: i64, user_id: i64) -> QueryResult<usize> {
    diesel::delete(
        memberships::table.filter(
            memberships::organization_id
                .eq(org_id)
                .and(memberships::user_id.eq(user_id)),
        ),
    )
    .execute(conn)
}

pub fn update_profile(
    conn: &mut PgConnection,
    user_id: i64,
    name: &str,
    mobile: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::name.eq(name),
            users::mobile.eq(mobile),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

/// Sets a new password hash and ends every other session of the user (the epoch moves on).
pub fn set_password(conn: &mut PgConnection, user_id: i64, hash: &str) -> QueryResult<i32> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(hash),
            users::session_epoch.eq(users::session_epoch + 1),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .returning(users::session_epoch)
        .get_result(conn)
}

pub fn staff_users(conn: &mut PgConnection) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::staff_role.is_not_null())
        .order((users::active.desc(), users::name.asc()))
        .select(UserRow::as_select())
        .load(conn)
}

/// Activates or deactivates a staff user; deactivation ends their sessions on the next request.
pub fn set_staff_active(conn: &mut PgConnection, user_id: i64, active: bool) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::staff_role.is_not_null()),
    )
    .set((
        users::active.eq(active),
        users::session_epoch.eq(users::session_epoch + 1),
        users::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
}

pub fn count_users(conn: &mut PgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn recent_login_failures(
    conn: &mut PgConnection,
    email: &str,
    since: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    login_failures::table
        .filter(
            login_failures::email
                .eq(email)
                .and(login_failures::attempted_at.gt(since)),
        )
        .order(login_failures::attempted_at.asc())
        .select(login_failures::attempted_at)
        .load(conn)
}

pub fn record_login_failure(
    conn: &mut PgConnection,
    email: &str,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email),
            login_failures::attempted_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn clear_login_failures(conn: &mut PgConnection, email: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::email.eq(email)))
        .execute(conn)
        .map(|_| ())
}

pub fn org_key_by_id(conn: &mut PgConnection, id: i64) -> QueryResult<String> {
    organizations::table
        .find(id)
        .select(organizations::key)
        .first(conn)
}

/// Ends every session of the user (logout): cookies carrying the old epoch stop working.
pub fn end_sessions(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::session_epoch.eq(users::session_epoch + 1))
        .execute(conn)
}
