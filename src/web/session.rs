//! The cookie session and the typed extractors that load who is asking. A
//! handler's signature states who may call it: `CurrentUser` (anyone logged in),
//! `Customer`, `Staff`, `Admin`. Out of reach answers follow `domain::access`.

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::{AppError, AppState, with_db};
use crate::db::accounts::{self as q, CarriedUser, MembershipInfo, UserRow, UserWithMemberships};
use crate::domain::access::{self, Answer, Area, Viewer};
use crate::domain::account::{MemberRole, StaffRole};

const USER_ID: &str = "uid";
const EPOCH: &str = "epoch";
const CURRENT_ORG: &str = "org";
/// Set at login for staff: which statement loads the user, never what they may do (that is
/// read afresh on every request).
const STAFF: &str = "staff";
pub const CSRF: &str = "csrf";
/// Whether the customer managed [`CURRENT_ORG`] when they chose it (at login, or by switching
/// or creating one); always written with it: which rows the ticket list reads before the user
/// is confirmed, never what they may see (the list is read again when the confirmed user says
/// otherwise).
const MANAGES: &str = "manages";

/// Starts a fresh session for `user` (no fixation: the old cookie's data is gone, the CSRF token is new).
/// `org`: the customer's organization to work in, and whether they manage it.
pub fn log_in(session: &Session, user: &UserRow, org: Option<(i64, bool)>) -> Result<(), AppError> {
    // clear + renew (not purge: a purged session stays purged and its cookie is deleted).
    session.clear();
    session.renew();
    session
        .insert(USER_ID, user.id)
        .map_err(AppError::internal)?;
    session
        .insert(EPOCH, user.session_epoch)
        .map_err(AppError::internal)?;
    if let Some((org_id, manages)) = org {
        set_current_org(session, org_id, manages)?;
    }
    if user.staff_role.is_some() {
        session.insert(STAFF, true).map_err(AppError::internal)?;
    }
    session
        .insert(CSRF, new_token())
        .map_err(AppError::internal)?;
    Ok(())
}

/// The organization a customer works in from now on, and whether they manage it (the list's
/// hint, [`Asking::list_hint`]).
pub fn set_current_org(session: &Session, org_id: i64, manages: bool) -> Result<(), AppError> {
    session
        .insert(CURRENT_ORG, org_id)
        .map_err(AppError::internal)?;
    session.insert(MANAGES, manages).map_err(AppError::internal)
}

/// After a password change the epoch moves on; this session stays valid.
pub fn set_epoch(session: &Session, epoch: i32) -> Result<(), AppError> {
    session.insert(EPOCH, epoch).map_err(AppError::internal)
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Ok(Some(token)) = session.get::<String>(CSRF) {
        return Ok(token);
    }
    let token = new_token();
    session.insert(CSRF, &token).map_err(AppError::internal)?;
    Ok(token)
}

fn new_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The logged-in person, loaded fresh on every request (a deactivated user or an
/// outdated session epoch ends the session here).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: UserRow,
    /// Organizations of a customer (empty for staff), by name.
    pub memberships: Vec<MembershipInfo>,
    /// The current organization of a customer: the session's choice when still valid, else the first.
    pub current: Option<usize>,
}

impl CurrentUser {
    pub fn staff_role(&self) -> Option<StaffRole> {
        self.user
            .staff_role
            .as_deref()
            .and_then(|r| StaffRole::parse(r).ok())
    }

    pub fn viewer(&self) -> Viewer {
        match (self.staff_role(), self.current_membership()) {
            (Some(role), _) => Viewer::Staff(role),
            (None, Some(m)) => {
                Viewer::Customer(MemberRole::parse(&m.role).unwrap_or(MemberRole::Member))
            }
            // A customer with no organization left may still use their account pages.
            (None, None) => Viewer::Customer(MemberRole::Member),
        }
    }

    pub fn current_membership(&self) -> Option<&MembershipInfo> {
        self.current.and_then(|i| self.memberships.get(i))
    }

    fn require(self, area: Area) -> Result<Self, AppError> {
        match access::area(self.viewer(), area) {
            Answer::Allow => Ok(self),
            Answer::Login => Err(AppError::LoginRequired),
            Answer::NotFound => Err(AppError::NotFound),
        }
    }
}

/// What the session cookie says about who is asking, before the database has confirmed it.
#[derive(Debug, Clone, Copy)]
struct Keys {
    user_id: i64,
    epoch: Option<i32>,
    chosen_org: Option<i64>,
    staff_hint: bool,
    manages_hint: Option<bool>,
}

/// A user as the database has them: their row and, for a customer, their organizations.
pub type Found = Option<UserWithMemberships>;

