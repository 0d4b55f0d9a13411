//! Integration tests: the real app over HTTP on a real PostgreSQL. One binary, one module per area.

mod access;
mod accounts;
mod cli;
mod harness;
mod health;
mod tickets;
