import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { IDLE_AFTER_MS } from "../signals";
import { Signals } from "./signals";

describe("signals at runtime", () => {
  let now = 0;
  let sent: object[] = [];
  let signals: Signals;

  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_000;
    sent = [];
    signals = new Signals({ me: "alice", send: (f) => sent.push(f), now: () => now });
  });

  afterEach(() => {
    signals.stop();
    vi.useRealTimers();
  });

  it("shows a typer until 6 s of silence, and never me", () => {
    signals.onFrame({ type: "chat:typing", conversationId: "c1", userId: "bob" });
    signals.onFrame({ type: "chat:typing", conversationId: "c1", userId: "alice" });
    expect(signals.getSnapshot().typing.c1).toEqual(["bob"]);
    now += 6_000;
    vi.advanceTimersByTime(6_100);
    expect(signals.getSnapshot().typing.c1).toEqual([]);
  });

  it("drops a typer when their message arrives", () => {
    signals.onFrame({ type: "chat:typing", conversationId: "c1", userId: "bob" });
    signals.messageArrived("c1", "bob");
    expect(signals.getSnapshot().typing.c1).toEqual([]);
  });

  it("says I am typing at most every 3 s, and at once after I sent", () => {
    signals.composing("c1");
    now += 1_000;
    signals.composing("c1");
    expect(sent).toEqual([{ action: "typing", conversationId: "c1" }]);
    signals.sent("c1");
    signals.composing("c1");
    expect(sent).toHaveLength(2);
  });

  it("keeps presence from frames, my own status and choice from frames about me", () => {
    signals.onFrame({ type: "presence", users: [{ userId: "bob", status: "away" }], status: "online", away: false });
    expect(signals.getSnapshot()).toMatchObject({ presence: { bob: "away" }, myStatus: "online", away: false });
    signals.onFrame({ type: "chat:presence", users: [{ userId: "alice", status: "away" }], status: "away", away: true });
    expect(signals.getSnapshot()).toMatchObject({ myStatus: "away", away: true });
  });

  it("asks for the people on screen once they settle, and again on every new connection", () => {
    signals.show("dms", ["bob"]);
    signals.show("members", ["carol", "bob"]);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(300);
    expect(sent).toEqual([{ action: "presenceSubscribe", userIds: ["bob", "carol"] }]);
    signals.ready();
    expect(sent.at(-1)).toEqual({ action: "presenceSubscribe", userIds: ["bob", "carol"] });
  });

  it("sends my away choice and shows it at once", () => {
    signals.setAway(true);
    expect(sent).toEqual([{ action: "presence", away: true }]);
    expect(signals.getSnapshot()).toMatchObject({ away: true, myStatus: "away" });
  });

  it("reports this tab idle after 10 minutes without input, and active at the next input", () => {
    const tab = new EventTarget();
    signals.trackActivity(tab);
    vi.advanceTimersByTime(IDLE_AFTER_MS - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ action: "presence", idle: true }]);
    signals.ready();
    expect(sent.at(-1)).toEqual({ action: "presence", idle: true });
    tab.dispatchEvent(new Event("keydown"));
    expect(sent.at(-1)).toEqual({ action: "presence", idle: false });
    tab.dispatchEvent(new Event("pointermove"));
    expect(sent.filter((f) => JSON.stringify(f).includes("idle"))).toHaveLength(3);
  });
});
