// Browser tests in Debian's Chromium: real-time chat between two people, isolation from another
// tenant, a server restart mid-conversation (a send meanwhile waits and goes out by itself), and a
// refused send that is retried.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { gunzipSync } from "node:zlib";

import { bodies, browser, screenshot, signIn, suite, waitForStatus } from "./harness.mjs";

const { stack, contexts } = suite(before, after);

async function person(userId) {
  const context = await browser(userId);
  contexts.push(context);
  return signIn(context, stack, userId);
}

async function send(page, text) {
  await page.getByTestId("composer").fill(text);
  await page.getByTestId("composer").press("Enter");
}

async function expectOnce(page, text, timeout = 15_000) {
  await page.getByTestId("message-body").filter({ hasText: text }).first().waitFor({ timeout });
  const count = (await bodies(page)).filter((b) => b === text).length;
  assert.equal(count, 1, `"${text}" shown ${count} times`);
}

test("two people chat in real time and another tenant sees none of it", async () => {
  const alice = await person("alice");
  const bob = await person("bob");
  const dave = await person("dave");
  for (const page of [alice, bob]) {
    await page.getByTestId("conv-general").click();
    assert.equal(await page.getByTestId("conversation-title").innerText(), "#general");
  }
  await send(alice, "Hello Bob, this is live");
  await expectOnce(bob, "Hello Bob, this is live");
  await expectOnce(alice, "Hello Bob, this is live");
  await alice.locator('[data-testid="message"][data-state="sent"]').first().waitFor();
  await send(bob, "Hi Alice!\nTwo lines, Shift+Enter style");
  await expectOnce(alice, "Hi Alice!\nTwo lines, Shift+Enter style");

  // Edit and delete own messages, seen live by the other person.
  const mine = alice.locator('[data-testid="message"]').filter({ hasText: "Hello Bob, this is live" });
  await mine.hover();
  await mine.getByTestId("edit").click();
  await alice.getByTestId("edit-input").fill("Hello Bob, edited");
  await alice.getByTestId("edit-input").press("Enter");
  await alice.getByRole("button", { name: "Save" }).click().catch(() => {});
  await expectOnce(bob, "Hello Bob, edited");

  await screenshot(alice, "alice-general");
  await screenshot(bob, "bob-general");

  // Dave (globex) has his own #general: nothing of acme's reaches him.
  await dave.getByTestId("conv-general").click();
  await new Promise((r) => setTimeout(r, 500));
  const daveText = await dave.locator("body").innerText();
  assert.ok(!daveText.includes("Hello Bob"), "another tenant must see nothing");
  assert.ok(!daveText.includes("Hi Alice"), "another tenant must see nothing");
  assert.ok(!daveText.includes("leadership"), "nor acme's channels");
  await screenshot(dave, "dave-globex");
});

test("a server restart: reconnecting, then connected, and messages sent meanwhile appear once", async () => {
  const alice = contexts[0].pages()[0];
  const bob = contexts[1].pages()[0];
  await stack.stop();
  await waitForStatus(alice, "reconnecting");
  await waitForStatus(bob, "reconnecting");
  await screenshot(alice, "alice-reconnecting");

  // A send while the server is down does not fail: it waits, pending, in the outbox.
  await send(alice, "Sent while the server was down");
  const waiting = alice.locator('[data-testid="message"]').filter({ hasText: "Sent while the server was down" });
  await waiting.waitFor();
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(await waiting.getAttribute("data-state"), "pending");
  assert.equal(await alice.getByTestId("failed").count(), 0);
  await screenshot(alice, "alice-pending-send");

  await stack.start();
  // Messages sent by someone else while the clients are still reconnecting.
  const bobToken = await stack.token("acme", "bob", "Bob Brown");
  const { body: list } = await stack.api(bobToken, "GET", "/api/v1/chat/conversations");
  const general = list.items.find((c) => c.name === "general").id;
  for (let i = 1; i <= 3; i++) {
    const r = await stack.api(bobToken, "POST", `/api/v1/chat/conversations/${general}/messages`, {
      clientMessageId: `meanwhile-${i}`,
      body: `Meanwhile ${i}`,
    });
    assert.equal(r.status, 201);
  }
  await waitForStatus(alice, "connected", 30_000);
  await waitForStatus(bob, "connected", 30_000);
  for (const page of [alice, bob]) {
    for (let i = 1; i <= 3; i++) await expectOnce(page, `Meanwhile ${i}`);
  }

  // Back: it went out by itself (no click), once for both people.
  await alice.locator('[data-testid="message"][data-state="sent"]').filter({ hasText: "Sent while the server was down" }).waitFor({ timeout: 15_000 });
  await expectOnce(alice, "Sent while the server was down");
  await expectOnce(bob, "Sent while the server was down");

  // A send the server refuses fails with its reason and a Retry button; Retry sends it again
  // with the same client message id, and it lands once.
  const refuse = (route) =>
    route.request().method() === "POST"
      ? route.fulfill({ status: 400, contentType: "application/json", body: JSON.stringify({ error: { code: "invalid_input", message: "refused for the test" } }) })
      : route.fallback();
  await alice.route("**/api/v1/chat/conversations/*/messages", refuse);
  await send(alice, "Refused, then retried");
  await alice.getByTestId("failed").filter({ hasText: "refused for the test" }).waitFor({ timeout: 10_000 });
  await screenshot(alice, "alice-failed-send");
  await alice.unroute("**/api/v1/chat/conversations/*/messages", refuse);
  await alice.getByTestId("retry").click();
  await alice.locator('[data-testid="message"][data-state="sent"]').filter({ hasText: "Refused, then retried" }).waitFor({ timeout: 10_000 });
  await expectOnce(alice, "Refused, then retried");
  await expectOnce(bob, "Refused, then retried");
  assert.equal(await alice.getByTestId("failed").count(), 0);
  await screenshot(alice, "alice-after-restart");
  await screenshot(bob, "bob-after-restart");
});

