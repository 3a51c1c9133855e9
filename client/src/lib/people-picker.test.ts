import { describe, expect, it } from "vitest";

import { add, emptyPicker, isFull, MAX_OTHERS, onKey, remove, withQuery, withResults } from "./people-picker";
import type { UserProfile } from "./types";

const person = (id: string): UserProfile => ({ id, handle: id, displayName: id });
const [me, bob, carol, dave] = [person("me"), person("bob"), person("carol"), person("dave")];

describe("the people picker", () => {
  it("lists matches without me or anyone chosen, and ignores an answer to an older query", () => {
    let s = withQuery(add(emptyPicker(), bob), "b");
    s = withResults(s, "b", [me, bob, carol], "me");
    expect(s.results).toEqual([carol]);
    const typedOn = withQuery(s, "bo");
    expect(withResults(typedOn, "b", [dave], "me")).toBe(typedOn);
  });

  it("moves with the arrows, adds with Enter and starts over", () => {
    let s = withResults(withQuery(emptyPicker(), "x"), "x", [bob, carol, dave], "me");
    s = onKey(s, "ArrowDown").state;
    s = onKey(s, "ArrowDown").state;
    s = onKey(s, "ArrowDown").state;
    expect(s.highlighted).toBe(0);
    s = onKey(s, "ArrowUp").state;
    const entered = onKey(s, "Enter");
    expect(entered.handled).toBe(true);
    expect(entered.submit).toBeUndefined();
    expect(entered.state.chosen).toEqual([dave]);
    expect(entered.state.query).toBe("");
    expect(entered.state.results).toEqual([]);
  });

  it("removes the last chip with Backspace in an empty box only", () => {
    let s = add(add(emptyPicker(), bob), carol);
    expect(onKey(withQuery(s, "d"), "Backspace").handled).toBe(false);
    s = onKey(s, "Backspace").state;
    expect(s.chosen).toEqual([bob]);
    expect(remove(s, "bob").chosen).toEqual([]);
    expect(onKey(emptyPicker(), "Backspace").handled).toBe(false);
  });

  it("opens the conversation on Enter in an empty box once someone is chosen", () => {
    expect(onKey(emptyPicker(), "Enter").submit).toBeUndefined();
    expect(onKey(add(emptyPicker(), bob), "Enter").submit).toBe(true);
    expect(onKey(withQuery(add(emptyPicker(), bob), "zz"), "Enter").submit).toBeUndefined();
  });

  it("clears a query on the first Escape and leaves the second to the dialog", () => {
    const first = onKey(withQuery(emptyPicker(), "bo"), "Escape");
    expect([first.handled, first.state.query]).toEqual([true, ""]);
    expect(onKey(first.state, "Escape").handled).toBe(false);
  });

  it("takes at most seven others (eight people with me), each once", () => {
    let s = emptyPicker();
    for (let i = 0; i < 9; i++) s = add(s, person(`p${i}`));
    expect(s.chosen.length).toBe(MAX_OTHERS);
    expect(isFull(s)).toBe(true);
    expect(add(add(emptyPicker(), bob), bob).chosen).toEqual([bob]);
  });
});