impl Keys {
    /// `LoginRequired` without a session. A tampered or foreign cookie fails decryption and
    /// reads as no session at all.
    fn of(session: &Session) -> Result<Keys, AppError> {
        let user_id = session
            .get::<i64>(USER_ID)
            .ok()
            .flatten()
            .ok_or(AppError::LoginRequired)?;
        Ok(Keys {
            user_id,
            epoch: session.get::<i32>(EPOCH).ok().flatten(),
            chosen_org: session.get::<i64>(CURRENT_ORG).ok().flatten(),
            staff_hint: session.get::<bool>(STAFF).ok().flatten() == Some(true),
            manages_hint: session.get::<bool>(MANAGES).ok().flatten(),
        })
    }

    /// The user as they are now (run on a database connection).
    fn find(self, conn: &mut diesel::PgConnection) -> Result<Found, AppError> {
        // Staff belong to no organization: their row alone is a one-table statement, which
        // costs PostgreSQL half the three-table join a customer needs. Someone who is no
        // longer staff gets the join.
        if self.staff_hint {
            match q::user_by_id(conn, self.user_id)? {
                None => return Ok(None),
                Some(user) if user.staff_role.is_some() => return Ok(Some((user, Vec::new()))),
                Some(_) => {}
            }
        }
        Ok(q::user_with_memberships(conn, self.user_id)?)
    }

    /// Who is asking, if the session still stands: the user is active and the session's
    /// epoch is theirs. Decides without touching the session (see [`Keys::settle`]).
    fn resolve(self, found: Found) -> Result<CurrentUser, AppError> {
        let Some((user, memberships)) =
            found.filter(|(u, _)| u.active && Some(u.session_epoch) == self.epoch)
        else {
            return Err(AppError::LoginRequired);
        };
        // Staff work in the console, never in an organization.
        let memberships = if user.staff_role.is_none() {
            memberships
        } else {
            Vec::new()
        };
        let current = self
            .chosen_org
            .and_then(|id| memberships.iter().position(|m| m.org.id == id))
            .or(if memberships.is_empty() {
                None
            } else {
                Some(0)
            });
        Ok(CurrentUser {
            user,
            memberships,
            current,
        })
    }

    /// [`Keys::resolve`], and the session follows: a deactivated user or an outdated epoch
    /// ends it; someone no longer staff loses the hint.
    fn settle(self, session: &Session, found: Found) -> Result<CurrentUser, AppError> {
        if self.staff_hint && found.as_ref().is_some_and(|(u, _)| u.staff_role.is_none()) {
            session.remove(STAFF);
        }
        let me = self.resolve(found);
        if me.is_err() {
            session.purge();
        }
        me
    }
}

async fn load(req: HttpRequest) -> Result<CurrentUser, AppError> {
    let session = req.get_session();
    let keys = Keys::of(&session)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("no app state"))?;
    let found = with_db(state, move |conn| keys.find(conn)).await?;
    keys.settle(&session, found)
}

/// Who may call a handler: made from the user the session stands for, or refused
/// (`domain::access` decides).
pub trait Role: Sized + Send + 'static {
    fn of(me: CurrentUser) -> Result<Self, AppError>;
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

fn extract<R: Role>(req: &HttpRequest) -> Boxed<R> {
    let req = req.clone();
    Box::pin(async move { R::of(load(req).await?) })
}

impl Role for CurrentUser {
    fn of(me: CurrentUser) -> Result<Self, AppError> {
        me.require(Area::Account)
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req)
    }
}

/// A customer working in their current organization.
#[derive(Debug, Clone)]
pub struct Customer {
    pub me: CurrentUser,
    pub org: MembershipInfo,
    pub role: MemberRole,
}

impl Role for Customer {
    fn of(me: CurrentUser) -> Result<Self, AppError> {
        let me = me.require(Area::Customer)?;
        // Removed from every organization: the only way on is to create one.
        let org = me
            .current_membership()
            .cloned()
            .ok_or_else(|| AppError::SeeOther("/organizations/new".into()))?;
        let role = MemberRole::parse(&org.role).map_err(|_| AppError::NotFound)?;
        Ok(Customer { me, org, role })
    }
}

impl FromRequest for Customer {
    type Error = AppError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req)
    }
}

/// An agent or admin in the console.
#[derive(Debug, Clone)]
pub struct Staff {
    pub me: CurrentUser,
    pub role: StaffRole,
}

impl Role for Staff {
    fn of(me: CurrentUser) -> Result<Self, AppError> {
        let me = me.require(Area::Console)?;
        let role = me.staff_role().ok_or(AppError::NotFound)?;
        Ok(Staff { me, role })
    }
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req)
    }
}

/// A staff admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Staff);

impl Role for Admin {
    fn of(me: CurrentUser) -> Result<Self, AppError> {
        let me = me.require(Area::Admin)?;
        let role = me.staff_role().ok_or(AppError::NotFound)?;
        Ok(Admin(Staff { me, role }))
    }
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req)
    }
}

/// Who is asking, as a [`Role`], checked in the same database task as the page's own reads:
/// a page then hands work to the blocking pool once instead of twice (the busiest pages take
/// this instead of `Staff` or `Customer`). Either it is known already (a form shown again)
/// or the session's user is still to be read.
pub enum Who<R> {
    Known(R),
    Asking(Asking<R>),
}

