//! What every page template gets: the language, the CSRF token, the navigation,
//! and for forms what was typed and what was wrong with it.

use std::future::{Ready, ready};

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::StatusCode};
use askama::Template;

use super::AppError;
use super::session::{CurrentUser, Customer, Staff, csrf_token};
use crate::i18n::Lang;
use crate::services::{FieldProblem, ServiceError};

/// One organization in the header's switcher.
#[derive(Debug, Clone)]
pub struct OrgChoice {
    pub key: String,
    pub name: String,
    pub current: bool,
}

#[derive(Debug, Clone, Default)]
pub enum Nav {
    /// Login, signup, error pages.
    #[default]
    Anonymous,
    Customer {
        user_name: String,
        orgs: Vec<OrgChoice>,
        org_name: String,
        manages: bool,
    },
    Staff {
        user_name: String,
        is_admin: bool,
    },
}

/// The page context: every template has one as `ctx`.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    pub path: String,
    pub nav: Nav,
}

impl Ctx {
    /// For pages that are not tied to a session (error pages): no forms, no navigation.
    pub fn bare(lang: Lang) -> Self {
        Ctx {
            lang,
            csrf: String::new(),
            path: String::new(),
            nav: Nav::Anonymous,
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// `aria-current="page"` for the side navigation link of `prefix`.
    pub fn current(&self, prefix: &str) -> bool {
        if prefix == "/" {
            self.path == "/"
        } else {
            self.path == prefix || self.path.starts_with(&format!("{prefix}/"))
        }
    }

    pub fn for_user(mut self, me: &CurrentUser) -> Self {
        self.nav = match me.staff_role() {
            Some(role) => Nav::Staff {
                user_name: me.user.name.clone(),
                is_admin: role == crate::domain::account::StaffRole::Admin,
            },
            None => Nav::Customer {
                user_name: me.user.name.clone(),
                orgs: me
                    .memberships
                    .iter()
                    .enumerate()
                    .map(|(i, m)| OrgChoice {
                        key: m.org.key.clone(),
                        name: m.org.name.clone(),
                        current: Some(i) == me.current,
                    })
                    .collect(),
                org_name: me
                    .current_membership()
                    .map(|m| m.org.name.clone())
                    .unwrap_or_default(),
                manages: me.current_membership().is_some_and(|m| {
                    crate::domain::account::MemberRole::parse(&m.role).is_ok_and(|r| r.manages())
                }),
            },
        };
        self
    }

    pub fn for_customer(self, c: &Customer) -> Self {
        self.for_user(&c.me)
    }

    pub fn for_staff(self, s: &Staff) -> Self {
        self.for_user(&s.me)
    }

    pub fn is_customer(&self) -> bool {
        matches!(self.nav, Nav::Customer { .. })
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.nav, Nav::Staff { .. })
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.nav, Nav::Staff { is_admin: true, .. })
    }

    pub fn user_name(&self) -> &str {
        match &self.nav {
            Nav::Customer { user_name, .. } | Nav::Staff { user_name, .. } => user_name,
            Nav::Anonymous => "",
        }
    }

    pub fn orgs(&self) -> &[OrgChoice] {
        match &self.nav {
            Nav::Customer { orgs, .. } => orgs,
            _ => &[],
        }
    }

    pub fn manages_org(&self) -> bool {
        matches!(self.nav, Nav::Customer { manages: true, .. })
    }
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(csrf_token(&req.get_session()).map(|csrf| Ctx {
            lang: Lang::default(),
            csrf,
            path: req.path().to_string(),
            nav: Nav::Anonymous,
        }))
    }
}

/// What a form shows: the values typed (never passwords) and a message per field.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    values: Vec<(std::borrow::Cow<'static, str>, String)>,
    errors: Vec<(std::borrow::Cow<'static, str>, String)>,
    /// A message about the whole form (`role="alert"`).
    pub alert: Option<String>,
}

