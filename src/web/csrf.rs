//! Cross-site request forgery: a synchronizer token per session in every POST
//! form (checked here, in constant time, and nowhere else), plus a refusal of
//! POSTs whose `Origin` names another site.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::body::EitherBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::AppError;
use super::session::CSRF;

/// Largest urlencoded form we read: a 20,000-character text of 4-byte characters is
/// 80 KB, and percent-encoding triples every byte (240 KB), plus the other fields.
pub const FORM_LIMIT: usize = 256 * 1024;

/// A urlencoded POST form whose `csrf_token` matched the session's token.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct TokenOnly {
    csrf_token: Option<String>,
}

/// True when `submitted` is the session's token.
pub fn token_matches(req: &HttpRequest, submitted: Option<&str>) -> bool {
    let expected = req.get_session().get::<String>(CSRF).ok().flatten();
    match (expected, submitted) {
        (Some(expected), Some(submitted)) => {
            bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
        }
        _ => false,
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let is_form = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let body = web::Bytes::from_request(&req, &mut payload)
                .await
                .map_err(|e| {
                    if e.as_response_error().status_code()
                        == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                    {
                        AppError::PayloadTooLarge
                    } else {
                        AppError::BadRequest(String::new())
                    }
                })?;
            let token: TokenOnly =
                serde_urlencoded::from_bytes(&body).unwrap_or(TokenOnly { csrf_token: None });
            if !token_matches(&req, token.csrf_token.as_deref()) {
                return Err(AppError::Forbidden(String::new()));
            }
            if !is_form {
                return Err(AppError::BadRequest(String::new()));
            }
            serde_urlencoded::from_bytes(&body)
                .map(CsrfForm)
                .map_err(|_| AppError::BadRequest(String::new()))
        })
    }
}

/// Middleware: a state-changing request whose `Origin` (or `Sec-Fetch-Site`) says it
/// comes from another site is refused with 403 before any handler runs.
pub async fn check_origin(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl actix_web::body::MessageBody>>, actix_web::Error> {
    if is_unsafe(req.method()) && is_cross_site(req.request()) {
        let response =
            actix_web::ResponseError::error_response(&AppError::Forbidden(String::new()));
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_cross_site(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site" || v == "same-site")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // No Origin (older clients, tests): the token alone decides.
        return false;
    };
    let host = req.connection_info().host().to_ascii_lowercase();
    let origin = origin.to_ascii_lowercase();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    origin == "null" || origin_host != host
}
