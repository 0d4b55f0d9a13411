//! One action per ticket at a time in this process, in the order they came.
//!
//! Actions on one ticket queue here instead of on the ticket's row lock in PostgreSQL. Each
//! action hands the next one the ticket as it wrote it ([`Handed`]), so the next one decides
//! on that and writes in a single statement that checks the ticket has not changed since
//! (`services::tickets::act_guarded`): a queue of replies to one ticket costs one round trip
//! each while the ticket is held, where the row lock held it for three, and none of the
//! waiting requests holds a database connection. Another process, or a job, may still write
//! the ticket in between: the write then notices and the action is decided again on the
//! locked row.
//!
//! The turn is given up on the database task, right after the write: the next action
//! starts while this one's answer goes back, and a request that goes away mid-write still
//! holds the ticket until its write is done. A queue entry lives only while an action holds
//! or waits for its ticket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use diesel::PgConnection;
use tokio::sync::{Mutex as Queue, OwnedMutexGuard};

use super::{AppError, AppState, with_db};
use crate::db::CHECKOUT_TIMEOUT;
use crate::services::tickets::Handed;

/// A ticket's queue, and how many actions hold or wait for it.
#[derive(Default)]
struct Entry {
    queue: Arc<Queue<Handed>>,
    users: usize,
}

/// Shared by the server's workers (clones share one queue per ticket).
#[derive(Clone, Default)]
pub struct TicketTurns {
    slots: Arc<Mutex<HashMap<i64, Entry>>>,
    /// Actions that found their ticket changed since (by another process or a job) and were
    /// decided again on the locked row.
    redecided: Arc<AtomicU64>,
}

/// A ticket's turn: held until dropped. Without a guard (waited too long), the action runs
/// anyway, deciding on the ticket as it reads it.
pub struct Turn {
    turns: TicketTurns,
    number: i64,
    guard: Option<OwnedMutexGuard<Handed>>,
}

impl TicketTurns {
    /// Waits for ticket `number`'s turn (first come, first served), at most as long as a
    /// request waits for a database connection.
    pub async fn take(&self, number: i64) -> Turn {
        let queue = {
            let mut slots = self.slots();
            let entry = slots.entry(number).or_default();
            entry.users += 1;
            entry.queue.clone()
        };
        // Counted and made before the wait: if the request goes away while waiting, its drop
        // still counts it out.
        let mut turn = Turn {
            turns: self.clone(),
            number,
            guard: None,
        };
        turn.guard = tokio::time::timeout(CHECKOUT_TIMEOUT, queue.lock_owned())
            .await
            .ok();
        turn
    }

    /// How many actions found their ticket changed since and were decided again.
    pub fn redecided(&self) -> u64 {
        self.redecided.load(Ordering::Relaxed)
    }

    /// How many tickets have an action holding or waiting for them.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots().len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Turn {
    /// What the previous action left (and nothing for the next, until [`Turn::leave`]).
    pub fn take_handed(&mut self) -> Handed {
        self.guard
            .as_mut()
            .map(|g| std::mem::take(&mut **g))
            .unwrap_or_default()
    }

    /// Leaves `handed` for the next action on this ticket.
    pub fn leave(&mut self, handed: Handed) {
        if let Some(g) = self.guard.as_mut() {
            **g = handed;
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut slots = self.turns.slots();
        if let Some(entry) = slots.get_mut(&self.number) {
            entry.users -= 1;
            if entry.users == 0 {
                slots.remove(&self.number);
            }
        }
    }
}

/// Runs action `f` on ticket `number` in the ticket's turn, on a pooled connection (as
/// [`with_db`]), with what the previous action on the ticket handed on.
pub async fn with_ticket<F, T>(state: &AppState, number: i64, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection, &mut Handed) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let mut turn = state.turns.take(number).await;
    with_db(state, move |conn| {
        let mut handed = turn.take_handed();
        let result = f(conn, &mut handed);
        if handed.redecided() {
            turn.turns.redecided.fetch_add(1, Ordering::Relaxed);
        }
        turn.leave(handed);
        // Given up here, not back on the request's task: the next action on the ticket
        // starts while this one's answer goes back.
        drop(turn);
        result
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three actions on one ticket run one at a time, in the order they asked; another
    /// ticket does not wait for them; the queue is gone once nobody holds or waits.
    #[tokio::test]
    async fn actions_on_one_ticket_take_turns_in_order_and_leave_nothing_behind() {
        let turns = TicketTurns::default();
        let first = turns.take(7).await;
        assert!(first.guard.is_some());
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..3 {
            let (shared, order) = (turns.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let turn = shared.take(7).await;
                assert!(turn.guard.is_some(), "waiter {i} got the turn");
                order.lock().unwrap().push((i, "in"));
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                order.lock().unwrap().push((i, "out"));
            }));
            // Each waiter is queued before the next one starts (one thread: it runs until
            // it waits).
            while turns.slots().get(&7).unwrap().users < i + 2 {
                tokio::task::yield_now().await;
            }
        }
        // Another ticket's turn is free while ticket 7 is held.
        let other = tokio::time::timeout(std::time::Duration::from_secs(1), turns.take(8))
            .await
            .expect("ticket 8 does not wait for ticket 7");
        assert!(other.guard.is_some());
        drop(other);
        assert!(order.lock().unwrap().is_empty(), "nobody ran while held");
        drop(first);
        for w in waiting {
            w.await.unwrap();
        }
        // One at a time: each one is out before the next is in.
        assert_eq!(
            *order.lock().unwrap(),
            vec![
                (0, "in"),
                (0, "out"),
                (1, "in"),
                (1, "out"),
                (2, "in"),
                (2, "out")
            ]
        );
        assert!(turns.is_empty(), "no queue is kept: {}", turns.len());
    }

    /// A request that goes away while waiting is counted out: no queue is left behind once
    /// the holder is done, and the next action starts with nothing handed.
    #[tokio::test]
    async fn a_waiter_that_goes_away_leaves_no_queue() {
        let turns = TicketTurns::default();
        let held = turns.take(3).await;
        let gone = tokio::time::timeout(std::time::Duration::from_millis(20), turns.take(3)).await;
        assert!(gone.is_err(), "the waiter waited");
        assert_eq!(turns.len(), 1);
        drop(held);
        assert!(turns.is_empty(), "no queue is kept: {}", turns.len());
        let mut again = turns.take(3).await;
        assert!(again.guard.is_some());
        assert!(again.take_handed().is_empty());
    }

    /// An action that waits longer than a request waits for a connection runs without the
    /// turn (nothing handed, nothing left), and both leave no queue behind.
    #[tokio::test]
    async fn an_action_that_waits_too_long_runs_without_the_turn() {
        let turns = TicketTurns::default();
        let held = turns.take(5).await;
        let started = std::time::Instant::now();
        let mut late = turns.take(5).await;
        assert!(started.elapsed() >= CHECKOUT_TIMEOUT);
        assert!(late.guard.is_none());
        assert!(late.take_handed().is_empty());
        late.leave(Handed::default());
        assert_eq!(turns.slots().get(&5).map(|e| e.users), Some(2));
        drop(late);
        drop(held);
        assert!(turns.is_empty());
    }
}
