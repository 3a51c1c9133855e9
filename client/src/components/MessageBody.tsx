import { segments } from "../lib/mentions";
import type { UserProfile } from "../lib/types";

interface Props {
  body: string;
  /** The profiles of the users the message mentions (those known so far). */
  mentioned: UserProfile[];
  me: string;
  user: (id: string) => UserProfile | undefined;
}

/** A message's text, with its mentions as chips. */
export function MessageBody({ body, mentioned, me, user }: Props) {
  return (
    <div className="body" data-testid="message-body">
      {segments(body, mentioned).map((segment, i) =>
        segment.kind === "text" ? (
          <span key={i}>{segment.text}</span>
        ) : (
          <span key={i} className={`chip ${segment.userId === me ? "chip-me" : ""}`} data-testid="mention-chip" title={user(segment.userId)?.displayName}>
            {segment.text}
          </span>
        ),
      )}
    </div>
  );
}
