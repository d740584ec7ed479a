// Filling a checklist: section by section, every item type, saved on the phone at each change and
// pushed as a draft when online; the review before submit, the submit queue and the conflict screen.
import { h, mount } from "./dom.js";
import { formatTime, problemText, serverProblemText, t, tr } from "./i18n.js";
import { renderStatus, route, scheduleBackgroundSync, syncNow, topBar } from "./main.js";
import { get, photosOf, put, remove, update } from "./store.js";
import { drain, EDITABLE, pushDraft, sha256Hex } from "./sync.js";
import { answerProblems, itemsOf, visibleAnswers } from "./validate.js";

const PUSH_DELAY_MS = 800; // a burst of taps is one draft on the server
const STOPWATCH_TICK_MS = 250;

let ctx = null; // the audit on screen: {audit, checklist, items, work, photos, section}
let pushTimer = null;
let ticker = null;

async function load(auditId) {
  const audit = await get("audits", auditId);
  if (!audit) return null;
  const checklist = await get("checklists", `${audit.checklist.key}@${audit.checklist.version}`);
  const work = await get("work", auditId);
  if (!checklist || !work) return null;
  const definition = checklist.definition;
  const photos = new Map((await photosOf(auditId)).map((p) => [p.sha256, p]));
  return { audit, checklist, definition, items: itemsOf(definition), work, photos,
    channel: definition.channel || "visit", queued: Boolean(await get("queue", auditId)) };
}

function missing() {
  location.hash = "#/";
}

// --- saving -------------------------------------------------------------------------------------

/** Every change is on the phone at once; the draft follows to the server shortly after. */
async function save(change) {
  const next = await update("work", ctx.work.id, (w) => {
    const changed = change(w);
    return { ...changed, rev: (w.rev || 0) + 1, dirty: true };
  });
  ctx.work = next;
  schedulePush();
  renderStatus();
}

function schedulePush() {
  clearTimeout(pushTimer);
  if (!navigator.onLine) {
    scheduleBackgroundSync();
    return;
  }
  const auditId = ctx.work.id;
  pushTimer = setTimeout(async () => {
    try {
      await pushDraft(auditId);
    } catch {
      scheduleBackgroundSync(); // offline or the session ended: the draft stays on the phone
    }
    const work = await get("work", auditId);
    if (ctx && ctx.work.id === auditId && work) {
      ctx.work = { ...ctx.work, etag: work.etag, dirty: work.dirty, conflict: work.conflict,
        server_problems: work.server_problems, error: work.error };
      const photosChanged = await reloadPhotos();
      if (work.conflict) location.hash = `#/audit/${auditId}/conflict`;
      else if (photosChanged) redraw();
      else showProblems();
    }
    renderStatus();
  }, PUSH_DELAY_MS);
}

/** Change one item's answer; empty fields are dropped so that "unanswered" is one shape. */
function setAnswer(key, fields) {
  return save((w) => {
    const answer = { ...(w.answers[key] || {}), ...fields };
    for (const [name, value] of Object.entries(answer)) {
      if (value === undefined || value === null || value === false || value === ""
        || (Array.isArray(value) && !value.length)) delete answer[name];
    }
    const answers = { ...w.answers };
    if (Object.keys(answer).length) answers[key] = answer;
    else delete answers[key];
    const problems = w.server_problems ? { ...w.server_problems } : null;
    if (problems) delete problems[key];
    return { ...w, answers, server_problems: problems, visit: startedVisit(w.visit) };
  });
}

/** The visit starts with the first answer at the latest (the shopper may forget the button). */
function startedVisit(visit) {
  if (visit && visit.started_at) return visit;
  const started = { ...(visit || {}), started_at: new Date().toISOString() };
  checkIn();
  return started;
}

