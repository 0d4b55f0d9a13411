//! `/tickets`: the customer's home. The ticket list itself arrives with the ticket panel.

use actix_web::HttpResponse;
use askama::Template;

use crate::web::AppError;
use crate::web::page::{Ctx, ok};
use crate::web::session::Customer;

#[derive(Template)]
#[template(path = "customer/tickets.html")]
struct TicketsPage {
    ctx: Ctx,
    org_name: String,
}

pub async fn list(c: Customer, ctx: Ctx) -> Result<HttpResponse, AppError> {
    ok(&TicketsPage {
        org_name: c.org.org.name.clone(),
        ctx: ctx.for_customer(&c),
    })
}
