// Browser-test harness: starts the local stack binary on a free port with its own data folder,
// and Debian's Chromium through playwright-core (no browser download).

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
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
  constructor() {
    this.dataDir = mkdtempSync(join(tmpdir(), "tenant-chat-e2e-"));
    this.process = null;
    this.port = 0;
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

export async function browser(name) {
  const profile = mkdtempSync(join(tmpdir(), `tenant-chat-${name}-`));
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 700 },
  });
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
  await page.locator(`[data-testid="connection-status"][data-status="${status}"]`).waitFor({ timeout });
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(OUTPUT, `${name}.png`) });
}

/** The bodies of the messages shown, in order. */
export async function bodies(page) {
  return page.getByTestId("message-body").allInnerTexts();
}

/** One local stack per test file, started before its tests and stopped (with every browser
 * context the file opened) after them. */
export function suite(before, after) {
  const stack = new LocalStack();
  const contexts = [];
  before(async () => {
    await stack.start();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await stack.stop();
  });
  return { stack, contexts };
}
