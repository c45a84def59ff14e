//! An agent's day against the real service: customers writing again in conversations the agent
//! holds, unread counts, first-response targets and snoozes — with real SQLite caches.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use handoff_core::notifications::{Notice, NotificationPolicy, NotificationPrefs};
use handoff_core::preferences::ServiceTargets;
use handoff_core::*;
use handoff_protocol::*;
use handoff_service::store::ImportedConversation;

const WAIT: Duration = Duration::from_secs(15);

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

/// Imports a conversation escalated `ago` before now, claimed by `claimed_by` (with `replies`
/// from them), ending in `status`.
fn import(
    harness: &Harness,
    customer: &str,
    ago: chrono::Duration,
    priority: Priority,
    claimed_by: Option<i64>,
    replies: &[&str],
    status: ConversationStatus,
) -> i64 {
    let escalated_at = Utc::now() - ago;
    let handoff = IntakeHandoff {
        external_id: format!("import-{customer}"),
        channel: "web".into(),
        customer: Customer {
            id: format!("c-{customer}"),
            name: customer.into(),
            email: None,
            phone: None,
            vip: false,
            account_value: None,
        },
        reason: HandoffReason::ExplicitRequest,
        trigger: "customer typed 'human'".into(),
        priority,
        summary: None,
        topic: None,
        transcript: vec![TranscriptEntry {
            role: Role::Customer,
            text: format!("{customer} needs help"),
            at: None,
            message_id: None,
        }],
    };
    let conversation = ImportedConversation {
        handoff,
        escalated_at,
        claimed: claimed_by.map(|agent| (agent, escalated_at + chrono::Duration::seconds(30))),
        agent_replies: replies
            .iter()
            .enumerate()
            .map(|(i, text)| (escalated_at + chrono::Duration::seconds(60 + i as i64), text.to_string()))
            .collect(),
        customer_follow_ups: Vec::new(),
        final_status: status,
    };
    harness.store().import_conversation(&conversation).expect("import").id
}

fn ids(items: &[QueueItem]) -> Vec<i64> {
    items.iter().map(|i| i.id).collect()
}

