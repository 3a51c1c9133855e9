// Browser tests of sign-in through a real OpenID Connect provider started on loopback
// (oidc-provider: code flow + PKCE, RS256 ID tokens shaped like Cognito's, living 60 s), with the
// local stack verifying them against the provider's JWKS. A three-minute session renews its
// token by refresh token several times, the socket stays live and no message is lost; reload
// keeps the session and the conversation; sign-out ends the provider's session too. A refused
// renewal returns to sign-in with a message, and the draft survives signing in again.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { bodies, browser, freePort, screenshot, signIn, suite, waitForStatus } from "./harness.mjs";
import { OidcProvider } from "./oidc-provider.mjs";

const CLIENT_ID = "tenant-chat-web";
const PASSWORD = "correct horse battery staple";
const SESSION_MS = Number(process.env.OIDC_SESSION_MS ?? 180_000);

/** Started with the stack: its client's addresses are the stack's page. */
let idp;
const { stack, contexts } = suite(before, after, async (stack) => {
  stack.port = await freePort();
  idp = new OidcProvider({
    port: await freePort(),
    clientId: CLIENT_ID,
    redirectUris: [`${stack.url}/`],
    tokenSeconds: 60,
    users: {
      alice: {
        password: PASSWORD,
        claims: {
          sub: "alice",
          "custom:tenant_id": "acme",
          "cognito:groups": ["admin"],
          name: "Alice Anderson",
          email: "alice@acme.example",
          preferred_username: "alice",
        },
      },
    },
  });
  await idp.start();
  // The stack verifies the provider's RS256 tokens against its JWKS.
  stack.env = { JWT_ISSUER: idp.issuer, JWT_AUDIENCE: CLIENT_ID, JWKS_URL: idp.jwksUri };
});
after(async () => {
  await idp?.stop();
});

async function generalId() {
  const token = await stack.token("acme", "bob", "Bob Brown");
  const { body } = await stack.api(token, "GET", "/api/v1/chat/conversations");
  const general = body.items.find((c) => c.name === "general");
  assert.ok(general, "seeded #general");
  return general.id;
}

/** Fills the provider's login form as a person would. */
async function loginAtProvider(page, name) {
  await page.waitForURL((u) => u.href.startsWith(idp.issuer), { timeout: 15_000 });
  const form = page.getByTestId("idp-login");
  await form.waitFor();
  await screenshot(page, `${name}-provider-login`);
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function send(page, text) {
  await page.getByTestId("composer").fill(text);
  await page.getByTestId("composer").press("Enter");
}

async function shownOnce(page, text, timeout = 15_000) {
  await page.getByTestId("message-body").filter({ hasText: text }).first().waitFor({ timeout });
  const count = (await bodies(page)).filter((b) => b === text).length;
  assert.equal(count, 1, `"${text}" shown ${count} times`);
}

/** Every message of the open conversation, by id, scrolling through the list from the top (a
 * virtualised list holds only what is on screen). */
async function allMessages(page) {
  const seen = new Map();
  await page.evaluate(() => {
    let el = document.querySelector('[data-testid="message"]');
    while (el && !(el.scrollHeight > el.clientHeight && /(auto|scroll)/.test(getComputedStyle(el).overflowY))) el = el.parentElement;
    window.__messageScroller = el;
    if (el) el.scrollTop = 0;
  });
  for (let step = 0; step < 200; step++) {
    await page.waitForTimeout(150);
    const items = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="message"]')].map((m) => [m.getAttribute("data-message-id"), m.querySelector('[data-testid="message-body"]')?.textContent ?? ""]),
    );
    for (const [id, body] of items) seen.set(id, body);
    const done = await page.evaluate(() => {
      const el = window.__messageScroller;
      if (!el || el.scrollTop + el.clientHeight >= el.scrollHeight - 2) return true;
      el.scrollTop += el.clientHeight * 0.7;
      return false;
    });
    if (done) break;
  }
  return [...seen.values()];
}

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
}

