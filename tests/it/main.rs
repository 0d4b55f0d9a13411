//! Integration tests: the real app over HTTP on a real PostgreSQL. One binary, one module per area.

mod cli;
mod harness;
mod health;
