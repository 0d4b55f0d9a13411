//! actix-web: the server, routes, middleware and handlers.

mod account;
mod admin;
mod attachments;
pub mod auth;
mod console;
pub mod csrf;
pub mod customer;
pub mod error;
mod health;
pub mod page;
mod plan_view;
pub(crate) mod present;
pub mod session;
mod static_files;
mod ticket_view;
pub mod turns;
pub mod upload;

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::PgConnection;

use crate::config::{ConfigError, Settings};
use crate::db::{CHECKOUT_TIMEOUT, PgPool};
pub use console::BADGES_TTL;
pub use error::AppError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    /// Signs and encrypts the session cookie; the same on every process.
    key: Key,
    /// Plans as pages show them (see `PlanCache`).
    pub plans: crate::services::plans::PlanCache,
    /// The console's agents to assign (see `AgentBook`).
    pub agents: crate::services::staff::AgentBook,
    /// The queue's count badges (see `console::Badges`).
    pub badges: console::Badges,
    /// The names of organizations and people the queue and ticket pages show (see `Names`).
    pub names: crate::services::names::Names,
    /// One action per ticket at a time (see `turns`).
    pub turns: turns::TicketTurns,
}

impl AppState {
    pub fn new(pool: PgPool, settings: Settings) -> Result<Self, ConfigError> {
        let key = Key::derive_from(&settings.secret_key_material()?);
        Ok(AppState {
            pool,
            settings: Arc::new(settings),
            key,
            plans: Default::default(),
            agents: Default::default(),
            badges: console::Badges::new(console::BADGES_TTL),
            names: Default::default(),
            turns: Default::default(),
        })
    }

    /// What a ticket page reads from memory.
    pub fn page_kept(&self) -> crate::services::tickets::PageKept {
        crate::services::tickets::PageKept {
            plans: self.plans.clone(),
            names: self.names.clone(),
        }
    }
}

/// `303 See Other` to `to`: the answer to every successful POST.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// `303 See Other` to `path?query`.
pub fn see_other_with(path: &str, query: &str) -> HttpResponse {
    see_other(&format!("{path}?{query}"))
}

