// The one module that talks to the desktop shell. Every other file imports from here, never
// from @tauri-apps/* directly. Types come from the Rust side (./generated/types.ts).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  Activity,
  Agent,
  AppInfo,
  CannedResponse,
  CommandError,
  Conversation,
  ConversationActivity,
  ConversationView,
  HandoffContext,
  LinkSegment,
  DeskEvent,
  ExportFormat,
  Message,
  NavigateTarget,
  NotificationPermission,
  NotificationPrefs,
  OutboxItem,
  Presence,
  QueueItem,
  QueueStats,
  QueueTab,
  ResolveOutcome,
  ReviewPeriod,
  ReviewPrefs,
  ReviewReport,
  SearchHit,
  ServiceTargets,
  SyncStatus,
  Tag,
  WaitThresholds,
} from "./generated/types";

export type * from "./generated/types";


/** A failed command, with the shell's explanation. */
export class BackendError extends Error {
  readonly kind: string;
  readonly detail: CommandError;
  constructor(detail: CommandError) {
    super(detail.message);
    this.kind = detail.kind;
    this.detail = detail;
  }
}

function isCommandError(value: unknown): value is CommandError {
  return typeof value === "object" && value !== null && "kind" in value && "message" in value;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isCommandError(error)) throw new BackendError(error);
    throw new BackendError({ kind: "internal", message: String(error), assignee: null });
  }
}

export const backend = {
  appInfo: () => call<AppInfo>("app_info"),
  queue: (tab: QueueTab, tag: string | null = null) => call<QueueItem[]>("queue", { tab, tag }),
  tags: () => call<Tag[]>("tags"),
  setTags: (id: number, tags: string[]) => call<Conversation>("set_tags", { id, tags }),
  snooze: (id: number, until: string) => call<void>("snooze", { id, until }),
  unsnooze: (id: number) => call<boolean>("unsnooze", { id }),
  serviceTargets: () => call<ServiceTargets>("service_targets"),
  setServiceTargets: (targets: ServiceTargets) => call<void>("set_service_targets", { targets }),
  openConversation: (id: number) => call<ConversationView>("open_conversation", { id }),
  closeConversation: () => call<void>("close_conversation"),
  /** Tells colleagues this agent views / types in / left the conversation (ephemeral, best effort). */
  reportActivity: (id: number, activity: Activity) => call<void>("report_activity", { id, activity }),
  /** Who is in the conversation now, from the service. */
  conversationActivity: (id: number) => call<ConversationActivity[]>("conversation_activity", { id }),
  /** Opens the conversation in a window of its own (or brings its window to the front). */
  openConversationWindow: (id: number) => call<void>("open_conversation_window", { id }),
  handoffContext: (id: number) => call<HandoffContext>("handoff_context", { id }),
  greetingTemplate: () => call<string>("greeting_template"),
  setGreetingTemplate: (template: string) => call<void>("set_greeting_template", { template }),
  cannedResponses: () => call<CannedResponse[]>("canned_responses"),
  saveCannedResponse: (response: CannedResponse) => call<CannedResponse>("save_canned_response", { response }),
  deleteCannedResponse: (id: string) => call<void>("delete_canned_response", { id }),
  searchCanned: (query: string) => call<CannedResponse[]>("search_canned", { query }),
  renderCanned: (conversationId: number, text: string) => call<string>("render_canned", { conversationId, text }),
  awayAfterMinutes: () => call<number>("away_after_minutes"),
  setAwayAfterMinutes: (minutes: number) => call<void>("set_away_after_minutes", { minutes }),
  reviewReport: (period: ReviewPeriod) => call<ReviewReport>("review_report", { period }),
  /** Writes the report to the Downloads folder; resolves to the file's path. */
  exportReview: (period: ReviewPeriod, format: ExportFormat) => call<string>("export_review", { period, format }),
  revealExport: (path: string) => call<void>("reveal_export", { path }),
  reviewPrefs: () => call<ReviewPrefs>("review_prefs"),
  setReviewPrefs: (prefs: ReviewPrefs) => call<void>("set_review_prefs", { prefs }),
  waitThresholds: () => call<WaitThresholds>("wait_thresholds"),
  setWaitThresholds: (thresholds: WaitThresholds) => call<void>("set_wait_thresholds", { thresholds }),
  search: (query: string) => call<SearchHit[]>("search", { query }),
  syncStatus: () => call<SyncStatus>("sync_status"),
  queueStats: () => call<QueueStats | null>("queue_stats"),
  agents: () => call<Agent[]>("agents"),
  claim: (id: number) => call<Conversation>("claim", { id }),
  release: (id: number) => call<Conversation>("release", { id }),
  resolve: (id: number, outcome: ResolveOutcome) => call<Conversation>("resolve", { id, outcome }),
  transfer: (id: number, agentId: number, note: string | null) => call<Conversation>("transfer", { id, agentId, note }),
  sendMessage: (id: number, text: string, isPrivate: boolean) =>
    call<OutboxItem>("send_message", { id, text, private: isPrivate }),
  retryMessage: (clientId: string, text: string | null) => call<OutboxItem>("retry_message", { clientId, text }),
  discardMessage: (clientId: string) => call<OutboxItem>("discard_message", { clientId }),
  setPresence: (presence: Presence) => call<Agent>("set_presence", { presence }),
  sendWaitNotice: (id: number) => call<Message>("send_wait_notice", { id }),
  getDraft: (id: number) => call<string | null>("get_draft", { id }),
  saveDraft: (id: number, text: string) => call<void>("save_draft", { id, text }),
  notificationPrefs: () => call<NotificationPrefs>("notification_prefs"),
  setNotificationPrefs: (prefs: NotificationPrefs) => call<void>("set_notification_prefs", { prefs }),
  /** Whether the system shows the app's notifications, with how to turn them on if not. */
  notificationPermission: () => call<NotificationPermission>("notification_permission"),
  openNotificationSettings: () => call<void>("open_notification_settings"),
  startAtLogin: () => call<boolean>("start_at_login"),
  /** Resolves to whether the login item is now on. */
  setStartAtLogin: (enabled: boolean) => call<boolean>("set_start_at_login", { enabled }),
  retentionDays: () => call<number>("retention_days"),
  setRetentionDays: (days: number) => call<number>("set_retention_days", { days }),
  signIn: (server: string, token: string) => call<Agent>("sign_in", { server, token }),
  signOut: (clearCache: boolean) => call<void>("sign_out", { clearCache }),
  /** Opens a link from `linkSegments` in the system's browser or mail program (checked again there). */
  openLink: (url: string) => call<void>("open_link", { url }),
  /** Untrusted text split into plain text and the only links it may show. */
  linkSegments: (text: string) => call<LinkSegment[]>("link_segments", { text }),
  takePendingNavigation: () => call<NavigateTarget | null>("take_pending_navigation"),
  /** Tells the shell the first screen is painted (it logs the cold-start time). */
  uiReady: () => call<void>("ui_ready"),
  /** Everything the shell reports: engine events, navigation requests, session changes. */
  onEvent: (handler: (event: DeskEvent) => void): Promise<UnlistenFn> =>
    listen<DeskEvent>("desk-event", (event) => handler(event.payload)),
};
