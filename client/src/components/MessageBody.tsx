import { useMemo, type ReactNode } from "react";
import Markdown, { type Components } from "react-markdown";
import remarkBreaks from "remark-breaks";
import remarkGfm from "remark-gfm";
import { ALLOWED_ELEMENTS, formattable, opensInNewTab, remarkLiteralOutsideSubset, remarkMentionChips, safeUrl } from "../lib/markdown";
import { segments } from "../lib/mentions";
import type { UserProfile } from "../lib/types";

interface Props {
  body: string;
  /** The profiles of the users the message mentions (those known so far). */
  mentioned: UserProfile[];
  me: string;
  user: (id: string) => UserProfile | undefined;
}

// Only http(s) and mailto links are links; anything else shows as its text.
const components: Components = {
  a: ({ href, title, children }) => {
    const url = safeUrl(href ?? "");
    if (!url) return <span className="link-text">{children}</span>;
    return opensInNewTab(url) ? (
      <a href={url} title={title} target="_blank" rel="noopener noreferrer">
        {children}
      </a>
    ) : (
      <a href={url} title={title} rel="noopener noreferrer">
        {children}
      </a>
    );
  },
};

/** A message's text: the Markdown subset formatted, its mentions as chips, never raw HTML. */
export function MessageBody({ body, mentioned, me, user }: Props) {
  // Parsing is the costly part of a row: the list re-renders rows far more often than bodies or
  // the mentioned people change (the row builds `mentioned` and `user` anew each time).
  const people = mentioned.map((u) => `${u.id}:${u.handle}:${u.displayName}`).join("\n");
  const formatted = useMemo(() => formattable(body), [body]);
  const content = useMemo((): ReactNode => {
    if (!formatted) {
      return segments(body, mentioned).map((segment, i) =>
        segment.kind === "text" ? (
          <span key={i}>{segment.text}</span>
        ) : (
          <span key={i} className={`chip ${segment.userId === me ? "chip-me" : ""}`} data-testid="mention-chip" title={user(segment.userId)?.displayName}>
            {segment.text}
          </span>
        ),
      );
    }
    return (
      <Markdown
        remarkPlugins={[remarkGfm, remarkLiteralOutsideSubset(body), remarkMentionChips({ mentioned, me, user }), remarkBreaks]}
        allowedElements={ALLOWED_ELEMENTS}
        unwrapDisallowed
        skipHtml
        urlTransform={safeUrl}
        components={components}
      >
        {body}
      </Markdown>
    );
  }, [body, formatted, people, me]); // `mentioned` and `user` by `people`: see above
  return (
    <div className={`body ${formatted ? "formatted" : "plain"}`} data-testid="message-body">
      {content}
    </div>
  );
}
