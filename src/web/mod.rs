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
use crate::db::PgPool;
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
}

impl AppState {
    pub fn new(pool: PgPool, settings: Settings) -> Result<Self, ConfigError> {
        let key = Key::derive_from(&settings.secret_key_material()?);
        Ok(AppState {
            pool,
            settings: Arc::new(settings),
            key,
            plans: Default::default(),
        })
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
/// call from an async handler goes through here. The connection is taken inside
/// the closure, so a slow checkout never blocks an async worker.
pub async fn with_db<F, T>(pool: &PgPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
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
    let max_blocking = state.pool.max_size() as usize + 2;
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
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
    // Every blocking task waits for a pooled connection: more threads than connections only add memory.
    .worker_max_blocking_threads(max_blocking)
    // `serve` handles SIGINT and SIGTERM itself so both drain (actix treats SIGINT as "stop now").
    .disable_signals()
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
