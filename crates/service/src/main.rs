//! `handoff-service`: serve the Handoff API, or manage its agents.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use handoff_protocol::log::{escaping_fields, Escaped};
use handoff_service::demo::{self, SimulatorConfig};
use handoff_service::store::StoreOptions;
use handoff_service::webhook::WebhookConfig;
use handoff_service::{ServiceConfig, SqliteStore, Store};

#[derive(Parser)]
#[command(name = "handoff-service", version, about = "The reference Handoff API v1 chat service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve(ServeArgs),
    /// Manage agents and their bearer tokens.
    Agents {
        #[command(subcommand)]
        command: AgentsCommand,
    },
    /// Manage the team's tag catalogue (agents tag conversations with these names).
    Tags {
        #[command(subcommand)]
        command: TagsCommand,
    },
    /// Administer conversations.
    Conversations {
        #[command(subcommand)]
        command: ConversationsCommand,
    },
    /// Inspect and redeliver outbound webhook deliveries that ran out of attempts.
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Load a synthetic workload (waiting conversations with long transcripts) for benchmarks.
    Seed {
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
        #[arg(long, default_value_t = 1_000)]
        conversations: usize,
        /// Messages per conversation.
        #[arg(long, default_value_t = 50)]
        messages: usize,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The SQLite database (default: a file in the user's data dir; with --demo a fresh demo file).
    #[arg(long, env = "HANDOFF_SERVICE_DB")]
    db: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080", env = "HANDOFF_SERVICE_ADDR")]
    addr: SocketAddr,
    /// Seed a demo workspace, print demo agent tokens, and run the simulator.
    #[arg(long)]
    demo: bool,
    /// Seconds between simulated events (demo); 0 turns the simulator off.
    #[arg(long, default_value_t = 20.0)]
    simulate_every: f64,
    /// Shared secret of the signed intake webhooks (intake is off without it).
    #[arg(long, env = "HANDOFF_INTAKE_SECRET", hide_env_values = true)]
    intake_secret: Option<String>,
    /// Also accept deprecated v1 intake signatures (`sha256=` over timestamp and body). They do not
    /// cover the path, so a captured request can be moved to another conversation: use only
    /// while a platform moves to v2, then drop the flag. Logs a warning at start and per use.
    #[arg(long, env = "HANDOFF_ACCEPT_V1_SIGNATURES", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    accept_v1_intake_signatures: bool,
    /// URL that receives agent replies for the bot platform: https, or http to a loopback host.
    #[arg(long, env = "HANDOFF_WEBHOOK_URL", hide_env_values = true)]
    webhook_url: Option<String>,
    /// Secret that signs outbound webhooks (default: the intake secret).
    #[arg(long, env = "HANDOFF_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Seconds before the first webhook retry; doubles per attempt.
    #[arg(long, default_value_t = 1.0)]
    webhook_retry_base: f64,
    /// Attempts per webhook delivery before it becomes a dead letter (see `webhooks dead-letters`).
    #[arg(long, default_value_t = 15)]
    webhook_max_attempts: u32,
    /// Post the estimated-wait notice after a conversation waits this many seconds; 0 = never.
    #[arg(long, default_value_t = 60.0)]
    wait_notice_after: f64,
    /// Seconds between two wait notices of one conversation; an agent asking sooner gets 429.
    #[arg(long, default_value_t = 60.0)]
    wait_notice_interval: f64,
    /// Seconds between heartbeats on idle change streams.
    #[arg(long, default_value_t = 10.0)]
    heartbeat: f64,
    /// Change-feed records to keep; clients behind that get 410 and resync.
    #[arg(long, default_value_t = 1_000_000)]
    feed_retention: u64,
    /// Open connections at most (kept below the file limit); the next one gets 503.
    #[arg(long, default_value_t = 4_096)]
    max_connections: usize,
    /// Requests handled at once; more are answered 503 with Retry-After.
    #[arg(long, default_value_t = 512)]
    max_in_flight: usize,
    /// Change streams one agent may hold open.
    #[arg(long, default_value_t = handoff_service::access::DEFAULT_STREAMS_PER_AGENT)]
    max_streams_per_agent: usize,
}

#[derive(Subcommand)]
enum AgentsCommand {
    /// Create an agent; prints its bearer token once, alone on the last line.
    Add {
        name: String,
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
    /// List agents.
    List {
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
    /// Revoke an agent and all of its tokens: its live streams end within a second and its
    /// assigned conversations go back to the waiting queue.
    Revoke {
        name: String,
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TagsCommand {
    /// Add a tag to the catalogue, or change the colour of an existing one.
    Add {
        /// 1 to 40 lower-case letters, digits, `-` or `_`, e.g. `vip-followup`.
        name: String,
        /// Colour as #rrggbb.
        #[arg(long)]
        color: Option<String>,
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
    /// List the catalogue with how many conversations carry each tag.
    List {
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
    /// Remove a tag from the catalogue and from every conversation that carries it.
    Remove {
        name: String,
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConversationsCommand {
    /// Give a waiting or assigned conversation to an agent, or back to the waiting queue.
    Reassign {
        id: i64,
        /// The agent's name (see `agents list`).
        #[arg(long, conflicts_with = "queue", required_unless_present = "queue")]
        to: Option<String>,
        /// Put it back in the waiting queue instead.
        #[arg(long)]
        queue: bool,
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum WebhooksCommand {
    /// List deliveries that ran out of attempts, with their last error.
    DeadLetters {
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
    /// Queue dead letters again with a full set of attempts; a running service sends them
    /// within 5 seconds.
    Redeliver {
        /// Delivery ids (see `webhooks dead-letters`).
        #[arg(conflicts_with = "all", required_unless_present = "all")]
        ids: Vec<String>,
        /// Every dead letter.
        #[arg(long)]
        all: bool,
        #[arg(long, env = "HANDOFF_SERVICE_DB")]
        db: Option<PathBuf>,
    },
}

fn default_db(file: &str) -> Result<PathBuf> {
    let dir = dirs::data_dir().context("cannot find the user's data dir; pass --db PATH")?;
    Ok(dir.join("handoff-service").join(file))
}

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value).with_context(|| format!("{flag} must be a non-negative number of seconds"))
}

fn open_store(db: Option<PathBuf>) -> Result<SqliteStore> {
    let path = match db {
        Some(path) => path,
        None => default_db("service.sqlite")?,
    };
    Ok(SqliteStore::open(&path, StoreOptions::default())?)
}

async fn serve(args: ServeArgs) -> Result<()> {
    let db_path = match (&args.db, args.demo) {
        (Some(path), _) => path.clone(),
        (None, false) => default_db("service.sqlite")?,
        (None, true) => {
            // The demo starts fresh every time, so waiting times look like a live queue.
            let path = default_db("demo.sqlite")?;
            for suffix in ["", "-wal", "-shm"] {
                let file = PathBuf::from(format!("{}{suffix}", path.display()));
                if file.exists() {
                    std::fs::remove_file(&file).with_context(|| format!("cannot reset {}", file.display()))?;
                }
            }
            path
        }
    };
    let intake_secret = match (&args.intake_secret, args.demo) {
        (Some(secret), _) if !secret.is_empty() => Some(secret.clone()),
        (_, true) => Some("demo-intake-secret".to_string()),
        _ => None,
    };
    let mut config = ServiceConfig::new(db_path, args.addr);
    config.intake_secret = intake_secret.clone().map(String::into_bytes);
    config.accept_v1_intake_signatures = args.accept_v1_intake_signatures;
    if let Some(url) = args.webhook_url.clone().filter(|u| !u.is_empty()) {
        let secret = args
            .webhook_secret
            .clone()
            .or(intake_secret.clone())
            .context("--webhook-url needs a signing secret: set HANDOFF_WEBHOOK_SECRET or HANDOFF_INTAKE_SECRET")?;
        let mut webhook = WebhookConfig::new(&url, Arc::from(secret.into_bytes())).context("--webhook-url refused")?;
        webhook.retry_base = seconds(args.webhook_retry_base, "--webhook-retry-base")?;
        anyhow::ensure!(args.webhook_max_attempts >= 1, "--webhook-max-attempts must be at least 1");
        webhook.max_attempts = args.webhook_max_attempts;
        config.webhook = Some(webhook);
    }
    config.wait_notice_after = Some(seconds(args.wait_notice_after, "--wait-notice-after")?).filter(|d| !d.is_zero());
    config.wait_notice_interval = seconds(args.wait_notice_interval, "--wait-notice-interval")?;
    config.heartbeat = seconds(args.heartbeat, "--heartbeat")?.max(Duration::from_millis(100));
    config.feed_retention = args.feed_retention;
    config.limits.max_connections = args.max_connections;
    config.limits.max_in_flight = args.max_in_flight;
    config.max_streams_per_agent = args.max_streams_per_agent.max(1);
    if let Some(limit) = handoff_service::connections::raise_file_limit() {
        tracing::debug!(limit, "open-file limit");
    }
    config.seed_demo = args.demo;
    if args.demo && args.simulate_every > 0.0 {
        config.simulator =
            Some(SimulatorConfig { every: seconds(args.simulate_every, "--simulate-every")?, ..Default::default() });
    }

    let handle = handoff_service::start(config).await?;
    if args.demo {
        let store: Arc<dyn Store> = handle.store().clone();
        let tokens = tokio::task::spawn_blocking(move || demo::demo_tokens(store.as_ref())).await??;
        println!("demo workspace seeded; demo agents and their tokens:");
        for issued in tokens {
            println!("  {:<12} {}", issued.agent.name, issued.token);
        }
        println!("intake secret: {}", intake_secret.unwrap_or_default());
    }
    // Registered before "listening" is printed: a supervisor (or a test) that sends SIGTERM as
    // soon as it reads that line must get the graceful shutdown, not the default kill.
    let signals = ShutdownSignals::install();
    println!("listening on {}", handle.base_url());

    let trigger = handle.shutdown_trigger();
    tokio::spawn(async move {
        signals.wait().await;
        tracing::info!("shutting down");
        let _ = trigger.send(true);
    });
    handle.wait().await;
    Ok(())
}

/// SIGTERM (Unix) and Ctrl-C, listened for from the moment of `install`.
struct ShutdownSignals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    fn install() -> Self {
        Self {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some(mut terminate) = self.terminate {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn agents(command: AgentsCommand) -> Result<()> {
    match command {
        AgentsCommand::Add { name, db } => {
            let store = open_store(db)?;
            let issued = store.add_agent(&name)?;
            println!("created agent {} (id {}); its token is shown only once:", issued.agent.name, issued.agent.id);
            println!("{}", issued.token);
        }
        AgentsCommand::List { db } => {
            let store = open_store(db)?;
            println!("{:>4}  {:<24} {:<10} {:<7} created", "id", "name", "presence", "tokens");
            for agent in store.list_agents()? {
                let state = match agent.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                    None => agent.presence.as_str().to_string(),
                };
                println!(
                    "{:>4}  {:<24} {:<10} {:<7} {}",
                    agent.id,
                    agent.name,
                    state,
                    agent.tokens,
                    agent.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        AgentsCommand::Revoke { name, db } => {
            let store = open_store(db)?;
            let returned = store.revoke_agent(&name)?;
            println!("revoked agent {name}; its tokens no longer work");
            if !returned.is_empty() {
                let ids: Vec<String> = returned.iter().map(i64::to_string).collect();
                println!("back in the waiting queue: conversation {}", ids.join(", "));
            }
        }
    }
    Ok(())
}

fn tags(command: TagsCommand) -> Result<()> {
    use handoff_service::store::TagSaved;
    let colour = |color: &Option<String>| color.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
    match command {
        TagsCommand::Add { name, color, db } => {
            let store = open_store(db)?;
            match store.add_tag(&name, color.as_deref())? {
                TagSaved::Created(tag) => println!("added tag {}{}", tag.name, colour(&tag.color)),
                TagSaved::Recoloured(tag) => println!("tag {} now has colour{}", tag.name, colour(&tag.color)),
                TagSaved::Unchanged(tag) => {
                    println!("tag {}{} already exists; pass --color to change its colour", tag.name, colour(&tag.color))
                }
            }
        }
        TagsCommand::List { db } => {
            let store = open_store(db)?;
            let usage = store.tag_usage()?;
            if usage.is_empty() {
                println!("no tags yet: add one with `handoff-service tags add NAME [--color #rrggbb]`");
            }
            for (tag, count) in usage {
                println!("{:<40} {:<8} {count} conversation(s)", tag.name, tag.color.as_deref().unwrap_or("-"));
            }
        }
        TagsCommand::Remove { name, db } => {
            let store = open_store(db)?;
            let untagged = store.remove_tag(&name)?;
            println!("removed tag {}; it was taken off {} conversation(s)", Escaped(name.trim()), untagged.len());
        }
    }
    Ok(())
}

fn conversations(command: ConversationsCommand) -> Result<()> {
    match command {
        ConversationsCommand::Reassign { id, to, queue: _, db } => {
            let store = open_store(db)?;
            let conversation = store.reassign(id, to.as_deref())?;
            match conversation.assignee {
                Some(agent) => println!("conversation {id} is now assigned to {}", agent.name),
                None => println!("conversation {id} is back in the waiting queue"),
            }
        }
    }
    Ok(())
}

fn webhooks(command: WebhooksCommand) -> Result<()> {
    match command {
        WebhooksCommand::DeadLetters { db } => {
            let store = open_store(db)?;
            let dead = store.dead_letters()?;
            if dead.is_empty() {
                println!("no dead letters: every webhook delivery was delivered or is still being retried");
            }
            for letter in dead {
                // The external id and the error (which may quote the receiver) are outside text.
                println!(
                    "{}  conversation {} ({:?})  {} attempts  queued {}  failed {}",
                    letter.id,
                    letter.conversation_id,
                    Escaped(&letter.external_id),
                    letter.attempts,
                    letter.created_at.format("%Y-%m-%d %H:%M:%S"),
                    letter.failed_at.format("%Y-%m-%d %H:%M:%S"),
                );
                println!("    last error: {}", Escaped(letter.last_error.as_deref().unwrap_or("-")));
            }
        }
        WebhooksCommand::Redeliver { ids, all, db } => {
            let store = open_store(db)?;
            let queued = store.redeliver((!all).then_some(ids.as_slice()))?;
            if queued.is_empty() {
                println!("no dead letters to redeliver");
            } else {
                println!(
                    "queued {} dead letter(s) again; a running service sends them within 5 s: {}",
                    queued.len(),
                    queued.join(", ")
                );
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // Outside text in any field stays on its line and cannot drive the terminal.
        .fmt_fields(escaping_fields())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANDOFF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime.block_on(serve(args)),
            Err(error) => Err(error.into()),
        },
        Command::Agents { command } => agents(command),
        Command::Tags { command } => tags(command),
        Command::Conversations { command } => conversations(command),
        Command::Webhooks { command } => webhooks(command),
        Command::Seed { db, conversations, messages } => open_store(db).and_then(|store| {
            let started = std::time::Instant::now();
            demo::seed_synthetic(&store, conversations, messages, 7)?;
            println!(
                "seeded {conversations} conversations with {messages} messages each in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }),
        Command::Openapi => {
            println!("{}", handoff_service::openapi_json());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", Escaped(format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}
