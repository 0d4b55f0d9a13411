//! One transaction per user action: load, ask the domain, write rows and events.
//! Functions here take a connection and return a [`ServiceError`] the web layer
//! turns into a page; they never know about HTTP.

pub mod accounts;
pub mod bench;
pub mod demo;
pub mod kept;
pub mod names;
pub mod organizations;
pub mod passwords;
pub mod plans;
pub mod staff;
pub mod tickets;

/// One problem with one form field: the field's name and a catalog key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub key: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input that cannot be accepted as typed (shown next to the fields).
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldProblem>),
    /// A value outside the offered choices (a tampered form): 400.
    #[error("malformed input: {0:?}")]
    Malformed(Vec<FieldProblem>),
    /// Well-formed but refused by a rule (catalog key): 422 on a form.
    #[error("refused: {0}")]
    Refused(&'static str),
    /// Refused by the ticket state machine (catalog key): 409 with the ticket page.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Refused by the organization's plan (not offered, or the monthly quota used up): 422.
    #[error("refused by the plan: {0:?}")]
    Plan(crate::domain::plan::CreateRefusal),
    /// The reply was drafted before the customer's latest message: not sent, shown for confirmation.
    #[error("stale: the customer wrote since the form was loaded")]
    Stale,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl ServiceError {
    pub fn field(field: &'static str, key: &'static str) -> Self {
        ServiceError::Invalid(vec![FieldProblem { field, key }])
    }
}

/// Collects field problems while parsing a form, so all of them are reported at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldProblem>);

impl Problems {
    /// Keeps the parsed value, or records the problem under `field`.
    pub fn check<T>(
        &mut self,
        field: &'static str,
        parsed: Result<T, crate::domain::account::Invalid>,
    ) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldProblem {
                    field,
                    key: e.key(),
                });
                None
            }
        }
    }

    pub fn add(&mut self, field: &'static str, key: &'static str) {
        self.0.push(FieldProblem { field, key });
    }

    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self.0))
        }
    }
}

/// A unique constraint hit by a concurrent insert.
pub(crate) fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
