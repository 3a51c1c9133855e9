// Rich text (issue 21.3) as two people see it: the Markdown subset formatted (bold is bold, code
// is monospace, a quote is indented, a list has bullets, a link opens a new tab without an
// opener), mentions as chips inside formatting, the edit box keeping the Markdown typed; hostile
// bodies from another user execute nothing and leave the page responsive; search finds a word
// that was bold and shows it without the markers.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, onScreen, pageScroll, screenshot, seedMessages, showConversationList, signIn, suite } from "./harness.mjs";

const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off" };
});

async function person(userId, viewport) {
  const context = await browser(`${userId}-rich-text`, viewport ? { viewport } : undefined);
  contexts.push(context);
  const page = await signIn(context, stack, userId);
  // Whatever a payload would do if it ran: set the flag or open a dialog.
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { page, dialogs, context };
}

const message = (page, hasText) => page.locator('[data-testid="message"]').filter({ hasText }).last();

/** Everything in the message list that could run or navigate somewhere unsafe. */
async function unsafeInList(page) {
  return page.getByTestId("messages").evaluate((list) => {
    const found = [];
    for (const el of list.querySelectorAll("*")) {
      for (const attr of el.getAttributeNames()) {
        if (attr.toLowerCase().startsWith("on")) found.push(`${el.tagName} ${attr}`);
      }
      const href = el.getAttribute("href") ?? el.getAttribute("src") ?? el.getAttribute("action");
      if (href !== null && !/^(https?:|mailto:)/i.test(href)) found.push(`${el.tagName} ${href}`);
      // The page's own icons are SVG; what a body renders never holds these.
      const inBody = el.closest('[data-testid="message-body"]') !== null;
      if (inBody && ["SCRIPT", "IMG", "IFRAME", "OBJECT", "EMBED", "STYLE", "FORM", "SVG"].includes(el.tagName.toUpperCase())) found.push(el.tagName);
    }
    return found;
  });
}

let alice;
let bob;

test("the Markdown subset renders as a person expects, with mention chips inside it", async () => {
  alice = await person("alice");
  bob = await person("bob");
  for (const { page } of [alice, bob]) await page.getByTestId("conv-random").click();

  // Alice writes with the keyboard: bold holding a picked mention, then the rest of the subset.
  const composer = alice.page.getByTestId("composer");
  await composer.pressSequentially("**quarterly plan for @bo");
  await alice.page.getByTestId("suggest-bob").waitFor();
  await composer.press("Enter");
  // The picked mention ends in a space; bold closes right after the handle.
  await composer.press("Backspace");
  await composer.pressSequentially("** _soon_ ~~never~~ `npm ci` see [the docs](https://example.com/docs)");
  for (const line of ["", "> quoted wisdom", "", "- first point", "- second point", "", "```", `const longLine = "${"x".repeat(300)}";`, "```"]) {
    await composer.press("Shift+Enter");
    await composer.pressSequentially(line);
  }
  const source = await composer.inputValue();
  await composer.press("Enter");
  await message(alice.page, "quarterly plan").and(alice.page.locator('[data-state="sent"]')).waitFor();

  const seen = message(bob.page, "quarterly plan");
  await seen.waitFor();
  const body = seen.getByTestId("message-body");
  const strong = body.locator("strong").first();
  assert.ok(Number(await strong.evaluate((el) => getComputedStyle(el).fontWeight)) >= 600, "bold is bold");
  assert.equal(await strong.getByTestId("mention-chip").innerText(), "@bob", "the mention is a chip inside the bold text");
  assert.equal(await body.locator("em").innerText(), "soon");
  assert.match(await body.locator("del").evaluate((el) => getComputedStyle(el).textDecorationLine), /line-through/);
  assert.match(await body.locator("p code").evaluate((el) => getComputedStyle(el).fontFamily), /monospace/i, "inline code is monospace");
  const quote = body.locator("blockquote");
  const [quoteBox, bodyBox] = [await quote.boundingBox(), await body.boundingBox()];
  const quoteTextX = await quote.locator("p").evaluate((p) => p.getBoundingClientRect().x);
  assert.ok(quoteTextX >= bodyBox.x + 8 && quoteBox.x >= bodyBox.x, "the quote's text is indented");
  assert.equal(await quote.innerText(), "quoted wisdom");
  const items = body.locator("li");
  assert.deepEqual(await items.allInnerTexts(), ["first point", "second point"]);
  assert.equal(await items.first().evaluate((li) => getComputedStyle(li).listStyleType), "disc", "a list has bullets");
  assert.ok((await items.first().boundingBox()).x > bodyBox.x, "bullets sit inside the message");

  // The long code line scrolls inside its block; the page does not widen.
  const pre = body.locator("pre");
  assert.match(await pre.evaluate((el) => getComputedStyle(el).fontFamily + getComputedStyle(el.querySelector("code")).fontFamily), /monospace/i);
  const overflow = await pre.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, overflowX: getComputedStyle(el).overflowX }));
  assert.ok(overflow.scroll > overflow.client && overflow.overflowX === "auto", "the code block scrolls sideways");
  const scroll = await pageScroll(bob.page);
  assert.equal(scroll.scrollWidth, scroll.innerWidth, "the page keeps its width");
  assert.ok((await pre.boundingBox()).x + (await pre.boundingBox()).width <= (await bob.page.getByTestId("messages").boundingBox()).x + (await bob.page.getByTestId("messages").boundingBox()).width + 1);

  // The link: http URL, new tab, no opener.
  const link = body.getByRole("link", { name: "the docs" });
  assert.equal(await link.getAttribute("href"), "https://example.com/docs");
  assert.equal(await link.getAttribute("target"), "_blank");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  const [popup] = await Promise.all([bob.context.waitForEvent("page"), link.click()]);
  assert.equal(await popup.evaluate(() => window.opener), null, "the new tab cannot reach back");
  await popup.close();
  await screenshot(bob.page, "rich-text-formatting");

  // Editing shows the Markdown as typed, not the formatted text.
  const mine = message(alice.page, "quarterly plan");
  await mine.hover();
  await mine.getByTestId("edit").click();
  assert.equal(await alice.page.getByTestId("edit-input").inputValue(), source);
  await alice.page.getByTestId("edit-input").press("Escape");
});

