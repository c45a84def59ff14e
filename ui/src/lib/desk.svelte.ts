// The desk's shared state: who I am, the link to the service, the queue, what is open. One
// instance, created at start; components read it and call its methods.
import {
  backend,
  type Agent,
  type AppInfo,
  type CoreEvent,
  type DeskEvent,
  type HandoffReason,
  type NavigateTarget,
  type Presence,
  type QueueItem,
  type QueueStats,
  type QueueTab,
  type SyncStatus,
  type ServiceTargets,
  type Tag,
  type WaitThresholds,
} from "./backend";
import { activity } from "./activity.svelte";
import { debounce } from "./debounce";
import { describeError } from "./errors";
import { dismissOfflineToasts, showError, showInfo } from "./toasts.svelte";

/** A request to show a given message of the open conversation. */
export interface Jump {
  seq: number;
  nonce: number;
}

type CoreListener = (event: CoreEvent) => void;

/** Which conversation an engine event is about, if any. */
export function eventConversationId(event: CoreEvent): number | null {
  switch (event.type) {
    case "new_escalation":
    case "conversation_changed":
      return event.conversation.id;
    case "message_added":
      return event.message.conversation_id;
    case "outbox_changed":
      return event.item.conversation_id;
    default:
      return null;
  }
}

const QUEUE_EVENTS = new Set<CoreEvent["type"]>([
  "conversation_changed",
  "escalation_backlog",
  "new_escalation",
  "message_added",
  "outbox_changed",
]);

let jumpNonce = 0;

class Desk {
  info = $state.raw<AppInfo | null>(null);
  /** Why the app info could not be read (the shell is not answering). */
  startupError = $state<string | null>(null);
  status = $state.raw<SyncStatus | null>(null);
  stats = $state.raw<QueueStats | null>(null);
  agents = $state.raw<Agent[]>([]);
  /** Unread customer lines in my conversations (the Mine tab's badge). */
  mineUnread = $state(0);
  /** My conversations snoozed on this device. */
  snoozedCount = $state(0);
  /** The first-response target; its countdown shows in the queue and the header. */
  serviceTargets = $state.raw<ServiceTargets>({ first_response_minutes: 5, amber_percent: 40 });

  tab = $state<QueueTab>("waiting");
  /** Rows of `itemsTab`; shown while the next tab loads. */
  items = $state.raw<QueueItem[]>([]);
  itemsTab = $state<QueueTab | null>(null);
  /** Triage filters; `items` is the loaded tab after them. */
  filterReason = $state<HandoffReason | "">("");
  filterChannel = $state("");
  filterVip = $state(false);
  filterTag = $state("");
  /** The team's tag catalogue. */
  tags = $state.raw<Tag[]>([]);
  /** The channels present in the loaded tab, for the filter. */
  channels = $state.raw<string[]>([]);
  #allItems: QueueItem[] = [];
  queueError = $state<string | null>(null);
  waitingCount = $state<number | null>(null);
  mineCount = $state<number | null>(null);

  selectedId = $state<number | null>(null);
  openId = $state<number | null>(null);
  jump = $state.raw<Jump | null>(null);
  overlay = $state<"search" | "settings" | "shortcuts" | null>(null);
  /** The queue and a conversation, or the review of handoffs. */
  view = $state<"desk" | "review">("desk");
  /** When waiting timers turn amber and red. */
  waitThresholds = $state.raw<WaitThresholds>({ warn_minutes: 2, urgent_minutes: 5 });
  presenceBusy = $state(false);
  /** Bumped when the session changes, so the open conversation reloads. */
  sessionEpoch = $state(0);
  /** Opened from elsewhere (search, a notification): show its queue tab once it has loaded. */
  revealPending: number | null = null;

  me = $derived(this.info?.me ?? null);
  myPresence = $derived<Presence | null>(
    this.me ? (this.agents.find((a) => a.id === this.me?.id)?.presence ?? null) : null,
  );
  otherAgents = $derived(this.agents.filter((a) => a.id !== this.me?.id));
  queueReady = $derived(this.itemsTab === this.tab);

