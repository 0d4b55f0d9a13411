//! `supportdesk seed bench`: a large, realistic data set for benchmarks, generated
//! set-based inside PostgreSQL (`generate_series`), in chunks so progress can be shown.
//!
//! Shape: most tickets closed, open ones spread over the statuses, priorities skewed
//! to normal and low, organizations spread over the four plans, customers in every
//! organization, agents assigned to worked tickets, events for every change.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{ServiceError, passwords};

#[derive(Debug, Clone, Copy)]
pub struct BenchSize {
    pub tickets: i64,
    pub orgs: i64,
    pub customers: i64,
    pub agents: i64,
    pub messages: i64,
}

pub const BENCH_PASSWORD: &str = "bench-password";

/// Tickets per statement: big enough to be fast, small enough for a lively progress bar.
pub const CHUNK: i64 = 25_000;

#[derive(QueryableByName)]
struct Max {
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    max: Option<i64>,
}

#[derive(QueryableByName)]
struct SetAside {
    #[diesel(sql_type = Text)]
    drop_sql: String,
    #[diesel(sql_type = Text)]
    create_sql: String,
}

/// Drops the secondary indexes and the foreign keys of the tables a seed fills (tickets,
/// messages, events) when `tickets` is empty, and returns the statements that make them
/// again ([`restore`]), indexes first.
///
/// Building an index once over the loaded rows is cheaper than inserting every row into it
/// (tickets have ten indexes, keyed by organization, requester, due time and the like, so
/// each row lands at random places), and checking a foreign key once for the whole table is
/// one join instead of a lookup per row (five million messages check their ticket).
/// Run it in the seed's transaction: should the seed fail, everything comes back with the
/// rollback. With tickets already there, nothing is dropped.
pub fn set_aside(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    use crate::db::schema::tickets;
    let empty: bool = diesel::select(diesel::dsl::not(diesel::dsl::exists(
        tickets::table.select(tickets::number),
    )))
    .get_result(conn)?;
    if !empty {
        return Ok(Vec::new());
    }
    let filled = "('tickets'::regclass, 'messages'::regclass, 'ticket_events'::regclass)";
    let items: Vec<SetAside> = diesel::sql_query(format!(
        "SELECT drop_sql, create_sql FROM (
             SELECT 0 AS kind, format('DROP INDEX %s', x.indexrelid::regclass) AS drop_sql,
                    pg_get_indexdef(x.indexrelid) AS create_sql
             FROM pg_index x
             WHERE x.indrelid IN {filled}
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
             UNION ALL
             SELECT 1, format('ALTER TABLE %s DROP CONSTRAINT %I', k.conrelid::regclass, k.conname),
                    format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname,
                           pg_get_constraintdef(k.oid))
             FROM pg_constraint k
             WHERE k.contype = 'f' AND k.conrelid IN {filled}
         ) s ORDER BY kind"
    ))
    .load(conn)?;
    for item in &items {
        diesel::sql_query(item.drop_sql.as_str()).execute(conn)?;
    }
    Ok(items.into_iter().map(|i| i.create_sql).collect())
}

/// Makes again what [`set_aside`] dropped, with memory to sort in.
pub fn restore(conn: &mut PgConnection, statements: &[String]) -> QueryResult<()> {
    if statements.is_empty() {
        return Ok(());
    }
    diesel::sql_query("SET LOCAL maintenance_work_mem = '512MB'").execute(conn)?;
    for statement in statements {
        diesel::sql_query(statement.as_str()).execute(conn)?;
    }
    Ok(())
}