// --- a customer writing again ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_writing_in_my_conversation_is_a_notice_and_in_a_colleagues_is_not() {
    let harness = Harness::start().await;
    let mine = harness.escalate("Mia Mine");
    let bobs = harness.escalate("Ben Bobs");
    let waiting = harness.escalate("Wes Waiting");
    harness.store().claim(mine, &harness.alice_ref()).unwrap();
    harness.store().claim(bobs, &harness.bob.agent).unwrap();
    harness.customer_says(mine, "written before the first sync: history, not news");

    let engine = harness.engine("desk");
    let mut events = engine.subscribe();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = engine.run(shutdown);
    assert!(
        wait_for_event(&mut events, WAIT, |e| matches!(e, CoreEvent::ConnectionChanged { status }
            if status.connection == ConnectionState::Online))
        .await
        .is_some(),
        "goes online"
    );

    harness.customer_says(bobs, "Bob's customer writes");
    harness.customer_says(waiting, "the waiting customer writes");
    harness.customer_says(mine, "Are you still there?");
    let mut seen = Vec::new();
    let wrote = wait_for_event(&mut events, WAIT, |e| {
        seen.push(e.clone());
        matches!(e, CoreEvent::CustomerWrote { .. })
    })
    .await
    .expect("the customer's line in my conversation is announced");
    let CoreEvent::CustomerWrote { conversation, message } = &wrote else { unreachable!() };
    assert_eq!(conversation.id, mine);
    assert_eq!(conversation.assignee.as_ref().map(|a| a.id), Some(harness.alice.agent.id));
    assert_eq!(message.text, "Are you still there?");
    // The lines in Bob's and the waiting conversation came first (same feed, in order) and
    // were announced as messages only.
    let added: Vec<i64> = seen
        .iter()
        .filter_map(|e| match e {
            CoreEvent::MessageAdded { message } if message.role == Role::Customer => Some(message.conversation_id),
            _ => None,
        })
        .collect();
    assert!(added.contains(&bobs) && added.contains(&waiting), "{seen:#?}");
    assert!(
        !seen.iter().any(|e| matches!(e, CoreEvent::CustomerWrote { conversation, .. } if conversation.id != mine)),
        "{seen:#?}"
    );

    // What the shell shows: the customer's name and their line, once.
    let mut policy = NotificationPolicy::new(engine.notification_prefs().unwrap());
    let noon = chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap();
    let notice = policy.on_event(&wrote, Utc::now(), noon).expect("a notice");
    assert_eq!(
        notice,
        Notice::CustomerMessage {
            conversation_id: mine,
            title: "Mia Mine".into(),
            body: "“Are you still there?”".into(),
            sound: false,
        }
    );
    assert_eq!(policy.on_event(&wrote, Utc::now(), noon), None, "once per message");
    // Looking at it: the next line raises nothing.
    policy.set_focused_conversation(Some(mine));
    harness.customer_says(mine, "hello??");
    let next = wait_for_event(&mut events, WAIT, |e| matches!(e, CoreEvent::CustomerWrote { .. }))
        .await
        .expect("the second line is announced too");
    assert_eq!(policy.on_event(&next, Utc::now(), noon), None, "the open conversation needs no notification");

    stop.send(true).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_after_sleep_tells_of_one_line_or_sums_up_many() {
    let harness = Harness::start().await;
    let first = harness.escalate("Ann One");
    let second = harness.escalate("Bea Two");
    let bobs = harness.escalate("Cal Bobs");
    harness.store().claim(first, &harness.alice_ref()).unwrap();
    harness.store().claim(second, &harness.alice_ref()).unwrap();
    harness.store().claim(bobs, &harness.bob.agent).unwrap();
    let engine = harness.engine("desk");
    let mut events = engine.subscribe();
    engine.sync_once().await.unwrap();
    let customer_events = |events: &mut tokio::sync::broadcast::Receiver<CoreEvent>| {
        let mut found = Vec::new();
        while let Ok(event) = events.try_recv() {
            if matches!(event, CoreEvent::CustomerWrote { .. } | CoreEvent::CustomerBacklog { .. }) {
                found.push(event);
            }
        }
        found
    };
    assert!(customer_events(&mut events).is_empty(), "the first sync fills the cache: nothing is news");

    // Asleep: one customer wrote twice, and Bob's customer once.
    harness.customer_says(first, "one");
    harness.customer_says(first, "two");
    harness.customer_says(bobs, "for Bob");
    engine.sync_once().await.unwrap();
    let found = customer_events(&mut events);
    assert_eq!(found.len(), 1, "{found:#?}");
    let CoreEvent::CustomerWrote { conversation, message } = &found[0] else { panic!("{found:#?}") };
    assert_eq!((conversation.id, message.text.as_str()), (first, "two"), "the newest line");

    // Asleep again: customers wrote in both of mine.
    harness.customer_says(first, "three");
    harness.customer_says(second, "hello?");
    engine.sync_once().await.unwrap();
    let found = customer_events(&mut events);
    assert_eq!(found, [CoreEvent::CustomerBacklog { count: 2, conversation_ids: vec![first, second] }]);
    let mut policy = NotificationPolicy::new(NotificationPrefs::default());
    let noon = chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap();
    let summary = policy.on_event(&found[0], Utc::now(), noon).expect("one summary");
    assert!(matches!(summary, Notice::CustomerMessages { count: 2, .. }), "{summary:?}");
}

