//! The Review view's commands — the report of a period, its export, its preferences — and the
//! weekly reminder notification that opens it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use handoff_core::insights::review::{self, ReviewReport};
use handoff_core::preferences::{ReviewPrefs, WaitThresholds};
use handoff_core::Engine;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::session::AppState;
use crate::types::*;

type Result<T> = std::result::Result<T, CommandError>;
type App<'a> = State<'a, Arc<AppState>>;

/// How often the reminder checks the clock; it is due for hours, so a minute early or late is fine.
const REMINDER_CHECK: Duration = Duration::from_secs(15);

/// The period's report; computing a busy month takes a moment, so it runs off the async runtime.
async fn report(engine: Arc<Engine>, period: ReviewPeriod) -> Result<ReviewReport> {
    tauri::async_runtime::spawn_blocking(move || engine.review_between(period.since, period.until))
        .await
        .map_err(|e| CommandError::internal(format!("the review could not be computed: {e}")))?
        .map_err(CommandError::from)
}

/// The review of a period from the cache (works offline).
#[tauri::command]
pub async fn review_report(state: App<'_>, period: ReviewPeriod) -> Result<ReviewReport> {
    report(state.engine(), period).await
}

/// Writes the report as Markdown or CSV to the Downloads folder; returns the file's path.
#[tauri::command]
pub async fn export_review<R: Runtime>(
    app: AppHandle<R>,
    state: App<'_>,
    period: ReviewPeriod,
    format: ExportFormat,
) -> Result<String> {
    let folder = export_folder(&app)?;
    let report = report(state.engine(), period).await?;
    let (text, extension) = match format {
        ExportFormat::Markdown => (review::to_markdown(&report), "md"),
        ExportFormat::Csv => (review::to_csv(&report), "csv"),
    };
    let path = write_export(&folder, &review::export_file_stem(&report), extension, &text)?;
    tracing::info!(path = %path.display(), "review exported");
    Ok(path.display().to_string())
}

/// Shows an exported file in the file manager.
#[tauri::command]
pub fn reveal_export<R: Runtime>(app: AppHandle<R>, path: String) -> Result<()> {
    let path = PathBuf::from(path);
    // Only files this app exported: the command must not become a way to open anything.
    let folder = export_folder(&app)?;
    let is_export = path.parent() == Some(folder.as_path())
        && path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("handoff-review-"));
    if !is_export || !path.is_file() {
        return Err(CommandError::invalid("that file is not an export of the review (or it was moved)"));
    }
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| CommandError::internal(format!("the file manager could not be opened: {e}")))
}

#[tauri::command]
pub fn review_prefs(state: App<'_>) -> Result<ReviewPrefs> {
    Ok(state.engine().review_prefs()?)
}

#[tauri::command]
pub fn set_review_prefs(state: App<'_>, prefs: ReviewPrefs) -> Result<()> {
    Ok(state.engine().set_review_prefs(&prefs)?)
}

#[tauri::command]
pub fn wait_thresholds(state: App<'_>) -> Result<WaitThresholds> {
    Ok(state.engine().wait_thresholds()?)
}

#[tauri::command]
pub fn set_wait_thresholds(state: App<'_>, thresholds: WaitThresholds) -> Result<()> {
    Ok(state.engine().set_wait_thresholds(&thresholds)?)
}

/// The user's Downloads folder (created if missing), else their home folder.
fn export_folder<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf> {
    let paths = app.path();
    let folder = paths
        .download_dir()
        .or_else(|_| paths.home_dir().map(|home| home.join("Downloads")))
        .map_err(|e| CommandError::internal(format!("no Downloads or home folder to export to: {e}")))?;
    std::fs::create_dir_all(&folder)
        .map_err(|e| CommandError::internal(format!("cannot create {}: {e}", folder.display())))?;
    Ok(folder)
}

/// Writes `text` to `folder/name.extension`, or `name (2).extension`… when that exists —
/// never over an earlier export. The file appears whole or not at all.
fn write_export(folder: &Path, name: &str, extension: &str, text: &str) -> Result<PathBuf> {
    let fail =
        |e: std::io::Error| CommandError::internal(format!("cannot write the export to {}: {e}", folder.display()));
    let name = handoff_core::file_names::safe_file_name(name);
    let temp = folder.join(format!(".{name}.{}.part", uuid::Uuid::new_v4()));
    std::fs::write(&temp, text).map_err(fail)?;
    for n in 1..1000 {
        let path = match n {
            1 => folder.join(format!("{name}.{extension}")),
            n => folder.join(format!("{name} ({n}).{extension}")),
        };
        // Claiming the name with create_new fails when it is taken (on every system and file
        // system), so two exports never race for one name; the finished file then replaces the
        // empty claim at once, so a reader never sees half a report.
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(claim) => {
                drop(claim);
                let moved = std::fs::rename(&temp, &path);
                if moved.is_err() {
                    let _ = std::fs::remove_file(&path);
                    let _ = std::fs::remove_file(&temp);
                }
                return moved.map(|()| path).map_err(fail);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(fail(e));
            }
        }
    }
    let _ = std::fs::remove_file(&temp);
    Err(CommandError::internal(format!(
        "{} has too many exports named {name}: tidy it up and try again",
        folder.display()
    )))
}

/// Checks the clock every few seconds and shows the weekly reminder when it is due; clicking
/// it opens the Review view.
pub fn spawn_reminder(app: AppHandle, state: Arc<AppState>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let engine = state.engine();
            let due =
                tauri::async_runtime::spawn_blocking(move || engine.take_review_reminder(&chrono::Local::now())).await;
            match due {
                Ok(Ok(Some(notice))) => crate::notifier::show(&app, &notice),
                Ok(Ok(None)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "the review reminder could not be checked"),
                Err(error) => tracing::warn!(%error, "the review reminder task failed"),
            }
            tokio::time::sleep(REMINDER_CHECK).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_never_overwrite_each_other() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let first = write_export(dir.path(), "handoff-review-a", "md", "one").expect("first");
        let second = write_export(dir.path(), "handoff-review-a", "md", "two").expect("second");
        assert_eq!(first.file_name().unwrap(), "handoff-review-a.md");
        assert_eq!(second.file_name().unwrap(), "handoff-review-a (2).md");
        assert_eq!(std::fs::read_to_string(first).unwrap(), "one");
        assert_eq!(std::fs::read_to_string(second).unwrap(), "two");
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".part")));
        assert_eq!(leftovers.count(), 0);
    }
}
