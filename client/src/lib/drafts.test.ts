import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { clearDrafts, draftConversations, draftsVersion, loadDraft, saveDraft, subscribeDrafts, threadDraftKey } from "./drafts";

/** A Storage over a Map (the tests run in Node, without a browser's localStorage). */
class MemoryStorage implements Storage {
  private readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
}

let local: MemoryStorage;
beforeEach(() => {
  local = new MemoryStorage();
  vi.stubGlobal("localStorage", local);
  vi.stubGlobal("sessionStorage", new MemoryStorage());
  vi.stubGlobal("window", new EventTarget());
});
afterEach(() => vi.unstubAllGlobals());

describe("drafts", () => {
  it("keeps a draft per user, per conversation and per thread, in localStorage (it outlives the tab)", () => {
    saveDraft("alice", "C1", "half a thought");
    saveDraft("alice", threadDraftKey("C1", "R1"), "a reply");
    saveDraft("bob", "C1", "bob's words");
    expect(loadDraft("alice", "C1")).toBe("half a thought");
    expect(loadDraft("alice", threadDraftKey("C1", "R1"))).toBe("a reply");
    expect(loadDraft("bob", "C1")).toBe("bob's words");
    expect(loadDraft("alice", "C2")).toBe("");
    expect(local.length).toBe(3);
  });

  it("forgets a draft emptied or left as whitespace", () => {
    saveDraft("alice", "C1", "text");
    saveDraft("alice", "C1", "  \n ");
    expect(loadDraft("alice", "C1")).toBe("");
    expect(local.length).toBe(0);
  });

  it("names the conversations holding my drafts (a thread's counts for its conversation)", () => {
    saveDraft("alice", "C1", "x");
    saveDraft("alice", threadDraftKey("C2", "R"), "y");
    saveDraft("bob", "C3", "z");
    expect([...draftConversations("alice")].sort()).toEqual(["C1", "C2"]);
    // An owner is `tenant/user`: the same user id in another tenant holds none of them.
    saveDraft("acme/alice", "C4", "w");
    expect([...draftConversations("acme/alice")]).toEqual(["C4"]);
    expect(draftConversations("globex/alice").size).toBe(0);
    expect([...draftConversations("bob")]).toEqual(["C3"]);
  });

  it("tells subscribers of changes here and in other tabs, and only of changes", () => {
    const told = vi.fn();
    const stop = subscribeDrafts(told);
    const before = draftsVersion();
    saveDraft("alice", "C1", "x");
    saveDraft("alice", "C1", "x");
    expect(told).toHaveBeenCalledTimes(1);
    expect(draftsVersion()).toBe(before + 1);
    const other = Object.assign(new Event("storage"), { key: "tenant-chat.draft.alice/C9" });
    window.dispatchEvent(other);
    window.dispatchEvent(Object.assign(new Event("storage"), { key: "unrelated" }));
    expect(told).toHaveBeenCalledTimes(2);
    stop();
    saveDraft("alice", "C1", "");
    expect(told).toHaveBeenCalledTimes(2);
  });

  it("goes with sign-out, every user's", () => {
    saveDraft("alice", "C1", "x");
    saveDraft("bob", "C1", "y");
    local.setItem("tenant-chat.outbox", "kept");
    clearDrafts();
    expect(draftConversations("alice").size).toBe(0);
    expect(loadDraft("bob", "C1")).toBe("");
    expect(local.getItem("tenant-chat.outbox")).toBe("kept");
  });
});
