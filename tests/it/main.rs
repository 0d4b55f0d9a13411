//! Integration tests: the real app over HTTP on a real PostgreSQL. One binary, one module per area.

mod access;
mod accounts;
mod browser;
mod cli;
mod console;
mod harness;
mod health;
mod html;
mod jobs;
mod plans;
mod security;
mod sla;
mod tickets;
mod validity;