test("the local stack serves the page a config.json naming the provider", async () => {
  const r = await fetch(`${stack.url}/config.json`);
  assert.equal(r.status, 200);
  const config = await r.json();
  assert.equal(config.oidc?.authority, idp.issuer);
  assert.equal(config.oidc?.clientId, CLIENT_ID);
  assert.equal(config.devSignIn, true, "demo sign-in stays on the local stack");
});

test("signed in through the provider, a three-minute session renews its 60 s token, stays live and loses nothing; reload keeps it; sign-out ends the provider's session", async () => {
  const general = await generalId();
  const aliceContext = await browser("oidc-alice");
  contexts.push(aliceContext);
  const alice = await aliceContext.newPage();
  // A link to the conversation: it must survive the trip to the provider and back.
  await alice.goto(`${stack.url}/#/c/${general}`);
  await alice.getByTestId("signin-oidc").waitFor();
  await screenshot(alice, "oidc-1-signin-page");
  await alice.getByTestId("signin-oidc").click();
  await loginAtProvider(alice, "oidc-2");
  await alice.getByTestId("chat").waitFor({ timeout: 20_000 });
  await waitForStatus(alice, "connected");
  assert.equal(await alice.getByTestId("conversation-title").innerText(), "#general");
  assert.equal(new URL(alice.url()).hash, `#/c/${general}`);
  assert.equal(new URL(alice.url()).search, "", "the provider's code is gone from the address");
  assert.equal(await alice.getByTestId("me").innerText(), "Alice Anderson");
  await screenshot(alice, "oidc-3-signed-in");

  const first = idp.idTokens.at(-1);
  assert.ok(first, "the provider issued an ID token");
  const claims = claimsOf(first);
  assert.equal(claims.aud, CLIENT_ID);
  assert.equal(claims["custom:tenant_id"], "acme");
  assert.deepEqual(claims["cognito:groups"], ["admin"]);
  assert.ok(claims.exp - claims.iat <= 60, "the ID token lives a minute");

  const bobContext = await browser("oidc-bob");
  contexts.push(bobContext);
  const bob = await signIn(bobContext, stack, "bob");
  await bob.getByTestId("conv-general").click();

  // Messages both ways, every ten seconds, for the whole session: each must arrive live on
  // the other side (no reload) while the tokens renew underneath.
  const refreshesBefore = idp.count("refresh_token");
  const sent = [];
  const started = Date.now();
  for (let i = 1; Date.now() - started < SESSION_MS; i++) {
    const fromAlice = `alice ${i} at ${Math.round((Date.now() - started) / 1000)} s`;
    await send(alice, fromAlice);
    await shownOnce(bob, fromAlice);
    const fromBob = `bob ${i} at ${Math.round((Date.now() - started) / 1000)} s`;
    await send(bob, fromBob);
    await shownOnce(alice, fromBob);
    sent.push(fromAlice, fromBob);
    if (i === 9) await screenshot(alice, "oidc-4-mid-session");
    await alice.waitForTimeout(10_000);
  }
  const refreshes = idp.count("refresh_token") - refreshesBefore;
  assert.ok(refreshes >= 2, `the token was renewed ${refreshes} times in ${SESSION_MS / 1000} s`);
  const tokens = new Set(idp.idTokens);
  assert.ok(tokens.size >= 3, `${tokens.size} distinct ID tokens`);
  await waitForStatus(alice, "connected", 1_000);
  await waitForStatus(bob, "connected", 1_000);
  // A last message after the renewals: still live.
  await send(bob, "still live at the end");
  await shownOnce(alice, "still live at the end", 5_000);
  sent.push("still live at the end");
  await screenshot(alice, "oidc-5-after-three-minutes-alice");
  await screenshot(bob, "oidc-5-after-three-minutes-bob");
  for (const page of [alice, bob]) {
    const shown = await allMessages(page);
    for (const text of sent) {
      assert.equal(shown.filter((b) => b === text).length, 1, `"${text}" shown once`);
    }
  }

  // Reload: still signed in (no trip to the provider), on the same conversation.
  const logins = idp.logins.length;
  await alice.reload();
  await alice.getByTestId("chat").waitFor();
  await waitForStatus(alice, "connected");
  assert.equal(await alice.getByTestId("conversation-title").innerText(), "#general");
  assert.equal(new URL(alice.url()).hash, `#/c/${general}`);
  assert.equal(idp.logins.length, logins, "no new login at the provider");
  await shownOnce(alice, "still live at the end");
  await screenshot(alice, "oidc-6-reloaded");

  // Sign out: the provider's session ends too, so signing in again asks for the password.
  await alice.getByRole("button", { name: "Sign out" }).click();
  await alice.waitForURL((u) => u.href.startsWith(idp.issuer), { timeout: 15_000 });
  await screenshot(alice, "oidc-7-provider-sign-out");
  await alice.getByRole("button", { name: "Yes, sign me out" }).click();
  await alice.waitForURL((u) => u.href.startsWith(stack.url), { timeout: 15_000 });
  await alice.getByTestId("signin-oidc").waitFor();
  assert.equal(await alice.getByTestId("chat").count(), 0);
  await screenshot(alice, "oidc-8-signed-out");
  await alice.getByTestId("signin-oidc").click();
  await alice.waitForURL((u) => u.href.startsWith(idp.issuer), { timeout: 15_000 });
  await alice.getByLabel("Password").waitFor();
  assert.ok(await alice.getByLabel("Password").isVisible(), "the provider asks for the password again");
  await screenshot(alice, "oidc-9-password-asked-again");
});

