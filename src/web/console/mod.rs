//! The agent console. The queue itself arrives with the console issue.

use actix_web::HttpResponse;
use askama::Template;

use super::AppError;
use super::page::{Ctx, ok};
use super::session::Staff;

#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueuePage {
    ctx: Ctx,
}

pub async fn queue(s: Staff, ctx: Ctx) -> Result<HttpResponse, AppError> {
    ok(&QueuePage {
        ctx: ctx.for_staff(&s),
    })
}
