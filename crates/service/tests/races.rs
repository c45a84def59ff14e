//! Concurrency: racing claims have exactly one winner; concurrent retries of one idempotency
//! key make exactly one message.

mod common;

use std::sync::Arc;

use common::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_agents_racing_for_one_conversation_exactly_one_wins() {
    let service = Arc::new(TestService::start().await);
    let mut tokens = Vec::new();
    for i in 0..24 {
        tokens.push(service.store().add_agent(&format!("Racer {i}")).unwrap().token);
    }
    for round in 0..5 {
        let id = service.escalate(&format!("race-{round}"), "Sam").await;
        let barrier = Arc::new(tokio::sync::Barrier::new(tokens.len()));
        let mut tasks = Vec::new();
        for token in tokens.clone() {
            let service = service.clone();
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let (status, body) = service.claim(&token, id).await;
                (status, body)
            }));
        }
        let mut winners = Vec::new();
        let mut losers = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::OK => winners.push(body["assignee"]["name"].as_str().unwrap().to_string()),
                StatusCode::CONFLICT => {
                    assert_eq!(error_code(&body), "already_claimed");
                    losers += 1;
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one claim wins");
        assert_eq!(losers, tokens.len() - 1);
        let conversation = service.store().conversation(id).unwrap();
        assert_eq!(conversation.assignee.unwrap().name, winners[0]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_of_one_key_make_one_message() {
    let service = Arc::new(TestService::start().await);
    let id = service.escalate("web-1", "Sam").await;
    service.claim(&service.alice, id).await;
    for round in 0..5 {
        let key = format!("retry-{round}");
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let service = service.clone();
            let key = key.clone();
            tasks.push(tokio::spawn(async move {
                service.send_message(&service.alice, id, &key, "Thanks for waiting, Sam!", false).await
            }));
        }
        let mut created = 0;
        let mut seqs = Vec::new();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::CREATED => created += 1,
                StatusCode::OK => {}
                other => panic!("unexpected {other}: {body}"),
            }
            seqs.push(body["seq"].as_i64().unwrap());
        }
        assert_eq!(created, 1, "round {round}: one request creates, the rest replay");
        seqs.dedup();
        assert_eq!(seqs.len(), 1, "every retry answers with the same message");
    }
    let messages = service.messages(id).await;
    assert_eq!(messages.iter().filter(|m| m.client_id.is_some()).count(), 5);
    let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "seq stays dense");
}
