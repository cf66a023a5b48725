/**
 * One upload: PUT /api/v1/files/content?path=... with the raw bytes. XMLHttpRequest, not fetch, because
 * only XHR reports upload progress (`upload.onprogress`); the server streams the body to disk.
 */
import { RequestFailed, problemSentence } from "../api/problem-detail.js";

export interface UploadRequest {
  /** Where the file goes, e.g. "/photos/cat.png". */
  readonly path: string;
  readonly body: Blob;
  readonly token: string;
  /** Bytes sent so far out of `total`. */
  readonly onProgress: (sent: number, total: number) => void;
}

export interface RunningUpload {
  /** Resolves with the status (201 new file, 200 replaced); rejects with RequestFailed or AbortError. */
  readonly done: Promise<number>;
  abort(): void;
}

export function startUpload(request: UploadRequest): RunningUpload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<number>((resolve, reject) => {
    xhr.open("PUT", `/api/v1/files/content?path=${encodeURIComponent(request.path)}`);
    xhr.setRequestHeader("Authorization", `Bearer ${request.token}`);
    xhr.setRequestHeader("Content-Type", request.body.type || "application/octet-stream");
    xhr.upload.onprogress = (event) => request.onProgress(event.loaded, event.lengthComputable ? event.total : request.body.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        request.onProgress(request.body.size, request.body.size);
        resolve(xhr.status);
      } else {
        reject(new RequestFailed(xhr.status, problemSentence(xhr.responseText, `The upload was refused (${xhr.status}).`)));
      }
    };
    xhr.onerror = () => reject(new RequestFailed(0, "The upload was cut off: the server could not be reached."));
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    xhr.send(request.body);
  });
  return { done, abort: () => xhr.abort() };
}
