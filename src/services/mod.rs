//! One transaction per user action: load, ask the domain, write rows and events.
