// The Markdown subset message bodies are written in (bold, italic, strike, inline code, fenced
// code, quotes, lists, links), as remark plugins and settings for react-markdown. Raw HTML is
// never rendered: it shows as the text that was typed, like everything outside the subset.

import type { Nodes as MdastNodes, Parent as MdastParent, PhrasingContent, Root, RootContent, Text } from "mdast";
import { toString } from "mdast-util-to-string";
import remarkGfm from "remark-gfm";
import remarkParse from "remark-parse";
import { unified } from "unified";
import { segments } from "./mentions";
import type { UserProfile } from "./types";

/** What a formatted body may hold; anything else is unwrapped to its text by react-markdown. */
export const ALLOWED_ELEMENTS = ["p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span"];

const SAFE_PROTOCOLS = ["http:", "https:", "mailto:"];

/** The URL when it is absolute http(s) or mailto; otherwise "", which renders the link as text. */
export function safeUrl(url: string): string {
  try {
    return SAFE_PROTOCOLS.includes(new URL(url.trim()).protocol) ? url.trim() : "";
  } catch {
    return "";
  }
}

/** http(s) links open in a new tab; mailto opens the mail client. */
export function opensInNewTab(url: string): boolean {
  return /^https?:/i.test(url);
}

// Micromark needs a stack frame per nested container and is quadratic in nested emphasis: a
// hostile body (40,000 `>`s, thousands of `**_` runs) would freeze or crash the page. Past these
// bounds the body shows as plain text; real messages stay far below them.
const MAX_CONTAINER_DEPTH = 16;
const MAX_DELIMITER_RUNS = 2_000;

/** Whether `body` is safe and cheap to parse as Markdown (see the bounds above). */
export function formattable(body: string): boolean {
  const runs = body.match(/\*+|_+|~+/g);
  if (runs && runs.length > MAX_DELIMITER_RUNS) return false;
  for (const line of body.split("\n")) {
    let depth = 0;
    let rest = line;
    for (;;) {
      const marker = /^[ \t]*(?:>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))/.exec(rest);
      if (!marker) break;
      depth += 1;
      if (depth > MAX_CONTAINER_DEPTH) return false;
      rest = rest.slice(marker[0].length);
    }
  }
  return true;
}

// mdast nodes outside the subset: shown as the source text they came from.
const LITERAL_BLOCKS = new Set(["heading", "thematicBreak", "html", "table", "definition", "footnoteDefinition"]);
const LITERAL_INLINES = new Set(["html", "image", "imageReference", "linkReference", "footnoteReference"]);

function sourceOf(node: MdastNodes, source: string): string {
  const start = node.position?.start.offset;
  const end = node.position?.end.offset;
  return start === undefined || end === undefined ? "" : source.slice(start, end);
}

function isParent(node: MdastNodes): node is MdastNodes & MdastParent {
  return "children" in node && Array.isArray(node.children);
}

/** Every parent in the tree, without recursion (the tree can be deep before it is checked). */
function parents(root: Root): (MdastNodes & MdastParent)[] {
  const out: (MdastNodes & MdastParent)[] = [];
  const stack: MdastNodes[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node && isParent(node)) {
      out.push(node);
      stack.push(...(node.children as MdastNodes[]));
    }
  }
  return out;
}

/** Headings, images, tables, rules, raw HTML and the like become the text that was typed. */
export function remarkLiteralOutsideSubset(source: string) {
  return () => (tree: Root) => {
    for (const parent of parents(tree)) {
      const block = parent.type === "root" || parent.type === "blockquote" || parent.type === "listItem";
      parent.children = parent.children.map((child) => {
        const node = child as MdastNodes;
        if (block && LITERAL_BLOCKS.has(node.type)) {
          return { type: "paragraph", children: [{ type: "text", value: sourceOf(node, source) }] } as RootContent;
        }
        if (!block && LITERAL_INLINES.has(node.type)) {
          return { type: "text", value: sourceOf(node, source) } as RootContent;
        }
        // A task list item keeps its box as typed instead of an unwrapped (lost) checkbox.
        if (node.type === "listItem" && typeof node.checked === "boolean") {
          const box = node.checked ? "[x] " : "[ ] ";
          node.checked = null;
          const first = node.children[0];
          if (first?.type === "paragraph") first.children.unshift({ type: "text", value: box });
        }
        return child;
      }) as typeof parent.children;
    }
  };
}

export interface MentionChips {
  mentioned: UserProfile[];
  me: string;
  user: (id: string) => UserProfile | undefined;
}

/** `@handle` of a mentioned user in text (never in code) becomes a chip, as in plain bodies. */
export function remarkMentionChips({ mentioned, me, user }: MentionChips) {
  return () => (tree: Root) => {
    if (mentioned.length === 0) return;
    for (const parent of parents(tree)) {
      if (!parent.children.some((c) => c.type === "text")) continue;
      parent.children = parent.children.flatMap((child): RootContent[] => {
        if (child.type !== "text") return [child];
        return segments(child.value, mentioned).map((segment): PhrasingContent => {
          if (segment.kind === "text") return { type: "text", value: segment.text } satisfies Text;
          const title = user(segment.userId)?.displayName;
          return {
            type: "text",
            value: segment.text,
            data: {
              hName: "span",
              hProperties: {
                className: segment.userId === me ? ["chip", "chip-me"] : ["chip"],
                dataTestid: "mention-chip",
                ...(title ? { title } : {}),
              },
              hChildren: [{ type: "text", value: segment.text }],
            },
          };
        });
      }) as typeof parent.children;
    }
  };
}

const textParser = unified().use(remarkParse).use(remarkGfm);

/** A body as plain text on one line (a notification's snippet): the formatting goes, the words
 * stay, blocks are joined by a space. Past the parser's bounds the body is taken as typed. */
export function plainText(body: string): string {
  if (!formattable(body)) return body.replace(/\s+/g, " ").trim();
  const tree = textParser.parse(body);
  const blocks: string[] = [];
  const stack: MdastNodes[] = [...tree.children].reverse();
  // Containers (quotes, lists) are opened so their paragraphs are separated too.
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node) break;
    if (node.type === "blockquote" || node.type === "list" || node.type === "listItem") stack.push(...[...node.children].reverse());
    else blocks.push(toString(node));
  }
  return blocks.join(" ").replace(/\s+/g, " ").trim();
}
