// Words of the app in Chinese and English. The language follows the phone and can be switched.
import { getMeta, setMeta } from "./store.js";

const WORDS = {
  app_title: ["神秘顾客", "Mystery shopper"],
  app_tagline: ["经销商神秘顾客暗访：无网络时也可完成并稍后发送",
    "Dealer mystery-shop audits: done offline, sent when the phone is back online"],
  email: ["邮箱", "Email"],
  password: ["密码", "Password"],
  log_in: ["登录", "Log in"],
  log_out: ["退出登录", "Log out"],
  login_failed: ["登录失败：邮箱或密码不正确", "Login failed: wrong email or password"],
  login_offline: ["无网络：首次登录需要联网", "No network: the first login needs a connection"],
  not_shopper: ["此应用仅供神秘顾客使用", "This app is for mystery shoppers only"],
  confirm_logout: ["退出将删除本机上的所有数据。", "Logging out deletes all data on this phone."],
  confirm_logout_unsent: ["还有 {n} 份审核未发送，退出将丢失它们。确定退出？",
    "{n} audit(s) not sent yet will be lost. Log out anyway?"],
  my_assignments: ["我的任务", "My assignments"],
  refresh: ["刷新", "Refresh"],
  offline: ["离线", "Offline"],
  online: ["在线", "Online"],
  pending: ["{n} 项待发送", "{n} waiting to send"],
  no_assignments: ["暂无任务", "No assignments"],
  window: ["到访期间", "Visit window"],
  status_assigned: ["待开始", "Assigned"],
  status_in_progress: ["草稿", "Draft"],
  status_draft: ["草稿", "Draft"],
  status_queued: ["待发送", "Queued"],
  status_submitted: ["已提交", "Submitted"],
  status_returned: ["已退回", "Returned"],
  status_published: ["已通过", "Approved"],
  status_approved: ["已通过", "Approved"],
  qa_notes: ["质检意见", "QA's notes"],
  qa_item_notes: ["质检逐项意见", "QA's notes on items"],
  qa_item_note: ["质检意见", "QA's note"],
  open: ["打开", "Open"],
  back: ["返回", "Back"],
  start_visit: ["开始到店", "Start the visit"],
  visit_started: ["到店开始：{t}", "Visit started: {t}"],
  checkin: ["定位签到", "GPS check-in"],
  checkin_ok: ["已签到（精度 {m} 米）", "Checked in (accuracy {m} m)"],
  checkin_failed: ["无法定位：请允许定位后重试", "No location: allow location and try again"],
  checkin_retry: ["重新定位", "Try the check-in again"],
  section_of: ["第 {i}/{n} 部分", "Section {i} of {n}"],
  previous: ["上一部分", "Previous"],
  next: ["下一部分", "Next"],
  review: ["检查并提交", "Review and submit"],
  yes: ["是", "Yes"],
  no: ["否", "No"],
  na: ["不适用", "N/A"],
  help: ["标准", "Standard"],
  comment: ["备注", "Comment"],
  add_photo: ["拍照", "Take a photo"],
  photo_waiting: ["待上传", "waiting to upload"],
  photo_failed: ["上传被拒：{m}", "Upload refused: {m}"],
  remove: ["删除", "Remove"],
  start: ["开始计时", "Start"],
  stop: ["停止", "Stop"],
  running: ["计时中", "Timing"],
  seconds: ["秒", "s"],
  minutes: ["分钟", "min"],
  required_mark: ["必答", "required"],
  problems_title: ["提交前请处理以下问题", "Please fix these before submitting"],
  ready_to_submit: ["所有必答项已完成", "Every required item is answered"],
  submit: ["提交审核", "Submit the audit"],
  submitted_title: ["已提交", "Submitted"],
  queued_note: ["已保存在本机，联网后自动发送", "Saved on this phone; it is sent by itself when online"],
  sent_note: ["服务器已收到", "The server has it"],
  saved_local: ["已保存在本机", "Saved on this phone"],
  saved_server: ["已同步", "Synced"],
  conflict: ["版本冲突", "Two versions"],
  conflict_title: ["另一台设备已保存了此草稿", "Another device saved this draft first"],
  conflict_text: ["另一台设备已先保存了此草稿。请选择保留哪个版本。",
    "Another device saved this draft first. Choose which version to keep."],
  mine: ["本机", "This phone"],
  theirs: ["服务器", "Server"],
  keep_mine: ["保留本机的", "Keep mine"],
  take_server: ["采用服务器的", "Take the server's"],
  unanswered: ["（未答）", "(unanswered)"],
  server_refused: ["服务器拒绝了提交，请修改标注的项目", "The server refused the submit: fix the marked items"],
  no_checkin_problem: ["到店审核需要定位签到", "A showroom visit needs its GPS check-in"],
  visit_problem: ["到店信息有误：{m}", "Visit proof refused: {m}"],
  language: ["English", "中文"],
  session_expired: ["登录已过期，请重新登录", "Your session expired: log in again"],
};