// --- unread counts ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_counts_follow_messages_and_reading() {
    let harness = Harness::start().await;
    let mine = harness.escalate("Mia Mine");
    let also_mine = harness.escalate("Ola Mine");
    let bobs = harness.escalate("Ben Bobs");
    let waiting = harness.escalate("Wes Waiting");
    harness.store().claim(mine, &harness.alice_ref()).unwrap();
    harness.store().claim(also_mine, &harness.alice_ref()).unwrap();
    harness.store().claim(bobs, &harness.bob.agent).unwrap();
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    let me = Some(harness.alice.agent.id);
    let unread_of = |tab: QueueTab| -> i64 {
        engine.store().queue(tab, me, None, 1000).unwrap().iter().map(|i| i.unread).sum::<i64>()
    };

    let summary = engine.unread_summary().unwrap();
    assert!(summary.mine_unread > 0, "nothing opened yet: {summary:?}");
    assert_eq!(summary.mine_conversations_unread, 2);
    assert_eq!(summary.mine_unread, unread_of(QueueTab::Mine));
    assert_eq!(summary.total, unread_of(QueueTab::Mine) + unread_of(QueueTab::Waiting), "Bob's are not counted");

    for id in [mine, also_mine, waiting] {
        engine.store().mark_read(id).unwrap();
    }
    assert_eq!(engine.unread_summary().unwrap(), UnreadSummary::default());

    harness.customer_says(mine, "one");
    harness.customer_says(mine, "two");
    harness.customer_says(waiting, "anyone?");
    harness.customer_says(bobs, "for Bob");
    engine.sync_once().await.unwrap();
    assert_eq!(
        engine.unread_summary().unwrap(),
        UnreadSummary { mine_unread: 2, mine_conversations_unread: 1, total: 3 }
    );
    engine.store().mark_read(mine).unwrap();
    assert_eq!(
        engine.unread_summary().unwrap(),
        UnreadSummary { mine_unread: 0, mine_conversations_unread: 0, total: 1 }
    );
}

