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

/// Checks this desktop's page token at start, daily and when asked; `Some(reason)` once
/// `debug_token` says it is dead. Without the app's id or secret on this desktop nothing is
/// checked (a dead token then shows at the next send, 190).
async fn watch_token(work: Arc<PageWork>, verdict: watch::Sender<Option<String>>) {
    loop {
        if let Some(dead) = check_token(&work).await {
            verdict.send_if_modified(|known| {
                let changed = *known != dead;
                *known = dead;
                changed
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(TOKEN_CHECK_EVERY) => {}
            _ = work.recheck.notified() => {}
        }
    }
}

/// `Some(None)`: alive; `Some(Some(reason))`: dead; `None`: not known.
async fn check_token(work: &PageWork) -> Option<Option<String>> {
    let key = SecretKey::facebook_app_secret(work.store.workspace_id());
    let app_secret = Secret::new(work.secrets.get(&key).ok()?);
    let app_id = work
        .store
        .setting_text("FacebookAppId")
        .await
        .ok()
        .flatten()
        .filter(|id| !id.is_empty())?;
    match work
        .graph
        .debug_token(&app_id, &app_secret, &work.token)
        .await
    {
        Ok(info) => Some(match token_health(&info, work.clock.now()) {
            TokenHealth::Invalid { reason } => Some(reason),
            TokenHealth::ExpiresSoon { .. } | TokenHealth::Valid { .. } => None,
        }),
        Err(error) => {
            tracing::warn!(channel = %work.channel.id, %error, "shared Messenger page: checking the page token failed");
            None
        }
    }
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

// ---------------------------------------------------------------------------------------------
// Replies.

struct Due {
    id: String,
    psid: String,
    text: String,
    parts_sent: i32,
    last_customer_at: Option<i64>,
    human_agent: bool,
    file: Option<DueFile>,
}

struct DueFile {
    attachment_id: String,
    kind: String,
    name: Option<String>,
    mime: Option<String>,
}

type DueRow = (
    String,
    String,
    String,
    String,
    i32,
    i32,
    Option<i64>,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn send_replies(
    work: Arc<PageWork>,
    lease: Lease,
    state: Arc<watch::Sender<PageState>>,
) -> JobFuture {
    Box::pin(async move {
        let mut listener = PgListener::connect_with(&work.pg).await?;
        listener.listen(switchboard_sync::feed::CHANNEL).await?;
        loop {
            let rows = sqlx::query_as::<_, DueRow>(
                "SELECT * FROM sb_due_messenger_replies($1, $2, $3, 20)",
            )
            .bind(&lease.channel_id)
            .bind(&lease.holder_id)
            .bind(lease.fencing)
            .fetch_all(&work.pg)
            .await;
            let Some(rows) = unless_fenced(rows)? else {
                return Ok(());
            };
            let mut pause = None;
            let empty = rows.is_empty();
            for row in rows {
                let due = Due {
                    id: row.0,
                    psid: row.2,
                    text: row.3,
                    parts_sent: row.4,
                    last_customer_at: row.6,
                    human_agent: row.7,
                    file: match (row.8, row.9) {
                        (Some(attachment_id), Some(kind)) => Some(DueFile {
                            attachment_id,
                            kind,
                            name: row.10,
                            mime: row.11,
                        }),
                        _ => None,
                    },
                };
                match unless_fenced(send_one(&work, &lease, &state, &due).await)? {
                    None => return Ok(()),
                    Some(None) => {}
                    Some(Some(wait)) => {
                        pause = Some(wait);
                        break;
                    }
                }
            }
            if let Some(wait) = pause {
                tokio::time::sleep(wait).await;
            } else if empty {
                // New replies arrive as changes; the idle check covers a missed notification and
                // replies whose retry time has come.
                let _ = tokio::time::timeout(IDLE_CHECK, listener.recv()).await;
                while listener.next_buffered().is_some() {}
            }
        }
    })
}

/// Sends what is left of one reply: its file (part 1), then its text in parts Messenger accepts.
/// `Some(wait)`: the page must pause that long before the next.
async fn send_one(
    work: &PageWork,
    lease: &Lease,
    state: &watch::Sender<PageState>,
    due: &Due,
) -> Result<Option<Duration>, sqlx::Error> {
    // The composer refused it when the window was closed; it may have closed since (a reply
    // queued offline, a retry): then Messenger would refuse it, and so do we, in words.
    let policy = send_policy(
        work.clock.now(),
        due.last_customer_at,
        due.human_agent,
        true,
    );
    let done = usize::try_from(due.parts_sent).unwrap_or(0);
    let mut index = 0;
    let mut last_mid = None;
    if let Some(file) = &due.file {
        if done == 0 {
            match send_file(work, lease, due, file, &policy).await? {
                Ok(mid) => {
                    last_mid = Some(mid);
                    progress(work, lease, due, 1).await?;
                }
                Err(error) => return failed(work, lease, state, due, &error).await,
            }
        }
        index = 1;
    }
    let parts: Vec<&str> = split_for_messenger(&due.text)
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .collect();
    for part in parts {
        if index >= done {
            let sent = work
                .graph
                .send_text(
                    &work.channel.external_id,
                    &work.token,
                    &due.psid,
                    part,
                    &policy,
                )
                .await;
            match sent {
                Ok(sent) => {
                    last_mid = sent.last().map(|m| m.message_id.clone()).or(last_mid);
                    progress(work, lease, due, index + 1).await?;
                }
                Err(not_sent) => return failed(work, lease, state, due, &not_sent.error).await,
            }
        }
        index += 1;
    }
    let mid = last_mid.unwrap_or_else(|| format!("{}/sent", due.id));
    lease
        .query("SELECT sb_messenger_reply_sent($1, $2, $3, $4, $5)")
        .bind(&due.id)
        .bind(&mid)
        .execute(&work.pg)
        .await?;
    state.send_if_modified(|s| {
        let changed = *s != PageState::Holding;
        *s = PageState::Holding;
        changed
    });
    Ok(None)
}

async fn progress(
    work: &PageWork,
    lease: &Lease,
    due: &Due,
    parts: usize,
) -> Result<(), sqlx::Error> {
    lease
        .query("SELECT sb_reply_progress($1, $2, $3, $4, $5)")
        .bind(&due.id)
        .bind(i32::try_from(parts).unwrap_or(i32::MAX))
        .execute(&work.pg)
        .await?;
    Ok(())
}

/// Uploads the reply's file and sends it; its `mid`.
async fn send_file(
    work: &PageWork,
    lease: &Lease,
    due: &Due,
    file: &DueFile,
    policy: &SendPolicy,
) -> Result<Result<String, SendError>, sqlx::Error> {
    if let SendPolicy::Closed { why, reason } = policy {
        return Ok(Err(SendError::WindowClosed {
            why: *why,
            reason: reason.clone(),
        }));
    }
    let bytes: Option<Vec<u8>> = sqlx::query_scalar("SELECT sb_reply_file($1, $2, $3, $4)")
        .bind(&lease.channel_id)
        .bind(&lease.holder_id)
        .bind(lease.fencing)
        .bind(&file.attachment_id)
        .fetch_one(&work.pg)
        .await?;
    let Some(bytes) = bytes else {
        return Ok(Err(SendError::Invalid(
            "The file of this message is no longer stored.".into(),
        )));
    };
    let mime = file
        .mime
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let kind = if file.kind == "photo" {
        AttachmentType::Image
    } else {
        AttachmentType::for_mime(&mime)
    };
    let name = file.name.clone().unwrap_or_else(|| "file".into());
    let page = &work.channel.external_id;
    let uploaded = work
        .graph
        .upload_attachment(page, &work.token, kind, &name, &mime, bytes)
        .await;
    let id = match uploaded {
        Ok(id) => id,
        Err(error) => return Ok(Err(error)),
    };
    Ok(work
        .graph
        .send_attachment(page, &work.token, &due.psid, kind, &id, policy)
        .await
        .map(|sent| sent.message_id))
}

/// Records why a reply did not go: later (rate limits, Facebook or the network down, a dead
/// token: `Some(pause)` for the whole page), or never (a refusal, with the sentence).
async fn failed(
    work: &PageWork,
    lease: &Lease,
    state: &watch::Sender<PageState>,
    due: &Due,
    error: &SendError,
) -> Result<Option<Duration>, sqlx::Error> {
    tracing::warn!(message = %due.id, %error, "shared Messenger page: a reply was not sent");
    let (retry, reason) = match error.failure() {
        SendFailure::Retry { after } => {
            state.send_replace(PageState::Problem {
                problem: ChannelProblem::RateLimited,
                reason: error.explain(),
            });
            (Some(after), error.explain())
        }
        SendFailure::TokenDead { reason } => {
            // Ask Facebook (debug_token): a dead token lets go of the page's lease.
            work.recheck.notify_one();
            state.send_replace(PageState::Problem {
                problem: ChannelProblem::TokenRejected,
                reason: format!("{reason} Replies to this page wait until it is reconnected."),
            });
            (Some(TOKEN_RETRY), reason)
        }
        SendFailure::Refused { reason } => (None, reason),
    };
    match retry {
        Some(after) => {
            lease
                .query("SELECT sb_reply_retry($1, $2, $3, $4, $5, $6)")
                .bind(&due.id)
                .bind(i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2))
                .bind(&reason)
                .execute(&work.pg)
                .await?;
            Ok(Some(after))
        }
        None => {
            lease
                .query("SELECT sb_reply_failed($1, $2, $3, $4, $5)")
                .bind(&due.id)
                .bind(&reason)
                .execute(&work.pg)
                .await?;
            Ok(None)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Customers' files (Meta's URLs expire: soon after they arrive).

fn fetch_files(
    work: Arc<PageWork>,
    lease: Lease,
    _state: Arc<watch::Sender<PageState>>,
) -> JobFuture {
    Box::pin(async move {
        loop {
            let due = sqlx::query_as::<_, (String, String, String, i32)>(
                "SELECT * FROM sb_files_to_fetch($1, $2, $3, 10)",
            )
            .bind(&lease.channel_id)
            .bind(&lease.holder_id)
            .bind(lease.fencing)
            .fetch_all(&work.pg)
            .await;
            let Some(due) = unless_fenced(due)? else {
                return Ok(());
            };
            if due.is_empty() {
                tokio::time::sleep(IDLE_CHECK).await;
                continue;
            }
            for (attachment, _chat, url, attempts) in due {
                let downloaded = work.graph.download(&url).await;
                let result = match downloaded {
                    Ok(file) if file.bytes.len() <= MAX_SHARED_FILE => lease
                        .query("SELECT sb_file_fetched($1, $2, $3, $4, $5, $6)")
                        .bind(&attachment)
                        .bind(file.bytes)
                        .bind(file.content_type)
                        .execute(&work.pg)
                        .await
                        .map(drop),
                    Ok(_) => lease
                        .query("SELECT sb_file_fetch_failed($1, $2, $3, $4, $5, $6)")
                        .bind(&attachment)
                        .bind("The file is larger than 20 MB, more than shared mode keeps.")
                        .bind(None::<i64>)
                        .execute(&work.pg)
                        .await
                        .map(drop),
                    Err(error) => {
                        let tries = u32::try_from(attempts).unwrap_or(0);
                        let retry = (tries + 1 < MAX_FETCH_ATTEMPTS)
                            .then(|| 5_000 * 3_i64.pow(tries.min(6)));
                        let reason = format!(
                            "The file could not be downloaded from Messenger: {}",
                            switchboard_messenger::explain(&error)
                        );
                        lease
                            .query("SELECT sb_file_fetch_failed($1, $2, $3, $4, $5, $6)")
                            .bind(&attachment)
                            .bind(reason)
                            .bind(retry)
                            .execute(&work.pg)
                            .await
                            .map(drop)
                    }
                };
                if unless_fenced(result)?.is_none() {
                    return Ok(());
                }
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Customers' names.

fn ask_names(
    work: Arc<PageWork>,
    lease: Lease,
    _state: Arc<watch::Sender<PageState>>,
) -> JobFuture {
    Box::pin(async move {
        loop {
            let due = sqlx::query_as::<_, (String, String, String, i32)>(
                "SELECT * FROM sb_messenger_profiles_due($1, $2, $3, 20)",
            )
            .bind(&lease.channel_id)
            .bind(&lease.holder_id)
            .bind(lease.fencing)
            .fetch_all(&work.pg)
            .await;
            let Some(due) = unless_fenced(due)? else {
                return Ok(());
            };
            if due.is_empty() {
                tokio::time::sleep(IDLE_CHECK).await;
                continue;
            }
            for (contact, psid, _placeholder, attempts) in due {
                let asked =
                    tokio::time::timeout(PROFILE_TIMEOUT, work.graph.profile(&psid, &work.token))
                        .await
                        .unwrap_or_else(|_| {
                            Err(GraphError::Network(
                                "the profile API did not answer in time".into(),
                            ))
                        });
                let result = match asked {
                    Ok(profile) => {
                        let named = lease
                            .query("SELECT sb_messenger_profile($1, $2, $3, $4, $5)")
                            .bind(&contact)
                            .bind(profile.display_name())
                            .execute(&work.pg)
                            .await;
                        match (named, profile.profile_pic) {
                            (Ok(_), Some(url)) => keep_picture(&work, &lease, &contact, &url).await,
                            (named, _) => named,
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "shared Messenger page: no profile");
                        // Growing waits; after a few tries the placeholder stays (the page may
                        // not be allowed to read profiles).
                        let retry = (attempts + 1 < PROFILE_ATTEMPTS)
                            .then(|| 30_000_i64 << attempts.clamp(0, 10));
                        lease
                            .query("SELECT sb_messenger_profile_failed($1, $2, $3, $4, $5)")
                            .bind(&contact)
                            .bind(retry)
                            .execute(&work.pg)
                            .await
                    }
                };
                if unless_fenced(result)?.is_none() {
                    return Ok(());
                }
            }
        }
    })
}

/// The customer's picture onto the contact, once (its URL expires). A picture that cannot be
/// fetched is left out: the card shows initials.
async fn keep_picture(
    work: &PageWork,
    lease: &Lease,
    contact: &str,
    url: &str,
) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    let fetched = tokio::time::timeout(PROFILE_TIMEOUT, work.graph.picture(url)).await;
    match fetched {
        Ok(Ok((bytes, kind)))
            if matches!(
                kind.as_str(),
                "image/png" | "image/jpeg" | "image/gif" | "image/webp"
            ) =>
        {
            lease
                .query("SELECT sb_messenger_picture($1, $2, $3, $4, $5, $6)")
                .bind(contact)
                .bind(bytes)
                .bind(kind)
                .execute(&work.pg)
                .await
        }
        _ => Ok(sqlx::postgres::PgQueryResult::default()),
    }
}

// ---------------------------------------------------------------------------------------------
// Thread control: operators' requests to take a conversation from a bot or give it back.

type ThreadRow = (String, String, String, String, String, i32);

fn move_threads(
    work: Arc<PageWork>,
    lease: Lease,
    _state: Arc<watch::Sender<PageState>>,
) -> JobFuture {
    Box::pin(async move {
        loop {
            let due = sqlx::query_as::<_, ThreadRow>(
                "SELECT * FROM sb_messenger_thread_requests($1, $2, $3, 10)",
            )
            .bind(&lease.channel_id)
            .bind(&lease.holder_id)
            .bind(lease.fencing)
            .fetch_all(&work.pg)
            .await;
            let Some(due) = unless_fenced(due)? else {
                return Ok(());
            };
            if due.is_empty() {
                tokio::time::sleep(IDLE_CHECK).await;
                continue;
            }
            for (request, _chat, psid, kind, chat_state, attempts) in due {
                let page = &work.channel.external_id;
                let called = match kind.as_str() {
                    // The bot passed it meanwhile: nothing to take.
                    "take" if chat_state != "bot" => Ok(()),
                    "take" => {
                        work.graph
                            .take_thread_control(
                                page,
                                &work.token,
                                &psid,
                                Some("taken by an operator in Switchboard"),
                            )
                            .await
                    }
                    _ => {
                        work.graph
                            .pass_thread_control(
                                page,
                                &work.token,
                                &psid,
                                PAGE_INBOX_APP_ID,
                                Some("given back by Switchboard"),
                            )
                            .await
                    }
                };
                let result = match called {
                    Ok(()) => lease
                        .query("SELECT sb_messenger_thread_done($1, $2, $3, $4)")
                        .bind(&request)
                        .execute(&work.pg)
                        .await
                        .map(drop),
                    Err(error) => thread_failed(&work, &lease, &request, attempts, &error).await,
                };
                if unless_fenced(result)?.is_none() {
                    return Ok(());
                }
            }
        }
    })
}

/// Facebook did not move the thread: again later (a rate limit, Facebook or the network down, a
/// dead token until it is reconnected), a few times, or never (a refusal), with the sentence in
/// the chat.
async fn thread_failed(
    work: &PageWork,
    lease: &Lease,
    request: &str,
    attempts: i32,
    error: &GraphError,
) -> Result<(), sqlx::Error> {
    tracing::warn!(channel = %lease.channel_id, %error, "shared Messenger page: thread control failed");
    let (retry, reason) = match send_failure(error) {
        SendFailure::Retry { after } => (Some(after), switchboard_messenger::explain(error)),
        SendFailure::TokenDead { reason } => {
            work.recheck.notify_one();
            (Some(TOKEN_RETRY), reason)
        }
        SendFailure::Refused { .. } => (None, switchboard_messenger::explain(error)),
    };
    match retry {
        Some(after) if attempts + 1 < THREAD_ATTEMPTS => lease
            .query("SELECT sb_messenger_thread_retry($1, $2, $3, $4, $5)")
            .bind(request)
            .bind(i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2))
            .execute(&work.pg)
            .await
            .map(drop),
        _ => lease
            .query("SELECT sb_messenger_thread_failed($1, $2, $3, $4, $5)")
            .bind(request)
            .bind(reason)
            .execute(&work.pg)
            .await
            .map(drop),
    }
}