/// The strict policy: nothing inline, nothing from elsewhere, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Runs `f` with a pooled connection on the blocking thread pool: every database
/// call from an async handler goes through here.
///
/// Each worker's blocking pool has as many threads as it has connections (see
/// [`build_server`]), so a task that runs finds a connection free, and tasks wait their turn
/// in the worker's queue, first come first served. (With more threads than connections,
/// threads waited in the connection pool, where one that had just given a connection back
/// could take it again before the longest waiter woke: at 32 clients the floor's p99 was
/// 354 ms, and every page paid for the extra threads switching in and out.)
///
/// A task that has not started within [`CHECKOUT_TIMEOUT`] is given up and never runs: a
/// 503, so `/healthz` answers within 3 seconds even when every connection is held. So is a
/// task whose request went away before it started (the client hung up).
pub async fn with_db<F, T>(state: &AppState, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let busy = || AppError::Unavailable("every database connection stayed busy".into());
    let deadline = tokio::time::Instant::now() + CHECKOUT_TIMEOUT;
    let turn = Turn::default();
    let task_turn = turn.clone();
    let pool = state.pool.clone();
    let mut task = std::pin::pin!(web::block(move || {
        if !task_turn.start() {
            return Err(busy());
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let mut conn = pool.get_timeout(left)?;
        f(&mut conn)
    }));
    // Dropped before its task started (timeout below, or the request gone): the task never runs.
    let _give_up = GiveUpUnlessStarted(turn.clone());
    match tokio::time::timeout_at(deadline, task.as_mut()).await {
        Ok(done) => done.map_err(AppError::internal)?,
        Err(_) if turn.give_up() => Err(busy()),
        // Started in time: it finishes, however long it takes.
        Err(_) => task.await.map_err(AppError::internal)?,
    }
}

/// Whether a queued database task runs: whichever of the task (starting) and its request
/// (giving up) moves first decides.
#[derive(Clone, Default)]
struct Turn(Arc<std::sync::atomic::AtomicU8>);

impl Turn {
    const WAITING: u8 = 0;
    const STARTED: u8 = 1;
    const GIVEN_UP: u8 = 2;

    fn mark(&self, to: u8) -> bool {
        use std::sync::atomic::Ordering;
        self.0
            .compare_exchange(Self::WAITING, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The task may run (nobody gave it up first).
    fn start(&self) -> bool {
        self.mark(Self::STARTED)
    }

    /// The task will never run (it had not started).
    fn give_up(&self) -> bool {
        self.mark(Self::GIVEN_UP)
    }
}

struct GiveUpUnlessStarted(Turn);

impl Drop for GiveUpUnlessStarted {
    fn drop(&mut self) {
        self.0.give_up();
    }
}

/// Runs slow CPU work (password hashing) on a thread of its own, at most one per core at a
/// time; the rest wait their turn without holding a thread. Never on the blocking pool: its
/// threads are the database connections' (see [`with_db`]), and pages queued behind a 50 ms
/// hash would wait for it.
pub async fn off_the_pool<F, T>(f: F) -> Result<T, AppError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    static TURNS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    let turns = TURNS.get_or_init(|| Arc::new(tokio::sync::Semaphore::new(crate::config::cores())));
    let permit = turns
        .clone()
        .acquire_owned()
        .await
        .map_err(AppError::internal)?;
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("supportdesk-slow".into())
        .spawn(move || {
            let _permit = permit;
            let _ = done.send(f());
        })
        .map_err(AppError::internal)?;
    result.await.map_err(AppError::internal)
}

/// Registers every route; shared by `serve` and the tests.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/static/{file}", web::get().to(static_files::serve))
        .route("/", web::get().to(auth::home))
        .service(
            web::resource("/signup")
                .get(auth::signup_form)
                .post(auth::signup),
        )
        .service(
            web::resource("/login")
                .get(auth::login_form)
                .post(auth::login),
        )
        .route("/logout", web::post().to(auth::logout))
        .service(
            web::resource("/profile")
                .get(account::show)
                .post(account::update),
        )
        .service(
            web::resource("/tickets")
                .get(customer::tickets::list)
                .post(customer::tickets::create)
                .app_data(web::PayloadConfig::new(upload::UPLOAD_LIMIT)),
        )
        .route(
            "/tickets/columns",
            web::post().to(customer::tickets::set_columns),
        )
        .route("/tickets/new", web::get().to(customer::tickets::new_form))
        .route("/tickets/{number}", web::get().to(customer::tickets::show))
        .service(
            web::resource("/tickets/{number}/messages")
                .post(customer::tickets::reply)
                .app_data(web::PayloadConfig::new(upload::UPLOAD_LIMIT)),
        )
        .service(
            web::resource("/tickets/{number}/close")
                .get(customer::tickets::confirm_close)
                .post(customer::tickets::close),
        )
        .route("/attachments/{id}", web::get().to(attachments::download))
        .service(
            web::resource("/plan")
                .get(customer::plan::show)
                .post(customer::plan::choose),
        )
        .route(
            "/plan/custom",
            web::post().to(customer::plan::request_custom),
        )
        .route("/organization", web::get().to(customer::organization::show))
        .route(
            "/organization/members",
            web::post().to(customer::organization::add_member),
        )
        .route(
            "/organization/members/{user}/role",
            web::post().to(customer::organization::change_role),
        )
        .service(
            web::resource("/organization/members/{user}/remove")
                .get(customer::organization::confirm_remove)
                .post(customer::organization::remove),
        )
        .route(
            "/organization/switch",
            web::post().to(customer::organization::switch),
        )
        .service(
            web::resource("/organizations/new")
                .get(customer::organization::new_form)
                .post(customer::organization::create),
        )
        .route("/console", web::get().to(console::queue))
        .route(
            "/console/tickets/{number}",
            web::get().to(console::ticket::show),
        )
        .route(
            "/console/tickets/{number}/accept",
            web::post().to(console::ticket::accept),
        )
        .service(
            web::resource("/console/tickets/{number}/messages")
                .post(console::ticket::message)
                .app_data(web::PayloadConfig::new(upload::UPLOAD_LIMIT)),
        )
        .route(
            "/console/tickets/{number}/close",
            web::post().to(console::ticket::close),
        )
        .route(
            "/console/tickets/{number}/assign",
            web::post().to(console::ticket::assign),
        )
        .route(
            "/console/tickets/{number}/priority",
            web::post().to(console::ticket::priority),
        )
        .route(
            "/console/tickets/{number}/category",
            web::post().to(console::ticket::category),
        )
        .service(
            web::resource("/admin/users")
                .get(admin::users::list)
                .post(admin::users::create),
        )
        .service(
            web::resource("/admin/users/{user}/deactivate")
                .get(admin::users::confirm_deactivate)
                .post(admin::users::deactivate),
        )
        .route(
            "/admin/users/{user}/activate",
            web::post().to(admin::users::activate),
        )
        .route("/admin/plans", web::get().to(admin::plans::list))
        .service(
            web::resource("/admin/plans/new")
                .get(admin::plans::new_form)
                .post(admin::plans::create),
        )
        .service(
            web::resource("/admin/plans/{key}")
                .get(admin::plans::edit_form)
                .post(admin::plans::update),
        )
        .route(
            "/admin/plans/{key}/clone",
            web::post().to(admin::plans::clone),
        )
        .route(
            "/admin/organizations",
            web::get().to(admin::organizations::list),
        )
        .route(
            "/admin/organizations/{key}",
            web::get().to(admin::organizations::show),
        )
        .route(
            "/admin/organizations/{key}/plan",
            web::post().to(admin::organizations::assign_plan),
        )
        .service(
            web::resource("/admin/calendars")
                .get(admin::calendars::show)
                .post(admin::calendars::change),
        );
}

/// Builds the HTTP server on an already bound listener (port 0 in tests).
pub fn build_server(
    state: AppState,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let key = state.key.clone();
    let secure = state.settings.secure_cookies;
    // One blocking thread per pooled connection, shared out over the workers (see `with_db`):
    // no more workers than connections, and when they do not divide evenly, a few threads more
    // than connections (those wait for one in the pool, as all did before).
    let connections = state.pool.max_size() as usize;
    let workers = workers
        .unwrap_or_else(crate::config::cores)
        .clamp(1, connections.max(1));
    let max_blocking = connections.div_ceil(workers);
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name("sd_session".into())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(secure)
            .cookie_content_security(CookieContentSecurity::Private)
            .build();
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(csrf::FORM_LIMIT))
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|_, _| AppError::BadRequest(String::new()).into()),
            )
            .wrap(sessions)
            // actix answers a known URL asked with another method with an empty 405: give it the error page.
            .wrap(ErrorHandlers::new().handler(
                actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                |res| {
                    let page =
                        actix_web::ResponseError::error_response(&AppError::MethodNotAllowed);
                    Ok(ErrorHandlerResponse::Response(
                        res.into_response(page).map_into_right_body(),
                    ))
                },
            ))
            .wrap(from_fn(csrf::check_origin))
            .wrap(from_fn(forget_kept_on_change))
            .wrap(
                DefaultHeaders::new()
                    .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "same-origin"))
                    .add(("X-Frame-Options", "DENY")),
            )
            .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
            .configure(routes)
            .default_service(web::to(not_found))
    })
    .shutdown_timeout(10)
    .workers(workers)
    .worker_max_blocking_threads(max_blocking)
    // `serve` handles SIGINT and SIGTERM itself so both drain (actix treats SIGINT as "stop now").
    .disable_signals()
    .listen(listener)?;
    Ok(server.run())
}

/// After a request that may have changed something (any method but GET, HEAD and OPTIONS,
/// answered with a success or a redirect: a refused request saves nothing), values kept from
/// the database that any change may touch are read afresh: a change made through this
/// process shows on the next page. The queue's badges and names are such values.
async fn forget_kept_on_change(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let changes = csrf::is_unsafe(req.method());
    let state = changes
        .then(|| req.app_data::<web::Data<AppState>>().cloned())
        .flatten();
    let response = next.call(req).await;
    if let (Some(state), Ok(done)) = (state, &response)
        && !(done.status().is_client_error() || done.status().is_server_error())
    {
        state.badges.forget();
        state.names.forget();
    }
    response
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
