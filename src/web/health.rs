use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;

use super::{AppError, AppState, with_db};

/// `ok` after a database round trip; 503 (within the pool's checkout timeout) when it is unreachable.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let result = with_db(&state, |conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await;
    match result {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ok"),
        Err(e) => {
            let detail = match &e {
                AppError::Unavailable(d) | AppError::Internal(d) => d.as_str(),
                _ => "",
            };
            tracing::warn!(%detail, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .insert_header(("Retry-After", "5"))
                .body("unavailable")
        }
    }
}
