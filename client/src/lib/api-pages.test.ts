import { afterEach, describe, expect, it, vi } from "vitest";

import { Api } from "./api";
import { TokenSource } from "./auth-token";

/** A fetch serving `pages` of items by `cursor` (the first page without one), recording URLs. */
function pagedServer(pages: { items: { key: string }[]; nextCursor?: string }[]) {
  const urls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string) => {
      urls.push(url);
      const cursor = new URL(url, "http://x").searchParams.get("cursor");
      const index = cursor === null ? 0 : Number(cursor);
      return Promise.resolve(new Response(JSON.stringify(pages[index]), { status: 200, headers: { "content-type": "application/json" } }));
    }),
  );
  return urls;
}

describe("paged listings", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("the archive listing follows every page the server answers with", async () => {
    const urls = pagedServer([
      { items: [{ key: "a" }, { key: "b" }], nextCursor: "1" },
      { items: [{ key: "c" }], nextCursor: "2" },
      { items: [{ key: "d" }] },
    ]);
    const api = new Api("", new TokenSource("t", null));
    const { items } = await api.archive("C1", "2026-12-01");
    expect(items.map((f) => f.key)).toEqual(["a", "b", "c", "d"]);
    expect(urls).toHaveLength(3);
    expect(urls.every((u) => u.includes("from=2026-12-01") && u.includes("limit=100"))).toBe(true);
    expect(urls[2]).toContain("cursor=2");
  });

  it("members come one page at a time, the cursor passed through", async () => {
    const urls = pagedServer([{ items: [{ key: "alice" }], nextCursor: "1" }, { items: [{ key: "bob" }] }]);
    const api = new Api("", new TokenSource("t", null));
    const first = await api.members("C1");
    expect(first.nextCursor).toBe("1");
    const second = await api.members("C1", first.nextCursor);
    expect(second.nextCursor).toBeUndefined();
    expect(urls).toEqual(["/api/v1/chat/channels/C1/members?limit=100", "/api/v1/chat/channels/C1/members?limit=100&cursor=1"]);
  });

  it("search sends the browser's time zone for day operators", async () => {
    const urls = pagedServer([{ items: [] }]);
    const api = new Api("", new TokenSource("t", null));
    await api.search("on:2026-12-01 deploy OR release");
    const sent = new URL(urls[0] ?? "", "http://x").searchParams;
    expect(sent.get("q")).toBe("on:2026-12-01 deploy OR release");
    expect(sent.get("tz")).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    await api.search("x", undefined, "newest", "Asia/Tokyo");
    expect(new URL(urls[1] ?? "", "http://x").searchParams.get("tz")).toBe("Asia/Tokyo");
  });
});
