import { describe, expect, it } from "vitest";

import { rowKeyAction } from "./roving";

const plain = { shift: false, alt: false, ctrl: false };

describe("rowKeyAction", () => {
  it("moves between messages with the arrows, pages and ends", () => {
    expect(rowKeyAction("ArrowUp", plain)).toEqual({ kind: "move", by: -1 });
    expect(rowKeyAction("ArrowDown", plain)).toEqual({ kind: "move", by: 1 });
    expect(rowKeyAction("PageUp", plain)).toEqual({ kind: "move", by: -10 });
    expect(rowKeyAction("Home", plain)).toEqual({ kind: "move", by: 0, to: "first" });
    expect(rowKeyAction("End", plain)).toEqual({ kind: "move", by: 0, to: "last" });
  });

  it("presses the focused message's controls with letters", () => {
    expect(rowKeyAction("r", plain)).toEqual({ kind: "click", testId: "add-reaction" });
    expect(rowKeyAction("R", plain)).toEqual({ kind: "click", testId: "add-reaction" });
    expect(rowKeyAction("t", plain)).toEqual({ kind: "click", testId: "reply-in-thread" });
    expect(rowKeyAction("e", plain)).toEqual({ kind: "click", testId: "edit" });
    expect(rowKeyAction("Delete", plain)).toEqual({ kind: "click", testId: "delete" });
  });

  it("leaves the browser's and screen readers' shortcuts alone", () => {
    expect(rowKeyAction("r", { ...plain, ctrl: true })).toBeNull();
    expect(rowKeyAction("ArrowUp", { ...plain, alt: true })).toBeNull();
    expect(rowKeyAction("R", { ...plain, shift: true })).toBeNull();
    expect(rowKeyAction("x", plain)).toBeNull();
    expect(rowKeyAction("Tab", plain)).toBeNull();
  });
});
