import { useCallback, useEffect, useId, useRef, useState, type ClipboardEvent, type KeyboardEvent, type ReactNode } from "react";

import type { Api } from "../lib/api";
import { loadDraft, saveDraft } from "../lib/drafts";
import { insertMention, mentionedIds, mentionQueryAt } from "../lib/mentions";
import { focusCurrentMessage } from "../lib/roving";
import { formatSize, startUpload, UploadCancelled } from "../lib/uploads";
import type { Attachment, UserProfile } from "../lib/types";
import type { PresenceStatus } from "../lib/signals";
import { PresenceDot } from "./Presence";

interface PendingFile {
  key: string;
  file: File;
  progress: number;
  state: "uploading" | "done" | "failed";
  uploadId?: string;
  error?: string;
  cancel: () => void;
}

export interface ReadyFile {
  uploadId: string;
  attachment: Attachment;
}

const MAX_CHARS = 40_000;

interface Props {
  api: Api;
  me: string;
  conversationId: string;
  placeholder: string;
  onSend: (body: string, mentions: string[], files: ReadyFile[]) => void;
  onPicked: (users: UserProfile[]) => void;
  /** Files dropped on the conversation, handed over once. */
  incomingFiles: File[];
  onIncomingTaken: () => void;
  /** Asked to take the keyboard (after picking a DM, after a delete): once, then told back. */
  takeFocus?: boolean;
  onFocusTaken?: () => void;
  /** Where the draft is kept when not the conversation's own (a thread's composer). */
  draftKey?: string;
  /** Whose drafts: `tenant/user` (a user id alone may exist in two tenants on one browser). */
  draftOwner: string;
  /** Under the text (the thread's "Also send to #channel"). */
  footer?: ReactNode;
  /** The text field's accessible name. */
  label?: string;
  /** Up in the empty composer: edit my last message. True when there was one to edit. */
  onEditLast?: () => boolean;
  /** The text was edited and is not empty (the page throttles the typing signal). */
  onTyping?: () => void;
  /** Presence of the people the autocomplete offers, and where to say whom it shows. */
  presence?: Record<string, PresenceStatus>;
  onShowUsers?: (userIds: string[]) => void;
}

/** Enter sends, Shift+Enter starts a new line; `@` opens people autocomplete (arrows, Enter or
 * Tab picks, Esc closes); Up in an empty composer edits my last message. Mentions go to the
 * server as user ids beside the text. */