test("a removed member gets a toast and the channel leaves the sidebar", async () => {
  const alice = contexts[0].pages()[0];
  const bob = contexts[1].pages()[0];
  await bob.getByTestId("conv-leadership").waitFor();
  const aliceToken = await stack.token("acme", "alice", "Alice Anderson");
  const { body: list } = await stack.api(aliceToken, "GET", "/api/v1/chat/conversations");
  const leadership = list.items.find((c) => c.name === "leadership").id;
  const r = await stack.api(aliceToken, "DELETE", `/api/v1/chat/channels/${leadership}/members/bob`);
  assert.equal(r.status, 204);
  await bob.getByTestId("toast").filter({ hasText: "You were removed from #leadership" }).waitFor({ timeout: 10_000 });
  await bob.getByTestId("conv-leadership").waitFor({ state: "detached", timeout: 10_000 });
  await screenshot(bob, "bob-removed");
  assert.ok(alice);
});

test("search finds a message and opens the conversation at it", async () => {
  const alice = contexts[0].pages()[0];
  await alice.getByTestId("conv-random").click();
  await alice.getByTestId("search-input").fill("shift");
  await alice.getByTestId("search-input").press("Enter");
  const result = alice.getByTestId("search-result").first();
  await result.waitFor({ timeout: 10_000 });
  assert.equal(await result.locator("mark").first().innerText(), "Shift");
  await screenshot(alice, "alice-search");
  await result.click();
  await alice.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
  await alice.locator(".message.highlighted").filter({ hasText: "Two lines, Shift+Enter style" }).waitFor({ timeout: 10_000 });
  // Dave searches the same word in his tenant: nothing.
  const dave = contexts[2].pages()[0];
  await dave.getByTestId("search-input").fill("shift");
  await dave.getByTestId("search-input").press("Enter");
  await dave.getByTestId("search-panel").getByText("No messages found.").waitFor({ timeout: 10_000 });
});