/// A session whose user is still to be read (see [`Who`]).
pub struct Asking<R> {
    req: HttpRequest,
    keys: Keys,
    role: std::marker::PhantomData<R>,
}

impl<R: Role> Asking<R> {
    /// The answer to a request refused before reading anything (a malformed path, say): the
    /// user's own refusal when there is one, as the extractor would have given it first;
    /// otherwise `error`.
    pub async fn refuse(self, state: &AppState, error: AppError) -> AppError {
        match Who::Asking(self).with_db(state, |_, _| Ok(())).await {
            Ok(_) => error,
            Err(refused) => refused,
        }
    }
}

impl<R> Asking<R> {
    /// The user id the session names, not yet confirmed: good for looking up what is kept for
    /// that user, never for showing anything before [`Who::with_db`] has confirmed them.
    pub fn user_id(&self) -> i64 {
        self.keys.user_id
    }

    /// The organization the session last chose and whether the customer managed it then
    /// ([`set_current_org`]), not yet confirmed: as [`Asking::user_id`], only for reading
    /// before [`Who::with_db`]. `None` for a session from before the hint was kept.
    pub fn list_hint(&self) -> Option<(i64, bool)> {
        self.keys.chosen_org.zip(self.keys.manages_hint)
    }
}

impl<R: Role> FromRequest for Asking<R> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Keys::of(&req.get_session()).map(|keys| Asking {
            req: req.clone(),
            keys,
            role: std::marker::PhantomData,
        }))
    }
}

impl<R: Role> Who<R> {
    /// Runs `f` with a pooled connection (as [`with_db`]) once the user is confirmed as `R`,
    /// reading the user first in the same task when still asking. A refused user gets the
    /// refusal the `R` extractor gives, and `f` never runs.
    pub async fn with_db<F, T>(self, state: &AppState, f: F) -> Result<(R, T), AppError>
    where
        F: FnOnce(&mut diesel::PgConnection, &R) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.with_db_carrying(state, |_, _| Ok((None, ())), |conn, who, ()| f(conn, who))
            .await
    }

    /// As [`Who::with_db`], with the page's first statement, `first`, carrying the user
    /// ([`CarriedUser`]): it reads before the user is confirmed, and returns what it read with
    /// the user its rows carried (`None`: it carried nobody, so the user is read on their own).
    /// What it read reaches `then`, and so the page, only once the user is confirmed as `R`;
    /// a refused user gets the `R` extractor's refusal and `then` never runs. `first` must
    /// therefore only read, and may depend only on what the session claims (its user id, its
    /// hints), never on what the confirmation decides: `then` checks a guess made from a hint.
    pub async fn with_db_carrying<F1, A, F2, T>(
        self,
        state: &AppState,
        first: F1,
        then: F2,
    ) -> Result<(R, T), AppError>
    where
        F1: FnOnce(&mut diesel::PgConnection, CarriedUser) -> Result<(Option<Found>, A), AppError>
            + Send
            + 'static,
        F2: FnOnce(&mut diesel::PgConnection, &R, A) -> Result<T, AppError> + Send + 'static,
        A: Send + 'static,
        T: Send + 'static,
    {
        match self {
            // The user goes to the task and comes back with the page's reads.
            Who::Known(who) => {
                with_db(state, move |conn| {
                    let (_, read) = first(conn, CarriedUser::NOBODY)?;
                    let value = then(conn, &who, read)?;
                    Ok((who, value))
                })
                .await
            }
            Who::Asking(asking) => {
                let keys = asking.keys;
                let (found, value) = with_db(state, move |conn| {
                    let carry = CarriedUser {
                        user_id: Some(keys.user_id),
                        // Staff belong to no organization (as in `Keys::find`).
                        memberships: !keys.staff_hint,
                    };
                    let (carried, read) = first(conn, carry)?;
                    let found = match carried {
                        // Someone no longer staff was carried without their organizations.
                        Some(found)
                            if !(keys.staff_hint
                                && found.as_ref().is_some_and(|(u, _)| u.staff_role.is_none())) =>
                        {
                            found
                        }
                        _ => keys.find(conn)?,
                    };
                    let value = match keys.resolve(found.clone()).and_then(R::of) {
                        Ok(who) => Some(then(conn, &who, read)),
                        Err(_) => None,
                    };
                    Ok((found, value))
                })
                .await?;
                // The same decision again, now with the session following it (also when the
                // page's own reads failed).
                let who = R::of(keys.settle(&asking.req.get_session(), found)?)?;
                let value =
                    value.ok_or_else(|| AppError::internal("a confirmed user was refused"))??;
                Ok((who, value))
            }
        }
    }
}

/// Anyone, logged in or not (login and signup pages): the session only.
pub fn session_of(req: &HttpRequest) -> Session {
    req.get_session()
}