/// Organizations, customers (with memberships) and agents. Refuses when bench data exists.
pub fn people(conn: &mut PgConnection, size: &BenchSize) -> Result<(), ServiceError> {
    if crate::db::accounts::org_key_taken(conn, "bench-1")? {
        return Err(ServiceError::Refused("bench-already-seeded"));
    }
    let hash = passwords::hash(BENCH_PASSWORD);
    conn.transaction(|conn| {
        diesel::sql_query(
            "INSERT INTO organizations (key, name, plan_id)
             SELECT 'bench-' || g, 'Bench Org ' || g,
                    (SELECT id FROM plans WHERE key = (ARRAY['basic','medium','large','professional'])[1 + g % 4])
             FROM generate_series(1, $1) g",
        )
        .bind::<BigInt, _>(size.orgs)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO users (email, name, password_hash)
             SELECT 'customer' || g || '@bench.example', 'Customer ' || g, $2 FROM generate_series(1, $1) g",
        )
        .bind::<BigInt, _>(size.customers)
        .bind::<Text, _>(&hash)
        .execute(conn)?;
        // Customer g belongs to organization 1 + (g - 1) % orgs; the first of each is its owner.
        diesel::sql_query(
            "INSERT INTO memberships (organization_id, user_id, role)
             SELECT o.id, u.id, CASE WHEN g <= $2 THEN 'owner' ELSE 'member' END
             FROM generate_series(1, $1) g
             JOIN users u ON u.email = 'customer' || g || '@bench.example'
             JOIN organizations o ON o.key = 'bench-' || (1 + (g - 1) % $2)",
        )
        .bind::<BigInt, _>(size.customers)
        .bind::<BigInt, _>(size.orgs)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO users (email, name, password_hash, staff_role)
             SELECT 'agent' || g || '@bench.example', 'Agent ' || g, $2, 'agent' FROM generate_series(1, $1) g",
        )
        .bind::<BigInt, _>(size.agents)
        .bind::<Text, _>(&hash)
        .execute(conn)?;
        Ok(())
    })
}