impl FormState {
    pub fn with_values(values: Vec<(&'static str, String)>) -> Self {
        FormState {
            values: values.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            ..Default::default()
        }
    }

    /// Values under names built at run time (e.g. one per priority).
    pub fn with_owned(values: Vec<(String, String)>) -> Self {
        FormState {
            values: values.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            ..Default::default()
        }
    }

    pub fn add_owned_error(&mut self, field: String, message: String) {
        self.errors.push((field.into(), message));
    }

    pub fn v(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn e(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.as_str())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.alert.is_some()
    }

    pub fn set(&mut self, name: &'static str, value: String) {
        self.values.retain(|(n, _)| n != name);
        self.values.push((name.into(), value));
    }

    pub fn add_error(&mut self, field: &'static str, message: String) {
        self.errors.push((field.into(), message));
    }

    /// Puts a service's refusal on the form; returns the status to answer with.
    pub fn refuse(&mut self, lang: Lang, error: ServiceError) -> Result<StatusCode, AppError> {
        let put = |form: &mut FormState, problems: Vec<FieldProblem>| {
            for p in problems {
                form.errors.push((p.field.into(), lang.t(p.key)));
            }
        };
        match error {
            ServiceError::Invalid(problems) => {
                put(self, problems);
                Ok(StatusCode::UNPROCESSABLE_ENTITY)
            }
            ServiceError::Malformed(problems) => {
                put(self, problems);
                Ok(StatusCode::BAD_REQUEST)
            }
            ServiceError::Refused(key) => {
                self.alert = Some(lang.t(key));
                Ok(StatusCode::UNPROCESSABLE_ENTITY)
            }
            ServiceError::Conflict(key) => {
                self.alert = Some(lang.t(key));
                Ok(StatusCode::CONFLICT)
            }
            ServiceError::Plan(refusal) => {
                self.alert = Some(plan_refusal_text(lang, &refusal));
                self.errors
                    .push(("priority".into(), self.alert.clone().unwrap_or_default()));
                Ok(StatusCode::UNPROCESSABLE_ENTITY)
            }
            ServiceError::Stale => {
                self.alert = Some(lang.t("reply-stale"));
                Ok(StatusCode::CONFLICT)
            }
            ServiceError::NotFound => Err(AppError::NotFound),
            ServiceError::Db(e) => Err(e.into()),
        }
    }
}

/// "Your Basic plan allows 10 normal tickets a month; 10 of 10 used this month."
pub fn plan_refusal_text(lang: Lang, refusal: &crate::domain::plan::CreateRefusal) -> String {
    use crate::domain::plan::CreateRefusal;
    use crate::i18n::FluentArg;
    match refusal {
        CreateRefusal::NotOffered { plan, priority } => lang.t_args(
            refusal.key(),
            &[
                ("plan", FluentArg::from(plan.as_str())),
                ("priority", FluentArg::from(priority.label())),
            ],
        ),
        CreateRefusal::QuotaUsed {
            plan,
            priority,
            quota,
            used,
        } => lang.t_args(
            refusal.key(),
            &[
                ("plan", FluentArg::from(plan.as_str())),
                ("priority", FluentArg::from(priority.as_str())),
                ("quota", FluentArg::Num(i64::from(*quota))),
                ("used", FluentArg::Num(i64::from(*used))),
            ],
        ),
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Db(e) => e.into(),
            other => AppError::BadRequest(format!("{other}")),
        }
    }
}

/// The room a page is rendered into at first ([`render`]).
const PAGE_CAPACITY: usize = 32 * 1024;

/// Renders a page with a status (200 for pages, 400/422 for forms sent back).
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    // Pages run to 20 KB and more (a queue page with 25 rows is 21 KB): begin with room for
    // one, rather than with the template's static text and growing it a few times.
    let mut html = String::with_capacity(PAGE_CAPACITY.max(T::SIZE_HINT));
    page.render_into(&mut html)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

pub fn ok(page: &impl Template) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, page)
}
