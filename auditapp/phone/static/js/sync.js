// Keeping the phone and the server in step: the assignments and checklists come down, drafts and
// queued submits go up. DOM-free: the page and the service worker (Background Sync) both run it.
import { call, HttpError, Offline } from "./api.js";
import { all, get, photosOf, put, remove, update } from "./store.js";

export const EDITABLE = new Set(["assigned", "in_progress", "returned"]);
const PAGE_SIZE = 200;
const SYNC_BATCH = 50; // what POST /sync takes at once

/** Runs one sync at a time across this page, other tabs and the service worker. */
function exclusively(action) {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("auditapp-sync", action);
  }
  return action();
}

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const checklistId = (ref) => `${ref.key}@${ref.version}`;

/** The stored check-in as a submit sends it again (the server takes no null accuracy). */
function checkinOf(stored) {
  if (!stored || stored.latitude == null || stored.longitude == null) return null;
  const checkin = { latitude: stored.latitude, longitude: stored.longitude };
  if (stored.accuracy_m != null) checkin.accuracy_m = stored.accuracy_m;
  return checkin;
}

/** A fresh local copy of an audit the shopper has not touched on this phone. */
export function workFrom(audit) {
  return {
    id: audit.id, answers: audit.answers || {}, etag: audit.etag, dirty: false, rev: 0,
    visit: audit.visit ? { started_at: audit.visit.started_at, ended_at: audit.visit.ended_at,
      checkin: checkinOf(audit.visit.checkin) } : {},
    timers: {}, server_problems: null, conflict: null, error: null, section: 0,
  };
}

/** Assignments and their checklists down from the server, kept for offline use. Local edits win:
 * a draft changed on this phone is not replaced (a stale one is caught by If-Match when pushed). */
export async function refresh() {
  const listed = await call(`audits?per_page=${PAGE_SIZE}`);
  const audits = listed.body.items;
  const known = new Set(audits.map((a) => a.id));
  const queued = new Set((await all("queue")).map((q) => q.audit_id));
  for (const stale of await all("audits")) {
    if (!known.has(stale.id) && !queued.has(stale.id)) await remove("audits", stale.id);
  }
  for (const audit of audits) {
    const ref = audit.checklist;
    if (!(await get("checklists", checklistId(ref)))) {
      const definition = await call(`checklists/${encodeURIComponent(ref.key)}/${ref.version}`);
      await put("checklists", { id: checklistId(ref), ...definition.body });
    }
    const work = await get("work", audit.id);
    if (EDITABLE.has(audit.status)) {
      if (!work || (!work.dirty && !queued.has(audit.id) && work.etag !== audit.etag)) {
        // Answers only come with the single audit; a new assignment has none yet.
        const full = audit.status === "assigned" ? { ...audit, answers: {} } : (await call(`audits/${audit.id}`)).body;
        const fresh = workFrom(full);
        if (work) Object.assign(fresh, { visit: { ...fresh.visit, ...work.visit }, section: work.section });
        await put("work", fresh);
        await put("audits", full);
        continue;
      }
    } else if (work && !queued.has(audit.id)) {
      await remove("work", audit.id); // submitted from elsewhere, or approved: nothing left to edit here
    }
    const previous = await get("audits", audit.id);
    await put("audits", { ...(previous || {}), ...audit });
  }
  return audits;
}

/** Upload the audit's photos the server does not have yet (a re-upload of a hash is a no-op there). */
export async function uploadPhotos(auditId) {
  for (const photo of await photosOf(auditId)) {
    if (photo.uploaded || photo.refused) continue;
    const form = new FormData();
    form.append("sha256", photo.sha256);
    form.append("file", photo.blob, photo.name || `${photo.sha256.slice(0, 12)}.jpg`);
    try {
      await call(`audits/${auditId}/attachments`, { method: "POST", form });
      await update("photos", photo.sha256, (p) => (p ? { ...p, uploaded: true } : undefined));
    } catch (error) {
      if (error instanceof HttpError && [400, 413, 415, 422].includes(error.status)) {
        // The file itself is refused (too large, not a photo): retrying cannot help; the shopper sees why.
        await update("photos", photo.sha256, (p) => (p ? { ...p, refused: error.message } : undefined));
      } else {
        throw error;
      }
    }
  }
}

const same = (a, b) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

async function serverCopy(auditId) {
  const full = (await call(`audits/${auditId}`)).body;
  await put("audits", full);
  return full;
}

