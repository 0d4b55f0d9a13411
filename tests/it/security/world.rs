//! One table of every route of DESIGN.md section 5 with who may reach it, and a world
//! with a browser per role and resources of each kind (a member's ticket, another
//! ticket of the same organization, another organization's ticket, their files…).
//! The access matrix and the CSRF checks are both generated from it.

use crate::harness::{Browser, Page, TestApp};

use super::{
    Multipart, PW, add_member, assert_redirect, create_ticket, customer, lit, sql_i64, staff, token,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Anonymous,
    /// A member of acme.
    Member,
    /// An admin of acme.
    OrgAdmin,
    /// The owner of acme.
    Owner,
    /// The owner of globex, another organization.
    OtherOwner,
    Agent,
    Admin,
}
use Role::*;

pub const ROLES: [Role; 7] = [Anonymous, Member, OrgAdmin, Owner, OtherOwner, Agent, Admin];

impl Role {
    pub fn slug(self) -> &'static str {
        match self {
            Anonymous => "anonymous",
            Member => "member",
            OrgAdmin => "orgadmin",
            Owner => "owner",
            OtherOwner => "otherowner",
            Agent => "agent",
            Admin => "admin",
        }
    }

    /// The login of the role (anonymous logs in as the member when a route asks for one).
    pub fn email(self) -> &'static str {
        match self {
            Anonymous | Member => "member@acme.test",
            OrgAdmin => "orgadmin@acme.test",
            Owner => "owner@acme.test",
            OtherOwner => "owner@globex.test",
            Agent => "agent@support.test",
            Admin => "admin@support.test",
        }
    }

    pub fn is_customer(self) -> bool {
        matches!(self, Member | OrgAdmin | Owner | OtherOwner)
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Agent | Admin)
    }

    /// Manages its current organization (members, plan).
    pub fn manages(self) -> bool {
        matches!(self, OrgAdmin | Owner | OtherOwner)
    }

    /// The key of the organization the role works in.
    pub fn home_org(self) -> &'static str {
        if self == OtherOwner { "globex" } else { "acme" }
    }

    fn index(self) -> usize {
        ROLES.iter().position(|r| *r == self).unwrap()
    }
}

/// Whose ticket or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// Submitted by acme's member.
    MemberA,
    /// Submitted by acme's owner.
    OwnerA,
    /// Submitted by globex's owner.
    Globex,
    /// No such number or id.
    Unknown,
}
use Whose::*;

/// What the `{}` of a route's path (or of a field) stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Res {
    None,
    Ticket(Whose),
    File(Whose),
    /// A member of the role's own organization (a different one per managing role, as
    /// the matrix changes and removes them).
    Colleague,
    /// A member of the other organization.
    Stranger,
    /// A staff user (for the admin pages).
    StaffUser,
    /// A customer's id on the staff pages.
    CustomerUser,
    Org,
    UnknownOrg,
    Plan,
    UnknownPlan,
    /// The key of the role's own organization, and of the other one.
    OwnOrgKey,
    OtherOrgKey,
}

pub const TICKETS: &[Res] = &[
    Res::Ticket(MemberA),
    Res::Ticket(OwnerA),
    Res::Ticket(Globex),
    Res::Ticket(Unknown),
];
const FILES: &[Res] = &[
    Res::File(MemberA),
    Res::File(OwnerA),
    Res::File(Globex),
    Res::File(Unknown),
];
const MEMBERS: &[Res] = &[Res::Colleague, Res::Stranger];
const STAFF_USERS: &[Res] = &[Res::StaffUser, Res::CustomerUser];
const ORGS: &[Res] = &[Res::Org, Res::UnknownOrg];
const PLANS: &[Res] = &[Res::Plan, Res::UnknownPlan];
const NONE: &[Res] = &[Res::None];

impl Res {
    /// May `role` see this resource at all (the area aside)?
    pub fn visible_to(self, role: Role) -> bool {
        match self {
            Res::Ticket(w) | Res::File(w) => match w {
                MemberA => matches!(role, Member | OrgAdmin | Owner | Agent | Admin),
                OwnerA => matches!(role, OrgAdmin | Owner | Agent | Admin),
                Globex => matches!(role, OtherOwner | Agent | Admin),
                Unknown => false,
            },
            Res::None | Res::Colleague | Res::StaffUser | Res::Org | Res::Plan | Res::OwnOrgKey => {
                true
            }
            Res::Stranger
            | Res::CustomerUser
            | Res::UnknownOrg
            | Res::UnknownPlan
            | Res::OtherOrgKey => false,
        }
    }
}

