// File uploads: an upload intent from the API, then a PUT straight to storage with progress
// and cancel (XMLHttpRequest: fetch has no upload progress).

import type { Api } from "./api";

export interface UploadHandle {
  /** Resolves with the upload id once storage has the whole file. */
  done: Promise<string>;
  cancel: () => void;
}

export class UploadCancelled extends Error {
  constructor() {
    super("upload cancelled");
  }
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function startUpload(api: Api, conversationId: string, file: File, onProgress: (fraction: number) => void): UploadHandle {
  let xhr: XMLHttpRequest | null = null;
  let cancelled = false;
  const done = (async () => {
    const contentType = file.type || "application/octet-stream";
    const intent = await api.uploadIntent(conversationId, file.name, contentType, file.size);
    if (cancelled) throw new UploadCancelled();
    await new Promise<void>((resolve, reject) => {
      const request = new XMLHttpRequest();
      xhr = request;
      request.open(intent.method, intent.url);
      for (const [name, value] of Object.entries(intent.headers)) request.setRequestHeader(name, value);
      request.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      request.onload = () => (request.status >= 200 && request.status < 300 ? resolve() : reject(new Error(`upload refused (${request.status})`)));
      request.onerror = () => reject(new Error("upload failed"));
      request.onabort = () => reject(new UploadCancelled());
      request.send(file);
    });
    onProgress(1);
    return intent.uploadId;
  })();
  return {
    done,
    cancel: () => {
      cancelled = true;
      xhr?.abort();
    },
  };
}