/** What a draft push answered, applied to the local copy (single PUT and /sync alike). */
async function draftResult(auditId, sentRev, status, body, etag) {
  if (status === 200) {
    await put("audits", body);
    await update("work", auditId, (w) => w && {
      ...w, etag: etag || body.etag, dirty: w.rev !== sentRev, server_problems: null, error: null });
    return;
  }
  if (status === 412) {
    const server = await serverCopy(auditId);
    await update("work", auditId, (w) => {
      if (!w) return undefined;
      // The same answers (this phone's own save answered twice) are no conflict: take the new ETag.
      if (same(w.answers, server.answers || {})) return { ...w, etag: server.etag, dirty: w.rev !== sentRev };
      return { ...w, conflict: { answers: server.answers || {}, etag: server.etag } };
    });
    return;
  }
  if (status === 422) {
    const errors = (body && body.errors) || {};
    await update("work", auditId, (w) => w && { ...w, server_problems: errors.answers || errors, error: body.message });
    return;
  }
  if (status === 409 || status === 403 || status === 404) {
    await update("work", auditId, (w) => w && { ...w, dirty: false, error: body && body.message });
    if (status === 409) await serverCopy(auditId);
    return;
  }
  throw new HttpError(status, body);
}

/** What a submit answered: done, or back to the shopper with the server's reasons. */
async function submitResult(auditId, status, body) {
  if (status === 200) {
    await put("audits", body);
    await remove("queue", auditId);
    await remove("work", auditId);
    for (const photo of await photosOf(auditId)) await remove("photos", photo.sha256);
    return;
  }
  if (status === 401) throw new HttpError(status, body);
  // Refused: nothing was stored; the shopper corrects and submits again (with a new key).
  await remove("queue", auditId);
  const errors = (body && body.errors) || {};
  await update("work", auditId, (w) => w && {
    ...w, dirty: true, server_problems: errors.answers || null, visit_problem: errors.visit || null,
    error: (body && body.message) || `HTTP ${status}` });
  if (status === 409) await serverCopy(auditId);
}

/** Push one draft now (If-Match), after its photos. */
export function pushDraft(auditId) {
  return exclusively(async () => {
    const work = await get("work", auditId);
    if (!work || !work.dirty || work.conflict || (await get("queue", auditId))) return;
    await uploadPhotos(auditId);
    try {
      const saved = await call(`audits/${auditId}/answers`, {
        method: "PUT", json: { answers: work.answers }, headers: { "If-Match": work.etag } });
      await draftResult(auditId, work.rev, 200, saved.body, saved.headers.get("ETag"));
    } catch (error) {
      if (!(error instanceof HttpError) || error.status === 401) throw error;
      await draftResult(auditId, work.rev, error.status, error.body);
    }
  });
}

/** Send everything waiting: photos first, then queued submits and changed drafts (several audits in one
 * POST /sync). Safe to repeat: a submit is sent with the key it was queued with, so a retry after a lost
 * response is answered with the first result and never stored twice. */
export function drain() {
  return exclusively(async () => {
    const queue = await all("queue");
    const queuedIds = new Set(queue.map((q) => q.audit_id));
    const drafts = (await all("work")).filter((w) => w.dirty && !w.conflict && !queuedIds.has(w.id));
    const entries = [];
    for (const job of [...queue, ...drafts]) {
      const auditId = job.audit_id || job.id;
      try {
        await uploadPhotos(auditId);
      } catch (error) {
        if (error instanceof Offline || (error instanceof HttpError && error.status === 401)) throw error;
        continue; // this audit's upload was refused (e.g. no longer editable): the others go on
      }
      entries.push(job.audit_id
        ? { audit_id: auditId, action: "submit", answers: job.answers, visit: job.visit,
          idempotency_key: job.idempotency_key }
        : { audit_id: auditId, action: "draft", answers: job.answers, if_match: job.etag, rev: job.rev });
    }
    if (entries.length === 1 && entries[0].action === "submit") {
      const entry = entries[0];
      try {
        const sent = await call(`audits/${entry.audit_id}/submit`, {
          method: "POST", json: { answers: entry.answers, visit: entry.visit },
          headers: { "Idempotency-Key": entry.idempotency_key } });
        await submitResult(entry.audit_id, sent.status, sent.body);
      } catch (error) {
        if (!(error instanceof HttpError) || error.status === 401) throw error;
        await submitResult(entry.audit_id, error.status, error.body);
      }
      return;
    }
    for (let start = 0; start < entries.length; start += SYNC_BATCH) {
      const batch = entries.slice(start, start + SYNC_BATCH);
      const sent = await call("sync", {
        method: "POST", json: { audits: batch.map(({ rev, ...entry }) => entry) } });
      for (const [i, result] of sent.body.results.entries()) {
        const entry = batch[i];
        if (entry.action === "submit") await submitResult(entry.audit_id, result.status, result.body);
        else await draftResult(entry.audit_id, entry.rev, result.status, result.body, result.etag);
      }
    }
  });
}

/** How many audits wait to be sent (queued submits and unsent drafts). */
export async function pendingCount() {
  const queue = await all("queue");
  const ids = new Set(queue.map((q) => q.audit_id));
  for (const w of await all("work")) if (w.dirty) ids.add(w.id);
  return ids.size;
}