export function Composer({ api, me, conversationId, placeholder, onSend, onPicked, incomingFiles, onIncomingTaken, takeFocus, onFocusTaken, draftKey, draftOwner, footer, label, onEditLast, onTyping, presence, onShowUsers }: Props) {
  // The draft outlives the page (reload, a sign-in redirect): lib/drafts.
  const draft = draftKey ?? conversationId;
  const [text, setText] = useState(() => loadDraft(draftOwner, draft));
  useEffect(() => saveDraft(draftOwner, draft, text), [draftOwner, draft, text]);
  const [files, setFiles] = useState<PendingFile[]>([]);
  const [queued, setQueued] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const [picked, setPicked] = useState<UserProfile[]>([]);
  const [suggestions, setSuggestions] = useState<UserProfile[]>([]);
  const suggestionKey = suggestions.map((u) => u.id).join(",");
  useEffect(() => onShowUsers?.(suggestionKey ? suggestionKey.split(",") : []), [suggestionKey, onShowUsers]);
  const [highlight, setHighlight] = useState(0);
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const lookup = useRef(0);
  const listId = useId();
  const optionId = (i: number) => `${listId}-option-${i}`;
  // A restored draft is continued, not overwritten: the caret goes after its last character.
  useEffect(() => {
    const a = area.current;
    if (a && a.value) a.setSelectionRange(a.value.length, a.value.length);
  }, []);
  useEffect(() => {
    if (!takeFocus) return;
    area.current?.focus();
    onFocusTaken?.();
  }, [takeFocus, onFocusTaken]);

  const addFiles = useCallback(
    (list: File[]) => {
      for (const file of list) {
        const key = `${file.name}-${file.size}-${crypto.randomUUID()}`;
        const patch = (p: Partial<PendingFile>) => setFiles((all) => all.map((f) => (f.key === key ? { ...f, ...p } : f)));
        const handle = startUpload(api, conversationId, file, (progress) => patch({ progress }));
        setFiles((all) => [...all, { key, file, progress: 0, state: "uploading", cancel: handle.cancel }]);
        handle.done.then(
          (uploadId) => patch({ state: "done", progress: 1, uploadId }),
          (e: unknown) => {
            if (e instanceof UploadCancelled) setFiles((all) => all.filter((f) => f.key !== key));
            else patch({ state: "failed", error: e instanceof Error ? e.message : "upload failed" });
          },
        );
      }
    },
    [api, conversationId],
  );

  useEffect(() => {
    if (incomingFiles.length > 0) {
      addFiles(incomingFiles);
      onIncomingTaken();
    }
  }, [incomingFiles, addFiles, onIncomingTaken]);

  const uploading = files.some((f) => f.state === "uploading");
  const ready = files.filter((f) => f.state === "done");
  const canSend = (text.trim().length > 0 || files.length > 0) && [...text].length <= MAX_CHARS && !files.some((f) => f.state === "failed");

  const sendNow = useCallback(() => {
    const attached: ReadyFile[] = ready.map((f) => ({
      uploadId: f.uploadId ?? "",
      attachment: { id: `pending-${f.key}`, name: f.file.name, size: f.file.size, contentType: f.file.type || "application/octet-stream" },
    }));
    onSend(text, mentionedIds(text, picked), attached);
    setText("");
    setPicked([]);
    setFiles([]);
    setQueued(false);
  }, [ready, onSend, text, picked]);

  // "Send" while files are still uploading: the message goes when they finish.
  useEffect(() => {
    if (queued && !uploading && files.length > 0 && files.every((f) => f.state === "done")) sendNow();
  }, [queued, uploading, files, sendNow]);

  const send = () => {
    if (!canSend) return;
    closeSuggestions();
    if (uploading) {
      setQueued(true);
      return;
    }
    sendNow();
  };

  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = [...e.clipboardData.files];
    if (pasted.length > 0) {
      e.preventDefault();
      addFiles(pasted);
    }
  };

  const closeSuggestions = () => {
    setMention(null);
    setSuggestions([]);
    setHighlight(0);
  };

  const update = (value: string, caret: number) => {
    setText(value);
    if (value.trim()) onTyping?.();
    const at = mentionQueryAt(value, caret);
    setMention(at);
    if (!at) {
      setSuggestions([]);
      return;
    }
    const ticket = ++lookup.current;
    api
      .users(at.query)
      .then(({ items }) => {
        if (ticket !== lookup.current) return;
        setSuggestions(items.filter((u) => u.id !== me).slice(0, 8));
        setHighlight(0);
      })
      .catch(() => setSuggestions([]));
  };

  const pick = (user: UserProfile) => {
    const el = area.current;
    if (!mention || !el) return;
    const next = insertMention(text, mention.start, el.selectionStart, user.handle);
    setText(next.text);
    setPicked((p) => (p.some((u) => u.id === user.id) ? p : [...p, user]));
    onPicked([user]);
    closeSuggestions();
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(next.caret, next.caret);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (mention && suggestions.length > 0) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : -1;
        setHighlight((h) => (h + step + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        const user = suggestions[highlight];
        if (user) pick(user);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        closeSuggestions();
        return;
      }
    }
    // Shift+Tab from the conversation's composer goes to the newest message (as in Slack), not
    // to the last control of the last row.
    if (e.key === "Tab" && e.shiftKey && !draftKey && focusCurrentMessage()) {
      e.preventDefault();
      return;
    }
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === "ArrowUp" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && text === "" && files.length === 0 && onEditLast?.()) {
      e.preventDefault();
    }
  };
  const over = [...text].length > MAX_CHARS;
  const suggesting = mention !== null && suggestions.length > 0;
  return (
    <div className="composer">
      {files.length > 0 && (
        <ul className="uploads" data-testid="uploads">
          {files.map((f) => (
            <li key={f.key} className={`upload upload-${f.state}`} data-testid="upload" data-state={f.state}>
              <span className="upload-name">{f.file.name}</span>
              <span className="muted">{formatSize(f.file.size)}</span>
              <progress max={1} value={f.progress} data-testid="upload-progress" />
              {f.state === "failed" && <span className="error">{f.error}</span>}
              <button
                className="link"
                onClick={() => {
                  f.cancel();
                  setFiles((all) => all.filter((x) => x.key !== f.key));
                }}
                data-testid="upload-cancel"
              >
                {f.state === "uploading" ? "Cancel" : "Remove"}
              </button>
            </li>
          ))}
        </ul>
      )}
      {suggesting && (
        // The textarea is the combobox (ARIA 1.2): focus stays in it, the highlighted option is
        // its aria-activedescendant, so options are not buttons (no control inside a control).
        <ul className="autocomplete" role="listbox" id={listId} aria-label="People to mention" data-testid="autocomplete">
          {suggestions.map((u, i) => (
            <li
              key={u.id}
              id={optionId(i)}
              role="option"
              aria-selected={i === highlight}
              className={i === highlight ? "selected" : ""}
              onMouseDown={(e) => e.preventDefault()}
              onMouseEnter={() => setHighlight(i)}
              onClick={() => pick(u)}
              data-testid={`suggest-${u.id}`}
            >
              {presence && <PresenceDot name={u.displayName} status={presence[u.id]} />}
              <strong>{u.displayName}</strong> <span className="muted">@{u.handle}</span>
            </li>
          ))}
        </ul>
      )}
      <textarea
        ref={area}
        value={text}
        onChange={(e) => update(e.target.value, e.target.selectionStart)}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
        onBlur={() => setTimeout(closeSuggestions, 150)}
        placeholder={placeholder}
        rows={2}
        data-testid="composer"
        aria-label={label ?? "Message"}
        role="combobox"
        aria-autocomplete="list"
        aria-haspopup="listbox"
        aria-expanded={suggesting}
        aria-controls={suggesting ? listId : undefined}
        aria-activedescendant={suggesting ? optionId(highlight) : undefined}
      />
      <input
        ref={fileInput}
        type="file"
        multiple
        hidden
        onChange={(e) => {
          addFiles([...(e.target.files ?? [])]);
          e.target.value = "";
        }}
        data-testid="file-input"
      />
      <button onClick={() => fileInput.current?.click()} title="Attach files" data-testid="attach">
        Attach
      </button>
      <button onClick={send} disabled={!canSend || queued} data-testid="send">
        {queued ? "Sending when uploaded…" : "Send"}
      </button>
      {over && <span className="error">Messages are limited to {MAX_CHARS.toLocaleString()} characters.</span>}
      {footer}
    </div>
  );
}
