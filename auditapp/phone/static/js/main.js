// The shopper's app: start-up, routes, the login and assignment screens. Everything the shopper sees
// comes from the phone's own store; the network only refreshes it and takes what waits to be sent.
import { call, HttpError, Offline } from "./api.js";
import { h, mount } from "./dom.js";
import { formatDay, initLanguage, switchLanguage, t, tr } from "./i18n.js";
import { auditScreen, conflictScreen, reviewScreen } from "./form.js";
import { all, get, getMeta, setMeta, wipe } from "./store.js";
import { drain, EDITABLE, pendingCount, refresh } from "./sync.js";

const state = { syncing: null, message: null };

// --- start-up -----------------------------------------------------------------------------------

async function start() {
  await initLanguage();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js", { type: "module", scope: "./" }).catch(() => {});
  }
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { syncNow(); renderStatus(); });
  window.addEventListener("offline", renderStatus);
  await route();
  if (await getMeta("session")) syncNow();
}

/** Refresh and send in the background; the screen is drawn again when that changed something. */
export function syncNow() {
  if (state.syncing || !navigator.onLine) return state.syncing;
  state.syncing = (async () => {
    try {
      await drain();
      await refresh();
      await drain(); // a draft made while refreshing
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        state.message = t("session_expired");
        await setMeta("session", null);
      } else if (!(error instanceof Offline)) {
        console.error(error);
      }
    } finally {
      state.syncing = null;
    }
    await route({ quiet: true });
  })();
  return state.syncing;
}

/** Ask the browser to drain the queue when the network returns, even if the app is closed by then. */
export async function scheduleBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register("drain");
  } catch {
    // No Background Sync here: the queue drains on the next start or `online` event instead.
  }
}

// --- routes -------------------------------------------------------------------------------------

let drawing = Promise.resolve();

export function route(options = {}) {
  drawing = drawing.then(() => draw(options)).catch((error) => console.error(error));
  return drawing;
}

async function draw({ quiet = false } = {}) {
  const session = await getMeta("session");
  if (!session) return loginScreen();
  const [, screen, id, part] = (location.hash || "#/").split("/");
  if (screen === "audit" && id) {
    // A background refresh must not pull the form from under a shopper typing a comment.
    if (quiet && document.querySelector(`[data-audit="${id}"]`) && part !== "conflict") {
      const work = await get("work", id);
      if (work && work.conflict) { location.hash = `#/audit/${id}/conflict`; return; }
      return renderStatus();
    }
    if (part === "review") return reviewScreen(id);
    if (part === "conflict") return conflictScreen(id);
    return auditScreen(id, Number(part) || 0);
  }
  return listScreen(session);
}

// --- the bar on top of every screen -------------------------------------------------------------

export function topBar(title, { back } = {}) {
  return h("header.bar", {},
    back ? h("a.back", { href: back, "aria-label": t("back") }, "‹") : null,
    h("h1", {}, title),
    h("span.net", { id: "net" }),
    h("button.lang", { type: "button", onclick: async () => { await switchLanguage(); route(); } }, t("language")));
}

export async function renderStatus() {
  const net = document.getElementById("net");
  if (!net) return;
  const pending = await pendingCount();
  net.textContent = [navigator.onLine ? "" : t("offline"), pending ? t("pending", { n: pending }) : ""]
    .filter(Boolean).join(" · ");
  net.className = navigator.onLine ? "net" : "net off";
}

// --- log in and out -----------------------------------------------------------------------------

function loginScreen() {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password",
    required: true });
  const message = h("p.error", { role: "alert" }, state.message || "");
  const submit = async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const issued = await call("auth/token", { method: "POST", token: "",
        json: { email: email.value.trim(), password: password.value } });
      const token = issued.body.access_token;
      const me = (await call("me", { token })).body;
      if (me.role !== "shopper") {
        message.textContent = t("not_shopper");
        return;
      }
      // Another shopper's data never stays on a phone someone else logs in to.
      const owner = await getMeta("owner");
      if (owner !== null && owner !== me.id) await wipe();
      await setMeta("owner", me.id);
      await setMeta("session", { token, expires_at: issued.body.expires_at, email: me.email,
        name: me.display_name, user_id: me.id });
      state.message = null;
      location.hash = "#/";
      await syncNow();
    } catch (error) {
      message.textContent = error instanceof Offline ? t("login_offline")
        : error instanceof HttpError && error.status === 401 ? t("login_failed") : error.message;
    }
  };
  mount(h("div.screen", {},
    topBar(t("app_title")),
    h("div.brand", {}, h("img", { src: "icons/icon.svg", alt: "", width: 72, height: 72 }),
      h("p", {}, t("app_tagline"))),
    h("form.login", { onsubmit: submit },
      h("label", {}, t("email"), email),
      h("label", {}, t("password"), password),
      h("button.primary", { type: "submit" }, t("log_in")),
      message)));
  renderStatus();
}

async function logout() {
  const unsent = await pendingCount();
  const question = unsent ? t("confirm_logout_unsent", { n: unsent }) : t("confirm_logout");
  if (!window.confirm(question)) return;
  try {
    await call("auth/logout", { method: "POST" });
  } catch {
    // Offline or already expired: the token dies with its expiry; the phone's copy goes now.
  }
  await wipe();
  location.hash = "#/";
  route();
}

// --- assignments --------------------------------------------------------------------------------

async function statusOf(audit) {
  if (await get("queue", audit.id)) return "queued";
  const work = await get("work", audit.id);
  if (audit.status === "assigned" && work && (work.dirty || Object.keys(work.answers).length)) return "draft";
  return audit.status;
}

async function listScreen(session) {
  const audits = (await all("audits")).sort((a, b) =>
    (a.visit_window_start || "").localeCompare(b.visit_window_start || "") || a.id.localeCompare(b.id));
  const cards = [];
  for (const audit of audits) {
    const status = await statusOf(audit);
    const checklist = await get("checklists", `${audit.checklist.key}@${audit.checklist.version}`);
    const work = await get("work", audit.id);
    const dealer = audit.dealer || {};
    const editable = EDITABLE.has(audit.status);
    cards.push(h(editable ? "a.card" : "div.card", {
      href: editable ? `#/audit/${audit.id}/${work ? work.section || 0 : 0}` : undefined,
      dataset: { audit: audit.id, status } },
    h("div.card-head", {},
      h("strong.dealer", {}, tr(dealer.name) || dealer.code || ""),
      h(`span.status.s-${status}`, {}, t(`status_${status}`))),
    dealer.address ? h("p.address", {}, dealer.address) : null,
    h("p.meta", {}, `${t("window")}: ${formatDay(audit.visit_window_start)} – ${formatDay(audit.visit_window_end)}`),
    h("p.meta", {}, checklist ? tr(checklist.title) : `${audit.checklist.key} v${audit.checklist.version}`),
    audit.status === "returned" && audit.review_notes
      ? h("div.notes", {}, h("strong", {}, `${t("qa_notes")}: `), audit.review_notes) : null,
    work && work.conflict ? h("p.error", {}, t("conflict_title")) : null,
    work && work.error ? h("p.error", {}, work.error) : null));
  }
  mount(h("div.screen", {},
    topBar(t("my_assignments")),
    h("div.toolbar", {},
      h("span.who", {}, session.name || session.email),
      h("button", { type: "button", onclick: () => syncNow() }, t("refresh")),
      h("button", { type: "button", id: "logout", onclick: logout }, t("log_out"))),
    state.message ? h("p.error", {}, state.message) : null,
    h("section.list", {}, cards.length ? cards : h("p.empty", {}, t("no_assignments")))));
  renderStatus();
}

start();
