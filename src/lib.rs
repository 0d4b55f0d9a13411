//! supportdesk: a support-ticketing web application.
//!
//! Data flows one way: `web` → `services` → `domain` and `db`. The domain
//! imports nothing of the others.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod i18n;
pub mod jobs;
pub mod services;
pub mod web;
