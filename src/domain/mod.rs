//! The rules of the help desk, pure: no actix, no diesel, no askama.

pub mod access;
pub mod account;
pub mod calendar;
pub mod content;
pub mod plan;
pub mod sla;
pub mod ticket;