test("a tenant admin sets retention in the panel", async () => {
  const alice = contexts[0].pages()[0];
  await alice.getByTestId("open-retention").click();
  await alice.getByTestId("retention-panel").waitFor();
  await alice.getByTestId("retention-days").fill("30");
  await alice.getByTestId("retention-save").click();
  await alice.getByTestId("retention-panel").getByText("Saved").waitFor();
  await screenshot(alice, "alice-retention");
  await alice.getByTestId("retention-panel").getByRole("button", { name: "Close" }).click();
  const token = await stack.token("acme", "alice", "Alice Anderson");
  const r = await fetch(`${stack.url}/api/v1/chat/retention`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 403, "a token without the admin role is refused");
  const adminToken = await (
    await fetch(`${stack.url}/api/v1/dev/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenantId: "acme", userId: "alice", displayName: "Alice Anderson", roles: ["admin"] }),
    })
  ).json();
  const settings = await (await fetch(`${stack.url}/api/v1/chat/retention`, { headers: { authorization: `Bearer ${adminToken.token}` } })).json();
  assert.equal(settings.tenant.retentionDays, 30);
  // Bob (no admin role) has no retention button.
  assert.equal(await contexts[1].pages()[0].getByTestId("open-retention").count(), 0);
});

test("a tenant admin purges deleted messages from the archive, and the export no longer holds them", async () => {
  const alice = contexts[0].pages()[0];
  const admin = (
    await (
      await fetch(`${stack.url}/api/v1/dev/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tenantId: "acme", userId: "alice", displayName: "Alice Anderson", roles: ["admin"] }),
      })
    ).json()
  ).token;
  await alice.getByTestId("conv-random").click();
  await send(alice, "an archived secret to purge");
  const message = alice.locator('[data-testid="message"][data-state="sent"]').filter({ hasText: "an archived secret to purge" });
  await message.waitFor();
  const id = await message.getAttribute("data-message-id");
  await message.hover();
  await message.getByTestId("delete").click();
  await alice.getByTestId("confirm-ok").click();
  await alice.locator(`[data-testid="message"][data-message-id="${id}"]`).getByText("This message was deleted.").waitFor();

  const random = (await stack.api(admin, "GET", "/api/v1/chat/conversations")).body.items.find((c) => c.name === "random").id;
  // The archive's text of the message, as the export hands it out.
  const archived = async () => {
    const versions = [];
    let cursor = "";
    do {
      const page = `/api/v1/chat/retention/archive?conversationId=${random}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const { body } = await stack.api(admin, "GET", page);
      for (const file of body.items) {
        const bytes = Buffer.from(await (await fetch(file.url)).arrayBuffer());
        versions.push(...gunzipSync(bytes).toString("utf8").trim().split("\n").map((l) => JSON.parse(l)));
      }
      cursor = body.nextCursor ?? "";
    } while (cursor);
    return versions.filter((v) => v.message.id === id);
  };
  const until = async (what, check) => {
    for (let i = 0; i < 100; i++) {
      if (check(await archived())) return;
      await stack.api(admin, "POST", "/api/v1/dev/retention/run", {});
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`the archive never ${what}: ${JSON.stringify(await archived())}`);
  };
  await until("held the deleted message's text", (vs) => vs.some((v) => v.message.body === "an archived secret to purge") && vs.some((v) => v.message.deletedAt));

  // The panel: keep the archive 400 days, purge deleted messages; reopened, it shows both.
  await alice.getByTestId("open-retention").click();
  const form = alice.getByTestId("archive-policy");
  await form.waitFor();
  assert.equal(await alice.getByTestId("archive-purge").isChecked(), false);
  await alice.getByTestId("archive-days").fill("400");
  await alice.getByTestId("archive-purge").check();
  await alice.getByTestId("archive-save").click();
  await form.getByText("Saved: the archive is kept for 400 days, deleted messages purged.").waitFor();
  await form.scrollIntoViewIfNeeded();
  await screenshot(alice, "alice-archive-policy");
  await alice.getByTestId("retention-panel").getByRole("button", { name: "Close" }).click();
  await alice.getByTestId("open-retention").click();
  await form.waitFor();
  assert.equal(await alice.getByTestId("archive-days").inputValue(), "400");
  assert.equal(await alice.getByTestId("archive-purge").isChecked(), true);
  await alice.getByTestId("retention-panel").getByRole("button", { name: "Close" }).click();

  // The next retention run rewrites the day: only the deletion (who, when, no text) is left.
  await until("let go of the text", (vs) => vs.length > 0 && vs.every((v) => v.message.body === "" && v.message.deletedAt));
  const [tombstone] = await archived();
  assert.equal(tombstone.message.authorId, "alice");
  const policy = (await stack.api(admin, "GET", "/api/v1/chat/retention/archive-policy")).body;
  assert.deepEqual(policy, { complianceExport: false, archiveRetentionDays: 400, purgeDeleted: true });
});

test("the member list shows who is in a channel, and an admin invites and removes", async () => {
  const alice = contexts[0].pages()[0];
  await alice.getByTestId("conv-leadership").click();
  await alice.getByTestId("members-button").click();
  await alice.getByTestId("member").first().waitFor();
  assert.deepEqual(await alice.getByTestId("member").allInnerTexts().then((t) => t.map((x) => x.split(" ")[0])), ["Alice"], "bob was removed earlier");
  await alice.getByTestId("invite-search").fill("car");
  await alice.getByTestId("pick-carol").click();
  await alice.getByTestId("member").nth(1).waitFor();
  assert.equal(await alice.getByTestId("member").count(), 2);
  await screenshot(alice, "alice-members");
  await alice.getByTestId("remove-carol").click();
  // Removing asks first (papercuts.e2e covers the dialog itself).
  await alice.getByTestId("confirm-ok").click();
  await alice.getByTestId("remove-carol").waitFor({ state: "detached" });
  assert.equal(await alice.getByTestId("member").count(), 1);
});

test("an operator sees live connections across tenants in the operations panel", async () => {
  const root = await person("root");
  await root.getByTestId("open-operations").click();
  await root.getByTestId("ops-metrics").waitFor();
  const now = Number(await root.getByTestId("connections-now").innerText());
  assert.ok(now >= 3, `alice, bob, dave and the operator are connected (${now})`);
  const tenants = await root.getByTestId("ops-connections").locator("tr td:first-child").allInnerTexts();
  assert.ok(tenants.includes("acme") && tenants.includes("globex"));
  await screenshot(root, "operator-operations");
  // Tenant users have no such button.
  assert.equal(await contexts[1].pages()[0].getByTestId("open-operations").count(), 0);
});