const HOSTILE = [
  "<script>window.__pwned = 'script'</script>",
  '<img src=x onerror="window.__pwned = \'img\'">',
  "[click me](javascript:window.__pwned='md-link')",
  "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  '<a href="javascript:window.__pwned=\'html-link\'">html link</a>',
  "<javascript:window.__pwned='autolink'>",
  '<div onmouseover="window.__pwned=\'hover\'" style="position:fixed;inset:0">hover me</div>',
  '[quoted](https://example.com" onclick="window.__pwned=\'attr\')',
  '<svg onload="alert(1)"></svg><iframe src="javascript:alert(2)"></iframe>',
  "**unclosed bold _and italic ~~and strike `and code\n```\nan unclosed fence",
  ">".repeat(40_000 - " bottom of the quotes".length) + " bottom of the quotes",
  "**_".repeat(6_666) + "x" + "_**".repeat(6_666),
];

// A text each hostile body shows once rendered (as text: none of them may run or link).
const SHOWN = ["window.__pwned = 'script'", "onerror=", "click me", "data link", "html link", "javascript:window.__pwned='autolink'", "hover me", "quoted", "<svg onload", "an unclosed fence", "bottom of the quotes", "x_**_**"];

/** Walks the list from top to bottom a screen at a time (rows are virtualised: only those near
 * the view exist), calling `visit` at each stop. */
async function sweep(page, visit) {
  const scroller = page.getByTestId("message-scroller");
  await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
  for (let stop = 0; stop < 200; stop++) {
    await page.waitForTimeout(50);
    await visit();
    const done = await scroller.evaluate((el) => {
      if (Math.abs(el.scrollHeight - el.clientHeight - el.scrollTop) < 2) return true;
      el.scrollBy({ top: el.clientHeight * 0.8 });
      return false;
    });
    if (done) return;
  }
  throw new Error("the list never reached its bottom");
}

