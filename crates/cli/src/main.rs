//! `handoff`: the Handoff Desk engine from a terminal, for power users and scripts.
//!
//! Exit codes: 0 ok, 1 runtime error, 2 usage error.

mod format;
mod terminal;
mod until;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use handoff_core::insights::review;
use handoff_core::{profile, CoreError, DeliveryState, Engine, QueueTab};
use handoff_protocol::{Presence, ResolveOutcome};
use terminal::safe;

#[derive(Parser)]
#[command(name = "handoff", version, about = "Handoff Desk from a terminal: queue, transcripts, replies, sync")]
struct Cli {
    /// Profile data directory (default: $HANDOFF_DATA_DIR, else the OS data dir).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in: checks the token, keeps it in the OS keychain. The token is read from standard
    /// input when it is piped (`handoff login --server URL < token.txt`), else asked for without
    /// echo.
    Login {
        #[arg(long)]
        server: String,
        /// The token on the command line, for scripts. Anyone on this computer can read it in the
        /// process list while login runs, and it stays in your shell history: prefer standard
        /// input or the prompt.
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
    },
    /// Sign out; --clear-cache also wipes the local cache (every customer's words, drafts and
    /// unsent messages included) so nothing is left on this device.
    Logout {
        #[arg(long)]
        clear_cache: bool,
    },
    /// Catch up with the service and deliver the outbox; --follow stays live.
    Sync {
        #[arg(long)]
        follow: bool,
        /// With --follow: print events as JSON lines.
        #[arg(long, requires = "follow")]
        json: bool,
    },
    /// The queue, from the cache: every conversation of the tab, or the first N with --limit
    /// (a note on stderr says how many were left out).
    Queue {
        #[arg(long, value_enum, default_value_t = Tab::Waiting)]
        tab: Tab,
        /// Only conversations with this tag.
        #[arg(long, value_name = "NAME")]
        tag: Option<String>,
        #[arg(long)]
        json: bool,
        /// At most this many rows.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Put one of your conversations out of sight until a time (on this device only); it comes
    /// back at the top of `queue --tab mine` then, or as soon as the customer writes.
    Snooze {
        id: i64,
        /// When it comes back: 30m, 2h, 1d (from now), 17:30 (the next time the clock shows
        /// it), today 17:30, tomorrow 09:00 (local time), or RFC 3339 (2026-11-25T14:00:00+01:00).
        #[arg(long, value_name = "WHEN", value_parser = parse_until_now)]
        until: chrono::DateTime<chrono::Utc>,
    },
    /// End a snooze now.
    Unsnooze { id: i64 },
    /// A conversation and its transcript, from the cache.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Reply to the customer (queued when offline, sent exactly once).
    Reply { id: i64, text: String },
    /// Add a private note.
    Note { id: i64, text: String },
    /// Claim a waiting conversation.
    Claim { id: i64 },
    /// Put your conversation back in the queue.
    Release { id: i64 },
    /// Resolve your conversation.
    Resolve {
        id: i64,
        /// Hand it back to the bot instead of closing it.
        #[arg(long)]
        back_to_bot: bool,
    },
    /// Hand your conversation to another agent (id or exact name).
    Transfer {
        id: i64,
        agent: String,
        /// Why, for them; shown in the transcript as a private line (at most 500 characters).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// The team's tag catalogue, from the cache (refreshed by `handoff sync`).
    Tags {
        #[arg(long)]
        json: bool,
    },
    /// Add tags to a conversation (names from `handoff tags`).
    Tag {
        id: i64,
        #[arg(required = true, value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Remove tags from a conversation.
    Untag {
        id: i64,
        #[arg(required = true, value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Set your presence.
    Presence {
        #[arg(value_enum)]
        presence: PresenceArg,
    },
    /// Full-text search over every cached message.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Messages not yet delivered; retry or discard failed ones.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
        #[arg(long)]
        json: bool,
    },
    /// Remove resolved conversations older than DAYS from the cache.
    Purge {
        #[arg(long, value_name = "DAYS")]
        older_than: u32,
    },
    /// Connection, cursor, signed-in agent and queue stats.
    Status,
    /// What handoffs asked about lately, from the cache: volumes, reasons, waits, question
    /// groups, and what the bot should learn (Markdown unless --json or --csv).
    Review {
        /// How far back: `7d` (days) or `12h` (hours).
        #[arg(long, default_value = "7d", value_parser = parse_period)]
        since: chrono::Duration,
        #[arg(long, group = "format")]
        json: bool,
        #[arg(long, group = "format")]
        markdown: bool,
        /// One row per question group.
        #[arg(long, group = "format")]
        csv: bool,
    },
}

/// `7d` or `12h` as a duration.
fn parse_period(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let invalid = || format!("`{text}` is not a period like 7d or 12h");
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| invalid())?;
    if n <= 0 || n > 100_000 {
        return Err(invalid());
    }
    match unit {
        "d" | "D" => Ok(chrono::Duration::days(n)),
        "h" | "H" => Ok(chrono::Duration::hours(n)),
        _ => Err(invalid()),
    }
}

/// `--until` as an instant, read in this computer's local time.
fn parse_until_now(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    until::parse_until(text, &chrono::Local::now())
}

#[derive(Subcommand)]
enum OutboxAction {
    /// Queue a failed message again, optionally with new text.
    Retry {
        client_id: String,
        #[arg(long)]
        text: Option<String>,
    },
    /// Drop a failed message.
    Discard { client_id: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum Tab {
    Waiting,
    Mine,
    Recent,
    /// Your snoozed conversations, the soonest back first.
    Snoozed,
}

#[derive(Clone, Copy, ValueEnum)]
enum PresenceArg {
    Available,
    Away,
    Offline,
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    terminal::json(value, false)
}

async fn run(cli: Cli) -> Result<()> {
    let data_dir = profile::data_dir(cli.data_dir)?;
    let engine =
        Engine::open(&data_dir).with_context(|| format!("cannot open the profile in {}", data_dir.display()))?;
    if let Some(notice) = engine.cache_notice() {
        terminal::note(&notice);
    }
    match cli.command {
        Command::Login { server, token } => {
            let token = match token {
                Some(token) => token,
                None => read_token()?,
            };
            let agent = engine.login(&server, &token).await?;
            terminal::line(&format!(
                "signed in to {} as {} (agent {})",
                safe(server.trim_end_matches('/')),
                safe(&agent.name),
                agent.id
            ));
        }
        Command::Logout { clear_cache } => {
            engine.sign_out(clear_cache).await?;
            terminal::line(&format!("signed out{}", if clear_cache { "; the local cache is wiped" } else { "" }));
        }
        Command::Sync { follow: false, .. } => {
            let report = engine.sync_once().await?;
            terminal::line(&format::sync_report(&report));
        }
        Command::Sync { follow: true, json } => follow(engine, json).await?,
        Command::Queue { tab, tag, json, limit } => queue(&engine, tab, tag.as_deref(), json, limit)?,
        Command::Snooze { id, until } => {
            engine.snooze(id, until)?;
            let local = until.with_timezone(&chrono::Local);
            terminal::line(&format!(
                "snoozed conversation {id} until {}; it comes back at the top of `handoff queue --tab mine`",
                local.format("%Y-%m-%d %H:%M %:z")
            ));
        }
        Command::Unsnooze { id } => {
            if engine.unsnooze(id)? {
                terminal::line(&format!("conversation {id} is back in `handoff queue --tab mine`"));
            } else {
                terminal::line(&format!("conversation {id} was not snoozed"));
            }
        }
        Command::Show { id, json } => {
            let view = engine.store().conversation_view(id)?;
            if json {
                print_json(view.as_ref())?;
            } else {
                terminal::out(&format::conversation(&view));
            }
        }
        Command::Reply { id, text } => send(&engine, id, &text, false).await?,
        Command::Note { id, text } => send(&engine, id, &text, true).await?,
        Command::Claim { id } => {
            let conversation = engine.claim(id).await?;
            terminal::line(&format!("claimed conversation {id} ({})", safe(&conversation.customer.name)));
        }
        Command::Release { id } => {
            engine.release(id).await?;
            terminal::line(&format!("released conversation {id}; it is waiting again"));
        }
        Command::Resolve { id, back_to_bot } => {
            let outcome = if back_to_bot { ResolveOutcome::BackToBot } else { ResolveOutcome::Solved };
            let conversation = engine.resolve(id, outcome).await?;
            terminal::line(&format!("conversation {id} is now {}", conversation.status.as_str()));
        }
        Command::Transfer { id, agent, note } => {
            let agent_id = match agent.parse::<i64>() {
                Ok(agent_id) => agent_id,
                Err(_) => {
                    engine
                        .store()
                        .agents()?
                        .into_iter()
                        .find(|a| a.name == agent)
                        .with_context(|| {
                            format!("no agent named \"{}\" in the cache; run `handoff sync` first", safe(&agent))
                        })?
                        .id
                }
            };
            let conversation = engine.transfer(id, agent_id, note.as_deref()).await?;
            let to = conversation.assignee.map(|a| a.name).unwrap_or_default();
            terminal::line(&format!("conversation {id} transferred to {}", safe(&to)));
        }
        Command::Tags { json } => {
            let tags = engine.tags()?;
            if json {
                print_json(&tags)?;
            } else {
                terminal::out(&format::tags(&tags));
            }
        }
        Command::Tag { id, tags } => {
            let conversation = engine.edit_tags(id, &tags, &[]).await?;
            terminal::line(&format!("conversation {id} tags: {}", tag_summary(&conversation.tags)));
        }
        Command::Untag { id, tags } => {
            let conversation = engine.edit_tags(id, &[], &tags).await?;
            terminal::line(&format!("conversation {id} tags: {}", tag_summary(&conversation.tags)));
        }
        Command::Presence { presence } => {
            let presence = match presence {
                PresenceArg::Available => Presence::Available,
                PresenceArg::Away => Presence::Away,
                PresenceArg::Offline => Presence::Offline,
            };
            let agent = engine.set_presence(presence).await?;
            terminal::line(&format!("{} is {}", safe(&agent.name), agent.presence.as_str()));
        }
        Command::Search { query, limit, json } => {
            let hits = engine.store().search(&query, limit)?;
            if json {
                print_json(&hits)?;
            } else {
                terminal::out(&format::search(&hits));
            }
        }
        Command::Outbox { action: None, json } => {
            let items = engine.store().outbox()?;
            if json {
                print_json(&items)?;
            } else {
                terminal::out(&format::outbox(&items));
            }
        }
        Command::Outbox { action: Some(OutboxAction::Retry { client_id, text }), .. } => {
            let item = engine.retry_outbox_item(&client_id, text.as_deref())?;
            deliver_now(&engine, &item.client_id).await?;
        }
        Command::Outbox { action: Some(OutboxAction::Discard { client_id }), .. } => {
            engine.discard_outbox_item(&client_id)?;
            terminal::line(&format!("discarded {}", safe(&client_id)));
        }
        Command::Purge { older_than } => {
            let purged = engine.purge(older_than)?;
            terminal::line(&format!("purged {purged} resolved conversation(s) older than {older_than} days"));
        }
        Command::Review { since, json, markdown: _, csv } => {
            // The app embeds new handoffs' questions in the background; a one-shot command
            // does it here, so that the review can group them by meaning.
            let embedding = engine.clone();
            let embedded = tokio::task::spawn_blocking(move || embedding.embed_pending_questions()).await??;
            if embedded > 0 {
                tracing::info!(embedded, "questions read by the on-device model");
            }
            let now = chrono::Utc::now();
            let report = engine.review_between(now - since, now)?;
            if json {
                print_json(&report)?;
            } else if csv {
                terminal::out(&review::to_csv(&report));
            } else {
                terminal::out(&review::to_markdown(&report));
            }
        }
        Command::Status => {
            let status = engine.status().borrow().clone();
            let server = engine.stored_server()?.or_else(|| profile::env_value(profile::SERVER_ENV));
            terminal::out(&format::status(
                server.as_deref(),
                engine.me().as_ref(),
                &status,
                engine.store().queue_stats()?.as_ref(),
                engine.store().outbox()?.len(),
            ));
        }
    }
    Ok(())
}

fn tag_summary(tags: &[String]) -> String {
    if tags.is_empty() {
        "none".into()
    } else {
        tags.iter().map(|t| safe(t)).collect::<Vec<_>>().join(", ")
    }
}

/// Rows of the queue asked for at a time: the whole tab is listed without ever being held whole.
const QUEUE_PAGE: u32 = 500;

/// `handoff queue`: the whole tab (or `limit` rows), page by page from one snapshot of the cache.
fn queue(engine: &Engine, tab: Tab, tag: Option<&str>, json: bool, limit: Option<u64>) -> Result<()> {
    let tab = match tab {
        Tab::Waiting => QueueTab::Waiting,
        Tab::Mine => QueueTab::Mine,
        Tab::Recent => QueueTab::Recent,
        Tab::Snoozed => QueueTab::Snoozed,
    };
    let me = engine.me().map(|a| a.id);
    if matches!(tab, QueueTab::Mine | QueueTab::Snoozed) && me.is_none() {
        bail!("who \"mine\" is becomes known after `handoff login` or a first `handoff sync`");
    }
    let now = chrono::Utc::now();
    let mut shown: u64 = 0;
    let total = if json {
        let mut array = terminal::JsonArray::start();
        let total = engine.store().queue_pages(tab, me, tag, now, QUEUE_PAGE, limit, |page| {
            for item in &page {
                array.push(item).map_err(|e| CoreError::Invalid(e.to_string()))?;
            }
            shown += page.len() as u64;
            Ok(())
        })?;
        array.finish();
        total
    } else {
        let total = engine.store().queue_pages(tab, me, tag, now, QUEUE_PAGE, limit, |page| {
            if shown == 0 {
                terminal::out(&format::queue_header());
            }
            shown += page.len() as u64;
            terminal::out(&page.iter().map(|item| format::queue_row(item, now)).collect::<String>());
            Ok(())
        })?;
        if total == 0 {
            terminal::out("nothing here\n");
        } else if let Some(cut) = format::queue_cut(shown, total) {
            terminal::line(&cut);
        }
        total
    };
    if json {
        if let Some(cut) = format::queue_cut(shown, total) {
            terminal::note(&cut);
        }
    }
    Ok(())
}

/// The token for `login` without `--token`: piped on standard input, else typed at a prompt
/// that does not echo it (so it is in neither the process list nor the shell history).
fn read_token() -> Result<String> {
    use std::io::{IsTerminal, Read};
    let token = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Token (not shown as you type): ")
            .context("cannot read the token from the terminal; pipe it on standard input instead")?
    } else {
        // A token is short; a bounded read keeps a wrong pipe (a file, a stream) from eating memory.
        let mut input = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut input)
            .context("cannot read the token from standard input (it must be UTF-8 text)")?;
        input
    };
    let token = token.trim();
    if token.is_empty() {
        bail!(
            "no token given: pipe it on standard input (`handoff login --server URL < token-file`), run login \
             in a terminal to type it, or pass --token"
        );
    }
    if token.contains(char::is_whitespace) {
        bail!("the token must be one word with no spaces or line breaks; check what was piped to `handoff login`");
    }
    Ok(token.to_string())
}

/// Queues a reply or note, then tries to deliver the outbox right away.
async fn send(engine: &Arc<Engine>, id: i64, text: &str, private: bool) -> Result<()> {
    let item = engine.reply(id, text, private)?;
    deliver_now(engine, &item.client_id).await?;
    Ok(())
}

/// Tries to deliver the outbox now and reports what became of the item `client_id` (not of
/// other items of the same conversation, e.g. an older failed one).
async fn deliver_now(engine: &Arc<Engine>, client_id: &str) -> Result<()> {
    let delivered = match engine.client().await {
        Ok(client) => engine.flush_outbox(&client).await,
        Err(error) => Err(error),
    };
    match delivered {
        // Queued, but it will not go anywhere until the user signs in again: say so.
        Err(error @ (CoreError::Unauthorized(_) | CoreError::NotSignedIn | CoreError::Keychain(_))) => {
            terminal::line("queued: kept in the outbox");
            return Err(error.into());
        }
        Err(error) => tracing::debug!(%error, "delivery deferred"),
        Ok(_) => {}
    }
    // Acknowledged items leave the outbox.
    match engine.store().outbox_item(client_id) {
        Ok(None) => terminal::line("sent"),
        Ok(Some(item)) if item.state == DeliveryState::Failed => terminal::line(&format!(
            "failed: {} — kept in the outbox as {} (retry or discard with `handoff outbox`)",
            safe(item.error.as_deref().unwrap_or("refused")),
            safe(&item.client_id)
        )),
        Ok(Some(_)) | Err(_) => terminal::line("queued: will be sent when online"),
    }
    Ok(())
}

async fn follow(engine: Arc<Engine>, json: bool) -> Result<()> {
    engine.client().await?;
    let mut events = engine.subscribe();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = engine.run(shutdown);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            event = events.recv() => match event {
                Ok(event) => {
                    if json {
                        terminal::json(&event, true)?;
                    } else {
                        terminal::line(&format::event(&event));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    terminal::line(&format!("({n} events skipped)"))
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    let _ = stop.send(true);
    let _ = task.await;
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // The engine logs what the service said, which may quote customer text: no forged lines.
        .fmt_fields(handoff_protocol::log::escaping_fields())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANDOFF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(terminal::log_writer)
        .with_ansi(terminal::stderr_is_terminal())
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            terminal::error(&format!("cannot start the async runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match error.downcast_ref::<CoreError>() {
                Some(core) => terminal::error(&core.to_string()),
                None => terminal::error(&format!("{error:#}")),
            }
            ExitCode::FAILURE
        }
    }
}
