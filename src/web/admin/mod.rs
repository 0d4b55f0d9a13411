//! Administration: staff (and later plans, organizations, calendars).

pub mod users;