test("a token that cannot be renewed returns to sign-in with a message; the draft is still there after signing in again", async () => {
  const general = await generalId();
  const context = await browser("oidc-alice-2");
  contexts.push(context);
  const alice = await context.newPage();
  await alice.goto(`${stack.url}/#/c/${general}`);
  await alice.getByTestId("signin-oidc").click();
  await loginAtProvider(alice, "oidc-expiry");
  await alice.getByTestId("chat").waitFor({ timeout: 20_000 });
  await waitForStatus(alice, "connected");

  // A draft in #random, then back to #general.
  await alice.getByTestId("conv-random").click();
  await alice.getByTestId("composer").fill("A thought I have not finished");
  await alice.getByTestId("conv-general").click();
  assert.equal(await alice.getByTestId("conversation-title").innerText(), "#general");

  // The provider refuses refreshes from now on; once the ID token has expired the API refuses
  // it, the one renewal fails, and the page goes back to sign-in saying why.
  idp.refusing = true;
  const exp = claimsOf(idp.idTokens.at(-1)).exp * 1000;
  // The server allows a minute of clock skew past `exp` (jsonwebtoken's default leeway).
  await alice.waitForTimeout(Math.max(0, exp - Date.now()) + 62_000);
  // Anything that asks the API: here, the channel browser.
  await alice.getByTestId("browse-channels").click();
  const notice = alice.getByTestId("signin-notice");
  await notice.waitFor({ timeout: 30_000 });
  assert.match(await notice.innerText(), /session has ended/i);
  await screenshot(alice, "oidc-expiry-1-back-at-sign-in");

  // Signing in again: the provider's session still stands (no password), the page comes back
  // to the conversation and the draft.
  idp.refusing = false;
  await alice.getByTestId("signin-oidc").click();
  await alice.getByTestId("chat").waitFor({ timeout: 20_000 });
  await waitForStatus(alice, "connected");
  await alice.getByTestId("conv-random").click();
  assert.equal(await alice.getByTestId("composer").inputValue(), "A thought I have not finished");
  await screenshot(alice, "oidc-expiry-2-draft-kept");
});
