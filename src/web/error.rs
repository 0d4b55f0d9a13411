//! One error type for the web layer, rendered as `templates/error.html` with the right status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not logged in: 303 to `/login` (any protected URL, GET or POST).
    #[error("login required")]
    LoginRequired,
    /// 303 elsewhere, e.g. a customer without an organization to `/organizations/new`.
    #[error("see other: {0}")]
    SeeOther(String),
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("too large")]
    PayloadTooLarge,
    /// A URL that exists, asked with a method it does not answer (e.g. PUT).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The database cannot be reached: 503, the request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: logged in full, shown to the user without details.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => AppError::Unavailable(info.message().to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: super::page::Ctx,
    status: u16,
    title: String,
    text: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::LoginRequired | AppError::SeeOther(_) => StatusCode::SEE_OTHER,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            AppError::LoginRequired => return super::see_other("/login"),
            AppError::SeeOther(to) => return super::see_other(to),
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Unavailable(detail) => tracing::warn!(%detail, "database unavailable"),
            _ => {}
        }
        let lang = Lang::default();
        let code = status.as_u16();
        let text = match self {
            // A message written for the user (never internals) may be shown as is.
            AppError::BadRequest(message) | AppError::Forbidden(message) if !message.is_empty() => {
                message.clone()
            }
            _ => lang.t(&format!("error-text-{code}")),
        };
        let page = ErrorPage {
            ctx: super::page::Ctx::bare(lang),
            status: code,
            title: lang.t(&format!("error-title-{code}")),
            text,
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "5"));
        }
        match page.render() {
            Ok(html) => response.content_type("text/html; charset=utf-8").body(html),
            Err(_) => response
                .content_type("text/plain; charset=utf-8")
                .body(page.title),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(e: AppError) -> (u16, String) {
        let r = e.error_response();
        let status = r.status().as_u16();
        let bytes = r.into_body().try_into_bytes().unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[test]
    fn internal_errors_do_not_leak_details() {
        let (status, body) = body_of(AppError::Internal(
            "relation \"secret_table\" does not exist".into(),
        ));
        assert_eq!(status, 500);
        assert!(!body.contains("secret_table"), "{body}");
        assert!(body.contains("Something went wrong on our side"));
    }

    #[test]
    fn unavailable_is_503_with_a_friendly_page() {
        let (status, body) = body_of(AppError::Unavailable(
            "connection refused at 10.0.0.1".into(),
        ));
        assert_eq!(status, 503);
        assert!(!body.contains("10.0.0.1"));
        assert!(body.contains("Temporarily unavailable"));
    }

    #[test]
    fn diesel_not_found_is_404() {
        assert!(matches!(
            AppError::from(diesel::result::Error::NotFound),
            AppError::NotFound
        ));
    }
}