test("hostile bodies from another user execute nothing and the page stays responsive", async () => {
  const token = await stack.token("acme", "bob", "Bob");
  const random = await conversationId(stack, token, "random");
  await seedMessages(stack, token, random, HOSTILE);
  const page = alice.page;
  await page.getByTestId("message-scroller").evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await page.getByTestId("message-body").filter({ hasText: "x_**_**" }).last().waitFor();

  // Every body is seen and touched as a person would (hovered, its would-be links clicked), and
  // nothing in the list at any point could run or navigate somewhere unsafe.
  const seen = new Set();
  const touched = new Set();
  const unsafe = [];
  const view = await page.getByTestId("message-scroller").boundingBox();
  await sweep(page, async () => {
    unsafe.push(...(await unsafeInList(page)));
    for (const text of SHOWN) {
      const target = page.getByTestId("message-body").filter({ hasText: text }).last().getByText(text).first();
      if ((await target.count()) === 0) continue;
      seen.add(text);
      if (touched.has(text) || !["hover me", "click me", "html link", "quoted", "data link"].includes(text)) continue;
      // Only what is in view, so touching it does not scroll the list under the sweep.
      const box = await target.boundingBox();
      if (!box || box.y < view.y || box.y + box.height > view.y + view.height) continue;
      await target.hover();
      await target.click();
      touched.add(text);
      if (text === "html link") await screenshot(page, "rich-text-hostile-html");
    }
  });
  assert.deepEqual([...touched].sort(), ["click me", "data link", "hover me", "html link", "quoted"]);
  assert.deepEqual([...seen].sort(), [...SHOWN].sort(), "every hostile body was shown");
  assert.deepEqual(unsafe, [], "no handler attribute, script, image or unsafe URL in the list");
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "no payload ran");
  assert.deepEqual(alice.dialogs, [], "no dialog opened");
  assert.equal(await page.getByRole("link", { name: /click me|html link|data link/ }).count(), 0, "unsafe links are text");
  await screenshot(page, "rich-text-hostile");
  // The 40,000 characters arrived whole, as text.
  const deep = page.getByTestId("message-body").filter({ hasText: "x_**_**" }).last();
  assert.equal((await deep.innerText()).length, 6_666 * 6 + 1);

  // Responsive: the list scrolls, the composer takes input and sends.
  const scroller = page.getByTestId("message-scroller");
  await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
  await page.waitForFunction(() => document.querySelector('[data-testid="message-scroller"]').scrollTop === 0);
  await scroller.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="message-scroller"]');
    return el.scrollTop > 0 && Math.abs(el.scrollHeight - el.clientHeight - el.scrollTop) < 4;
  });
  await page.getByTestId("composer").fill("still **here**");
  await page.getByTestId("composer").press("Enter");
  await message(page, "still here").and(page.locator('[data-state="sent"]')).waitFor();
  // Bob sees it: in view at the bottom or, scrolled up among the tall bodies, behind the pill.
  const bobCopy = message(bob.page, "still here");
  const pill = bob.page.getByTestId("new-messages-pill");
  await bobCopy.or(pill).first().waitFor();
  if ((await bobCopy.count()) === 0) await pill.click();
  assert.equal(await bobCopy.getByTestId("message-body").locator("strong").innerText(), "here");
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // One character past the limit is refused in the composer, which keeps every character.
  const tooLong = ">".repeat(40_001);
  await page.getByTestId("composer").fill(tooLong);
  await page.getByText("Messages are limited to 40,000 characters.").waitFor();
  assert.ok(await page.getByTestId("send").isDisabled());
  await page.getByTestId("composer").press("Enter");
  assert.equal((await page.getByTestId("composer").inputValue()).length, 40_001, "nothing lost");
  const refused = await stack.api(token, "POST", `/api/v1/chat/conversations/${random}/messages`, { clientMessageId: "too-long", body: tooLong, mentions: [] });
  assert.equal(refused.status, 400);
  assert.match(refused.body.error.message, /^body must be at most 40000 characters/, "the server says why");
  await page.getByTestId("composer").fill("");
});

test("search finds a word that was bold and shows it as plain text", async () => {
  const page = bob.page;
  await page.getByTestId("search-input").fill("quarterly");
  await page.getByTestId("search-input").press("Enter");
  const result = page.getByTestId("search-result").first();
  await result.waitFor();
  const snippet = await result.locator(".snippet").innerText();
  assert.match(snippet, /^quarterly plan for @bob soon never npm ci see the docs https:\/\/example\.com\/docs/);
  assert.doesNotMatch(snippet, /\*\*|~~|`|\]\(/, "no Markdown markers in the snippet");
  assert.equal(await result.locator("mark").first().innerText(), "quarterly");
  await screenshot(page, "rich-text-search");
});

test("on a phone, formatted messages fit the screen", async () => {
  const phone = await person("bob", { width: 390, height: 844 });
  const page = phone.page;
  await showConversationList(page);
  await page.getByTestId("conv-random").click();
  const token = await stack.token("acme", "alice", "Alice");
  const text = `**From a phone**: _small screens_\n\n> a quote that is long enough to wrap on a phone-sized screen\n\n- one\n- two\n\n\`\`\`\n${"wide ".repeat(60)}\n\`\`\``;
  await seedMessages(stack, token, await conversationId(stack, token, "random"), [text]);
  const body = message(page, "From a phone").getByTestId("message-body");
  await body.waitFor();
  await body.scrollIntoViewIfNeeded();
  const scroll = await pageScroll(page);
  assert.equal(scroll.scrollWidth, scroll.innerWidth, "nothing widens the page");
  const pre = body.locator("pre");
  const box = await pre.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390, "the code block stays on screen");
  assert.ok((await onScreen(body.locator("blockquote"))).box.width < 390);
  await screenshot(page, "rich-text-phone");
});