function checkIn() {
  if (ctx.channel !== "visit" || !navigator.geolocation) return;
  const auditId = ctx.work.id;
  navigator.geolocation.getCurrentPosition(async (position) => {
    const checkin = { latitude: position.coords.latitude, longitude: position.coords.longitude,
      accuracy_m: Math.round(position.coords.accuracy * 10) / 10 };
    const work = await update("work", auditId, (w) => w && { ...w, visit: { ...w.visit, checkin, checkin_error: null } });
    if (ctx && ctx.work.id === auditId) { ctx.work = work; renderVisit(); }
  }, async () => {
    const work = await update("work", auditId, (w) => w && { ...w, visit: { ...w.visit, checkin_error: true } });
    if (ctx && ctx.work.id === auditId) { ctx.work = work; renderVisit(); }
  }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
}

// --- the audit screen ---------------------------------------------------------------------------

function sectionsShown() {
  const shown = visibleAnswers(ctx.definition, ctx.work.answers, ctx.items);
  return ctx.definition.sections
    .map((section, index) => ({ section, index, items: section.items.filter((i) => shown.has(i.key)) }))
    .filter((s) => s.items.length);
}

export async function auditScreen(auditId, sectionIndex) {
  clearInterval(ticker);
  ctx = await load(auditId);
  if (!ctx) return missing();
  if (ctx.work.conflict) { location.hash = `#/audit/${auditId}/conflict`; return; }
  const sections = sectionsShown();
  const position = Math.max(0, Math.min(sectionIndex, sections.length - 1));
  const current = sections[position];
  ctx.section = current.index;
  if (ctx.work.section !== position) {
    ctx.work = await update("work", auditId, (w) => ({ ...w, section: position }));
  }
  const editable = EDITABLE.has(ctx.audit.status) && !ctx.queued;
  const dealer = ctx.audit.dealer || {};
  const last = position === sections.length - 1;
  mount(h("div.screen.audit", { dataset: { audit: auditId } },
    topBar(tr(dealer.name) || tr(ctx.checklist.title), { back: "#/" }),
    ctx.audit.status === "returned" && ctx.audit.review_notes
      ? h("div.notes", { id: "qa-notes" }, h("strong", {}, `${t("qa_notes")}: `), ctx.audit.review_notes) : null,
    itemNotesList(auditId, sections),
    h("div.visit", { id: "visit" }),
    h("nav.sections", { "aria-label": "sections" }, sections.map((s, i) =>
      h(`a.dot${i === position ? ".here" : ""}`, { href: `#/audit/${auditId}/${i}`, title: tr(s.section.title) },
        String(i + 1)))),
    h("h2.section-title", {}, tr(current.section.title),
      h("small", {}, t("section_of", { i: position + 1, n: sections.length }))),
    h("div.items", { id: "items" }, current.items.map((item) => itemCard(item, editable))),
    h("footer.pager", {},
      position > 0 ? h("a.button", { href: `#/audit/${auditId}/${position - 1}` }, t("previous")) : h("span"),
      last ? h("a.button.primary", { href: `#/audit/${auditId}/review`, id: "review" }, t("review"))
        : h("a.button.primary", { href: `#/audit/${auditId}/${position + 1}`, id: "next" }, t("next")))));
  renderVisit();
  showProblems();
  startTicker();
  window.scrollTo(0, 0);
  renderStatus();
}

function renderVisit() {
  const box = document.getElementById("visit");
  if (!box) return;
  const visit = ctx.work.visit || {};
  const editable = EDITABLE.has(ctx.audit.status) && !ctx.queued;
  const parts = [];
  if (!visit.started_at) {
    if (editable) {
      parts.push(h("button.primary", { type: "button", id: "start-visit",
        onclick: () => save((w) => ({ ...w, visit: startedVisit(w.visit) })).then(renderVisit) }, t("start_visit")));
    }
  } else {
    parts.push(h("span", {}, t("visit_started", { t: formatTime(visit.started_at) })));
    if (ctx.channel === "visit") {
      if (visit.checkin) parts.push(h("span.ok", { id: "checkin" }, t("checkin_ok", { m: Math.round(visit.checkin.accuracy_m ?? 0) })));
      else if (visit.checkin_error && editable) {
        parts.push(h("span.error", {}, t("checkin_failed")),
          h("button", { type: "button", onclick: checkIn }, t("checkin_retry")));
      }
    }
  }
  box.replaceChildren(...parts);
}

// --- one item -----------------------------------------------------------------------------------

/** QA's notes on single items of a returned audit: each one names its item and leads to its section. */
function itemNotes() {
  return ctx.audit.status === "returned" ? ctx.audit.review_item_notes || {} : {};
}

function itemNotesList(auditId, sections) {
  const notes = itemNotes();
  const rows = [];
  for (const section of ctx.definition.sections) {
    for (const item of section.items) {
      if (!notes[item.key]) continue;
      const position = sections.findIndex((s) => s.items.some((i) => i.key === item.key));
      const label = `${tr(section.title)} · ${tr(item.text)}`;
      rows.push(h("li", { dataset: { key: item.key } },
        position < 0 ? h("span.item-name", {}, label)
          : h("a.item-name", { href: `#/audit/${auditId}/${position}`,
            onclick: () => setTimeout(() => document.getElementById(`item-${item.key}`)?.scrollIntoView(), 50) },
          label),
        h("span.why", {}, notes[item.key])));
    }
  }
  return rows.length ? h("div.notes.item-notes", { id: "qa-item-notes" },
    h("strong", {}, t("qa_item_notes")), h("ul", {}, rows)) : null;
}

function itemCard(item, editable) {
  const note = itemNotes()[item.key];
  const answer = ctx.work.answers[item.key] || {};
  const help = item.help ? h("p.help", { hidden: true }, tr(item.help)) : null;
  const comment = h("textarea.comment", { rows: 2, maxLength: 4000, placeholder: t("comment"),
    hidden: !answer.comment, disabled: !editable, value: answer.comment || "",
    oninput: (e) => setAnswer(item.key, { comment: e.target.value }) });
  const card = h("article.item", { id: `item-${item.key}`, dataset: { key: item.key, type: item.type } },
    h("div.item-head", {},
      h("h3", {}, tr(item.text), item.required ? h("span.req", { title: t("required_mark") }, " *") : null),
      help ? h("button.icon.help-toggle", { type: "button", "aria-label": t("help"),
        onclick: () => { help.hidden = !help.hidden; } }, "?") : null),
    help,
    note ? h("p.item-note", { id: `note-${item.key}` }, h("strong", {}, `${t("qa_item_note")}: `), note) : null,
    h("div.control", {}, control(item, answer, editable)),
    h("div.extras", {},
      item.na_allowed ? h(`button.na${answer.na ? ".on" : ""}`, { type: "button", disabled: !editable,
        "aria-pressed": String(Boolean(answer.na)),
        onclick: () => setAnswer(item.key, answer.na ? { na: undefined } : { na: true, value: undefined })
          .then(redraw) }, t("na")) : null,
      h("button.comment-toggle", { type: "button", onclick: () => { comment.hidden = false; comment.focus(); } },
        t("comment")),
      item.type !== "photo" && item.evidence !== "none" ? photoButton(item, editable) : null),
    comment,
    photoStrip(item, answer, editable),
    h("ul.problems", { id: `problems-${item.key}` }));
  return card;
}

/** The section again (show_if may have changed what is shown), where the shopper was. */
async function redraw() {
  const y = window.scrollY;
  const sections = sectionsShown();
  const position = sections.findIndex((s) => s.index === ctx.section);
  const editable = EDITABLE.has(ctx.audit.status) && !ctx.queued;
  const items = document.getElementById("items");
  if (!items || position < 0) return route();
  items.replaceChildren(...sections[position].items.map((item) => itemCard(item, editable)));
  showProblems();
  window.scrollTo(0, y);
}

function choiceButtons(item, options, value, editable) {
  return h("div.choices", { role: "group" }, options.map(([key, label]) =>
    h(`button.choice${value === key ? ".on" : ""}`, { type: "button", disabled: !editable,
      "aria-pressed": String(value === key), dataset: { value: String(key) },
      onclick: () => setAnswer(item.key, { value: value === key ? undefined : key, na: undefined }).then(redraw) },
    label)));
}

function control(item, answer, editable) {
  const value = answer.na ? undefined : answer.value;
  switch (item.type) {
    case "yes_no":
      return choiceButtons(item, [["yes", t("yes")], ["no", t("no")]], value, editable);
    case "scale": {
      const steps = Array.from({ length: item.max ?? 5 }, (_, i) => [i + 1, String(i + 1)]);
      return h("div.scale", {}, choiceButtons(item, steps, value, editable));
    }
    case "choice":
      return h("div.options", {}, choiceButtons(item, item.options.map((o) => [o.key, tr(o.text)]), value, editable));
    case "number":
      return numberInput(item, value, editable);
    case "seconds":
    case "minutes":
      return stopwatch(item, value, editable);
    case "text":
      return h("textarea.text", { rows: 3, maxLength: 4000, disabled: !editable, value: value ?? "",
        oninput: (e) => setAnswer(item.key, { value: e.target.value }) });
    case "photo":
      return photoButton(item, editable);
    default:
      return null;
  }
}

function numberInput(item, value, editable, unit) {
  return h("label.number", {},
    h("input", { type: "number", inputMode: "decimal", step: "any", disabled: !editable,
      min: item.min ?? undefined, max: item.max ?? undefined, value: value ?? "",
      onchange: (e) => {
        const raw = e.target.value.trim();
        const number = raw === "" ? undefined : Number(raw);
        setAnswer(item.key, { value: number, na: undefined }).then(() => redrawIfShowIf(item));
      } }),
    unit ? h("span.unit", {}, unit) : null);
}

function redrawIfShowIf(item) {
  // Only a controlling item changes what is shown: redrawing on every number would move the keyboard.
  for (const other of ctx.items.values()) if (other.show_if && other.show_if.item === item.key) return redraw();
  return undefined;
}

/** Start when you walk in, stop when greeted; the value stays editable (a missed start is typed in). */
function stopwatch(item, value, editable) {
  const started = (ctx.work.timers || {})[item.key];
  const unit = item.type === "seconds" ? t("seconds") : t("minutes");
  const toggle = h(`button.stopwatch${started ? ".running" : ""}`, { type: "button", disabled: !editable,
    dataset: { started: started || "" },
    onclick: async () => {
      const begun = (ctx.work.timers || {})[item.key];
      if (!begun) {
        await save((w) => ({ ...w, timers: { ...(w.timers || {}), [item.key]: Date.now() }, visit: startedVisit(w.visit) }));
      } else {
        const elapsed = (Date.now() - begun) / 1000;
        const measured = item.type === "seconds" ? Math.round(elapsed) : Math.round((elapsed / 60) * 10) / 10;
        await save((w) => {
          const timers = { ...(w.timers || {}) };
          delete timers[item.key];
          return { ...w, timers };
        });
        await setAnswer(item.key, { value: measured, na: undefined });
      }
      redraw();
    } },
  started ? `${t("stop")} · ` : t("start"), started ? h("span.elapsed", {}, "0") : null);
  return h("div.timer", {}, toggle, numberInput(item, value, editable, unit));
}

function startTicker() {
  clearInterval(ticker);
  ticker = setInterval(() => {
    for (const button of document.querySelectorAll(".stopwatch.running")) {
      const started = Number(button.dataset.started);
      const seconds = Math.floor((Date.now() - started) / 1000);
      const shown = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
      const span = button.querySelector(".elapsed");
      if (span && span.textContent !== shown) span.textContent = shown;
    }
  }, STOPWATCH_TICK_MS);
}

// --- photos -------------------------------------------------------------------------------------

function photoButton(item, editable) {
  if (!editable) return null;
  const input = h("input.camera", { type: "file", accept: "image/*", capture: "environment", multiple: true,
    onchange: async (e) => {
      const files = [...e.target.files];
      e.target.value = "";
      for (const file of files) await addPhoto(item, file);
      redraw();
    } });
  return h("label.button.photo-button", { dataset: { item: item.key } }, t("add_photo"), input);
}

/** The file is kept on the phone under its SHA-256 (computed here, checked by the server). */
async function addPhoto(item, file) {
  const sha256 = await sha256Hex(await file.arrayBuffer());
  const record = { sha256, audit_id: ctx.work.id, blob: file, name: file.name, type: file.type,
    uploaded: false, added_at: new Date().toISOString() };
  const existing = await get("photos", sha256);
  if (!existing) await put("photos", record);
  ctx.photos.set(sha256, existing || record);
  const attachments = [...new Set([...(ctx.work.answers[item.key]?.attachments || []), sha256])];
  await setAnswer(item.key, { attachments });
}

async function removePhoto(item, sha256) {
  const attachments = (ctx.work.answers[item.key]?.attachments || []).filter((s) => s !== sha256);
  await setAnswer(item.key, { attachments });
  const cited = Object.values(ctx.work.answers).some((a) => (a.attachments || []).includes(sha256));
  const photo = ctx.photos.get(sha256);
  if (!cited && photo && !photo.uploaded) {
    await remove("photos", sha256);
    ctx.photos.delete(sha256);
  }
  redraw();
}

const thumbnails = new Map(); // sha256 -> object URL, made once per page

/** The photos' upload states from the store; true when one changed (uploaded, or refused). */
async function reloadPhotos() {
  let changed = false;
  for (const photo of await photosOf(ctx.work.id)) {
    const known = ctx.photos.get(photo.sha256);
    if (!known || known.uploaded !== photo.uploaded || known.refused !== photo.refused) changed = true;
    ctx.photos.set(photo.sha256, photo);
  }
  return changed;
}

function photoStrip(item, answer, editable) {
  const hashes = answer.attachments || [];
  if (!hashes.length) return null;
  return h("div.photos", {}, hashes.map((sha256) => {
    const photo = ctx.photos.get(sha256);
    if (photo && !thumbnails.has(sha256)) thumbnails.set(sha256, URL.createObjectURL(photo.blob));
    return h(`figure.thumb${photo && photo.refused ? ".refused" : ""}`, { dataset: { sha256 } },
      photo ? h("img", { src: thumbnails.get(sha256), alt: "" }) : h("div.placeholder", {}, "✓"),
      photo && photo.refused ? h("figcaption.error", {}, t("photo_failed", { m: photo.refused }))
        : photo && !photo.uploaded ? h("figcaption", {}, t("photo_waiting")) : null,
      editable ? h("button.icon.remove", { type: "button", "aria-label": t("remove"),
        onclick: () => removePhoto(item, sha256) }, "×") : null);
  }));
}

// --- problems -----------------------------------------------------------------------------------

/** Problems of a final submit: the server's rules (validate.js), the server's own last answer, and
 * the visit proof a visit needs. */
function problemsNow() {
  const local = answerProblems(ctx.definition, ctx.work.answers, { complete: true });
  const server = ctx.work.server_problems || {};
  for (const [key, messages] of Object.entries(server)) {
    if (!(key in local)) {
      local[key] = (Array.isArray(messages) ? messages : [String(messages)]).map((m) => ({ en: serverProblemText(m) }));
    }
  }
  return local;
}

function showProblems() {
  const problems = ctx.work.server_problems || {};
  for (const list of document.querySelectorAll(".problems")) {
    const key = list.id.replace("problems-", "");
    const messages = problems[key];
    list.replaceChildren(...(Array.isArray(messages) ? messages : []).map((m) => h("li", {}, serverProblemText(m))));
  }
}

function visitProblems() {
  const visit = ctx.work.visit || {};
  const found = [];
  if (ctx.channel === "visit" && !visit.checkin) found.push(t("no_checkin_problem"));
  if (ctx.work.visit_problem) found.push(t("visit_problem", { m: JSON.stringify(ctx.work.visit_problem) }));
  return found;
}

export async function reviewScreen(auditId) {
  clearInterval(ticker);
  ctx = await load(auditId);
  if (!ctx) return missing();
  const problems = problemsNow();
  const visit = visitProblems();
  const editable = EDITABLE.has(ctx.audit.status) && !ctx.queued;
  const sections = sectionsShown();
  const rows = [];
  for (const [position, s] of sections.entries()) {
    for (const item of s.items) {
      if (!problems[item.key]) continue;
      rows.push(h("li", {}, h("a", { href: `#/audit/${auditId}/${position}`, dataset: { key: item.key },
        onclick: () => setTimeout(() => document.getElementById(`item-${item.key}`)?.scrollIntoView(), 50) },
      `${tr(s.section.title)} · ${tr(item.text)}`),
      h("span.why", {}, problems[item.key].map(problemText).join("; "))));
    }
  }
  const ready = !rows.length && !visit.length;
  mount(h("div.screen.review", { dataset: { audit: auditId } },
    topBar(t("review"), { back: `#/audit/${auditId}/${Math.max(0, sections.length - 1)}` }),
    ctx.work.error ? h("p.error", { id: "server-error" }, t("server_refused"), h("br"), ctx.work.error) : null,
    ctx.audit.status === "returned" && ctx.audit.review_notes
      ? h("div.notes", {}, h("strong", {}, `${t("qa_notes")}: `), ctx.audit.review_notes) : null,
    ready ? h("p.ok", {}, t("ready_to_submit"))
      : h("div", {}, h("h2", {}, t("problems_title")), h("ul.problem-list", {}, rows, visit.map((v) => h("li", {}, v)))),
    ctx.queued ? h("p.ok", { id: "queued" }, t("queued_note")) : null,
    editable ? h("button.primary.big", { type: "button", id: "submit", disabled: !ready,
      onclick: () => submit(auditId) }, t("submit")) : null));
  renderStatus();
}

/** Submit = queue it with its Idempotency-Key, then send when online; the key and body never change
 * for this submission, so any retry is the same request. */
async function submit(auditId) {
  const now = new Date().toISOString();
  const work = ctx.work;
  const visit = { started_at: work.visit.started_at || now, ended_at: work.visit.ended_at || now, device_time: now };
  if (ctx.channel === "visit") visit.checkin = work.visit.checkin;
  await put("queue", { audit_id: auditId, idempotency_key: crypto.randomUUID(), answers: work.answers,
    visit, queued_at: now });
  ctx.work = await update("work", auditId, (w) => ({ ...w, visit: { ...w.visit, ended_at: visit.ended_at },
    server_problems: null, visit_problem: null, error: null }));
  clearTimeout(pushTimer);
  if (navigator.onLine) {
    try {
      await drain();
    } catch {
      scheduleBackgroundSync();
    }
  } else {
    scheduleBackgroundSync();
  }
  const back = await get("work", auditId);
  if (back && back.error) return reviewScreen(auditId); // refused by the server: show why
  location.hash = "#/";
  syncNow();
}

// --- conflict -----------------------------------------------------------------------------------

function answerText(item, answer) {
  if (!answer) return t("unanswered");
  const parts = [];
  if (answer.na) parts.push(t("na"));
  if ("value" in answer) {
    const v = answer.value;
    if (item.type === "yes_no") parts.push(t(v));
    else if (item.type === "choice") parts.push(tr(item.options.find((o) => o.key === v)?.text) || String(v));
    else parts.push(String(v));
  }
  if (answer.comment) parts.push(`“${answer.comment}”`);
  if (answer.attachments?.length) parts.push(`📷 ${answer.attachments.length}`);
  return parts.join(" · ") || t("unanswered");
}

export async function conflictScreen(auditId) {
  clearInterval(ticker);
  ctx = await load(auditId);
  if (!ctx) return missing();
  const conflict = ctx.work.conflict;
  if (!conflict) { location.hash = `#/audit/${auditId}/${ctx.work.section || 0}`; return; }
  const mine = ctx.work.answers;
  const theirs = conflict.answers;
  const rows = [];
  for (const [key, item] of ctx.items) {
    if (JSON.stringify(mine[key] ?? null) === JSON.stringify(theirs[key] ?? null)) continue;
    rows.push(h("tr", { dataset: { key } }, h("th", {}, tr(item.text)),
      h("td.mine", {}, answerText(item, mine[key])), h("td.theirs", {}, answerText(item, theirs[key]))));
  }
  const keepMine = async () => {
    ctx.work = await update("work", auditId, (w) => ({ ...w, etag: conflict.etag, conflict: null, dirty: true,
      rev: (w.rev || 0) + 1 }));
    await pushDraft(auditId).catch(scheduleBackgroundSync);
    location.hash = `#/audit/${auditId}/${ctx.work.section || 0}`;
  };
  const takeServer = async () => {
    ctx.work = await update("work", auditId, (w) => ({ ...w, answers: conflict.answers, etag: conflict.etag,
      conflict: null, dirty: false, rev: (w.rev || 0) + 1 }));
    location.hash = `#/audit/${auditId}/${ctx.work.section || 0}`;
  };
  mount(h("div.screen.conflict", { dataset: { audit: auditId } },
    topBar(t("conflict"), { back: "#/" }),
    h("p", {}, t("conflict_text")),
    h("table.diff", {}, h("thead", {}, h("tr", {}, h("th"), h("th", {}, t("mine")), h("th", {}, t("theirs")))),
      h("tbody", {}, rows)),
    h("div.choices-row", {},
      h("button.primary", { type: "button", id: "keep-mine", onclick: keepMine }, t("keep_mine")),
      h("button", { type: "button", id: "take-server", onclick: takeServer }, t("take_server")))));
  renderStatus();
}