// How the server's problems read in Chinese (the English is the server's own wording).
const PROBLEMS_ZH = {
  answers: () => "答案格式错误",
  unknown_item: () => "检查表中没有此项",
  not_object: () => "答案格式错误",
  unknown_field: (p) => `未知字段“${p.name}”`,
  na_type: () => "“不适用”必须为是或否",
  na_not_allowed: () => "此项不允许选择“不适用”",
  value_and_na: () => "请填写答案或选择“不适用”，不能同时选择",
  yes_no: () => "请选择“是”或“否”",
  scale: (p) => `请选择 1 到 ${p.max} 之间的整数`,
  number: () => "请输入数字",
  min: (p) => `不能小于 ${p.min}`,
  max: (p) => `不能大于 ${p.max}`,
  choice: () => "请选择一个选项",
  text: (p) => `文字不能超过 ${p.max} 个字符`,
  photo_value: () => "照片项只能附照片",
  comment: (p) => `备注不能超过 ${p.max} 个字符`,
  attachments: () => "附件格式错误",
  not_uploaded: () => "照片尚未上传",
  required: () => "必答",
  required_or_na: () => "必答：请作答或选择“不适用”",
  evidence: () => "需要附照片或单据",
};

// The server's words for the same rules (checklists/answers.py), for problems only the server found.
const SERVER_PROBLEMS = [
  [/^required: answer it or mark it N\/A$/, "required_or_na"],
  [/^required$/, "required"],
  [/^evidence required/, "evidence"],
  [/^attachment not uploaded/, "not_uploaded"],
  [/^N\/A is not allowed/, "na_not_allowed"],
  [/^must be at least (\S+)$/, "min", (m) => ({ min: m[1] })],
  [/^must be at most (\S+)$/, "max", (m) => ({ max: m[1] })],
];

let lang = "en";

export const language = () => lang;

export async function initLanguage() {
  const chosen = await getMeta("lang");
  const phone = (navigator.language || "en").toLowerCase();
  lang = chosen || (phone.startsWith("zh") ? "zh" : "en");
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export async function switchLanguage() {
  lang = lang === "zh" ? "en" : "zh";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  await setMeta("lang", lang);
}

/** A word of the app, with {name} placeholders filled in. */
export function t(key, params = {}) {
  const pair = WORDS[key];
  const text = pair ? pair[lang === "zh" ? 0 : 1] : key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

/** A checklist's {zh, en} text in the current language. */
export const tr = (text) => (text ? (text[lang] || text.en || text.zh || "") : "");

/** A problem as the shopper reads it: a local one by its code, a server one ({en} only) as sent. */
export function problemText(problem) {
  if (lang === "zh" && problem.code && PROBLEMS_ZH[problem.code]) return PROBLEMS_ZH[problem.code](problem.params || {});
  return problem.en;
}

/** A problem the server named, in the shopper's language where the app knows the rule. */
export function serverProblemText(message) {
  const text = String(message);
  if (lang !== "zh") return text;
  for (const [pattern, code, params] of SERVER_PROBLEMS) {
    const match = text.match(pattern);
    if (match) return PROBLEMS_ZH[code](params ? params(match) : {});
  }
  return text;
}

export function formatTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB",
    { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function formatDay(day) {
  if (!day) return "";
  return new Date(`${day}T00:00:00`).toLocaleDateString(lang === "zh" ? "zh-CN" : "en-GB",
    { month: "short", day: "numeric" });
}
