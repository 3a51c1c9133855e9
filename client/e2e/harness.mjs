// Browser-test harness: starts the local stack binary on a free port with its own data folder,
// and Debian's Chromium through playwright-core (no browser download).

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { chromium } from "playwright-core";

export const OUTPUT = process.env.TEST_OUTPUT ?? resolve("test-output");
mkdirSync(OUTPUT, { recursive: true });

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Temporary folders (stacks' data, browsers' profiles) removed when the test process exits, so a
 * run leaves nothing in /tmp: not earlier, as a closed browser may still be writing its profile. */
const leftBehind = new Set();
process.once("exit", () => {
  for (const dir of leftBehind) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Still in use by a process that outlived the test: the system's tmp cleaning takes it.
    }
  }
});

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

export class LocalStack {
  /** `env`: extra environment for the stack (e.g. JWT_ISSUER, JWT_AUDIENCE, JWKS_URL for an
   * external OIDC provider); may be set until `start()`. */
  constructor(env = {}) {
    this.dataDir = mkdtempSync(join(tmpdir(), "tenant-chat-e2e-"));
    this.process = null;
    this.port = 0;
    this.env = env;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    const bin = process.env.SERVER_BIN ?? resolve("../target/debug/tenant-chat-local");
    this.process = spawn(bin, [], {
      env: {
        ...process.env,
        LOCAL_ADDR: `127.0.0.1:${this.port}`,
        DATA_DIR: this.dataDir,
        CLIENT_DIST: process.env.CLIENT_DIST ?? resolve("dist"),
        SEED_DEMO: "true",
        RUST_LOG: "warn",
        ...this.env,
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(`${this.url}/api/v1/health`);
        if (r.ok) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error("local stack did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop() {
    const p = this.process;
    if (!p || p.exitCode !== null) return;
    await new Promise((done) => {
      p.once("exit", done);
      p.kill("SIGKILL");
    });
    this.process = null;
  }

  /** Stops the stack for good; its data folder goes when the test process exits. */
  async dispose() {
    await this.stop();
    leftBehind.add(this.dataDir);
  }

  async token(tenantId, userId, displayName) {
    const r = await fetch(`${this.url}/api/v1/dev/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenantId, userId, displayName }),
    });
    return (await r.json()).token;
  }

  async api(token, method, path, body) {
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }
}

/** `viewport`: e.g. { width: 390, height: 844 } for a phone-sized window; `timezoneId`: the
 * browser's time zone (e.g. "Pacific/Kiritimati"; the machine's by default). */
export async function browser(name, { viewport = { width: 1100, height: 700 }, timezoneId } = {}) {
  const profile = mkdtempSync(join(tmpdir(), `tenant-chat-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    viewport,
    acceptDownloads: true,
    ...(timezoneId ? { timezoneId } : {}),
  });
  leftBehind.add(profile);
  return context;
}

/** The id of the caller's conversation named `name` (a channel). */
export async function conversationId(stack, token, name) {
  const { body } = await stack.api(token, "GET", "/api/v1/chat/conversations");
  const found = body.items.find((c) => c.name === name);
  if (!found) throw new Error(`no conversation #${name}`);
  return found.id;
}

/** Posts `texts` through the HTTP API (the stack should run with RATE_LIMIT_SENDS=off and
 * RATE_LIMIT_CONVERSATION_WRITES=off). With
 * `concurrency` 1 they keep their order; more is faster and the order is the server's. */
export async function seedMessages(stack, token, conversation, texts, { concurrency = 1 } = {}) {
  const sent = new Array(texts.length);
  let next = 0;
  const worker = async () => {
    while (next < texts.length) {
      const i = next++;
      const r = await stack.api(token, "POST", `/api/v1/chat/conversations/${conversation}/messages`, { clientMessageId: crypto.randomUUID(), body: texts[i], mentions: [] });
      if (r.status !== 200 && r.status !== 201) throw new Error(`seed send: ${r.status} ${JSON.stringify(r.body)}`);
      sent[i] = r.body;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sent;
}

/** Where an element is on screen, and whether it lies inside the window. */
export async function onScreen(locator) {
  const box = await locator.boundingBox();
  const view = locator.page().viewportSize();
  if (!box || !view) return { box, inside: false };
  return { box, inside: box.x >= 0 && box.y >= 0 && box.x + box.width <= view.width + 0.5 && box.y + box.height <= view.height + 0.5 };
}

/** The page's own scroll size against the window (a page that never scrolls has them equal). */
export async function pageScroll(page) {
  return page.evaluate(() => ({
    scrollHeight: document.documentElement.scrollHeight,
    scrollWidth: document.documentElement.scrollWidth,
    innerHeight: window.innerHeight,
    innerWidth: window.innerWidth,
    scrollY: window.scrollY,
  }));
}

/** Opens the page as a demo user and waits for the chat to be connected. */
export async function signIn(context, stack, userId) {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(stack.url);
  await page.getByTestId(`signin-${userId}`).click();
  await page.getByTestId("chat").waitFor();
  await waitForStatus(page, "connected");
  return page;
}

export async function waitForStatus(page, status, timeout = 20_000) {
  // Attached, not visible: a phone's first pane is the conversation list, without the header.
  await page.locator(`[data-testid="connection-status"][data-status="${status}"]`).waitFor({ state: "attached", timeout });
}

/** Shows the conversation list: a phone's first pane (its Back control goes there from a
 * conversation), a drawer in a mid-size window (☰), there all along on a wide screen. */
export async function showConversationList(page) {
  const back = page.getByTestId("pane-back");
  const toggle = page.getByTestId("nav-toggle");
  if (await back.isVisible()) await back.click();
  else if (await toggle.isVisible()) await toggle.click();
  await page.locator("nav.sidebar .conv").first().waitFor();
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(OUTPUT, `${name}.png`) });
}

/** The bodies of the messages shown, in order. */
export async function bodies(page) {
  return page.getByTestId("message-body").allInnerTexts();
}

/** One local stack per test file, started before its tests (after `prepare(stack)`) and stopped
 * (with every browser context the file opened) after them. */
export function suite(before, after, prepare = async () => {}) {
  const stack = new LocalStack();
  const contexts = [];
  before(async () => {
    // E.g. start an identity provider and pass it in `stack.env` (a top-level await in the test
    // file would let the hooks start before the file had set things up).
    await prepare(stack);
    await stack.start();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await stack.dispose();
  });
  return { stack, contexts };
}

/** The data-testid of the focused element. */
export async function focusedTestId(page) {
  return page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? null);
}

/** Moves focus with Tab alone (Shift+Tab with `backward`) until `target` (a locator, or a
 * data-testid) has it, as a keyboard-only person does; fails if `max` presses never reach it. */
export async function tabTo(page, target, { max = 80, backward = false } = {}) {
  const locator = typeof target === "string" ? page.getByTestId(target) : target;
  for (let i = 0; i < max; i++) {
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press(backward ? "Shift+Tab" : "Tab");
  }
  throw new Error(`${max} presses of Tab never reached ${target}`);
}

/** Browser notifications, recorded (headless Chromium shows none): `window.Notification` is
 * wrapped so each one shown is kept in `window.__notifications` ({title, body, tag, onclick}),
 * and `requestPermission` calls are counted in `window.__permissionRequests`. Also lets a test
 * hide the page: headless Chromium keeps every page "visible" whatever is in front (another
 * page brought to front, Target.createTarget in the same window, Browser.setWindowBounds
 * minimized, Emulation.setFocusEmulationEnabled and Page.setWebLifecycleState all leave
 * `document.visibilityState` at "visible"), so `setHidden(page, true)` overrides
 * `visibilityState`/`hidden` and fires `visibilitychange` as a real switch of tabs does. */
export async function recordNotifications(context) {
  await context.addInitScript(() => {
    const Real = window.Notification;
    const shown = [];
    window.__notifications = shown;
    window.__permissionRequests = 0;
    class Recorded {
      constructor(title, options = {}) {
        this.title = title;
        this.body = options.body ?? "";
        this.tag = options.tag ?? "";
        this.onclick = null;
        shown.push(this);
      }
      close() {}
      static get permission() {
        return Real ? Real.permission : "denied";
      }
      static requestPermission() {
        window.__permissionRequests += 1;
        return Real ? Real.requestPermission() : Promise.resolve("denied");
      }
    }
    Object.defineProperty(window, "Notification", { value: Recorded, configurable: true, writable: true });
    let hidden = null;
    const state = Object.getOwnPropertyDescriptor(Document.prototype, "visibilityState");
    const isHidden = Object.getOwnPropertyDescriptor(Document.prototype, "hidden");
    Object.defineProperty(Document.prototype, "visibilityState", {
      configurable: true,
      get() {
        return hidden === null ? state.get.call(this) : hidden ? "hidden" : "visible";
      },
    });
    Object.defineProperty(Document.prototype, "hidden", {
      configurable: true,
      get() {
        return hidden === null ? isHidden.get.call(this) : hidden;
      },
    });
    window.__setHidden = (h) => {
      hidden = h;
      document.dispatchEvent(new Event("visibilitychange"));
    };
  });
}

/** The notifications a page has shown (see recordNotifications). */
export async function notifications(page) {
  return page.evaluate(() => window.__notifications.map(({ title, body, tag }) => ({ title, body, tag })));
}

/** Hides or shows the page as switching tabs would (see recordNotifications). */
export async function setHidden(page, hidden) {
  await page.evaluate((h) => window.__setHidden(h), hidden);
}

/** Another tab of a context's user: the sign-in is per tab (sessionStorage), as in a browser. */
export async function openTab(context, stack, userId) {
  const page = await context.newPage();
  await page.goto(stack.url);
  await page.getByTestId(`signin-${userId}`).click();
  await page.getByTestId("chat").waitFor();
  await waitForStatus(page, "connected");
  return page;
}
