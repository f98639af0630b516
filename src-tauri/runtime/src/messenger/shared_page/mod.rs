//! A Messenger page in shared mode. Customers' messages reach Postgres through the relay, which
//! needs no page token (`switchboard_relay::InboxProcessor`). What needs the token happens on a
//! desktop that has it in its keychain (under the shared namespace): every such desktop follows
//! the page's lease (`switchboard_sync::lease`, as for a Telegram bot), and the holder
//!
//! - sends the page's replies, whichever desktop they were written on, under the same window rules
//!   as standalone (`RESPONSE` within 24 hours of the customer's last message, `HUMAN_AGENT` up to
//!   7 days when the channel allows it, otherwise refused with the composer's sentence) and with
//!   the same handling of Meta's errors (190: the token died, replies wait; 4/17/32/613 and network
//!   errors: retried; 10/2018278, 551 and other refusals: failed in words);
//! - downloads customers' files into Postgres;
//! - asks the profile API for the names and pictures of new customers (the relay names them
//!   "Messenger user …1234");
//! - takes conversations from bots and gives them back to Page Inbox when an operator asks
//!   (`sb_apply` `take_thread` / `pass_thread`, migration 0023).
//!
//! Every desktop following the page also checks its own token with `debug_token` at start and
//! daily (and when a send says the token died), as standalone does: a dead token shows on the
//! page's card on this desktop, and this desktop lets go of the page's lease until it is
//! reconnected, so a desktop whose token works sends instead.
//!
//! Every write is fenced by the lease's token (`SB009` once another desktop holds it): a desktop
//! that lost the lease while it slept cannot mark a reply sent twice or store anything.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use switchboard_engine::clock::Clock;
use switchboard_engine::domain::{Channel, ChannelHealth, ChannelProblem};
use switchboard_engine::secrets::{SecretKey, SecretStore};
use switchboard_engine::store::{MAX_FETCH_ATTEMPTS, Store};
use switchboard_messenger::{
    AttachmentType, GraphApi, GraphError, Secret, SendError, SendFailure, SendPolicy, TokenHealth,
    send_failure, send_policy, split_for_messenger, token_health,
};
use switchboard_sync::lease::{LeaseEvent, LeaseHolder, LeasePolicy};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::PAGE_INBOX_APP_ID;

/// How often the holder looks for due work when no change notification woke it.
const IDLE_CHECK: Duration = Duration::from_secs(2);
/// How long a dead token keeps the sender from trying again (as standalone).
const TOKEN_RETRY: Duration = Duration::from_secs(60);
const PROFILE_TIMEOUT: Duration = Duration::from_secs(5);
/// Tries of the profile API per customer before the placeholder name stays.
const PROFILE_ATTEMPTS: i32 = 4;
/// What `sb_file_fetched` (0019) keeps; Messenger's own limit is 25 MB.
const MAX_SHARED_FILE: usize = 20 * 1024 * 1024;
/// How often the page token is checked with `debug_token` (and at start), as standalone.
const TOKEN_CHECK_EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// Tries of a thread control call that Facebook could not answer before the request fails.
const THREAD_ATTEMPTS: i32 = 5;

/// What this desktop does with a page (the channel card shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PageState {
    /// Another desktop holds the page's lease (or this one is about to take it).
    Standby,
    /// This desktop sends for the page.
    Holding,
    /// This desktop holds the lease, and the last call failed, in words.
    Problem {
        problem: ChannelProblem,
        reason: String,
    },
}

/// The pages this desktop follows, by channel id.
pub(crate) struct SharedPages {
    /// Unique per process (a lease tenure is never shared between two processes).
    holder_id: String,
    pages: Mutex<HashMap<String, RunningPage>>,
}

struct RunningPage {
    state: watch::Receiver<PageState>,
    stop: watch::Sender<bool>,
    recheck: Arc<Notify>,
    task: JoinHandle<()>,
}

