//! The customer's panel: tickets, plan, organization.

pub mod organization;
pub mod plan;
pub mod tickets;