/// Who may reach a route (DESIGN.md section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Anyone, logged in or not.
    Public,
    /// Anyone logged in.
    Account,
    /// Customers.
    Customer,
    /// Owners and admins of the current organization (members get 404).
    Manage,
    /// Agents and admins.
    Console,
    /// Staff admins.
    Admins,
}

impl Area {
    fn admits(self, role: Role) -> bool {
        match self {
            Area::Public => true,
            Area::Account => role != Anonymous,
            Area::Customer => role.is_customer(),
            Area::Manage => role.manages(),
            Area::Console => role.is_staff(),
            Area::Admins => role == Admin,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// 303 to `/login`.
    Login,
    /// 404 with the error page.
    NotFound,
    /// GET: 200; POST: 303, or a refusal of the request itself (400, 409, 422) — never 500.
    Allow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// application/x-www-form-urlencoded.
    Post,
    /// multipart/form-data.
    Multipart,
}

/// A form: fields with placeholders `{}` (the resource), `{role}`, `{email}`, `{agent}`,
/// `{calendar}`; `Plan(key)` is the whole admin plan form.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    Fields(&'static [(&'static str, &'static str)]),
    Plan(&'static str),
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub area: Area,
    pub res: &'static [Res],
    pub body: Body,
    /// The request may change who the browser is (login, signup, logout, a new
    /// organization): log the role in again afterwards.
    pub relogin: bool,
}

const fn get(path: &'static str, area: Area, res: &'static [Res]) -> Route {
    Route {
        method: Method::Get,
        path,
        area,
        res,
        body: Body::Fields(&[]),
        relogin: false,
    }
}

const fn post(
    method: Method,
    path: &'static str,
    area: Area,
    res: &'static [Res],
    fields: &'static [(&'static str, &'static str)],
) -> Route {
    Route {
        method,
        path,
        area,
        res,
        body: Body::Fields(fields),
        relogin: false,
    }
}

const fn relogin(mut r: Route) -> Route {
    r.relogin = true;
    r
}

use Area::*;
use Method::{Multipart as Mp, Post};

/// Every route of DESIGN.md section 5 that `src/web/mod.rs` serves, GET and POST.
pub const ROUTES: &[Route] = &[
    get("/healthz", Public, NONE),
    get("/signup", Public, NONE),
    get("/login", Public, NONE),
    get("/profile", Account, NONE),
    get("/tickets", Customer, NONE),
    get("/tickets?q=SECRET&page_size=100", Customer, NONE),
    get("/tickets/new", Customer, NONE),
    get("/tickets/{}", Customer, TICKETS),
    get("/tickets/{}/close", Customer, TICKETS),
    get("/attachments/{}", Account, FILES),
    get("/plan", Customer, NONE),
    get("/organization", Customer, NONE),
    get("/organization/members/{}/remove", Manage, MEMBERS),
    get("/organizations/new", Customer, NONE),
    get("/console", Console, NONE),
    get("/console?view=open&q=SECRET", Console, NONE),
    get("/console/tickets/{}", Console, TICKETS),
    get("/admin/users", Admins, NONE),
    get("/admin/users/{}/deactivate", Admins, STAFF_USERS),
    get("/admin/plans", Admins, NONE),
    get("/admin/plans/new", Admins, NONE),
    get("/admin/plans/{}", Admins, PLANS),
    get("/admin/organizations", Admins, NONE),
    get("/admin/organizations?q=acme", Admins, NONE),
    get("/admin/organizations/{}", Admins, ORGS),
    get("/admin/calendars", Admins, NONE),
    relogin(post(
        Post,
        "/signup",
        Public,
        NONE,
        &[
            ("organization", "Signed up by {role}"),
            ("organization_key", "signup-{role}"),
            ("name", "New {role}"),
            ("email", "signup-{role}@example.test"),
            ("password", PW),
        ],
    )),
    relogin(post(
        Post,
        "/login",
        Public,
        NONE,
        &[("email", "{email}"), ("password", PW)],
    )),
    post(
        Post,
        "/profile",
        Account,
        NONE,
        &[
            ("form", "details"),
            ("name", "Renamed {role}"),
            ("mobile", ""),
        ],
    ),
    post(
        Post,
        "/tickets/columns",
        Customer,
        NONE,
        &[("show", "priority"), ("show", "status")],
    ),
    post(
        Mp,
        "/tickets",
        Customer,
        NONE,
        &[
            ("subject", "Opened by {role}"),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", "Created by the access matrix."),
        ],
    ),
    post(
        Mp,
        "/tickets/{}/messages",
        Customer,
        TICKETS,
        &[("body", "A reply from {role}.")],
    ),
    post(Post, "/tickets/{}/close", Customer, TICKETS, &[]),
    post(Post, "/plan", Manage, NONE, &[("plan", "medium")]),
    post(
        Post,
        "/plan/custom",
        Manage,
        NONE,
        &[("message", "We need a bigger plan.")],
    ),
    post(
        Post,
        "/organization/members",
        Manage,
        NONE,
        &[
            ("name", "Added by {role}"),
            ("email", "added-by-{role}@example.test"),
            ("password", PW),
            ("role", "member"),
        ],
    ),
    post(
        Post,
        "/organization/members/{}/role",
        Manage,
        MEMBERS,
        &[("role", "admin")],
    ),
    post(
        Post,
        "/organization/members/{}/remove",
        Manage,
        MEMBERS,
        &[],
    ),
    post(
        Post,
        "/organization/switch",
        Customer,
        &[Res::OwnOrgKey, Res::OtherOrgKey],
        &[("organization", "{}")],
    ),
    relogin(post(
        Post,
        "/organizations/new",
        Customer,
        NONE,
        &[
            ("organization", "Second of {role}"),
            ("organization_key", "second-{role}"),
        ],
    )),
    post(Post, "/console/tickets/{}/accept", Console, TICKETS, &[]),
    post(
        Mp,
        "/console/tickets/{}/messages",
        Console,
        TICKETS,
        &[("body", "A note from {role}."), ("internal", "1")],
    ),
    post(
        Post,
        "/console/tickets/{}/assign",
        Console,
        TICKETS,
        &[("agent", "{agent}")],
    ),
    post(
        Post,
        "/console/tickets/{}/priority",
        Console,
        TICKETS,
        &[("priority", "high")],
    ),
    post(
        Post,
        "/console/tickets/{}/category",
        Console,
        TICKETS,
        &[("category", "sales")],
    ),
    post(Post, "/console/tickets/{}/close", Console, TICKETS, &[]),
    post(
        Post,
        "/admin/users",
        Admins,
        NONE,
        &[
            ("name", "Hired by {role}"),
            ("email", "hired-by-{role}@support.test"),
            ("password", PW),
            ("role", "agent"),
        ],
    ),
    post(Post, "/admin/users/{}/deactivate", Admins, STAFF_USERS, &[]),
    post(Post, "/admin/users/{}/activate", Admins, STAFF_USERS, &[]),
    Route {
        method: Post,
        path: "/admin/plans/new",
        area: Admins,
        res: NONE,
        body: Body::Plan("silver-{role}"),
        relogin: false,
    },
    Route {
        method: Post,
        path: "/admin/plans/{}",
        area: Admins,
        res: PLANS,
        body: Body::Plan("gold"),
        relogin: false,
    },
    post(
        Post,
        "/admin/plans/{}/clone",
        Admins,
        PLANS,
        &[("organization", "acme")],
    ),
    post(
        Post,
        "/admin/organizations/{}/plan",
        Admins,
        ORGS,
        &[("plan", "medium")],
    ),
    post(
        Post,
        "/admin/calendars",
        Admins,
        NONE,
        &[
            ("action", "add_holiday"),
            ("calendar", "{calendar}"),
            ("day", "2031-03-21"),
            ("holiday_name", "Nowruz by {role}"),
        ],
    ),
    relogin(post(Post, "/logout", Account, NONE, &[])),
];

/// The answer DESIGN.md section 1 gives `role` on `route` for `res`.
pub fn want(route: &Route, role: Role, res: Res) -> Want {
    if route.area == Public {
        Want::Allow
    } else if role == Anonymous {
        Want::Login
    } else if !route.area.admits(role) || !res.visible_to(role) {
        Want::NotFound
    } else {
        Want::Allow
    }
}

/// The fields of the admin plan form for a plan `key` (every priority available).
pub fn plan_form(key: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("key", key),
        ("name", "Gold"),
        ("description", "Gold support."),
        ("price", "2,000,000"),
        ("currency", "IRR"),
        ("calendar", "24x7"),
        ("organization", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (p, quota, response) in [
        ("critical", "1", "60"),
        ("urgent", "4", "90"),
        ("high", "", "240"),
        ("normal", "", "480"),
        ("low", "", "2880"),
    ] {
        v.push((format!("{p}_available"), "1".into()));
        v.push((format!("{p}_quota"), quota.into()));
        v.push((format!("{p}_response"), response.into()));
        v.push((format!("{p}_resolution"), String::new()));
    }
    v
}

/// Markers of each ticket (subject, body, file name, file content): a page shown to
/// someone who may not see the ticket must contain none of them.
pub fn markers(w: Whose) -> [&'static str; 4] {
    match w {
        MemberA => [
            "SECRET-MEMBER-A",
            "BODY-MEMBER-A",
            "file-member-a.txt",
            "CONTENT-MEMBER-A",
        ],
        OwnerA => [
            "SECRET-OWNER-A",
            "BODY-OWNER-A",
            "file-owner-a.txt",
            "CONTENT-OWNER-A",
        ],
        Globex => [
            "SECRET-GLOBEX",
            "BODY-GLOBEX",
            "file-globex.txt",
            "CONTENT-GLOBEX",
        ],
        Unknown => ["", "", "", ""],
    }
}

/// The app, a browser per role, and the resources the routes are tried on.
pub struct World {
    pub app: TestApp,
    browsers: Vec<Browser>,
    tokens: Vec<Option<String>>,
    tickets: [i64; 3],
    files: [i64; 3],
    /// Members the managing roles change and remove: acme's for the org admin and the
    /// owner, globex's for its owner, and one of each organization nobody removes.
    victims: [i64; 3],
    colleague_a: i64,
    colleague_g: i64,
    staff_victim: i64,
    customer_id: i64,
    pub agent_id: i64,
    calendar_id: i64,
}

fn whose_index(w: Whose) -> usize {
    match w {
        MemberA => 0,
        OwnerA => 1,
        Globex => 2,
        Unknown => unreachable!(),
    }
}

fn user_id(app: &TestApp, email: &str) -> i64 {
    sql_i64(
        app,
        &format!("SELECT id FROM users WHERE email = {}", lit(email)),
    )
}

impl World {
    pub async fn new() -> World {
        let app = TestApp::spawn().await;
        let owner = customer(&app, "acme", Owner.email()).await;
        let other = customer(&app, "globex", OtherOwner.email()).await;
        for (b, email, role) in [
            (&owner, OrgAdmin.email(), "admin"),
            (&owner, Member.email(), "member"),
            (&owner, "victim-orgadmin@acme.test", "member"),
            (&owner, "victim-owner@acme.test", "member"),
            (&owner, "colleague@acme.test", "member"),
            (&other, "victim@globex.test", "member"),
            (&other, "colleague@globex.test", "member"),
        ] {
            let p = add_member(b, email, &format!("Person {email}"), role).await;
            assert_eq!(p.status, 303, "adding {email}: {}", p.body);
        }
        let member = super::browser(&app);
        assert_redirect(&member.login(Member.email(), PW).await, "/tickets");
        let orgadmin = super::browser(&app);
        assert_redirect(&orgadmin.login(OrgAdmin.email(), PW).await, "/tickets");
        let (agent, agent_id) = staff(&app, "agent", Agent.email()).await;
        let (admin, _) = staff(&app, "admin", Admin.email()).await;
        let staff_victim = app.add_staff("agent", "victim@support.test", PW);

        let mut tickets = [0; 3];
        let mut files = [0; 3];
        for (i, (b, w)) in [(&member, MemberA), (&owner, OwnerA), (&other, Globex)]
            .into_iter()
            .enumerate()
        {
            let [subject, body, file, content] = markers(w);
            let n = create_ticket(
                b,
                &format!("{subject} printer"),
                &format!("{body}: it is on fire."),
                &[(file, content.as_bytes())],
            )
            .await;
            tickets[i] = n;
            files[i] = sql_i64(
                &app,
                &format!("SELECT id FROM attachments WHERE ticket_number = {n}"),
            );
        }
        let fields = plan_form("gold");
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let p = admin.post("/admin/plans/new", &fields).await;
        assert_eq!(p.status, 303, "creating the gold plan: {}", p.body);

        World {
            tickets,
            files,
            victims: [
                user_id(&app, "victim-orgadmin@acme.test"),
                user_id(&app, "victim-owner@acme.test"),
                user_id(&app, "victim@globex.test"),
            ],
            colleague_a: user_id(&app, "colleague@acme.test"),
            colleague_g: user_id(&app, "colleague@globex.test"),
            staff_victim,
            customer_id: user_id(&app, Owner.email()),
            agent_id,
            calendar_id: sql_i64(&app, "SELECT min(id) FROM calendars"),
            browsers: vec![
                super::browser(&app),
                member,
                orgadmin,
                owner,
                other,
                agent,
                admin,
            ],
            tokens: vec![None; ROLES.len()],
            app,
        }
    }

    pub fn browser(&self, role: Role) -> &Browser {
        &self.browsers[role.index()]
    }

    /// The role's CSRF token (cached until the role logs in again).
    pub async fn token(&mut self, role: Role) -> String {
        let i = role.index();
        if self.tokens[i].is_none() {
            self.tokens[i] = Some(token(&self.browsers[i]).await);
        }
        self.tokens[i].clone().unwrap()
    }

    /// A fresh browser for `role`: logged in again and back in its own organization.
    pub async fn relogin(&mut self, role: Role) {
        let b = super::browser(&self.app);
        if role != Anonymous {
            let p = b.login(role.email(), PW).await;
            assert_eq!(p.status, 303, "{role:?} logs in again: {}", p.body);
        }
        if role.is_customer() {
            let p = b
                .post("/organization/switch", &[("organization", role.home_org())])
                .await;
            assert_redirect(&p, "/tickets");
        }
        self.browsers[role.index()] = b;
        self.tokens[role.index()] = None;
    }

    fn resource(&self, res: Res, role: Role) -> String {
        let id = match res {
            Res::None => return String::new(),
            Res::Ticket(Unknown) | Res::File(Unknown) => 999_999,
            Res::Ticket(w) => self.tickets[whose_index(w)],
            Res::File(w) => self.files[whose_index(w)],
            Res::Colleague => match role {
                OrgAdmin => self.victims[0],
                Owner => self.victims[1],
                OtherOwner => self.victims[2],
                _ => self.colleague_a,
            },
            Res::Stranger if role == OtherOwner => self.colleague_a,
            Res::Stranger => self.colleague_g,
            Res::StaffUser => self.staff_victim,
            Res::CustomerUser => self.customer_id,
            Res::Org => return "acme".into(),
            Res::UnknownOrg => return "no-such-org".into(),
            Res::Plan => return "gold".into(),
            Res::UnknownPlan => return "no-such-plan".into(),
            Res::OwnOrgKey => return role.home_org().into(),
            Res::OtherOrgKey if role == OtherOwner => return "acme".into(),
            Res::OtherOrgKey => return "globex".into(),
        };
        id.to_string()
    }

    fn fill(&self, template: &str, role: Role, res: Res) -> String {
        template
            .replace("{}", &self.resource(res, role))
            .replace("{role}", role.slug())
            .replace("{email}", role.email())
            .replace("{agent}", &self.agent_id.to_string())
            .replace("{calendar}", &self.calendar_id.to_string())
    }

    pub fn path(&self, route: &Route, role: Role, res: Res) -> String {
        self.fill(route.path, role, res)
    }

    /// The route's fields for `role` and `res`, filled in.
    pub fn fields(&self, route: &Route, role: Role, res: Res) -> Vec<(String, String)> {
        match route.body {
            Body::Fields(fields) => fields
                .iter()
                .map(|(k, v)| (k.to_string(), self.fill(v, role, res)))
                .collect(),
            Body::Plan(key) => plan_form(&self.fill(key, role, res)),
        }
    }

    /// Sends the route as `role` on `res`, with `token` (None: no token field at all)
    /// and extra headers. GETs ignore the token.
    pub async fn send_as(
        &self,
        role: Role,
        route: &Route,
        res: Res,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Page {
        let b = self.browser(role);
        let path = self.path(route, role, res);
        let fields = self.fields(route, role, res);
        match route.method {
            Method::Get => {
                let mut request = b.client.get(b.url(&path));
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                super::page_of(request.send().await.expect("GET")).await
            }
            Method::Post => {
                let mut all: Vec<(&str, &str)> = Vec::new();
                if let Some(t) = token {
                    all.push(("csrf_token", t));
                }
                all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let mut request = b.client.post(b.url(&path)).form(&all);
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                super::page_of(request.send().await.expect("POST")).await
            }
            Method::Multipart => {
                let mut m = Multipart::new();
                if let Some(t) = token {
                    m = m.text("csrf_token", t);
                }
                for (k, v) in &fields {
                    m = m.text(k, v);
                }
                m.send(b, &path, headers).await
            }
        }
    }

    /// Sends the route as `role` with the role's own token.
    pub async fn send(&mut self, role: Role, route: &Route, res: Res) -> Page {
        let token = self.token(role).await;
        self.send_as(role, route, res, Some(&token), &[]).await
    }
}
