//! The names the queue shows beside its tickets (each organization's key and name, each
//! assignee's name) and a ticket's thread beside its messages and events (each author's and
//! actor's name), kept in memory for [`Names::TTL`]. Joining them into the queue's
//! statement cost PostgreSQL an index probe and a table page per row: about a third of the
//! statement (26 rows, 1,000,000 tickets); in the thread's, about a fifth. Organizations keep
//! their key and name for life in this app; someone's new name shows at once in the process
//! that took it (any change forgets, see `web::forget_kept_on_change`) and in the others
//! within the TTL.

use std::time::Duration;

use diesel::PgConnection;
use diesel::QueryResult;
use rustc_hash::FxHashMap;

use super::kept::Kept;
use crate::db::accounts as q;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName {
    pub key: String,
    pub name: String,
}

#[derive(Clone)]
pub struct Names {
    orgs: Kept<i64, OrgName>,
    users: Kept<i64, String>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            orgs: Kept::with_cap(Self::TTL, Self::CAP),
            users: Kept::with_cap(Self::TTL, Self::CAP),
        }
    }
}

impl Names {
    pub const TTL: Duration = Duration::from_secs(10);
    /// Names kept at most, of each kind (a few MB at worst).
    pub const CAP: usize = 20_000;

    /// The organizations of `ids` that exist, read in one statement for those not kept.
    pub fn orgs(
        &self,
        conn: &mut PgConnection,
        ids: impl IntoIterator<Item = i64>,
    ) -> QueryResult<FxHashMap<i64, OrgName>> {
        self.orgs.get_many(ids, |missing| {
            Ok(q::org_names(conn, missing)?
                .into_iter()
                .map(|(id, key, name)| (id, OrgName { key, name }))
                .collect())
        })
    }

    /// The names of the users of `ids` that exist, read in one statement for those not kept.
    pub fn users(
        &self,
        conn: &mut PgConnection,
        ids: impl IntoIterator<Item = i64>,
    ) -> QueryResult<FxHashMap<i64, String>> {
        self.users
            .get_many(ids, |missing| q::user_names(conn, missing))
    }

    /// After a change in this process.
    pub fn forget(&self) {
        self.orgs.forget();
        self.users.forget();
    }
}