/// What a page's tasks need.
pub(crate) struct PageWork {
    pub pg: PgPool,
    pub channel: Channel,
    pub token: Secret,
    pub graph: GraphApi,
    pub clock: Arc<dyn Clock>,
    /// This desktop's cache, for the workspace's app id (`debug_token`).
    pub store: Store,
    /// This computer's keychain, for the app secret (`debug_token`), read at each check.
    pub secrets: Arc<dyn SecretStore>,
    /// Check the token now (a send said it died; the app settings changed).
    pub recheck: Arc<Notify>,
}

impl SharedPages {
    pub(crate) fn new(holder_id: String) -> Self {
        Self {
            holder_id,
            pages: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RunningPage>> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn is_running(&self, channel_id: &str) -> bool {
        self.lock().contains_key(channel_id)
    }

    /// Follows the page's lease and works for it while holding it (once per channel).
    pub(crate) fn start(&self, work: PageWork) {
        let mut pages = self.lock();
        if pages.contains_key(&work.channel.id) {
            return;
        }
        let (state_tx, state) = watch::channel(PageState::Standby);
        let (stop, stop_rx) = watch::channel(false);
        let channel_id = work.channel.id.clone();
        let recheck = work.recheck.clone();
        let task = tokio::spawn(follow(
            Arc::new(work),
            self.holder_id.clone(),
            state_tx,
            stop_rx,
        ));
        pages.insert(
            channel_id,
            RunningPage {
                state,
                stop,
                recheck,
                task,
            },
        );
    }

    /// Every page this desktop follows checks its token again (the app's id or secret changed).
    pub(crate) fn check_tokens_now(&self) {
        for page in self.lock().values() {
            page.recheck.notify_one();
        }
    }

    /// Stops working for the page and releases its lease, so another desktop takes over at once.
    pub(crate) async fn stop(&self, channel_id: &str) {
        let page = self.lock().remove(channel_id);
        if let Some(page) = page {
            let _ = page.stop.send(true);
            let _ = page.task.await;
        }
    }

    pub(crate) async fn stop_all(&self) {
        let pages: Vec<_> = self.lock().drain().collect();
        for (_, page) in pages {
            let _ = page.stop.send(true);
            let _ = page.task.await;
        }
    }

    /// The page's card on this desktop.
    pub(crate) fn health(&self, channel_id: &str) -> ChannelHealth {
        match self
            .lock()
            .get(channel_id)
            .map(|p| p.state.borrow().clone())
        {
            Some(PageState::Standby | PageState::Holding) => ChannelHealth::Running,
            Some(PageState::Problem { problem, reason }) => ChannelHealth::problem(problem, reason),
            None => ChannelHealth::problem(
                ChannelProblem::Keychain,
                "This page's token is not on this computer, so this desktop cannot send for it; \
                 a desktop that has it does. Customers' messages arrive through the relay either \
                 way.",
            ),
        }
    }
}

/// The lease this desktop holds for the page: what every fenced call passes.
#[derive(Debug, Clone)]
struct Lease {
    channel_id: String,
    holder_id: String,
    fencing: i64,
}

async fn follow(
    work: Arc<PageWork>,
    holder_id: String,
    state: watch::Sender<PageState>,
    mut stop: watch::Receiver<bool>,
) {
    let (verdict_tx, mut verdict) = watch::channel(None);
    let checker = tokio::spawn(watch_token(work.clone(), verdict_tx));
    let state = Arc::new(state);
    loop {
        let dead = verdict.borrow_and_update().clone();
        if let Some(reason) = dead {
            // As standalone's card; this desktop works for the page again once it is reconnected
            // (or a later check finds the token alive).
            state.send_replace(PageState::Problem {
                problem: ChannelProblem::TokenRejected,
                reason: format!(
                    "{reason} Reconnect the page: Chat settings → Channels → Add → Facebook."
                ),
            });
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => break,
                changed = verdict.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    continue;
                }
            }
        }
        if hold(&work, &holder_id, &state, &mut stop, &mut verdict).await {
            break;
        }
    }
    checker.abort();
    state.send_replace(PageState::Standby);
}