// --- service targets --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_response_deadlines_order_the_queue_and_notify_once_per_device() {
    let harness = Harness::start().await;
    let alice = harness.alice.agent.id;
    let bob = harness.bob.agent.id;
    let late = import(&harness, "Lea Late", minutes(10), Priority::Normal, None, &[], ConversationStatus::Waiting);
    let urgent = import(&harness, "Uma Urgent", minutes(1), Priority::Urgent, None, &[], ConversationStatus::Waiting);
    let answered = import(
        &harness,
        "Ari Answered",
        minutes(30),
        Priority::Normal,
        Some(alice),
        &["Hi!"],
        ConversationStatus::Assigned,
    );
    let unanswered =
        import(&harness, "Una Unanswered", minutes(8), Priority::Low, Some(alice), &[], ConversationStatus::Assigned);
    let fresh =
        import(&harness, "Fay Fresh", minutes(4), Priority::High, Some(alice), &[], ConversationStatus::Assigned);
    let bobs = import(&harness, "Bo Bobs", minutes(40), Priority::Normal, Some(bob), &[], ConversationStatus::Assigned);
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    assert_eq!(engine.service_targets().unwrap(), ServiceTargets::default());
    let me = Some(alice);
    let now = Utc::now();

    // Waiting: past the target first, then the usual order (urgent first).
    let waiting = engine.store().queue(QueueTab::Waiting, me, None, 100).unwrap();
    assert_eq!(ids(&waiting), [late, urgent]);
    let escalated = |item: &QueueItem| item.escalated_at.expect("escalated");
    for item in &waiting {
        assert_eq!(item.first_response_due_at, Some(escalated(item) + minutes(5)), "{item:?}");
    }
    let targets = engine.service_targets().unwrap();
    use handoff_core::preferences::TargetLevel;
    assert_eq!(targets.level(waiting[0].first_response_due_at.unwrap(), now), TargetLevel::Red);
    assert_eq!(targets.level(waiting[1].first_response_due_at.unwrap(), now), TargetLevel::Ok);
    // Mine: the unanswered low-priority one past its target before the high one within it.
    let mine = engine.store().queue(QueueTab::Mine, me, None, 100).unwrap();
    assert_eq!(ids(&mine), [unanswered, fresh, answered]);
    assert_eq!(mine[2].first_response_due_at, None, "answered");
    assert_eq!(targets.level(mine[1].first_response_due_at.unwrap(), now), TargetLevel::Amber, "1 of 5 minutes left");

    // Notified once: the waiting one and mine past the target, not Bob's.
    let notices = engine.take_overdue_notices(&Utc::now()).unwrap();
    let notified: Vec<i64> = notices
        .iter()
        .map(|n| match n {
            Notice::Overdue { conversation_id, title, body } => {
                assert!(!title.is_empty() && body.contains("5-minute first-response target"), "{n:?}");
                *conversation_id
            }
            other => panic!("an overdue notice: {other:?}"),
        })
        .collect();
    assert_eq!(notified, [late, unanswered], "the oldest deadline first; not {bobs} (Bob's)");
    assert!(engine.take_overdue_notices(&Utc::now()).unwrap().is_empty());
    // The urgent one's deadline passes later: its turn then.
    let later = engine.take_overdue_notices(&(Utc::now() + minutes(5))).unwrap();
    let fresh_and_urgent: Vec<i64> = later
        .iter()
        .filter_map(|n| match n {
            Notice::Overdue { conversation_id, .. } => Some(*conversation_id),
            _ => None,
        })
        .collect();
    assert_eq!(fresh_and_urgent, [fresh, urgent]);

    // A restart does not notify again.
    let dir = engine.data_dir().to_path_buf();
    drop(engine);
    let engine = Engine::open(&dir).unwrap();
    assert!(engine.take_overdue_notices(&(Utc::now() + minutes(5))).unwrap().is_empty());

    // A re-escalation (a new escalated_at) is a new deadline.
    let mut again = engine.store().conversation(late).unwrap().unwrap();
    again.version += 1;
    if let Some(handoff) = again.handoff.as_mut() {
        handoff.escalated_at = Utc::now() - minutes(6);
    }
    engine.store().apply_snapshot(&[again], &[]).unwrap();
    let renotified = engine.take_overdue_notices(&Utc::now()).unwrap();
    assert!(matches!(renotified.as_slice(), [Notice::Overdue { conversation_id, .. }] if *conversation_id == late));

    // Off: no deadlines, no notices.
    engine.set_service_targets(&ServiceTargets { first_response_minutes: 0, ..targets }).unwrap();
    assert!(engine
        .store()
        .queue(QueueTab::Waiting, me, None, 100)
        .unwrap()
        .iter()
        .all(|i| i.first_response_due_at.is_none()));
    assert!(engine.take_overdue_notices(&(Utc::now() + minutes(60))).unwrap().is_empty());
    assert!(engine.set_service_targets(&ServiceTargets { first_response_minutes: 5, amber_percent: 0 }).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_deadlines_at_once_are_one_summary_and_quiet_hours_record_them_silently() {
    let harness = Harness::start().await;
    for name in ["A", "B", "C", "D"] {
        import(&harness, name, minutes(20), Priority::Normal, None, &[], ConversationStatus::Waiting);
    }
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    let notices = engine.take_overdue_notices(&Utc::now()).unwrap();
    assert!(
        matches!(notices.as_slice(), [Notice::Summary { count: 4, title, .. }] if title == "4 customers past the first-response target"),
        "{notices:?}"
    );

    import(&harness, "E", minutes(20), Priority::Normal, None, &[], ConversationStatus::Waiting);
    engine.sync_once().await.unwrap();
    engine.set_notification_prefs(&NotificationPrefs { enabled: false, ..NotificationPrefs::default() }).unwrap();
    assert!(engine.take_overdue_notices(&Utc::now()).unwrap().is_empty(), "off");
    engine.set_notification_prefs(&NotificationPrefs::default()).unwrap();
    assert!(engine.take_overdue_notices(&Utc::now()).unwrap().is_empty(), "recorded while off, not shown late");
}

// --- snoozes ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snooze_hides_a_conversation_until_its_time_then_brings_it_back_on_top_once() {
    let harness = Harness::start().await;
    let first = harness.escalate("Ann One");
    let second = harness.escalate("Bea Two");
    let third = harness.escalate("Cy Three");
    let waiting = harness.escalate("Wes Waiting");
    let bobs = harness.escalate("Ben Bobs");
    harness.store().claim(bobs, &harness.bob.agent).unwrap();
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    for id in [first, second, third] {
        engine.claim(id).await.unwrap();
    }
    // Deadlines would sort too: this test is about snoozes.
    engine.set_service_targets(&ServiceTargets { first_response_minutes: 0, ..ServiceTargets::default() }).unwrap();
    let me = Some(harness.alice.agent.id);
    let mine_at = |at| engine.store().queue_page(QueueTab::Mine, me, at, 0, 100).unwrap();
    let now = Utc::now();
    assert_eq!(ids(&mine_at(now)), [first, second, third]);

    // Refused, with what to do.
    let error = |result: CoreResult<()>| result.unwrap_err().to_string();
    let not_mine = error(engine.snooze(waiting, now + minutes(30)));
    assert!(not_mine.contains("is waiting, not assigned to you") && not_mine.contains("claim it first"), "{not_mine}");
    let colleagues = error(engine.snooze(bobs, now + minutes(30)));
    assert!(colleagues.contains("assigned to Bob"), "{colleagues}");
    let past = error(engine.snooze(first, now - minutes(1)));
    assert!(past.contains("in the past"), "{past}");
    assert!(matches!(engine.snooze(424_242, now + minutes(5)), Err(CoreError::UnknownConversation(424_242))));

    engine.snooze(third, now + minutes(30)).unwrap();
    engine.snooze(second, now + minutes(60)).unwrap();
    assert_eq!(ids(&mine_at(now)), [first]);
    let snoozed = engine.store().queue_page(QueueTab::Snoozed, me, now, 0, 100).unwrap();
    assert_eq!(ids(&snoozed), [third, second], "the soonest back first");
    assert!(snoozed[0].snoozed_until.is_some_and(|t| (t - (now + minutes(30))).num_seconds().abs() <= 1));
    assert!(engine.take_due_snoozes(&now).unwrap().is_empty(), "nothing due yet");

    // Its time comes: back on top of Mine, flagged, and handed out once for a notification.
    let later = now + minutes(45);
    let mine = mine_at(later);
    assert_eq!(ids(&mine), [third, first]);
    assert!(mine[0].woke_from_snooze && !mine[1].woke_from_snooze);
    let due = engine.take_due_snoozes(&later).unwrap();
    assert!(
        matches!(due.as_slice(), [Notice::SnoozeOver { conversation_id, title, body }]
            if *conversation_id == third && title == "Cy Three" && body.contains("Hi, I'm Cy Three")),
        "{due:?}"
    );
    assert!(engine.take_due_snoozes(&later).unwrap().is_empty(), "once");
    // A snooze is kept in the cache (a second process on the profile sees it), and once its
    // time has really come, opening the conversation ends the flag.
    engine.unsnooze(third).unwrap();
    engine.snooze(third, Utc::now() + chrono::Duration::milliseconds(300)).unwrap();
    let other_process = Engine::open(engine.data_dir()).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let back = other_process.store().queue(QueueTab::Mine, me, None, 100).unwrap();
    assert_eq!(back[0].id, third);
    assert!(back[0].woke_from_snooze);
    other_process.store().mark_read(third).unwrap();
    let opened = engine.store().queue(QueueTab::Mine, me, None, 100).unwrap();
    assert!(opened.iter().all(|i| !i.woke_from_snooze), "{opened:?}");

    // The customer writing ends a snooze early: their line is the notification, not this.
    harness.customer_says(second, "any news?");
    engine.sync_once().await.unwrap();
    let mine = engine.store().queue(QueueTab::Mine, me, None, 100).unwrap();
    assert!(mine.iter().any(|i| i.id == second && i.woke_from_snooze), "{mine:?}");
    assert!(engine.take_due_snoozes(&Utc::now()).unwrap().is_empty());

    // A snooze ends by itself when the conversation stops being mine.
    engine.snooze(first, Utc::now() + minutes(30)).unwrap();
    engine.transfer(first, harness.bob.agent.id, None).await.unwrap();
    assert!(engine.store().queue(QueueTab::Snoozed, me, None, 100).unwrap().is_empty());
    assert!(!engine.unsnooze(first).unwrap(), "nothing left to end");
    engine.snooze(third, Utc::now() + minutes(30)).unwrap();
    engine.resolve(third, ResolveOutcome::Solved).await.unwrap();
    assert!(!engine.unsnooze(third).unwrap());
    // …and unsnooze ends one at once.
    engine.snooze(second, Utc::now() + minutes(30)).unwrap();
    assert!(engine.unsnooze(second).unwrap());
    assert_eq!(ids(&engine.store().queue(QueueTab::Mine, me, None, 100).unwrap()), [second]);
}
