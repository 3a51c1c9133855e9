import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import { MessageBody } from "../components/MessageBody";
import { formattable, safeUrl } from "./markdown";

const bob = { id: "bob", handle: "bob", displayName: "Bob Brown" };
const me = { id: "me", handle: "me", displayName: "Me Myself" };
const people = [bob, me];

function render(body: string, mentioned = people): string {
  return renderToStaticMarkup(createElement(MessageBody, { body, mentioned, me: "me", user: (id: string) => people.find((p) => p.id === id) }));
}

/** Every attribute name and URL the markup holds. */
function attributes(html: string): { names: string[]; urls: string[] } {
  const names = [...html.matchAll(/<[a-z]+((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)].flatMap((m) => [...(m[1] ?? "").matchAll(/\s([^\s=>]+)/g)].map((a) => a[1] ?? ""));
  const urls = [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => m[1] ?? "");
  return { names, urls };
}

describe("message bodies in Markdown", () => {
  it("formats the subset", () => {
    expect(render("**bold** _it_ ~~gone~~ `x < y`")).toContain("<strong>bold</strong> <em>it</em> <del>gone</del> <code>x &lt; y</code>");
    expect(render("```\nfn main() {}\n```")).toContain("<pre><code>fn main() {}\n</code></pre>");
    expect(render("> quoted")).toContain("<blockquote>\n<p>quoted</p>\n</blockquote>");
    expect(render("- one\n- two")).toContain("<li>one</li>");
    expect(render("1. one\n2. two")).toContain("<ol>");
    expect(render("line one\nline two")).toContain("line one<br/>\nline two");
  });

  it("makes http(s) and mailto links only, opening the web in a new tab", () => {
    expect(render("[docs](https://example.com/a)")).toContain('<a href="https://example.com/a" target="_blank" rel="noopener noreferrer">docs</a>');
    expect(render("see www.example.com")).toContain('href="http://www.example.com"');
    expect(render("[mail](mailto:a@example.com)")).toContain('<a href="mailto:a@example.com" rel="noopener noreferrer">mail</a>');
    for (const body of ["[x](javascript:alert(1))", "[x](data:text/html,<script>alert(1)</script>)", "<javascript:alert(1)>", "[x](/relative)", "[x](JaVaScRiPt:alert(1))"]) {
      const html = render(body);
      expect(html, body).not.toContain("<a");
      expect(html, body).not.toMatch(/href=/);
    }
    expect(safeUrl(" https://a.example/ ")).toBe("https://a.example/");
    expect(safeUrl("vbscript:x")).toBe("");
  });

  it("shows raw HTML and what is outside the subset as the text typed", () => {
    const html = render('<script>window.hacked=1</script> <img src=x onerror="window.hacked=1"> <a href="javascript:alert(1)" onclick="x()">y</a>');
    expect(html).not.toMatch(/<script|<img|<a /);
    expect(html).toContain("&lt;script&gt;window.hacked=1&lt;/script&gt;");
    expect(html).toContain("onerror=");
    expect(attributes(html).names.filter((n) => n.startsWith("on"))).toEqual([]);
    expect(render("# Title")).toContain("<p># Title</p>");
    expect(render("![cat](https://example.com/cat.png)")).toContain("![cat](https://example.com/cat.png)");
    expect(render("| a | b |\n| - | - |\n| 1 | 2 |")).toContain("| a | b |");
    expect(render("---")).toContain("<p>---</p>");
    expect(render("- [x] done")).toContain("<li>[x] done</li>");
  });

  it("keeps mention chips inside formatting and code as code", () => {
    expect(render("**hey @bob**")).toContain('<strong>hey <span class="chip" data-testid="mention-chip" title="Bob Brown">@bob</span></strong>');
    expect(render("_@me_")).toContain('<em><span class="chip chip-me" data-testid="mention-chip" title="Me Myself">@me</span></em>');
    expect(render("`@bob`")).toContain("<code>@bob</code>");
    expect(render("```\n@bob\n```")).toContain("<code>@bob\n</code>");
    expect(render("@bob", [])).not.toContain("chip");
  });

  // The bodies are large on purpose: a loaded machine may take seconds to render them, and speed is
  // the benchmark's business, so the time limit is generous.
  it("shows hostile nesting as plain text without overflowing the stack", () => {
    for (const body of [">".repeat(40_000), "> ".repeat(20_000), "**_".repeat(6_000) + "x" + "_**".repeat(6_000), "- ".repeat(20_000)]) {
      expect(formattable(body)).toBe(false);
      const html = render(body);
      expect(html).toContain('class="body plain"');
      expect(html.length).toBeGreaterThanOrEqual(body.length);
    }
    for (const body of ["[".repeat(40_000), "`a".repeat(20_000), "<a ".repeat(13_000), "*a ".repeat(1_500)]) {
      expect(formattable(body), body.slice(0, 10)).toBe(true);
      expect(attributes(render(body)).names.filter((n) => n.startsWith("on"))).toEqual([]);
    }
    expect(formattable("> > > quote in a quote\n- a\n  - b")).toBe(true);
  }, 60_000);
});
