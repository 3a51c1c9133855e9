import { afterEach, describe, expect, it, vi } from "vitest";

import { Api, ApiError } from "./api";
import { RENEW_MARGIN_MS, SESSION_ENDED, TokenSource, tokenExpiry } from "./auth-token";

/** An unsigned JWT-shaped token expiring at `expMs` (only `exp` is read on the client). */
function jwt(name: string, expMs: number): string {
  const part = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "RS256" })}.${part({ sub: name, exp: Math.floor(expMs / 1000) })}.sig`;
}

const NOW = 1_800_000_000_000;

describe("tokenExpiry", () => {
  it("reads exp from a JWT and nothing from other strings", () => {
    expect(tokenExpiry(jwt("a", NOW))).toBe(NOW);
    expect(tokenExpiry("not-a-jwt")).toBeNull();
    expect(tokenExpiry("a.%%%.c")).toBeNull();
  });
});

describe("TokenSource", () => {
  it("hands out the current token and renews first when it is about to expire", async () => {
    const renew = vi.fn(() => Promise.resolve(jwt("second", NOW + 60_000)));
    const source = new TokenSource(jwt("first", NOW + RENEW_MARGIN_MS + 1_000), renew, () => NOW);
    expect(await source.fresh()).toBe(jwt("first", NOW + RENEW_MARGIN_MS + 1_000));
    expect(renew).not.toHaveBeenCalled();

    const expiring = new TokenSource(jwt("first", NOW + 5_000), renew, () => NOW);
    expect(await expiring.fresh()).toBe(jwt("second", NOW + 60_000));
    expect(expiring.current()).toBe(jwt("second", NOW + 60_000));
    expect(renew).toHaveBeenCalledTimes(1);
  });

  it("tells listeners about a renewed token once", () => {
    const source = new TokenSource("a", null);
    const seen: string[] = [];
    source.onRenewed((t) => seen.push(t));
    source.update("b");
    source.update("b");
    expect(seen).toEqual(["b"]);
    expect(source.current()).toBe("b");
  });

  it("renews once for many refused requests at the same time", async () => {
    let release: (t: string) => void = () => {};
    const renew = vi.fn(() => new Promise<string | null>((r) => (release = r)));
    const source = new TokenSource("old", renew);
    const answers = Promise.all([source.refused("old"), source.refused("old"), source.refused("old")]);
    release("new");
    expect(await answers).toEqual(["new", "new", "new"]);
    expect(renew).toHaveBeenCalledTimes(1);
  });

  it("a request refused with a token already renewed retries with the new one, without renewing", async () => {
    const renew = vi.fn(() => Promise.resolve("newer"));
    const source = new TokenSource("old", renew);
    source.update("new");
    expect(await source.refused("old")).toBe("new");
    expect(renew).not.toHaveBeenCalled();
  });

  it("ends the session, saying so once, when renewal fails", async () => {
    const ended: string[] = [];
    const failing = new TokenSource("old", () => Promise.reject(new Error("invalid_grant")));
    failing.onEnded((m) => ended.push(m));
    expect(await failing.refused("old")).toBeNull();
    expect(await failing.refused("old")).toBeNull();
    expect(ended).toEqual([SESSION_ENDED]);
    expect(failing.isEnded).toBe(true);

    // Development tokens cannot be renewed at all.
    const dev = new TokenSource("dev", null);
    expect(await dev.refused("dev")).toBeNull();
    expect(dev.isEnded).toBe(true);
  });
});

describe("Api with a TokenSource", () => {
  afterEach(() => vi.unstubAllGlobals());

  /** A fetch that answers 401 to the tokens in `refused` and records the bearer of each call. */
  function server(refused: Set<string>) {
    const bearers: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn((_url: string, init: RequestInit) => {
        const bearer = String((init.headers as Record<string, string>).authorization).replace("Bearer ", "");
        bearers.push(bearer);
        const status = refused.has(bearer) ? 401 : 200;
        const body = status === 401 ? { error: { code: "unauthenticated", message: "token expired" } } : { userId: "alice" };
        return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } }));
      }),
    );
    return bearers;
  }

  it("asks for the token at every request (a renewal in between is used)", async () => {
    const bearers = server(new Set());
    const source = new TokenSource("one", null);
    const api = new Api("", source);
    await api.me();
    source.update("two");
    await api.me();
    expect(bearers).toEqual(["one", "two"]);
  });

  it("a 401 renews once and sends the request again with the new token", async () => {
    const bearers = server(new Set(["expired"]));
    const renew = vi.fn(() => Promise.resolve("renewed"));
    const api = new Api("", new TokenSource("expired", renew));
    expect(await api.me()).toEqual({ userId: "alice" });
    expect(bearers).toEqual(["expired", "renewed"]);
    expect(renew).toHaveBeenCalledTimes(1);
  });

  it("a renewed token refused too ends the session instead of renewing again", async () => {
    const bearers = server(new Set(["expired", "renewed"]));
    const renew = vi.fn(() => Promise.resolve("renewed"));
    const source = new TokenSource("expired", renew);
    const ended: string[] = [];
    source.onEnded((m) => ended.push(m));
    const api = new Api("", source);
    await expect(api.me()).rejects.toMatchObject({ status: 401 });
    expect(bearers).toEqual(["expired", "renewed"]);
    expect(renew).toHaveBeenCalledTimes(1);
    expect(ended).toEqual([SESSION_ENDED]);
    // Once ended, nothing more goes out with the dead session.
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    expect(bearers).toHaveLength(2);
  });

  it("a failed renewal ends the session after one attempt", async () => {
    const bearers = server(new Set(["expired"]));
    const source = new TokenSource("expired", () => Promise.resolve(null));
    const api = new Api("", source);
    await expect(api.me()).rejects.toMatchObject({ status: 401 });
    expect(bearers).toEqual(["expired"]);
    expect(source.isEnded).toBe(true);
  });
});
