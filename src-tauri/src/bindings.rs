//! The TypeScript declarations of everything the front end exchanges with the shell, generated
//! from the Rust types. `ui/src/lib/generated/types.ts` is this output; a test fails when it is
//! stale (regenerate with `UPDATE_BINDINGS=1 cargo test -p handoff-desk bindings`).

use handoff_core::insights::canned::CannedResponse;
use handoff_core::insights::context::{EarlierConversation, HandoffContext};
use handoff_core::insights::facts::{FactKind, KeyFact};
use handoff_core::insights::review::{
    DayCount, GroupExample, GroupingMethod, QuestionGroup, ReasonCount, ReviewGrouping, ReviewReport,
};
use handoff_core::links::LinkSegment;
use handoff_core::notifications::NotificationPrefs;
use handoff_core::preferences::{ReviewPrefs, ServiceTargets, WaitThresholds};
use handoff_core::*;
use handoff_protocol::*;
use ts_rs::TS;

use crate::types::*;

/// Where the generated file lives, relative to this crate.
pub const GENERATED_PATH: &str = "../ui/src/lib/generated/types.ts";

fn declaration<T: TS>() -> String {
    // Ids, counts and cursors are i64 in Rust but travel as JSON numbers (all far below 2^53).
    format!("export {}", T::decl().replace("bigint", "number"))
}

/// The whole generated file.
pub fn typescript() -> String {
    let declarations = [
        // protocol
        declaration::<ConversationStatus>(),
        declaration::<HandoffReason>(),
        declaration::<Priority>(),
        declaration::<Role>(),
        declaration::<Presence>(),
        declaration::<Customer>(),
        declaration::<Handoff>(),
        declaration::<AgentRef>(),
        declaration::<Conversation>(),
        declaration::<Message>(),
        declaration::<Agent>(),
        declaration::<QueueStats>(),
        declaration::<ResolveOutcome>(),
        declaration::<Tag>(),
        declaration::<Activity>(),
        declaration::<ConversationActivity>(),
        // core views
        declaration::<QueueTab>(),
        declaration::<QueueItem>(),
        declaration::<DeliveryState>(),
        declaration::<TranscriptLine>(),
        declaration::<ConversationView>(),
        declaration::<SnippetPart>(),
        declaration::<SearchHit>(),
        declaration::<OutboxItem>(),
        declaration::<ConnectionState>(),
        declaration::<SyncStatus>(),
        declaration::<CoreEvent>(),
        declaration::<NotificationPrefs>(),
        declaration::<FactKind>(),
        declaration::<KeyFact>(),
        declaration::<EarlierConversation>(),
        declaration::<HandoffContext>(),
        declaration::<CannedResponse>(),
        declaration::<ReasonCount>(),
        declaration::<DayCount>(),
        declaration::<GroupExample>(),
        declaration::<QuestionGroup>(),
        declaration::<GroupingMethod>(),
        declaration::<ReviewGrouping>(),
        declaration::<ReviewReport>(),
        declaration::<ReviewPrefs>(),
        declaration::<WaitThresholds>(),
        declaration::<ServiceTargets>(),
        declaration::<UnreadSummary>(),
        declaration::<LinkSegment>(),
        // shell
        declaration::<NavigateTarget>(),
        declaration::<DeskEvent>(),
        declaration::<ReviewPeriod>(),
        declaration::<ExportFormat>(),
        declaration::<AppInfo>(),
        declaration::<CommandError>(),
        declaration::<PermissionState>(),
        declaration::<NotificationPermission>(),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p handoff-desk bindings` instead.\n\n",
    );
    for declaration in declarations {
        out.push_str(&declaration);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_are_fresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED_PATH);
        let expected = typescript();
        if std::env::var("UPDATE_BINDINGS").as_deref() == Ok("1") {
            std::fs::write(&path, &expected).expect("write the bindings");
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == expected,
            "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p handoff-desk bindings`",
            path.display()
        );
    }
}
