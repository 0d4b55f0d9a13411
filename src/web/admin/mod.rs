//! Administration: staff (and later plans, organizations, calendars).

pub mod calendars;
pub mod organizations;
pub mod plans;
pub mod users;
