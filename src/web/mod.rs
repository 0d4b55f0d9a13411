//! actix-web: the server, routes, middleware and handlers.

pub mod error;
mod health;
mod static_files;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, Logger};
use actix_web::{App, HttpServer, web};
use diesel::PgConnection;

use crate::config::Settings;
use crate::db::PgPool;
pub use error::AppError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
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
        .route("/static/{file}", web::get().to(static_files::serve));
}

/// Builds the HTTP server on an already bound listener (port 0 in tests).
pub fn build_server(
    state: AppState,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
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
