//! The customer's panel: tickets, plan, organization.

pub mod organization;
pub mod tickets;
