//! Multipart forms (new ticket, replies): text fields and up to five files, read as
//! a stream with limits, so an oversized upload is refused without buffering it.
//! The CSRF token is checked here, as in [`super::csrf::CsrfForm`].

use std::future::Future;
use std::pin::Pin;

use actix_multipart::Multipart;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::StreamExt;

use super::AppError;
use super::csrf::token_matches;
use crate::domain::content::{FILE_MAX_BYTES, FILES_MAX, FileKind, clean_filename};
use crate::services::tickets::NewFile;

/// Largest text field we keep (a 20,000-character body in 4-byte characters, with room to spare).
const FIELD_MAX_BYTES: usize = 100 * 1024;
/// Whole request: five files under 10 MB each plus the text.
pub const UPLOAD_LIMIT: usize = FILES_MAX * FILE_MAX_BYTES + 1024 * 1024;

/// What was wrong with the files: shown next to the attachments field (catalog key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    TooMany,
    TooLarge,
    WrongType,
}

impl FileProblem {
    pub fn key(self) -> &'static str {
        match self {
            FileProblem::TooMany => "invalid-files-too-many",
            FileProblem::TooLarge => "invalid-file-too-large",
            FileProblem::WrongType => "invalid-file-type",
        }
    }
}

/// A parsed multipart form whose token matched the session.
#[derive(Debug, Default)]
pub struct UploadForm {
    fields: Vec<(String, String)>,
    pub files: Vec<NewFile>,
    /// Set when the files were refused; nothing must be saved then.
    pub file_problem: Option<FileProblem>,
    /// True when files were sent at all (the form asks to attach them again after an error).
    pub had_files: bool,
}

impl UploadForm {
    pub fn field(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

impl FromRequest for UploadForm {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let too_large = req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
                .is_some_and(|n| n > UPLOAD_LIMIT);
            if too_large {
                return Err(AppError::PayloadTooLarge);
            }
            let mut multipart = Multipart::new(req.headers(), payload);
            let form = read(&mut multipart).await?;
            if !token_matches(&req, Some(&form.field("csrf_token"))) {
                return Err(AppError::Forbidden(String::new()));
            }
            Ok(form)
        })
    }
}

async fn read(multipart: &mut Multipart) -> Result<UploadForm, AppError> {
    let mut form = UploadForm::default();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| AppError::BadRequest(String::new()))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        let limit = if filename.is_some() {
            FILE_MAX_BYTES
        } else {
            FIELD_MAX_BYTES
        };
        let mut bytes = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::BadRequest(String::new()))?;
            total += chunk.len();
            if total > UPLOAD_LIMIT {
                return Err(AppError::PayloadTooLarge);
            }
            if bytes.len() + chunk.len() >= limit {
                over = true;
                // Stop keeping it; the rest of this part is drained without being stored.
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        match filename {
            // An empty file input still sends a part with no name and no content.
            Some(name_sent) if name_sent.is_empty() && bytes.is_empty() => {}
            Some(name_sent) => {
                form.had_files = true;
                if over {
                    form.file_problem.get_or_insert(FileProblem::TooLarge);
                } else if form.files.len() >= FILES_MAX {
                    form.file_problem.get_or_insert(FileProblem::TooMany);
                } else {
                    match FileKind::sniff(&bytes) {
                        Some(kind) => form.files.push(NewFile {
                            filename: clean_filename(&name_sent),
                            kind,
                            bytes,
                        }),
                        None => {
                            form.file_problem.get_or_insert(FileProblem::WrongType);
                        }
                    }
                }
            }
            None if over => return Err(AppError::PayloadTooLarge),
            None => form
                .fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(form)
}