  #listeners = new Set<CoreListener>();
  #queueRequest = 0;
  /** The cache notice already shown as a toast, so a refresh does not repeat it. */
  #cacheNoticeShown: string | null = null;
  #selectedIndex = 0;
  #refreshQueueSoon = debounce(() => void this.refreshQueue(), 150);
  #refreshAgentsSoon = debounce(() => void this.refreshAgents(), 300);

  /** Listen to engine events (the conversation pane does); returns the unsubscribe. */
  onCore(listener: CoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // --- loading -------------------------------------------------------------------------

  /** Loads (or reloads) everything; every part fails on its own. */
  async loadAll(): Promise<void> {
    await Promise.all([
      this.refreshInfo(),
      this.refreshStatus(),
      this.refreshStats(),
      this.refreshAgents(),
      this.refreshQueue(),
      this.refreshWaitThresholds(),
      this.refreshTags(),
      this.refreshServiceTargets(),
    ]);
  }

  async refreshServiceTargets(): Promise<void> {
    try {
      this.serviceTargets = await backend.serviceTargets();
    } catch {
      // The defaults stay; only the countdowns depend on it.
    }
  }

  async saveServiceTargets(targets: ServiceTargets): Promise<void> {
    await backend.setServiceTargets(targets);
    this.serviceTargets = targets;
    this.refreshQueueSoon();
  }

  async refreshTags(): Promise<void> {
    try {
      this.tags = await backend.tags();
    } catch {
      // No catalogue yet (first sync still running): the tag filter stays empty until it comes.
    }
  }

  async refreshWaitThresholds(): Promise<void> {
    try {
      this.waitThresholds = await backend.waitThresholds();
    } catch {
      // The defaults stay; only the colour of the timers depends on it.
    }
  }

  async saveWaitThresholds(thresholds: WaitThresholds): Promise<void> {
    await backend.setWaitThresholds(thresholds);
    this.waitThresholds = thresholds;
  }

  async refreshInfo(): Promise<void> {
    try {
      this.info = await backend.appInfo();
      this.startupError = null;
      if (this.info.cache_notice && this.info.cache_notice !== this.#cacheNoticeShown) {
        this.#cacheNoticeShown = this.info.cache_notice;
        showInfo(this.info.cache_notice);
      }
    } catch (error) {
      this.startupError = describeError(error);
    }
  }

  async refreshStatus(): Promise<void> {
    try {
      this.status = await backend.syncStatus();
    } catch {
      // The status bar keeps its last state; a broken shell shows up elsewhere.
    }
  }

  async refreshStats(): Promise<void> {
    try {
      this.stats = await backend.queueStats();
    } catch {
      // Stats are a nicety; the waiting count comes from the local queue.
    }
  }

  async refreshAgents(): Promise<void> {
    try {
      this.agents = await backend.agents();
    } catch (error) {
      showError(error);
    }
  }

  async refreshQueue(): Promise<void> {
    const request = ++this.#queueRequest;
    const tab = this.tab;
    try {
      const [current, waiting, mine, snoozed] = await Promise.all([
        backend.queue(tab),
        tab === "waiting" ? null : backend.queue("waiting"),
        tab === "mine" ? null : backend.queue("mine"),
        tab === "snoozed" ? null : backend.queue("snoozed"),
      ]);
      if (request !== this.#queueRequest) return;
      this.#allItems = current;
      this.channels = [...new Set(current.map((i) => i.channel))].sort();
      this.#applyFilters();
      this.itemsTab = tab;
      this.queueError = null;
      this.waitingCount = (tab === "waiting" ? current : waiting)?.length ?? 0;
      const mineRows = (tab === "mine" ? current : mine) ?? [];
      this.mineCount = mineRows.length;
      this.mineUnread = mineRows.reduce((sum, i) => sum + (i.id === this.openId ? 0 : i.unread), 0);
      this.snoozedCount = ((tab === "snoozed" ? current : snoozed) ?? []).length;
      this.#keepSelection();
    } catch (error) {
      if (request !== this.#queueRequest) return;
      this.queueError = describeError(error);
      this.itemsTab = tab;
    }
  }

  #applyFilters(): void {
    this.items = this.#allItems.filter(
      (i) =>
        (!this.filterReason || i.reason === this.filterReason) &&
        (!this.filterChannel || i.channel === this.filterChannel) &&
        (!this.filterVip || i.vip) &&
        (!this.filterTag || i.tags.includes(this.filterTag)),
    );
  }

  /** Changes the triage filters of the queue. */
  setFilters(filters: { reason?: HandoffReason | ""; channel?: string; vip?: boolean; tag?: string }): void {
    if (filters.tag !== undefined) this.filterTag = filters.tag;
    if (filters.reason !== undefined) this.filterReason = filters.reason;
    if (filters.channel !== undefined) this.filterChannel = filters.channel;
    if (filters.vip !== undefined) this.filterVip = filters.vip;
    this.#applyFilters();
    this.#keepSelection();
  }

  get filtering(): boolean {
    return !!this.filterReason || !!this.filterChannel || this.filterVip || !!this.filterTag;
  }

  refreshQueueSoon(): void {
    this.#refreshQueueSoon();
  }

  /** The selection stays on its conversation, or moves to the row that took its place. */
  #keepSelection(): void {
    if (this.selectedId === null) return;
    const index = this.items.findIndex((i) => i.id === this.selectedId);
    if (index >= 0) {
      this.#selectedIndex = index;
      return;
    }
    if (this.items.length === 0) {
      this.selectedId = null;
      return;
    }
    const next = this.items[Math.min(this.#selectedIndex, this.items.length - 1)];
    this.selectedId = next.id;
  }

  /**
   * Opens the next conversation that needs the agent: "waiting" — the first of the Waiting tab
   * (overdue and longest waiting first); "unread" — the first of mine, then of Waiting, with
   * unread customer lines. Says so when there is none.
   */
  async openNext(kind: "waiting" | "unread"): Promise<void> {
    try {
      if (kind === "waiting") {
        const waiting = await backend.queue("waiting");
        const next = waiting.find((i) => i.id !== this.openId) ?? waiting[0];
        if (next) this.open(next.id, null, true);
        else showInfo("Nobody is waiting.");
        return;
      }
      const [mine, waiting] = await Promise.all([backend.queue("mine"), backend.queue("waiting")]);
      const next = [...mine, ...waiting].find((i) => i.unread > 0 && i.id !== this.openId);
      if (next) this.open(next.id, null, true);
      else showInfo("No unread messages.");
    } catch (error) {
      showError(error);
    }
  }

  // --- queue ---------------------------------------------------------------------------

  setTab(tab: QueueTab): void {
    if (this.tab === tab) {
      this.refreshQueueSoon();
      return;
    }
    this.tab = tab;
    this.selectedId = null;
    this.#selectedIndex = 0;
    void this.refreshQueue();
  }

  select(id: number): void {
    this.selectedId = id;
    const index = this.items.findIndex((i) => i.id === id);
    if (index >= 0) this.#selectedIndex = index;
  }

  /** Moves the selection by `delta` rows; returns the newly selected id. */
  moveSelection(delta: number): number | null {
    if (!this.queueReady || this.items.length === 0) return null;
    const current = this.items.findIndex((i) => i.id === this.selectedId);
    let index: number;
    if (current < 0) {
      const open = this.items.findIndex((i) => i.id === this.openId);
      index = open >= 0 ? open + delta : delta > 0 ? 0 : this.items.length - 1;
    } else {
      index = current + delta;
    }
    index = Math.max(0, Math.min(this.items.length - 1, index));
    this.select(this.items[index].id);
    return this.selectedId;
  }

  // --- the open conversation -----------------------------------------------------------

  open(id: number, seq?: number | null, reveal = false): void {
    this.view = "desk";
    this.revealPending = reveal ? id : null;
    this.openId = id;
    this.jump = seq === null || seq === undefined ? null : { seq, nonce: ++jumpNonce };
    if (this.items.some((i) => i.id === id)) this.select(id);
    // Opening marks it read in the cache; the badges follow after the next read of the queue.
    if (this.items.some((i) => i.id === id && i.unread > 0)) {
      this.items = this.items.map((i) => (i.id === id ? { ...i, unread: 0 } : i));
    }
    if (this.mineUnread > 0) this.refreshQueueSoon();
  }

  close(): void {
    this.openId = null;
    this.jump = null;
    backend.closeConversation().catch(() => {
      // Only the window title; nothing to tell the agent.
    });
  }

  /** Shows the tab the open conversation belongs to, when it is not the current one. */
  revealTabFor(conversation: { id: number; status: string; assignee: { id: number } | null }): void {
    if (this.revealPending !== conversation.id) return;
    this.revealPending = null;
    if (this.items.some((i) => i.id === conversation.id) && this.itemsTab === this.tab) return;
    let tab: QueueTab | null = null;
    if (conversation.status === "waiting") tab = "waiting";
    else if (conversation.status === "assigned" && conversation.assignee?.id === this.me?.id) tab = "mine";
    else if (conversation.status === "resolved" || conversation.status === "bot") tab = "recent";
    if (tab && tab !== this.tab) {
      this.tab = tab;
      void this.refreshQueue().then(() => {
        if (this.items.some((i) => i.id === conversation.id)) this.select(conversation.id);
      });
    }
  }

  // --- presence ------------------------------------------------------------------------

  async setPresence(presence: Presence): Promise<void> {
    if (this.presenceBusy) return;
    this.presenceBusy = true;
    try {
      const agent = await backend.setPresence(presence);
      const known = this.agents.some((a) => a.id === agent.id);
      this.agents = known ? this.agents.map((a) => (a.id === agent.id ? agent : a)) : [...this.agents, agent];
      void this.refreshStats();
    } catch (error) {
      showError(error, "changing your presence");
    } finally {
      this.presenceBusy = false;
    }
  }

  // --- events --------------------------------------------------------------------------

  navigate(target: NavigateTarget): void {
    this.overlay = null;
    switch (target.view) {
      case "conversation":
        this.open(target.id, null, true);
        break;
      case "queue":
        this.view = "desk";
        this.close();
        this.setTab("waiting");
        break;
      case "review":
        this.view = "review";
        break;
    }
  }

  async sessionChanged(): Promise<void> {
    const before = this.info;
    await this.loadAll();
    const after = this.info;
    const same = before && after && before.server === after.server && before.me?.id === after.me?.id;
    if (!same && this.openId !== null) this.close();
    this.sessionEpoch++;
  }

  handle(event: DeskEvent): void {
    switch (event.kind) {
      case "navigate":
        this.navigate(event.target);
        break;
      case "session_changed":
        void this.sessionChanged();
        break;
      case "queue_changed":
        this.refreshQueueSoon();
        break;
      case "core":
        this.#handleCore(event.event);
        break;
    }
  }

  #handleCore(event: CoreEvent): void {
    switch (event.type) {
      case "tags_changed":
        this.tags = event.tags;
        break;
      case "conversation_activity":
        activity.apply(event);
        break;
      case "connection_changed": {
        const wasOnline = this.status?.connection.state === "online";
        this.status = event.status;
        if (event.status.connection.state === "online") dismissOfflineToasts();
        if (!wasOnline && event.status.connection.state === "online") this.#refreshAgentsSoon();
        break;
      }
      case "queue_stats_changed":
        this.stats = event.stats;
        break;
      case "agents_changed":
        this.agents = event.agents;
        break;
      default:
        if (QUEUE_EVENTS.has(event.type)) this.refreshQueueSoon();
    }
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        showError(error);
      }
    }
  }
}

export const desk = new Desk();
