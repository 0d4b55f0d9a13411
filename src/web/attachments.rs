//! `GET /attachments/{id}`: a file, after the same access check as its ticket.

use actix_web::http::header::{
    self, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpResponse, web};

use super::session::CurrentUser;
use super::{AppError, AppState, with_db};
use crate::domain::access::Viewer as AccessViewer;
use crate::domain::content::FileKind;
use crate::services::tickets::{self as svc, Viewer};

pub async fn download(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let viewer = match me.viewer() {
        AccessViewer::Staff(_) => Viewer::Staff {
            user_id: me.user.id,
        },
        AccessViewer::Customer(role) => {
            let org = me.current_membership().ok_or(AppError::NotFound)?;
            Viewer::Customer {
                user_id: me.user.id,
                org_id: org.org.id,
                role,
            }
        }
        AccessViewer::Anonymous => return Err(AppError::LoginRequired),
    };
    let (meta, data) = with_db(&state, move |conn| Ok(svc::attachment(conn, viewer, id)?)).await?;
    let kind = FileKind::from_content_type(&meta.content_type);
    let disposition = ContentDisposition {
        disposition: if kind.is_some_and(FileKind::inline) {
            DispositionType::Inline
        } else {
            DispositionType::Attachment
        },
        parameters: vec![
            // An ASCII fallback and the exact UTF-8 name (RFC 6266).
            DispositionParam::Filename(
                meta.filename
                    .chars()
                    .map(|c| {
                        if c.is_ascii_graphic() || c == ' ' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect(),
            ),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: meta.filename.clone().into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type(meta.content_type)
        .insert_header(disposition)
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(data))
}
