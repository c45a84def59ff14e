//! `handoff`: the Handoff Desk engine from a terminal, for power users and scripts.
//!
//! Exit codes: 0 ok, 1 runtime error, 2 usage error.

mod format;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use handoff_core::insights::review;
use handoff_core::{profile, CoreError, DeliveryState, Engine, QueueTab};
use handoff_protocol::{Presence, ResolveOutcome};

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
    /// Sign in: checks the token, keeps it in the OS keychain.
    Login {
        #[arg(long)]
        server: String,
        #[arg(long)]
        token: String,
    },
    /// Sign out; --clear-cache also empties the local cache.
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
    /// The queue, from the cache.
    Queue {
        #[arg(long, value_enum, default_value_t = Tab::Waiting)]
        tab: Tab,
        #[arg(long)]
        json: bool,
    },
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
    Transfer { id: i64, agent: String },
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
}

#[derive(Clone, Copy, ValueEnum)]
enum PresenceArg {
    Available,
    Away,
    Offline,
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    let data_dir = profile::data_dir(cli.data_dir)?;
    let engine =
        Engine::open(&data_dir).with_context(|| format!("cannot open the profile in {}", data_dir.display()))?;
    match cli.command {
        Command::Login { server, token } => {
            let agent = engine.login(&server, &token).await?;
            println!("signed in to {} as {} (agent {})", server.trim_end_matches('/'), agent.name, agent.id);
        }
        Command::Logout { clear_cache } => {
            engine.sign_out(clear_cache).await?;
            println!("signed out{}", if clear_cache { "; the local cache is empty" } else { "" });
        }
        Command::Sync { follow: false, .. } => {
            let report = engine.sync_once().await?;
            println!("{}", format::sync_report(&report));
        }
        Command::Sync { follow: true, json } => follow(engine, json).await?,
        Command::Queue { tab, json } => {
            let tab = match tab {
                Tab::Waiting => QueueTab::Waiting,
                Tab::Mine => QueueTab::Mine,
                Tab::Recent => QueueTab::Recent,
            };
            let me = engine.me().map(|a| a.id);
            if tab == QueueTab::Mine && me.is_none() {
                bail!("who \"mine\" is becomes known after `handoff login` or a first `handoff sync`");
            }
            let items = engine.store().queue(tab, me, 500)?;
            if json {
                print_json(&items)?;
            } else {
                print!("{}", format::queue(&items, chrono::Utc::now()));
            }
        }
        Command::Show { id, json } => {
            let view = engine.store().conversation_view(id)?;
            if json {
                print_json(view.as_ref())?;
            } else {
                print!("{}", format::conversation(&view));
            }
        }
        Command::Reply { id, text } => send(&engine, id, &text, false).await?,
        Command::Note { id, text } => send(&engine, id, &text, true).await?,
        Command::Claim { id } => {
            let conversation = engine.claim(id).await?;
            println!("claimed conversation {id} ({})", conversation.customer.name);
        }
        Command::Release { id } => {
            engine.release(id).await?;
            println!("released conversation {id}; it is waiting again");
        }
        Command::Resolve { id, back_to_bot } => {
            let outcome = if back_to_bot { ResolveOutcome::BackToBot } else { ResolveOutcome::Solved };
            let conversation = engine.resolve(id, outcome).await?;
            println!("conversation {id} is now {}", conversation.status.as_str());
        }
        Command::Transfer { id, agent } => {
            let agent_id = match agent.parse::<i64>() {
                Ok(agent_id) => agent_id,
                Err(_) => {
                    engine
                        .store()
                        .agents()?
                        .into_iter()
                        .find(|a| a.name == agent)
                        .with_context(|| format!("no agent named {agent:?} in the cache; run `handoff sync` first"))?
                        .id
                }
            };
            let conversation = engine.transfer(id, agent_id).await?;
            let to = conversation.assignee.map(|a| a.name).unwrap_or_default();
            println!("conversation {id} transferred to {to}");
        }
        Command::Presence { presence } => {
            let presence = match presence {
                PresenceArg::Available => Presence::Available,
                PresenceArg::Away => Presence::Away,
                PresenceArg::Offline => Presence::Offline,
            };
            let agent = engine.set_presence(presence).await?;
            println!("{} is {}", agent.name, agent.presence.as_str());
        }
        Command::Search { query, limit, json } => {
            let hits = engine.store().search(&query, limit)?;
            if json {
                print_json(&hits)?;
            } else {
                print!("{}", format::search(&hits));
            }
        }
        Command::Outbox { action: None, json } => {
            let items = engine.store().outbox()?;
            if json {
                print_json(&items)?;
            } else {
                print!("{}", format::outbox(&items));
            }
        }
        Command::Outbox { action: Some(OutboxAction::Retry { client_id, text }), .. } => {
            let item = engine.retry_outbox_item(&client_id, text.as_deref())?;
            deliver_now(&engine, &item.client_id).await?;
        }
        Command::Outbox { action: Some(OutboxAction::Discard { client_id }), .. } => {
            engine.discard_outbox_item(&client_id)?;
            println!("discarded {client_id}");
        }
        Command::Purge { older_than } => {
            let purged = engine.purge(older_than)?;
            println!("purged {purged} resolved conversation(s) older than {older_than} days");
        }
        Command::Review { since, json, markdown: _, csv } => {
            let now = chrono::Utc::now();
            let report = engine.review_between(now - since, now)?;
            if json {
                print_json(&report)?;
            } else if csv {
                print!("{}", review::to_csv(&report));
            } else {
                print!("{}", review::to_markdown(&report));
            }
        }
        Command::Status => {
            let status = engine.status().borrow().clone();
            let server = engine.stored_server()?.or_else(|| profile::env_value(profile::SERVER_ENV));
            print!(
                "{}",
                format::status(
                    server.as_deref(),
                    engine.me().as_ref(),
                    &status,
                    engine.store().queue_stats()?.as_ref(),
                    engine.store().outbox()?.len()
                )
            );
        }
    }
    Ok(())
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
            println!("queued: kept in the outbox");
            return Err(error.into());
        }
        Err(error) => tracing::debug!(%error, "delivery deferred"),
        Ok(_) => {}
    }
    // Acknowledged items leave the outbox.
    match engine.store().outbox_item(client_id) {
        Ok(None) => println!("sent"),
        Ok(Some(item)) if item.state == DeliveryState::Failed => println!(
            "failed: {} — kept in the outbox as {} (retry or discard with `handoff outbox`)",
            item.error.as_deref().unwrap_or("refused"),
            item.client_id
        ),
        Ok(Some(_)) | Err(_) => println!("queued: will be sent when online"),
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
                        println!("{}", serde_json::to_string(&event)?);
                    } else {
                        println!("{}", format::event(&event));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => println!("({n} events skipped)"),
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
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match error.downcast_ref::<CoreError>() {
                Some(core) => eprintln!("error: {core}"),
                None => eprintln!("error: {error:#}"),
            }
            ExitCode::FAILURE
        }
    }
}
