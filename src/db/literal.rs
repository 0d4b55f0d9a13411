//! Constants written into a statement's text instead of bound as parameters, for the
//! statements the busiest pages run.
//!
//! Diesel prepares each statement once per connection, and PostgreSQL then decides per
//! statement whether to reuse one generic plan or plan again for every execution's values.
//! It reuses the generic plan only if that plan looks about as cheap as the custom ones. Two
//! kinds of parameter defeat that:
//! - a value a partial index's predicate names (`status <> 'closed'`): a generic plan cannot
//!   prove `status <> $1` implies the predicate, so it cannot use the index at all;
//! - `LIMIT $1`: a generic plan assumes a tenth of the rows, so on a large table it looks
//!   dearer than the custom plan for 26 rows.
//!
//! Either way PostgreSQL planned the statement on every page: the queue's tickets and its
//! badges cost 0.45 ms of planning per page against 0.23 ms of execution (100,000 tickets,
//! `pg_stat_statements`). Neither kind of literal here depends on input, so each statement
//! still has one text, one prepared statement and one cached plan per connection.

use std::marker::PhantomData;

use diesel::expression::{ValidGrouping, is_aggregate};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, SqlType, Text};

/// A constant SQL expression, e.g. `'closed'`; `sql` is written as it is.
#[derive(Debug, Clone, Copy)]
pub struct Literal<ST> {
    sql: &'static str,
    kind: PhantomData<ST>,
}

/// The closed status, as a literal: the queue's partial indexes say `WHERE status <> 'closed'`.
pub const CLOSED: Literal<Text> = Literal {
    sql: "'closed'",
    kind: PhantomData,
};

impl<ST: SqlType + diesel::expression::TypedExpressionType> Expression for Literal<ST> {
    type SqlType = ST;
}

impl<ST> QueryFragment<Pg> for Literal<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(self.sql);
        Ok(())
    }
}

impl<ST: 'static> QueryId for Literal<ST> {
    type QueryId = ();
    // Two literals of one type differ in text: key the cache on the text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, QS> AppearsOnTable<QS> for Literal<ST> where Self: Expression {}

impl<ST, QS> SelectableExpression<QS> for Literal<ST> where Self: AppearsOnTable<QS> {}

impl<ST, GB> ValidGrouping<GB> for Literal<ST> {
    type IsAggregate = is_aggregate::Never;
}

/// `query LIMIT n OFFSET $1`, with `n` written into the text (callers pass a constant page
/// size, so there is one text per page size) and the offset bound, and left out when zero.
pub struct Paged<Q> {
    query: Q,
    limit: i64,
    /// `limit` as written into the text; `None`: bound like the offset.
    limit_text: Option<String>,
    offset: i64,
}

impl<Q> Paged<Q> {
    pub fn new(query: Q, limit: i64, offset: i64) -> Self {
        Paged {
            query,
            limit,
            limit_text: Some(limit.to_string()),
            offset,
        }
    }

    /// The limit bound as a parameter: for a page size that comes from a URL, where a
    /// literal would give every size its own prepared statement on every connection.
    pub fn bound(query: Q, limit: i64, offset: i64) -> Self {
        Paged {
            query,
            limit,
            limit_text: None,
            offset,
        }
    }
}

impl<Q: Query> Query for Paged<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> QueryId for Paged<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Paged<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        match &self.limit_text {
            Some(text) => out.push_sql(text),
            None => out.push_bind_param::<BigInt, _>(&self.limit)?,
        }
        if self.offset > 0 {
            out.push_sql(" OFFSET ");
            out.push_bind_param::<BigInt, _>(&self.offset)?;
        }
        Ok(())
    }
}

impl<Q> RunQueryDsl<PgConnection> for Paged<Q> {}

/// For a statement written by hand (its own `QueryFragment`): Diesel keys its prepared
/// statement cache on the SQL text, which for these statements never changes, and it can
/// run the statement. Used where Diesel's own builders would not prepare the statement
/// (an `UPDATE`, raw SQL) or would bind what must be a literal.
macro_rules! prepared_by_text {
    ($statement:ty) => {
        impl diesel::query_builder::QueryId for $statement {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl diesel::RunQueryDsl<diesel::PgConnection> for $statement {}
    };
}
pub(crate) use prepared_by_text;

/// For a hand-written column of a select list (its own `QueryFragment`), usable in any
/// statement: its SQL type, and a statement cache keyed on the text (the column writes one of
/// a few texts, chosen by its fields).
macro_rules! column_expression {
    ($column:ty, $sql_type:ty) => {
        impl diesel::expression::Expression for $column {
            type SqlType = $sql_type;
        }

        impl<QS> diesel::expression::AppearsOnTable<QS> for $column {}

        impl<QS> diesel::expression::SelectableExpression<QS> for $column {}

        impl<GB> diesel::expression::ValidGrouping<GB> for $column {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }

        impl diesel::query_builder::QueryId for $column {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }
    };
}
pub(crate) use column_expression;
