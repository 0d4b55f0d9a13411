//! The `supportdesk` command line (DESIGN.md section 6).

use std::net::TcpListener;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::{self, Database};
use crate::i18n::Lang;
use crate::services::{ServiceError, bench, demo, passwords, staff};
use crate::{jobs, web};

#[derive(Debug, Parser)]
#[command(
    name = "supportdesk",
    version,
    about = "A support-ticketing web application"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, then serve HTTP (the default).
    Serve {
        /// Address to listen on (default: SUPPORTDESK_BIND or 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Scheduled jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Fill the database with data to try things out.
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
    /// Staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
enum SeedCommand {
    /// Demo organizations, customers and staff; prints the logins.
    Demo,
    /// A large data set for benchmarks, generated inside PostgreSQL.
    Bench {
        #[arg(long, default_value_t = 100_000)]
        tickets: i64,
        #[arg(long, default_value_t = 1_000)]
        orgs: i64,
        #[arg(long, default_value_t = 5_000)]
        customers: i64,
        #[arg(long, default_value_t = 20)]
        agents: i64,
        /// Messages per ticket.
        #[arg(long, default_value_t = 5)]
        messages: i64,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff user.
    Add {
        #[arg(long, value_parser = ["agent", "admin"])]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// 10 to 256 characters.
        #[arg(long)]
        password: String,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Run every job once and print what each did.
    Run {
        /// Run as if the time were this (RFC 3339), e.g. 2026-12-01T10:00:00Z.
        #[arg(long)]
        at: Option<DateTime<Utc>>,
    },
}

/// Parses the command line and runs it; the exit code says how it went.
pub fn run() -> ExitCode {
    crate::services::passwords::return_large_blocks();
    let cli = Cli::parse();
    // `.env` is optional; a broken one is worth a warning, not a crash.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("warning: could not read .env: {e}");
    }
    init_tracing();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve { bind: None }) {
        Command::Serve { bind } => serve(settings, bind),
        Command::Migrate => migrate(&settings),
        Command::Jobs {
            command: JobsCommand::Run { at },
        } => run_jobs(&settings, at.unwrap_or_else(Utc::now)),
        Command::Seed {
            command: SeedCommand::Demo,
        } => with_pool(&settings, |pool| {
            let mut conn = pool.get()?;
            let logins = demo::seed(&mut conn).map_err(|e| describe(&e))?;
            print_logins(&logins);
            Ok(())
        }),
        Command::Seed {
            command:
                SeedCommand::Bench {
                    tickets,
                    orgs,
                    customers,
                    agents,
                    messages,
                },
        } => with_pool(&settings, |pool| {
            let size = bench::BenchSize {
                tickets,
                orgs: orgs.max(1),
                customers: customers.max(orgs.max(1)),
                agents: agents.max(1),
                messages: messages.max(1),
            };
            seed_bench(pool, &size)
        }),
        Command::User {
            command:
                UserCommand::Add {
                    role,
                    email,
                    name,
                    password,
                },
        } => with_pool(&settings, |pool| {
            let input = staff::NewStaffInput {
                name,
                email,
                password,
                role,
            };
            let valid = staff::validate(&input).map_err(|e| describe(&e))?;
            let hash = passwords::hash(valid.password.as_str());
            let id = staff::create(&mut *pool.get()?, &valid, &hash).map_err(|e| describe(&e))?;
            println!(
                "created {} {} (user id {id})",
                valid.role.as_str(),
                valid.email
            );
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

fn serve(settings: Settings, bind: Option<String>) -> CliResult {
    let bind = bind.unwrap_or_else(|| settings.bind.clone());
    // Generate the cookie key before anything else, so a bad data folder fails fast.
    settings.secret_key_material()?;
    let database = Database::open(&settings)?;
    let result = (|| -> CliResult {
        let applied = db::migrate_url(database.url())?;
        tracing::info!(count = applied.len(), "migrations applied");
        let pool = db::build_pool(database.url(), settings.db_connections())?;
        let listener =
            TcpListener::bind(&bind).map_err(|e| format!("could not listen on {bind}: {e}"))?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        if settings.demo {
            seed_demo_if_empty(&pool)?;
        }
        // The jobs get their own connections: a long sweep never holds one a request waits for.
        // Three: a backlog drains on two, and a tick that overlaps a long sweep takes the third,
        // finds the job's lock taken and skips.
        let jobs_pool = if settings.jobs {
            Some(db::build_pool(database.url(), 3)?)
        } else {
            None
        };
        let state = web::AppState::new(pool, settings)?;
        actix_web::rt::System::new().block_on(async move {
            let scheduler = if let Some(jobs_pool) = jobs_pool {
                Some(
                    jobs::scheduler::start(jobs_pool, state.settings.clone())
                        .await
                        .map_err(std::io::Error::other)?,
                )
            } else {
                tracing::info!("SUPPORTDESK_JOBS=off: this process only serves");
                None
            };
            let server = web::build_server(state, listener, None)?;
            let handle = server.handle();
            actix_web::rt::spawn(async move {
                wait_for_shutdown_signal().await;
                tracing::info!("shutting down: draining in-flight requests");
                handle.stop(true).await;
            });
            let served = server.await;
            if let Some(mut scheduler) = scheduler {
                let _ = scheduler.shutdown().await;
            }
            served
        })?;
        Ok(())
    })();
    // Only now, with the HTTP server drained, stop the private PostgreSQL.
    database.close();
    result
}

/// Ctrl-C (SIGINT) or SIGTERM, whichever comes first.
async fn wait_for_shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn migrate(settings: &Settings) -> CliResult {
    let database = Database::open(settings)?;
    let result = db::migrate_url(database.url());
    database.close();
    let applied = result?;
    if applied.is_empty() {
        println!("migrations: up to date, nothing to apply");
    } else {
        for name in &applied {
            println!("applied {name}");
        }
        println!("migrations: applied {}", applied.len());
    }
    Ok(())
}

/// Opens the database (joining or starting the private cluster), migrates, and runs `f` with a small pool.
fn with_pool(settings: &Settings, f: impl FnOnce(&db::PgPool) -> CliResult) -> CliResult {
    let database = Database::open(settings)?;
    let result = (|| -> CliResult {
        db::migrate_url(database.url())?;
        let pool = db::build_pool(database.url(), 2)?;
        f(&pool)
    })();
    database.close();
    result
}

/// A service refusal in words, for the terminal.
fn describe(e: &ServiceError) -> String {
    let lang = Lang::default();
    match e {
        ServiceError::Invalid(problems) | ServiceError::Malformed(problems) => problems
            .iter()
            .map(|p| format!("{}: {}", p.field, lang.t(p.key)))
            .collect::<Vec<_>>()
            .join("; "),
        ServiceError::Refused(key) => lang.t(key),
        other => other.to_string(),
    }
}

fn print_logins(logins: &[demo::DemoLogin]) {
    println!(
        "demo data seeded; every login uses the password {:?}",
        demo::DEMO_PASSWORD
    );
    for login in logins {
        println!("  {:<24} {}", login.email, login.who);
    }
}

fn seed_bench(pool: &db::PgPool, size: &bench::BenchSize) -> CliResult {
    let started = std::time::Instant::now();
    let mut conn = pool.get()?;
    // One transaction: secondary indexes and foreign keys are set aside while the rows go
    // in and made again at the end, and a seed that fails leaves nothing behind.
    diesel::Connection::transaction(&mut *conn, |conn| fill_bench(conn, size))?;
    // VACUUM too, not just ANALYZE: until the visibility map is set, index-only scans
    // (the queue's count badges) visit the table, and pages measured right after seeding
    // would show a state autovacuum ends within minutes on a live system.
    // Only the tickets table needs it (the index-only scans read tickets); vacuuming the
    // messages as well cost minutes at a million tickets.
    diesel::RunQueryDsl::execute(diesel::sql_query("VACUUM ANALYZE tickets"), &mut *conn)?;
    diesel::RunQueryDsl::execute(diesel::sql_query("ANALYZE"), &mut *conn)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "seeded {} organizations, {} customers, {} agents, {} tickets with {} messages each in {secs:.1} s ({:.0} tickets/s); logins use the password {:?}",
        size.orgs,
        size.customers,
        size.agents,
        size.tickets,
        size.messages,
        size.tickets as f64 / secs,
        bench::BENCH_PASSWORD
    );
    Ok(())
}

/// The people, then the tickets in chunks with a progress bar; secondary indexes and foreign
/// keys are built and checked once at the end.
fn fill_bench(conn: &mut diesel::PgConnection, size: &bench::BenchSize) -> CliResult {
    bench::people(conn, size).map_err(|e| describe(&e))?;
    let set_aside = bench::set_aside(conn)?;
    let bar = indicatif::ProgressBar::new(size.tickets as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} tickets · {per_sec} · {elapsed_precise} (eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut from = 1;
    while from <= size.tickets {
        let to = (from + bench::CHUNK - 1).min(size.tickets);
        bench::tickets(conn, size, from, to).map_err(|e| describe(&e))?;
        bar.inc((to - from + 1) as u64);
        from = to + 1;
    }
    bar.finish();
    bench::restore(conn, &set_aside)?;
    Ok(())
}

fn seed_demo_if_empty(pool: &db::PgPool) -> CliResult {
    let mut conn = pool.get()?;
    match demo::seed_if_empty(&mut conn).map_err(|e| describe(&e))? {
        Some(logins) => print_logins(&logins),
        None => tracing::info!("SUPPORTDESK_DEMO: the database is not empty, nothing seeded"),
    }
    Ok(())
}

fn run_jobs(settings: &Settings, at: DateTime<Utc>) -> CliResult {
    with_pool(settings, |pool| {
        let reports = jobs::run_all(pool, settings, at, jobs::LockWait::Wait)?;
        for report in reports {
            println!(
                "{}: {} ({:.1} ms)",
                report.job,
                report.summary,
                report.took.as_secs_f64() * 1000.0
            );
        }
        Ok(())
    })
}
