//! The service and its OpenAPI document agree (what schemathesis found, pinned down as tests):
//! query parameters are query parameters, optional ones take no `null`, stated bounds are
//! enforced, every status the service answers is declared, and schema-valid bodies are taken.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn document(service: &TestService) -> Value {
    let (status, json) = service.get(&service.alice, "/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_empty_and_out_of_range_query_values_are_refused() {
    let service = TestService::start().await;
    let id = service.escalate("web-query", "Sam").await;
    let refused = [
        format!("/v1/conversations/{id}/messages?after=null"),
        format!("/v1/conversations/{id}/messages?limit=null"),
        format!("/v1/conversations/{id}/messages?limit=0"),
        format!("/v1/conversations/{id}/messages?limit=5001"),
        "/v1/conversations?after=null".to_string(),
        "/v1/conversations?status=".to_string(),
        "/v1/conversations?status=null".to_string(),
        "/v1/conversations?limit=0".to_string(),
        "/v1/changes?after=null".to_string(),
        "/v1/changes?limit=0".to_string(),
        "/v1/changes?limit=5001".to_string(),
        "/v1/changes?after=-1".to_string(),
    ];
    for path in &refused {
        let (status, json) = service.get(&service.alice, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {json}");
        assert!(["invalid_query", "invalid_cursor"].contains(&error_code(&json).as_str()), "{path}: {json}");
    }
    for path in [
        format!("/v1/conversations/{id}/messages?after=0&limit=1"),
        format!("/v1/conversations/{id}/messages?limit=5000"),
        "/v1/conversations?status=waiting&limit=1".to_string(),
        "/v1/changes?after=0&limit=5000".to_string(),
    ] {
        let (status, json) = service.get(&service.alice, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {json}");
    }

    // A negative `after` on the stream is refused even when Last-Event-ID would win over it.
    let response = service
        .http
        .get(service.url("/v1/changes/stream?after=-1"))
        .bearer_auth(&service.alice)
        .header("Last-Event-ID", "0")
        .send()
        .await
        .expect("stream request");
    let (status, json) = read(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    assert_eq!(error_code(&json), "invalid_cursor");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_valid_bodies_are_taken() {
    let service = TestService::start().await;
    let id = service.escalate("web-body", "Sam").await;
    let (status, json) = service.claim(&service.alice, id).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    // JSON Schema's integer includes 2.0; so does the service.
    let body = json!({"agent_id": service.bob_id as f64});
    let (status, json) = service.post(&service.alice, &format!("/v1/conversations/{id}/transfer"), body).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["assignee"]["id"], json!(service.bob_id));
    let (status, json) =
        service.post(&service.bob, &format!("/v1/conversations/{id}/transfer"), json!({"agent_id": 1.5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_declares_parameters_and_statuses() {
    let service = TestService::start().await;
    let doc = document(&service).await;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let label = format!("{} {path}", method.to_uppercase());
            let responses = operation["responses"].as_object().expect("responses");
            assert!(responses.contains_key("503"), "{label} does not declare 503");
            let secured = operation["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(responses.contains_key("401"), "{label} does not declare 401");
            }
            if path.contains('{') {
                for status in ["400", "404"] {
                    assert!(responses.contains_key(status), "{label} does not declare {status}");
                }
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "422"] {
                    assert!(responses.contains_key(status), "{label} does not declare {status}");
                }
            }
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                let place = parameter["in"].as_str().unwrap();
                if place == "path" {
                    assert!(path.contains(&format!("{{{name}}}")), "{label}: `{name}` is not a path parameter");
                }
                if parameter["required"] != json!(true) {
                    let types = &parameter["schema"]["type"];
                    assert!(
                        !types.as_array().is_some_and(|t| t.contains(&json!("null"))),
                        "{label}: `{name}` takes null"
                    );
                }
            }
        }
    }
    let limit = doc["paths"]["/v1/changes"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .cloned()
        .expect("limit");
    assert_eq!(
        (limit["in"].as_str(), &limit["schema"]["minimum"], &limit["schema"]["maximum"]),
        (Some("query"), &json!(1), &json!(5000))
    );
    let key = doc["paths"]["/v1/conversations/{id}/messages"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .cloned()
        .expect("Idempotency-Key");
    assert_eq!((&key["schema"]["minLength"], &key["schema"]["maxLength"]), (&json!(1), &json!(200)));
    let text = &doc["components"]["schemas"]["PostMessage"]["properties"]["text"];
    assert_eq!(text["minLength"], json!(1));
    assert!(text["pattern"].is_string(), "non-blank text is stated: {text}");
    service.handle.shutdown().await;
}
