// Which tab notifies: of a user's tabs in one browser, only one shows browser notifications (each
// receives every message), and none while another of them is on screen. The one is the holder of
// a Web Lock named after the user: the browser hands the lock to a waiting tab when the holder
// closes or crashes, so there is no election to run and no heartbeat. Which tabs are on screen
// they tell each other over a BroadcastChannel.

/** What this needs of `navigator.locks` (a fake one in tests). */
export interface Locks {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

/** Holds the user's notify lock while this tab lives, or waits for it. */
export class NotifyLeader {
  private leader = false;
  private release: (() => void) | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly name: string,
    private readonly locks: Locks | undefined,
    private readonly onChange: (leader: boolean) => void = () => {},
  ) {}

  start(): void {
    if (!this.locks) {
      // No Web Locks (an old browser): tabs cannot agree, so each notifies for itself.
      this.set(true);
      return;
    }
    this.locks
      .request(this.name, { signal: this.abort.signal }, () => {
        this.set(true);
        return new Promise<void>((resolve) => (this.release = resolve));
      })
      // Aborted while waiting (the page stopped): nothing was held.
      .catch(() => undefined);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Hands the lock over (sign-out, or the page going away without closing). */
  stop(): void {
    this.abort.abort();
    this.release?.();
    this.release = null;
    this.set(false);
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.onChange(leader);
  }
}

type VisibilityMessage = { type: "state"; tab: string; visible: boolean } | { type: "gone"; tab: string } | { type: "ask" };

/** What this needs of a BroadcastChannel (same-origin tabs of this browser). */
export interface Channel {
  postMessage(message: VisibilityMessage): void;
  onmessage: ((event: { data: VisibilityMessage }) => void) | null;
  close(): void;
}

/** Which of the user's other tabs are on screen, as they say. */
export class TabVisibility {
  readonly tab = Math.random().toString(36).slice(2);
  private readonly others = new Map<string, boolean>();
  /** Said "gone": quiet from then on (an unloading page still fires visibilitychange), until
   * the page comes back from the back/forward cache. */
  private left = false;

  constructor(
    private readonly channel: Channel | null,
    private readonly visible: () => boolean,
  ) {}

  start(): void {
    if (!this.channel) return;
    this.channel.onmessage = ({ data }) => {
      if (data.type === "ask") this.tell();
      else if (data.type === "gone") this.others.delete(data.tab);
      else if (data.tab !== this.tab) this.others.set(data.tab, data.visible);
    };
    this.channel.postMessage({ type: "ask" });
    this.tell();
  }

  /** This tab's visibility changed (or another asked). */
  tell(): void {
    if (this.left) return;
    this.channel?.postMessage({ type: "state", tab: this.tab, visible: this.visible() });
  }

  /** Whether another tab of the user is on screen now. */
  anotherVisible(): boolean {
    for (const visible of this.others.values()) if (visible) return true;
    return false;
  }

  /** This tab is going away (it may come back from the back/forward cache: see `back`). */
  gone(): void {
    if (this.left) return;
    this.channel?.postMessage({ type: "gone", tab: this.tab });
    this.left = true;
  }

  /** Back from the back/forward cache: on screen again, as far as the others know. */
  back(): void {
    this.left = false;
    this.tell();
  }

  stop(): void {
    this.gone();
    this.channel?.close();
  }
}