/// Tickets `from..=to` of the data set (by position, not number), with their messages and events.
pub fn tickets(
    conn: &mut PgConnection,
    size: &BenchSize,
    from: i64,
    to: i64,
) -> Result<(), ServiceError> {
    conn.transaction(|conn| {
        let before: Max = diesel::sql_query("SELECT max(number) AS max FROM tickets").get_result(conn)?;
        // Position g: requester customer 1 + (g * 7919) % customers, in that customer's organization;
        // status, priority and category from fixed skews of a hash of g.
        diesel::sql_query(
            "WITH c AS (SELECT min(id) AS first_customer FROM users WHERE email LIKE 'customer%@bench.example'),
                  a AS (SELECT min(id) AS first_agent FROM users WHERE email LIKE 'agent%@bench.example'),
                  o AS (SELECT min(id) AS first_org FROM organizations WHERE key LIKE 'bench-%'),
                  g AS (
                      SELECT g, (g * 7919) % $3 AS cust, (hashint8(g)::bigint & 2147483647) AS h,
                             now() - ((g % 365) || ' days')::interval - ((g % 1440) || ' minutes')::interval AS created
                      FROM generate_series($1::bigint, $2::bigint) g
                  ),
                  t AS (
                      SELECT g.*, c.first_customer + g.cust AS requester,
                             o.first_org + (g.cust % $4) AS org,
                             CASE WHEN g.h % 100 < 85 THEN 'closed'
                                  WHEN g.h % 100 < 90 THEN 'awaiting_response'
                                  WHEN g.h % 100 < 95 THEN 'in_progress'
                                  ELSE 'awaiting_customer' END AS status,
                             CASE WHEN (g.h / 100) % 100 < 30 THEN 'low' WHEN (g.h / 100) % 100 < 80 THEN 'normal'
                                  WHEN (g.h / 100) % 100 < 92 THEN 'high' WHEN (g.h / 100) % 100 < 98 THEN 'urgent'
                                  ELSE 'critical' END AS priority,
                             (ARRAY['activation','technical','financial','sales'])[1 + (g.h / 10000) % 4] AS category,
                             a.first_agent + (g.h % $5) AS agent
                      FROM g, c, a, o
                  )
             INSERT INTO tickets (organization_id, requester_id, subject, category, priority, opened_priority, status, assignee_id,
                                  plan_id, close_reason, response_started_at, response_due_at, last_support_reply_at,
                                  last_customer_message_at, created_at, updated_at, closed_at, first_response_at)
             SELECT t.org, t.requester, 'Bench ticket ' || t.g || ': ' || t.category || ' question', t.category, t.priority, t.priority,
                    t.status, CASE WHEN t.status = 'awaiting_response' THEN NULL ELSE t.agent END,
                    (SELECT plan_id FROM organizations WHERE id = t.org),
                    CASE WHEN t.status = 'closed' THEN 'resolved' END,
                    CASE WHEN t.status IN ('awaiting_response', 'in_progress') THEN t.created END,
                    CASE WHEN t.status IN ('awaiting_response', 'in_progress') THEN t.created + interval '1 day' END,
                    CASE WHEN t.status = 'awaiting_customer' THEN t.created + interval '2 hours' END,
                    t.created, t.created, t.created + interval '3 hours',
                    CASE WHEN t.status = 'closed' THEN t.created + interval '3 hours' END,
                    CASE WHEN t.status <> 'awaiting_response' THEN t.created + interval '1 hour' END
             FROM t ORDER BY t.g",
        )
        .bind::<BigInt, _>(from)
        .bind::<BigInt, _>(to)
        .bind::<BigInt, _>(size.customers)
        .bind::<BigInt, _>(size.orgs)
        .bind::<BigInt, _>(size.agents.max(1))
        .execute(conn)?;
        let first = before.max.unwrap_or(0);
        // Messages: the customer's first, then support and customer in turn.
        diesel::sql_query(
            "INSERT INTO messages (ticket_number, organization_id, author_id, kind, from_support, body, created_at)
             SELECT t.number, t.organization_id,
                    CASE WHEN m % 2 = 1 THEN t.requester_id ELSE coalesce(t.assignee_id, t.requester_id) END,
                    'reply', m % 2 = 0,
                    CASE WHEN m % 2 = 1 THEN 'Hello, we see a problem with our service. Details: request ' || t.number || '/' || m || '.'
                         ELSE 'Thanks for the details. We are looking into it and will update this ticket.' END,
                    t.created_at + (m || ' minutes')::interval
             FROM tickets t CROSS JOIN generate_series(1, $2) m
             WHERE t.number > $1",
        )
        .bind::<BigInt, _>(first)
        .bind::<BigInt, _>(size.messages.max(1))
        .execute(conn)?;
        // Events: created for all; accepted + status changes for worked tickets; closed for closed ones.
        diesel::sql_query(
            "INSERT INTO ticket_events (ticket_number, organization_id, kind, actor_id, detail, created_at)
             SELECT t.number, t.organization_id, e.kind, e.actor, e.detail, e.at
             FROM tickets t
             CROSS JOIN LATERAL (VALUES
                 ('created', t.requester_id, jsonb_build_object('type', 'created', 'priority', t.priority, 'category', t.category), t.created_at, TRUE),
                 ('accepted', t.assignee_id, '{\"type\":\"none\"}'::jsonb, t.created_at + interval '30 minutes', t.status <> 'awaiting_response'),
                 ('status_changed', t.assignee_id, jsonb_build_object('type', 'status', 'from', 'awaiting_response', 'to', 'in_progress'), t.created_at + interval '30 minutes', t.status <> 'awaiting_response'),
                 ('closed', t.assignee_id, '{\"type\":\"close\",\"reason\":\"resolved\"}'::jsonb, t.closed_at, t.status = 'closed')
             ) AS e(kind, actor, detail, at, applies)
             WHERE t.number > $1 AND e.applies",
        )
        .bind::<BigInt, _>(first)
        .execute(conn)?;
        Ok(())
    })
}
