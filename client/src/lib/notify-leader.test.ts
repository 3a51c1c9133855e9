import { describe, expect, it } from "vitest";

import { NotifyLeader, TabVisibility, type Channel, type Locks } from "./notify-leader";

/** Web Locks as the browser grants them: one holder per name, waiters in order, a waiter taken
 * out when its signal aborts. */
class FakeLocks implements Locks {
  private held = new Map<string, boolean>();
  private queue = new Map<string, { grant: () => void; signal?: AbortSignal }[]>();

  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.held.set(name, true);
        void callback().then(() => {
          this.held.set(name, false);
          resolve(undefined);
          this.next(name);
        });
      };
      if (!this.held.get(name)) return grant();
      const waiters = this.queue.get(name) ?? [];
      waiters.push({ grant, signal: options.signal });
      this.queue.set(name, waiters);
      options.signal?.addEventListener("abort", () => {
        this.queue.set(name, (this.queue.get(name) ?? []).filter((w) => w.grant !== grant));
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  }

  private next(name: string): void {
    const waiter = this.queue.get(name)?.shift();
    waiter?.grant();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("one tab of a user notifies", () => {
  it("the first tab holds the lock, the second waits, and takes over when the first goes", async () => {
    const locks = new FakeLocks();
    const first = new NotifyLeader("notify:acme:ann", locks);
    const second = new NotifyLeader("notify:acme:ann", locks);
    first.start();
    second.start();
    await settle();
    expect([first.isLeader, second.isLeader]).toEqual([true, false]);
    first.stop();
    await settle();
    expect([first.isLeader, second.isLeader]).toEqual([false, true]);
  });

  it("another user's tab in the same browser has its own lock", async () => {
    const locks = new FakeLocks();
    const ann = new NotifyLeader("notify:acme:ann", locks);
    const bob = new NotifyLeader("notify:acme:bob", locks);
    ann.start();
    bob.start();
    await settle();
    expect([ann.isLeader, bob.isLeader]).toEqual([true, true]);
  });

  it("a waiting tab that stops never becomes the one", async () => {
    const locks = new FakeLocks();
    const first = new NotifyLeader("n", locks);
    const waiting = new NotifyLeader("n", locks);
    const third = new NotifyLeader("n", locks);
    first.start();
    waiting.start();
    third.start();
    await settle();
    waiting.stop();
    first.stop();
    await settle();
    expect([waiting.isLeader, third.isLeader]).toEqual([false, true]);
  });

  it("without Web Locks each tab notifies for itself", () => {
    const alone = new NotifyLeader("n", undefined);
    alone.start();
    expect(alone.isLeader).toBe(true);
  });
});

/** BroadcastChannel as the browser delivers it: to every other open channel of the name. */
class FakeChannel implements Channel {
  static open: FakeChannel[] = [];
  onmessage: Channel["onmessage"] = null;
  constructor(private readonly name: string) {
    FakeChannel.open.push(this);
  }
  postMessage(message: Parameters<Channel["postMessage"]>[0]): void {
    for (const c of FakeChannel.open) if (c !== this && c.name === this.name) c.onmessage?.({ data: message });
  }
  close(): void {
    FakeChannel.open = FakeChannel.open.filter((c) => c !== this);
  }
}

describe("tabs tell each other whether they are on screen", () => {
  function tab(name: string, visible: { now: boolean }): TabVisibility {
    return new TabVisibility(new FakeChannel(name), () => visible.now);
  }

  it("another visible tab is known, and forgotten when hidden or gone", () => {
    const a = { now: false };
    const b = { now: true };
    const hiddenTab = tab("vis-1", a);
    const shownTab = tab("vis-1", b);
    hiddenTab.start();
    shownTab.start();
    expect(hiddenTab.anotherVisible()).toBe(true);
    expect(shownTab.anotherVisible()).toBe(false);
    b.now = false;
    shownTab.tell();
    expect(hiddenTab.anotherVisible()).toBe(false);
    b.now = true;
    shownTab.tell();
    expect(hiddenTab.anotherVisible()).toBe(true);
    // Gone while on screen: an unloading page's last visibility frame does not bring it back.
    shownTab.gone();
    shownTab.tell();
    expect(hiddenTab.anotherVisible()).toBe(false);
    // Back from the back/forward cache: on screen again.
    shownTab.back();
    expect(hiddenTab.anotherVisible()).toBe(true);
    shownTab.stop();
    expect(hiddenTab.anotherVisible()).toBe(false);
    hiddenTab.stop();
  });

  it("a tab opened later learns of the visible one by asking", () => {
    const shown = tab("vis-2", { now: true });
    shown.start();
    const later = tab("vis-2", { now: false });
    later.start();
    expect(later.anotherVisible()).toBe(true);
    shown.stop();
    later.stop();
  });
});
