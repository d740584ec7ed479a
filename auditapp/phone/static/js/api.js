// The API as the app uses it: bearer token from the stored session, the standard error body read
// as it is. DOM-free (the service worker drains the queue with it).
import { getMeta } from "./store.js";

export const API = new URL("../../api/v1/", import.meta.url).pathname;

/** No network (or the server unreachable): the caller keeps its work and tries again later. */
export class Offline extends Error {}

/** A response that is not 2xx; `body` is the standard error body when the server sent one. */
export class HttpError extends Error {
  constructor(status, body, headers) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.headers = headers;
  }
}

export async function call(path, { method = "GET", json, form, headers = {}, token } = {}) {
  const session = token === undefined ? await getMeta("session") : null;
  // The server words its error messages in the shopper's language where it can.
  const sent = { "Accept-Language": (await getMeta("lang")) || (navigator.language || "en"), ...headers };
  const bearer = token || (session && session.token);
  if (bearer) sent.Authorization = `Bearer ${bearer}`;
  let body;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  try {
    response = await fetch(API + path, { method, headers: sent, body, cache: "no-store" });
  } catch (error) {
    throw new Offline(String(error));
  }
  const type = response.headers.get("Content-Type") || "";
  const data = response.status === 204 ? null
    : type.includes("json") ? await response.json().catch(() => null) : null;
  // A gateway answering for an unreachable server is as good as offline: keep the work, retry.
  if ([502, 503, 504].includes(response.status)) throw new Offline(`HTTP ${response.status}`);
  if (!response.ok) throw new HttpError(response.status, data, response.headers);
  return { status: response.status, body: data, headers: response.headers };
}
