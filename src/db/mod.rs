//! Diesel: the pool, embedded migrations, the schema, rows and queries.

pub mod accounts;
pub mod embedded;
pub mod literal;
pub mod plans;
pub mod queue;
pub mod schema;
pub mod tickets;

use std::time::Duration;

use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::{Secret, Settings};
use embedded::{APP_DATABASE, ClusterError, Durability, PrivateCluster};

pub type PgPool = Pool<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a request waits for a connection before answering 503: bounded so
/// `/healthz` reports an unreachable database within 3 seconds.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("could not connect to the database: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migrate(String),
}

/// Where the data lives: `DATABASE_URL`, or the private cluster (kept running while this lives).
pub struct Database {
    url: Secret<String>,
    cluster: Option<PrivateCluster>,
}

impl Database {
    /// Opens `DATABASE_URL`, or starts/joins the private cluster under the data folder and
    /// makes sure the application database exists in it.
    pub fn open(settings: &Settings) -> Result<Self, DbError> {
        if let Some(url) = &settings.database_url {
            return Ok(Database {
                url: url.clone(),
                cluster: None,
            });
        }
        let cluster =
            PrivateCluster::open(&settings.data_dir.join("postgres"), Durability::Durable)?;
        create_database_if_missing(&cluster.url("postgres"), APP_DATABASE)?;
        Ok(Database {
            url: Secret::new(cluster.url(APP_DATABASE)),
            cluster: Some(cluster),
        })
    }

    pub fn url(&self) -> &str {
        self.url.expose()
    }

    /// Stops the private cluster if this process started it. Call after the HTTP server drained.
    pub fn close(mut self) {
        if let Some(cluster) = &mut self.cluster {
            cluster.stop();
        }
    }
}

pub fn create_database_if_missing(admin_url: &str, name: &str) -> Result<(), DbError> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        one: i32,
    }
    let mut conn =
        PgConnection::establish(admin_url).map_err(|e| DbError::Connect(e.to_string()))?;
    let found: Vec<Found> =
        diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .load(&mut conn)
            .map_err(|e| DbError::Connect(e.to_string()))?;
    if found.is_empty() {
        let create =
            diesel::sql_query(format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\"")))
                .execute(&mut conn);
        // A concurrent first start may have created it in between.
        if let Err(e) = create
            && !e.to_string().contains("already exists")
        {
            return Err(DbError::Connect(e.to_string()));
        }
    }
    Ok(())
}

/// A pool whose checkout gives up after [`CHECKOUT_TIMEOUT`], so requests fail fast
/// while the database is down and recover by themselves when it is back.
pub fn build_pool(url: &str, max_size: u32) -> Result<PgPool, DbError> {
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(CHECKOUT_TIMEOUT)
        // No `SELECT 1` on every checkout: it was a quarter of a queue page's statements.
        // A connection PostgreSQL has closed fails the one statement that uses it; libpq then
        // reports its transaction state as unknown, Diesel marks it broken, and the pool drops
        // it instead of taking it back (tests/it/health.rs checks this).
        .test_on_check_out(false)
        .build(ConnectionManager::<PgConnection>::new(url))
        .map_err(|e| DbError::Connect(e.to_string()))
}

/// Applies pending migrations; returns the names of those applied (empty when up to date).
pub fn run_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|applied| applied.iter().map(|m| m.to_string()).collect())
        .map_err(|e| DbError::Migrate(e.to_string()))
}

/// Connects once and migrates: used by `serve` and `migrate` before anything else touches the data.
pub fn migrate_url(url: &str) -> Result<Vec<String>, DbError> {
    let mut conn = PgConnection::establish(url).map_err(|e| DbError::Connect(e.to_string()))?;
    run_migrations(&mut conn)
}