/// Follows the page's lease and works for the page while holding it, until this desktop stops
/// following the page (`true`) or its token is found dead (`false`: the lease is released, so a
/// desktop whose token works takes over).
async fn hold(
    work: &Arc<PageWork>,
    holder_id: &str,
    state: &Arc<watch::Sender<PageState>>,
    stop: &mut watch::Receiver<bool>,
    verdict: &mut watch::Receiver<Option<String>>,
) -> bool {
    let mut lease = LeaseHolder::start(
        work.pg.clone(),
        work.channel.id.clone(),
        holder_id.to_owned(),
        LeasePolicy::default(),
    );
    state.send_replace(PageState::Standby);
    let mut running: Vec<JoinHandle<()>> = Vec::new();
    let stopped = loop {
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => break true,
            changed = verdict.changed() => {
                if changed.is_err() {
                    break true;
                }
                if verdict.borrow().is_some() {
                    break false;
                }
            }
            event = lease.events.recv() => {
                // Lost, or held again with a new token: what ran with the old one ends now.
                running.drain(..).for_each(|task| task.abort());
                match event {
                    Some(LeaseEvent::Acquired { fencing }) => {
                        state.send_replace(PageState::Holding);
                        let held = Lease {
                            channel_id: work.channel.id.clone(),
                            holder_id: holder_id.to_owned(),
                            fencing,
                        };
                        let jobs: [(&'static str, Work); 4] = [
                            ("sending replies", send_replies),
                            ("downloading files", fetch_files),
                            ("asking for names", ask_names),
                            ("moving threads", move_threads),
                        ];
                        for (what, job) in jobs {
                            running.push(tokio::spawn(keep_going(
                                what,
                                work.clone(),
                                held.clone(),
                                state.clone(),
                                job,
                            )));
                        }
                    }
                    Some(LeaseEvent::Lost) => {
                        state.send_replace(PageState::Standby);
                    }
                    None => break true,
                }
            }
        }
    };
    running.drain(..).for_each(|task| task.abort());
    lease.stop().await;
    stopped
}

type JobFuture = Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send>>;
type Work = fn(Arc<PageWork>, Lease, Arc<watch::Sender<PageState>>) -> JobFuture;

/// Runs one of the holder's jobs until the lease is lost (it returns `Ok`, fenced out), again
/// after a failure of the database.
async fn keep_going(
    what: &'static str,
    work: Arc<PageWork>,
    lease: Lease,
    state: Arc<watch::Sender<PageState>>,
    job: Work,
) {
    loop {
        match job(work.clone(), lease.clone(), state.clone()).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(channel = %lease.channel_id, %error, "shared Messenger page: {what} failed; retrying");
                tokio::time::sleep(IDLE_CHECK).await;
            }
        }
    }
}

fn is_fenced_out(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("SB009"))
}

/// `Ok(None)` when fenced out: another desktop holds the page now.
fn unless_fenced<T>(result: Result<T, sqlx::Error>) -> Result<Option<T>, sqlx::Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if is_fenced_out(&error) => Ok(None),
        Err(error) => Err(error),
    }
}

impl Lease {
    /// The next rows of work a fenced function (channel, holder, token, limit) returns, waiting
    /// `IDLE_CHECK` between looks while there are none; `None` once fenced out (another desktop
    /// holds the page now).
    async fn next_due<T>(
        &self,
        pg: &PgPool,
        sql: &'static str,
    ) -> Result<Option<Vec<T>>, sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        loop {
            let due = sqlx::query_as::<_, T>(sql)
                .bind(&self.channel_id)
                .bind(&self.holder_id)
                .bind(self.fencing)
                .fetch_all(pg)
                .await;
            match unless_fenced(due)? {
                None => return Ok(None),
                Some(rows) if rows.is_empty() => tokio::time::sleep(IDLE_CHECK).await,
                Some(rows) => return Ok(Some(rows)),
            }
        }
    }

    /// A fenced function whose first three arguments are the channel, holder and token.
    fn query<'q>(
        &'q self,
        sql: &'static str,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        sqlx::query(sql)
            .bind(&self.channel_id)
            .bind(&self.holder_id)
            .bind(self.fencing)
    }
}

mod files;
mod names;
mod replies;
mod threads;
mod token;

use files::fetch_files;
use names::ask_names;
use replies::send_replies;
use threads::move_threads;
use token::watch_token;
